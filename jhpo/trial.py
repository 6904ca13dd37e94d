"""Trials, their states, and the context that ``jhpo.report`` talks to."""

from __future__ import annotations

import contextvars
import enum
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from typing import Any, TypedDict

from .space import Value

__all__ = ["RunFacts", "StrategyInfo", "Trial", "TrialPruned", "TrialState", "report"]


class StrategyInfo(TypedDict, total=False):
    """The keys of ``Trial.info`` that strategies (and the magic) write, each with its owner.

    ``info`` is stored as JSON, so a reader of a stored study sees these names.
    Execution facts (the worker, its pid, timings) live in ``Trial.run``; checkpoint
    bookkeeping is written by the executors; the user's numbers live in ``Trial.metrics``.
    """

    baseline: bool  # the cell's own defaults (the magic)
    budget: int | float  # the resource value the trial ran at (schedulers; the runner sets it)
    grid_index: int  # position in the grid's walk (grid)
    sobol_index: int  # position in the Sobol sequence (sobol)
    bracket: int  # hyperband's bracket
    bracket_size: int  # configurations the bracket started (hyperband)
    rung: int  # the rung within the bracket (hyperband, asha)
    parent: int | None  # the trial this one was promoted or copied from (hyperband, asha, pbt, genetic)
    generation: int  # genetic's generation
    parents: list[int]  # genetic: the trials it was bred from
    operator: str  # genetic: how it was made ("init", "crossover", "mutation", ...)
    slot: int  # genetic: its place in the generation
    population: int  # genetic: individuals per generation
    member: int  # pbt: the population member this trial continues
    interval: int  # pbt: the training interval
    exploited: int | None  # pbt: the better member whose weights it copied
    perturbed: dict[str, Any]  # pbt: the parameters it changed when it explored
    why: dict[str, Any]  # why the point was chosen (bayes: acquisition, model mean and spread)
    gp_theta: list[float]  # bayes: the kernel's fitted log hyper-parameters, then any input warp's (a fit starts there)
    gp_prior_mean: str  # bayes: the prior mean gp_theta was fitted with ("worst"; absent: "mean", before it was stored)
    manual: bool  # run from the --manual form
    suggested_by: str  # --manual: the strategy whose Suggest filled the form
    feasible: bool  # whether the trial satisfied every --constraint
    violated: list[str]  # the constraints it broke


class TrialState(str, enum.Enum):
    RUNNING = "running"
    COMPLETE = "complete"
    FAILED = "failed"
    PRUNED = "pruned"
    INTERRUPTED = "interrupted"

    @property
    def is_finished(self) -> bool:
        return self is not TrialState.RUNNING


class TrialPruned(Exception):
    """Raised by :func:`report` when the scheduler stops a trial early.

    The runner records the trial as PRUNED with ``reason``; user code need not catch it.
    """

    def __init__(self, reason: str = "pruned") -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class RunFacts:
    """Where and how a trial ran, as its execution reports it (trials on workers; None in process).

    Attributes
    ----------
    worker : str
        The worker's label: ``"process 1 (pid 4242)"``, a Dask worker address,
        ``"ThreadPoolExecutor slot 1 (pid 4242)"``.
    host, pid
        The machine and process that ran it (None until the result is back).
    seconds, cpu_seconds
        Wall and CPU time of the trial inside the worker.
    names_not_sent : str, optional
        Why the names the cell set did not travel back (the notebook re-runs it if it stays best).
    """

    worker: str = ""
    host: str | None = None
    pid: int | None = None
    seconds: float | None = None
    cpu_seconds: float | None = None
    names_not_sent: str | None = None

    #: The key they are stored under in the info column of a study file (a reserved name).
    KEY = "__run__"
    #: The keys these facts had in ``Trial.info`` before they were declared (old study files).
    LEGACY = ("worker", "host", "pid", "seconds", "cpu_seconds", "names_not_sent")

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunFacts:
        """The facts in ``data`` (unknown keys and values of the wrong type are left out)."""
        numbers = {"pid": (int,), "seconds": (int, float), "cpu_seconds": (int, float)}
        out = cls()
        for f in fields(cls):
            v = data.get(f.name)
            if isinstance(v, bool) or not isinstance(v, numbers.get(f.name, (str,))):
                continue
            setattr(out, f.name, float(v) if isinstance(v, int) and f.name != "pid" else v)
        return out


