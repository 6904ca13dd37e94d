"""The "Hyperband" page: each trial at its budget, coloured by bracket."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import bqplot as bq
import numpy as np

from ... import insights
from ...insights import Setup
from ...trial import Trial
from ..ticks import js_number, range_ticks
from .base import Host, View, _linked_scatter

__all__ = ["BracketsView"]


class BracketsView(View):
    """Value against budget (a log axis in whole epochs or fractions), colour: bracket."""

    key = "brackets"
    fragile = True

    def __init__(self, plots: Host) -> None:
        super().__init__(plots)
        _ = self._
        title = _("Brackets and rungs (colour: bracket)")
        figure, self.links, self.scatter, self.xaxis = _linked_scatter(
            self, bq.LogScale(), _("budget"), title, _("bracket")
        )
        self.widgets = [self.note, figure]

    @staticmethod
    def label(_: Callable[[str], str]) -> str:
        return _("Hyperband")

    @classmethod
    def present(cls, setup: Setup, trials: Sequence[Trial]) -> bool:
        return setup.view == "brackets" and insights.brackets(trials) is not None

    def record(self, trials: Sequence[Trial]) -> insights.Brackets | None:
        return insights.brackets(trials)

    def update(self, d: insights.Brackets) -> None:
        keep = [i for i, v in enumerate(d.value) if v is not None]
        self.scatter.assign(
            [d.budget[i] for i in keep],
            [d.value[i] for i in keep],
            [d.numbers[i] for i in keep],
            color=np.asarray([d.bracket[i] for i in keep]),
        )
        budgets = [d.budget[i] for i in keep if d.budget[i] > 0]
        if budgets:  # a budget axis in whole epochs (or a fraction), never "1.00 ... 9.00"
            integer = all(float(b).is_integer() for b in budgets)
            t = range_ticks(min(budgets), max(budgets), log=True, integer=integer)
            labels = {js_number(v): lab for v, lab in zip(t["values"], t["labels"])}
            if self.xaxis.tick_labels != labels:
                with self.xaxis.hold_sync():
                    self.xaxis.tick_values = np.asarray(t["values"], dtype=float)
                    self.xaxis.tick_labels = labels
        n = len(set(d.bracket))
        self.note.value = f"<small>{n} {self._('brackets')}, {max(d.rung) + 1} {self._('rungs')}</small>"
