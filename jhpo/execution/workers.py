"""Trials on workers: local processes, Dask, or any ``concurrent.futures.Executor``.

The main process owns the study: it is the only writer to storage, and the
observers (the panel) run in its thread. :class:`WorkerExecution` keeps one
trial in flight per free worker slot and records each result as it arrives;
the loop (:func:`jhpo.execution.loop.run_search`) decides how many start.
See :mod:`jhpo.executors` for what workers receive, timeouts, dead workers,
pruning and what comes back.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import cloudpickle

from .. import checkpoints
from ..budget import outranks, trial_budget
from ..errors import UsageProblem
from ..reports import ReportChannel, channel_for, late_decision, pump
from ..runner import CellRunner
from ..trial import RunFacts, Trial, TrialState
from . import shipping
from .base import ExecutorError, Running
from .dask import DaskBackend, dask_client
from .processes import FuturesBackend, ProcessBackend
from .shipping import RunStats, Task, build_task

if TYPE_CHECKING:
    from ..study import Study

__all__ = ["POLL", "WorkerExecution", "check_executor", "open_backend"]

#: How often the loop looks for timeouts and dead workers while waiting, in seconds.
POLL = 0.1


def check_executor(obj: Any) -> str:
    """Say which backend runs trials on ``obj``: ``"dask"`` or ``"executor"``.

    Raises
    ------
    ExecutorError
        ``obj`` is neither a Dask client/cluster/address nor a ``concurrent.futures.Executor``.
    """
    mod = type(obj).__module__ or ""
    if isinstance(obj, str) or mod.startswith(("distributed", "dask")):
        if isinstance(obj, str):
            try:
                import distributed  # noqa: F401
            except ImportError:
                raise ExecutorError(
                    f"{obj!r} looks like a Dask scheduler address, but Dask is not installed; "
                    "install it with `pip install 'jhpo[dask]'`"
                ) from None
        return "dask"
    if isinstance(obj, cf.Executor):
        return "executor"
    raise ExecutorError(
        f"it holds a {type(obj).__module__}.{type(obj).__name__}, which cannot run trials; give a Dask "
        "`Client` (pip install 'jhpo[dask]'), a scheduler address, or a concurrent.futures.Executor"
    )


def open_backend(n_jobs: int | None, executor: Any, task: Task, stats: RunStats) -> Any:
    """The backend for ``n_jobs`` local processes or ``executor`` (Dask or ``concurrent.futures``)."""
    if executor is not None:
        check_executor(executor)
        found = dask_client(executor)
        if found is not None:
            return DaskBackend(found[0], task, stats, owned=found[1])
        return FuturesBackend(executor, task, stats)
    n = n_jobs if n_jobs is not None else 1
    if n == -1:
        n = os.cpu_count() or 1
    if n < 1:
        raise UsageProblem(f"n_jobs must be a positive number of processes (or -1 for one per CPU), but got {n_jobs}")
    return ProcessBackend(n, task, stats)


class WorkerExecution:
    """An :class:`~jhpo.execution.base.Execution` on a worker backend.

    Parameters
    ----------
    study : Study
        Whose strategy and pruner decide whether reports need a channel back.
    fn : callable
        A :class:`~jhpo.runner.CellRunner` (its cell and the names it reads are
        shipped) or a picklable function of a :class:`~jhpo.Trial`.
    n_jobs, executor
        Local processes (-1: one per CPU), or a Dask client/cluster/address or
        ``concurrent.futures.Executor``; one local process when both are None.
    trial_timeout : float, optional
        Seconds after which a running trial is failed and its worker stopped.

    Raises
    ------
    ShippingError
        When a name the cell reads (or ``fn``) cannot be pickled.
    ExecutorError
        When ``executor`` cannot run trials.
    """

    def __init__(
        self,
        study: Study,
        fn: Callable[[Trial], Any],
        n_jobs: int | None = None,
        executor: Any = None,
        trial_timeout: float | None = None,
    ) -> None:
        if n_jobs is not None and executor is not None:
            raise UsageProblem("give n_jobs (local processes) or executor, not both")
        task = build_task(fn, study.objectives if study.is_multi else ())
        self.stats = shipping.last_stats = RunStats(large=dict(task.large))
        self.backend = open_backend(n_jobs, executor, task, self.stats)
        self.stats.backend, self.stats.workers = self.backend.kind, self.backend.capacity()
        self.reports: ReportChannel | None = channel_for(study, self.backend)  # jhpo.report reaches the pruner
        self.runner = fn if isinstance(fn, CellRunner) else None
        self.trial_timeout = trial_timeout
        self.running: dict[Any, Running] = {}
        self._free: list[Any] = []

    # -- the Execution protocol ------------------------------------------------------------------

    def free(self) -> int:
        self._free = self.backend.free_slots(self.running.values())
        return len(self._free)

    def submit(self, study: Study, trials: list[Trial]) -> None:
        best = study.best_trial
        for trial, slot in zip(trials, self._free):
            msg = {
                "number": trial.number,
                "params": trial.params,
                "info": dict(trial.info),
                # a trial at a higher budget than the best always sends its names back (see jhpo.budget)
                "best": best.value if best and trial_budget(best) >= trial_budget(trial) else None,
                "spec": self.backend.task.spec_key,
                "reports": None if self.reports is None else self.reports.end,
                "checkpoint": checkpoints.take(study, trial),  # its parent's state, for jhpo.checkpoint
            }
            future = self.backend.submit(slot, msg)
            trial.run = RunFacts(worker=self.backend.label(slot))
            self.running[future] = Running(trial, future, slot, msg, time.monotonic())
        study.save_started(trials)  # the panel (and a later reader of the file) sees where each runs

    def collect(self, study: Study) -> list[Trial]:
        futures = list(self.running) + self.backend.pending()
        if not futures:  # only waiting for workers to (re)appear
            time.sleep(POLL)
        done = self.backend.wait(futures, POLL) if futures else []
        if self.reports is not None:  # after the wait: a finished trial's reports are all in
            pump(self.reports, study, [r.trial for r in self.running.values()])
        finished = [t for fut in done for t in self._finish(study, fut)]
        return finished + self._overdue(study)

    def busy(self) -> bool:
        return bool(self.running)

    def starting(self) -> bool:
        return bool(self.backend.starting())

    def status(self) -> str | None:
        backend = self.backend
        cold = len(set(getattr(backend, "warming", ())) & getattr(backend, "cold", set()))
        if backend.kind != "processes" or not cold:
            return None
        return f"starting {cold} worker process{'es' if cold > 1 else ''}"

    def cancel(self, study: Study, why: str, state: TrialState) -> None:
        for r in self.running.values():
            _fail(study, r, why, state)
        self.running.clear()

    def close(self, kill: bool) -> None:
        try:
            self.backend.close(kill=kill)
        finally:
            if self.reports is not None:
                self.reports.close()

    # -- results ---------------------------------------------------------------------------------

    def _finish(self, study: Study, fut: Any) -> list[Trial]:
        r = self.running.pop(fut, None)
        if r is None:
            return []  # a worker process finished starting up
        res, why = self.backend.outcome(r)
        if res is not None and "missing" in res:  # the worker lost its cache: send the data again
            self.backend.forget(r.slot, res["missing"])
            r.future = self.backend.submit(r.slot, r.msg)
            self.running[r.future] = r
            return []
        if res is None:
            return [_fail(study, r, why or "the trial failed in its worker")]
        _record(study, self.runner, r, res, self.stats, self.reports)
        return [r.trial]

    def _overdue(self, study: Study) -> list[Trial]:
        """Trials past ``trial_timeout`` (their workers stopped), and those whose worker died."""
        out, now = [], time.monotonic()
        for r in list(self.running.values()):
            if self.trial_timeout is not None and now - r.started > self.trial_timeout:
                del self.running[r.future]
                how = self.backend.stop(r)
                why = (
                    f"the trial ran longer than the trial timeout of {self.trial_timeout:g} s, so it was stopped; {how}"
                )
                out.append(_fail(study, r, why))
        for r, why in self.backend.dead(list(self.running.values())):
            self.running.pop(r.future, None)
            out.append(_fail(study, r, why))
        return out


def _fail(study: Study, r: Running, reason: str, state: TrialState = TrialState.FAILED) -> Trial:
    if state is TrialState.INTERRUPTED:
        r.future.cancel()
    if r.trial.state is TrialState.RUNNING:
        study.tell(r.trial, state=state, error=reason)
    return r.trial


def _record(
    study: Study,
    runner: CellRunner | None,
    r: Running,
    res: dict[str, Any],
    stats: RunStats,
    reports: ReportChannel | None = None,
) -> None:
    """Put a worker's result into its trial and tell it to the study."""
    trial = r.trial
    trial.stdout, trial.stderr = res.get("stdout", ""), res.get("stderr", "")
    _run_facts(trial, res)
    trial.info.update(res.get("recorded", {}))  # the parameters the cell read, whether it was feasible
    trial.metrics.update(res.get("metrics") or {})  # the numbers it logged (jhpo.log, --metrics)
    if res.get("loaded"):
        stats.loads.setdefault(res["worker"], []).extend(res["loaded"])
    for step, value in sorted(res.get("intermediate", {}).items()):
        if trial.intermediate.get(int(step)) == value:
            continue  # arrived live through the report channel
        trial.intermediate[int(step)] = value
        for obs in study.observers:
            obs.on_report(study, trial, int(step), value)
    trial.info.update(res.get("checkpoint_info") or {})
    checkpoints.keep(study, trial, res.get("checkpoint"))  # for the trial promoted from this one
    state, value, error = TrialState(res["state"]), res["value"], res["error"]
    late = late_decision(reports, trial) if reports is not None and state is TrialState.COMPLETE else None
    if late is not None:  # pruned, as in process, though the trial finished before it heard
        state, (value, error) = TrialState.PRUNED, late
    if state is TrialState.COMPLETE:
        _keep_names(study, runner, trial, res)
    trial._fatal = res.get("fatal")  # type: ignore[attr-defined]
    study.tell(trial, value, state, error)


