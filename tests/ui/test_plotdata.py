"""Pure plot data: computed from trials without any widget."""

from __future__ import annotations

import subprocess
import sys

import pytest

import jhpo
from jhpo.trial import Trial, TrialState
from jhpo.ui import plotdata as pd_


def _trial(n, value, state=TrialState.COMPLETE, params=None, info=None, intermediate=None, error=None):
    t = Trial(
        number=n,
        params=params or {"x": 0.5},
        state=state,
        value=value,
        info=info or {},
        intermediate=intermediate or {},
        error=error,
    )
    t.datetime_start, t.datetime_end = 100.0 + n, 101.5 + n
    return t


def test_plotdata_imports_no_widgets():
    code = "import sys, jhpo.ui.plotdata; print(any(m in sys.modules for m in ('ipywidgets', 'bqplot')))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


def test_best_so_far_both_directions():
    assert pd_.best_so_far([None, 3, 1, 5, 4], "maximize") == [None, 3, 3, 5, 5]
    assert pd_.best_so_far([2, 3, 1, None], "minimize") == [2, 2, 1, 1]


def test_history_marks_failed_and_pruned_and_steps_the_best_line():
    trials = [
        _trial(0, 1.0),
        _trial(1, 3.0),
        _trial(2, None, TrialState.FAILED, error="boom"),
        _trial(3, 2.0),
        _trial(4, None, TrialState.PRUNED, intermediate={0: 0.5, 1: 0.7}),
        _trial(5, 4.0),
        _trial(6, None, TrialState.RUNNING),
    ]
    d = pd_.history(trials, "maximize")
    assert d["x"] == [0, 1, 3, 5] and d["y"] == [1.0, 3.0, 2.0, 4.0]
    assert d["failed_x"] == [2] and d["failed_y"] == [1.0]  # at the worst value: the bottom of the plot
    assert d["pruned_x"] == [4] and d["pruned_y"] == [0.7]  # at its last report
    # a step line: flat until the next improvement, then up, and on to the last finished trial
    assert list(zip(d["best_x"], d["best_y"])) == [(0, 1.0), (1, 1.0), (1, 3.0), (5, 3.0), (5, 4.0), (5, 4.0)]
    d = pd_.history(trials, "minimize")
    assert d["best_y"][-1] == 1.0 and d["failed_y"] == [4.0]


def test_downsampling_keeps_best_and_recent_and_caps():
    trials = [_trial(i, float(i % 97)) for i in range(10_000)]
    trials[1234].value = 1e6
    d = pd_.history(trials, "maximize", cap=1000)
    assert len(d["x"]) <= 1000 + 20
    assert 1234 in d["numbers"] and 9999 in d["numbers"]
    assert d["best_y"][-1] == 1e6
    assert pd_.keep_indices(10, cap=100) == list(range(10))


def test_param_points_kinds():
    space = jhpo.Space({"lr": jhpo.loguniform(1e-4, 1), "k": jhpo.choice("a", None, 3), "n": jhpo.integer(1, 5)})
    trials = [
        _trial(i, float(i), params={"lr": 10.0**-i, "k": ["a", None, 3][i % 3], "n": i + 1}) for i in range(4)
    ] + [_trial(4, None, TrialState.FAILED, params={"lr": 0.1, "k": "a", "n": 1})]
    lr = pd_.param_points(trials, space, "lr", "maximize")
    assert lr["kind"] == "log" and lr["domain"] == [1e-4, 1] and lr["x"][1] == 0.1 and len(lr["x"]) == 4
    k = pd_.param_points(trials, space, "k", "maximize")
    assert k["kind"] == "choice" and k["domain"] == ["a", "None", "3"] and k["x"] == ["a", "None", "3", "a"]
    assert pd_.param_points(trials, space, "n", "maximize")["kind"] == "linear"


def test_parallel_unit_coordinates_and_ticks():
    space = jhpo.Space({"lr": jhpo.loguniform(1e-4, 1), "k": jhpo.choice("a", "b")})
    trials = [
        _trial(0, 1.0, params={"lr": 1e-4, "k": "a"}),
        _trial(1, 2.0, params={"lr": 1.0, "k": "b"}),
        _trial(2, None, TrialState.FAILED, params={"lr": 1.0, "k": "b"}),
    ]
    d = pd_.parallel(trials, space, "maximize")
    # the objective is an axis too, best at the top whichever the direction
    assert d["names"] == ["lr", "k", "value"] and d["color"] == [1.0, 2.0] and d["numbers"] == [0, 1]
    assert d["y"][0] == pytest.approx([0.0, 0.25, 0.0]) and d["y"][1] == pytest.approx([1.0, 0.75, 1.0])
    assert [lab for _, lab in d["ticks"]["k"]] == ["a", "b"]
    assert [lab for _, lab in d["ticks"]["lr"]] == ["10⁻⁴", "10⁻³", "10⁻²", "10⁻¹", "10⁰"]
    assert pd_.parallel(trials, space, "minimize")["y"][0][-1] == pytest.approx(1.0)


