"""The widget panel with a fake comm: bounded messages per update, throttling, Stop, results display."""

from __future__ import annotations

import time

import numpy as np
import pytest

import jhpo
from jhpo.trial import TrialState

SPACE = {"x": jhpo.uniform(-2, 2), "lr": jhpo.loguniform(1e-4, 1), "k": jhpo.choice("a", "b", "c")}


def _objective(trial):
    for step in range(3):
        jhpo.report(trial.params["x"] * step, step)
    if trial.number % 9 == 4:
        raise ValueError("a failing trial")
    return -((trial.params["x"] - 1) ** 2)


def _study(**kw):
    return jhpo.Study(SPACE, strategy="random", seed=0, storage=":memory:", **kw)


def _open_every_page(plots):
    for i in range(len(plots.tabs.children)):
        plots.tabs.selected_index = i  # what a click on the tab does; pages are built and updated when opened
    plots.tabs.selected_index = 0


def _run(panel, n):
    study = _study()
    study.observers.append(panel)
    study.optimize(_objective, n_trials=n)
    return study


def test_messages_per_update_are_bounded(fake_comm):
    from jhpo.ui.panel import Panel

    per_update = []
    for n in (20, 120):
        panel = Panel(min_interval=0.0)  # draw on every event: the worst case
        draws = 0
        original = panel._draw

        def counting(*a, _orig=original, **k):
            nonlocal draws
            before = len(fake_comm)
            _orig(*a, **k)
            draws += len(fake_comm) > before

        panel._draw = counting
        start = len(fake_comm)
        _run(panel, n)
        per_update.append((len(fake_comm) - start) / max(draws, 1))
    # one message per changed widget or mark: a dozen at most, however many trials there are
    assert max(per_update) <= 12, per_update
    assert per_update[1] <= per_update[0] + 2, per_update


def test_updates_are_throttled(fake_comm):
    from jhpo.ui.panel import Panel

    panel = Panel(min_interval=0.25)
    start = len(fake_comm)
    t0 = time.perf_counter()
    _run(panel, 500)
    elapsed = time.perf_counter() - t0
    sent = len(fake_comm) - start
    # a few updates per second whatever the trial rate: 500 trials do not mean 500 updates
    assert sent <= 12 * (elapsed / 0.25 + 3) + 40, (sent, elapsed)
    assert sent < 500


def test_pages_are_built_when_opened_and_show_every_trial(fake_comm):
    from jhpo.ui.panel import Panel

    panel = Panel()
    study = _run(panel, 30)
    plots = panel.plots
    assert plots.view("params") is None and plots.view("curves") is None  # never opened: never built
    _open_every_page(plots)
    done = [t for t in study.trials if t.state is TrialState.COMPLETE]
    assert sorted(plots.h_done.numbers) == [t.number for t in done]
    assert len(plots.history.failed.numbers) == sum(t.state is TrialState.FAILED for t in study.trials)
    assert len(plots.view("params").points["lr"].numbers) == len(done)
    assert len(plots.view("curves").numbers) == 30 and len(plots.view("parallel").numbers) == len(done)
    assert "done" in panel.pill.value and panel.bar.value == 30 and panel.bar.bar_style == "success"
    assert f"{study.best_value:.4g}" in panel.best_html.value
    failed = [t.number for t in study.trials if t.state is TrialState.FAILED]
    # the failures grouped by error, as the summary and `jhpo show` write them
    assert (
        f"{len(failed)} failed: ValueError: a failing trial (trials {', '.join(map(str, failed))})" in panel.pill.value
    )


def test_click_shows_the_trial_and_brush_highlights_everywhere(fake_comm):
    from jhpo.ui.panel import Panel

    panel = Panel()
    study = _run(panel, 20)
    failed = next(t for t in study.trials if t.state is TrialState.FAILED)
    points = panel.plots.history.failed
    points._click(points.mark, {"event": "element_click", "data": {"index": points.numbers.index(failed.number)}})
    assert f"Trial {failed.number}" in panel.detail.value and "a failing trial" in panel.detail.value
    _open_every_page(panel.plots)
    chosen = set(panel.plots.h_done.numbers[:3])
    panel.plots.highlight(chosen)
    lr = panel.plots.view("params").points["lr"]
    assert {lr.numbers[i] for i in lr.mark.selected} == chosen


