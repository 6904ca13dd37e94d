"""Extra metrics stored with each trial: ``--metrics a,b`` and ``jhpo.log(name=value)``."""

from __future__ import annotations

import subprocess
import sys

import pytest

import jhpo
from jhpo.trial import TrialState

CELL = """\
import time, jhpo
C = 1.0  # tune: loguniform(0.01, 100)
t0 = time.perf_counter()
precision = 1 / (1 + C)
recall = C / (1 + C)
jhpo.log(f1=2 * precision * recall / (precision + recall), steps=3)
score = recall
"""


def test_metrics_option_and_log_store_numbers_with_each_trial(ip) -> None:  # type: ignore[no-untyped-def]
    line = "--strategy random --trials 5 --maximize score --seed 0 --quiet --metrics precision,recall --study m"
    r = ip.run_cell_magic("tune", line, CELL)
    for t in r.trials:
        assert t.state is TrialState.COMPLETE, t.error
        m = t.metrics
        C = t.params["C"]
        assert m["precision"] == pytest.approx(1 / (1 + C)) and m["recall"] == pytest.approx(C / (1 + C))
        assert m["f1"] == pytest.approx(2 * m["precision"] * m["recall"] / (m["precision"] + m["recall"]))
        assert m["steps"] == 3.0
    df = r.to_dataframe()
    assert {"metrics_precision", "metrics_recall", "metrics_f1", "metrics_steps"} <= set(df.columns)
    assert df["metrics_recall"].tolist() == pytest.approx(df["value"].tolist())
    assert "precision" in r.summary() and "f1" in r.summary()
    # stored: the command line shows them from the SQLite file
    out = subprocess.run(
        [sys.executable, "-m", "jhpo", "show", "m", "--storage", ".jhpo/studies.db"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "metrics_precision" in out and "f1" in out


@pytest.mark.slow  # worker processes
def test_metrics_travel_back_from_worker_processes(ip) -> None:  # type: ignore[no-untyped-def]
    line = "--strategy random --trials 4 --maximize score --seed 1 --quiet --metrics precision --n-jobs 2"
    r = ip.run_cell_magic("tune", line, CELL)
    for t in r.trials:
        assert t.state is TrialState.COMPLETE, t.error
        assert t.metrics["precision"] == pytest.approx(1 / (1 + t.params["C"]))
        assert "f1" in t.metrics


def test_a_metric_the_cell_does_not_set_fails_the_trial_with_the_fix(ip) -> None:  # type: ignore[no-untyped-def]
    r = ip.run_cell_magic("tune", "--strategy random --trials 3 --maximize score --quiet --metrics fit_time", CELL)
    t = r.trials[0]
    assert t.state is TrialState.FAILED
    assert "did not set `fit_time`, a metric named in --metrics" in t.error


def test_log_is_a_no_op_outside_a_search_and_checks_numbers() -> None:
    jhpo.log(a=1.0)
    with pytest.raises(TypeError, match="`a` is a str, not a number"):
        jhpo.log(a="high")


CONSTRAINED = """\
x = 0.1  # tune: uniform(0, 1)
size_mb = 10 * x
score = x
"""


def test_constrained_search_marks_infeasible_trials_and_steers_away(ip) -> None:  # type: ignore[no-untyped-def]
    line = '--strategy bayes --trials 24 --maximize score --seed 0 --quiet --constraint "size_mb < 5"'
    r = ip.run_cell_magic("tune", line, CONSTRAINED)
    for t in r.trials:
        assert t.state is TrialState.COMPLETE
        assert t.info["feasible"] is (t.params["x"] < 0.5)
        assert t.metrics["size_mb"] == pytest.approx(10 * t.params["x"])
        if not t.info["feasible"]:
            assert t.info["violated"][0].startswith("size_mb < 5 (was ")
    best = r.best_trial
    assert best.info["feasible"] and 0.4 < best.params["x"] < 0.5  # the best feasible, near the boundary
    assert ip.user_ns["size_mb"] < 5  # the notebook holds the best feasible trial's results
    # bayes learns the infeasible half is as bad as a failure: most late proposals are feasible
    late = r.trials[-10:]
    assert sum(t.info["feasible"] for t in late) >= 7
    df = r.to_dataframe()
    assert df["feasible"].tolist() == [t.info["feasible"] for t in r.trials]
    assert "broke a --constraint" in r.summary()


@pytest.mark.parametrize(
    "constraint, message",
    [("size_mb <", "cannot read the constraint"), ("size_mb ~ 5", "cannot read the constraint")],
)
def test_a_malformed_constraint_is_refused_before_anything_runs(ip, constraint, message) -> None:  # type: ignore[no-untyped-def]
    from IPython.core.error import UsageError

    with pytest.raises(UsageError, match=message):
        ip.run_cell_magic("tune", f'--maximize score --quiet --constraint "{constraint}"', CONSTRAINED)


def test_a_constraint_on_an_unknown_metric_fails_the_trial_with_the_fix(ip) -> None:  # type: ignore[no-untyped-def]
    r = ip.run_cell_magic(
        "tune", '--strategy random --trials 3 --maximize score --quiet --constraint "mb < 5"', CONSTRAINED
    )
    assert "neither set nor logged `mb`" in r.trials[0].error


@pytest.mark.slow  # worker processes
def test_constraints_are_checked_in_worker_processes(ip) -> None:  # type: ignore[no-untyped-def]
    line = '--strategy random --trials 6 --maximize score --seed 2 --quiet --n-jobs 2 --constraint "size_mb < 5"'
    r = ip.run_cell_magic("tune", line, CONSTRAINED)
    assert all(t.info["feasible"] is (t.params["x"] < 0.5) for t in r.trials)
    assert r.best_trial is not None and r.best_trial.params["x"] < 0.5


def test_metrics_are_stored_in_their_own_field_and_old_records_still_read(ip, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json
    import sqlite3

    from jhpo.study import load_study

    db = tmp_path / "m.db"
    line = (
        f"--strategy random --trials 3 --maximize score --seed 0 --quiet --metrics precision --storage {db} --study m"
    )
    r = ip.run_cell_magic("tune", line, CELL)
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT number, info, metrics FROM trials WHERE study = 'm' ORDER BY number").fetchall()
        assert all("metrics" not in json.loads(info) for _, info, _ in rows)
        assert [json.loads(m)["precision"] for _, _, m in rows] == [t.metrics["precision"] for t in r.trials]
        # a record as jhpo wrote it before metrics had their own field
        number, info, metrics = rows[0]
        con.execute(
            "UPDATE trials SET info = ?, metrics = NULL WHERE study = 'm' AND number = ?",
            (json.dumps({**json.loads(info), "metrics": json.loads(metrics)}), number),
        )
    back = load_study("m", str(db)).trials[0]
    assert back.metrics == r.trials[0].metrics and "metrics" not in back.info
    assert jhpo.metrics.metrics_of(back) == back.metrics
