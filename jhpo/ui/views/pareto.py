"""The "Pareto front" page of a study with several objectives.

Its data is :func:`jhpo.pareto.front_plot`, computed from the trials alone, so a
stored or resumed study draws the same. Two objectives: a scatter of every
scored trial in the objectives' own units, the front's points green and a line
through them, growing as trials finish. Three or more: parallel coordinates of
the objectives (each axis scaled to the values seen, best at the top), the
front's lines green over the others' grey. Marks are built once; ``update``
assigns new data in place, one message per mark.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import bqplot as bq
import numpy as np

from ...direction import Direction
from ...insights import Setup
from ...pareto import FrontPlot, front_plot
from ...trial import Trial
from .base import _SELECTED, _UNSELECTED, GREEN, GREY, TRIAL_ORDER, Host, View, _figure

__all__ = ["ParetoView"]

FRONT, OTHER = GREEN, TRIAL_ORDER[0]  # the front green (as "best" elsewhere), the rest lavender


def _axis_label(name: str, direction: Direction, labels: Callable[[str], str]) -> str:
    return f"{name} ({labels(direction.value)} {'↑' if direction is Direction.MAXIMIZE else '↓'})"


class ParetoView(View):
    """The Pareto page, updated in place from a :class:`~jhpo.pareto.FrontPlot` (several objectives only)."""

    key: ClassVar[str] = "pareto"

    def __init__(self, plots: Host) -> None:
        super().__init__(plots)
        self.names = list(plots.setup.objectives)
        self.directions = list(plots.setup.directions)
        self.points: Any = None
        self.numbers: list[int] = []
        self.figure = self._scatter(plots.points_for) if len(self.names) == 2 else self._parallel()
        self.widgets = [self.note, self.figure]

    @staticmethod
    def label(_: Callable[[str], str]) -> str:
        return _("Pareto front")

    @classmethod
    def present(cls, setup: Setup, trials: Sequence[Trial]) -> bool:
        return len(setup.directions) > 1

    def record(self, trials: Sequence[Trial]) -> FrontPlot:
        return front_plot(trials, self.directions, self.names)

    def _scatter(self, points: Callable[[bq.Scatter], Any]) -> bq.Figure:
        _ = self._
        xs, ys = bq.LinearScale(), bq.LinearScale()
        self.line = bq.Lines(x=[], y=[], scales={"x": xs, "y": ys}, colors=[FRONT], stroke_width=2)
        mark = bq.Scatter(
            x=[],
            y=[],
            scales={"x": xs, "y": ys},
            default_size=40,
            stroke="white",
            selected_style=_SELECTED,
            unselected_style=_UNSELECTED,
            interactions={"hover": "tooltip", "click": "select"},
        )
        self.points = points(mark)
        axes = [
            bq.Axis(scale=xs, label=_axis_label(self.names[0], self.directions[0], _)),
            bq.Axis(
                scale=ys,
                side="left",
                label=_axis_label(self.names[1], self.directions[1], _),
                label_offset="50px",
            ),
        ]
        return _figure([self.line, mark], axes, _("Pareto front (green: no trial beats it on both)"), height="340px")

    def _parallel(self) -> bq.Figure:
        _ = self._
        shown = [_axis_label(n, d, _) for n, d in zip(self.names, self.directions)]
        xs, ys = bq.OrdinalScale(domain=shown), bq.LinearScale(min=-0.05, max=1.05)
        self.shown = shown
        self.lines = bq.Lines(x=shown, y=[], scales={"x": xs, "y": ys}, colors=[OTHER], stroke_width=1.5)
        rules = bq.Lines(
            x=[[n, n] for n in shown], y=[[0, 1] for _n in shown], scales={"x": xs, "y": ys}, colors=["#999"]
        )
        figure = _figure(
            [rules, self.lines],
            [bq.Axis(scale=xs)],
            _("Objectives (best at the top; green: the Pareto front)"),
            height="320px",
            margin={"top": 30, "bottom": 45, "left": 30, "right": 60},
        )
        figure.add_class("jhpo-parallel")  # tick text takes the theme's colour (panel CSS)
        return figure

    def update(self, d: FrontPlot) -> None:
        """Show ``d``: one message per mark."""
        _ = self._
        if len(self.names) == 2:
            x = [v[0] for v in d.values]
            y = [v[1] for v in d.values]
            self.points.assign(x, y, d.numbers, colors=[FRONT if f else OTHER for f in d.on_front] or [OTHER])
            with self.line.hold_sync():
                self.line.x = np.asarray([x[i] for i in d.front], dtype=float)
                self.line.y = np.asarray([y[i] for i in d.front], dtype=float)
        elif d.scaled:
            # front lines last, so they are drawn over the others
            order = sorted(range(len(d.numbers)), key=lambda i: d.on_front[i])
            with self.lines.hold_sync():
                self.lines.y = np.asarray([d.scaled[i] for i in order], dtype=float)
                self.lines.colors = [FRONT if d.on_front[i] else GREY for i in order]
            self.numbers = [d.numbers[i] for i in order]
        ranges = ", ".join(
            f"{html.escape(n)} {min(v[j] for v in d.values):.4g} … {max(v[j] for v in d.values):.4g}"
            for j, n in enumerate(self.names)
        )
        self.note.value = (
            f"<div class='jhpo-legend'>{sum(d.on_front)} / {len(d.numbers)} "
            f"{html.escape(_('trials on the Pareto front'))}"
            + (f". {ranges}" if d.values else "")
            + f". {html.escape(_('Choose one from result.pareto_front'))}</div>"
        )
