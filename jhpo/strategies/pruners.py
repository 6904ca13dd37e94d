"""Pruners: stop a trial early from the values it reports (usable with any strategy)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from ..direction import Direction
from ..errors import UsageProblem
from ..trial import Trial, TrialState
from .base import Pruner

__all__ = ["MedianPruner"]


class MedianPruner(Pruner):
    """Median stopping: stop a trial whose best report so far trails the median of the others.

    At step ``s`` the trial's best value up to ``s`` is compared with the
    median of the values that the completed trials reported at step ``s``;
    if it is worse, the trial is pruned (``--pruner median``, the automatic
    early stopping that SageMaker and Vertex AI offer).

    Parameters
    ----------
    direction : {"maximize", "minimize"}
        How reports compare (the study passes its own).
    n_startup_trials : int, default 5
        Never prune before this many trials have completed.
    n_warmup_steps : int, default 0
        Never prune a trial at steps below this.
    n_min_trials : int, default 1
        Completed trials that must have reported at step ``s`` for a comparison.

    Examples
    --------
    >>> import jhpo
    >>> from jhpo.strategies.pruners import MedianPruner
    >>> study = jhpo.Study({"x": jhpo.uniform(0, 1)}, strategy="random", storage=":memory:",
    ...                    pruner=MedianPruner(n_startup_trials=2))
    """

    name = "median"

    def __init__(
        self, direction: str = "maximize", n_startup_trials: int = 5, n_warmup_steps: int = 0, n_min_trials: int = 1
    ) -> None:
        if direction not in ("maximize", "minimize"):
            raise UsageProblem(f"direction must be 'maximize' or 'minimize', but got {direction!r}")
        if n_startup_trials < 0 or n_warmup_steps < 0 or n_min_trials < 1:
            raise UsageProblem(
                "need n_startup_trials >= 0, n_warmup_steps >= 0 and n_min_trials >= 1, but got "
                f"({n_startup_trials}, {n_warmup_steps}, {n_min_trials})"
            )
        self.direction = direction
        self.n_startup_trials = n_startup_trials
        self.n_warmup_steps = n_warmup_steps
        self.n_min_trials = n_min_trials

    def should_prune(self, trial: Trial, step: int, trials: Sequence[Trial]) -> str | None:
        if step < self.n_warmup_steps or step not in trial.intermediate:
            return None
        completed = [t for t in trials if t.state is TrialState.COMPLETE and t.number != trial.number]
        if len(completed) < self.n_startup_trials:
            return None
        others = [t.intermediate[step] for t in completed if step in t.intermediate]
        if len(others) < max(1, self.n_min_trials):
            return None
        median = statistics.median(others)
        mine = [v for s, v in trial.intermediate.items() if s <= step]
        maximize = Direction.parse(self.direction) is Direction.MAXIMIZE
        best = max(mine) if maximize else min(mine)
        if (best < median) if maximize else (best > median):
            return (
                f"median pruner, step {step}: the best value so far {best:.6g} is "
                f"{'below' if maximize else 'above'} the median {median:.6g} of {len(others)} completed "
                f"trials at this step"
            )
        return None