def test_learning_curves_with_pruning_reason():
    trials = [
        _trial(0, 0.9, intermediate={0: 0.5, 1: 0.9}),
        _trial(1, 0.2, TrialState.PRUNED, intermediate={0: 0.2}, error="below the median at step 0"),
        _trial(2, 0.5),
    ]
    d = pd_.learning_curves(trials)
    assert d["numbers"] == [0, 1] and d["x"] == [[0.0, 1.0], [0.0]] and d["y"][0] == [0.5, 0.9]
    assert d["state"] == ["complete", "pruned"] and d["reason"] == ["", "below the median at step 0"]


def test_strategy_views_only_with_their_data():
    plain = [_trial(0, 1.0)]
    assert pd_.hyperband(plain) is None and pd_.generations(plain) is None
    hb = [_trial(i, float(i), info={"bracket": i % 2, "rung": i // 2, "budget": 3.0 ** (i // 2)}) for i in range(4)]
    d = pd_.hyperband(hb)
    assert d["bracket"] == [0, 1, 0, 1] and d["rung"] == [0, 0, 1, 1] and d["budget"] == [1.0, 1.0, 3.0, 3.0]
    ga = [
        _trial(0, 1.0, info={"generation": 0}),
        _trial(1, 2.0, info={"generation": 0}),
        _trial(2, 3.0, info={"generation": 1, "parents": [0, 1]}),
    ]
    d = pd_.generations(ga)
    assert d["generation"] == [0, 0, 1] and d["links_x"] == [[0.0, 1.0], [0.0, 1.0]]
    assert d["links_y"] == [[1.0, 3.0], [2.0, 3.0]]


def test_detail_eta_and_formats():
    t = _trial(3, 0.5, params={"x": 0.123456}, info={"why": {"text": "high expected improvement"}})
    t.stdout = "x" * 10_000
    d = pd_.trial_detail(t, limit=100)
    assert d["params"] == {"x": "0.1235"} and d["duration"] == "1.5 s" and d["why"] == "high expected improvement"
    assert d["stdout"].startswith("...") and len(d["stdout"]) < 200
    assert pd_.eta_seconds(5, 10, 50.0) == 50.0 and pd_.eta_seconds(0, 10, 1.0) is None
    assert pd_.fmt_duration(3725) == "1:02:05" and pd_.fmt_duration(None) == "-"
    # trials shorter than a second stay readable instead of all showing 00:00
    assert (
        pd_.fmt_duration(0.042) == "42 ms"
        and pd_.fmt_duration(5e-5) == "< 1 ms"
        and pd_.fmt_duration(12.34) == "12.3 s"
    )
    assert pd_.fmt_duration(75) == "01:15"


def test_integer_ticks_are_whole_numbers_that_do_not_crowd():
    from jhpo.ui.ticks import axis_ticks

    t = axis_ticks(jhpo.integer(2, 10))
    assert t["values"] == [2, 4, 6, 8, 10] and t["labels"] == ["2", "4", "6", "8", "10"]
    t = axis_ticks(jhpo.integer(1, 500))
    assert all(float(v).is_integer() for v in t["values"]) and len(t["values"]) <= 6
    assert all("." not in lab for lab in t["labels"])


def test_log_ticks_are_decades_in_the_parameters_units():
    from jhpo.ui.ticks import axis_ticks, js_number

    t = axis_ticks(jhpo.loguniform(1e-3, 1))
    assert t["scale"] == "log" and t["values"] == [1e-3, 1e-2, 1e-1, 1.0]
    assert t["labels"] == ["10⁻³", "10⁻²", "10⁻¹", "10⁰"]
    wide = axis_ticks(jhpo.loguniform(1e-8, 1e4))  # thinned, never more than 7 labels
    assert len(wide["values"]) <= 7 and all(lab.startswith("10") for lab in wide["labels"])
    # a short log range: 1-2-5 steps in plain numbers; integers stay integers
    assert axis_ticks(jhpo.loguniform(0.01, 0.5))["labels"] == ["0.01", "0.02", "0.05", "0.1", "0.2", "0.5"]
    assert axis_ticks(jhpo.integer(4, 64, log=True))["labels"] == ["5", "10", "20", "50"]
    # bqplot finds a label by the JavaScript string of its tick value
    assert [js_number(v) for v in (1e-7, 1e-5, 0.001, 100.0, 2.5)] == ["1e-7", "0.00001", "0.001", "100", "2.5"]


def test_linear_ticks_keep_the_decimals_their_step_needs():
    from jhpo.ui.ticks import linear_ticks, tick_labels

    values = linear_ticks(-9.5, 0.95)
    assert tick_labels(values, "linear", False) == ["-7.5", "-5.0", "-2.5", "0.0"]
    assert tick_labels(linear_ticks(0, 1), "linear", False) == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]


def test_categorical_ticks_are_the_names():
    from jhpo.ui.ticks import axis_ticks

    t = axis_ticks(jhpo.choice("rbf", "poly", None, True))
    assert t["scale"] == "ordinal" and t["labels"] == ["rbf", "poly", "None", "True"] == t["domain"]


# -- population-based training (issue 16) ------------------------------------------------------

PBT_SPACE = {
    "lr": jhpo.loguniform(1e-3, 1.0),
    "act": jhpo.choice("relu", "tanh", "gelu"),
    "epochs": jhpo.resource(1, 12),
}


def _pbt_objective(t):
    # best lr falls with training time; the choice matters a little; a longer budget scores higher
    epochs = int(t.params["epochs"])
    lr = float(t.params["lr"])
    return epochs - abs(jhpo.loguniform(1e-3, 1.0).to_unit(lr) - 0.5) * epochs - 0.1 * (t.params["act"] != "tanh")


def _pbt_study(n=12):
    study = jhpo.Study(
        PBT_SPACE, strategy="pbt", storage=":memory:", seed=1, strategy_options={"population": 4, "intervals": 3}
    )
    study.optimize(_pbt_objective, n_trials=n)
    return study


def test_population_of_a_real_pbt_study_matches_its_schedule_and_lineage():
    from jhpo.strategies.pbt import lineage, schedule

    study = _pbt_study()
    trials = study.trials
    d = pd_.population(trials, study.space)
    assert d is not None and d.members == [0, 1, 2, 3] and d.budgets == [4.0, 8.0, 12.0]
    assert d.budget_ticks["domain"] == [0.0, 12.0]
    by_number = {t.number: t for t in trials}
    sched = schedule(trials)  # the strategy module's own rebuild from the same records
    lr, act = d.schedules
    assert (lr.name, lr.kind, act.name, act.kind) == ("lr", "log", "act", "choice")
    assert lr.ticks["labels"] == ["10⁻³", "10⁻²", "10⁻¹", "10⁰"]  # the log parameter's decade ticks
    assert act.ticks["labels"] == ["relu", "tanh", "gelu"] and act.ticks["values"] == [0, 1, 2]
    for i, m in enumerate(d.members):
        assert lr.numbers[i] == act.numbers[i] == [row["trial"] for row in sched[m]]
        assert lr.x[i] == [4.0, 8.0, 12.0]  # one point per interval
        assert lr.y[i] == [by_number[n].params["lr"] for n in lr.numbers[i]]
        assert [["relu", "tanh", "gelu"][int(v)] for v in act.y[i]] == [
            by_number[n].params["act"] for n in act.numbers[i]
        ]
    rows = lineage(trials)
    assert d.numbers == [r["trial"] for r in rows] and d.member == [r["member"] for r in rows]
    with_parent = [r for r in rows if r["parent"] is not None]
    assert len(d.links_x) == len(with_parent) == 8  # every trial after the first interval has a parent
    for (x0, x1), (y0, y1), exploit, r in zip(d.links_x, d.links_y, d.link_exploit, with_parent):
        parent = by_number[r["parent"]]
        assert (x0, x1, y0, y1) == (parent.info["interval"], r["interval"], parent.info["member"], r["member"])
        assert exploit == (r["exploited"] is not None)
    assert any(d.link_exploit)  # the worst member copied a better one at least once
    # the history's best line ends at the study's best, a full-budget trial
    assert pd_.history(trials, "maximize")["best_y"][-1] == study.best_value
    assert study.best_trial.info["budget"] == 12


def test_population_while_the_search_runs_and_without_pbt():
    study = _pbt_study()
    mid = study.trials[:6]  # interval 0 done, two members into interval 1
    d = pd_.population(mid, study.space)
    assert d is not None and d.members == [0, 1, 2, 3]
    assert sorted(len(x) for x in d.schedules[0].x) == [1, 1, 2, 2]  # each member as far as it got
    assert pd_.population([_trial(0, 1.0)], study.space) is None


def test_history_best_line_compares_at_equal_budget():
    # a lucky 1-epoch trial must not stay "best so far" once a full-budget trial exists (jhpo.budget)
    from jhpo.budget import best_trial

    trials = [
        _trial(0, 0.9, info={"budget": 1}),
        _trial(1, 0.95, info={"budget": 1}),
        _trial(2, 0.7, info={"budget": 27}),
        _trial(3, 0.99, info={"budget": 3}),
        _trial(4, 0.8, info={"budget": 27}),
    ]
    d = pd_.history(trials, "maximize")
    assert list(zip(d["best_x"], d["best_y"])) == [
        (0, 0.9),
        (1, 0.9),
        (1, 0.95),
        (2, 0.95),
        (2, 0.7),
        (4, 0.7),
        (4, 0.8),
        (4, 0.8),
    ]
    assert d["best_y"][-1] == best_trial(trials, "maximize").value
    plain = [_trial(0, 0.9), _trial(1, 0.95), _trial(2, 0.7)]  # without budgets: the plain best
    assert pd_.history(plain, "maximize")["best_y"] == [0.9, 0.9, 0.95, 0.95]
