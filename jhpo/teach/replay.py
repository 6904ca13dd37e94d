"""Replay a finished study (or race) trial by trial: a Play button and a slider step the plots.

For a study the plots are the panel's own (:class:`~jhpo.ui.plots.TrialPlots`),
redrawn from the first ``k`` trials; with a Bayesian study the surrogate tab
refits the model on those ``k`` trials and shows its mean, uncertainty and
acquisition, and the caption says why trial ``k`` was chosen next. For a race
the best-so-far curves grow trial by trial.
"""

from __future__ import annotations

import html
import sys
import types
from typing import Any

import ipywidgets as widgets

from ..direction import Direction
from ..study import Study, load_study
from ..trial import Trial, TrialState
from .race import RaceResult, load_race

__all__ = ["RaceReplay", "Replay", "replay"]


def _slider(n: int, interval: int) -> tuple[widgets.Play, widgets.IntSlider]:
    play = widgets.Play(value=n, min=1, max=max(n, 1), step=1, interval=interval, description="Play")
    slider = widgets.IntSlider(
        value=n,
        min=1,
        max=max(n, 1),
        step=1,
        description="trials",
        continuous_update=True,
        layout=widgets.Layout(width="420px"),
    )
    widgets.jslink((play, "value"), (slider, "value"))  # in the browser; Python-side tests set slider.value
    return play, slider


class Replay:
    """Step through a study's trials.

    Parameters
    ----------
    study : Study
    interval : int
        Milliseconds per step while playing.

    Attributes
    ----------
    slider : ipywidgets.IntSlider
        How many trials are shown; set ``slider.value`` to step (the Play button drives it).
    """

    def __init__(self, study: Study, interval: int = 800) -> None:
        from ..insights import Setup
        from ..ui.i18n import gettext_for
        from ..ui.plots import TrialPlots

        self.study = study
        self.trials: list[Trial] = [t for t in study.trials if t.state is not TrialState.RUNNING]
        if not self.trials:
            raise ValueError(f"study {study.name!r} has no finished trials to replay")
        n = len(self.trials)
        self.plots = TrialPlots(
            study.space, study.direction, gettext_for(None).gettext, self._noop, setup=Setup.of(study)
        )
        self.play, self.slider = _slider(n, interval)
        self.caption = widgets.HTML()
        self.slider.observe(lambda c: self.step(c["new"]), "value")
        head = widgets.HTML(
            f"<b>Replay</b> of study <code>{html.escape(study.name)}</code> "
            f"({html.escape(str(study.meta.get('strategy')))}, {n} trials)"
        )
        self.box = widgets.VBox(
            [head, widgets.HBox([self.play, self.slider]), self.caption, self.plots.tabs],
            layout=widgets.Layout(width="100%"),
        )
        self.box.add_class("jhpo-replay")
        self.shown = 0
        self.step(n)

    def _noop(self, number: int) -> None:
        pass

    def step(self, k: int) -> None:
        """Show the first ``k`` trials (and why trial ``k`` came next, when there is one)."""
        k = max(1, min(int(k), len(self.trials)))
        self.shown = k
        first = self.trials[:k]
        self.plots.refresh(first, everything=True)  # bayes: the surrogate refits on these k trials
        self.caption.value = caption_html(first, self.trials[k] if k < len(self.trials) else None, self.study.direction)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.box)


def caption_html(shown: list[Trial], upcoming: Trial | None, direction: str) -> str:
    """What the replay says at a step: the last trial shown, the best so far, why the next one came."""
    last = shown[-1]
    sign = Direction.parse(direction).sign
    done = [t for t in shown if t.state is TrialState.COMPLETE and t.value is not None]
    best = max(done, key=lambda t: sign * t.value) if done else None  # type: ignore[operator]
    value = f"{last.value:.6g}" if last.value is not None else last.state.value
    tag = " (manual)" if last.info.get("manual") else " (the cell's defaults)" if last.info.get("baseline") else ""
    parts = [f"trial {last.number}{tag}: <b>{html.escape(value)}</b>"]
    if best is not None:
        parts.append(f"best so far <b>{best.value:.6g}</b> (trial {best.number})")
    out = " &middot; ".join(parts)
    if upcoming is not None:
        why = upcoming.info.get("why")
        reason = why.get("text") if isinstance(why, dict) else None
        mode = str(why.get("mode") or "") if isinstance(why, dict) else ""
        # bayes' text already opens with its mode ("Explore: ..."); say the mode only when it does not
        mode = f"<b>{html.escape(mode)}</b>: " if mode and not (reason or "").lower().startswith(mode) else ""
        params = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v!r}" for k, v in upcoming.params.items())
        out += (
            f"<div style='color:#555'>next, trial {upcoming.number}: {html.escape(params)}"
            f"{'<br>' + mode + html.escape(reason) if reason else ''}</div>"
        )
    return out


class RaceReplay:
    """Step through a race: the best-so-far curves up to trial ``k`` of every strategy."""

    def __init__(self, result: RaceResult, interval: int = 400) -> None:
        from .race_view import RaceView

        self.result = result
        self.view = RaceView.for_result(result)
        self.view.stop_button.layout.display = "none"
        n = max(1, result.length)
        self.play, self.slider = _slider(n, interval)
        self.slider.observe(lambda c: self.step(c["new"]), "value")
        self.box = widgets.VBox([widgets.HBox([self.play, self.slider]), self.view.box])

    def step(self, k: int) -> None:
        self.view.upto = max(1, int(k))
        self.view.draw(force=True)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.box)


def replay(obj: Any, storage: str | None = None, interval: int | None = None) -> Replay | RaceReplay:
    """A replay of a study, a ``%%tune`` result, a race result, or a stored study's name.

    Parameters
    ----------
    obj : Study, TuneResult, RaceResult or str
        A string names a stored study, or else a stored race.
    storage : str, optional
        Where a study given by name is stored (default ``.jhpo/studies.db``).
    interval : int, optional
        Milliseconds per step while playing.

    Examples
    --------
    >>> r = jhpo.teach.replay(result)     # doctest: +SKIP
    >>> r.slider.value = 5                # the plots now show the first 5 trials
    """
    if isinstance(obj, RaceResult):
        return RaceReplay(obj, **({"interval": interval} if interval else {}))
    if isinstance(obj, str):
        try:
            obj = load_study(obj, storage)
        except KeyError as exc:
            try:  # not a study: perhaps a race's name
                race = load_race(obj, storage)
            except KeyError:
                raise exc from None
            return RaceReplay(race, **({"interval": interval} if interval else {}))
    study = getattr(obj, "study", obj)
    if not isinstance(study, Study):
        raise TypeError(f"replay() takes a study, a result, a race result or a study name, not {type(obj).__name__}")
    return Replay(study, **({"interval": interval} if interval else {}))


class _CallableModule(types.ModuleType):
    # Importing this submodule binds the name ``jhpo.teach.replay`` to the module, hiding the
    # package's ``replay()`` function; making the module callable keeps ``jhpo.teach.replay(x)`` working.
    def __call__(self, obj: Any, storage: str | None = None, interval: int | None = None) -> Replay | RaceReplay:
        return replay(obj, storage=storage, interval=interval)


sys.modules[__name__].__class__ = _CallableModule
