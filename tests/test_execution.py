"""The one search loop (jhpo.execution.loop): the same stop, pause, timeout, fail-fast and Ctrl-C rules
whatever runs the trials. Thread pools stand in for workers here: they run the same worker code as
processes and Dask (tests/test_executors.py and tests/test_dask.py run the real ones)."""

from __future__ import annotations

import concurrent.futures as cf
import threading
import time
from typing import Any

import pytest

import jhpo
from jhpo.cell import TuneOptions, tune_cell
from jhpo.execution import InProcess, Limits, run_search
from jhpo.study import SearchAborted, StudyObserver
from jhpo.trial import Trial, TrialState

SPACE = {"x": jhpo.uniform(-2, 2)}
EXECUTIONS = ["inline", "threads"]


def _study(**kw: Any) -> jhpo.Study:
    return jhpo.Study(SPACE, strategy=kw.pop("strategy", "random"), seed=0, storage=":memory:", **kw)


def _optimize(study: jhpo.Study, how: str, fn: Any, **kw: Any) -> None:
    if how == "inline":
        study.optimize(fn, **kw)
    else:
        with cf.ThreadPoolExecutor(2) as pool:
            study.optimize(fn, executor=pool, **kw)


class Events(StudyObserver):
    """Records every event, in order; ``pause_after`` pauses the study when that many trials ended."""

    def __init__(self, pause_after: int | None = None, resume_after: int = 3, stop_instead: bool = False) -> None:
        self.log: list[tuple[str, Any]] = []
        self.pause_after, self.resume_after, self.stop_instead = pause_after, resume_after, stop_instead
        self.paused_calls = 0
        self.started_while_paused: list[int] = []

    def on_search_start(self, study: jhpo.Study, n_trials: int | None) -> None:
        self.log.append(("search_start", n_trials))

    def on_trial_start(self, study: jhpo.Study, trial: Trial) -> None:
        if study.paused:
            self.started_while_paused.append(trial.number)
        self.log.append(("start", trial.number))

    def on_trial_end(self, study: jhpo.Study, trial: Trial) -> None:
        self.log.append(("end", trial.number))
        if self.pause_after is not None and sum(k == "end" for k, _ in self.log) == self.pause_after:
            study.pause()

    def on_paused(self, study: jhpo.Study) -> None:
        self.paused_calls += 1
        if self.paused_calls >= self.resume_after:
            study.stop() if self.stop_instead else study.resume()

    def on_search_end(self, study: jhpo.Study, reason: str) -> None:
        self.log.append(("search_end", reason))


def _x(trial: Trial) -> float:
    time.sleep(0.01)
    return float(trial.params["x"])  # type: ignore[arg-type]


@pytest.mark.parametrize("how", EXECUTIONS)
def test_pause_holds_new_trials_until_resume(how: str) -> None:
    study, events = _study(), Events(pause_after=2, resume_after=4)
    study.observers.append(events)
    _optimize(study, how, _x, n_trials=6)
    assert study.stop_reason == "done" and len(study.trials) == 6
    assert events.paused_calls >= 4  # the loop waited, letting the observer look for Resume
    assert events.started_while_paused == []  # nothing started while paused
    assert not study.paused  # a pause ends with its search


@pytest.mark.parametrize("how", EXECUTIONS)
def test_stop_while_paused_ends_the_search(how: str) -> None:
    study, events = _study(), Events(pause_after=1, resume_after=2, stop_instead=True)
    study.observers.append(events)
    _optimize(study, how, _x, n_trials=20)
    assert study.stop_reason == "stopped" and len(study.trials) < 20
    assert all(t.state is TrialState.COMPLETE for t in study.trials)  # trials in flight finished
    assert events.log[0] == ("search_start", 20) and events.log[-1] == ("search_end", "stopped")


@pytest.mark.parametrize("how", EXECUTIONS)
def test_every_trial_starts_before_it_ends_and_the_search_ends_once(how: str) -> None:
    study, events = _study(), Events()
    study.observers.append(events)
    _optimize(study, how, _x, n_trials=5)
    starts = [n for k, n in events.log if k == "start"]
    ends = [n for k, n in events.log if k == "end"]
    assert sorted(starts) == sorted(ends) == [0, 1, 2, 3, 4]
    assert all(events.log.index(("start", n)) < events.log.index(("end", n)) for n in starts)
    assert [k for k, _ in events.log].count("search_end") == 1


