from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import jhpo

from .contract import StrategyContract


class TestRandom(StrategyContract):
    strategy = "random"


class TestSobol(StrategyContract):
    strategy = "sobol"


class TestGrid(StrategyContract):
    strategy = "grid"
    options = {"grid_points": 3}

    def test_repeatable_under_a_seed(self) -> None:
        # A grid does not depend on the seed: the same walk every time.
        a, b = self.study(seed=3), self.study(seed=4)
        for s in (a, b):
            s.optimize(lambda t: 0.0, n_trials=12)
        assert [t.params for t in a.trials] == [t.params for t in b.trials]


def test_grid_covers_every_combination_then_stops() -> None:
    space = {"a": jhpo.choice("x", "y"), "n": jhpo.integer(1, 3), "f": jhpo.loguniform(1e-3, 1e-1)}
    s = jhpo.Study(space, strategy="grid", storage=":memory:", strategy_options={"grid_points": 3})
    s.optimize(lambda t: 0.0, n_trials=100)
    assert len(s.trials) == 2 * 3 * 3
    assert s.stop_reason == "exhausted"
    fs = sorted({t.params["f"] for t in s.trials})
    assert [round(f, 6) for f in fs] == [0.001, 0.01, 0.1]  # log-spaced levels
    assert len({tuple(t.params.values()) for t in s.trials}) == 18


def test_sobol_points_are_more_even_than_random() -> None:
    import numpy as np

    space = {"x": jhpo.uniform(0, 1), "y": jhpo.uniform(0, 1)}
    gaps = {}
    for name in ("sobol", "random"):
        worst = []
        for seed in range(5):
            s = jhpo.Study(space, strategy=name, seed=seed, storage=":memory:")
            s.optimize(lambda t: 0.0, n_trials=64)
            pts = np.array([[t.params["x"], t.params["y"]] for t in s.trials])
            counts = np.histogram2d(pts[:, 0], pts[:, 1], bins=4, range=[[0, 1], [0, 1]])[0]
            worst.append(np.abs(counts - 4).max())
        gaps[name] = np.mean(worst)
    assert gaps["sobol"] < gaps["random"]


# -- a grid that respects the budget --------------------------------------------------------

BUDGET_SPACE = {
    "depth": jhpo.integer(1, 30),
    "lr": jhpo.loguniform(1e-4, 1.0),
    "frac": jhpo.uniform(0.05, 1.0),
    "kind": jhpo.choice("gini", "entropy", "log_loss"),
}


def _levels(trials: list[jhpo.Trial]) -> dict[str, set[object]]:
    return {name: {t.params[name] for t in trials} for name in trials[0].params}


def test_grid_fits_the_budget_and_every_parameter_varies() -> None:
    # The full grid has 30 * 5 * 5 * 3 = 2,250 points; 30 trials (one the baseline) must still
    # vary every parameter, not only the last one as a lexicographic walk would.
    space = jhpo.Space(BUDGET_SPACE)
    assert space.grid_size(5) == 2250
    opts = {"n_trials": 30, "fit": "levels"}
    with pytest.warns(UserWarning, match="smaller than the full grid"):
        s = jhpo.Study(BUDGET_SPACE, strategy="grid", storage=":memory:", strategy_options=opts)
    s.optimize(lambda t: 0.0, n_trials=30)
    assert len(s.trials) <= 30 and s.stop_reason == "exhausted"  # the fitted grid is used up within budget
    levels = _levels(s.trials)
    assert all(len(v) >= 2 for v in levels.values()), levels
    assert levels["kind"] == {"gini", "entropy", "log_loss"}  # a choice keeps every value
    assert len(levels["lr"]) >= len(levels["frac"])  # a log range gets at least as many levels
    assert len(s.trials) == math.prod(len(v) for v in levels.values())  # a full factorial of those levels


def test_grid_counts_the_baseline_against_the_budget() -> None:
    space = {"x": jhpo.uniform(0.0, 1.0), "y": jhpo.uniform(0.0, 1.0)}  # 5 x 5 = 25 points
    full = jhpo.Study(space, strategy="grid", storage=":memory:", strategy_options={"n_trials": 25})
    full.optimize(lambda t: 0.0, n_trials=25)
    assert len(full.trials) == 25  # the whole grid fits: no note, the usual grid
    opts = {"n_trials": 25, "baseline": True, "fit": "levels"}
    with pytest.warns(UserWarning, match="5 x 4 levels"):
        s = jhpo.Study(space, strategy="grid", storage=":memory:", strategy_options=opts)
    s.enqueue({"x": 0.33, "y": 0.66}, {"baseline": True})
    s.optimize(lambda t: 0.0, n_trials=25)
    assert len(s.trials) == 1 + 20 and s.stop_reason == "exhausted"
    # By default the full grid is visited in a space-filling order: the whole budget is spent.
    with pytest.warns(UserWarning, match="space-filling order"):
        s = jhpo.Study(space, strategy="grid", storage=":memory:", strategy_options={"n_trials": 25, "baseline": True})
    s.enqueue({"x": 0.33, "y": 0.66}, {"baseline": True})
    s.optimize(lambda t: 0.0, n_trials=25)
    assert len(s.trials) == 25 and len({(t.params["x"], t.params["y"]) for t in s.trials}) == 25


