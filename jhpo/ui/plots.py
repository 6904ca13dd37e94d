"""The plots of a study, in tabs: a container that iterates the views of :mod:`jhpo.ui.views`.

Each page is one :class:`~jhpo.ui.views.base.View` (marks built once, updated in place from a
record of :mod:`jhpo.insights`). The container owns what the pages share: the trials, the
selection (a click, a hover or a brush in one plot highlights the same trials in every plot),
the value axes' focus, and which page is built, shown and updated when.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any

import bqplot as bq
import ipywidgets as widgets

from ..direction import Direction
from ..insights import Setup
from ..space import Space
from ..trial import Trial
from . import plotdata as pd_
from .views import VIEWS, Points, View

__all__ = ["TrialPlots"]


def _page() -> widgets.Output:
    return widgets.Output(layout=widgets.Layout(width="100%"))


def _view(widget: Any) -> dict[str, Any]:
    """The output that displays ``widget`` (what ``display(widget)`` would record)."""
    view = {"version_major": 2, "version_minor": 0, "model_id": widget.model_id}
    data = {"application/vnd.jupyter.widget-view+json": view, "text/plain": ""}
    return {"output_type": "display_data", "data": data, "metadata": {}}


def _setup(space: Space, direction: str, strategy: Any) -> Setup:
    """A setup from a strategy object's declarations only (name, seed, view), when no study is at hand."""
    return Setup(
        space=space,
        direction=Direction.parse(direction),
        strategy=str(getattr(strategy, "name", "")),
        seed=getattr(strategy, "seed", None),
        view=getattr(type(strategy), "view", None),
    )


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
        The study's strategy: only its declarations (``name``, ``seed``, ``view``) are read, when
        no ``setup`` is given.
    setup : Setup, optional
        What the study was built with (:meth:`jhpo.insights.Setup.of`): which strategy view it
        has, and how to refit its model.
    views : list of View classes, optional
        The pages, in tab order (default :data:`jhpo.ui.views.VIEWS`).
    """

    def __init__(
        self,
        space: Space,
        direction: str,
        labels: Callable[[str], str],
        on_click: Callable[[int], None],
        strategy: Any = None,
        setup: Setup | None = None,
        views: Sequence[type[View]] | None = None,
    ) -> None:
        _ = labels
        self._ = labels
        self.space = space
        self.direction = direction
        self.setup = setup if setup is not None else _setup(space, direction, strategy)
        self.on_click = on_click
        self.trials: list[Trial] = []
        self.by_number: dict[int, Trial] = {}
        self.selection: set[int] = set()
        self.hover_html = widgets.HTML(layout=widgets.Layout(padding="4px"))
        self.points: list[Points] = []
        self.value_scales: list[Any] = []  # every value axis, for the full-range / best-trials toggle
        self.focus = widgets.ToggleButtons(
            options=[(_("all trials"), "all"), (_("best 25 %"), "best")],
            value="all",
            tooltip=_("Value axes: the full range, or the best quarter of the trials"),
            style={"button_width": "auto"},
        )
        self.focus.observe(lambda _c: self._apply_focus(), "value")
        self.classes = list(views if views is not None else VIEWS)
        self.views: dict[str, View] = {}  # the views built so far, by key
        # Pages other than the first are built the first time they are shown, and only the visible
        # page is updated: a search pays for the plots someone looks at, nothing more. Only the visible
        # page holds its figure: a figure laid out in a hidden tab has no size (bqplot then logs negative
        # widths and NaN translations), so a page gets its figure back when it is shown. Each page is an
        # Output that displays each of its widgets on its own: the front end lays out a displayed widget
        # after attaching it, with its size known, whereas a Box child added later (or a figure inside a
        # displayed Box) is laid out before it is attached.
        self.pages: list[tuple[type[View], widgets.Output]] = [
            (cls, _page()) for cls in self.classes if cls.present(self.setup, [])
        ]
        self._build(self.pages[0][0])
        self.tabs = widgets.Tab(children=[p[1] for p in self.pages], layout=widgets.Layout(width="100%"))
        self.tabs.titles = tuple(cls.label(_) for cls, _box in self.pages)
        self.tabs.observe(lambda _c: self.refresh_visible(), "selected_index")
        self._show_only(0)

    # -- views and pages -----------------------------------------------------------------

    def view(self, key: str) -> Any:
        """The view ``key`` (``"history"``, ``"params"``, ``"surrogate"``...), or None while it is not built."""
        return self.views.get(key)

    @property
    def history(self) -> Any:
        """The history view (the first page: always built)."""
        return self.views["history"]

    @property
    def h_done(self) -> Points:
        """The complete trials of the history."""
        return self.history.done

    @property
    def best_line(self) -> bq.Lines:
        """The history's best-so-far line."""
        return self.history.best_line

    def points_for(self, mark: bq.Scatter) -> Points:
        """Make ``mark``'s points trials: hover shows one, click opens it, selections highlight them."""
        pts = Points(mark, self)
        self.points.append(pts)
        return pts

    def _build(self, cls: type[View]) -> View:
        view = self.views.get(cls.key)
        if view is None:
            view = self.views[cls.key] = cls(self)
            self._apply_focus()  # its value axes follow the focus too
        return view

    def _show_only(self, shown: int | None) -> None:
        """Give the shown page its content and take it from the hidden ones (see ``__init__``)."""
        for i, (cls, box) in enumerate(self.pages):
            view = self.views.get(cls.key)
            want = tuple(_view(w) for w in view.widgets) if i == shown and view is not None else ()
            if tuple(box.outputs) != want:
                box.outputs = want

    def _add_new_pages(self) -> None:
        """Pages whose data appeared since the last refresh, at the end (no empty tab)."""
        have = {cls for cls, _box in self.pages}
        new = [cls for cls in self.classes if cls not in have and cls.present(self.setup, self.trials)]
        if not new:
            return
        shown = self.tabs.selected_index
        self.pages += [(cls, _page()) for cls in new]
        with self.tabs.hold_sync():
            self.tabs.children = [p[1] for p in self.pages]
            self.tabs.titles = tuple(cls.label(self._) for cls, _box in self.pages)
            self.tabs.selected_index = shown if shown is not None and shown < len(self.pages) else 0

    def _update(self, view: View) -> None:
        if not view.fragile:
            view.refresh(self.trials)
            return
        try:
            view.refresh(self.trials)
        except Exception as exc:  # noqa: BLE001 - a strategy view must never break the panel
            view.note.value = f"<i>{self._('This view is not available')}: {html.escape(str(exc))}</i>"

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
        history: Any = self.views.get("history")
        for p in self.points:
            if history is None or not history.skips_highlight(p, self.selection):
                p.highlight(self.selection)
        for view in self.views.values():
            view.highlight(self.selection)

    # -- updating ------------------------------------------------------------------------

    def set_trials(self, trials: Sequence[Trial]) -> None:
        self.trials = list(trials)
        self.by_number = {t.number: t for t in self.trials}

    def refresh(self, trials: Sequence[Trial], everything: bool = False) -> None:
        """Update the first tab and the visible one (every tab when ``everything``) from ``trials``."""
        self.set_trials(trials)
        self._add_new_pages()
        first = self.views[self.pages[0][0].key]
        self._update(first)
        self._apply_focus()
        shown = self.tabs.selected_index
        due = [self._build(cls) for i, (cls, _box) in enumerate(self.pages) if i and (everything or i == shown)]
        # The shown page gets its figures before the updates: Importance fits a forest first, and a tab
        # clicked meanwhile would hide the page its figures are then displayed into (laid out at zero size).
        self._show_only(shown)
        for view in due:
            self._update(view)

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
