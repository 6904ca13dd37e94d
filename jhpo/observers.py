"""What watches a search: the observer interface, and the text progress bar every front end falls back to.

Core code (no IPython or widgets): the search loop calls these events; the
panel in :mod:`jhpo.ui.panel` implements them, and :class:`TextProgress`
(tqdm, text) is what ``Study.optimize(show_progress=True)`` and a terminal show.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from .failures import describe_failures
from .trial import Trial, TrialState

if TYPE_CHECKING:
    from .study import Study

__all__ = ["StudyObserver", "TextProgress"]


class StudyObserver:
    """Receives a study's events; the UI implements these. All are optional no-ops.

    Observers run on the thread that drives the search, between trials; they
    must be quick (the panel batches and throttles its updates).
    """

    def on_search_start(self, study: Study, n_trials: int | None) -> None: ...
    def on_trial_start(self, study: Study, trial: Trial) -> None: ...
    def on_report(self, study: Study, trial: Trial, step: int, value: float) -> None: ...
    def on_trial_end(self, study: Study, trial: Trial) -> None: ...
    def on_search_end(self, study: Study, reason: str) -> None: ...
    def on_status(self, study: Study, text: str | None) -> None:
        """What the search is doing while no trial runs (e.g. starting worker processes); None when done."""

    def on_paused(self, study: Study) -> None:
        """Called again and again while the search is paused: a front end looks for its Resume click here."""


class TextProgress(StudyObserver):
    """A tqdm bar whose postfix shows the best value and the failed/pruned counts."""

    def __init__(self, file: Any = None) -> None:
        self.file = file
        self.bar: Any = None
        self.counts = {"failed": 0, "pruned": 0}

    def on_search_start(self, study: Study, n_trials: int | None) -> None:
        from tqdm.auto import tqdm as _tqdm
        from tqdm.std import tqdm

        del _tqdm  # tqdm.std: text even inside a notebook, the widget front end is ours
        self.bar = tqdm(
            total=n_trials, desc=f"{study.name}", unit="trial", file=self.file, dynamic_ncols=True, leave=True
        )

    def on_trial_end(self, study: Study, trial: Trial) -> None:
        if self.bar is None:
            return
        if trial.state is TrialState.FAILED:
            self.counts["failed"] += 1
        elif trial.state is TrialState.PRUNED:
            self.counts["pruned"] += 1
        post: dict[str, object] = {"best": f"{study.best_value:.5g}" if study.best_value is not None else "-"}
        post.update({k: v for k, v in self.counts.items() if v})
        self.bar.set_postfix(post, refresh=False)
        self.bar.update(1)

    def on_search_end(self, study: Study, reason: str) -> None:
        if self.bar is not None:
            if reason not in ("done", "exhausted"):
                self.bar.set_description(f"{study.name} ({reason})")
            self.bar.close()
            self.bar = None
            failures = describe_failures(study.trials)
            if failures:
                print(failures, file=self.file or sys.stderr)
