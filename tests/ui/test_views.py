"""The tab container and its views: pages follow the strategy's declaration and never call into it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import bqplot as bq

import jhpo
from jhpo.insights import Setup
from jhpo.trial import Trial

SPACE = {"x": jhpo.uniform(-2, 2), "k": jhpo.choice("a", "b")}


def _bowl(t: jhpo.Trial) -> float:
    return -((t.params["x"] - 1) ** 2)


def test_surrogate_page_never_calls_the_live_strategy(fake_comm) -> None:  # type: ignore[no-untyped-def]
    from jhpo.ui.panel import Panel

    study = jhpo.Study(SPACE, strategy="bayes", seed=0, storage=":memory:")
    panel = Panel()
    study.observers.append(panel)
    study.optimize(_bowl, n_trials=12)

    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("the panel called the live strategy")

    for method in ("slice", "suggest", "explain"):
        setattr(study.strategy, method, refuse)
    plots = panel.plots
    plots.tabs.selected_index = plots.tabs.titles.index("Surrogate")
    view = plots.view("surrogate")
    assert "not available" not in view.note.value and len(view.mean.x) > 10 and len(view.observed.x) == 12
    assert "the model expects the worst value seen" in view.note.value  # bayes's default prior mean
    # the acquisition's axis: from 0 to its highest value, a handful of round ticks
    ticks = list(view.acq_axis.tick_values)
    assert ticks[0] == 0 and 3 <= len(ticks) <= 8 and view.acq_axis.scale.min == 0
    assert ticks[-1] <= view.acq_axis.scale.max == max(view.acquisition.y)


def test_surrogate_page_says_what_the_model_expects_far_from_the_trials(fake_comm) -> None:  # type: ignore[no-untyped-def]
    from jhpo.ui.panel import Panel

    notes = {}
    for prior_mean in ("worst", "mean"):
        study = jhpo.Study(
            SPACE, strategy="bayes", seed=0, storage=":memory:", strategy_options={"prior_mean": prior_mean}
        )
        panel = Panel()
        study.observers.append(panel)
        study.optimize(_bowl, n_trials=8)
        panel.plots.tabs.selected_index = panel.plots.tabs.titles.index("Surrogate")
        view = panel.plots.view("surrogate")
        notes[prior_mean] = view.note.value
        # the caption's claim, checked on the curve: far from the dots the mean sits near the
        # worst value seen (worst) or near the trials' average (mean)
        values = [t.value for t in study.trials if t.value is not None]
        edge = float(view.mean.y[0]) if min(view.observed.x) > -1.5 else float(view.mean.y[-1])
        target = min(values) if prior_mean == "worst" else sum(values) / len(values)
        assert abs(edge - target) < abs(edge - (max(values) if prior_mean == "worst" else min(values)))
    assert "worst value seen" in notes["worst"] and "worst value seen" not in notes["mean"]
    assert "other parameters held at the best trial" in notes["mean"]


def test_strategy_pages_follow_the_declaration_not_the_info_keys(fake_comm) -> None:  # type: ignore[no-untyped-def]
    from jhpo.ui.panel import Panel

    study = jhpo.Study(SPACE, strategy="random", seed=0, storage=":memory:")
    panel = Panel()
    study.observers.append(panel)
    panel.on_search_start(study, 4)
    for i in range(4):  # keys a genetic search records, on a random search: no Generations page
        trial = study.ask()
        trial.info.update({"generation": i // 2, "bracket": 0, "rung": i})
        study.tell(trial, float(i))
    panel.on_search_end(study, "done")
    assert not {"Generations", "Hyperband", "Surrogate", "Population"} & set(panel.plots.tabs.titles)


class _Count:
    """A view written outside jhpo: the number of trials, as one bar."""

    key = "count"
    grid = False
    fragile = False

    def __init__(self, plots: Any) -> None:
        self.plots = plots
        self.bars = bq.Bars(x=["trials"], y=[0.0], scales={"x": bq.OrdinalScale(), "y": bq.LinearScale()})
        self.note = None
        self.widgets = [bq.Figure(marks=[self.bars])]

    @staticmethod
    def label(_: Callable[[str], str]) -> str:
        return "Count"

    @classmethod
    def present(cls, setup: Setup, trials: Sequence[Trial]) -> bool:
        return len(trials) >= 3

    def record(self, trials: Sequence[Trial]) -> int:
        return len(trials)

    def update(self, n: int) -> None:
        self.bars.y = [float(n)]

    def highlight(self, selection: set[int]) -> None:
        pass

    def refresh(self, trials: Sequence[Trial]) -> None:
        self.update(self.record(trials))


def test_a_view_plugs_in_with_one_line(fake_comm) -> None:  # type: ignore[no-untyped-def]
    from jhpo.ui.plots import TrialPlots
    from jhpo.ui.views import VIEWS

    study = jhpo.Study(SPACE, strategy="random", seed=0, storage=":memory:")
    study.optimize(_bowl, n_trials=5)
    plots = TrialPlots(study.space, study.direction, str, lambda n: None, setup=Setup.of(study), views=[*VIEWS, _Count])
    plots.refresh(study.trials[:2])
    assert "Count" not in plots.tabs.titles  # not there before its data
    plots.refresh(study.trials, everything=True)
    assert plots.tabs.titles[-1] == "Count" and list(plots.view("count").bars.y) == [5.0]
