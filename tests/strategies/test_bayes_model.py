"""The GP model of bayes: length-scale priors (MAP) and the noisy-EI incumbent."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import check_grad

import jhpo
from jhpo.strategies import _gp
from jhpo.strategies.bayes import BayesStrategy


@pytest.mark.parametrize("dim", [1, 2, 6, 20])
def test_dimension_scaled_prior_has_botorchs_mode_and_width(dim: int) -> None:
    # BoTorch (>= 0.12) puts LogNormal(sqrt(2) + log(d)/2, sqrt(3)) on each length scale and adds
    # that density of the length itself to a parameter optimized in log space. The normal prior on
    # log length must peak where that sum peaks, with the same width.
    mean, std = _gp.prior(dim, "dim")
    mu, s = math.sqrt(2.0) + 0.5 * math.log(dim), math.sqrt(3.0)
    grid = np.linspace(-12.0, 12.0, 240_001)
    botorch = -grid - (grid - mu) ** 2 / (2 * s * s)  # log density of the length, up to a constant
    assert abs(grid[np.argmax(botorch)] - mean[1]) < 1e-3
    np.testing.assert_allclose(mean[1:-1], mean[1])
    np.testing.assert_allclose(std[1:-1], s)
    # The mode grows like sqrt(d): longer lengths in more dimensions.
    assert math.exp(mean[1]) == pytest.approx(math.exp(math.sqrt(2.0) - 3.0) * math.sqrt(dim))


@pytest.mark.parametrize("lengths", ["local", "dim"])
def test_log_posterior_gradient_includes_the_prior(lengths: str) -> None:
    rng = np.random.default_rng(0)
    X = rng.random((15, 4))
    y = np.sin(3 * X[:, 0]) + X[:, 1] ** 2
    y = (y - y.mean()) / y.std()
    pri = _gp.prior(4, lengths, -8.0)
    theta = np.array([0.2, -1.0, -0.5, 0.3, 0.1, -5.0])
    err = check_grad(
        lambda t: _gp.neg_log_posterior(t, X, y, pri)[0], lambda t: _gp.neg_log_posterior(t, X, y, pri)[1], theta
    )
    assert err < 1e-4 * max(1.0, np.abs(_gp.neg_log_posterior(theta, X, y, pri)[1]).max())
    # The prior term is exactly the normal log density on theta: two priors differ by it alone.
    other = _gp.prior(4, "dim" if lengths == "local" else "local", -8.0)
    diff = _gp.neg_log_posterior(theta, X, y, pri)[0] - _gp.neg_log_posterior(theta, X, y, other)[0]
    expected = 0.5 * (((theta - pri[0]) / pri[1]) ** 2).sum() - 0.5 * (((theta - other[0]) / other[1]) ** 2).sum()
    assert diff == pytest.approx(expected, rel=1e-9)


def _noisy_study(incumbent: str) -> tuple[jhpo.Study, BayesStrategy]:
    space = {"x": jhpo.uniform(0.0, 1.0)}
    study = jhpo.Study(
        space,
        strategy="bayes",
        direction="minimize",
        seed=0,
        storage=":memory:",
        strategy_options={"incumbent": incumbent},
    )
    rng = np.random.default_rng(1)
    for x in np.repeat(np.linspace(0.0, 1.0, 9), 3):
        study.enqueue({"x": float(x)})
        trial = study.ask()
        # A smooth bowl measured three times at each point with noise, as a cross-validated
        # score could be: the model must average the repeats.
        study.tell(trial, float((x - 0.4) ** 2 + rng.normal(0.0, 0.03)))
    strategy = study.strategy
    assert isinstance(strategy, BayesStrategy)
    return study, strategy


def test_noisy_ei_incumbent_is_the_best_posterior_mean() -> None:
    study, strategy = _noisy_study("mean")
    model = strategy._model(study.trials)
    assert model is not None
    post = model.posterior
    mean_at_trials = post.predict(post.X)[0]
    assert model.best_z == pytest.approx(float(mean_at_trials.min()))
    # The luckiest noisy draw lies below what the model believes anywhere it has looked.
    assert model.best_z > float(post.y.min()) + 0.02


def test_plain_ei_incumbent_is_the_best_observation() -> None:
    study, strategy = _noisy_study("observed")
    model = strategy._model(study.trials)
    assert model is not None
    assert model.best_z == pytest.approx(float(model.posterior.y.min()))


def test_unknown_model_options_are_refused() -> None:
    space = jhpo.Space({"x": jhpo.uniform(0.0, 1.0)})
    with pytest.raises(ValueError, match="length_prior"):
        BayesStrategy(space, length_prior="long")
    with pytest.raises(ValueError, match="incumbent"):
        BayesStrategy(space, incumbent="best")
    with pytest.raises(ValueError, match="kernel"):
        BayesStrategy(space, kernel="linear")


@pytest.mark.parametrize("kind", _gp.KERNELS)
def test_each_kernel_has_exact_gradients_and_matches_scikit_learn(kind: str) -> None:
    rng = np.random.default_rng(2)
    X = rng.random((14, 3))
    y = np.cos(4 * X[:, 0]) + X[:, 2]
    y = (y - y.mean()) / y.std()
    theta = np.array([0.1, -0.8, 0.2, -0.3, -5.0])
    err = check_grad(
        lambda t: _gp.neg_log_posterior(t, X, y, None, kind)[0],
        lambda t: _gp.neg_log_posterior(t, X, y, None, kind)[1],
        theta,
    )
    assert err < 1e-4 * max(1.0, np.abs(_gp.neg_log_posterior(theta, X, y, None, kind)[1]).max())
    gp = _gp.fit_gp(X, y, [_gp.default_theta(3)], kind=kind)
    post = _gp.Posterior(gp)
    assert post.kind == kind
    Xc = rng.random((5, 3))
    mu, var = post.predict(Xc)
    np.testing.assert_allclose(mu, gp.predict(Xc), atol=1e-8)  # the same kernel as the regressor's
    _, _, dmu, dvar = post.predict_grad(Xc)
    step = np.zeros(3)
    step[1] = 1e-6
    mu2, var2 = post.predict(Xc + step)
    np.testing.assert_allclose((mu2 - mu) / 1e-6, dmu[:, 1], atol=1e-4)
    np.testing.assert_allclose((var2 - var) / 1e-6, dvar[:, 1], atol=1e-4)


def test_the_two_kernels_differ() -> None:
    r2 = np.array([0.0, 0.5, 2.0])
    m, _ = _gp.correlation(r2, "matern")
    r, _ = _gp.correlation(r2, "rbf")
    assert m[0] == r[0] == 1.0
    assert r[2] == pytest.approx(math.exp(-1.0))
    assert abs(m[2] - r[2]) > 0.01


def test_xi_raises_the_bar_for_expected_improvement() -> None:
    space = {"x": jhpo.uniform(0.0, 1.0)}
    picks = {}
    for xi in (0.0, 0.5):
        study = jhpo.Study(
            space, strategy="bayes", direction="minimize", seed=0, storage=":memory:", strategy_options={"xi": xi}
        )
        for x in (0.1, 0.3, 0.5, 0.7, 0.9):
            study.enqueue({"x": x})
            trial = study.ask()
            study.tell(trial, (x - 0.32) ** 2)
        trial = study.ask()
        picks[xi] = trial.info["why"]
    # The same model; the EI over a lower bar is smaller.
    assert picks[0.5]["log_ei"] < picks[0.0]["log_ei"]
