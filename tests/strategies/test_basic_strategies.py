from __future__ import annotations

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
