"""The strategy interface: where to sample next.

A strategy sees the space and the trials so far and proposes configurations.
It does no I/O, knows nothing of execution, storage or UI, and is rebuilt
from the stored trials on ``--resume``, so it keeps no state it cannot
recompute from them (what it needs it writes into ``Suggestion.info``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..space import Space, Value
from ..trial import Trial, TrialState

__all__ = ["Pruner", "Strategy", "Suggestion"]


@dataclass
class Suggestion:
    """A proposed configuration and what the strategy wants recorded with it.

    ``info`` is stored with the trial (JSON): a grid index, a generation and its
    parents, a bracket and budget, why the point was chosen. The key ``budget``
    is special: the runner sets the space's resource parameter to it.
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

    def __init__(self, space: Space, seed: int | None = None, direction: str = "maximize") -> None:
        self.space = space
        self.seed = seed
        self.direction = direction
        self.last_explanation: dict[str, Any] | None = None

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
        """What the panel may draw about this strategy's last choice (None: nothing)."""
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
        return -trial.value if self.direction == "maximize" else trial.value


class Pruner:
    """Decides, from reported intermediate values, whether to stop a trial early."""

    name = "none"

    def should_prune(self, trial: Trial, step: int, trials: Sequence[Trial]) -> str | None:
        return None