@pytest.mark.parametrize("how", EXECUTIONS)
def test_the_first_three_failures_abort_the_same_way(how: str) -> None:
    def bad(trial: Trial) -> float:
        raise ValueError(f"no good {trial.number}")

    study = _study()
    with pytest.raises(SearchAborted, match="first 3 trials all failed") as info:
        _optimize(study, how, bad, n_trials=10)
    assert study.stop_reason == "aborted" and "ValueError: no good" in str(info.value)
    assert len(study.trials) <= 4  # at most the trials already in flight besides the three
    assert all(t.state in (TrialState.FAILED, TrialState.INTERRUPTED) for t in study.trials)


@pytest.mark.parametrize("how", EXECUTIONS)
def test_timeout_and_exhaustion_end_the_search(how: str) -> None:
    slow = _study()
    _optimize(slow, how, lambda t: time.sleep(0.05) or 1.0, timeout=0.3)
    assert slow.stop_reason == "timeout" and 2 <= len(slow.trials) <= 16
    grid = jhpo.Study({"k": jhpo.choice(1, 2, 3)}, strategy="grid", storage=":memory:")
    _optimize(grid, how, lambda t: float(t.params["k"]), n_trials=10)
    assert grid.stop_reason == "exhausted" and len(grid.trials) == 3


def test_ctrl_c_in_process_marks_the_trial_interrupted_and_returns() -> None:
    def ctrl_c(trial: Trial) -> float:
        if trial.number == 2:
            raise KeyboardInterrupt
        return 1.0

    study = _study()
    study.optimize(ctrl_c, n_trials=10)
    assert study.stop_reason == "interrupted"
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 2 + [TrialState.INTERRUPTED]


class Batches:
    """A hand-written execution (the protocol is all the loop needs): runs trials two at a time,
    the second of each pair first, each on its own thread."""

    def __init__(self, fn: Any) -> None:
        self.fn, self.pending, self.off_main = fn, [], list[bool]()

    def free(self) -> int:
        return 2 - len(self.pending)

    def submit(self, study: jhpo.Study, trials: list[Trial]) -> None:
        self.pending.extend(trials)

    def collect(self, study: jhpo.Study) -> list[Trial]:
        out = []
        for trial in reversed(self.pending):
            value: list[float] = []
            thread = threading.Thread(target=lambda t=trial, v=value: v.append(self._run(t)))
            thread.start()
            thread.join()
            out.append(study.tell(trial, value[0]))
        self.pending.clear()
        return out

    def _run(self, trial: Trial) -> float:
        self.off_main.append(threading.current_thread() is not threading.main_thread())
        return float(self.fn(trial))

    def busy(self) -> bool:
        return bool(self.pending)

    def starting(self) -> bool:
        return False

    def status(self) -> str | None:
        return None

    def cancel(self, study: jhpo.Study, why: str, state: TrialState) -> None:
        for trial in self.pending:
            study.tell(trial, state=state, error=why)
        self.pending.clear()

    def close(self, kill: bool) -> None:
        pass


def test_any_execution_that_follows_the_protocol_runs_under_the_same_rules() -> None:
    study, events = _study(), Events()
    study.observers.append(events)
    execution = Batches(_x)
    run_search(study, execution, n_trials=5)
    assert study.stop_reason == "done" and len(study.trials) == 5
    assert execution.off_main == [True] * 5
    assert [n for k, n in events.log if k == "end"][:2] == [1, 0]  # it ran the pair its own way

    stopping = _study()
    stopping.observers.append(Events())
    run_search(stopping, Batches(lambda t: stopping.stop() or 1.0), n_trials=10)
    assert stopping.stop_reason == "stopped" and len(stopping.trials) == 2  # the pair in flight finished


def test_in_process_is_an_execution_too() -> None:
    study = _study()
    run_search(study, InProcess(_x), n_trials=3)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 3 and study.stop_reason == "done"


def test_limits_say_timeout_before_stop() -> None:
    assert Limits().reason(False) is None and Limits().reason(True) == "stopped"
    assert Limits(timeout=0.0).reason(True) == "timeout"
    assert Limits(timeout=60).reason(False) is None


def test_pause_in_a_cell_with_a_function_from_an_earlier_cell() -> None:
    ns: dict[str, Any] = {}
    exec("def shifted(x):\n    return -(x - 1) ** 2\n", ns)  # an earlier cell
    cell = "x = 0.0  # tune: uniform(-2, 2)\nscore = shifted(x)\n"
    events = Events(pause_after=2, resume_after=2)
    opts = TuneOptions(strategy="random", trials=5, storage=":memory:", quiet=True, seed=0, objective="score")
    result = tune_cell(cell, ns, opts, observers=[events])
    assert result is not None and len(result.trials) == 5 and result.study.stop_reason == "done"
    assert events.paused_calls >= 2 and events.started_while_paused == []
    assert ns["score"] == result.best_value  # the notebook holds what the best trial made
