"""What runs inside a worker process (local, or a Dask worker): one trial per call.

The main process owns the study; a worker gets a small message per trial
(number, params, info) plus references to the search's data: the task spec
(cell template or function, and the notebook's small names) and the large
names. Data arrives once per worker: :class:`Blob` carries pickled bytes
(or a file path) the first time and only its key afterwards; the worker keeps
what it unpickled in :data:`_MEMO`, keyed by content hash. Under Dask the
references are scattered futures that Dask resolves to the values already held
in the worker's memory.

Nothing here imports IPython; a worker needs only jhpo's core and cloudpickle.
"""

from __future__ import annotations

import builtins
import contextlib
import importlib
import io
import os
import socket
import sys
import threading
import time
import traceback
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import cloudpickle

from . import capture, checkpoints
from .annotations import PARAMS, CellTemplate
from .capture import BoundedWriter
from .direction import Direction
from .errors import ObjectiveError
from .execution.outcome import check_value, check_values
from .reports import worker_hook
from .runner import CellRunner
from .trial import Trial, TrialPruned, _current

__all__ = ["Blob", "TaskSpec", "preload", "run_trial"]

#: The changed names of a best-so-far trial travel back when their pickle is at most this big.
NAMES_LIMIT = 32 << 20


@dataclass
class Blob:
    """A pickled value sent by content key: inline bytes, a file, or only the key (already sent)."""

    key: str
    data: bytes | None = None
    path: str | None = None

    def load(self) -> Any:
        if self.data is not None:
            return cloudpickle.loads(self.data)
        if self.path is not None:
            with open(self.path, "rb") as f:
                return cloudpickle.load(f)
        raise _Missing(self.key)


@dataclass
class TaskSpec:
    """What every trial of one search runs: a cell (template + notebook names) or a function."""

    key: str
    kind: str  # "cell" or "function"
    template: CellTemplate | None = None
    objective: str | None = None
    direction: str = "maximize"
    filename: str | None = None
    small: dict[str, Any] = field(default_factory=dict)
    large: dict[str, str] = field(default_factory=dict)  # notebook name -> data key
    modules: dict[str, str] = field(default_factory=dict)  # notebook name -> module to import
    unsent: dict[str, str] = field(default_factory=dict)  # notebook name -> why it could not be pickled
    objectives: tuple[tuple[str, str], ...] = ()  # several objectives: (direction, name) of each
    output_limit: int | None = None  # the main process's capture limit (a warm worker may predate a change)
    fn: Callable[[Trial], Any] | None = None


