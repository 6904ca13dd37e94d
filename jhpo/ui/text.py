"""Progress as one line of text (tqdm), for terminals and plain IPython."""

from __future__ import annotations

import sys
from typing import Any

from ..failures import describe_failures
from ..study import Study, StudyObserver
from ..trial import Trial, TrialState


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
