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
    with pytest.raises(ValueError, match="prior_mean"):
        BayesStrategy(space, prior_mean="best")


@pytest.mark.parametrize(("prior_mean", "expected"), [("worst", 5.0), ("mean", 2.8)])
def test_far_from_the_trials_the_model_expects_its_prior_mean(prior_mean: str, expected: float) -> None:
    # Five trials crowded at one end of the range; the far end is 0.75 away from all of them.
    study = jhpo.Study(
        {"x": jhpo.uniform(0.0, 1.0)},
        strategy="bayes",
        direction="minimize",
        seed=0,
        storage=":memory:",
        strategy_options={"prior_mean": prior_mean},
    )
    for x, value in zip((0.05, 0.1, 0.15, 0.2, 0.25), (3.0, 1.0, 4.0, 1.0, 5.0), strict=True):
        study.enqueue({"x": x})
        study.tell(study.ask(), value)
    strategy = study.strategy
    assert isinstance(strategy, BayesStrategy)
    view = strategy.slice(study.trials, "x")
    assert view["axes"][0][-1] == pytest.approx(1.0)
    # "worst": the worst value seen (5.0); "mean": the trials' average (2.8).
    assert view["mean"][-1] == pytest.approx(expected, abs=0.3)


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


# -- input warping (Kumaraswamy CDF on the numeric features) -----------------------------------


def _mixed_features(rng: np.random.Generator, n: int) -> np.ndarray:
    """Three numeric columns (with points on the cube's faces) and a two-level one-hot choice."""
    X = np.hstack([rng.random((n, 3)), np.eye(2)[rng.integers(0, 2, n)]])
    X[0, 0], X[1, 1], X[2, 2] = 0.0, 1.0, 0.0
    return X


@pytest.mark.parametrize("kind", _gp.KERNELS)
def test_warped_objective_has_exact_gradients_in_theta_and_warp(kind: str) -> None:
    rng = np.random.default_rng(4)
    X = _mixed_features(rng, 18)
    y = np.sin(6 * X[:, 0] ** 3) + np.sqrt(X[:, 1]) + X[:, 3]
    y = (y - y.mean()) / y.std()
    pri = _gp.prior(5, "dim", -8.0, warped=3)
    assert len(pri[0]) == 5 + 2 + 6
    # kernel theta, then log a and log b of the three numeric features
    theta = np.r_[0.2, -1.0, -0.5, 0.3, 0.1, 0.0, -5.0, 0.4, -0.3, 0.1, -0.2, 0.5, 0.3]

    def value(t: np.ndarray) -> float:
        return _gp.neg_log_posterior(t, X, y, pri, kind)[0]

    def grad(t: np.ndarray) -> np.ndarray:
        return _gp.neg_log_posterior(t, X, y, pri, kind)[1]

    assert check_grad(value, grad, theta) < 1e-4 * max(1.0, np.abs(grad(theta)).max())
    assert np.abs(grad(theta)[7:]).max() > 1e-2  # the warp's part is not trivially zero
    # At a = b = 1 the warp is the identity (up to BoTorch's eps clamp): the unwarped objective.
    plain = _gp.prior(5, "dim", -8.0)
    ident = np.r_[theta[:7], np.zeros(6)]
    unwarped = _gp.neg_log_posterior(theta[:7], X, y, plain, kind)[0]
    assert _gp.neg_log_posterior(ident, X, y, pri, kind)[0] == pytest.approx(unwarped, rel=1e-6)


