"""The one interface between the search loop and whatever runs trials.

:func:`jhpo.execution.loop.run_search` decides *when* trials start and when the
search ends (stop, pause, timeout, fail-fast, Ctrl-C, observer events); an
:class:`Execution` decides *where* they run: in this process
(:class:`~jhpo.execution.inprocess.InProcess`) or on workers
(:class:`~jhpo.execution.workers.WorkerExecution` over local processes, Dask or
any ``concurrent.futures.Executor``). An execution tells every trial it
finishes to the study itself, so the loop only counts and judges them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import JhpoError
from ..trial import Trial, TrialState

if TYPE_CHECKING:
    from ..study import Study

__all__ = ["Execution", "ExecutionBroken", "ExecutorError", "Running"]


class Execution(Protocol):
    """Where trials run. The loop calls these, and nothing else, on one thread.

    ``free`` and ``submit`` go together: ``submit`` receives at most ``free()``
    trials, already numbered and stored by the study (the loop announces them to
    the observers after ``submit``, so an execution can first record where each
    runs). ``collect`` returns the trials that finished since the last call,
    each already told to the study; an in-process execution runs them there.
    """

    def free(self) -> int:
        """How many trials could start now."""
        ...

    def submit(self, study: Study, trials: list[Trial]) -> None:
        """Start ``trials`` (at most :meth:`free` of them)."""
        ...

    def collect(self, study: Study) -> list[Trial]:
        """Wait briefly for trials to finish; the ones that did, told to ``study``."""
        ...

    def busy(self) -> bool:
        """Whether trials are in flight."""
        ...

    def starting(self) -> bool:
        """Whether workers are still coming up (the loop waits for them rather than end)."""
        ...

    def status(self) -> str | None:
        """What the execution is doing before any trial runs (e.g. starting processes), or None."""
        ...

    def cancel(self, study: Study, why: str, state: TrialState) -> None:
        """End every trial in flight with ``state`` and ``why`` (the search is ending)."""
        ...

    def close(self, kill: bool) -> None:
        """Release the workers; ``kill`` when trials may still run in them."""
        ...


class ExecutionBroken(Exception):
    """The executor cannot run any more trials (the search ends with reason ``"broken"``)."""


class ExecutorError(JhpoError):
    """``--executor`` holds something that cannot run trials, or Dask is needed and missing."""


@dataclass
class Running:
    """A trial in flight on a worker: its future, the slot running it and what was sent."""

    trial: Trial
    future: Any
    slot: Any
    msg: dict[str, Any]
    started: float
