"""Parallel and distributed trials: local worker processes, Dask, any ``concurrent.futures.Executor``.

This module keeps the names older code imports; the code lives in :mod:`jhpo.execution`
(the loop in :mod:`~jhpo.execution.loop`, the workers in :mod:`~jhpo.execution.workers`).

The main process owns the study: it is the only writer to storage, and the
observers (the panel) run in its thread. It keeps one trial in flight per
worker, asks the strategy for more as workers free up (``ask_batch``), and
tells each result as it arrives.

What a worker receives
    For a cell: the :class:`~jhpo.annotations.CellTemplate` and the notebook
    names the cell reads (``template.free_names`` that exist in the namespace;
    builtins are left out and modules travel by name and are re-imported).
    For a function of a trial: the function, pickled with cloudpickle (closures
    work). Everything is pickled once per search, before any trial starts, so
    a name that cannot be sent fails the search at once, naming the variable.
    Values whose pickle exceeds :data:`LARGE` (arrays, DataFrames) go to each
    worker once: to a local process when it starts (the worker keeps them by
    content hash), to Dask by ``client.scatter(..., broadcast=True)`` (the
    first trial on each worker takes the futures and the worker keeps the
    values; later trials send only the keys, so Dask's memory manager dropping
    a replica costs nothing), to another executor through a temporary file
    each worker loads once. A worker that lost what it was sent (restarted)
    answers "missing" and gets it again.

Timeouts and dead workers
    Each local worker is its own single-process loky executor, so a trial
    that exceeds ``trial_timeout`` is stopped by killing just its process, and
    a process that dies (killed, out of memory) fails only the trial it ran;
    the slot gets a fresh process and the search goes on. On Dask each trial
    is pinned to a free worker; a worker that leaves the cluster fails its
    trial, and a timed-out trial's future is cancelled and its worker
    restarted through the nanny. A generic executor cannot stop a running
    call: the trial is failed and the call may finish in the background.

Pruning
    When the strategy or pruner can prune, ``jhpo.report`` inside a worker
    sends each report to the main process, which asks the pruner and posts
    its decision back while the trial runs (:mod:`jhpo.reports`).

What comes back
    After the search the best trial's names reach the
    notebook: a worker pickles back the names a cell changed whenever its
    trial beats the best value known when it was sent (at most
    :data:`jhpo.worker.NAMES_LIMIT`); otherwise the best configuration is
    re-run in the notebook (:meth:`CellRunner.best_namespace`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .execution import shipping
from .execution.base import ExecutionBroken, ExecutorError
from .execution.processes import POOL, worker_threads
from .execution.shipping import LARGE, RunStats, ShippingError
from .execution.workers import POLL, check_executor
from .trial import Trial

if TYPE_CHECKING:
    from .study import Study

__all__ = [
    "LARGE",
    "POLL",
    "POOL",
    "ExecutionBroken",
    "ExecutorError",
    "RunStats",
    "ShippingError",
    "check_executor",
    "optimize_parallel",
    "worker_threads",
]


def __getattr__(name: str) -> Any:
    if name == "last_stats":  # statistics of the last parallel search in this process
        return shipping.last_stats
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def optimize_parallel(
    study: Study,
    fn: Callable[[Trial], Any],
    n_trials: int | None = None,
    timeout: float | None = None,
    n_jobs: int | None = None,
    executor: Any = None,
    trial_timeout: float | None = None,
    show_progress: bool = False,
) -> None:
    """:meth:`Study.optimize <jhpo.study.Study.optimize>` on workers (kept for older callers)."""
    if n_jobs is None and executor is None and trial_timeout is None:
        n_jobs = 1
    study.optimize(
        fn,
        n_trials=n_trials,
        timeout=timeout,
        show_progress=show_progress,
        n_jobs=n_jobs,
        executor=executor,
        trial_timeout=trial_timeout,
    )
