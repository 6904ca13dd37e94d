"""Extra numbers stored with each trial: ``jhpo.log(name=value)`` and ``--metrics a,b``.

They travel in ``trial.info["metrics"]`` (JSON, like everything stored), appear as
``metrics_<name>`` columns of the DataFrame and in ``jhpo show``; the objective
alone drives the search.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from .study import ObjectiveError
from .trial import _current

__all__ = ["log", "record"]


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or value is None:
        raise TypeError(f"the metric `{name}` is {value!r}, not a number")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"the metric `{name}` is a {type(value).__name__}, not a number") from None


def log(**metrics: Any) -> None:
    """Store numbers with the running trial, beside its objective.

    Outside a search it does nothing, so a cell that calls it still runs as
    plain Python. A later call with the same name replaces the value.

    Parameters
    ----------
    **metrics : float
        ``name=value`` pairs (numbers: ints, floats, numpy scalars).

    Raises
    ------
    TypeError
        When a value is not a number (the trial fails and says which).

    Examples
    --------
    >>> import jhpo
    >>> jhpo.log(precision=0.91, fit_time=1.5)  # a no-op outside a search
    """
    trial = _current.get()
    values = {name: _number(name, v) for name, v in metrics.items()}
    if trial is not None and values:
        trial.info.setdefault("metrics", {}).update({k: (v if math.isfinite(v) else None) for k, v in values.items()})


def record(ns: Mapping[str, Any], names: Iterable[str]) -> None:
    """After the cell ran: store the variables ``--metrics`` names with the running trial.

    Raises
    ------
    ObjectiveError
        When the cell did not set one of them (the trial fails and says how to fix it).
    """
    names = list(names)
    missing = [n for n in names if n not in ns]
    if missing:
        raise ObjectiveError(
            f"the cell did not set `{missing[0]}`, a metric named in --metrics; "
            "assign it in the cell or leave it out of --metrics"
        )
    try:
        log(**{n: ns[n] for n in names})
    except TypeError as exc:
        raise ObjectiveError(str(exc)) from None