class _Missing(Exception):
    """The main process believed this worker held a blob that it does not (the worker was restarted)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


#: The notebook's global namespace as this worker process knows it. Functions, lambdas and class
#: methods defined in the notebook are rebuilt here with this dict as their globals (see
#: :class:`NotebookPickler`), and each trial runs the cell in this same dict, so they read the
#: trial's values exactly as they do in the notebook.
NOTEBOOK: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
#: One cell trial at a time per process: they share :data:`NOTEBOOK`, as cells share a kernel.
_NOTEBOOK_LOCK = threading.Lock()


def _rebuild_function(
    code: types.CodeType,
    name: str,
    defaults: tuple[Any, ...] | None,
    kwdefaults: dict[str, Any] | None,
    closure: tuple[Any, ...] | None,
    qualname: str,
    module: str,
    doc: str | None,
    attrs: dict[str, Any] | None,
) -> types.FunctionType:
    fn = types.FunctionType(code, NOTEBOOK, name, defaults, closure)
    fn.__kwdefaults__, fn.__qualname__, fn.__module__, fn.__doc__ = kwdefaults, qualname, module, doc
    fn.__dict__.update(attrs or {})
    return fn


def _global_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


class NotebookPickler(cloudpickle.Pickler):  # type: ignore[misc]
    """cloudpickle, except that functions whose globals are the notebook's namespace travel without them.

    cloudpickle copies the globals a function reads into a private dict, so in a
    worker a function from an earlier cell would read the notebook's values as
    they were when the search started, never the trial's. Here such a function
    is rebuilt around :data:`NOTEBOOK` instead, and :attr:`reads` collects the
    global names it reads, so the caller can send those names as well.
    """

    def __init__(self, file: Any, namespace: dict[str, Any]) -> None:
        super().__init__(file)
        self.namespace = namespace
        self.reads: set[str] = set()

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, types.FunctionType) and obj.__globals__ is self.namespace:
            self.reads |= _global_names(obj.__code__)
            attrs = dict(obj.__dict__) or None
            args = (obj.__code__, obj.__name__, obj.__defaults__, obj.__kwdefaults__, obj.__closure__)
            return _rebuild_function, (*args, obj.__qualname__, obj.__module__, obj.__doc__, attrs)
        return super().reducer_override(obj)


def notebook_dumps(value: Any, namespace: dict[str, Any]) -> tuple[bytes, set[str]]:
    """Pickle ``value`` for a worker; returns the bytes and the notebook globals its functions read."""
    buf = io.BytesIO()
    pickler = NotebookPickler(buf, namespace)
    pickler.dump(value)
    return buf.getvalue(), pickler.reads


# Per worker process: unpickled data by content key, and the compiled runner of the current cell.
_MEMO: dict[str, Any] = {}
_RUNNERS: dict[str, CellRunner] = {}
_MEMO_LOCK = threading.Lock()


def _resolve(key: str, ref: Any, loaded: list[str]) -> Any:
    if not isinstance(ref, Blob):
        # A value Dask resolved from a scattered future. Keep it: Dask's memory manager may drop
        # this worker's replica between trials, and later trials then send only the key.
        with _MEMO_LOCK:
            return _MEMO.setdefault(key, ref)
    with _MEMO_LOCK:
        if key not in _MEMO:
            _MEMO[key] = ref.load()
            loaded.append(key)
        return _MEMO[key]


def _evict(keep: set[str]) -> None:
    # Everything a task needs is listed in its data; anything else belongs to an older search.
    with _MEMO_LOCK:
        for key in [k for k in _MEMO if k not in keep]:
            del _MEMO[key]
        for key in [k for k in _RUNNERS if k not in keep]:
            del _RUNNERS[key]


def _runner(spec: TaskSpec, data: dict[str, Any], loaded: list[str]) -> CellRunner:
    runner = _RUNNERS.get(spec.key)
    if runner is None:
        ns = NOTEBOOK
        ns.clear()
        ns.update({"__name__": "__main__", "__builtins__": builtins})
        ns.update({name: importlib.import_module(mod) for name, mod in spec.modules.items()})
        ns.update(spec.small)
        ns.update({name: _resolve(key, data[key], loaded) for name, key in spec.large.items()})
        assert spec.template is not None
        runner = CellRunner(spec.template, ns, spec.objective, spec.direction, filename=spec.filename)
        _RUNNERS[spec.key] = runner
    return runner


class _ThreadStreams:
    """sys.stdout/sys.stderr stand-in that sends each thread's writes to that thread's buffer.

    ``contextlib.redirect_stdout`` swaps a process-wide object, so two trials in
    threads of one process (a Dask worker with several threads, a
    ThreadPoolExecutor) would mix their output and could leave sys.stdout
    redirected. Installed only while such trials run.
    """

    _lock = threading.Lock()
    _users = 0
    _local = threading.local()

    class _Stream(io.TextIOBase):
        def __init__(self, name: str, fallback: Any) -> None:
            self.name, self.fallback = name, fallback

        def write(self, s: str) -> int:
            buf = getattr(_ThreadStreams._local, self.name, None)
            return (buf if buf is not None else self.fallback).write(s)  # type: ignore[no-any-return]

        def flush(self) -> None:
            buf = getattr(_ThreadStreams._local, self.name, None)
            (buf if buf is not None else self.fallback).flush()

    @classmethod
    @contextlib.contextmanager
    def capture(cls) -> Iterator[tuple[BoundedWriter, BoundedWriter]]:
        with cls._lock:
            if cls._users == 0:
                sys.stdout = cls._Stream("out", sys.stdout)
                sys.stderr = cls._Stream("err", sys.stderr)
            cls._users += 1
        out, err = BoundedWriter(), BoundedWriter()
        cls._local.out, cls._local.err = out, err
        try:
            yield out, err
        finally:
            cls._local.out = cls._local.err = None
            with cls._lock:
                cls._users -= 1
                if cls._users == 0:
                    sys.stdout = sys.stdout.fallback  # type: ignore[union-attr]
                    sys.stderr = sys.stderr.fallback  # type: ignore[union-attr]


@contextlib.contextmanager
def _captured() -> Iterator[tuple[BoundedWriter, BoundedWriter]]:
    if threading.current_thread() is threading.main_thread():
        out, err = BoundedWriter(), BoundedWriter()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            yield out, err
    else:
        with _ThreadStreams.capture() as streams:
            yield streams


def _run_cell(runner: CellRunner, params: dict[str, Any]) -> tuple[dict[str, Any], str, str]:
    with _NOTEBOOK_LOCK:  # trials in threads of one process (Dask threads) share NOTEBOOK: one at a time
        if threading.current_thread() is threading.main_thread():
            return runner.run(params)  # the runner's own capture is safe in a single-threaded worker
        # Other threads of this process (a Dask worker's) keep their own output apart; the runner's
        # redirect catches this trial's, and whatever reached the thread's own stream is added.
        with _captured() as (out, err):
            try:
                produced, o, e = runner.run(params)
            except BaseException as exc:
                o, e = getattr(exc, "_jhpo_output", ("", ""))
                exc._jhpo_output = (out.getvalue() + o, err.getvalue() + e)  # type: ignore[attr-defined]
                raise
        return produced, out.getvalue() + o, err.getvalue() + e


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except Exception:  # noqa: BLE001 - not in a Dask worker (or no Dask at all)
        return f"pid {os.getpid()}"


def _better(value: float, best: float | None, direction: str) -> bool:
    return Direction.parse(direction).better(value, best)


def _changed_names(produced: dict[str, Any]) -> tuple[bytes | None, str | None]:
    diff = {k: v for k, v in produced.items() if k not in (PARAMS, "__jhpo_value__", "__builtins__", "__name__")}
    try:
        blob = cloudpickle.dumps(diff)
    except Exception as exc:  # noqa: BLE001 - the notebook re-runs the best trial instead
        return None, f"{type(exc).__name__}: {exc}"
    if len(blob) > NAMES_LIMIT:
        return None, f"the names it set take {len(blob) / 2**20:.0f} MB pickled"
    return blob, None


async def exit_process() -> None:
    """End this Dask worker's process at once (its nanny starts a fresh one); a coroutine, so
    ``client.run(..., wait=False)`` accepts it and it runs on the event loop, not the busy task thread."""
    os._exit(1)


def _checkpoint(trial: Trial) -> tuple[Any, dict[str, Any]]:
    try:
        state = checkpoints.collect(trial)
    except Exception:  # noqa: BLE001 - a state that cannot be copied: its promoted trial restarts
        state = None
    return state, {k: trial.info[k] for k in ("checkpoint_from", "resumed_budget") if k in trial.info}


def preload(data: dict[str, Any]) -> dict[str, Any]:
    """Start-up call of a fresh worker process: unpickle the search's data before any trial's clock runs."""
    loaded: list[str] = []
    error = None
    try:
        _evict(set(data))
        for key, ref in data.items():
            _resolve(key, ref, loaded)
    except Exception as exc:  # noqa: BLE001 - the trials then carry the data and report the error
        error = f"{type(exc).__name__}: {exc}"
    return {"pid": os.getpid(), "worker": _worker_name(), "loaded": loaded, "error": error}


def run_trial(msg: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Run one trial; return its outcome as plain data (never raises for the user's errors).

    Parameters
    ----------
    msg : dict
        ``number``, ``params``, ``info``, ``spec`` (the key of the task spec in
        ``data``) and ``best`` (the best value when the trial was sent, so
        only an improving trial pickles its names back).
    data : dict
        Data key -> :class:`Blob` or an already resolved value.

    Returns
    -------
    dict
        ``state`` ("complete", "failed", "pruned"), ``value``, ``error``,
        ``stdout``, ``stderr``, ``intermediate``, ``seconds``, ``cpu_seconds``, ``worker``,
        ``host``, ``pid``, ``loaded`` (data keys unpickled for this trial) and,
        for a cell that beat ``best``, ``names`` (its changed names, pickled).
        ``{"missing": [key]}`` asks the main process to send a blob again.
    """
    loaded: list[str] = []
    try:
        _evict(set(data))
        spec: TaskSpec = _resolve(msg["spec"], data[msg["spec"]], loaded)
        if spec.output_limit is not None and spec.output_limit != capture.output_limit():
            capture.set_limit(spec.output_limit)
        runner = _runner(spec, data, loaded) if spec.kind == "cell" else None
    except _Missing as exc:
        return {"missing": [exc.key]}
    trial = Trial(number=msg["number"], params=dict(msg["params"]), info=dict(msg["info"]))
    trial.start()
    if msg.get("reports") is not None:  # pruning: reports go to the study, its decision comes back
        trial._should_prune = worker_hook(msg["reports"], trial.number)
    checkpoints.deliver(trial, msg.get("checkpoint"))  # the parent's state, for jhpo.checkpoint
    out = _outcome(loaded)
    token = _current.set(trial)  # so jhpo.report records into this trial
    t0, cpu0 = time.perf_counter(), time.thread_time()
    try:
        ns = _evaluate(spec, runner, trial, out)
    finally:
        _current.reset(token)
    out["seconds"], out["cpu_seconds"] = time.perf_counter() - t0, time.thread_time() - cpu0
    out["checkpoint"], out["checkpoint_info"] = _checkpoint(trial)
    out["intermediate"] = dict(trial.intermediate)
    # What the cell recorded on its trial: the parameters it read, the metrics it logged (jhpo.log).
    out["recorded"] = {k: trial.info[k] for k in ("read", "feasible", "violated") if k in trial.info}
    out["metrics"] = trial.metrics
    if (
        runner is not None
        and ns is not None
        and out["state"] == "complete"
        and not spec.objectives  # several objectives have no best to keep: nothing is re-run after
        and _better(out["value"], msg.get("best"), spec.direction)
    ):
        out["names"], out["names_skipped"] = _changed_names(ns)
    return out


