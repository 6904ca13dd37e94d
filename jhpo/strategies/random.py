"""Random search: independent draws from the declared distributions."""

from __future__ import annotations

from collections.abc import Sequence

from ..trial import Trial
from .base import Strategy, Suggestion


class RandomStrategy(Strategy):
    """Each proposal is an independent draw; with a seed, draw *i* is always the same."""

    name = "random"
    is_static = True

    def suggest(self, trials: Sequence[Trial], n: int = 1) -> list[Suggestion]:
        searched = self.space.searched
        start = len(trials)
        return [Suggestion(searched.sample(self.rng(start + i))) for i in range(n)]
