"""The live panel under a ``%%tune`` cell: progress, best, current trial, Stop / Pause, plots.

The panel is a :class:`~jhpo.study.StudyObserver`. It keeps cheap counters on
every event and redraws at most every ``min_interval`` seconds (a few times per
second whatever the trial rate), each redraw being one message per changed
widget or mark. Between trials it lets the kernel handle widget messages
(:mod:`jhpo.ui.uipoll`), so Stop and Pause work while the cell runs.
"""

from __future__ import annotations

import html
import time
import uuid
from typing import Any

import ipywidgets as widgets
from IPython.display import display, update_display

from ..budget import best_note
from ..budget import best_trial as budget_best
from ..failures import describe_failures
from ..insights import Setup, choice
from ..study import Study, StudyObserver
from ..trial import Trial, TrialState
from . import plotdata as pd_
from .i18n import gettext_for
from .plots import TrialPlots
from .snapshot import snapshot_html
from .uipoll import UIPoller

__all__ = ["Panel", "show_study"]

_NOT_DONE = (TrialState.RUNNING, TrialState.INTERRUPTED)  # an interrupted trial does not count as done

#: Colour of each state, as tqdm's bar: blue while running, green when done, red on failure. Theme variables
#: (JupyterLab's own, fallbacks elsewhere) so Light, Dark and high contrast each use their own shades.
_OK, _WARN, _ERR, _RUN = (
    "var(--jp-success-color1, #388e3c)",
    "var(--jp-warn-color1, #f57c00)",
    "var(--jp-error-color1, #d32f2f)",
    "var(--jp-brand-color1, #1976d2)",
)
STATE_COLOURS = {
    "running": _RUN,
    "paused": _WARN,
    "done": _OK,
    "exhausted": _OK,
    "timeout": _OK,
    "stopped": _WARN,
    "interrupted": _ERR,
    "aborted": _ERR,
    "finished": _OK,
    "complete": _OK,
    "failed": _ERR,
    "pruned": "var(--jp-ui-font-color3, #999)",
}
BAR_STYLES = {
    "running": "info",
    "paused": "warning",
    "done": "success",
    "exhausted": "success",
    "timeout": "success",
    "stopped": "warning",
    "interrupted": "danger",
    "aborted": "danger",
    "finished": "success",
}

# Every colour is a JupyterLab theme variable: text keeps its contrast in Light, Dark and high contrast.
# The state pill is an outline in the state's colour around ordinary text, since white on a light green
# (or dark text on a dark one) would fail the contrast check in one theme or the other.
_CSS = """<style>
.jhpo-panel {font-family: var(--jp-ui-font-family, sans-serif); font-size: 13px; color: var(--jp-ui-font-color1);}
.jhpo-pill {display:inline-block; padding:0 8px; border-radius:10px; font-weight:600; line-height:18px;
  color: var(--jp-ui-font-color1); border: 2px solid var(--jhpo-state, var(--jp-brand-color1));}
.jhpo-chips {display:flex; flex-wrap:wrap; gap:4px 6px; margin-top:3px;}
.jhpo-chip {background: var(--jp-layout-color1); color: var(--jp-ui-font-color1);
  border: 1px solid var(--jp-border-color1); border-radius:4px; padding:0 7px; line-height:20px;}
.jhpo-muted {color: var(--jp-ui-font-color2);} .jhpo-best {font-size:15px; font-weight:600;}
.jhpo-failed {font-weight:600; border-bottom: 2px solid var(--jp-error-color1);}
.jhpo-detail pre {max-height: 220px; overflow:auto; background: var(--jp-layout-color2);
  color: var(--jp-content-font-color1); padding:6px; font-size:12px;}
.jhpo-table select, .jhpo-table-head {font-family: var(--jp-code-font-family, monospace); font-size: 12px;}
.jhpo-table-head {margin: 0 0 0 5px; padding: 0; white-space: pre; background: none; color: var(--jp-ui-font-color1);}
.jhpo-legend {margin: 2px 8px; font-size: 12px;}
.jhpo-ramp {display:inline-block; width:120px; height:10px; vertical-align:middle; border-radius:2px;}
.jhpo-grid .jp-OutputArea {display:flex; flex-wrap:wrap;}
.jhpo-grid .jp-OutputArea-child {flex: 0 1 calc(50% - 4px); min-width: 320px;}
.jhpo-grid .jp-OutputArea-child:first-child {flex-basis: 100%;}  /* the legend above the figures */
.jhpo-panel .lm-TabBar-tab {color: var(--jp-ui-font-color1) !important;  /* ipywidgets' grey on grey is 4.4:1 */
  flex: 0 1 auto !important; max-width: none !important;}  /* as wide as its title: seven tabs stay legible */
.jhpo-panel .jhpo-parallel g.label text, .jhpo-panel .jhpo-parallel text.label {
  fill: var(--jp-ui-font-color1) !important;}
</style>"""


