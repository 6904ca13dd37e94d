"""Local worker processes (the kernel's warm pool) and any ``concurrent.futures.Executor``."""

from __future__ import annotations

import atexit
import concurrent.futures as cf
import os
import shutil
import tempfile
from collections.abc import Iterable
from typing import Any

from ..worker import Blob, preload, run_trial
from .base import ExecutionBroken, Running
from .shipping import RunStats, Task

__all__ = ["POOL", "FuturesBackend", "ProcessBackend", "worker_threads"]


def worker_threads(n_workers: int) -> int:
    """BLAS/OpenMP/torch threads per worker process: the cores shared out, as joblib's loky backend does.

    ``JHPO_WORKER_THREADS`` in the kernel's environment overrides it.
    """
    override = os.environ.get("JHPO_WORKER_THREADS")
    if override:
        return max(1, int(override))
    return max(1, (os.cpu_count() or 1) // max(1, n_workers))


_THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


class _WarmPool:
    """Worker processes kept alive between searches in this kernel, so a search pays no start-up.

    Each is a single-process loky executor (so one can be killed and replaced
    alone), started with the thread limits of :func:`worker_threads`; ``sent``
    remembers which data blobs it already holds. All are shut down when the
    kernel exits.
    """

    def __init__(self) -> None:
        self.idle: list[tuple[Any, int, set[str]]] = []
        atexit.register(self.shutdown)

    def take(self, threads: int) -> tuple[Any, set[str], bool]:
        """An executor with ``threads`` threads per library: (executor, blobs it holds, was it warm)."""
        from joblib.externals.loky import ProcessPoolExecutor

        for i, (ex, t, sent) in enumerate(self.idle):
            if t == threads and _alive(ex):
                del self.idle[i]
                return ex, sent, True
        env = {var: str(threads) for var in _THREAD_VARS}
        return ProcessPoolExecutor(max_workers=1, env=env), set(), False

    def give_back(self, ex: Any, threads: int, sent: set[str]) -> None:
        self.idle.append((ex, threads, sent))

    def shutdown(self) -> None:
        for ex, _, _ in self.idle:
            ex.shutdown(wait=False, kill_workers=True)
        self.idle.clear()


def _alive(ex: Any) -> bool:
    flags = getattr(ex, "_flags", None)
    return flags is not None and not flags.broken and not flags.shutdown


#: The kernel's warm worker processes (``--n-jobs``).
POOL = _WarmPool()


class ProcessBackend:
    """N single-process loky executors: each trial's process is known, can be killed and replaced.

    A new process first runs :func:`~jhpo.worker.preload` (start-up and the
    search's data, once), so a trial's clock starts when its process is ready.
    """

    kind = "processes"

    def __init__(self, n: int, task: Task, stats: RunStats) -> None:
        self.n, self.task, self.stats = n, task, stats
        self.threads = worker_threads(n)
        self.cold: set[int] = set()  # slots whose process is new (not taken warm from the pool)
        self.executors: list[Any] = [None] * n
        self.sent: list[set[str]] = [set() for _ in range(n)]
        self.pids: list[int | None] = [None] * n
        self.warming: dict[int, Any] = {}
        for i in range(n):
            self._start(i)

    def capacity(self) -> int:
        return self.n

    def _start(self, i: int) -> None:
        ex, self.sent[i], warm = POOL.take(self.threads)
        if not warm:
            self.cold.add(i)
        self.executors[i], self.pids[i] = ex, None
        self.warming[i] = ex.submit(preload, self._data(i))

    def pending(self) -> list[Any]:
        return list(self.warming.values())

    def starting(self) -> bool:
        return bool(self.warming)

    def free_slots(self, running: Iterable[Running]) -> list[int]:
        for i, fut in list(self.warming.items()):
            if not fut.done():
                continue
            del self.warming[i]
            try:
                ready = fut.result()
            except Exception:  # noqa: BLE001 - died starting up: trials will carry the data themselves
                self._replace(i, restart=False)
                continue
            self.pids[i] = ready["pid"]
            if ready["error"] is not None:
                self.sent[i] = set()  # the first trial carries the data again and reports the error
            if ready["loaded"]:
                self.stats.loads.setdefault(ready["worker"], []).extend(ready["loaded"])
        busy = {r.slot for r in running}
        return [i for i in range(self.n) if i not in busy and i not in self.warming]

    def _data(self, slot: int) -> dict[str, Blob]:
        data = {}
        for key, blob in self.task.blobs.items():
            if key in self.sent[slot]:
                data[key] = Blob(key)
            else:
                data[key] = Blob(key, blob)
                self.stats.sent[f"process {slot + 1}"] = self.stats.sent.get(f"process {slot + 1}", 0) + len(blob)
        self.sent[slot].update(data)
        return data

    def submit(self, slot: int, msg: dict[str, Any]) -> Any:
        if self.executors[slot] is None:  # its start-up failed: start anew, the trial carries the data
            self.executors[slot], _, _ = POOL.take(self.threads)
            self.sent[slot] = set()
        return self.executors[slot].submit(run_trial, msg, self._data(slot))

    def forget(self, slot: int, keys: Iterable[str]) -> None:
        self.sent[slot].difference_update(keys)

    def label(self, slot: int) -> str:
        pid = self.pids[slot]
        return f"process {slot + 1}" + (f" (pid {pid})" if pid else "")

    def wait(self, futures: list[Any], timeout: float) -> list[Any]:
        done, _ = cf.wait(futures, timeout=timeout, return_when=cf.FIRST_COMPLETED)
        return list(done)

    def outcome(self, r: Running) -> tuple[dict[str, Any] | None, str | None]:
        try:
            return r.future.result(), None
        except cf.process.BrokenProcessPool as exc:  # loky's TerminatedWorkerError is one
            codes = str(exc).split("exit codes of the workers are", 1)
            detail = f" (exit code {codes[1].strip(' .{}')})" if len(codes) == 2 else ""
            self._replace(r.slot)
            return None, (
                f"the worker process running this trial died{detail}: it was killed or ran out of "
                f"memory. Its worker was replaced and the search went on."
            )
        except Exception as exc:  # noqa: BLE001 - e.g. a result that cannot be unpickled
            return None, f"the worker could not return this trial's result: {type(exc).__name__}: {exc}"

    def _replace(self, slot: int, restart: bool = True) -> None:
        ex, self.executors[slot] = self.executors[slot], None
        if ex is not None:
            ex.shutdown(wait=False, kill_workers=True)
        if restart:
            self._start(slot)

    def stop(self, r: Running) -> str:
        self._replace(r.slot)
        return "its worker process was stopped and replaced"

    def dead(self, running: Iterable[Running]) -> list[tuple[Running, str]]:
        return []  # a dead process shows as a failed future (see outcome)

    def close(self, kill: bool = False) -> None:
        for i, ex in enumerate(self.executors):
            if ex is not None:
                if kill or i in self.warming:
                    ex.shutdown(wait=False, kill_workers=True)
                else:
                    POOL.give_back(ex, self.threads, self.sent[i])  # warm for the next search
            self.executors[i] = None


class FuturesBackend(ProcessBackend):
    """Any ``concurrent.futures.Executor``: large values through files each worker loads once."""

    kind = "executor"

    def __init__(self, executor: cf.Executor, task: Task, stats: RunStats) -> None:
        self.n, self.task, self.stats = int(getattr(executor, "_max_workers", None) or os.cpu_count() or 1), task, stats
        self.warming = {}
        self.executor = executor
        self.tmp: str | None = None
        if isinstance(executor, cf.ThreadPoolExecutor):
            self.data: dict[str, Any] = dict(task.objects)  # same process: no copies at all
        else:
            self.tmp = tempfile.mkdtemp(prefix="jhpo-data-")
            self.data = {}
            for key, blob in task.blobs.items():
                path = os.path.join(self.tmp, key)
                with open(path, "wb") as f:
                    f.write(blob)
                self.data[key] = Blob(key, path=path)
            self.stats.sent["files"] = sum(len(b) for b in task.blobs.values())

    def submit(self, slot: int, msg: dict[str, Any]) -> Any:
        return self.executor.submit(run_trial, msg, self.data)

    def label(self, slot: int) -> str:
        return f"{type(self.executor).__name__} slot {slot + 1}"

    def forget(self, slot: int, keys: Iterable[str]) -> None:
        pass  # files and in-process objects are always there to load again

    def outcome(self, r: Running) -> tuple[dict[str, Any] | None, str | None]:
        try:
            return r.future.result(), None
        except cf.process.BrokenProcessPool as exc:
            raise ExecutionBroken(f"the executor broke while running this trial ({exc}); the search stopped") from None
        except Exception as exc:  # noqa: BLE001
            return None, f"the executor could not run this trial: {type(exc).__name__}: {exc}"

    def starting(self) -> bool:
        return False

    def stop(self, r: Running) -> str:
        r.future.cancel()
        return (
            f"a {type(self.executor).__name__} cannot stop a running call, so it may go on in the background; "
            "use --n-jobs or a Dask client to have it stopped"
        )

    def close(self, kill: bool = False) -> None:
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