def _outcome(loaded: list[str]) -> dict[str, Any]:
    """A trial's result before it ran: complete with no value yet, and where it runs."""
    return {
        "state": "complete",
        "value": None,
        "error": None,
        "stdout": "",
        "stderr": "",
        "worker": _worker_name(),
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "loaded": loaded,
    }


def _evaluate(spec: TaskSpec, runner: CellRunner | None, trial: Trial, out: dict[str, Any]) -> dict[str, Any] | None:
    """Run the cell (or function) for ``trial``, filling ``out``; the names a cell produced, if it ran."""
    ns: dict[str, Any] | None = None
    try:
        if runner is not None:
            ns, out["stdout"], out["stderr"] = _run_cell(runner, trial.params)
            raw = runner.read_objective(ns)
        else:
            assert spec.fn is not None
            with _captured() as (so, se):
                try:
                    raw = spec.fn(trial)
                finally:
                    out["stdout"], out["stderr"] = so.getvalue(), se.getvalue()
        out["value"] = check_values(raw, spec.objectives) if spec.objectives else check_value(raw)
    except TrialPruned as exc:
        out["state"], out["error"] = "pruned", exc.reason
        out["value"] = trial.intermediate[max(trial.intermediate)] if trial.intermediate else None
    except ObjectiveError as exc:
        out["state"], out["error"] = "failed", str(exc)
        out["fatal"] = runner.fatal(exc) if runner is not None else None
    except BaseException as exc:  # noqa: BLE001 - any error of the user's code fails the trial only
        out["state"] = "failed"
        out["fatal"] = runner.fatal(exc) if runner is not None else None
        out["stdout"], out["stderr"] = getattr(exc, "_jhpo_output", (out["stdout"], out["stderr"]))
        out["error"] = runner.format_error(exc) if runner is not None else "".join(traceback.format_exception(exc))
        name = getattr(exc, "name", None)
        if isinstance(exc, NameError) and name in spec.unsent:
            out["error"] += (
                f"\n`{name}` exists in the notebook but could not be sent to the workers "
                f"({spec.unsent[name]}); make it picklable, create it inside the cell, or run without --n-jobs"
            )
            out["fatal"] = f"the notebook's `{name}` cannot be sent to worker processes"
    return ns
