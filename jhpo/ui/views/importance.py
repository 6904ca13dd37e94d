"""The "Importance" page: each parameter's share of the value's variance (fANOVA)."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

import bqplot as bq
import numpy as np

from ... import insights
from ...importance import MIN_TRIALS
from ...insights import Setup
from ...trial import Trial, TrialState
from .base import BLUE, Host, View, _arr, _figure

__all__ = ["ImportanceView"]


class ImportanceView(View):
    """Bars, most important first; refitted when the complete trials grew by a tenth."""

    key = "importance"

    def __init__(self, plots: Host) -> None:
        super().__init__(plots)
        _ = self._
        names = list(plots.space.searched.names)
        xs, ys = bq.OrdinalScale(domain=names), bq.LinearScale(min=0.0, max=1.0)
        self.bars = bq.Bars(x=names, y=np.zeros(len(names)), scales={"x": xs, "y": ys}, colors=[BLUE])
        axes = [
            bq.Axis(scale=xs, label=_("parameter")),
            bq.Axis(scale=ys, side="left", label=_("share of the variance"), tick_format=".0%"),
        ]
        fig = _figure([self.bars], axes, _("Parameter importance (fANOVA on a random forest)"), height="280px")
        self.widgets = [self.note, fig]
        self._fitted_at = -1

    @staticmethod
    def label(_: Callable[[str], str]) -> str:
        return _("Importance")

    @classmethod
    def present(cls, setup: Setup, trials: Sequence[Trial]) -> bool:
        done = sum(t.state is TrialState.COMPLETE for t in trials)
        return len(setup.space.searched) >= 2 and done >= MIN_TRIALS

    def record(self, trials: Sequence[Trial]) -> insights.Importance | None:
        done = sum(t.state is TrialState.COMPLETE for t in trials)
        # a forest per redraw would slow the search: refit when the trials grew by a tenth
        if self._fitted_at >= 0 and done < self._fitted_at * 1.1 + 1:
            return None
        self._fitted_at = done
        return insights.importance(trials, self.plots.space)

    def update(self, d: insights.Importance) -> None:
        if d.reason is not None:
            self.note.value = f"<span class='jhpo-muted'>{html.escape(d.reason)}</span>"
            return
        names = list(d.shares)
        with self.bars.hold_sync():
            self.bars.scales["x"].domain = names
            self.bars.x, self.bars.y = names, _arr(list(d.shares.values()))
        self.note.value = (
            f"<span class='jhpo-muted'>{self._('from')} {d.n_complete} {self._('complete trials')}; "
            "<code>result.importance()</code></span>"
        )
