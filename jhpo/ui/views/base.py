"""What every plot view shares: the theme's colours, figure and axis helpers, trial points, the View base.

A view is one page of the panel's tabs, in bqplot's composite-widget style: its figures and
marks are built once in ``__init__``, and :meth:`View.update` assigns a record from
:mod:`jhpo.insights` (or :mod:`jhpo.ui.plotdata`) to them in place, one message per mark
(``hold_sync``). A view reads records only; it never calls into a study's strategy.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Protocol

import bqplot as bq
import ipywidgets as widgets
import numpy as np

from ...insights import Setup
from ...space import Space
from ...trial import Trial
from ..ticks import Ticks, js_number

__all__ = ["Host", "Points", "View"]

BLUE, GREEN, GREY, RED, ORANGE = "#1f77b4", "#2ca02c", "#9e9e9e", "#d62728", "#ff7f0e"
# Colour ramps of middling lightness, so both ends stand out on a white and on a near-black plot area
# (a ramp ending in white or black vanishes in one of the themes).
TRIAL_ORDER = ["#9e9ac8", "#2171b5"]  # early trials lavender, recent ones blue
WORST_BEST = ["#9e9ac8", "#1a9850"]  # worst lavender, best green
_SELECTED = {"stroke": ORANGE, "stroke-width": 2.5, "opacity": 1.0}
_UNSELECTED = {"opacity": 0.4}
_MARGIN = {"top": 30, "bottom": 45, "left": 70, "right": 20}


def _figure(
    marks: list[Any],
    axes: list[Any],
    title: str,
    height: str = "300px",
    width: str = "100%",
    interaction: Any = None,
    margin: dict[str, int] | None = None,
) -> bq.Figure:
    fig = bq.Figure(
        marks=marks,
        axes=axes,
        title=title,
        fig_margin=dict(margin or _MARGIN),
        animation_duration=0,
        layout=widgets.Layout(width=width, height=height, min_width="260px"),
        title_style={"font-size": "13px"},
    )
    if interaction is not None:
        fig.interaction = interaction
    return fig


def _ticked_axis(scale: Any, ticks: Ticks, label: str, **kw: Any) -> bq.Axis:
    """An axis showing exactly ``ticks`` (see :mod:`jhpo.ui.ticks`); long category names are turned."""
    if ticks["scale"] == "ordinal":
        longest = max((len(x) for x in ticks["labels"]), default=0)
        turn = -30 if longest * len(ticks["labels"]) > 40 else 0
        return bq.Axis(scale=scale, label=label, tick_rotate=turn, **kw)
    return bq.Axis(
        scale=scale,
        label=label,
        tick_values=np.asarray(ticks["values"], dtype=float),
        tick_labels={js_number(v): lab for v, lab in zip(ticks["values"], ticks["labels"])},
        **kw,
    )


def _scale_for(ticks: Ticks) -> Any:
    if ticks["scale"] == "ordinal":
        return bq.OrdinalScale(domain=list(ticks["domain"]))
    lo, hi = (float(v) for v in ticks["domain"])
    return (bq.LogScale if ticks["scale"] == "log" else bq.LinearScale)(min=lo, max=hi)


def _value_axis(scale: Any, label: str) -> bq.Axis:
    """The objective's axis, on the left."""
    return bq.Axis(scale=scale, side="left", label=label, tick_format=".3~g", label_offset="45px")


def _legend(colours: list[str], low: str, high: str) -> str:
    """A colour ramp between two labels, for views whose colour encodes something."""
    ramp = f"linear-gradient(to right, {', '.join(colours)})"
    return (
        f"<div class='jhpo-legend'>{html.escape(low)} <span class='jhpo-ramp' style='background:{ramp}'></span> "
        f"{html.escape(high)}</div>"
    )


def _arr(values: Sequence[Any]) -> np.ndarray:
    return np.asarray(values, dtype=float) if len(values) else np.zeros(0)


def _trial_scatter(scales: dict[str, Any], selectable: bool = True, **style: Any) -> bq.Scatter:
    """A scatter of trials: hover shows one, click selects it (``selectable``: selection is drawn)."""
    kw: dict[str, Any] = {"default_size": 56}
    if selectable:
        kw.update(selected_style=_SELECTED, unselected_style=_UNSELECTED)
    return bq.Scatter(
        x=[], y=[], scales=scales, interactions={"hover": "tooltip", "click": "select"}, **{**kw, **style}
    )


class Host(Protocol):
    """What a view uses of the tab container that holds it (:class:`jhpo.ui.plots.TrialPlots`)."""

    space: Space
    direction: str
    setup: Setup
    trials: list[Trial]
    selection: set[int]
    value_scales: list[Any]
    focus: Any
    hover_html: Any
    _: Callable[[str], str]
    on_click: Callable[[int], None]

    def points_for(self, mark: bq.Scatter) -> Points: ...

    def highlight(self, numbers: set[int]) -> None: ...

    def show_hover(self, number: int) -> None: ...


