"""Which trial is best when trials ran at different budgets (one rule, used everywhere).

Hyperband, ASHA and PBT run configurations at several budgets of the cell's
``resource(lo, hi)`` (epochs, rounds, a fraction of the data). A value measured
on 1 epoch or on 4 % of the data is not comparable with one at the full budget:
small budgets are noisy and optimistic or pessimistic at random. So, as
Optuna and scikit-learn's ``HalvingRandomSearchCV`` report full-resource
results only, jhpo compares trials **at equal budget**:

* the best trial is the best completed trial at the *highest budget any
  completed trial reached* (a configuration counts with the value at its
  highest budget, because that is where its later trial ran);
* when that budget is the resource's top (``hi``), this is the answer; when no
  trial has reached it yet, the best is only "best so far at budget b", and
  :func:`best_note` says so for the summary, the panel and ``jhpo show``.

Without a resource every trial has the same budget and this is the plain best.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .direction import Direction
from .space import Space
from .trial import Trial, TrialState

__all__ = ["best_note", "best_trial", "outranks", "rank_key", "top_budget", "trial_budget"]


def top_budget(space: Space) -> float | None:
    """The resource's full budget ``hi``, or None when the space has no resource."""
    name = space.resource_name
    return None if name is None else float(space[name].high)  # type: ignore[attr-defined]


def trial_budget(trial: Trial) -> float:
    """The budget a trial ran at (0 for a trial without one: all such trials compare equally)."""
    budget = trial.info.get("budget")
    return float(budget) if isinstance(budget, (int, float)) and not isinstance(budget, bool) else 0.0


def rank_key(budget: float, value: float, direction: str | Direction) -> tuple[float, float]:
    """Sorts trials by the rule of this module: a higher budget first, then a better value
    (the largest key is the best)."""
    return budget, -Direction.parse(direction).loss(value)


def outranks(
    budget: float | None, value: float, other_budget: float | None, other: float | None, direction: str | Direction
) -> bool:
    """Whether ``value`` at ``budget`` beats ``other`` at ``other_budget`` (a higher budget always does).

    Examples
    --------
    >>> outranks(27, 0.8, 1, 1.0, "maximize")  # full budget beats a lucky tiny one
    True
    >>> outranks(27, 0.8, 27, 0.9, "maximize")
    False
    """
    if other is None:
        return True
    return rank_key(float(budget or 0), value, direction) > rank_key(float(other_budget or 0), other, direction)


def best_trial(trials: Sequence[Trial], direction: str | Direction) -> Trial | None:
    """The best completed trial at the highest budget reached (earliest on ties), or None.

    Parameters
    ----------
    trials : sequence of Trial
    direction : {"maximize", "minimize"}

    Examples
    --------
    >>> from jhpo.trial import Trial, TrialState
    >>> small = Trial(0, {}, TrialState.COMPLETE, 1.0, info={"budget": 1})
    >>> full = Trial(1, {}, TrialState.COMPLETE, 0.8, info={"budget": 27})
    >>> best_trial([small, full], "maximize").number
    1
    """
    done = [t for t in trials if t.state is TrialState.COMPLETE and t.value is not None and not math.isnan(t.value)]
    if not done:
        return None
    return max(done, key=lambda t: (*rank_key(trial_budget(t), t.value, direction), -t.number))  # type: ignore[arg-type]


def best_note(best: Trial | None, space: Space) -> str | None:
    """ "best so far at budget b" when ``best`` is below the resource's full budget, else None."""
    top = top_budget(space)
    if best is None or top is None or trial_budget(best) >= top:
        return None
    b = best.info.get("budget")
    return (
        f"best so far at budget {b:g}: no configuration has reached the full budget {top:g} yet, "
        "so this is compared only with trials at that budget"
    )
