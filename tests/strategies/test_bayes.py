"""Bayesian optimization: the contract, quality against random search, and the explain API."""

from __future__ import annotations

import math

import numpy as np
import pytest

import jhpo
from benchmarks import conditional
from jhpo.strategies import _gp
from jhpo.strategies.bayes import BayesStrategy
from jhpo.trial import Trial, TrialState
from tests.strategies.contract import StrategyContract


class TestBayesContract(StrategyContract):
    strategy = "bayes"


def _run(space: dict, fn, strategy: str, seed: int, n: int, direction: str = "minimize") -> jhpo.Study:
    study = jhpo.Study(space, strategy=strategy, direction=direction, seed=seed, storage=":memory:")
    study.optimize(fn, n_trials=n)
    return study


def _sphere(center: list[float]):
    def f(t: jhpo.Trial) -> float:
        x = np.array([t.params[f"x{i}"] for i in range(len(center))])
        return float(np.sum((x - np.array(center)) ** 2) + 0.05 * np.sum(np.cos(5 * x)))

    return f


@pytest.mark.parametrize("dim", [2, 6])
def test_beats_random_on_a_smooth_function(dim: int) -> None:
    space = {f"x{i}": jhpo.uniform(-1.0, 1.0) for i in range(dim)}
    fn = _sphere([0.3 - 0.1 * i for i in range(dim)])
    seeds = range(3)
    bayes = np.mean([_run(space, fn, "bayes", s, 25).best_value for s in seeds])
    rand = np.mean([_run(space, fn, "random", s, 25).best_value for s in seeds])
    from scipy.optimize import minimize

    center = np.array([0.3 - 0.1 * i for i in range(dim)])
    res = minimize(lambda x: fn(type("T", (), {"params": {f"x{i}": v for i, v in enumerate(x)}})()), center)
    # Not a coin flip: bayes ends at most half as far from the optimum as random search.
    assert bayes - res.fun < 0.5 * (rand - res.fun), (bayes, rand, res.fun)


def test_batch_is_distinct_and_spread() -> None:
    space = {"x": jhpo.uniform(0.0, 1.0), "y": jhpo.uniform(0.0, 1.0)}
    fn = _sphere([0.5, 0.5])
    fn2 = lambda t: fn(type("T", (), {"params": {"x0": t.params["x"], "x1": t.params["y"]}})())  # noqa: E731
    study = _run(space, fn2, "bayes", 0, 10)
    batch = study.ask_batch(5)
    U = np.array([[t.params["x"], t.params["y"]] for t in batch])
    dist = np.sqrt(((U[:, None] - U[None]) ** 2).sum(-1))[np.triu_indices(5, 1)]
    assert len({(t.params["x"], t.params["y"]) for t in batch}) == 5
    assert dist.min() > 0.02, dist  # kriging believer: no two picks on top of each other
    assert all(t.info["why"]["mode"] in ("exploit", "explore") for t in batch)


def test_failed_region_is_avoided() -> None:
    space = {"x": jhpo.uniform(0.0, 1.0), "y": jhpo.uniform(0.0, 1.0)}

    def fn(t: jhpo.Trial) -> float:
        if t.params["x"] > 0.5:
            raise RuntimeError("diverged")
        return (t.params["y"] - 0.5) ** 2 - 0.2 * t.params["x"]

    study = jhpo.Study(space, strategy="bayes", direction="minimize", seed=1, storage=":memory:")
    study.enqueue({"x": 0.2, "y": 0.2})
    study.optimize(fn, n_trials=30)
    later = study.trials[10:]
    failed = sum(t.state is TrialState.FAILED for t in later)
    assert failed <= len(later) // 4, [t.params for t in later if t.state is TrialState.FAILED]


def test_no_duplicates_in_a_small_discrete_space() -> None:
    space = {"a": jhpo.integer(1, 3), "b": jhpo.choice("x", "y"), "c": jhpo.choice(True, False)}
    study = _run(space, lambda t: t.params["a"] + (t.params["b"] == "x") + t.params["c"], "bayes", 0, 20)
    keys = [jhpo.Space(space).key(t.params) for t in study.trials]
    assert len(study.trials) == 12 and len(set(keys)) == 12
    assert study.stop_reason == "exhausted"


def test_suggestions_are_rebuildable_and_explained() -> None:
    space = {"lr": jhpo.loguniform(1e-4, 1.0), "n": jhpo.integer(1, 64, log=True), "act": jhpo.choice("a", "b")}
    study = _run(space, lambda t: (math.log10(t.params["lr"]) + 2) ** 2 + (t.params["act"] == "b"), "bayes", 5, 12)
    fresh = BayesStrategy(jhpo.Space(space), seed=5, direction="minimize")  # a resumed study
    a = study.strategy.suggest(study.trials, 2)
    b = fresh.suggest(study.trials, 2)
    assert [s.params for s in a] == [s.params for s in b]
    why = a[-1].info["why"]
    assert set(why) == {"mode", "ei", "log_ei", "mean", "std", "best", "text"}
    assert why["mode"] in ("exploit", "explore") and math.isfinite(why["log_ei"]) and why["std"] > 0
    assert why["best"] == study.best_value
    assert study.strategy.last_explanation == why
    # The exploit/explore rule: the mean-improvement part of EI against its uncertainty part.
    gain, spread = _gp.ei_parts(0.0, 0.1, 1.0)
    assert gain > spread
    gain, spread = _gp.ei_parts(1.0, 1.0, 0.0)
    assert gain < spread