def test_grid_too_large_for_two_levels_is_visited_in_a_spread_order() -> None:
    space = {f"x{i}": jhpo.uniform(0.0, 1.0) for i in range(8)}  # 2^8 = 256 points even at two levels
    with pytest.warns(UserWarning, match="space-filling order"):
        s = jhpo.Study(space, strategy="grid", storage=":memory:", strategy_options={"n_trials": 20})
    s.optimize(lambda t: 0.0, n_trials=20)
    assert all(len(v) >= 2 for v in _levels(s.trials[:2]).values())  # every parameter varies from the start
    grid = jhpo.Space(space).grid_levels(20)["x0"]
    for name in space:  # and takes most of the 20 levels (one per trial) that a 20-trial walk has
        values = np.unique([t.params[name] for t in s.trials])
        assert len(values) >= 12 and set(values) <= set(grid), (name, values)


def test_grid_larger_than_the_budget_takes_one_level_per_trial() -> None:
    # Issue 19: with 5 levels per number, 30 trials of the MLP grid bought the same learning rates
    # over and over and ended below random search. A walk of B points takes B levels per number
    # (spaced as the full grid's, ends included) or every integer when it has no more than B.
    mlp = SUITE_SPACES["mlp"]
    with pytest.warns(UserWarning, match="finer levels"):
        g = jhpo.strategies.grid.GridStrategy(jhpo.Space(mlp), seed=3, n_trials=30, baseline=True)
    budget = 29
    assert len(g.levels["alpha"]) == len(g.levels["lr"]) == budget and len(g.levels["activation"]) == 3
    assert g.levels["lr"] == jhpo.Space(mlp).grid_levels(budget)["lr"]  # log-spaced, 1e-4 to 1
    tree = jhpo.Space(SUITE_SPACES["tree"])
    with pytest.warns(UserWarning, match="finer levels"):
        g = jhpo.strategies.grid.GridStrategy(tree, n_trials=30)
    assert g.levels["max_depth"] == list(range(1, 31)) and g.levels["min_samples_leaf"] == list(range(1, 21))
    split = g.levels["min_samples_split"]  # 39 integers: 30 spread levels, the ends included
    assert 25 <= len(split) <= 30 and split[0] == 2 and split[-1] == 40
    # The walk's first B points give every float nearly B distinct values, as random draws would.
    with pytest.warns(UserWarning, match="finer levels"):
        s = jhpo.Study(mlp, strategy="grid", seed=3, storage=":memory:", strategy_options={"n_trials": 30})
    s.optimize(lambda t: 0.0, n_trials=30)
    for name in ("alpha", "lr"):
        assert len({t.params[name] for t in s.trials}) >= 24, name
    # A budget that holds the full grid keeps the usual 5 levels.
    small = jhpo.Study(mlp, strategy="grid", storage=":memory:", strategy_options={"n_trials": 375})
    assert len(small.strategy.levels["lr"]) == 5


SUITE_SPACES = {  # the spaces of benchmarks/problems.py whose grids exceed 30 trials
    "svc": {"C": jhpo.loguniform(1e-3, 1e3), "gamma": jhpo.loguniform(1e-6, 1.0), "kernel": jhpo.choice("a", "b", "c")},
    "tree": {
        "max_depth": jhpo.integer(1, 30),
        "min_samples_split": jhpo.integer(2, 40),
        "min_samples_leaf": jhpo.integer(1, 20),
        "max_features": jhpo.uniform(0.05, 1.0),
        "criterion": jhpo.choice("gini", "entropy"),
    },
    "mlp": {
        "units": jhpo.integer(4, 256, log=True),
        "alpha": jhpo.loguniform(1e-6, 10.0),
        "lr": jhpo.loguniform(1e-4, 1.0),
        "activation": jhpo.choice("relu", "tanh", "logistic"),
    },
    "hartmann6": {f"x{k}": jhpo.uniform(0.0, 1.0) for k in range(6)},
    "mixed": {
        "optimizer": jhpo.choice("adam", "sgd", "rmsprop"),
        "x": jhpo.uniform(0.0, 1.0),
        "depth": jhpo.integer(1, 20),
        "augment": jhpo.choice(True, False),
    },
}


