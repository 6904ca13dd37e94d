"""The strategy interface: where to sample next.

A strategy sees the space and the trials so far and proposes configurations.
It does no I/O, knows nothing of execution, storage or UI, and is rebuilt
from the stored trials on ``--resume``, so it keeps no state it cannot
recompute from them (what it needs it writes into ``Suggestion.info``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ..direction import Direction
from ..space import Space, Value
from ..trial import Trial, TrialState

__all__ = ["DEFAULT_TRIALS", "SEARCH_FACTS", "Pruner", "SearchSize", "Strategy", "Suggestion", "chosen_options"]

#: Trials when neither ``--trials`` nor ``--timeout`` is given (a strategy may answer otherwise).
DEFAULT_TRIALS = 20

#: What the search knows about itself and offers every strategy; a strategy takes those it
#: declares in :attr:`Strategy.options` (a sampler has no use for a trial count or a checkpoint).
#: Any other option is one the user chose, and a strategy that does not declare it refuses it.
SEARCH_FACTS = frozenset({"n_trials", "timeout", "baseline", "grid_points", "checkpoint"})


def chosen_options(options: dict[str, Any] | None) -> dict[str, Any]:
    """The options the user chose: ``options`` without the search's own facts (its trial count)."""
    return {k: v for k, v in (options or {}).items() if k not in SEARCH_FACTS}


@dataclass(frozen=True)
class SearchSize:
    """What decides a search's length before a strategy exists (:meth:`Strategy.default_trials`).

    Attributes
    ----------
    timeout : float or None
        ``--timeout``: with one, the search has no trial count unless the strategy needs one.
    baseline : dict or None
        The cell's defaults when they run first (they count as a trial), else None.
    grid_points : int
        ``--grid-points``: levels per float parameter of a grid.
    options : mapping
        The strategy's own options (e.g. ``eta``).
    """

    timeout: float | None = None
    baseline: Mapping[str, Value] | None = None
    grid_points: int = 5
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Suggestion:
    """A proposed configuration and what the strategy wants recorded with it.

    ``info`` is stored with the trial (JSON): a grid index, a generation and its
    parents, a bracket and budget, why the point was chosen; the keys are declared
    in :class:`jhpo.trial.StrategyInfo`. The key ``budget`` is special: the runner
    sets the space's resource parameter to it.
    """

    params: dict[str, Value]
    info: dict[str, Any] = field(default_factory=dict)


class Strategy:
    """Base class of the samplers (grid, random, sobol, bayes, genetic, ...).

    Parameters
    ----------
    space : Space
        What to search. A ``resource(...)`` parameter is left to schedulers;
        samplers see ``space.searched``.
    seed : int, optional
        Makes the sequence of proposals repeatable.
    direction : {"maximize", "minimize"}
    """

    name = "base"
    #: One direction per objective when the study has several (set by jhpo.strategies.multi); else empty.
    directions: tuple[str, ...] = ()
    #: True when proposals do not depend on results, so all can be listed up front (dry run).
    is_static = False
    #: The panel page this strategy has, read from the trials by :mod:`jhpo.insights` (one of
    #: ``jhpo.insights.VIEWS``: "surrogate", "brackets", "generations", "population"; None: none).
    view: str | None = None
    #: True for schedulers that hand each trial a budget through the cell's ``resource(...)``
    #: and promote trials (so ``--checkpoint`` has a parent trial to continue from).
    hands_out_budget = False
    #: The options this strategy's constructor takes beyond space, seed and direction: name ->
    #: the type of its value. :func:`jhpo.strategies.make_strategy` refuses any other option.
    options: ClassVar[Mapping[str, type | tuple[type, ...]]] = {}

    def __init__(self, space: Space, seed: int | None = None, direction: str | Direction = "maximize") -> None:
        self.space = space
        self.seed = seed
        self.direction = Direction.parse(direction)
        self.last_explanation: dict[str, Any] | None = None

    @classmethod
    def default_trials(cls, space: Space, size: SearchSize) -> int | None:
        """How many trials a search with this strategy runs when ``--trials`` is not given.

        None means no count: the search runs until ``--timeout`` (or, for a static
        strategy, until its list is done). Strategies with a natural length override
        this (grid: the whole grid; hyperband: one whole bracket).
        """
        return None if size.timeout is not None else DEFAULT_TRIALS

    def suggest(self, trials: Sequence[Trial], n: int = 1) -> list[Suggestion]:
        """Propose up to ``n`` configurations; fewer (or none) means the space is exhausted.

        ``trials`` holds every trial so far, running ones included, so a
        strategy can avoid proposing the same point twice.
        """
        raise NotImplementedError

    def adopt(self, queued: Suggestion, trials: Sequence[Trial]) -> Suggestion:
        """Place an enqueued configuration (the baseline) in the schedule; schedulers override this."""
        return queued

    def should_prune(self, trial: Trial, step: int, trials: Sequence[Trial]) -> str | None:
        """Schedulers override this: a reason to stop ``trial`` at ``step``, or None."""
        return None

    def explain(self) -> dict[str, Any] | None:
        """This object's last choice, for a look from Python (None: nothing).

        Views never read it: what a choice was is recorded in each trial's ``info`` (bayes' ``why``,
        a generation and its parents, a bracket and rung), which the trial details show.
        """
        return self.last_explanation

    # helpers shared by subclasses -------------------------------------------------

    def rng(self, *salt: int) -> np.random.Generator:
        """A generator that depends only on the seed and ``salt`` (stateless, resume-safe)."""
        if self.seed is None:
            return np.random.default_rng()
        return np.random.default_rng([int(self.seed) & 0xFFFFFFFF, *salt])

    def loss(self, trial: Trial) -> float:
        """The trial's value turned into something to minimize (inf when it has none)."""
        if trial.state is not TrialState.COMPLETE or trial.value is None or not math.isfinite(trial.value):
            return math.inf
        if trial.info.get("feasible") is False:  # broke a --constraint: as bad as a failure, so steer away
            return math.inf
        return self.direction.loss(trial.value)


class Pruner:
    """Decides, from reported intermediate values, whether to stop a trial early."""

    name = "none"

    def should_prune(self, trial: Trial, step: int, trials: Sequence[Trial]) -> str | None:
        return None