def test_slice_shapes_and_interpolation() -> None:
    space = {
        "x": jhpo.uniform(0.0, 1.0),
        "k": jhpo.integer(1, 5),
        "c": jhpo.choice("a", "b", "c"),
        "lr": jhpo.loguniform(1e-3, 1.0),
    }

    def fn(t: jhpo.Trial) -> float:
        p = t.params
        return math.sin(6 * p["x"]) + 0.1 * p["k"] + (p["c"] == "b") + 0.2 * math.log10(p["lr"])

    study = _run(space, fn, "bayes", 0, 15, direction="maximize")
    strat: BayesStrategy = study.strategy  # type: ignore[assignment]
    s1 = strat.slice(study.trials, ["x"], resolution=40)
    assert s1["names"] == ["x"] and len(s1["axes"][0]) == 40
    assert s1["mean"].shape == s1["std"].shape == s1["acquisition"].shape == (40,)
    assert np.all(s1["std"] >= 0) and np.all(np.isfinite(s1["acquisition"]))
    assert strat.space.contains(s1["next"]) and len(s1["observed"]) == 15
    s2 = strat.slice(study.trials, ["k", "c"], resolution=30)
    assert s2["axes"] == [[1, 2, 3, 4, 5], ["a", "b", "c"]]
    assert s2["mean"].shape == s2["acquisition"].shape == (5, 3)
    s3 = strat.slice(study.trials, ["lr", "x"], resolution=20)
    assert s3["mean"].shape == (20, 20) and s3["axes"][0][0] == pytest.approx(1e-3)
    # The mean passes through the observations: slice through each observed point.
    best = study.best_trial
    for t in study.trials[:8]:
        s = strat.slice(study.trials, ["c"], fixed=t.params)
        i = s["axes"][0].index(t.params["c"])
        assert s["mean"][i] == pytest.approx(t.value, abs=0.05), (t.params, t.value)
    assert strat.slice(study.trials, "c")["observed"][0][1] == study.trials[0].value
    assert best is not None
    with pytest.raises(ValueError, match="one or two"):
        strat.slice(study.trials, ["x", "k", "c"])


def test_log_ei_is_finite_for_tiny_improvements() -> None:
    mu = np.zeros(7)
    sigma = np.ones(7)
    bests = np.array([-1e9, -1e6, -1e3, -40.0, -10.0, 0.0, 3.0])
    vals = np.array([_gp.log_ei(mu[:1], sigma[:1], b)[0] for b in bests])
    assert np.all(np.isfinite(vals)) and np.all(np.diff(vals) > 0)
    # Where the naive formula still works, it agrees.
    from scipy.stats import norm

    for z in (-10.0, -2.0, 0.5, 3.0):
        naive = math.log(norm.pdf(z) + z * norm.cdf(z))
        assert _gp.log_ei(np.array([0.0]), np.array([1.0]), z)[0] == pytest.approx(naive, rel=1e-9)
    val, d_mu, d_sigma = _gp.log_ei_grad(np.array([0.0]), np.array([1.0]), -30.0)
    assert np.isfinite(val).all() and d_mu[0] < 0 < d_sigma[0]


def test_mixed_categorical_and_continuous_space() -> None:
    space = {
        "opt": jhpo.choice("adam", "sgd", "rmsprop"),
        "x": jhpo.uniform(0.0, 1.0),
        "lr": jhpo.loguniform(1e-5, 1.0),
        "depth": jhpo.integer(1, 20),
        "aug": jhpo.choice(True, False),
    }
    centers = {"adam": (0.25, -2.5, 4, 0.0), "sgd": (0.7, -1.5, 9, 0.4), "rmsprop": (0.5, -3.0, 14, 0.6)}

    def fn(t: jhpo.Trial) -> float:
        p = t.params
        x0, l0, k0, off = centers[p["opt"]]
        return (
            6 * (p["x"] - x0) ** 2
            + 0.5 * (math.log10(p["lr"]) - l0) ** 2
            + ((p["depth"] - k0) / 6) ** 2
            + off
            + 0.2 * (not p["aug"])
        )

    wins = 0
    for seed in range(3):
        b = _run(space, fn, "bayes", seed, 25)
        r = _run(space, fn, "random", seed, 25)
        assert all(jhpo.Space(space).contains(t.params) for t in b.trials)
        wins += b.best_value < r.best_value
    assert wins >= 2


