"""The "Learning curves" page: the values each trial reported while it ran."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import bqplot as bq
import numpy as np

from ...insights import Setup
from ...trial import Trial
from .. import plotdata as pd_
from .base import BLUE, GREY, ORANGE, RED, Host, View, _figure, _value_axis

__all__ = ["CurvesView"]

_COLOURS = {"pruned": GREY, "running": ORANGE, "failed": RED, "interrupted": RED}


class CurvesView(View):
    """One line per trial over its steps; grey when pruned, the reason on hover."""

    key = "curves"

    def __init__(self, plots: Host) -> None:
        super().__init__(plots)
        _ = self._
        xs, ys = bq.LinearScale(), bq.LinearScale()
        # markers: a trial pruned at its first report is a single point, invisible as a bare line
        self.curves = bq.Lines(
            x=[],
            y=[],
            scales={"x": xs, "y": ys},
            colors=[BLUE],
            stroke_width=1.5,
            marker="circle",
            marker_size=12,
            labels=[""],
            tooltip=bq.Tooltip(fields=["name"], show_labels=False),
        )
        self.numbers: list[int] = []
        self.xaxis = bq.Axis(scale=xs, label=_("step"), tick_format="d")
        axes = [self.xaxis, _value_axis(ys, _("intermediate value"))]
        self.widgets = [_figure([self.curves], axes, _("Learning curves (grey: pruned; hover for the reason)"))]

    @staticmethod
    def label(_: Callable[[str], str]) -> str:
        return _("Learning curves")

    @classmethod
    def present(cls, setup: Setup, trials: Sequence[Trial]) -> bool:
        return any(t.intermediate for t in trials)  # no empty tab: curves appear with the first report

    def record(self, trials: Sequence[Trial]) -> dict[str, Any]:
        return pd_.learning_curves(trials)

    def _labels(self, d: dict[str, Any]) -> list[str]:
        _ = self._
        out = []
        for n, state, reason, ys in zip(d["numbers"], d["state"], d["reason"], d["y"]):
            last = pd_.fmt_value(ys[-1]) if ys else "-"
            out.append(f"#{n} {_(state)}: {reason}" if reason else f"#{n} {_(state)} ({last})")
        return out

    def update(self, d: dict[str, Any]) -> None:
        if not d["x"]:
            return
        width = max(2, max(len(x) for x in d["x"]))  # bqplot squeezes a (n, 1) array into one line

        def pad(rows: list[list[float]]) -> np.ndarray:
            return np.array([r + [math.nan] * (width - len(r)) for r in rows], dtype=float)

        self.numbers = d["numbers"]
        last_step = int(max((x[-1] for x in d["x"] if x), default=0))
        if last_step <= 12:  # integer steps only: no repeated labels on a short axis
            ticks = np.arange(0, last_step + 1).astype(float)
            if self.xaxis.tick_values is None or len(self.xaxis.tick_values) != len(ticks):
                self.xaxis.tick_values = ticks
        with self.curves.hold_sync():
            self.curves.x, self.curves.y = pad(d["x"]), pad(d["y"])
            self.curves.colors = [_COLOURS.get(s, BLUE) for s in d["state"]]
            self.curves.opacities = [0.5 if s == "pruned" else 0.9 for s in d["state"]]
            self.curves.labels = self._labels(d)
