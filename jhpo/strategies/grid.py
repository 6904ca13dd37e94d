"""Grid search: every combination of the levels of each parameter, fitted to the trial budget."""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Iterator, Sequence

import numpy as np
from scipy.stats import qmc

from ..space import Choice, Distribution, Float, Int, Space, Value
from ..trial import Trial
from .base import SearchSize, Strategy, Suggestion

__all__ = ["GridStrategy", "fit_levels"]

Levels = dict[str, list[Value]]


class GridStrategy(Strategy):
    """Every combination of a few levels per parameter; stops when the grid is exhausted.

    The full grid gives choices and integers all their levels (integers with
    more than ``max(grid_points, 32)`` levels get ``grid_points`` of them) and
    floats ``grid_points`` levels (log-spaced for log parameters), walked in
    lexicographic order.

    When the budget (``n_trials``, less one for the baseline) is smaller than
    the full grid, walking it in lexicographic order would vary only the last
    parameters. The grid then warns and, by default (``fit="levels"``), uses
    fewer levels per parameter so that the whole grid fits the budget (see
    :func:`fit_levels`); if even two levels of every number do not fit, it
    visits the full grid in a space-filling order (the order in which a
    scrambled Sobol sequence reaches its cells), so that every parameter
    varies from the first trials on. With ``fit="order"`` it always does the
    latter. On the quality benchmark (``benchmarks/results/grid.md``) fitting
    the levels scored higher than the spread-out full grid wherever a
    two-level factorial fits, and the spread-out full grid scored higher than
    a spread-out two-level grid where it does not. A point already evaluated
    (the baseline, or trials of a resumed study) is skipped.

    Parameters
    ----------
    space : Space
    seed : int, optional
        Ignored: a grid is the same walk every time.
    direction : {"maximize", "minimize"}
    grid_points : int
        Levels of a float in the full grid.
    n_trials : int, optional
        The trial budget (unknown: the full grid).
    baseline : bool
        Whether one of ``n_trials`` goes to the cell's defaults.
    fit : {"levels", "order"}
        What to do with a budget smaller than the full grid.
    """

    name = "grid"
    is_static = True
    options = {"grid_points": int, "n_trials": int, "baseline": bool, "fit": str}

    def __init__(
        self,
        space: Space,
        seed: int | None = None,
        direction: str = "maximize",
        grid_points: int = 5,
        n_trials: int | None = None,
        baseline: bool = False,
        fit: str = "levels",
    ) -> None:
        super().__init__(space, seed, direction)
        if grid_points < 1:
            raise ValueError(f"--grid-points must be at least 1, but got {grid_points}")
        if fit not in ("levels", "order"):
            raise ValueError(f"grid fit must be 'levels' or 'order', but got {fit!r}")
        self.grid_points = grid_points
        searched = space.searched
        self.levels: Levels = searched.grid_levels(grid_points)
        self.spread = False  # lexicographic walk
        full = self.size
        budget = None if n_trials is None else n_trials - (1 if baseline else 0)
        if budget is not None and 0 < budget < full:
            fitted = fit_levels(searched, budget, grid_points)
            if fit == "levels" and _count(searched, fitted) <= budget:
                self.levels = fitted
            self.spread = self.size > budget
            warnings.warn(_note(n_trials or 0, full, self.levels, self.spread), UserWarning, stacklevel=2)

    @classmethod
    def default_trials(cls, space: Space, size: SearchSize) -> int | None:
        """The whole grid, and one more for the baseline unless it is a grid point."""
        searched = space.searched
        n = searched.grid_size(size.grid_points)
        base = size.baseline
        on_grid = base is not None and n < 10_000 and dict(base) in list(searched.grid(size.grid_points))
        return n + (1 if base is not None and not on_grid else 0)

    @property
    def size(self) -> int:
        """Points in the grid this strategy walks (distinct configurations of a conditional space)."""
        return _count(self.space.searched, self.levels)

    def points(self) -> Iterator[dict[str, Value]]:
        """The grid points in the order they are visited."""
        raw = _spread(self.levels) if self.spread else _lexicographic(self.levels)
        return _distinct(self.space.searched, raw)

    def suggest(self, trials: Sequence[Trial], n: int = 1) -> list[Suggestion]:
        searched = self.space.searched
        start = 1 + max((int(t.info["grid_index"]) for t in trials if "grid_index" in t.info), default=-1)
        seen = {searched.key(t.params) for t in trials}
        out: list[Suggestion] = []
        for index, params in itertools.islice(enumerate(self.points()), start, None):
            if len(out) == n:
                break
            if searched.key(params) in seen:
                continue
            out.append(Suggestion(params, {"grid_index": index}))
        return out


