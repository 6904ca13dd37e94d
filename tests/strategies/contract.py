"""The contract every strategy passes. Subclass ``StrategyContract`` and set ``strategy``
(and ``options`` if needed); pytest collects the tests from the subclass.

    class TestRandom(StrategyContract):
        strategy = "random"
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import jhpo
from jhpo.trial import TrialState

MIXED = {
    "lr": jhpo.loguniform(1e-4, 1e-1),
    "momentum": jhpo.uniform(0.0, 0.99),
    "dropout": jhpo.uniform(0.0, 0.5, step=0.1),
    "layers": jhpo.integer(1, 4),
    "units": jhpo.integer(8, 512, log=True),
    "batch": jhpo.integer(16, 256, step=16),
    "act": jhpo.choice("relu", "tanh", "gelu"),
    "bn": jhpo.choice(True, False),
}


def objective(t: jhpo.Trial) -> float:
    p = t.params
    return (
        -((math.log10(p["lr"]) + 2.5) ** 2)
        - (p["momentum"] - 0.9) ** 2
        - abs(p["layers"] - 2)
        - abs(math.log2(p["units"]) - 7)
        + (p["act"] == "gelu")
        + 0.1 * p["bn"]
        - p["dropout"]
    )


class StrategyContract:
    strategy: ClassVar[str] = ""
    options: ClassVar[dict[str, Any]] = {}
    n: ClassVar[int] = 25

    def study(self, space: Any = MIXED, seed: int | None = 0, direction: str = "maximize") -> jhpo.Study:
        return jhpo.Study(
            space,
            strategy=self.strategy,
            direction=direction,
            seed=seed,
            storage=":memory:",
            strategy_options=dict(self.options),
        )

    def test_stays_inside_the_space(self) -> None:
        s = self.study()
        s.optimize(objective, n_trials=self.n)
        space = jhpo.Space(MIXED)
        assert len(s.trials) == self.n
        for t in s.trials:
            assert space.contains(t.params), (t.number, t.params)
            assert isinstance(t.params["layers"], int) and isinstance(t.params["units"], int)
            assert (t.params["batch"] - 16) % 16 == 0

    def test_repeatable_under_a_seed(self) -> None:
        a, b, c = self.study(seed=3), self.study(seed=3), self.study(seed=4)
        for s in (a, b, c):
            s.optimize(objective, n_trials=12)
        assert [t.params for t in a.trials] == [t.params for t in b.trials]
        assert [t.params for t in a.trials] != [t.params for t in c.trials]

    def test_survives_failed_and_pruned_trials(self) -> None:
        def flaky(t: jhpo.Trial) -> float:
            if t.number % 3 == 1:
                raise RuntimeError("boom")
            if t.number % 3 == 2:
                raise jhpo.TrialPruned("test")
            return objective(t)

        s = self.study()
        s.enqueue(
            {
                "lr": 1e-2,
                "momentum": 0.5,
                "dropout": 0.0,
                "layers": 1,
                "units": 8,
                "batch": 16,
                "act": "relu",
                "bn": True,
            }
        )
        s.optimize(flaky, n_trials=self.n)
        states = {t.state for t in s.trials}
        assert {TrialState.FAILED, TrialState.PRUNED, TrialState.COMPLETE} <= states
        assert len(s.trials) == self.n
        assert all(jhpo.Space(MIXED).contains(t.params) for t in s.trials)

    def test_all_failed_is_survivable_through_tell(self) -> None:
        s = self.study()
        for _ in range(8):
            t = s.ask()
            s.tell(t, state="failed", error="x")
        assert len(s.trials) == 8

    def test_one_point_space(self) -> None:
        s = self.study(space={"only": jhpo.choice("x")})
        s.optimize(lambda t: 1.0, n_trials=3)
        assert 1 <= len(s.trials) <= 3
        assert all(t.params == {"only": "x"} for t in s.trials)

    def test_honours_the_count_and_batches(self) -> None:
        s = self.study(direction="minimize")
        s.optimize(lambda t: -objective(t), n_trials=7)
        assert len(s.trials) == 7
        batch = s.ask_batch(4)
        assert len(batch) == 4
        assert all(jhpo.Space(MIXED).contains(t.params) for t in batch)
        for t in batch:
            s.tell(t, -objective(t))
        assert s.best_value == min(t.value for t in s.trials)