def _run_facts(trial: Trial, res: dict[str, Any]) -> None:
    """Where and how long the trial ran, as the worker reports it."""
    facts = trial.run if trial.run is not None else RunFacts()
    label = facts.worker
    if str(res["pid"]) not in label and res["worker"] != label:  # a generic executor: now we know where it ran
        facts.worker = f"{label} ({res['worker']})" if label else res["worker"]
    facts.host, facts.pid = res["host"], res["pid"]
    facts.seconds = round(res["seconds"], 4)
    facts.cpu_seconds = round(res.get("cpu_seconds", 0.0), 4)
    if res.get("names_skipped"):  # the notebook will re-run this configuration if it stays the best
        facts.names_not_sent = res["names_skipped"]
    trial.run = facts


def _keep_names(study: Study, runner: CellRunner | None, trial: Trial, res: dict[str, Any]) -> None:
    """Keep the names a best-so-far trial sent back, so the notebook need not re-run it."""
    names = res.get("names")
    if runner is None or names is None:
        return
    best = runner.best[1] if runner.best else None
    if outranks(trial.info.get("budget"), res["value"], runner.best_budget, best, study.direction):
        try:
            runner.best = (trial.number, res["value"], cloudpickle.loads(names))
            runner.best_budget = trial.info.get("budget")
        except Exception:  # noqa: BLE001 - then the notebook re-runs the best configuration
            pass
