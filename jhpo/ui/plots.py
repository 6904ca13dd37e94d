"""bqplot figures for a study: built once, updated in place (one message per mark per update).

Data comes from :mod:`jhpo.ui.plotdata`; this module only assigns it to marks.
Each mark remembers which trial numbers its points are, so a click, a hover or
a brush selection maps back to trials and can be highlighted in every plot.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from typing import Any

import bqplot as bq
import ipywidgets as widgets
import numpy as np

from ..importance import MIN_TRIALS, param_importance
from ..space import Space
from ..trial import Trial, TrialState
from . import plotdata as pd_
from .ticks import Ticks, axis_ticks, js_number, range_ticks

__all__ = ["TrialPlots"]

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


def _legend(colours: list[str], low: str, high: str) -> str:
    """A colour ramp between two labels, for views whose colour encodes something."""
    ramp = f"linear-gradient(to right, {', '.join(colours)})"
    return (
        f"<div class='jhpo-legend'>{html.escape(low)} <span class='jhpo-ramp' style='background:{ramp}'></span> "
        f"{html.escape(high)}</div>"
    )


def _page() -> widgets.Output:
    return widgets.Output(layout=widgets.Layout(width="100%"))


def _view(widget: Any) -> dict[str, Any]:
    """The output that displays ``widget`` (what ``display(widget)`` would record)."""
    view = {"version_major": 2, "version_minor": 0, "model_id": widget.model_id}
    data = {"application/vnd.jupyter.widget-view+json": view, "text/plain": ""}
    return {"output_type": "display_data", "data": data, "metadata": {}}


def _arr(values: Sequence[Any]) -> np.ndarray:
    return np.asarray(values, dtype=float) if len(values) else np.zeros(0)


class _Points:
    """A scatter whose points are trials: hover shows the trial, click opens it."""

    def __init__(self, mark: bq.Scatter, plots: TrialPlots) -> None:
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


class TrialPlots:
    """All the plots of one study, in tabs.

    Parameters
    ----------
    space : Space
    direction : str
    labels : callable
        ``gettext`` for the panel language.
    on_click : callable
        ``on_click(trial_number)`` when a point is clicked.
    strategy : object, optional
        The study's strategy; its ``slice`` method (bayes) feeds the surrogate view.
    """

    def __init__(
        self,
        space: Space,
        direction: str,
        labels: Callable[[str], str],
        on_click: Callable[[int], None],
        strategy: Any = None,
    ) -> None:
        _ = labels
        self._ = labels
        self.space = space
        self.direction = direction
        self.on_click = on_click
        self.strategy = strategy
        self.trials: list[Trial] = []
        self.by_number: dict[int, Trial] = {}
        self.selection: set[int] = set()
        self.hover_html = widgets.HTML(layout=widgets.Layout(padding="4px"))
        self.points: list[_Points] = []
        self._slice_param: str | None = None
        self.param_points: dict[str, _Points] = {}
        self.par_numbers: list[int] = []
        self.curve_numbers: list[int] = []
        self.value_scales: list[Any] = []  # every value axis, for the full-range / best-trials toggle
        self.focus = widgets.ToggleButtons(
            options=[(_("all trials"), "all"), (_("best 25 %"), "best")],
            value="all",
            tooltip=_("Value axes: the full range, or the best quarter of the trials"),
            style={"button_width": "auto"},
        )
        self.focus.observe(lambda _c: self._apply_focus(), "value")
        self._build_history()
        self.strategy_box: Any = None  # made when the strategy records what its view needs
        self._strategy_built: str | None = None
        # Pages other than the history are built the first time they are shown, and only the visible
        # page is updated: a search pays for the plots someone looks at, nothing more. Only the visible
        # page holds its figure: a figure laid out in a hidden tab has no size (bqplot then logs negative
        # widths and NaN translations), so a page gets its figure back when it is shown. Each page is an
        # Output that displays each of its widgets on its own: the front end lays out a displayed widget
        # after attaching it, with its size known, whereas a Box child added later (or a figure inside a
        # displayed Box) is laid out before it is attached.
        self._lazy: dict[int, Callable[[], None]] = {}
        self._content: dict[int, list[Any]] = {id(self.history_box): self.history_content}
        self.pages: list[tuple[str, Any, Callable[[], None] | None]] = [
            (_("History"), self.history_box, None),
            (_("Parameters"), self._placeholder(self._build_params, grid=True), self._update_params),
        ]
        if len(self.space) >= 2:  # parallel coordinates need two axes
            self.pages.append(
                (_("Parallel coordinates"), self._placeholder(self._build_parallel), self._update_parallel)
            )
        self.pages.append((_("Trials"), self._placeholder(self._build_table), self._update_table))
        self.curves_box = self._placeholder(self._build_curves)  # a page once a trial reports a value
        self.importance_box = self._placeholder(self._build_importance)  # a page once there are enough trials
        self._importance_at = -1
        self.population_box = self._placeholder(self._build_population)  # a page once trials carry PBT info
        self.population_view: Any = None
        self.tabs = widgets.Tab(children=[p[1] for p in self.pages], layout=widgets.Layout(width="100%"))
        self.tabs.titles = tuple(p[0] for p in self.pages)
        self.tabs.observe(lambda _c: self.refresh_visible(), "selected_index")
        self._show_only(0)

    # -- building ------------------------------------------------------------------------

    def _placeholder(self, build: Callable[[], list[Any]], grid: bool = False) -> widgets.Output:
        box = _page()
        if grid:  # figures side by side (panel CSS): the outputs wrap like a grid
            box.add_class("jhpo-grid")

        def fill() -> None:
            self._content[id(box)] = build()

        self._lazy[id(box)] = fill
        return box

    def _ensure(self, box: Any) -> None:
        fill = self._lazy.pop(id(box), None)
        if fill is not None:
            fill()

    def _show_only(self, shown: int | None) -> None:
        """Give the shown page its content and take it from the hidden ones (see ``__init__``)."""
        for i, (_title, box, _update) in enumerate(self.pages):
            content = self._content.get(id(box))
            want = tuple(_view(w) for w in content) if i == shown and content is not None else ()
            if tuple(box.outputs) != want:
                box.outputs = want

    def _add_page(self, title: str, box: Any, update: Callable[[], None] | None) -> None:
        shown = self.tabs.selected_index
        self.pages = [p for p in self.pages if p[1] is not box] + [(title, box, update)]
        with self.tabs.hold_sync():
            self.tabs.children = [p[1] for p in self.pages]
            self.tabs.titles = tuple(p[0] for p in self.pages)
            self.tabs.selected_index = shown if shown is not None and shown < len(self.pages) else 0

    def _build_history(self) -> None:
        _ = self._
        xs, ys = bq.LinearScale(), bq.LinearScale()
        sc = {"x": xs, "y": ys}
        self.best_line = bq.Lines(x=[], y=[], scales=sc, colors=[GREEN], stroke_width=2, labels=[_("best so far")])
        done = bq.Scatter(
            x=[],
            y=[],
            scales=sc,
            colors=[BLUE],
            default_size=56,
            stroke="white",
            selected_style=_SELECTED,
            unselected_style=_UNSELECTED,
            interactions={"hover": "tooltip", "click": "select"},
        )
        pruned = bq.Scatter(
            x=[],
            y=[],
            scales=sc,
            colors=[GREY],
            marker="triangle-down",
            default_size=56,
            selected_style=_SELECTED,
            unselected_style=_UNSELECTED,
            interactions={"hover": "tooltip", "click": "select"},
        )
        failed = bq.Scatter(
            x=[],
            y=[],
            scales=sc,
            colors=[RED],
            marker="cross",
            default_size=56,
            interactions={"hover": "tooltip", "click": "select"},
        )
        self.h_done, self.h_pruned, self.h_failed = (_Points(m, self) for m in (done, pruned, failed))
        self.points += [self.h_done, self.h_pruned, self.h_failed]
        self._brush_scales = (xs, ys)
        self.brush: Any = None  # made when brushing is switched on
        # the brush writes the indices it covers into done.selected; follow that, in brush mode only
        done.observe(self._brushed, "selected")
        self.h_xaxis = bq.Axis(scale=xs, label=_("trial"), tick_format="d", grid_lines="none")
        axes = [
            self.h_xaxis,
            bq.Axis(
                scale=ys,
                side="left",
                label=_("value"),
                tick_format=".3~g",
                grid_lines="dashed",
                label_offset="45px",
            ),
        ]
        self.history_fig = _figure(
            [self.best_line, done, pruned, failed], axes, _("Value by trial (click a point for details)")
        )
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
        self.value_scales.append(ys)
        bar = widgets.HBox([self.focus, self.brush_toggle], layout=widgets.Layout(justify_content="space-between"))
        self.history_content = [bar, self.history_fig]
        self.history_box = _page()

    def _brush_mode(self, change: dict[str, Any]) -> None:
        if change["new"]:
            if self.brush is None:
                xs, ys = self._brush_scales
                self.brush = bq.interacts.BrushSelector(x_scale=xs, y_scale=ys, marks=[self.h_done.mark], color=ORANGE)
            self.history_fig.interaction = self.brush
        else:
            self.history_fig.interaction = None
            if self.brush is not None:
                self.brush.selected_x = None
                self.brush.selected_y = None
            self.h_done.mark.selected = None
            self.highlight(set())

    def _brushed(self, change: dict[str, Any]) -> None:
        if not self.brush_toggle.value:
            return
        sel = change["new"]
        numbers = {
            self.h_done.numbers[int(i)] for i in (sel if sel is not None else []) if int(i) < len(self.h_done.numbers)
        }
        if numbers != self.selection:
            self.highlight(numbers)

    def _build_params(self) -> Any:
        _ = self._
        figs = []
        for name in self.space.names:
            ticks = axis_ticks(self.space[name])
            xs, ys = _scale_for(ticks), bq.LinearScale()
            cs = bq.ColorScale(colors=TRIAL_ORDER)
            mark = bq.Scatter(
                x=[],
                y=[],
                color=[],
                scales={"x": xs, "y": ys, "color": cs},
                default_size=48,
                stroke="white",
                selected_style=_SELECTED,
                unselected_style=_UNSELECTED,
                interactions={"hover": "tooltip", "click": "select"},
            )
            pts = _Points(mark, self)
            self.param_points[name] = pts
            self.points.append(pts)
            self.value_scales.append(ys)
            axes = [
                _ticked_axis(xs, ticks, name + (" (log)" if ticks["scale"] == "log" else "")),
                bq.Axis(scale=ys, side="left", label=_("value"), tick_format=".3~g", label_offset="45px"),
            ]
            margin = {"top": 30, "bottom": 50, "left": 70, "right": 20}
            figs.append(_figure([mark], axes, name, height="260px", margin=margin))
        self.params_figs = figs
        # the points' colour is their trial number: an HTML legend (bqplot's colour bar came out squeezed)
        self.params_legend = widgets.HTML(_legend(TRIAL_ORDER, _("first trial"), _("latest trial")))
        self._apply_focus()
        return [self.params_legend, *figs]

    def _build_parallel(self) -> Any:
        _ = self._
        d = pd_.parallel([], self.space, self.direction, value_name=_("value"))
        names = d["names"]
        xs, ys = bq.OrdinalScale(domain=names), bq.LinearScale(min=-0.05, max=1.05)
        cs = bq.ColorScale(colors=WORST_BEST if self.direction == "maximize" else WORST_BEST[::-1])
        self.par_lines = bq.Lines(
            x=names,
            y=[],
            color=[],
            scales={"x": xs, "y": ys, "color": cs},
            stroke_width=1.5,
            selected_style={"stroke-width": 4, "opacity": 1.0},
            unselected_style={"opacity": 0.15},
        )
        self.par_numbers = []
        self.par_names = names
        ticks = [(n, u, lab) for n in names for u, lab in d["ticks"][n]]
        # the tick labels are text marks; their colour comes from the theme (panel CSS, .jhpo-parallel)
        self.par_labels = bq.Label(
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
        axes = [bq.Axis(scale=xs)]
        self.parallel_fig = _figure(
            [rules, self.par_lines, self.par_labels],
            axes,
            _("Parallel coordinates (best value at the top)"),
            height="320px",
            margin={"top": 30, "bottom": 45, "left": 30, "right": 60},
        )
        self.parallel_fig.add_class("jhpo-parallel")
        self.par_brush = self._build_axis_brush(names)
        self.par_legend = widgets.HTML(_legend(WORST_BEST, _("worst value"), _("best value")))
        return [self.par_legend, self.parallel_fig, self.par_brush]

    def _build_axis_brush(self, names: list[str]) -> Any:
        """Brushing on the parallel plot: pick an axis and the span of it to keep (bottom 0, top 1)."""
        _ = self._
        self.par_axis = widgets.Dropdown(options=names, value=names[-1], description=_("select on"))
        self.par_range = widgets.FloatRangeSlider(
            value=(0.0, 1.0),
            min=0.0,
            max=1.0,
            step=0.01,
            description=_("span"),
            readout_format=".2f",
            continuous_update=False,
            layout=widgets.Layout(width="360px"),
        )
        self.par_count = widgets.HTML()
        self.par_axis.observe(lambda _c: self._axis_brushed(), "value")
        self.par_range.observe(lambda _c: self._axis_brushed(), "value")
        row = [self.par_axis, self.par_range, self.par_count]
        return widgets.HBox(row, layout=widgets.Layout(flex_flow="row wrap"))

    def _axis_brushed(self) -> None:
        lo, hi = self.par_range.value
        if lo <= 0.0 and hi >= 1.0:  # the whole axis: no selection
            self.par_count.value = ""
            self.highlight(set())
            return
        col = self.par_names.index(self.par_axis.value)
        rows = self.par_lines.y if self.par_lines.y is not None else []
        chosen = {n for n, row in zip(self.par_numbers, rows) if lo - 1e-9 <= float(row[col]) <= hi + 1e-9}
        self.par_count.value = f"<span class='jhpo-muted'>{len(chosen)} {self._('trials selected')}</span>"
        self.highlight(chosen)

    def _build_importance(self) -> list[Any]:
        _ = self._
        names = list(self.space.searched.names)
        xs, ys = bq.OrdinalScale(domain=names), bq.LinearScale(min=0.0, max=1.0)
        self.imp_bars = bq.Bars(x=names, y=np.zeros(len(names)), scales={"x": xs, "y": ys}, colors=[BLUE])
        self.imp_xaxis = bq.Axis(scale=xs, label=_("parameter"))
        axes = [self.imp_xaxis, bq.Axis(scale=ys, side="left", label=_("share of the variance"), tick_format=".0%")]
        self.imp_note = widgets.HTML()
        fig = _figure([self.imp_bars], axes, _("Parameter importance (fANOVA on a random forest)"), height="280px")
        return [self.imp_note, fig]

    def _update_importance(self) -> None:
        done = sum(t.state is TrialState.COMPLETE for t in self.trials)
        # a forest per redraw would slow the search: refit when the trials grew by a tenth
        if self._importance_at >= 0 and done < self._importance_at * 1.1 + 1:
            return
        self._importance_at = done
        try:
            shares = param_importance(self.trials, self.space)
        except ValueError as exc:
            self.imp_note.value = f"<span class='jhpo-muted'>{html.escape(str(exc))}</span>"
            return
        names = list(shares)
        with self.imp_bars.hold_sync():
            self.imp_bars.scales["x"].domain = names
            self.imp_bars.x, self.imp_bars.y = names, _arr(list(shares.values()))
        self.imp_note.value = (
            f"<span class='jhpo-muted'>{self._('from')} {done} {self._('complete trials')}; "
            "<code>result.importance()</code></span>"
        )

    def _build_table(self) -> list[Any]:
        _ = self._
        states = ["all", "complete", "failed", "pruned", "running", "interrupted"]
        self.tbl_state = widgets.Dropdown(
            options=[(_(s) if s != "all" else _("all trials"), s) for s in states], value="all", description=_("show")
        )
        columns = ["number", "value", *self.space.names, "duration", "state"]
        self.tbl_sort = widgets.Dropdown(options=columns, value="number", description=_("sort by"))
        self.tbl_desc = widgets.ToggleButton(value=False, description=_("descending"), icon="sort-amount-desc")
        self.tbl_head = widgets.HTML()
        self.tbl_rows = widgets.Select(options=[], rows=14, layout=widgets.Layout(width="100%"))
        self.tbl_rows.add_class("jhpo-table")
        self.tbl_numbers: list[int] = []
        for w in (self.tbl_state, self.tbl_sort, self.tbl_desc):
            w.observe(lambda _c: self._update_table(), "value")
        self.tbl_rows.observe(self._row_chosen, "index")
        bar = widgets.HBox([self.tbl_state, self.tbl_sort, self.tbl_desc], layout=widgets.Layout(flex_flow="row wrap"))
        return [bar, self.tbl_head, self.tbl_rows]

    def _update_table(self) -> None:
        d = pd_.table_rows(
            self.trials, self.space.names, self.tbl_sort.value, self.tbl_desc.value, self.tbl_state.value
        )
        more = f" ({d['shown']} / {d['matching']})" if d["shown"] < d["matching"] else ""
        head = f"<pre class='jhpo-table-head'>{html.escape(d['header'])}{html.escape(more)}</pre>"
        if self.tbl_head.value != head:
            self.tbl_head.value = head
        options = list(zip(d["rows"], range(len(d["rows"]))))
        if list(self.tbl_rows.options) != options:
            chosen = self.tbl_numbers[self.tbl_rows.index] if self.tbl_rows.index is not None else None
            self.tbl_numbers = d["numbers"]
            with self.tbl_rows.hold_sync():
                self.tbl_rows.options = options
                self.tbl_rows.index = d["numbers"].index(chosen) if chosen in d["numbers"] else None

    def _row_chosen(self, change: dict[str, Any]) -> None:
        i = change["new"]
        if isinstance(i, int) and 0 <= i < len(self.tbl_numbers):
            self.on_click(self.tbl_numbers[i])

    def _build_curves(self) -> Any:
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
        self.curve_numbers = []
        self.c_xaxis = bq.Axis(scale=xs, label=_("step"), tick_format="d")
        axes = [
            self.c_xaxis,
            bq.Axis(scale=ys, side="left", label=_("intermediate value"), tick_format=".3~g", label_offset="45px"),
        ]
        self.curves_fig = _figure([self.curves], axes, _("Learning curves (grey: pruned; hover for the reason)"))
        return [self.curves_fig]

    # -- hover, click, selection ---------------------------------------------------------

    def show_hover(self, number: int) -> None:
        t = self.by_number.get(number)
        if t is None:
            return
        rows = "".join(
            f"<div><span class='jhpo-muted'>{html.escape(str(k))}</span> <b>{html.escape(pd_.fmt_value(v))}</b></div>"
            for k, v in t.params.items()
        )
        value = pd_.fmt_value(t.value) if t.value is not None else self._(t.state.value)
        self.hover_html.value = (
            f"<div style='font-size:12px;line-height:17px'><b>#{t.number}</b> &rarr; <b>{value}</b>{rows}</div>"
        )

    def highlight(self, numbers: set[int]) -> None:
        """Highlight these trials in every plot (empty: clear)."""
        self.selection = set(numbers)
        for p in self.points:
            if p.mark is not self.h_done.mark or not numbers:
                p.highlight(self.selection)
        if hasattr(self, "par_lines"):
            idx = [i for i, n in enumerate(self.par_numbers) if n in self.selection] if numbers else None
            self.par_lines.selected = idx

    # -- updating ------------------------------------------------------------------------

    def set_trials(self, trials: Sequence[Trial]) -> None:
        self.trials = list(trials)
        self.by_number = {t.number: t for t in self.trials}

    def refresh(self, trials: Sequence[Trial], everything: bool = False) -> None:
        """Update the visible tab (all tabs when ``everything``) from ``trials``."""
        self.set_trials(trials)
        if not any(p[1] is self.curves_box for p in self.pages):
            if any(t.intermediate for t in self.trials):  # no empty tab: curves appear with the first report
                self._add_page(self._("Learning curves"), self.curves_box, self._update_curves)
        if len(self.space.searched) >= 2 and not any(p[1] is self.importance_box for p in self.pages):
            done = sum(t.state is TrialState.COMPLETE for t in self.trials)
            if done >= MIN_TRIALS:
                self._add_page(self._("Importance"), self.importance_box, self._update_importance)
        if not any(p[1] is self.population_box for p in self.pages):
            if any("member" in t.info and "interval" in t.info for t in self.trials):
                self._add_page(self._("Population"), self.population_box, self._update_population)
        self._update_history()
        self._apply_focus()
        shown = self.tabs.selected_index
        self._update_strategy(everything or (shown is not None and self.pages[shown][1] is self.strategy_box))
        due = [(box, update) for i, (_t, box, update) in enumerate(self.pages) if update and (everything or i == shown)]
        for box, _update in due:
            self._ensure(box)
        # The shown page gets its figures before the updates: Importance fits a forest first, and a tab
        # clicked meanwhile would hide the page its figures are then displayed into (laid out at zero size).
        self._show_only(shown)
        for _box, update in due:
            update()

    def _apply_focus(self) -> None:
        """Value axes over every trial, or over the best quarter (a few poor trials squeeze the rest)."""
        span = pd_.focus_range(self.trials, self.direction) if self.focus.value == "best" else None
        lo, hi = span if span is not None else (None, None)
        for scale in self.value_scales:
            if (scale.min, scale.max) != (lo, hi):
                with scale.hold_sync():
                    scale.min, scale.max = lo, hi

    def refresh_visible(self) -> None:
        if self.trials:
            self.refresh(self.trials)

    def _update_history(self) -> None:
        d = pd_.history(self.trials, self.direction)
        last = max(d["x"] + d["pruned_x"] + d["failed_x"], default=0)
        ticks = int(last) + 1 if last < 10 else None  # no repeated integer labels on a short history
        if self.h_xaxis.num_ticks != ticks:
            self.h_xaxis.num_ticks = ticks
        with self.best_line.hold_sync():
            self.best_line.x, self.best_line.y = _arr(d["best_x"]), _arr(d["best_y"])
        self.h_done.assign(d["x"], d["y"], d["numbers"])
        self.h_pruned.assign(d["pruned_x"], d["pruned_y"], d["pruned_numbers"])
        self.h_failed.assign(d["failed_x"], d["failed_y"], d["failed_numbers"])

    def _update_params(self) -> None:
        for name, pts in self.param_points.items():
            d = pd_.param_points(self.trials, self.space, name, self.direction)
            pts.assign(d["x"], d["y"], d["numbers"], color=_arr(d["numbers"]))

    def _update_parallel(self) -> None:
        d = pd_.parallel(self.trials, self.space, self.direction, value_name=self._("value"))
        if not d["y"]:
            return
        self.par_numbers = d["numbers"]
        with self.par_lines.hold_sync():
            self.par_lines.y = np.asarray(d["y"], dtype=float)
            self.par_lines.color = _arr(d["color"])
            self.par_lines.opacities = [0.8] * len(d["y"])
            if self.selection:
                self.par_lines.selected = [i for i, n in enumerate(self.par_numbers) if n in self.selection]
        # the value axis is scaled to the values seen: its labels follow them
        ticks = [(n, u, lab) for n in d["names"] for u, lab in d["ticks"][n]]
        text = [t[2] for t in ticks]
        if list(self.par_labels.text) != text:
            with self.par_labels.hold_sync():
                self.par_labels.x = [t[0] for t in ticks]
                self.par_labels.y = _arr([t[1] for t in ticks])
                self.par_labels.text = text

    def _update_curves(self) -> None:
        d = pd_.learning_curves(self.trials)
        if not d["x"]:
            return
        width = max(2, max(len(x) for x in d["x"]))  # bqplot squeezes a (n, 1) array into one line

        def pad(rows: list[list[float]]) -> np.ndarray:
            return np.array([r + [math.nan] * (width - len(r)) for r in rows], dtype=float)

        colours = {"pruned": GREY, "running": ORANGE, "failed": RED, "interrupted": RED}
        _ = self._
        labels = []
        for n, state, reason, ys in zip(d["numbers"], d["state"], d["reason"], d["y"]):
            last = pd_.fmt_value(ys[-1]) if ys else "-"
            labels.append(f"#{n} {_(state)}: {reason}" if reason else f"#{n} {_(state)} ({last})")
        self.curve_numbers = d["numbers"]
        last_step = int(max((x[-1] for x in d["x"] if x), default=0))
        if last_step <= 12:  # integer steps only: no repeated labels on a short axis
            ticks = np.arange(0, last_step + 1).astype(float)
            if self.c_xaxis.tick_values is None or len(self.c_xaxis.tick_values) != len(ticks):
                self.c_xaxis.tick_values = ticks
        with self.curves.hold_sync():
            self.curves.x, self.curves.y = pad(d["x"]), pad(d["y"])
            self.curves.colors = [colours.get(s, BLUE) for s in d["state"]]
            self.curves.opacities = [0.5 if s == "pruned" else 0.9 for s in d["state"]]
            self.curves.labels = labels

    # -- population-based training (jhpo/ui/pbt_view.py) ---------------------------------------

    def _build_population(self) -> list[Any]:
        from .pbt_view import PopulationView  # imported here: it builds on this module's helpers

        self.population_view = PopulationView(self.space, self._, self._trial_points)
        return list(self.population_view.widgets)

    def _trial_points(self, mark: bq.Scatter) -> _Points:
        pts = _Points(mark, self)
        self.points.append(pts)
        return pts

    def _update_population(self) -> None:
        d = pd_.population(self.trials, self.space)
        if d is None or self.population_view is None:
            return
        try:
            self.population_view.update(d)
        except Exception as exc:  # noqa: BLE001 - a strategy view must never break the panel
            self.population_view.note.value = f"<i>{self._('This view is not available')}: {exc}</i>"

    # -- strategy views (only when the strategy recorded what they need) ----------------------

    def _update_strategy(self, visible: bool) -> None:
        hb = pd_.hyperband(self.trials)
        gen = pd_.generations(self.trials) if hb is None else None
        bayes = (
            hb is None
            and gen is None
            and callable(getattr(self.strategy, "slice", None))
            and any(isinstance(t.info.get("why"), dict) for t in self.trials)
        )
        kind = "hyperband" if hb else "genetic" if gen else "bayes" if bayes else None
        if kind is None:
            return
        if self._strategy_built != kind:
            self._build_strategy(kind)
        if not visible:
            return
        try:
            if hb is not None:
                self._update_hyperband(hb)
            elif gen is not None:
                self._update_genetic(gen)
            else:
                self._update_bayes()
        except Exception as exc:  # noqa: BLE001 - a strategy view must never break the panel
            self.strategy_note.value = f"<i>{self._('This view is not available')}: {exc}</i>"

    def _build_strategy(self, kind: str) -> None:
        _ = self._
        self._strategy_built = kind
        if self.strategy_box is None:
            self.strategy_box = _page()
        self.strategy_note = widgets.HTML()
        xs, ys = (bq.LogScale() if kind == "hyperband" else bq.LinearScale()), bq.LinearScale()
        cs = bq.OrdinalColorScale(colors=["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2"])
        if kind == "bayes":
            self._build_bayes()
            title = _("Surrogate")
        else:
            self.s_links = bq.Lines(x=[], y=[], scales={"x": xs, "y": ys}, colors=["#999"], stroke_width=1)
            mark = bq.Scatter(
                x=[],
                y=[],
                color=[],
                scales={"x": xs, "y": ys, "color": cs},
                default_size=30,
                stroke="white",
                selected_style=_SELECTED,
                unselected_style=_UNSELECTED,
                interactions={"hover": "tooltip", "click": "select"},
            )
            self.s_points = _Points(mark, self)
            self.points.append(self.s_points)
            xlabel = _("budget") if kind == "hyperband" else _("generation")
            title = (
                _("Brackets and rungs (colour: bracket)")
                if kind == "hyperband"
                else _("Population per generation (lines: parents)")
            )
            self.s_xaxis = bq.Axis(scale=xs, label=xlabel, tick_format="d")
            axes = [
                self.s_xaxis,
                bq.Axis(scale=ys, side="left", label=_("value"), tick_format=".3~g", label_offset="45px"),
            ]
            margin = dict(_MARGIN)
            if kind == "hyperband":  # colour is the bracket: a legend says which
                axes.append(bq.ColorAxis(scale=cs, side="right", label=_("bracket")))
                margin["right"] = 70
            self.value_scales.append(ys)
            fig = _figure([self.s_links, mark], axes, title, margin=margin)
            self._content[id(self.strategy_box)] = [self.strategy_note, fig]
            title = _("Hyperband") if kind == "hyperband" else _("Generations")
        self._add_page(title, self.strategy_box, None)

    def _update_hyperband(self, d: dict[str, Any]) -> None:
        keep = [i for i, v in enumerate(d["value"]) if v is not None]
        self.s_points.assign(
            [d["budget"][i] for i in keep],
            [d["value"][i] for i in keep],
            [d["numbers"][i] for i in keep],
            color=np.asarray([d["bracket"][i] for i in keep]),
        )
        budgets = [d["budget"][i] for i in keep if d["budget"][i] > 0]
        if budgets:  # a budget axis in whole epochs (or a fraction), never "1.00 ... 9.00"
            integer = all(float(b).is_integer() for b in budgets)
            t = range_ticks(min(budgets), max(budgets), log=True, integer=integer)
            labels = {js_number(v): lab for v, lab in zip(t["values"], t["labels"])}
            if self.s_xaxis.tick_labels != labels:
                with self.s_xaxis.hold_sync():
                    self.s_xaxis.tick_values = np.asarray(t["values"], dtype=float)
                    self.s_xaxis.tick_labels = labels
        brackets = sorted(set(d["bracket"]))
        self.strategy_note.value = (
            f"<small>{len(brackets)} {self._('brackets')}, {max(d['rung']) + 1} {self._('rungs')}</small>"
        )

    def _update_genetic(self, d: dict[str, Any]) -> None:
        self.s_points.assign(d["generation"], d["value"], d["numbers"], color=np.asarray(d["generation"]))
        if d["links_x"]:
            with self.s_links.hold_sync():
                self.s_links.x, self.s_links.y = _arr(d["links_x"]), _arr(d["links_y"])
        self.strategy_note.value = f"<small>{max(d['generation']) + 1} {self._('generations')}</small>"

    def _build_bayes(self) -> None:
        _ = self._
        # numeric parameters only: a slice over categories would be a bar chart, not a curve
        names = [n for n in self.space.searched.names if not hasattr(self.space[n], "choices")]
        if not names:
            raise ValueError("no numeric parameter to slice along")
        self._slice_param = names[0]
        self.slice_choice = widgets.Dropdown(
            options=names, value=names[0], description=_("parameter"), layout=widgets.Layout(width="260px")
        )
        self.slice_choice.observe(lambda c: self._update_bayes(), "value")
        xs, ys, ay = bq.LinearScale(), bq.LinearScale(), bq.LinearScale()
        self.b_band = bq.Lines(
            x=[],
            y=[],
            scales={"x": xs, "y": ys},
            fill="between",
            colors=["#9ecae1", "#9ecae1"],
            fill_colors=["#c6dbef"],
            fill_opacities=[0.5],
            stroke_width=0,
        )
        self.b_mean = bq.Lines(x=[], y=[], scales={"x": xs, "y": ys}, colors=[BLUE], stroke_width=2)
        self.b_obs = bq.Scatter(x=[], y=[], scales={"x": xs, "y": ys}, colors=["#777"], default_size=20)
        self.b_next = bq.Lines(x=[], y=[], scales={"x": xs, "y": ys}, colors=[RED], line_style="dashed")
        self.b_acq = bq.Lines(
            x=[], y=[], scales={"x": xs, "y": ay}, colors=[ORANGE], stroke_width=2, fill="bottom", fill_opacities=[0.2]
        )
        self.b_next2 = bq.Scatter(
            x=[], y=[], scales={"x": xs, "y": ay}, colors=[RED], marker="diamond", default_size=60
        )
        self.b_xaxis = bq.Axis(scale=xs, label=self._slice_param, tick_format=".3~g")
        self.b_xaxis2 = bq.Axis(scale=xs, label=self._slice_param, tick_format=".3~g")
        top = _figure(
            [self.b_band, self.b_mean, self.b_obs, self.b_next],
            [
                self.b_xaxis,
                bq.Axis(
                    scale=ys,
                    side="left",
                    label=_("model of the value"),
                    tick_format=".3~g",
                    label_offset="45px",
                ),
            ],
            _("Surrogate mean and uncertainty (dots: trials; dashed: next)"),
            height="250px",
        )
        bottom = _figure(
            [self.b_acq, self.b_next2],
            [
                self.b_xaxis2,
                bq.Axis(
                    scale=ay,
                    side="left",
                    label=_("acquisition"),
                    tick_format=".2~g",
                    label_offset="45px",
                ),
            ],
            _("Acquisition (expected improvement); diamond: next point"),
            height="200px",
        )
        self._bayes_x: str | None = None
        self._content[id(self.strategy_box)] = [widgets.HBox([self.slice_choice, self.strategy_note]), top, bottom]

    def _bayes_axis(self, name: str) -> None:
        """The slice's x axis in the parameter's own units (a log scale for a log parameter)."""
        if self._bayes_x == name:
            return
        self._bayes_x = name
        ticks = axis_ticks(self.space[name])
        xs = _scale_for(ticks)
        for mark in (self.b_band, self.b_mean, self.b_obs, self.b_next, self.b_acq, self.b_next2):
            mark.scales = {**mark.scales, "x": xs}
        label = name + (" (log)" if ticks["scale"] == "log" else "")
        for axis in (self.b_xaxis, self.b_xaxis2):
            with axis.hold_sync():
                axis.scale, axis.label = xs, label
                axis.tick_values = np.asarray(ticks["values"], dtype=float)
                axis.tick_labels = {js_number(v): lab for v, lab in zip(ticks["values"], ticks["labels"])}

    def _update_bayes(self) -> None:
        name = self.slice_choice.value
        done = [t for t in self.trials if t.state.value != "running"]
        s = self.strategy.slice(done, [name])
        axis = np.asarray(s["axes"][0] if isinstance(s["axes"], (list, tuple)) else s["axes"][name], dtype=float)
        self._bayes_axis(name)
        mean, std = np.asarray(s["mean"], dtype=float).ravel(), np.asarray(s["std"], dtype=float).ravel()
        acq = np.asarray(s["acquisition"], dtype=float).ravel()
        nxt = s.get("next") or {}
        nx = nxt.get(name) if isinstance(nxt, dict) else None
        obs = s.get("observed") or {}
        ox, oy = _observed(obs, name)
        with self.b_band.hold_sync():
            self.b_band.x, self.b_band.y = axis, np.vstack([mean - 2 * std, mean + 2 * std])
        with self.b_mean.hold_sync():
            self.b_mean.x, self.b_mean.y = axis, mean
        with self.b_acq.hold_sync():
            self.b_acq.x, self.b_acq.y = axis, acq
        with self.b_obs.hold_sync():
            self.b_obs.x, self.b_obs.y = _arr(ox), _arr(oy)
        if isinstance(nx, (int, float)):
            lo, hi = float(np.nanmin(mean - 2 * std)), float(np.nanmax(mean + 2 * std))
            with self.b_next.hold_sync():
                self.b_next.x, self.b_next.y = _arr([nx, nx]), _arr([lo, hi])
            with self.b_next2.hold_sync():
                self.b_next2.x, self.b_next2.y = _arr([nx]), _arr([float(np.interp(nx, axis, acq))])
        self.strategy_note.value = f"<small>{self._('other parameters held at the best trial')}</small>"


def _observed(obs: Any, name: str) -> tuple[list[float], list[float]]:
    """Accept the observed points as ``{"x": {name: [...]}|[...], "y": [...]}`` or a list of (x, y)."""
    if isinstance(obs, dict):
        x = obs.get("x", obs.get(name, []))
        if isinstance(x, dict):
            x = x.get(name, [])
        y = obs.get("y", obs.get("value", []))
        xa = np.asarray(x, dtype=float)
        return [float(v) for v in (xa[:, 0] if xa.ndim == 2 else xa)], [float(v) for v in (y or [])]
    if isinstance(obs, (list, tuple)) and obs and isinstance(obs[0], (list, tuple)):
        pairs = [(p[0].get(name) if isinstance(p[0], dict) else p[0], p[1]) for p in obs]
        kept = [(float(x), float(y)) for x, y in pairs if isinstance(x, (int, float)) and y is not None]
        return [x for x, _ in kept], [y for _, y in kept]
    return [], []


def _decades(low: float, high: float) -> list[float]:
    """Tick values for a log axis: the powers of ten inside [low, high] (at most 6 of them)."""
    lo, hi = math.ceil(math.log10(low) - 1e-9), math.floor(math.log10(high) + 1e-9)
    step = max(1, math.ceil((hi - lo + 1) / 6))
    ticks = [10.0**e for e in range(lo, hi + 1, step)]
    return ticks if len(ticks) >= 2 else [low, high]