def test_warped_posterior_gradients_match_finite_differences() -> None:
    rng = np.random.default_rng(5)
    X = _mixed_features(rng, 25)
    y = np.sin(8 * X[:, 0] ** 2) + np.sqrt(X[:, 2]) - X[:, 4]
    y = (y - y.mean()) / y.std()
    pri = _gp.prior(5, "dim", warped=3)
    gp = _gp.fit_gp(X, y, [_gp.default_theta(5, pri)], pri=pri, warped=3)
    assert isinstance(gp, _gp.WarpedRegressor)
    post = _gp.Posterior(gp)
    assert post.warp is not None and len(post.theta) == 13
    assert np.abs(post.warp.theta).max() > 0.05  # the fit moved the warp away from the identity
    Xc = _mixed_features(rng, 6)
    Xc[:3, :3] = rng.random((3, 3))  # interior points too
    mu, var = post.predict(Xc)
    np.testing.assert_allclose(mu, gp.predict(Xc), atol=1e-8)  # the regressor warps the same way
    _, _, dmu, dvar = post.predict_grad(np.clip(Xc, 1e-3, 1 - 1e-3))
    base = np.clip(Xc, 1e-3, 1 - 1e-3)
    h = 1e-6
    for j in range(3):
        step = np.zeros(5)
        step[j] = h
        (mu_hi, var_hi), (mu_lo, var_lo) = post.predict(base + step), post.predict(base - step)
        np.testing.assert_allclose((mu_hi - mu_lo) / (2 * h), dmu[:, j], rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose((var_hi - var_lo) / (2 * h), dvar[:, j], rtol=1e-4, atol=1e-5)
    # Believers are warped like the training points: no uncertainty left at them.
    fant = post.with_fantasies(Xc[:2])
    assert fant.predict(Xc[:2])[1].max() < 1e-4
    np.testing.assert_allclose(fant.X[-2:], Xc[:2])  # unwarped features kept for the candidates


@pytest.mark.parametrize(("shape", "stretch"), [(np.sqrt, "low"), (lambda x: x**3, "high")])
def test_the_warp_stretches_where_the_function_changes_fast(shape, stretch: str) -> None:
    # sin(12 sqrt(x)) oscillates fastest near 0, sin(12 x^3) near 1: a stationary kernel fits
    # neither well; the fitted warp must stretch that end (a < 1 near 0, a > 1 near 1) and the
    # warped model must predict better.
    rng = np.random.default_rng(3)
    X = rng.random((30, 1))
    f = lambda x: np.sin(12 * shape(x))  # noqa: E731
    mean, std = f(X[:, 0]).mean(), f(X[:, 0]).std()
    y = (f(X[:, 0]) - mean) / std
    pri = _gp.prior(1, "dim", warped=1)
    warped = _gp.fit_gp(X, y, [_gp.default_theta(1, pri)], pri=pri, warped=1)
    plain = _gp.fit_gp(X, y, [_gp.default_theta(1, _gp.prior(1, "dim"))], pri=_gp.prior(1, "dim"))
    a = math.exp(warped.warp.log_a[0])
    assert a < 0.7 if stretch == "low" else a > 1.5
    grid = np.linspace(0.0, 1.0, 201)[:, None]
    truth = (f(grid[:, 0]) - mean) / std
    rmse = [math.sqrt(((gp.predict(grid) - truth) ** 2).mean()) for gp in (warped, plain)]
    assert rmse[0] < 0.7 * rmse[1]


def _mixed_space() -> dict[str, object]:
    return {
        "lr": jhpo.loguniform(1e-4, 1.0),
        "depth": jhpo.integer(1, 12),
        "kind": jhpo.choice(["a", "b", "c"]),
    }


def _mixed_objective(trial: jhpo.Trial) -> float:
    p = trial.params
    return (math.log10(p["lr"]) + 2.2) ** 2 + (p["depth"] - 4) ** 2 / 20 + {"a": 0.3, "b": 0.0, "c": 0.6}[p["kind"]]


def _warped_study(seed: int) -> jhpo.Study:
    return jhpo.Study(
        _mixed_space(),
        strategy="bayes",
        direction="minimize",
        seed=seed,
        storage=":memory:",
        strategy_options={"input_warp": "kumaraswamy"},
    )


def test_a_warped_study_on_a_mixed_space_runs_without_duplicates() -> None:
    study = _warped_study(1)
    study.optimize(_mixed_objective, n_trials=15)
    assert len(study.trials) == 15
    assert all(t.state is jhpo.TrialState.COMPLETE for t in study.trials)
    keys = {(t.params["lr"], t.params["depth"], t.params["kind"]) for t in study.trials}
    assert len(keys) == 15
    strategy = study.strategy
    assert isinstance(strategy, BayesStrategy)
    # theta: scale, 2 numeric + 3 one-hot lengths, noise, then log a and log b of the 2 numeric features
    # (the kernel alone until ten trials have finished: too few points to learn a warp)
    thetas = [t.info["gp_theta"] for t in study.trials if "gp_theta" in t.info]
    assert {len(th) for th in thetas} == {7, 7 + 4}
    assert len(thetas[-1]) == 7 + 4 and np.abs(thetas[-1][7:]).max() > 0
    assert study.best_value < 0.6


def test_warm_start_reads_thetas_stored_with_or_without_the_warp() -> None:
    # theta: scale, 2 numeric + 3 one-hot lengths, noise (7), then the shared term's amplitude (the
    # default on a space with a choice) or the warp's log a and log b of the 2 numeric features
    plain = jhpo.Study(_mixed_space(), strategy="bayes", direction="minimize", seed=2, storage=":memory:")
    plain.optimize(_mixed_objective, n_trials=12)
    stored = plain.trials[-1].info["gp_theta"]
    assert len(stored) == 8
    space = jhpo.Space(_mixed_space())
    warped = BayesStrategy(space, direction="minimize", input_warp="kumaraswamy")
    assert warped.choice_kernel == "onehot"  # the warp does not combine with the shared term
    warm = warped._warm_theta(plain.trials)
    assert warm is not None
    np.testing.assert_allclose(warm, np.r_[stored[:7], np.zeros(4)])  # the kernel part + the identity warp
    onehot = BayesStrategy(space, direction="minimize", choice_kernel="onehot")
    one_warm = onehot._warm_theta(plain.trials)
    assert one_warm is not None
    np.testing.assert_allclose(one_warm, stored[:7])
    # A resumed study with the warp keeps going and stores the longer theta.
    warped_study = _warped_study(2)
    for t in plain.trials:
        warped_study.enqueue(t.params)
        warped_study.tell(warped_study.ask(), t.value)
    trial = warped_study.ask()
    assert len(trial.info["gp_theta"]) == 11
    # ... which a strategy without the warp reads back as its kernel part (+ the shared term's prior mode).
    default = BayesStrategy(space, direction="minimize")
    back = default._warm_theta([*warped_study.trials])
    assert back is not None
    np.testing.assert_allclose(back, np.r_[trial.info["gp_theta"][:7], default.prior[0][7]])
    back = onehot._warm_theta([*warped_study.trials])
    assert back is not None
    np.testing.assert_allclose(back, trial.info["gp_theta"][:7])


def test_warm_start_takes_only_a_theta_fitted_with_the_same_prior_mean() -> None:
    # A study resumed across a change of prior mean (or from before the worst became the default)
    # must not start its fits from a theta fitted to targets at another level.
    space = jhpo.Space(_mixed_space())
    average = jhpo.Study(
        _mixed_space(), strategy="bayes", direction="minimize", seed=2, storage=":memory:",
        strategy_options={"prior_mean": "mean"},
    )  # fmt: skip
    average.optimize(_mixed_objective, n_trials=12)
    assert average.trials[-1].info["gp_prior_mean"] == "mean"
    assert BayesStrategy(space, direction="minimize", prior_mean="worst")._warm_theta(average.trials) is None
    same = BayesStrategy(space, direction="minimize", prior_mean="mean")._warm_theta(average.trials)
    np.testing.assert_allclose(same, average.trials[-1].info["gp_theta"])  # type: ignore[arg-type]
    # stored before the key existed: fitted about the average
    legacy = [t for t in average.trials if "gp_theta" in t.info]
    for t in legacy:
        del t.info["gp_prior_mean"]
    assert BayesStrategy(space, direction="minimize")._warm_theta(legacy) is None
    assert BayesStrategy(space, direction="minimize", prior_mean="mean")._warm_theta(legacy) is not None
    # and a resumed worst-mean search stores its own, which it then starts from
    worst = jhpo.Study(_mixed_space(), strategy="bayes", direction="minimize", seed=2, storage=":memory:")
    for t in average.trials:
        worst.enqueue(t.params)
        worst.tell(worst.ask(), t.value)
    trial = worst.ask()
    assert trial.info["gp_prior_mean"] == "worst"
    np.testing.assert_allclose(worst.strategy._warm_theta([*worst.trials]), trial.info["gp_theta"])  # type: ignore[attr-defined]


def test_unknown_input_warp_is_refused() -> None:
    space = jhpo.Space({"x": jhpo.uniform(0.0, 1.0)})
    with pytest.raises(ValueError, match="input_warp"):
        BayesStrategy(space, input_warp="beta")
    with pytest.raises(ValueError, match="input_warp"):
        jhpo.Study({"x": jhpo.uniform(0.0, 1.0)}, strategy="bayes", strategy_options={"input_warp": "log"})


def _mixed_features(rng: np.random.Generator, n: int) -> np.ndarray:
    """Two numeric features, then a 3-level choice one-hot (the layout the encoder makes)."""
    return np.hstack([rng.random((n, 2)), np.eye(3)[rng.integers(0, 3, n)]])


@pytest.mark.parametrize("kind", _gp.KERNELS)
def test_the_shared_term_has_exact_gradients(kind: str) -> None:
    rng = np.random.default_rng(4)
    X = _mixed_features(rng, 16)
    y = np.cos(4 * X[:, 0]) + X[:, 1] * X[:, 2] - X[:, 3]
    y = (y - y.mean()) / y.std()
    pri = _gp.prior(5, "dim", shared=True)
    assert len(pri[0]) == 5 + 3  # scale, 5 lengths, noise, the shared term's amplitude
    theta = pri[0] + rng.normal(0.0, 0.3, len(pri[0]))
    err = check_grad(
        lambda t: _gp.neg_log_posterior(t, X, y, pri, kind, 2)[0],
        lambda t: _gp.neg_log_posterior(t, X, y, pri, kind, 2)[1],
        theta,
    )
    assert err < 1e-4 * max(1.0, np.abs(_gp.neg_log_posterior(theta, X, y, pri, kind, 2)[1]).max())
    post = _gp.fit_shared(X, y, [_gp.default_theta(5, pri)], 2, pri=pri, kind=kind)
    assert post.shared == 2 and post.s2b > 0
    Xc = _mixed_features(rng, 6)
    mu, var, dmu, dvar = post.predict_grad(Xc)
    np.testing.assert_allclose(post.predict(Xc)[0], mu, atol=1e-10)
    for j in range(2):  # the numeric columns: what L-BFGS-B moves
        step = np.zeros(5)
        step[j] = 1e-6
        mu2, var2 = post.predict(Xc + step)
        np.testing.assert_allclose((mu2 - mu) / 1e-6, dmu[:, j], atol=1e-4)
        np.testing.assert_allclose((var2 - var) / 1e-6, dvar[:, j], atol=1e-4)
    # a believer removes the uncertainty where it stands, with both terms
    assert post.with_fantasies(Xc[:2]).predict(Xc[:2])[1].max() < 1e-5 < var[:2].min()


def test_without_its_amplitude_the_shared_model_is_the_one_kernel_model() -> None:
    # The algebra of the two terms against scikit-learn's regressor: with the shared amplitude at
    # nothing, the posterior must be the regressor's own.
    rng = np.random.default_rng(5)
    X = _mixed_features(rng, 12)
    y = np.sin(5 * X[:, 0]) + X[:, 4]
    theta = np.array([0.2, -0.5, 0.1, 0.4, 0.4, 0.4, -6.0])
    gp = _gp.fit_gp(X, y, [theta], maxiter=0)
    Xc = _mixed_features(rng, 5)
    one = _gp.Posterior(gp).predict(Xc)
    both = _gp.Posterior.from_theta(X, y, np.r_[theta, math.log(1e-12)], "matern", 2).predict(Xc)
    np.testing.assert_allclose(both[0], one[0], atol=1e-8)
    np.testing.assert_allclose(both[1], one[1], atol=1e-8)
    np.testing.assert_allclose(both[0], gp.predict(Xc), atol=1e-8)
    # and with it, what the numeric features say reaches every level: the same point under another
    # level is more alike than the one kernel alone makes it
    shared = _gp.Posterior.from_theta(X, y, np.r_[theta, 0.0], "matern", 2)
    a, b = X[:1].copy(), X[:1].copy()
    b[0, 2:] = np.roll(a[0, 2:], 1)
    corr = {name: p._cov(a, b)[0, 0] / p._cov(a, a)[0, 0] for name, p in (("one", _gp.Posterior(gp)), ("both", shared))}
    assert corr["both"] > corr["one"] + 0.2, corr


def test_the_shared_term_is_only_for_spaces_with_a_choice_and_numbers() -> None:
    numbers = jhpo.Space({"x": jhpo.uniform(0.0, 1.0), "n": jhpo.integer(1, 9)})
    assert BayesStrategy(numbers).shared == 0  # nothing to share across: the one kernel
    assert BayesStrategy(jhpo.Space({"k": jhpo.choice("a", "b")})).shared == 0
    mixed = jhpo.Space(_mixed_space())
    assert BayesStrategy(mixed).shared == 2 and BayesStrategy(mixed).choice_kernel == "shared"
    assert BayesStrategy(mixed, choice_kernel="onehot").shared == 0
    assert BayesStrategy(mixed, input_warp="kumaraswamy").choice_kernel == "onehot"
    with pytest.raises(ValueError, match="choice_kernel='shared' does not combine with input_warp"):
        BayesStrategy(mixed, input_warp="kumaraswamy", choice_kernel="shared")
    with pytest.raises(ValueError, match="choice_kernel must be one of"):
        BayesStrategy(mixed, choice_kernel="hamming")

    # on a space of numbers the option changes nothing: the same proposals
    def run(kernel: str) -> list[dict]:
        study = jhpo.Study(
            {"x": jhpo.uniform(0.0, 1.0), "n": jhpo.integer(1, 9)},
            strategy="bayes",
            seed=3,
            storage=":memory:",
            direction="minimize",
            strategy_options={"choice_kernel": kernel},
        )
        study.optimize(lambda t: (t.params["x"] - 0.3) ** 2 + (t.params["n"] - 4) ** 2 / 50, n_trials=10)
        return [t.params for t in study.trials]

    assert run("shared") == run("onehot")
