"""The race in a notebook: one bqplot figure of best-so-far per strategy, a spread band, a ranking.

The figure and its marks are built once; each redraw assigns new arrays inside
``hold_sync`` (one message per mark), at most every ``min_interval`` seconds.
Between trials the view lets the kernel handle widget messages, so Stop works
while the race runs (the same :class:`~jhpo.ui.uipoll.UIPoller` the panel uses).
"""

from __future__ import annotations

import html
import math
import time
from typing import TYPE_CHECKING, Any

import bqplot as bq
import ipywidgets as widgets
import numpy as np

from ..trial import Trial

if TYPE_CHECKING:  # the race imports this view to display itself: no import back at run time
    from .race import Race, RaceResult

__all__ = ["RaceView", "ranking_html", "show_race_result"]

_MUTED, _ERROR = "color:var(--jp-ui-font-color2, #777)", "color:var(--jp-error-color1, #b71c1c)"  # theme colours

#: One colour per strategy, in --race order (colour-blind friendly Tableau 10 order).
COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]


def _arr(x: Any) -> np.ndarray:
    return np.asarray(x, dtype=float) if len(x) else np.zeros(0)


def ranking_html(result: RaceResult) -> str:
    """The ranking table as HTML (best first), with the strategies that could not run."""
    df = result.ranking
    k = len(result.seeds)
    rows = []
    for i, r in enumerate(df.itertuples(index=False), 1):
        colour = COLOURS[result.strategies.index(r.strategy) % len(COLOURS)]
        t95 = "-" if math.isnan(r.trials_to_95) else f"{r.trials_to_95:.1f} <small>({r.reached_95}/{k})</small>"
        sd = 0.0 if abs(r.std_best) < 1e-12 else r.std_best  # float noise of identical seeds
        spread = f" <small>± {sd:.2g}</small>" if k > 1 and not math.isnan(r.std_best) else ""
        rows.append(
            f"<tr><td>{i}</td><td><b style='color:{colour}'>{html.escape(r.strategy)}</b></td>"
            f"<td>{r.mean_best:.5g}{spread}</td><td>{r.mean_rank:.2f}</td><td>{t95}</td>"
            f"<td>{r.trials:g}</td></tr>"
        )
    seeds = f"mean over {k} seeds" if k > 1 else "one seed"
    head = (
        "<tr><th>#</th><th>strategy</th><th>best</th><th>mean rank</th>"
        "<th title='trials needed to get 95% of the way from the worst value to the best one'>"
        "trials to 95%</th><th>trials</th></tr>"
    )
    notes = "".join(
        f"<div style='{_ERROR}'>not raced: <b>{html.escape(n)}</b> ({html.escape(w)})</div>"
        for n, w in result.missing.items()
    )
    if result.stop_reason not in (None, "done"):
        notes += (
            f"<div style='{_MUTED}'>The race ended early ({html.escape(result.stop_reason)}); every "
            "strategy had the same number of trials, so the table is still a fair comparison.</div>"
        )
    return (
        f"<div class='jhpo-race-ranking'><b>Ranking</b> <span style='{_MUTED}'>({seeds})</span>"
        f"<style>.jhpo-race-ranking td, .jhpo-race-ranking th {{padding: 1px 12px 1px 0; text-align: left}}"
        f"</style><table style='border-collapse:collapse'>{head}{''.join(rows)}</table>{notes}</div>"
    )


