"""Several objectives: Pareto dominance, non-dominated sorting, crowding distance, hypervolume.

Every function here works on *losses* (smaller is better in every column); the
directions turn the user's values into losses (:func:`losses`), so a front or a
hypervolume never depends on which objectives were maximized.

Written by hand, on purpose: scipy and scikit-learn have no Pareto tools, Optuna
(which has them in ``optuna._hypervolume``, private) is not a dependency of jhpo,
and pymoo / botorch would pull in hundreds of megabytes for fifty lines of numpy.
The algorithms are the textbook ones (Deb et al. 2002 for sorting and crowding;
an exact sweep in 2-D and the HSO slicing recursion in more dimensions, exact and
fast enough for the few hundred points of a hyperparameter search).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .direction import Direction

if TYPE_CHECKING:
    from .trial import Trial

__all__ = [
    "FrontPlot",
    "crowding_distance",
    "dominates",
    "front_frame",
    "front_lines",
    "front_plot",
    "hypervolume",
    "losses",
    "non_dominated_sort",
    "pareto_front",
    "scored_trials",
]


def dominates(a: Sequence[float], b: Sequence[float]) -> bool:
    """Whether loss vector ``a`` Pareto-dominates ``b`` (no worse anywhere, better somewhere).

    >>> dominates([1, 2], [2, 2]), dominates([1, 2], [1, 2]), dominates([1, 3], [2, 2])
    (True, False, False)
    """
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return bool(np.all(x <= y) and np.any(x < y))


def non_dominated_sort(points: np.ndarray) -> np.ndarray:
    """The Pareto rank of every row of ``points`` (losses): 0 for the front, 1 for the next, ...

    Parameters
    ----------
    points : array of shape (n, m)
        One loss vector per row; smaller is better in every column.

    Returns
    -------
    ndarray of int, shape (n,)

    Examples
    --------
    >>> non_dominated_sort(np.array([[1, 3], [2, 2], [3, 3], [3, 1], [4, 4]])).tolist()
    [0, 0, 1, 0, 2]
    """
    pts = np.asarray(points, dtype=float)
    n = len(pts)
    ranks = np.full(n, -1, dtype=int)
    if n == 0:
        return ranks
    le = np.all(pts[:, None, :] <= pts[None, :, :], axis=2)
    lt = np.any(pts[:, None, :] < pts[None, :, :], axis=2)
    dom = le & lt  # dom[i, j]: i dominates j
    count = dom.sum(axis=0)  # how many dominate each point
    rank, current = 0, np.flatnonzero(count == 0)
    while len(current):
        ranks[current] = rank
        count = count - dom[current].sum(axis=0)
        count[ranks >= 0] = -1
        current = np.flatnonzero(count == 0)
        rank += 1
    return ranks


def crowding_distance(points: np.ndarray) -> np.ndarray:
    """NSGA-II's crowding distance of each row of one front (infinite at the extremes).

    >>> crowding_distance(np.array([[0.0, 1.0], [0.5, 0.5], [1.0, 0.0]])).tolist()
    [inf, 2.0, inf]
    """
    pts = np.asarray(points, dtype=float)
    n, m = pts.shape if pts.ndim == 2 else (len(pts), 0)
    dist = np.zeros(n)
    if n <= 2:
        return np.full(n, math.inf)
    for j in range(m):
        order = np.argsort(pts[:, j], kind="stable")
        col = pts[order, j]
        dist[order[0]] = dist[order[-1]] = math.inf
        span = col[-1] - col[0]
        if span > 0:
            dist[order[1:-1]] += (col[2:] - col[:-2]) / span
    return dist


def hypervolume(points: np.ndarray, reference: Sequence[float]) -> float:
    """The volume dominated by ``points`` (losses) and bounded by ``reference``.

    Points not strictly better than the reference in every column add nothing.

    Examples
    --------
    >>> hypervolume(np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0]]), [4.0, 4.0])
    6.0
    >>> hypervolume(np.array([[0.0, 0.0, 0.0]]), [1.0, 2.0, 3.0])
    6.0
    """
    ref = np.asarray(reference, dtype=float)
    pts = np.asarray(points, dtype=float).reshape(-1, len(ref))
    pts = pts[np.all(pts < ref, axis=1)]
    if len(pts) == 0:
        return 0.0
    if pts.shape[1] > 2:  # the 2-D sweep skips dominated points itself (and sorting is O(n^2) memory)
        pts = pts[non_dominated_sort(pts) == 0]
    return float(_hv(pts, ref))


def _hv(pts: np.ndarray, ref: np.ndarray) -> float:
    if pts.shape[1] == 1:
        return float(ref[0] - pts[:, 0].min())
    if pts.shape[1] == 2:
        order = np.argsort(pts[:, 0], kind="stable")
        x, y = pts[order, 0], pts[order, 1]
        best_y = np.minimum.accumulate(y)
        widths = np.diff(np.append(x, ref[0]))
        return float(np.sum(widths * (ref[1] - best_y)))
    # HSO: slice along the last objective; each slab is the (m-1)-D volume of the points below it.
    order = np.argsort(pts[:, -1], kind="stable")
    pts = pts[order]
    cuts = np.append(pts[:, -1], ref[-1])
    total = 0.0
    for i in range(len(pts)):
        depth = cuts[i + 1] - cuts[i]
        if depth > 0:
            below = pts[: i + 1, :-1]
            total += depth * _hv(below[non_dominated_sort(below) == 0], ref[:-1])
    return total


def losses(values: Sequence[float], directions: Sequence[Direction]) -> list[float]:
    """The user's objective values turned into losses (smaller is better in each)."""
    return [d.loss(float(v)) for v, d in zip(values, directions)]


