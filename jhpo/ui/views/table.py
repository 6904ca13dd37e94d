"""The "Trials" page: every trial as a row, sorted and filtered; choosing a row opens the trial."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as widgets

from ...trial import Trial
from .. import plotdata as pd_
from .base import Host, View

__all__ = ["TableView"]


class TableView(View):
    """A fixed-width text table in a ``Select`` (one comm for any number of rows)."""

    key = "table"

    def __init__(self, plots: Host) -> None:
        super().__init__(plots)
        _ = self._
        states = ["all", "complete", "failed", "pruned", "running", "interrupted"]
        self.state = widgets.Dropdown(
            options=[(_(s) if s != "all" else _("all trials"), s) for s in states], value="all", description=_("show")
        )
        self.objectives = list(plots.setup.objectives)
        self.sort = widgets.Dropdown(options=self._columns([]), value="number", description=_("sort by"))
        self.desc = widgets.ToggleButton(value=False, description=_("descending"), icon="sort-amount-desc")
        self.head = widgets.HTML()
        self.rows = widgets.Select(options=[], rows=14, layout=widgets.Layout(width="100%"))
        self.rows.add_class("jhpo-table")
        self.numbers: list[int] = []
        for w in (self.state, self.sort, self.desc):
            w.observe(lambda _c: self.refresh(self.plots.trials), "value")
        self.rows.observe(self._row_chosen, "index")
        bar = widgets.HBox([self.state, self.sort, self.desc], layout=widgets.Layout(flex_flow="row wrap"))
        self.widgets = [bar, self.head, self.rows]

    @staticmethod
    def label(_: Callable[[str], str]) -> str:
        return _("Trials")

    def _columns(self, trials: Sequence[Trial]) -> list[str]:
        scored = self.objectives or ["value"]
        return ["number", *scored, *self.plots.space.names, *pd_.metric_names(trials), "duration", "state"]

    def record(self, trials: Sequence[Trial]) -> dict[str, Any]:
        columns = self._columns(trials)
        if list(self.sort.options) != columns:  # a metric first logged: it can be sorted by too
            self.sort.options = columns
        return pd_.table_rows(
            trials,
            self.plots.space.names,
            self.sort.value,
            self.desc.value,
            self.state.value,
            objectives=self.objectives,
        )

    def update(self, d: dict[str, Any]) -> None:
        more = f" ({d['shown']} / {d['matching']})" if d["shown"] < d["matching"] else ""
        head = f"<pre class='jhpo-table-head'>{html.escape(d['header'])}{html.escape(more)}</pre>"
        if self.head.value != head:
            self.head.value = head
        options = list(zip(d["rows"], range(len(d["rows"]))))
        if list(self.rows.options) != options:
            chosen = self.numbers[self.rows.index] if self.rows.index is not None else None
            self.numbers = d["numbers"]
            with self.rows.hold_sync():
                self.rows.options = options
                self.rows.index = d["numbers"].index(chosen) if chosen in d["numbers"] else None

    def _row_chosen(self, change: dict[str, Any]) -> None:
        i = change["new"]
        if isinstance(i, int) and 0 <= i < len(self.numbers):
            self.plots.on_click(self.numbers[i])
