"""The Pareto page of a multi-objective study: built when opened, updated in place, growing live."""

from __future__ import annotations

import numpy as np

import jhpo

SPACE = {"x": jhpo.uniform(0, 1), "y": jhpo.uniform(0, 1)}


def _two(t):
    x, y = t.params["x"], t.params["y"]
    return x, x * x + y  # maximize the first, minimize the second: a trade-off along x


def _three(t):
    x, y = t.params["x"], t.params["y"]
    return x, y, (x - y) ** 2


def _open(plots, title):
    plots.tabs.selected_index = plots.tabs.titles.index(title)


def test_two_objectives_scatter_with_the_front_drawn_and_growing(fake_comm):
    from jhpo.pareto import pareto_front
    from jhpo.ui.panel import Panel

    study = jhpo.Study(SPACE, "random", direction=["maximize", "minimize"], seed=0, storage=":memory:")
    panel = Panel(min_interval=0.0)
    study.observers.append(panel)
    study.optimize(_two, n_trials=6)
    plots = panel.plots
    assert "Pareto front" in plots.tabs.titles
    _open(plots, "Pareto front")
    view = plots.view("pareto")
    assert sorted(view.points.numbers) == [t.number for t in study.trials]
    # the page grows live: later trials update the same marks (built once)
    line, mark = view.line, view.points.mark
    before = len(fake_comm)
    study.optimize(_two, n_trials=14)
    assert view.line is line and view.points.mark is mark and plots.view("pareto") is view
    assert len(fake_comm) > before and len(view.points.numbers) == 20
    front = pareto_front(study.trials, study.directions)
    # the line runs through the front's points, sorted by the first objective (best first)
    assert len(view.line.x) == len(front)
    assert sorted(np.asarray(view.line.x).tolist()) == sorted(t.values[0] for t in front)
    assert np.all(np.diff(np.asarray(view.line.x)) <= 0)  # maximized: largest first
    on = {t.number for t in front}
    green = {n for n, c in zip(view.points.numbers, mark.colors) if c == "#2ca02c"}
    assert green == on
    assert f"{len(front)} / 20 trials on the Pareto front" in view.note.value
    assert "Pareto front" in panel._best_text() and "Best" not in panel._best_text()


def test_an_update_is_one_message_per_mark(fake_comm):
    from jhpo.pareto import front_plot
    from jhpo.ui.panel import Panel

    study = jhpo.Study(SPACE, "random", direction=["maximize", "minimize"], seed=1, storage=":memory:")
    panel = Panel()
    study.observers.append(panel)
    study.optimize(_two, n_trials=10)
    _open(panel.plots, "Pareto front")
    view = panel.plots.view("pareto")
    start = len(fake_comm)
    view.update(front_plot(study.trials, study.directions, study.objective_names))
    # scatter, line and note: at most one message each (an unchanged note sends nothing)
    assert len(fake_comm) - start <= 3


def test_three_objectives_parallel_coordinates(fake_comm):
    from jhpo.pareto import pareto_front
    from jhpo.ui.panel import Panel

    study = jhpo.Study(SPACE, "sobol", direction=["maximize", "minimize", "minimize"], seed=0, storage=":memory:")
    panel = Panel()
    study.observers.append(panel)
    study.optimize(_three, n_trials=12)
    _open(panel.plots, "Pareto front")
    view = panel.plots.view("pareto")
    y = np.asarray(view.lines.y)
    assert y.shape == (12, 3) and y.min() >= 0 and y.max() <= 1
    front = {t.number for t in pareto_front(study.trials, study.directions)}
    assert sum(c == "#2ca02c" for c in view.lines.colors) == len(front)
    # the best value of each objective sits at the top of its axis
    best_x = max(t.values[0] for t in study.trials)
    row = view.numbers.index(next(t.number for t in study.trials if t.values[0] == best_x))
    assert y[row, 0] == 1.0


def test_a_single_objective_study_has_no_pareto_page(fake_comm):
    from jhpo.ui.panel import Panel

    study = jhpo.Study(SPACE, "random", seed=0, storage=":memory:")
    panel = Panel()
    study.observers.append(panel)
    study.optimize(lambda t: t.params["x"], n_trials=3)
    assert "Pareto front" not in panel.plots.tabs.titles


def test_the_saved_snapshot_names_the_front_not_a_best():
    from jhpo.ui.snapshot import snapshot_html

    study = jhpo.Study(SPACE, "random", direction=["maximize", "minimize"], seed=0, storage=":memory:")
    study.optimize(_two, n_trials=8)
    text = snapshot_html(study)
    assert f"Pareto front: <b>{len(study.best_trials)}</b> trials" in text and "Best" not in text
    assert "<polyline" not in text  # no best-so-far line of the first objective
    single = jhpo.Study(SPACE, "random", seed=0, storage=":memory:")
    single.optimize(lambda t: t.params["x"], n_trials=8)
    assert "<polyline" in snapshot_html(single)  # (one objective keeps its best line)


def test_the_history_page_of_several_objectives_names_the_first_and_draws_no_best(fake_comm):
    from jhpo.ui.panel import Panel

    study = jhpo.Study(SPACE, "random", direction=["maximize", "minimize"], seed=0, storage=":memory:")
    study.meta["objectives"] = ["accuracy", "fit_time"]
    panel = Panel(min_interval=0.0)
    study.observers.append(panel)
    study.optimize(_two, n_trials=6)
    view = panel.plots.view("history")
    assert view.figure.title.startswith("accuracy: ") and view.figure.axes[1].label == "accuracy"
    assert view.best_line not in view.figure.marks and len(view.best_line.x) == 0
    assert sorted(np.asarray(view.done.mark.y).tolist()) == sorted(t.values[0] for t in study.trials)
    # one objective keeps its best-so-far line and the plain title
    single = jhpo.Study(SPACE, "random", seed=0, storage=":memory:")
    panel = Panel(min_interval=0.0)
    single.observers.append(panel)
    single.optimize(lambda t: t.params["x"], n_trials=4)
    view = panel.plots.view("history")
    assert view.best_line in view.figure.marks and len(view.best_line.x) > 0
    assert not view.figure.title.startswith("accuracy")


def test_the_trials_table_and_details_show_every_objective_and_metric(fake_comm):
    from jhpo.ui.panel import Panel, trial_detail_html

    def cell(t):
        jhpo.log(size_mb=10 * t.params["y"])
        return _two(t)

    study = jhpo.Study(SPACE, "random", direction=["maximize", "minimize"], seed=0, storage=":memory:")
    study.meta["objectives"] = ["acc", "cost"]
    panel = Panel()
    study.observers.append(panel)
    study.optimize(cell, n_trials=5)
    _open(panel.plots, "Trials")
    table = panel.plots.view("table")
    head = table.head.value
    assert "acc" in head and "cost" in head and "size_mb" in head and " value " not in head
    assert {"acc", "cost", "size_mb"} <= set(table.sort.options)
    t = study.trials[3]
    row = table.rows.options[table.numbers.index(t.number)][0]
    assert f"{t.values[1]:.4g}" in row and f"{t.metrics['size_mb']:.4g}" in row
    detail = trial_detail_html(t, lambda s: s)
    assert "values" in detail and "size_mb" in detail
