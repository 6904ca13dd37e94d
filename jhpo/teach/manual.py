"""``%%tune --manual``: the learner is the optimizer.

A form built from the cell's annotations (log sliders for log parameters,
sliders with the declared steps, dropdowns for choices and booleans), a Run
button and a Suggest button. Each Run is a trial of the study, run by the same
:class:`~jhpo.runner.CellRunner` as an automatic search, stored with
``info["manual"] = True`` and drawn in the panel's own plots
(:class:`~jhpo.ui.plots.TrialPlots`). Suggest asks a strategy (``--strategy``,
bayes by default) for its next point given the trials so far, fills the form
and says why. The study is stored like any other, so
``%%tune --strategy bayes --study NAME --resume --trials N`` continues it.

The handlers are plain methods (:meth:`ManualForm.run`, :meth:`ManualForm.suggest`),
so ``form.run_button.click()`` or ``form.run()`` work from Python as well.
"""

from __future__ import annotations

import html
import math
import time
from collections.abc import Mapping
from typing import Any

import ipywidgets as widgets
import numpy as np

from ..annotations import CellTemplate
from ..cell import TuneOptions, _strategy_options, open_study, parse_tunable
from ..runner import CellRunner
from ..space import Choice, Distribution, Float, Int, Resource, Value
from ..strategies import Suggestion, make_strategy
from ..study import Study
from ..trial import Trial, TrialState

__all__ = ["ManualForm", "manual_cell", "widget_for"]

#: Positions a continuous slider offers (its step is the range over this).
SLIDER_STEPS = 200


def _label(v: Value) -> str:
    return v if isinstance(v, str) else repr(v)


def widget_for(name: str, dist: Distribution, value: Value) -> widgets.Widget:
    """The form control for one parameter, set to ``value``."""
    style = {"description_width": "120px"}
    layout = widgets.Layout(width="520px")
    common = {"description": name, "style": style, "layout": layout, "continuous_update": False}
    if isinstance(dist, Choice):
        return widgets.Dropdown(
            options=[(_label(c), c) for c in dist.choices],
            value=value,
            description=name,
            style=style,
            layout=widgets.Layout(width="320px"),
        )
    if isinstance(dist, Float) and dist.log:
        lo, hi = math.log10(dist.low), math.log10(dist.high)
        return widgets.FloatLogSlider(
            value=float(value),  # type: ignore[arg-type]
            base=10,
            min=lo,
            max=hi,
            step=(hi - lo) / SLIDER_STEPS,
            readout_format=".3g",
            **common,
        )
    if isinstance(dist, Float):
        step = dist.step if dist.step is not None else (dist.high - dist.low) / SLIDER_STEPS
        return widgets.FloatSlider(
            value=float(value),  # type: ignore[arg-type]
            min=dist.low,
            max=dist.high,
            step=step,
            readout_format=".4g",
            **common,
        )
    if isinstance(dist, Int) and dist.log:
        # An integer on a log scale: a slider over log-spaced levels (every level when there are few).
        levels = _int_levels(dist, value)
        return widgets.SelectionSlider(options=levels, value=int(value), **common)  # type: ignore[arg-type]
    if isinstance(dist, Int):
        return widgets.IntSlider(
            value=int(value),  # type: ignore[arg-type]
            min=dist.low,
            max=dist.high,
            step=dist.step,
            **common,
        )
    if isinstance(dist, Resource):
        if dist.is_int:
            return widgets.IntSlider(value=int(value), min=int(dist.low), max=int(dist.high), **common)  # type: ignore[arg-type]
        return widgets.FloatSlider(
            value=float(value),  # type: ignore[arg-type]
            min=dist.low,
            max=dist.high,
            step=(dist.high - dist.low) / SLIDER_STEPS,
            readout_format=".3g",
            **common,
        )
    raise TypeError(f"no form control for {dist.describe()} ({name})")


def _int_levels(dist: Int, *extra: Value) -> list[int]:
    if dist.n_levels <= 64:
        levels = set(range(dist.low, dist.high + 1))
    else:
        levels = {int(round(x)) for x in np.geomspace(dist.low, dist.high, 64)}
    levels.update(int(v) for v in extra if v is not None)
    return sorted(v for v in levels if dist.low <= v <= dist.high)