class Points:
    """A scatter whose points are trials: hover shows the trial, click opens it."""

    def __init__(self, mark: bq.Scatter, plots: Host) -> None:
        self.mark = mark
        self.numbers: list[int] = []
        self.plots = plots
        mark.tooltip = plots.hover_html
        mark.on_hover(self._hover)
        mark.on_element_click(self._click)

    def _number(self, event: dict[str, Any]) -> int | None:
        data = event.get("data") or {}
        i = data.get("index")
        return self.numbers[i] if isinstance(i, int) and 0 <= i < len(self.numbers) else None

    def _hover(self, _mark: Any, event: dict[str, Any]) -> None:
        n = self._number(event)
        if n is not None:
            self.plots.show_hover(n)

    def _click(self, _mark: Any, event: dict[str, Any]) -> None:
        n = self._number(event)
        if n is not None:
            self.plots.on_click(n)

    def assign(self, x: Sequence[Any], y: Sequence[Any], numbers: Sequence[int], **extra: Any) -> None:
        self.numbers = list(numbers)
        with self.mark.hold_sync():
            self.mark.x = np.asarray(x) if len(x) and isinstance(x[0], str) else _arr(x)
            self.mark.y = _arr(y)
            for k, v in extra.items():
                setattr(self.mark, k, v)
            self._select(self.plots.selection)

    def _select(self, chosen: set[int]) -> None:
        idx = [i for i, n in enumerate(self.numbers) if n in chosen] if chosen else None
        cur = self.mark.selected
        cur = None if cur is None or len(cur) == 0 else [int(i) for i in cur]
        if idx != cur:  # an unchanged selection sends nothing
            self.mark.selected = idx

    def highlight(self, chosen: set[int]) -> None:
        self._select(chosen)


class View:
    """One page of the plots: figures built once, updated in place from a record.

    Subclasses set ``key``, say their tab title in :meth:`label`, build their widgets
    (``self.widgets``, displayed one by one in the page) in ``__init__``, compute their record
    in :meth:`record` and draw it in :meth:`update`.

    Parameters
    ----------
    plots : Host
        The tab container: space, direction, labels, the selection, the trial points.
    """

    key: ClassVar[str] = ""
    #: figures side by side (panel CSS), wrapping like a grid
    grid: ClassVar[bool] = False
    #: a failure in this view shows in its ``note`` instead of breaking the panel (strategy views)
    fragile: ClassVar[bool] = False

    def __init__(self, plots: Host) -> None:
        self.plots = plots
        self._: Callable[[str], str] = plots._
        self.widgets: list[Any] = []
        self.note = widgets.HTML()

    @staticmethod
    def label(_: Callable[[str], str]) -> str:
        """The tab title, in the panel's language."""
        raise NotImplementedError

    @classmethod
    def present(cls, setup: Setup, trials: Sequence[Trial]) -> bool:
        """Whether the page exists for these trials (a page, once shown, stays)."""
        return True

    def record(self, trials: Sequence[Trial]) -> Any:
        """What :meth:`update` draws (None: nothing to draw yet)."""
        raise NotImplementedError

    def update(self, record: Any) -> None:
        """Draw ``record``: one message per changed mark."""
        raise NotImplementedError

    def highlight(self, selection: set[int]) -> None:
        """Show ``selection`` in marks that are not trial :class:`Points` (those follow by themselves)."""

    def refresh(self, trials: Sequence[Trial]) -> None:
        record = self.record(trials)
        if record is not None:
            self.update(record)


#: Colours of brackets and generations (d3's category10, first six).
CATEGORIES = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2"]


def _linked_scatter(
    view: View, xs: Any, xlabel: str, title: str, legend: str | None = None
) -> tuple[bq.Figure, bq.Lines, Points, bq.Axis]:
    """Trials over ``xs`` with lines between them (a scheduler's rungs, a genetic search's parents).

    Returns the figure, the links, the trial :class:`Points` and the x axis; the points' colour
    is a category, named by a colour axis when ``legend`` is given.
    """
    ys = bq.LinearScale()
    cs = bq.OrdinalColorScale(colors=CATEGORIES)
    links = bq.Lines(x=[], y=[], scales={"x": xs, "y": ys}, colors=["#999"], stroke_width=1)
    mark = _trial_scatter({"x": xs, "y": ys, "color": cs}, color=[], default_size=30, stroke="white")
    xaxis = bq.Axis(scale=xs, label=xlabel, tick_format="d")
    axes = [xaxis, _value_axis(ys, view._("value"))]
    margin = dict(_MARGIN)
    if legend is not None:
        axes.append(bq.ColorAxis(scale=cs, side="right", label=legend))
        margin["right"] = 70
    view.plots.value_scales.append(ys)
    return _figure([links, mark], axes, title, margin=margin), links, view.plots.points_for(mark), xaxis