def _size(levels: Levels) -> int:
    return math.prod(len(v) for v in levels.values())


def _distinct(space: Space, points: Iterator[dict[str, Value]]) -> Iterator[dict[str, Value]]:
    """With conditions, each combination pruned to its active parameters, each configuration once
    (an inactive parameter does not multiply the grid)."""
    if not space.conditions:
        yield from points
        return
    seen: set[tuple[object, ...]] = set()
    for params in points:
        params = space.prune(params)
        key = space.key(params)
        if key not in seen:
            seen.add(key)
            yield params


def _count(space: Space, levels: Levels) -> int:
    full = _size(levels)
    if not space.conditions or full > 1_000_000:
        return full
    return sum(1 for _ in _distinct(space, _lexicographic(levels)))


def _note(n_trials: int, full: int, levels: Levels, spread: bool) -> str:
    shape = " x ".join(str(len(v)) for v in levels.values())
    if spread:
        return (
            f"--trials {n_trials} is smaller than the grid ({_size(levels)} points, {shape} levels; the full grid "
            f"has {full}): the grid visits its points in a space-filling order so that every parameter varies"
        )
    return (
        f"--trials {n_trials} is smaller than the full grid ({full} points): the grid uses {shape} levels "
        f"({_size(levels)} points) so that it fits; give --trials {full} for the full grid"
    )


def _want(dist: Distribution, capacity: int) -> float:
    """How much a number gains from one more level: more if it has more values, and more for a
    log range (it spans orders of magnitude)."""
    log = isinstance(dist, (Float, Int)) and dist.log
    return math.log(capacity) * (1.5 if log else 1.0)


def fit_levels(space: Space, budget: int, grid_points: int = 5) -> Levels:
    """Levels per parameter whose full combination fits ``budget`` points, when that can be done.

    A choice keeps every value the user listed; every number starts at two levels. Then the number
    that gains most (:func:`_want` per level it has) gets one more level while the product still
    fits, never more than the full grid gives it. A number with fewer levels than the full grid
    gives it takes the centres of equal cells of its (log) range (:func:`_centres`). The result is
    larger than ``budget`` only when two levels of every number do not fit.
    """
    full = space.grid_levels(grid_points)
    dists = {name: space[name] for name in space}
    capacity = {name: len(v) for name, v in full.items()}
    count = {name: c if isinstance(dists[name], Choice) else min(2, c) for name, c in capacity.items()}
    while True:
        size = math.prod(count.values())
        grow = [
            name for name in count if count[name] < capacity[name] and size // count[name] * (count[name] + 1) <= budget
        ]
        if not grow:
            break
        best = max(grow, key=lambda name: _want(dists[name], capacity[name]) / count[name])
        count[best] += 1
    return {name: full[name] if count[name] == capacity[name] else _centres(dists[name], count[name]) for name in count}


def _centres(dist: Distribution, m: int) -> list[Value]:
    """The centres of ``m`` equal cells of the (log) range: 2 levels of ``integer(1, 30)`` are 8 and
    23, of ``loguniform(1e-3, 1)`` 0.0056 and 0.18. The ends (1 and 30, 1e-3 and 1) that the full
    grid includes are often the worst values, and two levels cannot afford them."""
    return list(dict.fromkeys(dist.from_unit((j + 0.5) / m) for j in range(m)))


def _lexicographic(levels: Levels) -> Iterator[dict[str, Value]]:
    for combo in itertools.product(*levels.values()):
        yield dict(zip(levels, combo))


def _spread(levels: Levels) -> Iterator[dict[str, Value]]:
    """Grid points in the order a scrambled Sobol sequence (fixed seed) first lands in their cells.

    A prefix of this order covers every level of every parameter early (the first points of a
    Sobol sequence are balanced in each coordinate). Once new cells get rare, the rest of the
    grid follows in lexicographic order, so the walk still visits every point once.
    """
    names = list(levels)
    sizes = np.array([len(levels[n]) for n in names])
    seen: set[tuple[int, ...]] = set()
    total = _size(levels)
    if names:
        engine = qmc.Sobol(d=len(names), scramble=True, seed=0)
        misses = 0
        while len(seen) < total and misses < 1024:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "balance properties ... power of 2": fine for a stream
                block = engine.random(256)
            misses += 256
            for u in block:
                cell = tuple(int(i) for i in np.minimum((u * sizes).astype(int), sizes - 1))
                if cell not in seen:
                    seen.add(cell)
                    misses = 0
                    yield {n: levels[n][i] for n, i in zip(names, cell)}
    for cell in itertools.product(*(range(s) for s in sizes)):
        if cell not in seen:
            yield {n: levels[n][i] for n, i in zip(names, cell)}
