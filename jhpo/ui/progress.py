"""A small ipywidgets progress display: done/total and the best value so far."""

from __future__ import annotations

import time
from typing import Any

import ipywidgets as widgets
from IPython.display import display

from ..study import Study, StudyObserver
from ..trial import Trial, TrialState

_COLOURS = {
    "running": "info",
    "done": "success",
    "exhausted": "success",
    "stopped": "warning",
    "timeout": "success",
    "interrupted": "warning",
    "aborted": "danger",
}


class WidgetProgress(StudyObserver):
    """Progress bar + label; updates are throttled so fast trials do not flood the front end."""

    def __init__(self, min_interval: float = 0.2) -> None:
        self.min_interval = min_interval
        self.bar = widgets.IntProgress(value=0, min=0, max=1, bar_style="info", layout=widgets.Layout(width="40%"))
        self.label = widgets.HTML()
        self.box = widgets.HBox([self.bar, self.label])
        self._last = 0.0
        self._done = 0
        self._failed = 0
        self._pruned = 0
        self._total: int | None = None
        self._shown = False

    def on_search_start(self, study: Study, n_trials: int | None) -> None:
        self._total = n_trials
        if not self._shown:
            display(self.box)
            self._shown = True
        self._update(study, force=True)

    def on_trial_end(self, study: Study, trial: Trial) -> None:
        self._done += 1
        self._failed += trial.state is TrialState.FAILED
        self._pruned += trial.state is TrialState.PRUNED
        self._update(study)

    def on_search_end(self, study: Study, reason: str) -> None:
        self._update(study, force=True, reason=reason)

    def _text(self, study: Study, reason: str | None) -> str:
        total = self._total if self._total is not None else "?"
        best = study.best_value
        parts = [f"{self._done}/{total} trials"]
        if self._failed:
            parts.append(f"{self._failed} failed")
        if self._pruned:
            parts.append(f"{self._pruned} pruned")
        parts.append(f"best {best:.5g}" if best is not None else "best -")
        if reason and reason != "done":
            parts.append(reason)
        return " &middot; ".join(parts)

    def _update(self, study: Study, force: bool = False, reason: str | None = None) -> None:
        now = time.monotonic()
        if not force and now - self._last < self.min_interval:
            return
        self._last = now
        with self.bar.hold_sync():
            self.bar.max = max(1, self._total or self._done)
            self.bar.value = self._done
            self.bar.bar_style = _COLOURS.get(reason or "running", "info")
        self.label.value = self._text(study, reason)

    def _ipython_display_(self) -> Any:  # pragma: no cover - convenience
        display(self.box)
