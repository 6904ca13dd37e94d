"""Running a search: one loop, and pluggable places where trials run.

- :mod:`~jhpo.execution.loop`: :func:`run_search`, the only search loop (stop,
  pause, timeout, fail-fast, Ctrl-C, observer events).
- :mod:`~jhpo.execution.base`: the :class:`Execution` protocol the loop drives.
- :mod:`~jhpo.execution.inprocess`: trials in this process (the default).
- :mod:`~jhpo.execution.workers`: trials on local worker processes
  (:mod:`~jhpo.execution.processes`, the kernel's warm pool), Dask
  (:mod:`~jhpo.execution.dask`) or any ``concurrent.futures.Executor``; what
  they are sent is built in :mod:`~jhpo.execution.shipping`.
- :mod:`~jhpo.execution.outcome`: the objective's value and the fail-fast rules.

Only the light modules are imported here; the worker ones (cloudpickle, loky)
load when a search first uses workers.
"""

from __future__ import annotations

from .base import Execution, ExecutionBroken, ExecutorError
from .inprocess import InProcess, run_trial
from .loop import Limits, run_search
from .outcome import FAIL_FAST, check_value, config_independent, fail_fast

__all__ = [
    "FAIL_FAST",
    "Execution",
    "ExecutionBroken",
    "ExecutorError",
    "InProcess",
    "Limits",
    "check_value",
    "config_independent",
    "fail_fast",
    "run_search",
    "run_trial",
]
