"""The "History" page: each trial's value by trial number, and the best so far."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import bqplot as bq
import ipywidgets as widgets

from ... import insights
from ...trial import Trial
from .base import BLUE, GREEN, GREY, ORANGE, RED, Host, Points, View, _arr, _figure, _trial_scatter, _value_axis

__all__ = ["HistoryView"]


class HistoryView(View):
    """Value by trial (complete, pruned, failed), the best-so-far line, and brushing over it.

    With several objectives: the first objective's value, named, and no best-so-far line.
    """

    key = "history"

    def __init__(self, plots: Host) -> None:
        super().__init__(plots)
        _ = self._
        xs, ys = bq.LinearScale(), bq.LinearScale()
        sc = {"x": xs, "y": ys}
        self.best_line = bq.Lines(x=[], y=[], scales=sc, colors=[GREEN], stroke_width=2, labels=[_("best so far")])
        done = _trial_scatter(sc, colors=[BLUE], stroke="white")
        pruned = _trial_scatter(sc, colors=[GREY], marker="triangle-down")
        failed = _trial_scatter(sc, selectable=False, colors=[RED], marker="cross")
        self.done, self.pruned, self.failed = (plots.points_for(m) for m in (done, pruned, failed))
        self._scales = (xs, ys)
        self.brush: Any = None  # made when brushing is switched on
        # the brush writes the indices it covers into done.selected; follow that, in brush mode only
        done.observe(self._brushed, "selected")
        self.xaxis = bq.Axis(scale=xs, label=_("trial"), tick_format="d", grid_lines="none")
        # Several objectives have no best so far: the page shows the first objective by its name and
        # draws no best line (the Pareto front page is where the trade-off is read).
        self.first = plots.setup.objectives[0] if len(plots.setup.objectives) > 1 else None
        yaxis = _value_axis(ys, self.first or _("value"))
        yaxis.grid_lines = "dashed"
        marks = [done, pruned, failed] if self.first else [self.best_line, done, pruned, failed]
        title = _("Value by trial (click a point for details)")  # named below, so no new label to translate
        self.figure = _figure(marks, [self.xaxis, yaxis], f"{self.first}: {title}" if self.first else title)
        # A brush overlay takes the mouse from the points (no hover, no click), so brushing is a mode
        # the user switches on; switching it off clears the selection.
        self.brush_toggle = widgets.ToggleButton(
            value=False,
            description=_("Select trials"),
            icon="crop",
            tooltip=_("Drag over the history to highlight trials in every plot"),
            layout=widgets.Layout(width="auto"),
        )
        self.brush_toggle.observe(self._brush_mode, "value")
        plots.value_scales.append(ys)
        bar = widgets.HBox([plots.focus, self.brush_toggle], layout=widgets.Layout(justify_content="space-between"))
        self.widgets = [bar, self.figure]

    @staticmethod
    def label(_: Callable[[str], str]) -> str:
        return _("History")

    def _brush_mode(self, change: dict[str, Any]) -> None:
        if change["new"]:
            if self.brush is None:
                xs, ys = self._scales
                self.brush = bq.interacts.BrushSelector(x_scale=xs, y_scale=ys, marks=[self.done.mark], color=ORANGE)
            self.figure.interaction = self.brush
        else:
            self.figure.interaction = None
            if self.brush is not None:
                self.brush.selected_x = None
                self.brush.selected_y = None
            self.done.mark.selected = None
            self.plots.highlight(set())

    def _brushed(self, change: dict[str, Any]) -> None:
        if not self.brush_toggle.value:
            return
        sel = change["new"]
        numbers = {
            self.done.numbers[int(i)] for i in (sel if sel is not None else []) if int(i) < len(self.done.numbers)
        }
        if numbers != self.plots.selection:
            self.plots.highlight(numbers)

    def skips_highlight(self, points: Points, selection: set[int]) -> bool:
        """The brushed scatter keeps the brush's own selection (rewriting it would fight the brush)."""
        return points is self.done and bool(selection)

    def record(self, trials: Sequence[Trial]) -> insights.History:
        return insights.history(trials, self.plots.direction)

    def update(self, d: insights.History) -> None:
        last = max(d.x + d.pruned_x + d.failed_x, default=0)
        ticks = int(last) + 1 if last < 10 else None  # no repeated integer labels on a short history
        if self.xaxis.num_ticks != ticks:
            self.xaxis.num_ticks = ticks
        if self.first is None:
            with self.best_line.hold_sync():
                self.best_line.x, self.best_line.y = _arr(d.best_x), _arr(d.best_y)
        self.done.assign(d.x, d.y, d.numbers)
        self.pruned.assign(d.pruned_x, d.pruned_y, d.pruned_numbers)
        self.failed.assign(d.failed_x, d.failed_y, d.failed_numbers)