def _budget_note(best: Trial, study: Study | None) -> str:
    note = best_note(best, study.space) if study is not None else None
    return f"<div class='jhpo-muted'>{html.escape(note)}</div>" if note else ""


def _params_table(params: dict[str, Any]) -> str:
    # inline "name value" chips: compact, and untouched by the notebook's table styles
    chips = " ".join(
        f"<span class='jhpo-chip'><span class='jhpo-muted'>{html.escape(str(k))}</span> "
        f"<b>{html.escape(pd_.fmt_value(v))}</b></span>"
        for k, v in params.items()
    )
    return f"<div class='jhpo-chips'>{chips}</div>"


class Panel(StudyObserver):
    """The ipywidgets panel of one search.

    Parameters
    ----------
    min_interval : float
        Least time between two redraws, in seconds (updates are throttled to this).
    poll_interval : float
        Least time between two looks at pending widget messages (button clicks).
    language : str, optional
        ``"en"``, ``"de"``, ``"it"`` or ``"es"``; default: ``%config TuneMagics.language``, else the locale.
    """

    def __init__(self, min_interval: float = 0.25, poll_interval: float = 0.1, language: str | None = None) -> None:
        self._ = gettext_for(language).gettext
        self.min_interval = min_interval
        self.poll_interval = poll_interval
        self.study: Study | None = None
        self.plots: TrialPlots | None = None
        self.poller: UIPoller | None = None
        self.display_id = "jhpo-" + uuid.uuid4().hex
        self.displayed = False
        self.paused = False
        self.state = "running"
        self.total: int | None = None
        self.started = time.monotonic()
        self.ended: float | None = None
        # n_done counts this run's trials (the --trials budget); the others count the whole study
        self.n_done = self.n_failed = self.n_pruned = self.n_running = 0
        self.n_study = self.n_earlier = 0
        self.running: dict[int, Trial] = {}  # trial number -> trial, in start order (parallel runs: several)
        self.ours: set[int] = set()  # trials this panel saw start: the run's own
        self.others: dict[int, Trial] = {}  # ended trials of other writers the study may not list yet
        self.best: Trial | None = None
        self.current: Trial | None = None
        self._last_draw = 0.0
        self._gap = min_interval
        self._last_poll = 0.0
        self._dirty = False
        self.stats = {"draws": 0, "draw_seconds": 0.0, "max_draw_seconds": 0.0}
        self._build_widgets()

    def _build_widgets(self) -> None:
        """The header, the progress bar, the buttons and the best trial (the plots come with the study)."""
        _ = self._
        self.header = widgets.HTML()
        self.pill = widgets.HTML()
        self.bar = widgets.IntProgress(
            value=0, min=0, max=1, bar_style="info", layout=widgets.Layout(width="200px", height="20px")
        )
        self.pause_button = widgets.Button(
            description=_("Pause"),
            icon="pause",
            tooltip=_("Pause between trials"),
            layout=widgets.Layout(width="110px"),
        )
        self.stop_button = widgets.Button(
            description=_("Stop"),
            icon="stop",
            button_style="danger",
            tooltip=_("Stop after the running trial; finished trials are kept"),
            layout=widgets.Layout(width="110px"),
        )
        self.pause_button.on_click(self._toggle_pause)
        self.stop_button.on_click(self._stop)
        # few widgets: each one is a comm opened with the panel, which a short search pays for
        self.best_html = widgets.HTML(layout=widgets.Layout(width="100%"))
        self.detail = widgets.HTML(value=f"<span class='jhpo-muted'>{_('Click a point to see that trial.')}</span>")
        self.box = widgets.VBox(
            [
                self.header,
                widgets.HBox(
                    [self.bar, self.pill, self.pause_button, self.stop_button],
                    layout=widgets.Layout(align_items="center", grid_gap="8px", flex_flow="row wrap"),
                ),
                self.best_html,
            ],
            layout=widgets.Layout(width="100%", padding="4px"),
        )
        self.box.add_class("jhpo-panel")

    # -- buttons ------------------------------------------------------------------------

    def _toggle_pause(self, _button: Any = None) -> None:
        _ = self._
        self.paused = not self.paused
        if self.study is not None:  # the search loop waits between trials while the study is paused
            self.study.pause() if self.paused else self.study.resume()
        self.pause_button.description = _("Resume") if self.paused else _("Pause")
        self.pause_button.icon = "play" if self.paused else "pause"
        self.state = "paused" if self.paused else "running"
        self._draw(force=True)

    def _stop(self, _button: Any = None) -> None:
        if self.study is not None:
            self.study.stop()  # the optimize loop checks this before asking for the next trial
        self.paused = False
        self.stop_button.disabled = True
        self.stop_button.description = self._("Stopping")
        self._draw(force=True)

    # -- building -----------------------------------------------------------------------

    def _build(self, study: Study) -> None:
        if self.plots is not None:
            return
        _ = self._
        self.study = study
        self.plots = TrialPlots(study.space, study.direction, _, self.show_trial, setup=Setup.of(study))
        self.box.children = [*self.box.children, self.plots.tabs, self.detail]
        meta = study.meta
        target = meta.get("objective") or ""
        space = ", ".join(f"<b>{html.escape(n)}</b> {html.escape(d.describe())}" for n, d in study.space.items())
        names = study.objective_names if study.is_multi else [target]  # several objectives: each one
        goal = ", ".join(f"{_(d.value)} <code>{html.escape(n)}</code>" for d, n in zip(study.directions, names))
        now, earlier = pd_.strategy_history(meta, _)
        before = f" <span class='jhpo-muted'>({html.escape(earlier)})</span>" if earlier else ""
        self.header.value = _CSS + (
            f"<div><b>jhpo</b> &middot; {_('study')} <code>{html.escape(study.name)}</code> &middot; "
            f"{_('strategy')} <b>{html.escape(now)}</b>{before} &middot; {goal}"
            f"</div><div class='jhpo-muted'>{space}</div>"
        )

    def bundle(self, final: bool = False) -> dict[str, Any]:
        """The widget view plus a static HTML snapshot (what GitHub and nbviewer show)."""
        study = self.study
        assert study is not None
        return {
            "application/vnd.jupyter.widget-view+json": {
                "version_major": 2,
                "version_minor": 0,
                "model_id": self.box.model_id,
            },
            "text/html": snapshot_html(study, self._, final=final),
            "text/plain": f"jhpo panel for study {study.name!r}",
        }

    def show(self) -> None:
        if not self.displayed:
            display(self.bundle(), raw=True, display_id=self.display_id)
            self.displayed = True

    # -- observer -----------------------------------------------------------------------

    def on_search_start(self, study: Study, n_trials: int | None) -> None:
        self._build(study)
        self.total = n_trials
        self.started = time.monotonic()
        self.n_earlier = sum(t.state is not TrialState.RUNNING for t in study.trials)  # a resumed study's
        self._recount()
        self.poller = UIPoller()
        self.show()
        self._draw(force=True)

    def on_status(self, study: Study, text: str | None) -> None:
        self.status_text = text
        self._draw(force=True)

    def on_trial_start(self, study: Study, trial: Trial) -> None:
        self.ours.add(trial.number)
        self.current = trial
        self.running[trial.number] = trial
        self.n_running = len(self.running)
        self._dirty = True
        self._maybe_draw()

    def on_report(self, study: Study, trial: Trial, step: int, value: float) -> None:
        self._dirty = True
        self._maybe_draw()
        self._poll()

    def on_trial_end(self, study: Study, trial: Trial) -> None:
        self.running.pop(trial.number, None)
        if trial.number not in self.ours:  # another writer's trial (a shared study): counted in the study
            self.others[trial.number] = trial
        self._dirty = True  # counted when drawn: a count per trial would cost O(n) each on a big study
        self._maybe_draw()
        self._poll()

    def on_paused(self, study: Study) -> None:
        if self.poller is None or self.poller.mode == "none":  # no kernel can deliver Resume: do not hang
            self.paused = False
            study.resume()
            return
        self._poll(force=True)  # the loop sleeps between calls

    def on_search_end(self, study: Study, reason: str) -> None:
        if self.poller is not None:
            self.poller.close()
        self.state = reason
        self.ended = time.monotonic()
        self.paused = False
        self.current = None
        self.pause_button.layout.display = "none"  # a finished search has nothing to stop
        self.stop_button.layout.display = "none"
        self._draw(force=True)  # the other pages update when they are opened
        if self.displayed:
            # JupyterLab re-renders an updated widget output in place without disposing the old view
            # (ipywidgets' WidgetRenderer.renderModel), which then lives on detached and lays out every
            # figure shown later at zero size (console errors). An update without the widget first makes
            # JupyterLab dispose that renderer; the final bundle then gets a fresh one.
            update_display({"text/plain": self.bundle()["text/plain"]}, raw=True, display_id=self.display_id)
            update_display(self.bundle(final=True), raw=True, display_id=self.display_id)

    # -- drawing ------------------------------------------------------------------------

    def all_trials(self) -> list[Trial]:
        """The study's trials and any other writer's trial reported before the study lists it."""
        assert self.study is not None
        trials = self.study.trials
        if self.others:
            listed = {t.number for t in trials}
            trials += [t for n, t in self.others.items() if n not in listed]
            trials.sort(key=lambda t: t.number)
        return trials

    def _recount(self) -> None:
        """Counters and best from the trials themselves, so they agree with the result and the DataFrame."""
        trials = self.all_trials()
        self.n_running = len(self.running)
        self.n_done = sum(t.number in self.ours and t.state not in _NOT_DONE for t in trials)
        self.n_study = sum(t.state is not TrialState.RUNNING for t in trials)
        self.n_failed = sum(t.state is TrialState.FAILED for t in trials)
        self.n_pruned = sum(t.state is TrialState.PRUNED for t in trials)
        # the study's own rule (compared at equal budget, jhpo.budget), so the panel agrees with the result
        self.best = budget_best(trials, self.study.direction) if self.study and not self.study.is_multi else None

    def _poll(self, force: bool = False) -> None:
        now = time.monotonic()
        if self.poller is not None and (force or now - self._last_poll >= self.poll_interval):
            self._last_poll = now
            self.poller.poll()

    def _maybe_draw(self) -> None:
        if time.monotonic() - self._last_draw >= self._gap:
            self._draw()

    def _draw(self, force: bool = False, everything: bool = False) -> None:
        if self.study is None or not (force or self._dirty):
            return
        t0 = self._last_draw = time.monotonic()
        self._dirty = False
        try:
            self._draw_now(everything)
        finally:  # kept for the benchmark: how often and how long the panel draws
            self._last_draw = time.monotonic()  # the interval counts from the end: a slow draw cannot hog
            spent = self._last_draw - t0
            # a big study draws more slowly: wait longer, so drawing stays under a fifth of the time
            self._gap = max(self.min_interval, 4 * spent)
            self.stats["draws"] += 1
            self.stats["draw_seconds"] += spent
            self.stats["max_draw_seconds"] = max(self.stats["max_draw_seconds"], spent)

    def _draw_now(self, everything: bool) -> None:
        assert self.study is not None
        _ = self._
        self._recount()
        state = "paused" if self.paused else self.state
        colour = STATE_COLOURS.get(state, _RUN)
        label = _(state)
        if self.study.stop_requested and state in ("running", "paused"):
            label = _("stopping")
        pill = f"<span class='jhpo-pill' style='--jhpo-state:{colour}'>{html.escape(label)}</span>"
        total = self.total if self.total is not None else max(self.n_done + self.n_running, 1)
        with self.bar.hold_sync():
            self.bar.max = max(1, total)
            self.bar.value = min(self.n_done, self.bar.max)
            self.bar.bar_style = BAR_STYLES.get(state, "info")
        elapsed = (self.ended or time.monotonic()) - self.started
        parts = [f"<b>{self.n_done}</b>/{self.total if self.total is not None else '?'} {_('done')}"]
        if self.n_running:
            parts.append(f"{self.n_running} {_('running')}")
        if self.n_study != self.n_done:  # resumed or shared: the study holds more than this run made
            parts.append(f"<b>{self.n_study}</b> {_('in the study')}")
        if self.n_failed:
            parts.append(f"<span class='jhpo-failed'>{self.n_failed} {_('failed')}</span>")
        if self.n_pruned:
            parts.append(f"{self.n_pruned} {_('pruned')}")
        if getattr(self, "status_text", None) and not self.n_running:
            parts.append(html.escape(str(self.status_text)))
        parts.append(f"{_('elapsed')} {pd_.fmt_duration(elapsed)}")
        if self.ended is None:
            parts.append(f"{_('ETA')} {pd_.fmt_duration(pd_.eta_seconds(self.n_done, self.total, elapsed))}")
        why = ""
        if self.n_failed:  # which errors, how often, in which trials (the same lines as the summary)
            lines = describe_failures(self.all_trials()).splitlines()
            why = "".join(f"<div class='jhpo-muted jhpo-failures'>{html.escape(x)}</div>" for x in lines)
        _set(self.pill, pill + " " + " &middot; ".join(parts) + why)
        _set(
            self.best_html,
            f"<div style='display:flex;gap:24px;flex-wrap:wrap'><div>{self._best_text()}</div>"
            f"<div>{self._current_text()}</div></div>",
        )
        assert self.plots is not None
        self.plots.refresh(self.all_trials(), everything=everything)

    def _best_text(self) -> str:
        _ = self._
        best = self.best
        if self.study is not None and self.study.is_multi:  # no single best: the front's size
            front = len(self.study.best_trials)
            return f"<div>{_('Pareto front')}: <span class='jhpo-best'>{front}</span> {_('trials')}</div>"
        if best is None:
            return f"<div class='jhpo-muted'>{_('Best')}: -</div>"
        return (
            f"<div>{_('Best')} <span class='jhpo-best'>{pd_.fmt_value(best.value)}</span> "
            f"<span class='jhpo-muted'>({_('trial')} {best.number})</span>{_budget_note(best, self.study)}"
            f"{_params_table(best.params)}</div>"
        )

    def _current_text(self) -> str:
        _ = self._
        running = [t for t in self.running.values() if t.state is TrialState.RUNNING][-8:]
        rows = []
        for t in running:  # parallel runs: one line per running trial, with the worker that runs it
            tag = f" <span class='jhpo-muted'>({_('the cell defaults')})</span>" if t.info.get("baseline") else ""
            worker = t.run.worker if t.run is not None else t.info.get("worker")
            where = f" <span class='jhpo-muted'>@ {html.escape(str(worker))}</span>" if worker else ""
            rows.append(f"<div>{_('Running trial')} {t.number}{tag}{where}{_params_table(t.params)}</div>")
        return "".join(rows)

    def show_trial(self, number: int) -> None:
        """Show one trial's details under the plots (what clicking a point does)."""
        if self.study is None:
            return
        trial = next((t for t in self.all_trials() if t.number == number), None)
        if trial is None:
            return
        self.detail.value = trial_detail_html(trial, self._)
        if self.plots is not None:
            self.plots.highlight({number})

    # -- a finished or stored study -----------------------------------------------------

    @classmethod
    def for_study(cls, study: Study, language: str | None = None) -> Panel:
        """A panel showing a finished or stored study (``%tune_show``, the result's display)."""
        panel = cls(language=language)
        panel._build(study)
        trials = study.trials
        panel.ours = {t.number for t in trials}  # a stored study: every trial is the one shown
        panel._recount()
        panel.total = len(trials)
        panel.state = study.stop_reason or "finished"
        starts = [t.datetime_start for t in trials if t.datetime_start]
        ends = [t.datetime_end for t in trials if t.datetime_end]
        panel.started, panel.ended = 0.0, (max(ends) - min(starts)) if starts and ends else 0.0
        panel.pause_button.layout.display = "none"
        panel.stop_button.layout.display = "none"
        panel._draw(force=True)
        return panel


