"""The "Parallel coordinates" page: each trial as a line over its parameters and its value."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import bqplot as bq
import ipywidgets as widgets
import numpy as np

from ...direction import Direction
from ...insights import Setup
from ...trial import Trial
from .. import plotdata as pd_
from .base import WORST_BEST, Host, View, _arr, _figure, _legend

__all__ = ["ParallelView"]


class ParallelView(View):
    """Lines over unit-scaled axes coloured by value, and brushing on one axis (a span of it)."""

    key = "parallel"

    def __init__(self, plots: Host) -> None:
        super().__init__(plots)
        _ = self._
        d = pd_.parallel([], plots.space, plots.direction, value_name=_("value"))
        self.names = names = d["names"]
        xs, ys = bq.OrdinalScale(domain=names), bq.LinearScale(min=-0.05, max=1.05)
        cs = bq.ColorScale(
            colors=WORST_BEST if Direction.parse(plots.direction) is Direction.MAXIMIZE else WORST_BEST[::-1]
        )
        self.lines = bq.Lines(
            x=names,
            y=[],
            color=[],
            scales={"x": xs, "y": ys, "color": cs},
            stroke_width=1.5,
            selected_style={"stroke-width": 4, "opacity": 1.0},
            unselected_style={"opacity": 0.15},
        )
        self.numbers: list[int] = []
        ticks = [(n, u, lab) for n in names for u, lab in d["ticks"][n]]
        # the tick labels are text marks; their colour comes from the theme (panel CSS, .jhpo-parallel)
        self.labels = bq.Label(
            x=[t[0] for t in ticks],
            y=[t[1] for t in ticks],
            text=[t[2] for t in ticks],
            scales={"x": xs, "y": ys},
            font_weight="normal",
            default_size=11,
            x_offset=4,
        )
        rules = bq.Lines(
            x=[[n, n] for n in names],
            y=[[0, 1] for _n in names],
            scales={"x": xs, "y": ys},
            colors=["#999"],
            stroke_width=1,
        )
        margin = {"top": 30, "bottom": 45, "left": 30, "right": 60}
        title = _("Parallel coordinates (best value at the top)")
        self.figure = _figure(
            [rules, self.lines, self.labels], [bq.Axis(scale=xs)], title, height="320px", margin=margin
        )
        self.figure.add_class("jhpo-parallel")
        legend = widgets.HTML(_legend(WORST_BEST, _("worst value"), _("best value")))
        self.widgets = [legend, self.figure, self._axis_brush(names)]

    @staticmethod
    def label(_: Callable[[str], str]) -> str:
        return _("Parallel coordinates")

    @classmethod
    def present(cls, setup: Setup, trials: Sequence[Trial]) -> bool:
        return len(setup.space) >= 2  # parallel coordinates need two axes

    def _axis_brush(self, names: list[str]) -> widgets.HBox:
        """Brushing on the parallel plot: pick an axis and the span of it to keep (bottom 0, top 1)."""
        _ = self._
        self.axis = widgets.Dropdown(options=names, value=names[-1], description=_("select on"))
        self.span = widgets.FloatRangeSlider(
            value=(0.0, 1.0),
            min=0.0,
            max=1.0,
            step=0.01,
            description=_("span"),
            readout_format=".2f",
            continuous_update=False,
            layout=widgets.Layout(width="360px"),
        )
        self.count = widgets.HTML()
        self.axis.observe(lambda _c: self._brushed(), "value")
        self.span.observe(lambda _c: self._brushed(), "value")
        return widgets.HBox([self.axis, self.span, self.count], layout=widgets.Layout(flex_flow="row wrap"))

    def _brushed(self) -> None:
        lo, hi = self.span.value
        if lo <= 0.0 and hi >= 1.0:  # the whole axis: no selection
            self.count.value = ""
            self.plots.highlight(set())
            return
        col = self.names.index(self.axis.value)
        rows = self.lines.y if self.lines.y is not None else []
        chosen = {n for n, row in zip(self.numbers, rows) if lo - 1e-9 <= float(row[col]) <= hi + 1e-9}
        self.count.value = f"<span class='jhpo-muted'>{len(chosen)} {self._('trials selected')}</span>"
        self.plots.highlight(chosen)

    def highlight(self, selection: set[int]) -> None:
        self.lines.selected = [i for i, n in enumerate(self.numbers) if n in selection] if selection else None

    def record(self, trials: Sequence[Trial]) -> dict[str, Any]:
        return pd_.parallel(trials, self.plots.space, self.plots.direction, value_name=self._("value"))

    def update(self, d: dict[str, Any]) -> None:
        if not d["y"]:
            return
        self.numbers = d["numbers"]
        with self.lines.hold_sync():
            self.lines.y = np.asarray(d["y"], dtype=float)
            self.lines.color = _arr(d["color"])
            self.lines.opacities = [0.8] * len(d["y"])
            if self.plots.selection:
                self.lines.selected = [i for i, n in enumerate(self.numbers) if n in self.plots.selection]
        # the value axis is scaled to the values seen: its labels follow them
        ticks = [(n, u, lab) for n in d["names"] for u, lab in d["ticks"][n]]
        text = [t[2] for t in ticks]
        if list(self.labels.text) != text:
            with self.labels.hold_sync():
                self.labels.x = [t[0] for t in ticks]
                self.labels.y = _arr([t[1] for t in ticks])
                self.labels.text = text
