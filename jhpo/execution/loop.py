"""The search loop: the one place that decides when trials start and when a search ends.

Whatever runs the trials (this process, worker processes, Dask, an executor;
see :mod:`jhpo.execution.base`), :func:`run_search` owns the rules: the trial
budget, ``timeout``, :meth:`Study.stop <jhpo.study.Study.stop>`,
:meth:`Study.pause <jhpo.study.Study.pause>`, the fail-fast abort, Ctrl-C and
the observer events. Like Optuna's ``_optimize_sequential`` (which its
parallel mode reuses), there is no second loop: the race of
:mod:`jhpo.teach.race` uses the same :class:`Limits` and
:func:`~jhpo.execution.inprocess.run_trial`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import SearchExhausted
from ..storage_errors import StorageError
from ..trial import Trial, TrialState
from .base import Execution, ExecutionBroken
from .outcome import fail_fast

if TYPE_CHECKING:
    from ..study import Study

__all__ = ["PAUSE_POLL", "Limits", "hold", "run_search"]

#: While paused, how often the loop lets observers look at the front end (a Resume click), in seconds.
PAUSE_POLL = 0.05


@dataclass
class Limits:
    """The time limit and the stop request, checked between trials.

    Parameters
    ----------
    timeout : float, optional
        Seconds after ``started`` when no new trial may start.
    """

    timeout: float | None = None
    started: float = field(default_factory=time.monotonic)

    def reason(self, stop_requested: bool) -> str | None:
        """``"timeout"`` or ``"stopped"`` when no new trial may start, else None."""
        if self.timeout is not None and time.monotonic() - self.started >= self.timeout:
            return "timeout"
        if stop_requested:
            return "stopped"
        return None


def hold(study: Study, block: bool) -> None:
    """While ``study`` is paused, let its observers poll their front end (the Resume click).

    With ``block`` this returns only when the study is resumed or stopped;
    without, after one look (trials in flight still have to be collected).
    """
    while study.paused and not study.stop_requested:
        for obs in list(study.observers):
            getattr(obs, "on_paused", lambda *_: None)(study)  # observers written before the event
        if not block:
            return
        study.wait_resumed(PAUSE_POLL)


@dataclass
class _Run:
    """One search's counters (trials launched, finished, judged) and its end reason so far."""

    study: Study
    execution: Execution
    n_trials: int | None
    limits: Limits
    before: set[int]
    launched: int = 0
    finished: list[Trial] = field(default_factory=list)
    checked: int = 0  # finished trials the fail-fast rules have seen
    exhausted_at: int | None = None  # trials finished when the strategy last had nothing to give
    reason: str = "done"
    status: str | None = None
    kill: bool = False

    def wanted(self) -> bool:
        return self.n_trials is None or self.launched < self.n_trials

    def may_start(self) -> bool:
        """Whether new trials may start: budget left, no limit hit (a paused search waits here)."""
        if self.reason != "done" or not self.wanted():
            return False
        if self.study.paused:
            hold(self.study, block=not self.execution.busy())
        self.reason = self.limits.reason(self.study.stop_requested) or "done"
        return self.reason == "done" and not self.study.paused and self.exhausted_at != len(self.finished)


def run_search(study: Study, execution: Execution, n_trials: int | None = None, timeout: float | None = None) -> None:
    """Run trials on ``execution`` until ``n_trials``, ``timeout``, exhaustion, stop or an abort.

    Sets ``study.stop_reason`` (``"done"``, ``"exhausted"``, ``"timeout"``,
    ``"stopped"``, ``"interrupted"``, ``"aborted"``, ``"broken"``,
    ``"storage"``) and tells the observers ``on_search_start`` /
    ``on_search_end``. Ctrl-C ends the search normally, its trials in flight
    marked interrupted.

    Raises
    ------
    SearchAborted
        By the fail-fast rules (:func:`~jhpo.execution.outcome.fail_fast`).
    StorageError
        When storage fails; finished trials are stored.
    """
    run = _Run(study, execution, n_trials, Limits(timeout), set(study.own_numbers()))
    study.clear_stop()
    for obs in list(study.observers):
        obs.on_search_start(study, n_trials)
    run.status = execution.status()
    study.notify_status(run.status)
    try:
        while _turn(run):
            pass
    except ExecutionBroken as exc:
        run.reason, run.kill = "broken", True
        execution.cancel(study, str(exc), TrialState.FAILED)
    except KeyboardInterrupt:
        run.reason, run.kill = "interrupted", True
        execution.cancel(study, "interrupted by the user", TrialState.INTERRUPTED)
    except StorageError:  # e.g. the disk is full: finished trials are stored, the error says where
        run.reason = "storage"
        raise
    finally:
        _end(run)


def _turn(run: _Run) -> bool:
    """Start what may start, collect what finished, judge it; False when the search is over."""
    study, execution = run.study, run.execution
    if run.may_start():
        _launch(run)
    if not execution.busy():
        if run.reason == "done" and run.wanted() and run.exhausted_at is not None:
            run.reason = "exhausted"
        if run.reason != "done" or not run.wanted() or not execution.starting():
            return False
    run.finished.extend(execution.collect(study))
    abort = fail_fast(study, run.finished, run.checked)
    run.checked = len(run.finished)
    if abort is not None:
        run.reason, run.kill = "aborted", True
        execution.cancel(study, "the search stopped: " + str(abort).split("\n", 1)[0], TrialState.INTERRUPTED)
        raise abort
    return True


def _launch(run: _Run) -> None:
    """Ask the strategy for as many trials as the execution can start, and start them."""
    study, execution = run.study, run.execution
    free = execution.free()
    want = free if run.n_trials is None else min(free, run.n_trials - run.launched)
    run.exhausted_at = None
    if want <= 0:
        return
    try:
        trials = study.ask_batch(want, notify=False)
    except SearchExhausted:
        run.exhausted_at = len(run.finished)  # ask again once more trials finished (a scheduler may promote)
        return
    execution.submit(study, trials)
    run.launched += len(trials)
    for trial in trials:
        for obs in list(study.observers):
            obs.on_trial_start(study, trial)
    if run.status is not None:
        run.status = None
        study.notify_status(None)


def _end(run: _Run) -> None:
    study, execution = run.study, run.execution
    try:
        if execution.busy():  # an unexpected error in the loop: no trial may stay marked running
            run.kill = True
            execution.cancel(study, "the search stopped", TrialState.INTERRUPTED)
    finally:
        execution.close(kill=run.kill)
        study.stop_reason = run.reason
        study.abandon(run.before)
        study.last_look()
        study.resume()  # a pause ends with its search
        for obs in list(study.observers):
            obs.on_search_end(study, run.reason)