def scored_trials(trials: Sequence[Trial], directions: Sequence[Direction]) -> tuple[list[Trial], np.ndarray]:
    """The complete, feasible trials with one finite value per objective, and their loss matrix."""
    kept = [
        t
        for t in trials
        if t.state.value == "complete"
        and t.info.get("feasible") is not False
        and t.values is not None
        and len(t.values) == len(directions)
        and all(v is not None and math.isfinite(v) for v in t.values)
    ]
    matrix = np.array([losses(t.values, directions) for t in kept if t.values is not None], dtype=float)
    return kept, matrix.reshape(len(kept), len(directions))


def pareto_front(trials: Sequence[Trial], directions: Sequence[Direction | str]) -> list[Trial]:
    """The trials no other trial Pareto-dominates (complete, feasible ones), in trial order.

    Two trials with equal values are both on the front (neither dominates the other).

    Parameters
    ----------
    trials : sequence of Trial
    directions : sequence of Direction or str
        One per objective, in the order of ``trial.values``.
    """
    dirs = [Direction.parse(d) for d in directions]
    kept, matrix = scored_trials(trials, dirs)
    ranks = non_dominated_sort(matrix)
    return [t for t, r in zip(kept, ranks) if r == 0]


def front_frame(trials: Sequence[Trial], directions: Sequence[Direction | str], names: Sequence[str]) -> Any:
    """The Pareto front as a DataFrame: ``number``, one column per objective, ``params_<name>`` columns.

    Sorted by the first objective (best first), so a 2-objective front reads as the trade-off it is.
    """
    import pandas as pd

    dirs = [Direction.parse(d) for d in directions]
    front = sorted(pareto_front(trials, dirs), key=lambda t: (dirs[0].loss(t.value or 0.0), t.number))
    rows = []
    for t in front:
        row: dict[str, Any] = {"number": t.number}
        row.update(dict(zip(names, t.values or [])))
        row.update({f"params_{k}": v for k, v in t.params.items()})
        rows.append(row)
    return pd.DataFrame(rows, columns=None if rows else ["number", *names])


def front_lines(
    trials: Sequence[Trial], directions: Sequence[Direction], names: Sequence[str], top: int = 10
) -> list[str]:
    """Text lines that show the front (the summary of a multi-objective result)."""
    front = sorted(pareto_front(trials, directions), key=lambda t: (directions[0].loss(t.value or 0.0), t.number))
    if not front:
        return ["No trial completed with a value for every objective."]
    wanted = ", ".join(f"{d.value} {n}" for d, n in zip(directions, names))
    lines = [f"Pareto front ({wanted}): {len(front)} trials no other trial beats on every objective"]
    header = ["#", *names, *dict.fromkeys(k for t in front for k in t.params)]
    rows = [
        [
            str(t.number),
            *(f"{v:.6g}" for v in t.values or []),
            *(_show(t.params.get(k)) for k in header[1 + len(names) :]),
        ]
        for t in front[:top]
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines += ["  " + "  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in [header, *rows]]
    if len(front) > top:
        lines.append(f"  ... {len(front) - top} more in result.pareto_front")
    lines.append(
        "No single trial is best: choose one from result.pareto_front (result.params_of(NUMBER) gives its parameters)."
    )
    return lines


def _show(v: Any) -> str:
    return "-" if v is None else f"{v:.6g}" if isinstance(v, float) else repr(v)


@dataclass
class FrontPlot:
    """What the panel's Pareto page draws, computed from the trials alone (never from a strategy).

    ``numbers`` are the scored trials (complete, feasible, a value per objective);
    ``values[i]`` are trial ``numbers[i]``'s values as the user wrote them; ``on_front``
    marks the front; ``front`` lists the front's indices sorted by the first objective
    (the line drawn through it in 2-D); ``scaled`` maps each value to [0, 1] with the
    best of its column at 1 (parallel coordinates of 3 or more objectives).
    """

    names: list[str]
    directions: list[Direction]
    numbers: list[int] = field(default_factory=list)
    values: list[list[float]] = field(default_factory=list)
    on_front: list[bool] = field(default_factory=list)
    front: list[int] = field(default_factory=list)
    scaled: list[list[float]] = field(default_factory=list)


def front_plot(trials: Sequence[Trial], directions: Sequence[Direction], names: Sequence[str]) -> FrontPlot:
    """The :class:`FrontPlot` of ``trials``."""
    kept, matrix = scored_trials(trials, directions)
    out = FrontPlot(list(names), list(directions))
    if not kept:
        return out
    on_front = non_dominated_sort(matrix) == 0
    lo, hi = matrix.min(axis=0), matrix.max(axis=0)
    scaled = 1.0 - (matrix - lo) / np.where(hi > lo, hi - lo, 1.0)  # losses: the smallest is best, at 1
    out.numbers = [t.number for t in kept]
    out.values = [list(t.values or []) for t in kept]
    out.on_front = [bool(f) for f in on_front]
    out.front = sorted(np.flatnonzero(on_front).tolist(), key=lambda i: (matrix[i, 0], matrix[i, 1]))
    out.scaled = scaled.tolist()
    return out
