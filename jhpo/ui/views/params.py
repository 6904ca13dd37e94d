"""The "Parameters" page: the value against each parameter, one figure per parameter."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import bqplot as bq
import ipywidgets as widgets

from ...trial import Trial
from .. import plotdata as pd_
from ..ticks import axis_ticks
from .base import (
    TRIAL_ORDER,
    Host,
    Points,
    View,
    _arr,
    _figure,
    _legend,
    _scale_for,
    _ticked_axis,
    _trial_scatter,
    _value_axis,
)

__all__ = ["ParamsView"]


class ParamsView(View):
    """A scatter per parameter (its own units and scale), points coloured by trial number."""

    key = "params"
    grid = True

    def __init__(self, plots: Host) -> None:
        super().__init__(plots)
        _ = self._
        self.points: dict[str, Points] = {}
        figures = [self._figure(name) for name in plots.space.names]
        # the points' colour is their trial number: an HTML legend (bqplot's colour bar came out squeezed)
        legend = widgets.HTML(_legend(TRIAL_ORDER, _("first trial"), _("latest trial")))
        self.widgets = [legend, *figures]

    def _figure(self, name: str) -> bq.Figure:
        ticks = axis_ticks(self.plots.space[name])
        xs, ys = _scale_for(ticks), bq.LinearScale()
        cs = bq.ColorScale(colors=TRIAL_ORDER)
        mark = _trial_scatter({"x": xs, "y": ys, "color": cs}, color=[], default_size=48, stroke="white")
        self.points[name] = self.plots.points_for(mark)
        self.plots.value_scales.append(ys)
        axes = [
            _ticked_axis(xs, ticks, name + (" (log)" if ticks["scale"] == "log" else "")),
            _value_axis(ys, self._("value")),
        ]
        margin = {"top": 30, "bottom": 50, "left": 70, "right": 20}
        return _figure([mark], axes, name, height="260px", margin=margin)

    @staticmethod
    def label(_: Callable[[str], str]) -> str:
        return _("Parameters")

    def record(self, trials: Sequence[Trial]) -> dict[str, dict[str, Any]]:
        space, direction = self.plots.space, self.plots.direction
        return {name: pd_.param_points(trials, space, name, direction) for name in self.points}

    def update(self, record: dict[str, dict[str, Any]]) -> None:
        for name, d in record.items():
            self.points[name].assign(d["x"], d["y"], d["numbers"], color=_arr(d["numbers"]))
