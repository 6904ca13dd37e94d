"""``%%tune`` through a real IPython shell."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from IPython.core.error import UsageError

import jhpo

CELL = """\
x = 0.5          # tune: uniform(-2, 2)
n = 3            # tune: integer(1, 10)
lr = 0.01        # tune: loguniform(1e-4, 1e-1)
k = "a"          # tune: ["a", "b"]
flag = True      # @param {type:"boolean"}
print("trial with", x, n, k)
score = -(x - 1) ** 2 - abs(n - 4) + (k == "b") + 0.1 * flag
"""


def test_random_search_end_to_end(ip) -> None:  # type: ignore[no-untyped-def]
    ip.user_ns["x"] = "untouched"
    result = ip.run_cell_magic("tune", "--strategy random --trials 20 --maximize score --seed 3", CELL)
    assert isinstance(result, jhpo.TuneResult)
    assert len(result.trials) == 20
    base = result.trials[0]
    assert base.info.get("baseline") and base.params == {"x": 0.5, "n": 3, "lr": 0.01, "k": "a", "flag": True}
    assert base.stdout == "trial with 0.5 3 a\n"
    best = result.best_trial
    assert best is not None and best.value == max(t.value for t in result.trials)
    # the namespace holds what the best trial produced
    assert ip.user_ns["score"] == best.value and ip.user_ns["x"] == best.params["x"]
    df = result.to_dataframe()
    assert len(df) == 20 and "params_lr" in df
    assert "Best value" in repr(result)
    # durable: the default storage file holds the trials
    db = Path(".jhpo/studies.db")
    assert db.exists()
    n = sqlite3.connect(db).execute("SELECT COUNT(*) FROM trials WHERE state='complete'").fetchone()[0]
    assert n == 20


def test_seed_makes_configurations_repeatable(ip) -> None:  # type: ignore[no-untyped-def]
    runs = [
        ip.run_cell_magic("tune", f"--strategy random --trials 8 --maximize score --seed {s} --quiet", CELL)
        for s in (7, 7, 8)
    ]
    params = [[t.params for t in r.trials] for r in runs]
    assert params[0] == params[1] != params[2]


def test_no_apply_and_no_baseline_and_output_var(ip) -> None:  # type: ignore[no-untyped-def]
    ip.user_ns["score"] = "before"
    r = ip.run_cell_magic(
        "tune", "--strategy sobol -n 5 --maximize score --no-apply --no-baseline -o res --quiet", CELL
    )
    assert ip.user_ns["score"] == "before"
    assert ip.user_ns["res"] is r
    assert not any(t.info.get("baseline") for t in r.trials)


def test_last_expression_objective_and_minimize(ip) -> None:  # type: ignore[no-untyped-def]
    cell = "x = 0.5  # tune: uniform(-2, 2)\n(x - 1) ** 2\n"
    r = ip.run_cell_magic("tune", "--strategy random -n 15 --minimize --seed 0 --quiet", cell)
    assert r.best_value == min(t.value for t in r.trials)
    assert r.best_value < 0.25


def test_grid_runs_whole_grid_by_default(ip) -> None:  # type: ignore[no-untyped-def]
    cell = (
        "a = 'x'  # tune: ['x', 'y']\nb = 1  # tune: integer(1, 3)\nc = 0.1  # tune: loguniform(0.01, 1)\n"
        "score = (a == 'y') + b + c\n"
    )
    r = ip.run_cell_magic("tune", "--strategy grid --grid-points 3 --maximize score --quiet", cell)
    # 2 * 3 * 3 grid points; the default (c=0.1) lies on the log grid, so it is not run twice
    assert len(r.trials) == 18
    assert len({tuple(t.params.values()) for t in r.trials}) == 18
    assert r.best_params == {"a": "y", "b": 3, "c": 1.0}


def test_dry_run_runs_nothing(ip, capsys) -> None:  # type: ignore[no-untyped-def]
    cell = "import pathlib\nx = 0.5  # tune: uniform(0, 1)\npathlib.Path('ran').touch()\nscore = x\n"
    out = ip.run_cell_magic("tune", "--strategy random --maximize score --dry-run --seed 0", cell)
    assert out is None
    text = capsys.readouterr().out
    assert "uniform(0, 1)" in text and "(the cell's defaults)" in text and "x=0.5" in text
    assert not Path("ran").exists() and not Path(".jhpo/studies.db").exists()


@pytest.mark.parametrize(
    "line, cell, message",
    [
        ("--strategy random", CELL, "--maximize NAME or --minimize NAME"),
        # several objectives are allowed (issue 15); each must name its variable
        ("--maximize a --minimize", CELL, "each one names its variable"),
        ("--strategy nope --maximize score", CELL, "unknown strategy 'nope'"),
        ("--maximize score", "x = 1\nscore = x\n", "no `# tune:` annotations"),
        ("--maximize", "x = 0.5  # tune: uniform(0, 1)\nscore = x\n", "does not end with an expression"),
        ("--maximize score", 'x = "five"  # tune: uniform(0, 1)\nscore = x\n', "cell line 2"),
    ],
    ids=["no-direction", "both", "strategy", "no-annotations", "no-last-expr", "annotation"],
)
def test_clear_errors_before_anything_runs(ip, line, cell, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UsageError) as info:
        ip.run_cell_magic("tune", line + " --quiet", cell)
    assert message in str(info.value)
    assert not Path(".jhpo/studies.db").exists() or "unknown strategy" not in message


def test_missing_or_bad_objective_is_a_failed_trial(ip) -> None:  # type: ignore[no-untyped-def]
    ip.user_ns["score"] = 123.0  # a notebook value from earlier must not pass for a trial's objective
    cell = "x = 0.3  # tune: uniform(0, 1)\nif x > 0.4:\n    score = 'high'\nelif x > 0.2:\n    score = x\n"
    r = ip.run_cell_magic("tune", "--strategy random -n 12 --maximize score --seed 2 --quiet", cell)
    reasons = {t.error for t in r.trials if t.state is jhpo.TrialState.FAILED}
    assert any("not a number" in (e or "") for e in reasons)
    assert any("did not set `score`" in (e or "") for e in reasons)


def test_failing_cell_records_traceback_and_aborts_when_first_three_fail(ip, capsys) -> None:  # type: ignore[no-untyped-def]
    cell = "x = 0.5  # tune: uniform(0, 1)\ny = 1 / 0\nscore = x\n"
    r = ip.run_cell_magic("tune", "--strategy random -n 10 --maximize score --quiet", cell)
    assert len(r.trials) == 3
    err = capsys.readouterr().err
    assert "first 3 trials all failed" in err and "ZeroDivisionError" in err
    tb = r.trials[0].error
    assert "line 3" in tb and "y = 1 / 0" in tb  # points at the user's line in the notebook cell


def test_resume_continues_and_detects_edits(ip, tmp_path) -> None:  # type: ignore[no-untyped-def]
    opts = "--strategy random --trials 6 --maximize score --study exp --seed 1 --quiet"
    r1 = ip.run_cell_magic("tune", opts, CELL)
    assert len(r1.trials) == 6
    with pytest.raises(UsageError, match="--resume"):
        ip.run_cell_magic("tune", opts, CELL)
    r2 = ip.run_cell_magic("tune", opts.replace("--trials 6", "--trials 10") + " --resume", CELL)
    assert len(r2.trials) == 10
    assert [t.params for t in r2.trials[:6]] == [t.params for t in r1.trials]
    assert sum(bool(t.info.get("baseline")) for t in r2.trials) == 1
    edited = CELL.replace("integer(1, 10)", "integer(1, 20)")
    with pytest.raises(UsageError) as info:
        ip.run_cell_magic("tune", opts + " --resume", edited)
    assert "`n` changed from integer(1, 10) to integer(1, 20)" in str(info.value)
    r3 = ip.run_cell_magic("tune", opts.replace("--trials 6", "--trials 12") + " --resume --allow-changes", edited)
    assert len(r3.trials) == 12


def test_tune_show_reads_a_stored_study(ip) -> None:  # type: ignore[no-untyped-def]
    ip.run_cell_magic("tune", "--strategy random -n 4 --maximize score --study shown --quiet", CELL)
    r = ip.run_line_magic("tune_show", "shown")
    assert isinstance(r, jhpo.TuneResult) and len(r.trials) == 4
    with pytest.raises(UsageError, match="stored studies: shown"):
        ip.run_line_magic("tune_show", "absent")


def test_tune_show_alone_lists_the_stored_studies(ip, capsys) -> None:  # type: ignore[no-untyped-def]
    from jhpo.cli import studies_table
    from jhpo.storage import open_storage

    ip.run_cell("def target(x):\n    return -(x - 1) ** 2")  # an earlier cell's function
    cell = "x = 0.5  # tune: uniform(-2, 2)\nscore = target(x)\n"
    ip.run_cell_magic("tune", "--strategy random -n 3 --maximize score --study first --quiet", cell)
    ip.run_cell_magic("tune", "--strategy grid --grid-points 2 --minimize score --study second --quiet", cell)
    capsys.readouterr()
    assert ip.run_line_magic("tune_show", "") is None
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["study", "strategy", "trials"]
    assert lines[1].split()[:3] == ["first", "random", "3/0"]
    assert lines[2].split()[:3] == [
        "second",
        "grid",
        "3/0",
    ]  # 2 grid points and the baseline x = 0.5 and "(min)" in lines[2]
    st = open_storage(".jhpo/studies.db", create=False)
    assert out.rstrip("\n") == studies_table(st)  # the very table `jhpo list` prints
    st.close()


def test_tune_show_alone_with_no_study_file_says_so(ip, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    magics = ip.magics_manager.registry["TuneMagics"]
    saved = magics.default_storage
    magics.default_storage = "elsewhere/s.db"
    try:
        ip.run_line_magic("tune_show", "")
    finally:
        magics.default_storage = saved
    assert "no study file at elsewhere/s.db" in capsys.readouterr().out
    assert not (tmp_path / "elsewhere").exists() and not (tmp_path / ".jhpo").exists()


def test_cell_still_runs_as_plain_python(ip) -> None:  # type: ignore[no-untyped-def]
    ip.run_cell(CELL)
    assert ip.user_ns["score"] == pytest.approx(-((0.5 - 1) ** 2) - 1 + 0.1)


def test_help_page_lists_options(ip) -> None:  # type: ignore[no-untyped-def]
    from jhpo.magics import TuneMagics

    doc = TuneMagics.tune.__doc__
    assert "--maximize" in doc and "--dry-run" in doc and "--grid-points" in doc