@pytest.mark.parametrize("name", list(SUITE_SPACES))
@pytest.mark.parametrize("fit", ["order", "levels"])
def test_every_parameter_varies_within_the_budget(name: str, fit: str) -> None:
    # Regression (issue 19): a lexicographic walk of 30 trials kept max_depth=1 on every trial.
    # Within any budget of at least 5 trials (the baseline and 4 grid points) every parameter
    # takes at least 2 levels, whatever the seed.
    space = SUITE_SPACES[name]
    for budget in (5, 12, 30):
        for seed in (None, 7):
            opts = {"n_trials": budget, "baseline": True, "fit": fit}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the note that the grid is larger than the budget
                s = jhpo.Study(space, strategy="grid", seed=seed, storage=":memory:", strategy_options=opts)
            s.enqueue({k: d.from_unit(0.5) for k, d in jhpo.Space(space).items()}, {"baseline": True})
            s.optimize(lambda t: 0.0, n_trials=budget)
            levels = _levels(s.trials[1:])
            assert all(len(v) >= 2 for v in levels.values()), (name, budget, seed, levels)


def test_grid_order_is_seeded_and_repeatable() -> None:
    def walk(seed: int | None) -> list[dict[str, object]]:
        with pytest.warns(UserWarning, match="space-filling order"):
            s = jhpo.Study(
                BUDGET_SPACE, strategy="grid", seed=seed, storage=":memory:", strategy_options={"n_trials": 12}
            )
        s.optimize(lambda t: 0.0, n_trials=12)
        return [t.params for t in s.trials]

    assert walk(None) == walk(None) and walk(3) == walk(3)  # a grid without a seed repeats its walk
    assert walk(3) != walk(4)  # a seed scrambles the order, as it changes every other strategy's points


def test_grid_in_order_mode_walks_the_full_grid_spread_out() -> None:
    opts = {"n_trials": 30, "fit": "order", "grid_points": 3}
    with pytest.warns(UserWarning, match="space-filling order"):
        s = jhpo.Study(BUDGET_SPACE, strategy="grid", storage=":memory:", strategy_options=opts)
    s.optimize(lambda t: 0.0, n_trials=30)
    levels = _levels(s.trials)
    assert len(levels["depth"]) >= 15 and len(levels["lr"]) >= 20 and len(levels["kind"]) == 3
    # The same strategy without a budget walks the whole grid, each point once.
    full = jhpo.Study(BUDGET_SPACE, strategy="grid", storage=":memory:", strategy_options={"grid_points": 2})
    full.optimize(lambda t: 0.0, n_trials=1000)
    assert len({tuple(t.params.values()) for t in full.trials}) == len(full.trials) == 30 * 2 * 2 * 3


def test_grid_magic_fits_trials_and_says_so(ip) -> None:  # type: ignore[no-untyped-def]
    ip.run_cell("def depth_penalty(d):\n    return abs(d - 12) / 30")  # an earlier cell
    cell = (
        "depth = 30  # tune: integer(1, 30)\n"
        "lr = 0.1  # tune: loguniform(1e-4, 1.0)\n"
        "frac = 1.0  # tune: uniform(0.05, 1.0)\n"
        "kind = 'gini'  # tune: choice('gini', 'entropy', 'log_loss')\n"
        "score = -depth_penalty(depth) - abs(lr - 0.01) - (kind != 'entropy')\n"
    )
    with pytest.warns(UserWarning, match="space-filling order"):
        res = ip.run_cell_magic("tune", "--strategy grid --trials 30 --maximize score --quiet", cell)
    df = res.to_dataframe()
    assert len(df) <= 30
    assert all(df[f"params_{n}"].nunique() >= 2 for n in ("depth", "lr", "frac", "kind"))
    assert res.best_params["kind"] == "entropy"


def test_grid_resumed_with_a_larger_budget_still_visits_every_point(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # 30 trials walk the 75-point grid in a space-filling order; resumed with --trials 100 the walk is
    # lexicographic: its indices are not the first walk's, so it must not skip points by index.
    space = {"C": jhpo.loguniform(1e-3, 1e3), "g": jhpo.loguniform(1e-6, 1.0), "k": jhpo.choice("a", "b", "c")}
    db = str(tmp_path / "s.db")
    with pytest.warns(UserWarning, match="space-filling order"):
        s = jhpo.Study(space, strategy="grid", storage=db, name="g", strategy_options={"n_trials": 30})
    s.optimize(lambda t: 0.0, n_trials=30)
    again = jhpo.Study(space, strategy="grid", storage=db, name="g", resume=True, strategy_options={"n_trials": 100})
    again.optimize(lambda t: 0.0, n_trials=100)
    # The first 30 trials took finer levels than the 75-point grid (one per trial), so none of them is
    # a grid point: the resumed walk visits all 75, each once, and is then exhausted.
    keys = {tuple(t.params.values()) for t in again.trials[30:]}
    assert len(keys) == len(again.trials) - 30 == 75 and again.stop_reason == "exhausted"
