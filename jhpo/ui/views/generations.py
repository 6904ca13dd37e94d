"""The "Generations" page of a genetic search: each member by generation, lines to its parents."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import bqplot as bq
import numpy as np

from ... import insights
from ...insights import Setup
from ...trial import Trial
from .base import Host, View, _arr, _linked_scatter

__all__ = ["GenerationsView"]


class GenerationsView(View):
    """Value against generation, coloured by generation, a line from each parent."""

    key = "generations"
    fragile = True

    def __init__(self, plots: Host) -> None:
        super().__init__(plots)
        _ = self._
        title = _("Population per generation (lines: parents)")
        figure, self.links, self.scatter, self.xaxis = _linked_scatter(self, bq.LinearScale(), _("generation"), title)
        self.widgets = [self.note, figure]

    @staticmethod
    def label(_: Callable[[str], str]) -> str:
        return _("Generations")

    @classmethod
    def present(cls, setup: Setup, trials: Sequence[Trial]) -> bool:
        return setup.view == "generations" and any("generation" in t.info and t.value is not None for t in trials)

    def record(self, trials: Sequence[Trial]) -> insights.Generations | None:
        return insights.generations(trials, self.plots.direction)

    def update(self, d: insights.Generations) -> None:
        self.scatter.assign(d.generation, d.value, d.numbers, color=np.asarray(d.generation))
        if d.links_x:
            with self.links.hold_sync():
                self.links.x, self.links.y = _arr(d.links_x), _arr(d.links_y)
        self.note.value = f"<small>{max(d.generation) + 1} {self._('generations')}</small>"
