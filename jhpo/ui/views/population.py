"""The "Population" page: population-based training's schedules and lineage.

Its data is :func:`jhpo.ui.plotdata.population`, read from the trials' ``info``
(never from the live strategy), so a stored or resumed study draws the same.
One figure shows who copied whom: a point per member and interval, a grey link
where a member went on with its own weights and an orange one where it copied
another member (exploit). Then one figure per hyperparameter: each member's
value over training time, followed back through the members it copied, as a
step line (a value holds for the whole interval that ends at its point).
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from typing import Any

import bqplot as bq
import numpy as np

from ...insights import Setup
from ...trial import Trial
from ..plotdata import Population, population, schedule_ticks
from ..ticks import Ticks, js_number, range_ticks
from .base import GREY, ORANGE, Host, View, _figure, _scale_for, _ticked_axis, _trial_scatter

__all__ = ["MEMBER_COLOURS", "PopulationView"]

#: One colour per member (cycled past ten): d3's category10 without its grey, which marks links.
MEMBER_COLOURS = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#bcbd22",
    "#17becf",
    "#6b6ecf",
]


def member_colour(m: int) -> str:
    """The colour of member ``m`` in every figure of the page."""
    return MEMBER_COLOURS[m % len(MEMBER_COLOURS)]


def _padded(rows: list[list[float]]) -> np.ndarray:
    """A rectangular array for a multi-line mark (bqplot squeezes an (n, 1) array into one line)."""
    width = max(2, max((len(r) for r in rows), default=0))
    return np.array([r + [math.nan] * (width - len(r)) for r in rows] or [[math.nan] * 2], dtype=float)


def _set_ticks(axis: bq.Axis, ticks: Ticks) -> None:
    labels = {js_number(v): lab for v, lab in zip(ticks["values"], ticks["labels"])}
    if axis.tick_labels != labels:
        with axis.hold_sync():
            axis.tick_values = np.asarray(ticks["values"], dtype=float)
            axis.tick_labels = labels


class PopulationView(View):
    """The widgets of the Population page, updated in place from a :class:`Population`."""

    key = "population"
    fragile = True

    def __init__(self, plots: Host) -> None:
        super().__init__(plots)
        _ = self._
        xs, ys = bq.LinearScale(), bq.LinearScale()
        self.links = bq.Lines(x=[], y=[], scales={"x": xs, "y": ys}, colors=[GREY], stroke_width=1.5)
        mark = _trial_scatter({"x": xs, "y": ys}, default_size=48, stroke="white")
        self.points = plots.points_for(mark)
        self.l_xaxis = bq.Axis(scale=xs, label=_("interval"), tick_format="d")
        self.l_yaxis = bq.Axis(scale=ys, side="left", label=_("member"), tick_format="d", label_offset="45px")
        lineage = _figure(
            [self.links, mark], [self.l_xaxis, self.l_yaxis], _("Lineage (orange: copied another member)")
        )
        self.lines: dict[str, bq.Lines] = {}
        self.budget_axes: list[bq.Axis] = []
        self.budget_scales: list[Any] = []
        figures = [lineage]
        for name, dist in plots.space.searched.items():
            figures.append(self._schedule_figure(name, dist))
        self.widgets = [self.note, *figures]

    @staticmethod
    def label(_: Callable[[str], str]) -> str:
        return _("Population")

    @classmethod
    def present(cls, setup: Setup, trials: Sequence[Trial]) -> bool:
        return setup.view == "population" and any("member" in t.info and "interval" in t.info for t in trials)

    def record(self, trials: Sequence[Trial]) -> Population | None:
        return population(trials, self.plots.space)

    def _schedule_figure(self, name: str, dist: Any) -> bq.Figure:
        ticks = schedule_ticks(dist)
        ys = _scale_for(ticks)
        xs = bq.LinearScale(min=0.0)
        line = bq.Lines(
            x=[], y=[], scales={"x": xs, "y": ys}, interpolation="step-before", marker="circle", marker_size=16
        )
        self.lines[name] = line
        x_axis = bq.Axis(scale=xs, label=self._("budget"))
        self.budget_axes.append(x_axis)
        self.budget_scales.append(xs)
        y_axis = _ticked_axis(ys, ticks, name, side="left", label_offset="45px")
        return _figure([line], [x_axis, y_axis], f"{name} {self._('per member')}")

    def update(self, d: Population) -> None:
        """Show ``d``: one message per mark, none for an unchanged axis."""
        _ = self._
        colours = [member_colour(m) for m in d.members]
        for s in d.schedules:
            line = self.lines.get(s.name)
            if line is None:
                continue
            with line.hold_sync():
                line.x, line.y = _padded(s.x), _padded(s.y)
                line.colors = colours or [GREY]
                line.labels = [f"{_('member')} {m}" for m in d.members]
        top = max(d.budgets)
        ticks = d.budget_ticks if top > 0 else range_ticks(0.0, 1.0, log=False, integer=True)
        for axis, scale in zip(self.budget_axes, self.budget_scales):
            if scale.max != top:
                scale.max = top
            _set_ticks(axis, ticks)
        with self.links.hold_sync():
            self.links.x, self.links.y = _padded(d.links_x), _padded(d.links_y)
            self.links.colors = [ORANGE if e else GREY for e in d.link_exploit] or [GREY]
        self.points.assign(d.interval, d.member, d.numbers, colors=[member_colour(m) for m in d.member])
        intervals, members = max(d.interval) + 1, max(d.member) + 1
        # a fixed domain with room for the markers: bqplot's own padding for a scatter left the
        # ticks off the points (seen in the browser), and whole numbers need whole-number ticks
        for axis, n, pad in ((self.l_xaxis, intervals, 0.25), (self.l_yaxis, members, 0.5)):
            scale = axis.scale
            if (scale.min, scale.max) != (-pad, n - 1 + pad):
                with scale.hold_sync():
                    scale.min, scale.max = -pad, n - 1 + pad
            values = np.arange(0, n, max(1, math.ceil(n / 10)), dtype=float)
            if axis.tick_values is None or len(axis.tick_values) != len(values):
                axis.tick_values = values
        swatches = " ".join(
            f"<span style='white-space:nowrap'><span class='jhpo-ramp' style='width:14px;background:"
            f"{member_colour(m)}'></span> {m}</span>"
            for m in d.members
        )
        how = _("Lines: each member, followed back through the members it copied")
        self.note.value = (
            f"<div class='jhpo-legend'>{len(d.members)} {html.escape(_('members'))}, {intervals} "
            f"{html.escape(_('intervals'))}. {html.escape(how)}"
            f"<br>{html.escape(_('member'))}: {swatches}</div>"
        )