def _read(dist: Distribution, value: Any) -> Value:
    """A widget's value as the parameter's own type (sliders speak floats)."""
    if isinstance(dist, Choice):
        return value
    if isinstance(dist, Int) or (isinstance(dist, Resource) and dist.is_int):
        return int(round(value))
    v = float(value)
    if isinstance(dist, Float):
        if dist.step is not None:  # slider arithmetic leaves 0.30000000000000004 behind
            v = round(dist.low + round((v - dist.low) / dist.step) * dist.step, 12)
        else:
            v = float(f"{v:.10g}")
        v = min(dist.high, max(dist.low, v))
    return v


class ManualForm:
    """The manual-search form of one cell and study.

    Parameters
    ----------
    template : CellTemplate
    runner : CellRunner
        Runs the cell for each trial (the same runner an automatic search uses).
    study : Study
        Where the runs are recorded; its strategy answers Suggest.
    apply : bool
        After each run, the notebook's variables hold what the best run so far made.
    note : str
        A line to show above the form (e.g. why the suggesting strategy was replaced).
    """

    def __init__(
        self, template: CellTemplate, runner: CellRunner, study: Study, apply: bool = True, note: str = ""
    ) -> None:
        self.template = template
        self.runner = runner
        self.study = study
        self.apply = apply
        self.suggestion: Suggestion | None = None
        self.last: Trial | None = None
        self.controls: dict[str, widgets.Widget] = {}
        space = study.space
        start = self._start_values()
        for name, dist in space.items():
            self.controls[name] = widget_for(name, dist, start[name])
        strategy = str(study.meta.get("strategy"))
        self.run_button = widgets.Button(
            description="Run",
            icon="play",
            button_style="primary",
            tooltip="Run the cell with these values (one trial)",
            layout=widgets.Layout(width="110px"),
        )
        self.suggest_button = widgets.Button(
            description=f"Suggest ({strategy})",
            icon="lightbulb-o",
            tooltip=f"Ask {strategy} for its next point given the trials so far",
            layout=widgets.Layout(width="170px"),
        )
        self.reset_button = widgets.Button(
            description="Defaults",
            icon="undo",
            tooltip="Back to the cell's values",
            layout=widgets.Layout(width="100px"),
        )
        self.run_button.on_click(self.run)
        self.suggest_button.on_click(self.suggest)
        self.reset_button.on_click(self.reset)
        self.why = widgets.HTML()
        self.outcome = widgets.HTML()
        self.detail = widgets.HTML()
        self.header = widgets.HTML(self._header(note))
        self.plots = self._make_plots()
        children = [
            self.header,
            widgets.VBox(list(self.controls.values())),
            widgets.HBox(
                [self.run_button, self.suggest_button, self.reset_button], layout=widgets.Layout(grid_gap="8px")
            ),
            self.why,
            self.outcome,
        ]
        if self.plots is not None:
            children.append(self.plots.tabs)
        children.append(self.detail)
        self.box = widgets.VBox(children, layout=widgets.Layout(width="100%"))
        self.box.add_class("jhpo-manual")
        self._refresh()

    # -- building ------------------------------------------------------------------------

    def _start_values(self) -> dict[str, Value]:
        # A resumed study starts the form at its best trial: the learner continues from there.
        best = self.study.best_trial
        values = dict(self.template.written)  # a control for every parameter, inactive ones too
        if best is not None:
            values.update({k: v for k, v in best.params.items() if k in values})
        res = self.study.space.resource_name
        if res is not None and res not in values:
            values[res] = self.study.space[res].high  # type: ignore[attr-defined]
        return values

    def _header(self, note: str) -> str:
        s = self.study
        target = s.meta.get("objective") or "the cell's last expression"
        extra = f"<div class='jhpo-failed'>{html.escape(note)}</div>" if note else ""
        from ..ui.panel import _CSS  # the chips and colours of the trial details, from the theme

        return _CSS + (
            f"<div><b>jhpo manual search</b>: you are the optimizer &middot; study <code>"
            f"{html.escape(s.name)}</code> &middot; {s.direction} <code>{html.escape(target)}</code></div>"
            "<div class='jhpo-muted'>Set the values, press Run; press Suggest to see what "
            f"{html.escape(str(s.meta.get('strategy')))} would try next.</div>{extra}"
        )

    def _make_plots(self) -> Any:
        try:
            from ..insights import Setup
            from ..ui.i18n import gettext_for
            from ..ui.plots import TrialPlots

            return TrialPlots(
                self.study.space,
                self.study.direction,
                gettext_for(None).gettext,
                self.show_trial,
                setup=Setup.of(self.study),
            )
        except Exception:  # noqa: BLE001 - the form works without plots
            return None

    # -- reading and writing the form ----------------------------------------------------

    def params(self) -> dict[str, Value]:
        """The configuration the form holds now."""
        return {n: _read(self.study.space[n], w.value) for n, w in self.controls.items()}

    def set_params(self, params: Mapping[str, Value]) -> None:
        """Put ``params`` into the form (Suggest does this)."""
        for name, value in params.items():
            w = self.controls.get(name)
            if w is None:
                continue
            if isinstance(w, widgets.SelectionSlider) and value not in w.options:
                w.options = _int_levels(self.study.space[name], value, *w.options)  # type: ignore[arg-type]
            w.value = value

    def reset(self, _button: Any = None) -> None:
        """Back to the cell's own values."""
        self.set_params(self.template.defaults)
        self.suggestion = None
        self.why.value = ""

    # -- the buttons -----------------------------------------------------------------------

    def _settle(self, quiet: float = 0.15, limit: float = 0.6) -> None:
        """Take in the value changes the front end sent before the click but which arrive after it.

        ipywidgets' front end holds a control's next change back until the kernel has answered its
        previous one, while a click goes out at once: under load Run could overtake the dropdown
        the user just changed. Handling the waiting widget messages first makes the click act on
        the values shown.
        """
        try:
            from ..ui.uipoll import UIPoller

            poller = UIPoller()
        except Exception:  # noqa: BLE001 - no kernel: nothing can be in flight
            return
        if poller.mode == "none":
            return
        start = last = time.monotonic()
        while time.monotonic() - start < limit and time.monotonic() - last < quiet:
            if poller.poll():
                last = time.monotonic()
            time.sleep(0.02)
        poller.close()

    def run(self, _button: Any = None) -> Trial:
        """Run the cell once with the form's values; the trial is recorded in the study."""
        if _button is not None:  # a click from the front end, not a call from Python
            self._settle()
        params = self.params()
        info: dict[str, Any] = {"manual": True}
        if self.suggestion is not None and _same(params, self.suggestion.params):
            # The learner took the suggestion as it was: run exactly it and keep the strategy's reasons.
            params.update(self.suggestion.params)
            info.update({k: v for k, v in self.suggestion.info.items() if k != "budget"})
            info["suggested_by"] = self.study.meta.get("strategy")
        if self.study.space.prune(params) == self.template.defaults and not any(
            t.info.get("baseline") for t in self.study.trials
        ):
            info["baseline"] = True
        self.study.enqueue(params, info)
        self.run_button.disabled, self.run_button.description = True, "Running..."
        try:
            trial = self.study.run_trial(self.runner, self.study.ask())
        finally:
            self.run_button.disabled, self.run_button.description = False, "Run"
        self.suggestion = None
        self.last = trial
        if self.apply and self.runner.best is not None:
            self.runner.namespace.update(self.runner.best[2])
        self._refresh()
        self.show_trial(trial.number)
        return trial

    def suggest(self, _button: Any = None) -> Suggestion | None:
        """Ask the strategy for its next point given the trials so far and put it into the form."""
        proposals = self.study.strategy.suggest(self.study.trials, 1)
        if not proposals:
            self.why.value = "<div class='jhpo-muted'>The strategy has nothing left to propose.</div>"
            self.suggestion = None
            return None
        s = proposals[0]
        self.set_params(s.params)
        self.suggestion = s
        self.why.value = why_html(str(self.study.meta.get("strategy")), s.info)
        return s

    # -- showing ---------------------------------------------------------------------------

    def _refresh(self) -> None:
        trials = self.study.trials
        done = [t for t in trials if t.state is not TrialState.RUNNING]
        best = self.study.best_trial
        parts = [f"{len(done)} run{'s' if len(done) != 1 else ''}"]
        t = self.last
        if t is not None:
            value = (
                f"<b>{t.value:.6g}</b>"
                if t.state is TrialState.COMPLETE and t.value is not None
                else f"<span class='jhpo-failed'>{html.escape(t.state.value)}</span>"
            )
            parts.append(f"trial {t.number}: {value}")
        if best is not None:
            parts.append(f"best so far <b>{best.value:.6g}</b> (trial {best.number})")
        self.outcome.value = " &middot; ".join(parts)
        if self.plots is not None and done:
            self.plots.refresh(trials, everything=True)

    def show_trial(self, number: int) -> None:
        """Show one trial's details under the plots (clicking a point does this too)."""
        trial = next((t for t in self.study.trials if t.number == number), None)
        if trial is None:
            return
        try:
            from ..ui.i18n import gettext_for
            from ..ui.panel import trial_detail_html

            self.detail.value = trial_detail_html(trial, gettext_for(None).gettext)
        except Exception:  # noqa: BLE001 - details are a nicety
            self.detail.value = f"<pre>{html.escape(repr(trial))}</pre>"

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.box)

    def __repr__(self) -> str:
        return (
            f"ManualForm(study={self.study.name!r}, runs={len(self.study.trials)}, "
            f"best_value={self.study.best_value!r})"
        )


