"""Grid search: every combination of the levels of each parameter."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from ..space import Space
from ..trial import Trial
from .base import Strategy, Suggestion


class GridStrategy(Strategy):
    """Walks the grid in lexicographic order; stops when it is exhausted.

    Choices and integers contribute all their levels (integers with more than
    ``max(grid_points, 32)`` levels get ``grid_points`` of them), floats
    ``grid_points`` levels (log-spaced for log parameters). A point already
    evaluated (the baseline, or trials of a resumed study) is skipped.
    """

    name = "grid"
    is_static = True

    def __init__(
        self, space: Space, seed: int | None = None, direction: str = "maximize", grid_points: int = 5
    ) -> None:
        super().__init__(space, seed, direction)
        if grid_points < 1:
            raise ValueError(f"--grid-points must be at least 1, but got {grid_points}")
        self.grid_points = grid_points

    @property
    def size(self) -> int:
        return self.space.searched.grid_size(self.grid_points)

    def suggest(self, trials: Sequence[Trial], n: int = 1) -> list[Suggestion]:
        searched = self.space.searched
        start = 1 + max((int(t.info["grid_index"]) for t in trials if "grid_index" in t.info), default=-1)
        seen = {searched.key(t.params) for t in trials}
        out: list[Suggestion] = []
        for index, params in itertools.islice(enumerate(searched.grid(self.grid_points)), start, None):
            if len(out) == n:
                break
            if searched.key(params) in seen:
                continue
            out.append(Suggestion(params, {"grid_index": index}))
        return out
