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
    parameters. The grid then warns and, by default (``fit="order"``), gives
    every number as many levels as the budget has points (spaced as the full
    grid's, or every integer; see :func:`_finer`) and visits that
    grid in a space-filling order: the grid points nearest to the points of a
    scrambled Sobol sequence, in the sequence's order (see :func:`_spread`), so
    every parameter varies within four trials. With ``fit="levels"`` it uses
    fewer levels per parameter so that the whole grid fits the budget (see
    :func:`fit_levels`), falling back to the order when even two levels of
    every number do not fit. On the quality benchmark
    (``benchmarks/results/grid.md``) the order scored higher than the fitted
    levels at 10, 20 and 30 trials. A point already evaluated (the baseline,
    or trials of a resumed study) is skipped.

    Parameters
    ----------
    space : Space
    seed : int, optional
        Scrambles the space-filling order (a budget smaller than the grid);
        without a seed the scramble is fixed, so a grid repeats its walk.
    direction : {"maximize", "minimize"}
    grid_points : int
        Levels of a float in the full grid.
    n_trials : int, optional
        The trial budget (unknown: the full grid).
    baseline : bool
        Whether one of ``n_trials`` goes to the cell's defaults.
    fit : {"order", "levels"}
        What to do with a budget smaller than the full grid: visit the full
        grid in a space-filling order, or fit fewer levels per parameter.
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
        fit: str = "order",
    ) -> None:
        super().__init__(space, seed, direction)
        if grid_points < 1:
            raise ValueError(f"--grid-points must be at least 1, but got {grid_points}")
        if fit not in ("levels", "order"):
            raise ValueError(f"grid fit must be 'order' or 'levels', but got {fit!r}")
        self.grid_points = grid_points
        # The space-filling order's scramble: the seed's, or a fixed one (a grid repeats unless told).
        self._scramble = 0 if seed is None else int(seed)
        searched = space.searched
        self.levels: Levels = searched.grid_levels(grid_points)
        self.spread = False  # lexicographic walk
        full = self.size
        budget = None if n_trials is None else n_trials - (1 if baseline else 0)
        if budget is not None and 0 < budget < full:
            fitted = fit_levels(searched, budget, grid_points)
            if fit == "levels" and _count(searched, fitted) <= budget:
                self.levels = fitted
            else:
                self.levels = {name: _finer(searched[name], v, budget) for name, v in self.levels.items()}
            self.spread = self.size > budget
            note = _note(n_trials or 0, full, self.levels, self.spread, self.size > full)
            warnings.warn(note, UserWarning, stacklevel=2)

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
        raw = _spread(self.space.searched, self.levels, self._scramble) if self.spread else _lexicographic(self.levels)
        return _distinct(self.space.searched, raw)

    def suggest(self, trials: Sequence[Trial], n: int = 1) -> list[Suggestion]:
        searched = self.space.searched
        # A grid index means something only in the walk that gave it: a study resumed with another
        # budget or seed walks another order (or other levels), and restarts it, skipping what ran.
        walk = self._walk()
        mine = [t for t in trials if "grid_index" in t.info and t.info.get("grid_walk", walk) == walk]
        start = 1 + max((int(t.info["grid_index"]) for t in mine), default=-1)
        seen = {searched.key(t.params) for t in trials}
        out: list[Suggestion] = []
        for index, params in itertools.islice(enumerate(self.points()), start, None):
            if len(out) == n:
                break
            if searched.key(params) in seen:
                continue
            out.append(Suggestion(params, {"grid_index": index, "grid_walk": walk}))
        return out

    def _walk(self) -> str:
        shape = "x".join(str(len(v)) for v in self.levels.values())
        return f"spread:{self._scramble}:{shape}" if self.spread else f"lexicographic:{shape}"


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


def _note(n_trials: int, full: int, levels: Levels, spread: bool, finer: bool) -> str:
    shape = " x ".join(str(len(v)) for v in levels.values())
    if spread:
        how = f"takes finer levels ({shape}, as many per number as the budget has trials) and " if finer else ""
        return (
            f"--trials {n_trials} is smaller than the grid ({full} points): the grid {how}visits its points in a "
            f"space-filling order, so that every parameter varies within the budget; give --trials {full} (or "
            f"more) for the whole grid"
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


def _finer(dist: Distribution, levels: list[Value], budget: int) -> list[Value]:
    """A number's levels for a walk of ``budget`` points through a grid larger than the budget.

    The walk visits only ``budget`` points anyway, so a finer grid costs nothing, while a number
    with only ``grid_points`` levels takes at most that many values however many trials run. On
    a rough landscape (a network's cross-validated score jumps by a validation sample between
    nearby learning rates) a repeated value is a lottery ticket bought twice, where random search
    draws a new value every trial: with 5 levels, 30 trials ended below random on the benchmark's
    MLP and decision tree. So a number gets ``budget`` levels, spaced as the full grid's (its ends
    included: the Sobol walk snaps to them half as often as to an inner level, about as often as
    random draws land that close), or every integer when it has no more. Levels at the centres of
    equal cells (no ends) measured about the same (``benchmarks/results/grid.md``).
    """
    if isinstance(dist, Choice) or len(levels) >= budget:
        return levels
    return dist.grid(budget)


def _lexicographic(levels: Levels) -> Iterator[dict[str, Value]]:
    for combo in itertools.product(*levels.values()):
        yield dict(zip(levels, combo))


def _spread(space: Space, levels: Levels, seed: int) -> Iterator[dict[str, Value]]:
    """Grid points in the order a scrambled Sobol sequence (seeded) first lands on them.

    Each Sobol point goes to the nearest level of every number (in the unit-cube encoding, so
    log levels are as far apart as they look) and to an equal share of a choice's values. A
    prefix of this order covers every level of every parameter early (the first points of a
    Sobol sequence are balanced in each coordinate), and the ends of a range, which the grid
    includes and which are often the worst values, get half a share. Once new points get rare,
    the rest of the grid follows in lexicographic order, so the walk still visits every point
    once.
    """
    names = list(levels)
    sizes = np.array([len(levels[n]) for n in names])
    units = [_level_units(space[n], levels[n]) for n in names]
    seen: set[tuple[int, ...]] = set()
    total = _size(levels)
    if names:
        engine = qmc.Sobol(d=len(names), scramble=True, seed=seed)
        misses = 0
        while len(seen) < total and misses < 1024:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "balance properties ... power of 2": fine for a stream
                block = engine.random(256)
            misses += 256
            for u in block:
                cell = tuple(_snap(x, at, m) for x, at, m in zip(u, units, sizes))
                if cell not in seen:
                    seen.add(cell)
                    misses = 0
                    yield {n: levels[n][i] for n, i in zip(names, cell)}
    for cell in itertools.product(*(range(s) for s in sizes)):
        if cell not in seen:
            yield {n: levels[n][i] for n, i in zip(names, cell)}


def _level_units(dist: Distribution, values: list[Value]) -> np.ndarray | None:
    """Where a number's levels sit in the unit cube (None for a choice: its values are not ordered)."""
    return None if isinstance(dist, Choice) else np.array([dist.to_unit(v) for v in values])


def _snap(u: float, at: np.ndarray | None, m: int) -> int:
    if at is None:
        return min(int(u * m), m - 1)
    return int(np.argmin(np.abs(at - u)))