def _same(params: Mapping[str, Value], proposed: Mapping[str, Value]) -> bool:
    """Whether the form still holds the proposal (sliders may round a float in its last digits)."""
    for k, v in proposed.items():
        mine = params.get(k)
        if isinstance(v, float) and isinstance(mine, (int, float)) and not isinstance(mine, bool):
            if not math.isclose(mine, v, rel_tol=1e-8, abs_tol=1e-12):
                return False
        elif mine != v or type(mine) is not type(v):
            return False
    return True


def why_html(strategy: str, info: Mapping[str, Any]) -> str:
    """Why the strategy proposed this point: bayes explains itself; others say what they recorded."""
    why = info.get("why")
    if isinstance(why, dict):
        mode = str(why.get("mode", ""))
        # an outlined pill as the panel's state pill: readable in every theme
        colour = {
            "exploit": "var(--jp-success-color1, #2e7d32)",
            "explore": "var(--jp-warn-color1, #6a1b9a)",
            "initial": "var(--jp-brand-color1, #1565c0)",
        }.get(mode, "var(--jp-border-color1, #555)")
        numbers = []
        if why.get("ei") is not None:
            numbers.append(f"expected improvement {why['ei']:.3g}")
        if why.get("mean") is not None and why.get("std") is not None:
            numbers.append(f"model {why['mean']:.4g} ± {why['std']:.2g}")
        if why.get("best") is not None:
            numbers.append(f"best so far {why['best']:.4g}")
        extra = f"<div class='jhpo-muted'>{' &middot; '.join(numbers)}</div>" if numbers else ""
        return (
            f"<div><span class='jhpo-pill' style='--jhpo-state:{colour}'>"
            f"{html.escape(mode)}</span> {html.escape(str(why.get('text', '')))}{extra}</div>"
        )
    shown = {k: v for k, v in info.items() if k not in ("budget",)}
    detail = ", ".join(f"{k}={v}" for k, v in shown.items())
    return f"<div>{html.escape(strategy)} proposes this point{': ' + html.escape(detail) if detail else '.'}</div>"


def manual_cell(source: str, namespace: dict[str, Any], opts: TuneOptions, line_offset: int = 0) -> ManualForm:
    """What ``%%tune --manual`` does: open (or resume) the study and build the form; run nothing.

    The suggesting strategy is ``opts.strategy``; when it is not installed here
    (e.g. bayes without its dependencies) the form falls back to random and says so.
    """
    template = parse_tunable(source, line_offset)
    runner = CellRunner(template, namespace, opts.objective, opts.direction, checkpoint=opts.checkpoint)
    strategy, note = opts.strategy, ""
    try:
        make_strategy(strategy, template.space, seed=opts.seed, direction=opts.direction, **_strategy_options(opts))
    except (ValueError, ImportError) as exc:
        if strategy == "random":
            raise
        note = f"Suggest uses random: {exc}"
        strategy = "random"
    study = open_study(template, opts, strategy=strategy)
    return ManualForm(template, runner, study, apply=opts.apply, note=note)
