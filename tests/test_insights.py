"""The insights layer: typed records read from the trials, never from a live strategy."""

from __future__ import annotations

import dataclasses
import math
import subprocess
import sys

import numpy as np
import pytest

import jhpo
from jhpo import insights
from jhpo.strategies import _STRATEGIES, _load
from jhpo.trial import Trial, TrialState


def _trial(n: int, value: float | None, state: TrialState = TrialState.COMPLETE, **info: object) -> Trial:
    return Trial(number=n, params={"x": 0.1 * n}, state=state, value=value, info=dict(info))


def test_insights_import_no_widgets_and_no_ipython() -> None:
    code = (
        "import sys, jhpo.insights; print(sorted(m for m in ('IPython', 'ipywidgets', 'bqplot') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("direction", ["maximize", "minimize"])
def test_history_best_line_and_failures_in_both_directions(direction: str) -> None:
    trials = [_trial(0, 1.0), _trial(1, 3.0), _trial(2, None, TrialState.FAILED), _trial(3, 2.0), _trial(4, 0.5)]
    h = insights.history(trials, direction)
    assert h.numbers == [0, 1, 3, 4] and h.failed_numbers == [2]
    best = 3.0 if direction == "maximize" else 0.5
    worst = 0.5 if direction == "maximize" else 3.0
    assert h.best_y[-1] == best and h.best_x[-1] == 4 and h.failed_y == [worst]


def test_every_strategy_declares_a_known_view() -> None:
    declared = {name: _load(path).view for name, path in _STRATEGIES.items()}
    assert all(v is None or v in insights.VIEWS for v in declared.values()), declared
    assert declared["bayes"] == "surrogate" and declared["genetic"] == "generations"
    assert declared["hyperband"] == declared["asha"] == "brackets" and declared["pbt"] == "population"
    assert declared["random"] is None and declared["grid"] is None


def test_surrogate_is_refitted_from_the_trials_not_read_from_the_live_strategy() -> None:
    study = jhpo.Study({"x": jhpo.uniform(-2, 2)}, strategy="bayes", seed=0, direction="minimize", storage=":memory:")
    study.optimize(lambda t: (t.params["x"] - 1) ** 2, n_trials=9)
    expected = study.strategy.slice(study.trials[:7], ["x"])

    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("a view called the live strategy")

    study.strategy.slice = refuse  # type: ignore[method-assign]
    s = insights.surrogate(study, study.trials[:7], "x")
    assert np.allclose(s.mean, expected["mean"]) and np.allclose(s.acquisition, expected["acquisition"])
    assert s.next == expected["next"] and len(s.observed) == 7
    xs, ys = s.observed_along("x")
    assert len(xs) == 7 and math.isclose(min(ys), min(t.value for t in study.trials[:7]))  # type: ignore[type-var]
    with pytest.raises(ValueError, match="no surrogate model"):
        insights.surrogate(jhpo.Study({"x": jhpo.uniform(0, 1)}, storage=":memory:", strategy="random"), [], "x")


def test_rungs_and_generations_agree_with_the_strategies_own_summaries() -> None:
    hb = jhpo.Study(
        {"x": jhpo.uniform(0, 1), "epochs": jhpo.resource(1, 27)}, strategy="hyperband", seed=0, storage=":memory:"
    )
    hb.optimize(lambda t: t.params["x"] * t.params["epochs"], n_trials=40)
    rows = [dataclasses.asdict(r) for r in insights.rungs(hb, hb.trials)]
    assert rows and rows == [{k: r[k] for k in rows[0]} for r in hb.strategy.schedule(hb.trials)]
    ga = jhpo.Study(
        {"x": jhpo.uniform(0, 1), "y": jhpo.uniform(0, 1)},
        strategy="genetic",
        seed=0,
        storage=":memory:",
        strategy_options={"population": 5},
    )
    ga.optimize(lambda t: t.params["x"] - t.params["y"], n_trials=23)
    g = insights.generations(ga.trials, ga.direction)
    assert g is not None
    summary = [dataclasses.asdict(s) for s in g.summary]
    theirs = ga.strategy.population_history(ga.trials)
    assert [{k: s[k] for k in summary[0]} for s in theirs] == summary
    with pytest.raises(ValueError, match="no brackets"):
        insights.rungs(ga, ga.trials)


def test_importance_says_why_it_has_no_shares() -> None:
    space = jhpo.Space({"x": jhpo.uniform(0, 1), "y": jhpo.uniform(0, 1)})
    few = insights.importance([_trial(0, 1.0)], space)
    assert few.shares == {} and few.reason and "at least" in few.reason and few.n_complete == 1


def test_choice_is_what_the_trial_recorded() -> None:
    t = _trial(
        3, 1.0, generation=0, operator="mutation", parents=[1, 2], rung=0, why={"mode": "explore", "text": "Explore"}
    )
    c = insights.choice(t)
    assert c.text == "Explore" and c.facts == {"rung": 0, "generation": 0, "operator": "mutation", "parents": [1, 2]}
    assert insights.choice(_trial(0, 1.0, baseline=True, parents=[])).facts == {"baseline": True}
