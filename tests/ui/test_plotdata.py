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
