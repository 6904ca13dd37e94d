"""NSGA-II's selection for the genetic strategy with several objectives (Deb et al., 2002).

The genetic strategy breeds from a pool sorted best first, and its tournament
takes the best-placed entrant. Sorting the pool by Pareto rank, then by
crowding distance (larger first), makes that tournament NSGA-II's crowded
comparison, and keeping the ``population`` first of all earlier generations is
NSGA-II's elitist (mu + lambda) survival. Infeasible trials (``--constraint``)
never enter the pool, as in Optuna's constrained domination where every feasible
trial ranks before every infeasible one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..direction import Direction
from ..pareto import crowding_distance, non_dominated_sort, scored_trials
from ..trial import Trial

__all__ = ["select"]


def select(trials: Sequence[Trial], directions: Sequence[str], size: int) -> list[Trial]:
    """The ``size`` survivors of ``trials``, best first: by Pareto rank, then by crowding distance.

    Trials without a value for every objective are left out.

    Examples
    --------
    >>> from jhpo.trial import Trial, TrialState
    >>> ts = [Trial(i, {}, TrialState.COMPLETE, v[0], v) for i, v in enumerate([[1, 3], [2, 2], [3, 3], [3, 1]])]
    >>> [t.number for t in select(ts, ["minimize", "minimize"], 3)]
    [0, 3, 1]
    """
    kept, losses = scored_trials(trials, [Direction.parse(d) for d in directions])
    if not kept:
        return []
    ranks = non_dominated_sort(losses)
    crowd = np.zeros(len(kept))
    for r in np.unique(ranks):
        members = np.flatnonzero(ranks == r)
        crowd[members] = crowding_distance(losses[members])
    order = sorted(range(len(kept)), key=lambda i: (ranks[i], -crowd[i], kept[i].number))
    return [kept[i] for i in order[:size]]
