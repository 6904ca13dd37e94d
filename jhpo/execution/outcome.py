"""How a trial's outcome is judged: the objective's value, and the fail-fast rules of a search."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import ObjectiveError, SearchAborted
from ..trial import Trial, TrialState

if TYPE_CHECKING:
    from ..study import Study

__all__ = ["FAIL_FAST", "check_value", "check_values", "config_independent", "fail_fast"]

#: The search stops when this many first trials of a run all failed.
FAIL_FAST = 3


def check_value(value: Any) -> float:
    """``value`` as the objective's float; an :class:`ObjectiveError` saying why it is none.

    >>> check_value(0.5), check_value(3)
    (0.5, 3.0)
    """
    if isinstance(value, bool) or value is None:
        raise ObjectiveError(f"the objective is {value!r}, not a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        shown = repr(value)
        shown = shown if len(shown) < 60 else shown[:57] + "..."
        raise ObjectiveError(f"the objective is a {type(value).__name__} ({shown}), not a number") from None
    if math.isnan(number):
        raise ObjectiveError("the objective is NaN")
    return number


def check_values(value: Any, objectives: Sequence[tuple[str, str]]) -> list[float]:
    """``value`` as one float per objective (``(direction, name)`` pairs); an :class:`ObjectiveError` saying why not.

    One rule for every place a trial runs: the study checks what it is told with
    it, and a worker process checks what its cell or function gave before
    sending it back, so both say the same thing.

    >>> check_values((0.5, 2), [("maximize", "acc"), ("minimize", "fit_time")])
    [0.5, 2.0]
    """
    wanted = ", ".join(f"{d} {n}" for d, n in objectives)
    if isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__len__"):
        raise ObjectiveError(
            f"the study has {len(objectives)} objectives ({wanted}), so a trial gives {len(objectives)} numbers, "
            f"not a {type(value).__name__}"
        )
    if len(value) != len(objectives):
        raise ObjectiveError(f"the trial gave {len(value)} numbers for the {len(objectives)} objectives ({wanted})")
    out = []
    for (_, n), v in zip(objectives, value):
        try:
            out.append(check_value(v))
        except ObjectiveError as exc:
            raise ObjectiveError(f"{exc} (objective `{n}`)") from None
    return out


def config_independent(study: Study, trial: Trial) -> SearchAborted | None:
    """The abort for a failed trial whose cause no configuration can change (set by the runner), or None."""
    why = getattr(trial, "_fatal", None)
    if why is None or trial.state is not TrialState.FAILED:
        return None
    return SearchAborted(
        f"trial {trial.number} failed for a reason that does not depend on the configuration, so the search "
        f"stopped instead of running more trials that must fail the same way (the record is kept in study "
        f"{study.name!r}): {why}.\n\n{trial.error}",
        trial,
    )


def fail_fast(study: Study, finished: Sequence[Trial], checked: int) -> SearchAborted | None:
    """The fail-fast rules on the trials finished since ``checked`` (in the order they finished):
    one configuration-independent failure, or the first :data:`FAIL_FAST` trials all failed."""
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
