"""Extra numbers stored with each trial: ``jhpo.log(name=value)``, ``--metrics a,b``, and
constraints on them (``--constraint "size_mb < 5"``).

They live in ``trial.metrics`` (stored as JSON, like everything stored, in their own
field), appear as ``metrics_<name>`` columns of the DataFrame and in ``jhpo show``;
the objective alone drives the search.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from .conditions import Clause
from .errors import ObjectiveError, UsageProblem
from .trial import Trial, _current

__all__ = ["log", "metrics_of", "parse_constraint", "record"]

_CONSTRAINT = re.compile(r"^\s*([A-Za-z_]\w*)\s*(<=|>=|<|>)\s*(\S+)\s*$")


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
        trial.metrics.update({k: (v if math.isfinite(v) else None) for k, v in values.items()})


def metrics_of(trial: Trial) -> dict[str, float | None]:
    """The numbers stored with ``trial`` (``--metrics``, :func:`log`), by name; None for a non-finite one.

    Examples
    --------
    >>> from jhpo.trial import Trial
    >>> metrics_of(Trial(0, {}, metrics={"f1": 0.8}))
    {'f1': 0.8}
    """
    return dict(trial.metrics)


def parse_constraint(text: str) -> Clause:
    """``"size_mb < 5"`` -> the clause a feasible trial's metric must satisfy.

    Raises
    ------
    ValueError
        With the form that would be right.
    """
    m = _CONSTRAINT.match(text.strip().strip("\"'"))  # the magic's line keeps the user's quotes
    number = None
    if m:
        try:
            number = float(m.group(3))
        except ValueError:
            number = None
    if m is None or number is None or not math.isfinite(number):
        raise UsageProblem(
            f"cannot read the constraint {text!r}; write METRIC OP NUMBER with OP one of < <= > >=, "
            'e.g. --constraint "size_mb < 5" (the metric is a variable the cell sets, or one it logs)'
        )
    return Clause(m.group(1), m.group(2), number)


def _check(constraints: Iterable[Clause]) -> None:
    trial = _current.get()
    if trial is None:
        return
    metrics = trial.metrics
    unknown = [c.param for c in constraints if c.param not in metrics]
    if unknown:
        raise ObjectiveError(
            f"the cell neither set nor logged `{unknown[0]}`, the metric of a --constraint; "
            f"assign it in the cell or call jhpo.log({unknown[0]}=...)"
        )
    broken = [c for c in constraints if metrics[c.param] is None or not c.holds(metrics[c.param])]
    trial.info["feasible"] = not broken
    if broken:
        trial.info["violated"] = [f"{c.param} {c.op} {c.value:g} (was {metrics.get(c.param)!r})" for c in broken]


def record(ns: Mapping[str, Any], names: Iterable[str], constraints: Iterable[Clause] = ()) -> None:
    """After the cell ran: store the variables ``--metrics`` names with the running trial.

    Raises
    ------
    ObjectiveError
        When the cell did not set one of them (the trial fails and says how to fix it).
    """
    constraints = list(constraints)
    names = list(dict.fromkeys([*names, *(c.param for c in constraints if c.param in ns)]))
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
    if constraints:
        _check(constraints)
