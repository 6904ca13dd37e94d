"""What a search sends to its workers: the task (cell or function) pickled once, large values apart."""

from __future__ import annotations

import builtins
import hashlib
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import cloudpickle

from ..capture import output_limit
from ..errors import JhpoError
from ..runner import CellRunner
from ..trial import Trial
from ..worker import Blob, TaskSpec, notebook_dumps

__all__ = ["LARGE", "RunStats", "ShippingError", "Task", "build_task"]

#: Values whose pickle is bigger than this go to each worker once, not with every trial.
LARGE = 1 << 20


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


@dataclass
class Task:
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


def build_task(fn: Callable[[Trial], Any], objectives: Sequence[tuple[str, str]] = ()) -> Task:
    """What the workers receive for ``fn``; ``objectives`` (``(direction, name)`` pairs) for several."""
    ns: dict[str, Any] | None = None
    if isinstance(fn, CellRunner):
        spec, blobs, large = _cell_spec(fn)
        ns = fn.namespace
    else:
        spec, blobs, large = TaskSpec(key="", kind="function", fn=fn), {}, {}
    spec.objectives = tuple(objectives)  # several: the worker checks one number each, as the study does
    spec.output_limit = output_limit()  # warm workers started before a change of the limit follow it
    spec.key = "spec-" + _key(_dumps_spec(spec, ns))  # the key names the content (a probe pickle)
    blobs[spec.key] = _dumps_spec(spec, ns)
    # Every backend sends these pickles, never the objects themselves: only NotebookPickler
    # rebuilds the notebook's functions around the worker's notebook namespace.
    objects: dict[str, Any] = {key: Blob(key, blob) for key, blob in blobs.items()}
    return Task(spec.key, blobs, objects, large)


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
