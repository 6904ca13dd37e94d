"""The report channel: ``jhpo.report`` in a worker process or on a Dask worker reaches the study live.

In process, :meth:`Trial.report` asks the study at once whether to prune.
A trial in another process cannot: its reports travel to the main process,
which owns the study, the strategy and the pruner, and the decision travels
back. Both directions are asynchronous, so training never waits for the
main process:

* the worker sends ``(trial, step, value)`` and goes on;
* the search loop (:class:`jhpo.execution.workers.WorkerExecution`) drains the
  reports every poll, records them in the running trials (the panel sees
  them live), and asks the strategy and pruner exactly as in process, on the
  reports that have arrived (median stopping and ASHA/Hyperband compare with
  what the other trials reported so far);
* a prune decision is posted for that trial; the worker reads it at its next
  ``jhpo.report`` and stops there with :class:`~jhpo.TrialPruned`.

A decision that arrives after the trial finished still counts (:func:`late_decision`):
the trial is recorded PRUNED at the step it was judged, as in process, so the
pruned fraction does not depend on where trials run.

Transport: local worker processes and ``concurrent.futures`` executors use a
:func:`multiprocessing.Manager` (a queue and a dict served by one small
process; proxies pickle into the trial message). Dask workers may run on
other machines, so there the channel is a ``distributed.Queue`` (reports) and a
``distributed.Variable`` (decisions), which go through the scheduler.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from .trial import Trial, TrialState

__all__ = ["ReportChannel", "channel_for", "late_decision", "open_channel", "pump", "worker_hook"]


class _ManagerEnd:
    """The worker's end over a multiprocessing Manager (picklable: proxies reconnect)."""

    def __init__(self, queue: Any, decisions: Any) -> None:
        self.queue, self.decisions = queue, decisions

    def send(self, number: int, step: int, value: float) -> None:
        self.queue.put((number, step, value))

    def decision(self, number: int) -> str | None:
        found = self.decisions.get(number)
        return None if found is None else str(found[1])


# Per Dask worker process: the Queue and Variable objects, made once per search.
_DASK: dict[str, Any] = {}


class _DaskEnd:
    """The worker's end over Dask: only the names travel; objects are made on the worker."""

    def __init__(self, name: str) -> None:
        self.name = name

    def _get(self, kind: str) -> Any:
        key = f"{self.name}-{kind}"
        if key not in _DASK:
            from distributed import Queue, Variable

            _DASK[key] = Queue(key) if kind == "reports" else Variable(key)  # type: ignore[no-untyped-call]
        return _DASK[key]

    def send(self, number: int, step: int, value: float) -> None:
        self._get("reports").put([number, step, value])

    def decision(self, number: int) -> str | None:
        found = self._get("decisions").get(timeout=5).get(str(number))
        return None if found is None else str(found[1])


class ReportChannel:
    """The main process's end: drains reports, posts decisions. Build it with :func:`open_channel`."""

    def __init__(
        self, end: Any, drain: Callable[[], list[Any]], post: Callable[[int, dict[int, tuple[int, str]]], None]
    ) -> None:
        self.end = end  # what goes to the workers with each trial
        self._drain, self._post = drain, post
        self.decided: dict[int, tuple[int, str]] = {}  # trial number -> (step, reason)
        self.close: Callable[[], None] = lambda: None

    def drain(self) -> list[tuple[int, int, float]]:
        return [(int(n), int(s), float(v)) for n, s, v in self._drain()]

    def decide(self, number: int, step: int, reason: str) -> None:
        self.decided[number] = (step, reason)
        self._post(number, self.decided)


def _manager_channel() -> ReportChannel:
    import multiprocessing
    import queue

    manager = multiprocessing.Manager()
    q, decisions = manager.Queue(), manager.dict()

    def drain() -> list[Any]:
        out = []
        while True:
            try:
                out.append(q.get_nowait())
            except queue.Empty:
                return out

    def post(number: int, decided: dict[int, tuple[int, str]]) -> None:
        decisions[number] = decided[number]

    ch = ReportChannel(_ManagerEnd(q, decisions), drain, post)
    ch.close = manager.shutdown
    return ch


def _dask_channel(client: Any) -> ReportChannel:
    from distributed import Queue, Variable

    name = f"jhpo-reports-{os.getpid()}-{os.urandom(4).hex()}"
    q: Any = Queue(f"{name}-reports", client=client)  # type: ignore[no-untyped-call]
    var: Any = Variable(f"{name}-decisions", client=client)  # type: ignore[no-untyped-call]
    var.set({})

    def post(number: int, decided: dict[int, tuple[int, str]]) -> None:
        # one writer (this process) sets the whole table: msgpack wants string keys
        var.set({str(n): list(d) for n, d in decided.items()})

    ch = ReportChannel(_DaskEnd(name), lambda: list(q.get(batch=True)), post)

    def close() -> None:
        try:
            var.delete()
            q.close()
        except Exception:  # noqa: BLE001 - the client may be closing already
            pass

    ch.close = close
    return ch


def open_channel(kind: str, client: Any = None) -> ReportChannel:
    """A channel for the backend ``kind`` (``"processes"``, ``"executor"`` or ``"dask"`` with ``client``)."""
    return _dask_channel(client) if kind == "dask" else _manager_channel()


def worker_hook(end: Any, number: int) -> Callable[[Trial, int], str | None]:
    """What a worker installs as ``trial._should_prune``: send the report, read a posted decision."""

    def should_prune(trial: Trial, step: int) -> str | None:
        value = trial.intermediate.get(step)
        if value is not None:  # a non-finite report is not recorded, in process either
            end.send(number, step, value)
        return end.decision(number)  # type: ignore[no-any-return]

    return should_prune


def pump(channel: ReportChannel, study: Any, running: Iterable[Trial]) -> None:
    """Record the reports that arrived in the running trials and post the pruning decisions."""
    by_number = {t.number: t for t in running}
    for number, step, value in channel.drain():
        trial = by_number.get(number)
        if trial is None or trial.state is not TrialState.RUNNING or number in channel.decided:
            continue
        trial.intermediate[step] = value
        reason = study._should_prune(trial, step)  # observers, strategy and pruner, as in process
        if reason:
            channel.decide(number, step, reason)


def late_decision(channel: ReportChannel, trial: Trial) -> tuple[float | None, str] | None:
    """A decision the trial did not see before it finished: ``(value at that step, reason)``, else None."""
    found = channel.decided.get(trial.number)
    if found is None:
        return None
    step, reason = found
    return trial.intermediate.get(step), reason + " (the decision reached the worker after the trial had finished)"


def channel_for(study: Any, backend: Any) -> ReportChannel | None:
    """The channel a parallel search needs, or None when nothing in the study can prune."""
    from .strategies import Pruner, Strategy

    prunes = type(study.strategy).should_prune is not Strategy.should_prune
    prunes = prunes or type(study.pruner).should_prune is not Pruner.should_prune
    return open_channel(backend.kind, getattr(backend, "client", None)) if prunes else None