def test_orders_of_magnitude_and_running_trials() -> None:
    space = {"x": jhpo.uniform(-3.0, 3.0), "y": jhpo.uniform(-3.0, 3.0)}
    strat = BayesStrategy(jhpo.Space(space), seed=0, direction="minimize")
    rng = np.random.default_rng(0)
    trials = []
    for i in range(12):
        p = {"x": float(rng.uniform(-3, 3)), "y": float(rng.uniform(-3, 3))}
        value = 10 ** (p["x"] ** 2 + p["y"] ** 2)  # from 1 to 1e18
        trials.append(Trial(i, p, TrialState.COMPLETE, value))
    trials.append(Trial(12, {"x": 0.0, "y": 0.0}, TrialState.RUNNING))
    out = strat.suggest(trials, 3)
    assert len(out) == 3 and all(jhpo.Space(space).contains(s.params) for s in out)
    assert {"x": 0.0, "y": 0.0} not in [s.params for s in out]
    assert all(math.isfinite(s.info["why"]["mean"]) for s in out)


def test_encoding_rounds_like_the_space() -> None:
    from jhpo.strategies.bayes import _Encoder

    space = jhpo.Space(
        {
            "a": jhpo.integer(1, 7),
            "b": jhpo.integer(2, 300, log=True),
            "c": jhpo.uniform(0.0, 1.0, step=0.25),
            "d": jhpo.loguniform(1e-3, 1.0),
            "e": jhpo.choice("x", "y", "z"),
            "f": jhpo.choice(True),
        }
    )
    enc = _Encoder(space)
    U = np.random.default_rng(0).random((200, len(space)))
    direct = enc.features(U)
    via_params = enc.features(np.array([space.to_unit(space.from_unit(u)) for u in U]))
    assert direct.shape == (200, 4 + 3) and np.allclose(direct, via_params)
    assert enc.finite_size() is None
    assert _Encoder(jhpo.Space({"a": jhpo.integer(1, 7), "e": jhpo.choice("x", "y")})).finite_size() == 14


def _branin(t: jhpo.Trial) -> float:
    x1, x2 = t.params["x1"], t.params["x2"]
    b, c, r = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - r) * math.cos(x1) + 10


@pytest.mark.slow
def test_finds_the_branin_optimum_within_one_percent() -> None:
    # The regression bar of issue 19: within 1 % of the optimum (0.397887) in 30 trials, the
    # box centre (a cell's defaults) first, on at least 8 of 10 seeds.
    space = {"x1": jhpo.uniform(-5.0, 10.0), "x2": jhpo.uniform(0.0, 15.0)}
    best = []
    for seed in range(10):
        study = jhpo.Study(space, strategy="bayes", direction="minimize", seed=seed, storage=":memory:")
        study.enqueue({"x1": 2.5, "x2": 7.5}, {"baseline": True})
        study.optimize(_branin, n_trials=30)
        best.append(study.best_value)
    hits = sum(b <= 0.397887 * 1.01 for b in best)
    assert hits >= 8, np.round(best, 4)


@pytest.mark.slow
def test_a_conditional_search_finds_the_better_branch() -> None:
    # Two model families (benchmarks/conditional.py): A peaks at 0.8 with two parameters, B at 1.0
    # with three. The pessimistic prior mean must not settle on A after a few poor B trials: with
    # 5 initial points (instead of clip(d + 1, 5, 10) = 7) 2 of these 10 seeds stayed in A.
    found = []
    for seed in range(10):
        study = jhpo.Study(conditional.spaces()["tree"], strategy="bayes", seed=seed, storage=":memory:")
        study.optimize(lambda t: conditional.objective(t.params), n_trials=30)
        found.append(study.best_params["clf"] == "B" and study.best_value > 0.95)
    assert sum(found) >= 9, found


def test_the_initial_design_is_five_points_for_numbers_and_grows_with_a_choice() -> None:
    from jhpo.strategies.bayes import default_initial

    numbers = {f"x{k}": jhpo.uniform(0.0, 1.0) for k in range(8)}
    assert default_initial(jhpo.Space(numbers)) == 5
    assert default_initial(jhpo.Space({**numbers, "n": jhpo.integer(1, 9)})) == 5
    assert default_initial(jhpo.Space({**numbers, "fixed": jhpo.choice("only")})) == 5  # one level: not a choice
    assert default_initial(jhpo.Space({**numbers, "kind": jhpo.choice("a", "b")})) == 10
    assert default_initial(jhpo.Space({"x": jhpo.uniform(0, 1), "kind": jhpo.choice("a", "b")})) == 5
    assert default_initial(jhpo.Space({**{f"x{k}": jhpo.uniform(0, 1) for k in range(6)}, "k": jhpo.choice(1, 2)})) == 8

    # and the search does what the size says: the sixth trial of an 8-D space of numbers is the model's
    for space, first_model_pick in ((numbers, 5), ({**numbers, "kind": jhpo.choice("a", "b")}, 10)):
        study = jhpo.Study(space, strategy="bayes", seed=0, storage=":memory:", direction="minimize")
        study.optimize(lambda t: sum((v - 0.3) ** 2 for v in t.params.values() if isinstance(v, float)), n_trials=12)
        modes = [t.info["why"]["mode"] for t in study.trials]
        assert modes.index(next(m for m in modes if m != "initial")) == first_model_pick, modes
