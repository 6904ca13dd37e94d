"""Axis ticks that read like a careful matplotlib figure: pure numbers and labels, no widgets.

Integers get integer ticks, log axes get decade ticks labelled in the
parameter's own units (``10⁻³ 10⁻² 10⁻¹``, or ``5 10 20 50`` on a short range),
categories are named. The bqplot layer passes ``values`` as ``tick_values`` and
``labels`` as ``tick_labels``: bqplot looks a label up by the JavaScript string
of the tick value, which :func:`js_number` reproduces. d3's own formats could
not do this (no superscripts, and one format string cannot suit 0.001 and 100
alike), hence the hand-written rules.
"""

from __future__ import annotations

import decimal
import math
from typing import Any, TypedDict

from ..space import Choice, Distribution, Int, Resource

__all__ = ["Ticks", "axis_ticks", "js_number", "linear_ticks", "log_ticks", "tick_labels"]

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
MAX_TICKS = 6


class Ticks(TypedDict):
    """Where an axis puts its ticks and what they say."""

    scale: str  # "linear", "log" or "ordinal"
    domain: list[Any]  # [low, high], or the category names in order
    values: list[Any]
    labels: list[str]


def js_number(v: float) -> str:
    """``String(v)`` in JavaScript (ECMAScript Number::toString), the key bqplot looks tick labels up by."""
    if v == 0 or not math.isfinite(v):
        return "0" if v == 0 else str(v).replace("inf", "Infinity")
    sign = "-" if v < 0 else ""
    d = decimal.Decimal(repr(abs(float(v)))).normalize()
    _s, digits_t, exp = d.as_tuple()
    digits = "".join(map(str, digits_t))
    k, n = len(digits), len(digits) + int(exp)  # ECMAScript's k digits with the point after n of them
    if k <= n <= 21:
        out = digits + "0" * (n - k)
    elif 0 < n <= 21:
        out = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        out = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        mant = digits if k == 1 else digits[0] + "." + digits[1:]
        out = f"{mant}e{'+' if e >= 0 else '-'}{abs(e)}"
    return sign + out


def _decimals(step: float) -> int:
    """Decimals that show ``step`` exactly (2.5 needs one, 0.25 two, 50 none)."""
    d = max(0, -math.floor(math.log10(step) + 1e-9))
    while d < 8 and abs(round(step, d) - step) > 1e-9 * step:
        d += 1
    return d


def _plain(v: float, integer: bool, decimals: int | None = None) -> str:
    if integer:
        return str(int(round(v)))
    if decimals is not None:
        return f"{v:.{decimals}f}"
    return f"{v:g}"


def linear_ticks(low: float, high: float, integer: bool = False, max_ticks: int = MAX_TICKS) -> list[float]:
    """Multiples of a 1-2-5 step inside [low, high], at most ``max_ticks`` (whole steps for integers)."""
    span = high - low
    if span <= 0:
        return [low]
    raw = span / max(1, max_ticks - 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw * (1 - 1e-9))
    if integer:
        step = max(1.0, float(math.ceil(step)))
    first = math.ceil(low / step - 1e-9)
    out = []
    i = first
    while i * step <= high + 1e-9 * step:
        out.append(round(i * step, 12))
        i += 1
    return out


def log_ticks(low: float, high: float, integer: bool = False, max_ticks: int = MAX_TICKS + 1) -> list[float]:
    """Powers of ten inside [low, high] when there are three or more; else 1-2-5 multiples; else linear."""
    lo_e, hi_e = math.ceil(math.log10(low) - 1e-9), math.floor(math.log10(high) + 1e-9)
    if hi_e - lo_e >= 2:
        step = max(1, math.ceil((hi_e - lo_e + 1) / max_ticks))
        return [10.0**e for e in range(lo_e, hi_e + 1, step)]
    for mults in ((1, 2, 5), (1, 3), (1,)):
        cands = [
            m * 10.0**e
            for e in range(lo_e - 1, hi_e + 1)
            for m in mults
            if low * (1 - 1e-9) <= m * 10.0**e <= high * (1 + 1e-9)
        ]
        cands = [float(f"{c:.12g}") for c in cands if not integer or c >= 1]
        if 2 <= len(cands) <= max_ticks:
            return cands
    return linear_ticks(low, high, integer, max_ticks=4)


def tick_labels(values: list[float], scale: str, integer: bool) -> list[str]:
    """Labels for ``values``: superscript powers of ten on a decade axis, else plain, one number of decimals."""
    if not values:
        return []
    decades = scale == "log" and all(math.log10(v).is_integer() for v in values if v > 0) and len(values) >= 3
    if decades and not integer:
        return ["10" + str(int(round(math.log10(v)))).translate(_SUPERSCRIPT) for v in values]
    if scale == "log" or integer:
        return [_plain(v, integer) for v in values]
    step = min((b - a for a, b in zip(values, values[1:])), default=abs(values[0]) or 1.0)
    return [_plain(v, False, _decimals(step)) for v in values]


def _label(v: Any) -> str:
    return v if isinstance(v, str) else repr(v)


def axis_ticks(dist: Distribution) -> Ticks:
    """The ticks of one parameter's axis (see the module docstring)."""
    if isinstance(dist, Choice):
        names = [_label(c) for c in dist.choices]
        return {"scale": "ordinal", "domain": names, "values": names, "labels": names}
    low, high = float(dist.low), float(dist.high)  # type: ignore[attr-defined]
    integer = isinstance(dist, (Int, Resource)) and float(low).is_integer() and float(high).is_integer()
    scale = "log" if getattr(dist, "log", False) else "linear"
    values = log_ticks(low, high, integer) if scale == "log" else linear_ticks(low, high, integer)
    return {"scale": scale, "domain": [low, high], "values": values, "labels": tick_labels(values, scale, integer)}


def range_ticks(low: float, high: float, log: bool, integer: bool) -> Ticks:
    """Ticks for a data range that is not a parameter (a budget axis, a generation axis)."""
    scale = "log" if log and low > 0 and high > low else "linear"
    values = log_ticks(low, high, integer) if scale == "log" else linear_ticks(low, high, integer)
    return {"scale": scale, "domain": [low, high], "values": values, "labels": tick_labels(values, scale, integer)}
