"""Parallel and distributed trials: local worker processes, Dask, any ``concurrent.futures.Executor``.

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

import atexit
import builtins
import concurrent.futures as cf
import hashlib
import os
import shutil
import tempfile
import threading
import time
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import cloudpickle

from . import checkpoints
from .budget import outranks, trial_budget
from .capture import output_limit
from .errors import JhpoError, UsageProblem
from .reports import ReportChannel, channel_for, late_decision, pump
from .runner import CellRunner
from .study import FAIL_FAST, SearchAborted, SearchExhausted, Study, config_independent
from .trial import Trial, TrialState
from .worker import Blob, TaskSpec, exit_process, notebook_dumps, preload, run_trial

__all__ = ["LARGE", "ExecutorError", "RunStats", "ShippingError", "check_executor", "optimize_parallel"]

#: Values whose pickle is bigger than this go to each worker once, not with every trial.
LARGE = 1 << 20
#: How often the main loop looks for timeouts and dead workers while waiting, in seconds.
POLL = 0.1


class ExecutorError(JhpoError):
    """``--executor`` holds something that cannot run trials, or Dask is needed and missing."""


class ShippingError(JhpoError):
    """A notebook name the cell reads (or the objective function) cannot be sent to the workers."""


@dataclass
class RunStats:
    """What a parallel search sent around (for benchmarks and tests).

    Attributes
    ----------
    backend : str
        ``"processes"``, ``"dask"`` or ``"executor"``.
    workers : int
        Trials kept in flight.
    large : dict
        Name -> pickled size in bytes of each value sent once per worker.
    sent : dict
        Worker label -> bytes of blobs sent to it (local processes), or
        scattered in total (Dask: ``{"scatter": bytes}``).
    loads : dict
        Worker -> data keys it unpickled, as the workers report them.
    """

    backend: str = ""
    workers: int = 0
    large: dict[str, int] = field(default_factory=dict)
    sent: dict[str, int] = field(default_factory=dict)
    loads: dict[str, list[str]] = field(default_factory=dict)


#: Statistics of the last parallel search in this process.
last_stats = RunStats()


# -- what the workers get --------------------------------------------------------------------


@dataclass
class _Task:
    spec_key: str
    blobs: dict[str, bytes]  # data key -> pickle (the spec and each large value)
    objects: dict[str, Any]  # data key -> the value itself (Dask scatters these)
    large: dict[str, int]


def _key(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=12).hexdigest()


def _cell_spec(runner: CellRunner) -> tuple[TaskSpec, dict[str, bytes], dict[str, int]]:
    """The cell's task spec and its large values: every notebook name the cell reads, and every
    name that the notebook's functions it reads read in turn (they run in the worker's notebook)."""
    spec = TaskSpec(
        key="",
        kind="cell",
        template=runner.template,
        objective=runner.objective,
        direction=runner.direction,
        filename=runner.filename,
    )
    ns = runner.namespace
    blobs: dict[str, bytes] = {}
    large: dict[str, int] = {}
    wanted, seen = set(runner.template.free_names), set[str]()
    while wanted - seen:
        for name in sorted(wanted - seen):
            seen.add(name)
            if name not in ns or name.startswith("__"):
                continue
            value = ns[name]
            if value is getattr(builtins, name, object()):
                continue
            if isinstance(value, types.ModuleType):
                spec.modules[name] = value.__name__
                continue
            try:
                data, reads = notebook_dumps(value, ns)
            except Exception as exc:  # noqa: BLE001
                if name in runner.template.assigned or name not in runner.template.free_names:
                    # the cell makes its own `name`, or only a function might read it: the worker says so if one does
                    spec.unsent[name] = f"{type(exc).__name__}: {exc}"
                    continue
                raise ShippingError(
                    f"cannot send the notebook variable `{name}` ({type(value).__name__}) to the workers: "
                    f"{type(exc).__name__}: {exc}. Trials in other processes need every name the cell reads: "
                    f"create `{name}` inside the cell, make it picklable, or run without --n-jobs/--executor"
                ) from None
            wanted |= reads
            if len(data) > LARGE:
                key = "data-" + _key(data)
                blobs[key], large[name] = data, len(data)
                spec.large[name] = key
            else:
                spec.small[name] = value
    return spec, blobs, large


def _build_task(fn: Callable[[Trial], Any]) -> _Task:
    ns: dict[str, Any] | None = None
    if isinstance(fn, CellRunner):
        spec, blobs, large = _cell_spec(fn)
        ns = fn.namespace
    else:
        spec, blobs, large = TaskSpec(key="", kind="function", fn=fn), {}, {}
    spec.output_limit = output_limit()  # warm workers started before a change of the limit follow it
    spec.key = "spec-" + _key(_dumps_spec(spec, ns))  # the key names the content (a probe pickle)
    blobs[spec.key] = _dumps_spec(spec, ns)
    # Every backend sends these pickles, never the objects themselves: only NotebookPickler
    # rebuilds the notebook's functions around the worker's notebook namespace.
    objects: dict[str, Any] = {key: Blob(key, blob) for key, blob in blobs.items()}
    return _Task(spec.key, blobs, objects, large)


def _dumps_spec(spec: TaskSpec, ns: dict[str, Any] | None) -> bytes:
    try:
        if ns is None:
            return bytes(cloudpickle.dumps(spec))
        return notebook_dumps(spec, ns)[0]
    except Exception as exc:  # noqa: BLE001 - any pickling failure gets the same explanation
        what = "the objective" if spec.fn is not None else "the cell's small names"
        raise ShippingError(
            f"cannot send {what} to the worker processes: {type(exc).__name__}: {exc}. Define the objective "
            "at module level or in the notebook, and keep unpicklable objects (locks, open files, "
            "connections) out of what it references"
        ) from None


# -- backends --------------------------------------------------------------------------------


@dataclass
class _Running:
    trial: Trial
    future: Any
    slot: Any
    msg: dict[str, Any]
    started: float


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


class _ProcessBackend:
    """N single-process loky executors: each trial's process is known, can be killed and replaced.

    A new process first runs :func:`~jhpo.worker.preload` (start-up and the
    search's data, once), so a trial's clock starts when its process is ready.
    """

    kind = "processes"

    def __init__(self, n: int, task: _Task, stats: RunStats) -> None:
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

    def free_slots(self, running: Iterable[_Running]) -> list[int]:
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

    def outcome(self, r: _Running) -> tuple[dict[str, Any] | None, str | None]:
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

    def stop(self, r: _Running) -> str:
        self._replace(r.slot)
        return "its worker process was stopped and replaced"

    def dead(self, running: Iterable[_Running]) -> list[tuple[_Running, str]]:
        return []  # a dead process shows as a failed future (see outcome)

    def close(self, kill: bool = False) -> None:
        for i, ex in enumerate(self.executors):
            if ex is not None:
                if kill or i in self.warming:
                    ex.shutdown(wait=False, kill_workers=True)
                else:
                    POOL.give_back(ex, self.threads, self.sent[i])  # warm for the next search
            self.executors[i] = None


class _FuturesBackend(_ProcessBackend):
    """Any ``concurrent.futures.Executor``: large values through files each worker loads once."""

    kind = "executor"

    def __init__(self, executor: cf.Executor, task: _Task, stats: RunStats) -> None:
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

    def outcome(self, r: _Running) -> tuple[dict[str, Any] | None, str | None]:
        try:
            return r.future.result(), None
        except cf.process.BrokenProcessPool as exc:
            raise _Broken(f"the executor broke while running this trial ({exc}); the search stopped") from None
        except Exception as exc:  # noqa: BLE001
            return None, f"the executor could not run this trial: {type(exc).__name__}: {exc}"

    def starting(self) -> bool:
        return False

    def stop(self, r: _Running) -> str:
        r.future.cancel()
        return (
            f"a {type(self.executor).__name__} cannot stop a running call, so it may go on in the background; "
            "use --n-jobs or a Dask client to have it stopped"
        )

    def close(self, kill: bool = False) -> None:
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)


class _Broken(Exception):
    """The executor cannot run any more trials."""


class _DaskBackend:
    """A Dask client: data scattered once to every worker, each trial pinned to a free worker."""

    kind = "dask"

    def __init__(self, client: Any, task: _Task, stats: RunStats, owned: bool = False) -> None:
        self.client, self.task, self.stats, self.owned = client, task, stats, owned
        self.workers: dict[str, int] = {}
        self.retiring: set[str] = set()
        self.restarts: list[threading.Thread] = []
        self.sent: dict[str, set[str]] = {}  # worker address -> data keys its trials already received
        self._seen = self._empty_since = time.monotonic()
        self._refresh(force=True)
        # A list keeps Dask from reading a dict value as {key: value} pairs to scatter.
        self.data = {key: client.scatter([obj], broadcast=True, hash=False)[0] for key, obj in task.objects.items()}
        stats.sent["scatter"] = sum(len(task.blobs[k]) for k in task.objects) * max(1, len(self.workers))

    def _refresh(self, force: bool = False) -> None:
        if force or time.monotonic() - self._seen > 0.3:
            self.workers = dict(self.client.nthreads())
            self._seen = time.monotonic()
            if self.workers:
                self._empty_since = self._seen
            self.retiring &= set(self.workers)

    def capacity(self) -> int:
        return sum(self.workers.values()) or 1

    def free_slots(self, running: Iterable[_Running]) -> list[str]:
        self._refresh()
        busy: dict[str, int] = {}
        for r in running:
            busy[r.slot] = busy.get(r.slot, 0) + 1
        return [
            addr
            for addr, n in sorted(self.workers.items())
            if addr not in self.retiring
            for _ in range(n - busy.get(addr, 0))
        ]

    def submit(self, slot: str, msg: dict[str, Any]) -> Any:
        # The first trial on a worker takes the scattered futures; later ones only the keys, because
        # the worker keeps the values (Dask's memory manager may drop "extra" replicas in between,
        # which would make Dask fetch and unpickle the data again).
        sent = self.sent.setdefault(slot, set())
        data = {key: Blob(key) if key in sent else fut for key, fut in self.data.items()}
        sent.update(data)
        return self.client.submit(
            run_trial,
            msg,
            data,
            workers=[slot],
            allow_other_workers=False,
            pure=False,
            key=f"jhpo-trial-{msg['number']}-{os.urandom(4).hex()}",
        )

    def forget(self, slot: str, keys: Iterable[str]) -> None:
        self.sent.get(slot, set()).difference_update(keys)

    def pending(self) -> list[Any]:
        return []

    def starting(self) -> bool:
        """True while workers are being replaced, or the cluster has none yet (for up to two minutes)."""
        if not self.workers and time.monotonic() - self._empty_since > 120:
            raise _Broken("the Dask cluster has had no workers for two minutes; the search stopped")
        return bool(self.retiring) or not self.workers

    def label(self, slot: str) -> str:
        return slot

    def wait(self, futures: list[Any], timeout: float) -> list[Any]:
        from distributed import wait

        done = [f for f in futures if f.done()]
        if done:
            return done
        try:
            wait(futures, timeout=timeout, return_when="FIRST_COMPLETED")  # type: ignore[no-untyped-call]
        except Exception:  # noqa: BLE001 - a timeout, or a future Dask cancelled: outcome() says which
            pass
        return [f for f in futures if f.done()]

    def outcome(self, r: _Running) -> tuple[dict[str, Any] | None, str | None]:
        try:
            status = r.future.status
            if status == "finished":
                try:
                    return r.future.result(), None
                except Exception as exc:  # noqa: BLE001
                    return None, f"the Dask worker could not return this trial's result: {type(exc).__name__}: {exc}"
            if status != "error":  # cancelled or lost by the scheduler
                self._rescatter()
                return None, (
                    f"Dask dropped this trial ({status}): the worker running it left the cluster "
                    f"(killed, out of memory, or shut down), or data it needed was lost; the search went on"
                )
            error = r.future.exception()
        finally:
            # Release the result at once: a finished key kept in a worker's memory is recomputed
            # elsewhere (the trial run again) if that worker dies later.
            r.future.release()
        if type(error).__name__ == "KilledWorker":
            return None, f"the Dask worker running this trial died (killed, or out of memory): {error}"
        return None, f"Dask could not run this trial: {type(error).__name__}: {error}"

    def dead(self, running: Iterable[_Running]) -> list[tuple[_Running, str]]:
        self._refresh()
        gone = []
        for r in running:
            if r.slot not in self.workers and r.slot not in self.retiring:
                r.future.cancel()
                gone.append(
                    (
                        r,
                        f"the Dask worker {r.slot} running this trial left the cluster (killed, out of "
                        f"memory, or shut down); the search went on",
                    )
                )
        if gone:
            self._rescatter()
        return gone

    def _rescatter(self) -> None:
        # Scattered data cannot be recomputed: if the workers holding it all died, send it again.
        for key, fut in list(self.data.items()):
            if fut.status != "finished":
                self.data[key] = self.client.scatter([self.task.objects[key]], broadcast=True, hash=False)[0]
                for sent in self.sent.values():
                    sent.discard(key)
                self.stats.sent["scatter"] = self.stats.sent.get("scatter", 0) + len(self.task.blobs[key])

    def stop(self, r: _Running) -> str:
        r.future.cancel()
        self.retiring.add(r.slot)
        thread = threading.Thread(target=self._restart, args=(r.slot,), daemon=True)
        thread.start()
        self.restarts.append(thread)
        return f"its future was cancelled and the Dask worker {r.slot} restarted by its nanny"

    def _restart(self, addr: str) -> None:
        # Dask cannot stop a running task, and a graceful restart waits for it first; a worker under a
        # nanny is ended at once instead and the nanny starts a fresh one. Without a nanny the worker is
        # left alone (ending it would shrink the user's cluster): the cancelled trial runs on unseen.
        try:
            info = self.client.scheduler_info(n_workers=-1)["workers"].get(addr, {})
            if info.get("nanny"):
                self.client.run(exit_process, workers=[addr], wait=False)
                return
        except Exception:  # noqa: BLE001 - the worker may be gone already
            pass
        self.retiring.discard(addr)

    def close(self, kill: bool = False) -> None:
        for thread in self.restarts:  # a restart still under way would fail if the cluster closes next
            thread.join(timeout=30)
        futures = list(self.data.values())
        self.data = {}
        try:
            self.client.cancel(futures)
        except Exception:  # noqa: BLE001 - the client may be closing already
            pass
        if self.owned:
            self.client.close()


def _dask_client(obj: Any) -> tuple[Any, bool] | None:
    """The Dask client behind ``obj`` (and whether jhpo made it), or None when ``obj`` is not Dask."""
    mod = type(obj).__module__ or ""
    if isinstance(obj, str):
        try:
            from distributed import Client
        except ImportError:
            raise ExecutorError(
                f"connecting to the Dask scheduler {obj!r} needs Dask, which is not installed; "
                "install it with `pip install 'jhpo[dask]'`"
            ) from None
        return Client(obj), True  # type: ignore[no-untyped-call]
    if not (mod.startswith("distributed") or mod.startswith("dask")):
        return None
    if hasattr(obj, "scatter") and hasattr(obj, "submit"):
        return obj, False
    if hasattr(obj, "_client") and hasattr(obj._client, "scatter"):  # client.get_executor()
        return obj._client, False
    if hasattr(obj, "scheduler_address"):  # a cluster object: connect to it
        from distributed import Client

        return Client(obj), True  # type: ignore[no-untyped-call]
    return None


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


def _open_backend(n_jobs: int | None, executor: Any, task: _Task, stats: RunStats) -> Any:
    if executor is not None:
        check_executor(executor)
        found = _dask_client(executor)
        if found is not None:
            return _DaskBackend(found[0], task, stats, owned=found[1])
        return _FuturesBackend(executor, task, stats)
    n = n_jobs if n_jobs is not None else 1
    if n == -1:
        n = os.cpu_count() or 1
    if n < 1:
        raise UsageProblem(f"n_jobs must be a positive number of processes (or -1 for one per CPU), but got {n_jobs}")
    return _ProcessBackend(n, task, stats)


# -- the loop --------------------------------------------------------------------------------


def _record(
    study: Study,
    runner: CellRunner | None,
    r: _Running,
    res: dict[str, Any],
    stats: RunStats,
    reports: ReportChannel | None = None,
) -> None:
    trial = r.trial
    trial.stdout, trial.stderr = res.get("stdout", ""), res.get("stderr", "")
    label = str(trial.info.get("worker", ""))
    if str(res["pid"]) not in label and res["worker"] != label:  # a generic executor: now we know where it ran
        trial.info["worker"] = f"{label} ({res['worker']})" if label else res["worker"]
    trial.info.update(
        host=res["host"],
        pid=res["pid"],
        seconds=round(res["seconds"], 4),
        cpu_seconds=round(res.get("cpu_seconds", 0.0), 4),
    )
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
    names = res.get("names")
    if res.get("names_skipped"):  # the notebook will re-run this configuration if it stays the best
        trial.info["names_not_sent"] = res["names_skipped"]
    if runner is not None and names is not None and state is TrialState.COMPLETE:
        best = runner.best[1] if runner.best else None
        if outranks(trial.info.get("budget"), res["value"], runner.best_budget, best, study.direction):
            try:
                runner.best = (trial.number, res["value"], cloudpickle.loads(names))
                runner.best_budget = trial.info.get("budget")
            except Exception:  # noqa: BLE001 - then the notebook re-runs the best configuration
                pass
    trial._fatal = res.get("fatal")  # type: ignore[attr-defined]
    study.tell(trial, value, state, error)


def _abort(study: Study, finished: list[Trial], checked: int) -> SearchAborted | None:
    """The fail-fast rules on the trials finished since ``checked``: one config-independent failure,
    or the first :data:`FAIL_FAST` trials all failed."""
    for t in finished[checked:]:
        fatal = config_independent(study, t)
        if fatal is not None:
            return fatal
    first = finished[:FAIL_FAST]
    if checked < FAIL_FAST <= len(finished) and all(t.state is TrialState.FAILED for t in first):
        return SearchAborted(
            f"the first {FAIL_FAST} trials all failed, so the search stopped "
            f"(their records are kept in study {study.name!r}). The first error:\n\n{first[0].error}",
            first[0],
        )
    return None


def _starting(backend: Any) -> str | None:
    cold = len(set(getattr(backend, "warming", ())) & getattr(backend, "cold", set()))
    if backend.kind != "processes" or not cold:
        return None
    return f"starting {cold} worker process{'es' if cold > 1 else ''}"


def _fail(study: Study, r: _Running, reason: str, state: TrialState = TrialState.FAILED) -> Trial:
    if state is TrialState.INTERRUPTED:
        r.future.cancel()
    if r.trial.state is TrialState.RUNNING:
        study.tell(r.trial, state=state, error=reason)
    return r.trial


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
    """:meth:`Study.optimize` on worker processes, Dask or an executor (see the module's docstring).

    Parameters
    ----------
    study : Study
    fn : callable
        A :class:`~jhpo.runner.CellRunner` (its cell and the names it reads
        are shipped) or a picklable function of a :class:`~jhpo.Trial`.
    n_trials, timeout
        As for :meth:`Study.optimize`.
    n_jobs : int, optional
        Local worker processes (-1: one per CPU); 1 when only ``trial_timeout`` is given.
    executor : optional
        A Dask ``Client`` (or cluster, or scheduler address) or a ``concurrent.futures.Executor``.
    trial_timeout : float, optional
        Seconds after which a running trial is failed and its worker stopped.

    Raises
    ------
    ShippingError
        Before any trial runs, when a name the cell reads cannot be pickled.
    ExecutorError
        When ``executor`` cannot run trials.
    SearchAborted
        When the first 3 trials of this run all failed.
    """
    global last_stats
    if n_jobs is not None and executor is not None:
        raise UsageProblem("give n_jobs (local processes) or executor, not both")
    task = _build_task(fn)
    stats = last_stats = RunStats(large=dict(task.large))
    backend = _open_backend(n_jobs, executor, task, stats)
    stats.backend, stats.workers = backend.kind, backend.capacity()
    reports = channel_for(study, backend)  # jhpo.report reaches the pruner while trials run
    runner = fn if isinstance(fn, CellRunner) else None
    if show_progress:
        from .ui.text import TextProgress

        study.observers.append(TextProgress())
    study._stop.clear()
    study.stop_reason = None
    started = time.monotonic()
    running: dict[Any, _Running] = {}
    finished: list[Trial] = []
    launched, checked, kill = 0, 0, False
    exhausted_at: int | None = None  # how many trials had finished when the strategy had nothing to give
    reason = "done"
    for obs in study.observers:
        obs.on_search_start(study, n_trials)
    status = _starting(backend)
    study.notify_status(status)
    try:
        while True:
            wanted = n_trials is None or launched < n_trials
            if reason == "done" and wanted and timeout is not None and time.monotonic() - started >= timeout:
                reason = "timeout"
            elif reason == "done" and wanted and study.stop_requested:
                reason = "stopped"
            if reason == "done" and wanted and exhausted_at != len(finished):
                n, empty = _launch(study, backend, running, n_trials, launched, reports)
                launched += n
                if n and status is not None:
                    status = None
                    study.notify_status(None)
                exhausted_at = len(finished) if empty else None
            if not running:
                if reason == "done" and wanted and exhausted_at is not None:
                    reason = "exhausted"
                if reason != "done" or not wanted or not backend.starting():
                    break
            futures = list(running) + backend.pending()
            if not futures:  # only waiting for workers to (re)appear
                time.sleep(POLL)
            done = backend.wait(futures, POLL) if futures else []
            if reports is not None:  # after the wait: a finished trial's reports are all in
                pump(reports, study, [r.trial for r in running.values()])
            for fut in done:
                r = running.pop(fut, None)
                if r is None:
                    continue  # a worker process finished starting up
                res, why = backend.outcome(r)
                if res is not None and "missing" in res:  # the worker lost its cache: send the data again
                    backend.forget(r.slot, res["missing"])
                    r.future = backend.submit(r.slot, r.msg)
                    running[r.future] = r
                    continue
                if res is None:
                    finished.append(_fail(study, r, why or "the trial failed in its worker"))
                else:
                    _record(study, runner, r, res, stats, reports)
                    finished.append(r.trial)
            now = time.monotonic()
            for r in list(running.values()):
                if trial_timeout is not None and now - r.started > trial_timeout:
                    del running[r.future]
                    how = backend.stop(r)
                    finished.append(
                        _fail(
                            study,
                            r,
                            f"the trial ran longer than the trial timeout of "
                            f"{trial_timeout:g} s, so it was stopped; {how}",
                        )
                    )
            for r, why in backend.dead(list(running.values())):
                running.pop(r.future, None)
                finished.append(_fail(study, r, why))
            abort = _abort(study, finished, checked)
            checked = len(finished)
            if abort is not None:
                reason, kill = "aborted", True
                for r in running.values():
                    _fail(study, r, "the search stopped: " + str(abort).split("\n", 1)[0], TrialState.INTERRUPTED)
                running.clear()
                raise abort
    except _Broken as exc:
        reason, kill = "broken", True
        for r in running.values():
            _fail(study, r, str(exc))
        running.clear()
    except KeyboardInterrupt:
        reason, kill = "interrupted", True
        for r in running.values():
            _fail(study, r, "interrupted by the user", TrialState.INTERRUPTED)
        running.clear()
    finally:
        if running:  # an unexpected error in the loop: do not leave trials marked running
            kill = True
            for r in running.values():
                _fail(study, r, "the search stopped", TrialState.INTERRUPTED)
        backend.close(kill=kill)
        if reports is not None:
            reports.close()
        study.stop_reason = reason
        for obs in study.observers:
            obs.on_search_end(study, reason)
        if show_progress:
            study.observers.pop()


def _launch(
    study: Study,
    backend: Any,
    running: dict[Any, _Running],
    n_trials: int | None,
    launched: int,
    reports: ReportChannel | None = None,
) -> tuple[int, bool]:
    """Start trials on the free workers; returns (how many started, whether the strategy ran dry)."""
    free = backend.free_slots(running.values())
    want = len(free) if n_trials is None else min(len(free), n_trials - launched)
    if want <= 0:
        return 0, False
    try:
        trials = study.ask_batch(want, notify=False)
    except SearchExhausted:
        return 0, True
    best = study.best_trial
    for trial, slot in zip(trials, free):
        msg = {
            "number": trial.number,
            "params": trial.params,
            "info": dict(trial.info),
            # a trial at a higher budget than the best always sends its names back (see jhpo.budget)
            "best": best.value if best and trial_budget(best) >= trial_budget(trial) else None,
            "spec": backend.task.spec_key,
            "reports": None if reports is None else reports.end,
            "checkpoint": checkpoints.take(study, trial),  # its parent's state, for jhpo.checkpoint
        }
        future = backend.submit(slot, msg)
        trial.info["worker"] = backend.label(slot)
        running[future] = _Running(trial, future, slot, msg, time.monotonic())
    with study._lock:  # the panel (and a later reader of the file) sees where each trial runs
        study.storage.save_trials(study.name, trials)
    for trial in trials:
        for obs in study.observers:
            obs.on_trial_start(study, trial)
    return len(trials), False