def _set(widget: widgets.HTML, value: str) -> None:
    if widget.value != value:  # an unchanged label sends nothing
        widget.value = value


def trial_detail_html(trial: Trial, _: Any) -> str:
    """The detail view of one trial: parameters, value, duration, output, traceback."""
    d = pd_.trial_detail(trial)
    colour = STATE_COLOURS.get(d["state"], _WARN)
    value = pd_.fmt_value(d["value"]) if d["value"] is not None else "-"
    out = [
        f"<div class='jhpo-detail'><b>{_('Trial')} {d['number']}</b> "
        f"<span class='jhpo-pill' style='--jhpo-state:{colour}'>{html.escape(_(d['state']))}</span> "
        f"&middot; {_('value')} <b>{value}</b> &middot; {_('duration')} {d['duration']}",
        _params_table(d["params"]),
    ]
    if len(d["values"]) > 1:  # several objectives: every value, in the study's order
        out.append(f"<div>{_('values')} <b>{html.escape(', '.join(d['values']))}</b></div>")
    if d["metrics"]:
        out.append(f"<div>{_('metrics')} {_params_table(trial.metrics)}</div>")
    why = choice(trial)  # what the strategy recorded about choosing this trial (never the live strategy)
    if why.facts:
        facts = ", ".join(f"{k}={html.escape(str(v))}" for k, v in why.facts.items())
        out.append(f"<div class='jhpo-muted'>{facts}</div>")
    if why.text:
        out.append(f"<div class='jhpo-muted'>{html.escape(why.text)}</div>")
    for key, title in (("stdout", _("Output")), ("stderr", _("Errors and warnings")), ("error", _("Traceback"))):
        if d[key].strip():
            out.append(f"<div><b>{title}</b><pre>{html.escape(d[key])}</pre></div>")
    out.append("</div>")
    return "".join(out)


def show_study(study: Study, language: str | None = None) -> Panel:
    """Display the final panel of ``study`` (with its static snapshot for saved notebooks)."""
    panel = Panel.for_study(study, language=language)
    display(panel.bundle(final=True), raw=True, display_id=panel.display_id)
    panel.displayed = True
    return panel