class RaceView:  # a RaceObserver (a Protocol: no base class needed)
    """The live view of a race; also draws a finished :class:`RaceResult` (:meth:`for_result`).

    Parameters
    ----------
    min_interval : float
        Least seconds between two redraws.
    """

    def __init__(self, min_interval: float = 0.25) -> None:
        self.min_interval = min_interval
        self.race: Race | None = None
        self.result: RaceResult | None = None
        self.upto: int | None = None  # replay: draw only the first `upto` trials
        self.displayed = False
        self.poller: Any = None
        self._last = 0.0
        self.header = widgets.HTML()
        self.status = widgets.HTML()
        self.stop_button = widgets.Button(
            description="Stop",
            icon="stop",
            button_style="danger",
            tooltip="End the race after the running trial; it stays fair",
            layout=widgets.Layout(width="100px"),
        )
        self.stop_button.on_click(self.stop)
        self.x_toggle = widgets.ToggleButtons(
            options=[("trial number", "trial"), ("elapsed time", "time")],
            value="trial",
            style={"button_width": "110px"},
        )
        self.band_toggle = widgets.ToggleButtons(
            options=[("min-max", "minmax"), ("± std", "std")], value="minmax", style={"button_width": "80px"}
        )
        self.x_toggle.observe(lambda _c: self.draw(force=True), "value")
        self.band_toggle.observe(lambda _c: self.draw(force=True), "value")
        self.xs, self.ys = bq.LinearScale(), bq.LinearScale()
        self.x_axis = bq.Axis(scale=self.xs, label="trial", tick_format="d", grid_lines="none")
        self.y_axis = bq.Axis(scale=self.ys, side="left", label="best so far", tick_format=".3~g", grid_lines="dashed")
        self.figure = bq.Figure(
            marks=[],
            axes=[self.x_axis, self.y_axis],
            title="Best so far, per strategy",
            animation_duration=0,
            legend_location="bottom-right",
            fig_margin={"top": 30, "bottom": 45, "left": 65, "right": 20},
            layout=widgets.Layout(width="100%", height="360px"),
        )
        self.means: dict[str, bq.Lines] = {}
        self.bands: dict[str, bq.Lines] = {}
        self.ranking = widgets.HTML()
        self.box = widgets.VBox(
            [
                self.header,
                widgets.HBox(
                    [self.status, self.stop_button], layout=widgets.Layout(align_items="center", grid_gap="10px")
                ),
                widgets.HBox([self.x_toggle, self.band_toggle]),
                self.figure,
                self.ranking,
            ],
            layout=widgets.Layout(width="100%"),
        )
        self.box.add_class("jhpo-race")

    # -- building ----------------------------------------------------------------------

    def _build(self, result: RaceResult) -> None:
        if self.means:
            return
        marks = []
        for i, s in enumerate(result.strategies):
            c = COLOURS[i % len(COLOURS)]
            band = bq.Lines(
                x=[0.0],
                y=[[math.nan], [math.nan]],
                scales={"x": self.xs, "y": self.ys},
                fill="between",
                colors=[c, c],
                fill_colors=[c],
                fill_opacities=[0.18],
                stroke_width=0,
                opacities=[0.0, 0.0],
                interpolation="step-after",
            )
            mean = bq.Lines(
                x=[0.0],
                y=[math.nan],
                scales={"x": self.xs, "y": self.ys},
                colors=[c],
                stroke_width=2.5,
                labels=[s],
                display_legend=True,
                interpolation="step-after",
            )
            self.bands[s], self.means[s] = band, mean
            marks += [band, mean]
        self.figure.marks = marks
        self.band_toggle.layout.display = None if len(result.seeds) > 1 else "none"
        seeds = ", ".join(str(k) for k in result.seeds)
        self.header.value = (
            f"<b>jhpo race</b> <code>{html.escape(result.name)}</code> &middot; "
            f"{html.escape(', '.join(result.strategies))} &middot; {result.n_trials} trials each "
            f"&middot; {result.direction} &middot; seed{'s' if len(result.seeds) > 1 else ''} "
            f"{seeds}"
        )

    def show(self) -> None:
        if not self.displayed:
            from IPython.display import display

            display(self.box)
            self.displayed = True

    # -- observer ------------------------------------------------------------------------

    def on_race_start(self, race: Race) -> None:
        from ..ui.uipoll import UIPoller

        self.race = race
        self.result = race.result()
        self._build(self.result)
        self.poller = UIPoller()
        self.show()
        self.draw(force=True)

    def on_race_step(self, race: Race, strategy: str, seed: int, trial: Trial | None) -> None:
        if time.monotonic() - self._last >= self.min_interval:
            self.result = race.result()
            self.draw()
        if self.poller is not None:
            self.poller.poll()

    def on_race_end(self, race: Race, result: RaceResult) -> None:
        if self.poller is not None:
            self.poller.close()
        self.result = result
        self.stop_button.layout.display = "none"  # nothing left to stop
        self.draw(force=True)
        self.ranking.value = ranking_html(result)
        if self.displayed:
            result._shown_live = True  # type: ignore[attr-defined]  # the view above already shows it

    def stop(self, _button: Any = None) -> None:
        """End the race after the running trial (the Stop button)."""
        if self.race is not None:
            self.race.stop()
        self.stop_button.disabled = True
        self.stop_button.description = "Stopping"

    # -- drawing ---------------------------------------------------------------------------

    def draw(self, force: bool = False) -> None:
        """Redraw every strategy's curve and band from the current result (throttled unless forced)."""
        result = self.result
        if result is None or not (force or time.monotonic() - self._last >= self.min_interval):
            return
        self._last = time.monotonic()
        x = self.x_toggle.value
        stats = result.curve_stats(x=x, band=self.band_toggle.value)
        upto = self.upto
        for s, d in stats.items():
            xs, mean, lo, hi = d["x"], d["mean"], d["lo"], d["hi"]
            if upto is not None and x == "trial":
                xs, mean, lo, hi = xs[:upto], mean[:upto], lo[:upto], hi[:upto]
            if not xs:
                continue
            with self.bands[s].hold_sync():
                self.bands[s].x = _arr(xs)
                self.bands[s].y = np.vstack([_arr(lo), _arr(hi)])
            with self.means[s].hold_sync():
                self.means[s].x, self.means[s].y = _arr(xs), _arr(mean)
        n = result.length if upto is None else min(upto, result.length)
        with self.x_axis.hold_sync():
            self.x_axis.label = "trial" if x == "trial" else "elapsed seconds (each strategy's own)"
            self.x_axis.tick_format = "d" if x == "trial" else ".3g"
            # whole trial numbers only: a few trials would otherwise get ticks at 1, 1.5, 2 all shown as "1 1 2"
            self.x_axis.num_ticks = max(2, min(n, 10)) if x == "trial" else None
        state = "running" if self.race is not None and result.stop_reason is None else (result.stop_reason or "done")
        self.status.value = f"<b>{n}</b>/{result.n_trials} trials per strategy &middot; {html.escape(state)}"

    @classmethod
    def for_result(cls, result: RaceResult) -> RaceView:
        """A view of a finished race (its ranking included)."""
        view = cls()
        view.result = result
        view._build(result)
        view.stop_button.layout.display = "none"
        view.draw(force=True)
        view.ranking.value = ranking_html(result)
        return view


def show_race_result(result: RaceResult) -> None:
    """Display a race result: the plot and ranking in a notebook, the text summary elsewhere."""
    from IPython.display import display

    from ..ui import in_notebook

    if getattr(result, "_shown_live", False):
        result._shown_live = False  # type: ignore[attr-defined]
        return
    if in_notebook():
        try:
            display(RaceView.for_result(result).box)
            return
        except Exception:  # noqa: BLE001 - no widgets: the text still works
            pass
    display({"text/plain": result.summary()}, raw=True)