@dataclass
class Trial:
    """One evaluation of the objective.

    Attributes
    ----------
    number : int
        Position in the study, from 0.
    params : dict
        The configuration, one JSON value per parameter.
    state : TrialState
    value : float or None
        The objective as the user wrote it (not sign-flipped); with several
        objectives, the first of them.
    values : list of float or None
        With several objectives (``--maximize a --minimize b``), one value per
        objective in the study's order, as the user wrote them; None otherwise.
    info : dict
        What the strategy attached (grid index, generation, parents, bracket,
        budget, why it was chosen, ...; the keys are declared in :class:`StrategyInfo`),
        and ``baseline: True`` for the defaults.
    intermediate : dict
        ``{step: value}`` from :func:`report`.
    metrics : dict
        The user's extra numbers (``--metrics``, :func:`jhpo.log`); None for a non-finite one.
    run : RunFacts or None
        Where and how it ran, for trials run on workers.
    """

    number: int
    params: dict[str, Value]
    state: TrialState = TrialState.RUNNING
    value: float | None = None
    values: list[float] | None = None
    info: dict[str, Any] = field(default_factory=dict)
    intermediate: dict[int, float] = field(default_factory=dict)
    metrics: dict[str, float | None] = field(default_factory=dict)
    datetime_start: float | None = None
    datetime_end: float | None = None
    stdout: str = ""
    stderr: str = ""
    error: str | None = None
    run: RunFacts | None = None
    # The study installs this hook while the trial runs; it decides pruning.
    _should_prune: Callable[[Trial, int], str | None] | None = field(default=None, repr=False, compare=False)

    @property
    def duration(self) -> float | None:
        if self.datetime_start is None or self.datetime_end is None:
            return None
        return self.datetime_end - self.datetime_start

    @property
    def budget(self) -> Value:
        budget: Value = self.info.get("budget")
        return budget

    def report(self, value: float, step: int | None = None) -> None:
        """Record an intermediate value; raises :class:`TrialPruned` if the scheduler says stop."""
        value = float(value)
        if step is None:
            step = max(self.intermediate, default=-1) + 1
        step = int(step)
        if math.isfinite(value):
            self.intermediate[step] = value
        if self._should_prune is not None:
            reason = self._should_prune(self, step)
            if reason:
                raise TrialPruned(reason)

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "params": self.params,
            "state": self.state.value,
            "value": self.value,
            "values": self.values,
            "info": self.info,
            "intermediate": {str(k): v for k, v in self.intermediate.items()},
            "metrics": self.metrics,
            "datetime_start": self.datetime_start,
            "datetime_end": self.datetime_end,
            "stdout": self.stdout,
            "stderr": self.stderr,
            "error": self.error,
            "run": self.run.to_json() if self.run is not None else None,
        }

    def start(self) -> None:
        self.datetime_start = time.time()
        self.state = TrialState.RUNNING


_current: contextvars.ContextVar[Trial | None] = contextvars.ContextVar("jhpo_trial", default=None)


def report(value: float, step: int | None = None) -> None:
    """Report an intermediate objective value from inside a trial.

    Outside a search it does nothing, so a cell that calls it still runs as
    plain Python. Inside a search it records ``value`` at ``step`` and raises
    :class:`TrialPruned` when the scheduler decides to stop the trial early.

    Parameters
    ----------
    value : float
        The intermediate value (e.g. the validation score after an epoch).
    step : int, optional
        The step (epoch, round); defaults to one past the last reported step.

    Examples
    --------
    >>> import jhpo
    >>> for epoch in range(3):
    ...     jhpo.report(0.5 + epoch / 10, step=epoch)
    """
    trial = _current.get()
    if trial is not None:
        trial.report(value, step)
