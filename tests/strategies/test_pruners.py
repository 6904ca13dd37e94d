from __future__ import annotations

from pathlib import Path

import pytest

import jhpo
from jhpo.strategies import make_pruner
from jhpo.strategies.pruners import MedianPruner
from jhpo.trial import TrialState


def run(study: jhpo.Study, slopes: list[float], steps: int = 10) -> None:
    """One trial per slope: reports slope * step at steps 1..steps."""
    for slope in slopes:
        study.enqueue({"x": slope})

    def fn(t: jhpo.Trial) -> float:
        v = 0.0
        for step in range(1, steps + 1):
            v = t.params["x"] * step
            jhpo.report(v if study.direction == "maximize" else -v, step)
        return v if study.direction == "maximize" else -v

    study.optimize(fn, n_trials=len(slopes))


def study(tmp_path: Path | None = None, direction: str = "maximize", **options: int) -> jhpo.Study:
    storage = ":memory:" if tmp_path is None else str(tmp_path / "p.db")
    return jhpo.Study(
        {"x": jhpo.uniform(0, 10)},
        strategy="random",
        direction=direction,
        seed=0,
        storage=storage,
        name="p",
        pruner=MedianPruner(direction=direction, **options),
    )


def test_prunes_an_obviously_bad_trial_and_not_a_good_one() -> None:
    s = study(n_startup_trials=3)
    run(s, [5.0, 4.0, 6.0, 0.5, 9.0])
    bad, good = s.trials[3], s.trials[4]
    assert bad.state is TrialState.PRUNED
    assert min(bad.intermediate) == 1 and max(bad.intermediate) == 1  # stopped at its first report
    assert "median pruner, step 1" in bad.error and "0.5 is below the median 5" in bad.error
    assert good.state is TrialState.COMPLETE and len(good.intermediate) == 10
    assert s.best_trial is good


def test_minimize_direction_and_the_study_passes_its_direction() -> None:
    s = jhpo.Study(
        {"x": jhpo.uniform(0, 10)}, strategy="random", direction="minimize", seed=0, storage=":memory:", pruner="median"
    )
    assert isinstance(s.pruner, MedianPruner) and s.pruner.direction == "minimize"
    s.pruner.n_startup_trials = 2
    run(s, [5.0, 4.0, 0.5, 9.0])  # reports -slope*step: 0.5 is the bad (highest loss) one when minimizing
    assert [t.state for t in s.trials] == [
        TrialState.COMPLETE,
        TrialState.COMPLETE,
        TrialState.PRUNED,
        TrialState.COMPLETE,
    ]
    assert "above the median" in s.trials[2].error


def test_startup_trials_and_warmup_steps_hold_it_back() -> None:
    s = study(n_startup_trials=5)
    run(s, [5.0, 4.0, 6.0, 0.5])
    assert all(t.state is TrialState.COMPLETE for t in s.trials)  # only 3 completed before the bad one
    s = study(n_startup_trials=1, n_warmup_steps=4)
    run(s, [5.0, 0.5])
    assert s.trials[1].state is TrialState.PRUNED and max(s.trials[1].intermediate) == 4


def test_best_so_far_is_compared_not_the_last_value() -> None:
    p = MedianPruner(n_startup_trials=1)
    done = jhpo.Trial(0, {"x": 1}, state=TrialState.COMPLETE, value=1.0, intermediate={1: 1.0, 2: 1.0})
    dip = jhpo.Trial(1, {"x": 1}, intermediate={1: 2.0, 2: 0.1})
    assert p.should_prune(dip, 2, [done, dip]) is None
    assert p.should_prune(jhpo.Trial(2, {"x": 1}, intermediate={2: 0.5}), 2, [done]) is not None


def test_pruned_and_failed_trials_everywhere(tmp_path: Path) -> None:
    s = study(tmp_path, n_startup_trials=2)
    run(s, [5.0, 4.0, 0.5])
    s.enqueue({"x": 1.0})
    s.optimize(lambda t: 1 / 0, n_trials=1)
    df = s.to_dataframe()
    assert list(df.state) == ["complete", "complete", "pruned", "failed"]
    assert df.value[2] == pytest.approx(0.5)  # the last report is kept
    assert s.best_value == pytest.approx(50.0)
    again = jhpo.Study(
        {"x": jhpo.uniform(0, 10)},
        strategy="random",
        seed=0,
        storage=str(tmp_path / "p.db"),
        name="p",
        resume=True,
        pruner="median",
    )
    assert [t.state for t in again.trials] == [
        TrialState.COMPLETE,
        TrialState.COMPLETE,
        TrialState.PRUNED,
        TrialState.FAILED,
    ]
    assert again.trials[2].error.startswith("median pruner")
    assert again.best_trial.number == 0


def test_bad_options_and_lookup() -> None:
    assert isinstance(make_pruner("median"), MedianPruner)
    with pytest.raises(ValueError, match="n_startup_trials >= 0"):
        MedianPruner(n_startup_trials=-1)
    with pytest.raises(ValueError, match="direction"):
        MedianPruner(direction="up")
    make_pruner("none", direction="minimize")  # the null pruner takes no options and ignores them