def test_stop_button_ends_the_search_between_trials(fake_comm):
    from jhpo.ui.panel import Panel

    class ClickStopAfter(Panel):
        def on_trial_end(self, study, trial):
            super().on_trial_end(study, trial)
            if trial.number == 4:
                self.stop_button.click()  # as the front end would, through the button's handler

    panel = ClickStopAfter()
    study = _run(panel, 50)
    assert len(study.trials) == 5 and study.stop_reason == "stopped"
    assert all(t.state is not TrialState.RUNNING for t in study.trials)
    assert "stopped" in panel.pill.value and panel.bar.bar_style == "warning"


def test_pause_without_a_kernel_does_not_hang(fake_comm):
    from jhpo.ui.panel import Panel

    class PauseAt(Panel):
        def on_trial_end(self, study, trial):
            if trial.number == 2:
                self.pause_button.click()
            super().on_trial_end(study, trial)

    study = _run(PauseAt(), 6)  # no kernel to deliver Resume: pausing is refused rather than hanging
    assert len(study.trials) == 6


def test_strategy_views_appear_with_their_data(fake_comm):
    from jhpo.ui.panel import Panel

    panel = Panel()
    # the page is the one the strategy declares (Strategy.view), drawn from what the trials recorded
    study = jhpo.Study(SPACE, strategy="genetic", seed=0, storage=":memory:")
    study.observers.append(panel)
    panel.on_search_start(study, 4)
    for i in range(4):
        trial = study.ask()
        trial.info.update({"generation": i // 2, "parents": [i - 2] if i >= 2 else []})
        study.tell(trial, float(i))
    panel.on_search_end(study, "done")
    assert "Generations" in panel.plots.tabs.titles
    _open_every_page(panel.plots)
    assert sorted(panel.plots.view("generations").scatter.numbers) == [0, 1, 2, 3]


def test_stored_study_panel_and_snapshot(fake_comm, tmp_path):
    from jhpo.ui.panel import Panel
    from jhpo.ui.snapshot import snapshot_html

    study = jhpo.Study(SPACE, strategy="random", seed=0, storage=str(tmp_path / "s.db"), name="stored")
    study.optimize(_objective, n_trials=12)
    again = jhpo.load_study("stored", str(tmp_path / "s.db"))
    panel = Panel.for_study(again)
    assert panel.bar.value == 12 and panel.pause_button.layout.display == "none"
    html = snapshot_html(again)
    assert "<svg" in html and "stored" in html and f"{again.best_value:.4g}" in html


def test_snapshot_of_10000_trials_is_small():
    from jhpo.trial import Trial
    from jhpo.ui.snapshot import snapshot_html

    study = _study()
    for i in range(10_000):
        t = Trial(number=i, params={"x": 0.1, "lr": 0.01, "k": "a"}, state=TrialState.COMPLETE, value=float(i % 101))
        study._trials.append(t)
    html = snapshot_html(study)
    assert len(html) < 100_000


@pytest.mark.parametrize("lang,stop", [("de", "Stopp"), ("it", "Ferma"), ("es", "Detener"), ("en", "Stop")])
def test_panel_labels_follow_the_language(fake_comm, lang, stop):
    from jhpo.ui.panel import Panel

    panel = Panel(language=lang)
    assert panel.stop_button.description == stop


def test_brush_selection_highlights_in_every_plot(fake_comm):
    from jhpo.ui.panel import Panel

    panel = Panel()
    _run(panel, 25)
    plots = panel.plots
    _open_every_page(plots)
    plots.history.brush_toggle.value = True
    plots.h_done.mark.selected = [0, 1, 2]  # what the front end's brush writes back
    chosen = {plots.h_done.numbers[i] for i in (0, 1, 2)}
    assert plots.selection == chosen
    x = plots.view("params").points["x"]
    assert {x.numbers[i] for i in x.mark.selected} == chosen
    assert {plots.view("parallel").numbers[i] for i in plots.view("parallel").lines.selected} == chosen
    plots.history.brush_toggle.value = False  # leaving brush mode clears the selection everywhere
    assert plots.selection == set() and x.mark.selected is None


@pytest.mark.parametrize(
    "strategy,title", [("bayes", "Surrogate"), ("hyperband", "Hyperband"), ("genetic", "Generations")]
)
def test_views_of_the_real_strategies(fake_comm, strategy, title):
    from jhpo.strategies import make_strategy
    from jhpo.ui.panel import Panel

    space = dict(SPACE)
    if strategy == "hyperband":
        space["epochs"] = jhpo.resource(1, 27)
    try:
        make_strategy(strategy, jhpo.Space(space))
    except Exception as exc:  # noqa: BLE001 - written concurrently; the panel must not need it
        pytest.skip(f"strategy {strategy} not available: {exc}")
    study = jhpo.Study(space, strategy=strategy, seed=0, storage=":memory:")
    panel = Panel()
    study.observers.append(panel)
    study.optimize(lambda t: -((t.params["x"] - 1) ** 2), n_trials=30)
    plots = panel.plots
    assert title in plots.tabs.titles
    plots.tabs.selected_index = plots.tabs.titles.index(title)
    view = plots.view({"bayes": "surrogate", "hyperband": "brackets", "genetic": "generations"}[strategy])
    assert "not available" not in view.note.value
    if strategy == "bayes":
        assert len(view.mean.x) > 10 and len(view.next_point.x) == 1
    else:
        assert len(view.scatter.numbers) >= 10


def test_running_trials_show_their_workers(fake_comm):
    from jhpo.ui.panel import Panel

    panel = Panel()
    study = _study()
    study.observers.append(panel)
    panel.on_search_start(study, 4)
    a, b = study.ask_batch(2, notify=False)
    a.info["worker"], b.info["worker"] = "worker-1 (pid 11)", "worker-2 (pid 12)"
    for t in (a, b):
        panel.on_trial_start(study, t)
    text = panel._current_text()
    assert f"{a.number}" in text and "worker-1 (pid 11)" in text and "worker-2 (pid 12)" in text
    study.tell(a, 1.0)
    panel.on_trial_end(study, a)
    text = panel._current_text()
    assert "worker-1" not in text and "worker-2 (pid 12)" in text


def _bowl(trial):
    return -((trial.params["x"] - 1) ** 2)


def test_resumed_study_panel_agrees_with_result_dataframe_and_snapshot(fake_comm, tmp_path):
    from jhpo.result import TuneResult
    from jhpo.ui.panel import Panel
    from jhpo.ui.snapshot import snapshot_html

    db = str(tmp_path / "s.db")
    first = jhpo.Study(SPACE, strategy="random", seed=0, storage=db, name="again")
    first.optimize(_bowl, n_trials=10)
    earlier_best = first.best_trial
    resumed = jhpo.load_study("again", db)
    panel = Panel()
    resumed.observers.append(panel)
    panel.on_search_start(resumed, 5)  # right after the resume, before any new trial
    assert panel.n_done == 0 and panel.n_study == 10
    assert panel.best.number == earlier_best.number and f"{earlier_best.value:.4g}" in panel.best_html.value
    panel.on_search_end(resumed, "done")
    resumed.observers.remove(panel)
    panel = Panel()
    resumed.observers.append(panel)
    # new trials are all worse: the best stays the earlier one, everywhere
    resumed.optimize(lambda t: _bowl(t) - 100, n_trials=5)
    result = TuneResult(resumed)
    df = result.to_dataframe()
    best_row = df.loc[df["value"].idxmax()]
    assert panel.n_done == 5 and panel.n_study == 15 == len(df)
    assert panel.best.number == result.best_trial.number == int(best_row["number"]) == earlier_best.number
    assert (
        f"{result.best_value:.4g}" in panel.best_html.value and f"trial {earlier_best.number}" in panel.best_html.value
    )
    assert "<b>5</b>/5" in panel.pill.value and "<b>15</b> in the study" in panel.pill.value
    assert f"{result.best_value:.4g}" in snapshot_html(resumed)
    assert max(panel.plots.h_done.numbers) == 14 and len(panel.plots.h_done.numbers) == 15


def test_trials_of_other_writers_count_in_the_study_not_in_the_run(fake_comm, tmp_path):
    from jhpo.trial import Trial
    from jhpo.ui.panel import Panel

    study = jhpo.Study(SPACE, strategy="random", seed=0, storage=str(tmp_path / "s.db"), name="shared")
    panel = Panel()
    study.observers.append(panel)
    panel.on_search_start(study, 3)
    for i in range(3):
        mine = study.ask()
        panel.on_trial_start(study, mine)
        # another kernel's trial, better than ours, reported though this panel never saw it start
        # (and perhaps before the study lists it)
        theirs = Trial(number=100 + i, params=dict(mine.params), state=TrialState.COMPLETE, value=50.0 + i)
        panel.on_trial_end(study, theirs)
        study.tell(mine, float(i))
    panel.on_search_end(study, "done")
    assert panel.n_done == 3 and panel.n_running == 0 and panel.n_study == 6
    assert panel.best.value == 52.0 and "52" in panel.best_html.value
    assert sorted(panel.plots.h_done.numbers) == sorted(t.number for t in panel.all_trials())


def test_trials_table_sorts_filters_and_opens_a_trial(fake_comm):
    from jhpo.ui.panel import Panel

    panel = Panel()
    study = _run(panel, 20)
    plots = panel.plots
    plots.tabs.selected_index = plots.tabs.titles.index("Trials")
    assert plots.view("table").numbers == [t.number for t in study.trials]  # every trial, in order
    plots.view("table").sort.value, plots.view("table").desc.value = "value", True
    done = sorted((t for t in study.trials if t.value is not None), key=lambda t: -t.value)
    assert plots.view("table").numbers[: len(done)] == [t.number for t in done]
    plots.view("table").state.value = "failed"
    failed = [t.number for t in study.trials if t.state is TrialState.FAILED]
    assert sorted(plots.view("table").numbers) == failed and len(plots.view("table").rows.options) == len(failed)
    plots.view("table").rows.index = 0  # a click on the row
    assert f"Trial {plots.view('table').numbers[0]}" in panel.detail.value and "a failing trial" in panel.detail.value
    # kept in sync: a new trial shows up while the table is open
    study.observers.append(panel)
    study.optimize(_objective, n_trials=9)
    failed = [t.number for t in study.trials if t.state is TrialState.FAILED]
    assert sorted(plots.view("table").numbers) == failed and len(failed) >= 3


def test_importance_page_appears_with_enough_trials(fake_comm):
    from jhpo.importance import MIN_TRIALS
    from jhpo.ui.panel import Panel

    panel = Panel()
    _run(panel, MIN_TRIALS - 3)
    assert "Importance" not in panel.plots.tabs.titles  # no empty view
    panel = Panel()
    study = _run(panel, 30)
    plots = panel.plots
    plots.tabs.selected_index = plots.tabs.titles.index("Importance")
    assert list(plots.view("importance").bars.x)[0] == "x"  # the value depends on x alone
    assert (
        float(plots.view("importance").bars.y[0]) > 0.7 and abs(float(sum(plots.view("importance").bars.y)) - 1) < 1e-6
    )
    assert f"{sum(t.value is not None for t in study.trials)} complete trials" in plots.view("importance").note.value


def test_snapshot_shows_the_space_labelled_axes_and_importance(fake_comm):
    import sklearn.ensemble  # noqa: F401 - once imported, the chart costs a tenth of a second

    from jhpo.ui.snapshot import snapshot_html

    study = _study()
    study.optimize(_objective, n_trials=30)
    page = snapshot_html(study)
    assert "loguniform(0.0001, 1)" in page and ">value</text>" in page and ">trial</text>" in page
    assert "parameter importance" in page and page.count("<rect") == 3  # one bar per parameter
    assert "parameter importance" not in snapshot_html(study, final=False)


def test_value_axes_can_focus_on_the_best_trials(fake_comm):
    from jhpo.ui import plotdata as pd_
    from jhpo.ui.panel import Panel

    panel = Panel()
    study = _study()
    study.observers.append(panel)
    study.optimize(lambda t: -100.0 if t.number == 3 else -((t.params["x"] - 1) ** 2), n_trials=24)
    plots = panel.plots
    _open_every_page(plots)
    assert all(s.min is None and s.max is None for s in plots.value_scales)  # full range by default
    plots.focus.value = "best"
    lo, hi = pd_.focus_range(study.trials, "maximize")
    values = sorted((t.value for t in study.trials if t.value is not None), reverse=True)
    assert lo > -100 and hi >= values[0] and lo <= values[len(values) // 4 - 1]
    assert all((s.min, s.max) == (lo, hi) for s in plots.value_scales)
    plots.focus.value = "all"
    assert all(s.min is None for s in plots.value_scales)


def test_parallel_axis_brush_selects_trials_everywhere(fake_comm):
    from jhpo.ui.panel import Panel

    panel = Panel()
    study = _run(panel, 30)
    plots = panel.plots
    _open_every_page(plots)
    assert plots.view("parallel").names[-1] == "value"  # the objective is an axis
    plots.view("parallel").axis.value = "value"
    plots.view("parallel").span.value = (0.8, 1.0)  # the top fifth of the value axis: the best trials
    done = [t for t in study.trials if t.value is not None]
    lo, hi = min(t.value for t in done), max(t.value for t in done)
    expected = {t.number for t in done if (t.value - lo) / (hi - lo) >= 0.8 - 1e-9}
    assert plots.selection == expected and expected
    x = plots.view("params").points["x"]
    assert {x.numbers[i] for i in x.mark.selected} == expected
    plots.view("parallel").span.value = (0.0, 1.0)  # the whole axis: no selection
    assert plots.selection == set()


def _pbt_epochs(t):
    # a longer budget scores higher; the best learning rate is near 1e-2
    lr = jhpo.loguniform(1e-4, 1).to_unit(t.params["lr"])
    return float(t.params["epochs"]) * (1.0 - abs(lr - 0.5)) - 0.1 * (t.params["k"] != "b")


def test_population_page_of_a_pbt_search(fake_comm):
    from jhpo.budget import best_trial
    from jhpo.strategies.pbt import schedule
    from jhpo.ui.panel import Panel

    study = jhpo.Study(
        {**SPACE, "epochs": jhpo.resource(1, 12)},
        strategy="pbt",
        seed=0,
        storage=":memory:",
        strategy_options={"population": 4, "intervals": 3},
    )
    panel = Panel()
    study.observers.append(panel)
    study.optimize(_pbt_epochs, n_trials=12)
    plots = panel.plots
    assert "Population" in plots.tabs.titles and plots.view("population") is None  # a page, built when opened
    plots.tabs.selected_index = plots.tabs.titles.index("Population")
    view = plots.view("population")
    assert "not available" not in view.note.value and "4 members, 3 intervals" in view.note.value
    import bqplot as bq

    assert isinstance(view.lines["lr"].scales["y"], bq.LogScale)  # a log parameter on a log axis
    assert not isinstance(view.lines["x"].scales["y"], bq.LogScale)
    sched = schedule(study.trials)
    for name in ("x", "lr", "k"):
        line = view.lines[name]
        assert line.x.shape == line.y.shape == (4, 3) and not np.isnan(line.y).any()  # a point per member, interval
        assert (line.x == [4.0, 8.0, 12.0]).all()
        if name != "k":
            assert line.y.tolist() == [[row[name] for row in sched[m]] for m in range(4)]
    assert sorted(view.points.numbers) == [t.number for t in study.trials]  # the lineage: every trial
    assert list(view.points.mark.x) == [t.info["interval"] for t in study.trials]
    exploits = sum(t.info["exploited"] is not None for t in study.trials)
    assert list(view.links.colors).count("#ff7f0e") == exploits > 0  # copies in orange
    # the history's best-so-far follows the equal-budget rule, as the panel's "Best" does
    assert plots.best_line.y[-1] == best_trial(study.trials, "maximize").value == study.best_value
    # a search without PBT has no Population page
    other = Panel()
    _run(other, 5)
    assert "Population" not in other.plots.tabs.titles
