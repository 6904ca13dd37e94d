"""The "Surrogate" page of a bayes search: the model's mean, uncertainty and acquisition along one parameter."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import bqplot as bq
import ipywidgets as widgets
import numpy as np

from ... import insights
from ...insights import Setup
from ...space import Space
from ...trial import Trial
from ..ticks import axis_ticks, js_number, linear_ticks
from .base import BLUE, ORANGE, RED, Host, View, _arr, _figure, _scale_for

__all__ = ["SurrogateView"]


def _numeric(space: Space) -> list[str]:
    # numeric parameters only: a slice over categories would be a bar chart, not a curve
    return [n for n in space.searched.names if not hasattr(space[n], "choices")]


class SurrogateView(View):
    """Two figures sharing the slice's axis: the model (band, mean, trials, next) and the acquisition."""

    key = "surrogate"
    fragile = True

    def __init__(self, plots: Host) -> None:
        super().__init__(plots)
        _ = self._
        names = _numeric(plots.space)
        self.choice = widgets.Dropdown(
            options=names, value=names[0], description=_("parameter"), layout=widgets.Layout(width="260px")
        )
        self.choice.observe(lambda _c: self.refresh(self.plots.trials), "value")
        xs, ys, ay = bq.LinearScale(), bq.LinearScale(), bq.LinearScale()
        sc = {"x": xs, "y": ys}
        self.band = bq.Lines(
            x=[], y=[], scales=sc, fill="between", colors=["#9ecae1", "#9ecae1"], fill_colors=["#c6dbef"],
            fill_opacities=[0.5], stroke_width=0,
        )  # fmt: skip
        self.mean = bq.Lines(x=[], y=[], scales=sc, colors=[BLUE], stroke_width=2)
        # a white rim, as the other pages' trial dots: plain grey vanished on the band in Dark
        self.observed = bq.Scatter(x=[], y=[], scales=sc, colors=["#555"], default_size=24, stroke="white")
        self.next = bq.Lines(x=[], y=[], scales=sc, colors=[RED], line_style="dashed")
        acq_sc = {"x": xs, "y": ay}
        self.acquisition = bq.Lines(
            x=[], y=[], scales=acq_sc, colors=[ORANGE], stroke_width=2, fill="bottom", fill_opacities=[0.2]
        )
        self.next_point = bq.Scatter(x=[], y=[], scales=acq_sc, colors=[RED], marker="diamond", default_size=60)
        self.xaxes = [bq.Axis(scale=xs, label=names[0], tick_format=".3~g") for _i in range(2)]
        self._x: str | None = None
        self.figures = self._figures(ys, ay)
        self.widgets = [widgets.HBox([self.choice, self.note]), *self.figures]

    def _figures(self, ys: Any, ay: Any) -> list[bq.Figure]:
        _ = self._
        y_model = bq.Axis(scale=ys, side="left", label=_("model of the value"), tick_format=".3~g", label_offset="45px")
        y_acq = bq.Axis(scale=ay, side="left", label=_("acquisition"), tick_format=".2~g", label_offset="45px")
        self.acq_axis = y_acq
        top = _figure(
            [self.band, self.mean, self.observed, self.next],
            [self.xaxes[0], y_model],
            _("Surrogate mean and uncertainty (dots: trials; dashed: next)"),
            height="250px",
        )
        bottom = _figure(
            [self.acquisition, self.next_point],
            [self.xaxes[1], y_acq],
            _("Acquisition (expected improvement); diamond: next point"),
            height="200px",
        )
        return [top, bottom]

    @staticmethod
    def label(_: Callable[[str], str]) -> str:
        return _("Surrogate")

    @classmethod
    def present(cls, setup: Setup, trials: Sequence[Trial]) -> bool:
        explained = any(isinstance(t.info.get("why"), dict) for t in trials)
        return setup.view == "surrogate" and explained and bool(_numeric(setup.space))

    def record(self, trials: Sequence[Trial]) -> insights.Surrogate:
        return insights.surrogate(self.plots.setup, trials, [self.choice.value])

    def _axis(self, name: str) -> None:
        """The slice's x axis in the parameter's own units (a log scale for a log parameter)."""
        if self._x == name:
            return
        self._x = name
        ticks = axis_ticks(self.plots.space[name])
        xs = _scale_for(ticks)
        for mark in (self.band, self.mean, self.observed, self.next, self.acquisition, self.next_point):
            mark.scales = {**mark.scales, "x": xs}
        label = name + (" (log)" if ticks["scale"] == "log" else "")
        # New axes, not a new scale on the drawn ones: a drawn bqplot Axis given another scale kept
        # placing its ticks by the old one (10^-1 at a tenth of a log axis, seen in JupyterLab).
        self.xaxes = [
            bq.Axis(
                scale=xs,
                label=label,
                tick_format=".3~g",
                tick_values=np.asarray(ticks["values"], dtype=float),
                tick_labels={js_number(v): lab for v, lab in zip(ticks["values"], ticks["labels"])},
            )
            for _i in range(2)
        ]
        for figure, axis in zip(self.figures, self.xaxes):
            figure.axes = [axis, *figure.axes[1:]]

    def _acquisition_ticks(self, acq: np.ndarray) -> None:
        """From 0 (nothing to gain) to the highest value, with round ticks: bqplot's own put twelve
        labels into the short figure, and a margin below 0 that the acquisition never reaches."""
        finite = acq[np.isfinite(acq)]
        top = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
        with self.acq_axis.hold_sync():
            self.acq_axis.scale.min, self.acq_axis.scale.max = 0.0, top
            self.acq_axis.tick_values = np.asarray(linear_ticks(0.0, top), dtype=float)

    def update(self, s: insights.Surrogate) -> None:
        name = s.names[0]
        axis = np.asarray(s.axes[0], dtype=float)
        self._axis(name)
        mean, std, acq = s.mean.ravel(), s.std.ravel(), s.acquisition.ravel()
        ox, oy = s.observed_along(name)
        with self.band.hold_sync():
            self.band.x, self.band.y = axis, np.vstack([mean - 2 * std, mean + 2 * std])
        with self.mean.hold_sync():
            self.mean.x, self.mean.y = axis, mean
        with self.acquisition.hold_sync():
            self.acquisition.x, self.acquisition.y = axis, acq
        self._acquisition_ticks(acq)
        with self.observed.hold_sync():
            self.observed.x, self.observed.y = _arr(ox), _arr(oy)
        nx = s.next.get(name)
        if isinstance(nx, (int, float)):
            lo, hi = float(np.nanmin(mean - 2 * std)), float(np.nanmax(mean + 2 * std))
            with self.next.hold_sync():
                self.next.x, self.next.y = _arr([nx, nx]), _arr([lo, hi])
            with self.next_point.hold_sync():
                self.next_point.x, self.next_point.y = _arr([nx]), _arr([float(np.interp(nx, axis, acq))])
        note = self._("other parameters held at the best trial")
        if s.prior_mean == "worst":  # why the mean sags away from the dots (bayes's prior_mean)
            note += "; " + self._("far from the trials the model expects the worst value seen")
        self.note.value = f"<small>{note}</small>"
