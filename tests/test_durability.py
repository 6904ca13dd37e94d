"""Nothing is lost: SIGKILL a searching process, then check the file and resume."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import jhpo
from jhpo.trial import TrialState

SCRIPT = textwrap.dedent("""
    import sys, time
    from IPython.testing.globalipapp import start_ipython
    ip = start_ipython()
    ip.run_line_magic("load_ext", "jhpo")
    cell = '''
    import time
    x = 0.5  # tune: uniform(0, 1)
    time.sleep(0.15)
    print("done", x, flush=True)
    score = x
    '''
    ip.run_cell_magic("tune", "--strategy random --trials 200 --maximize score --seed 5 --study killed "
                      "--storage " + sys.argv[1] + " " + sys.argv[2], cell)
""")


def _counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as con:
        try:
            return dict(con.execute("SELECT state, COUNT(*) FROM trials GROUP BY state").fetchall())
        except sqlite3.OperationalError:  # the searching process has created the file, not yet its tables
            return {}


@pytest.mark.slow
def test_sigkill_loses_no_finished_trial_and_resume_continues(tmp_path: Path) -> None:
    db = tmp_path / "studies.db"
    script = tmp_path / "search.py"
    script.write_text(SCRIPT)
    proc = subprocess.Popen(
        [sys.executable, str(script), str(db), "--quiet"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if db.exists() and _counts(db).get("complete", 0) >= 6:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = _counts(db)
    assert before.get("complete", 0) >= 6
    assert before.get("running", 0) <= 1  # at most the trial that was running
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT params, value, stdout FROM trials WHERE state='complete'").fetchall()
    for params, value, stdout in rows:
        assert json.loads(params)["x"] == value
        assert stdout.startswith("done")
    # resume: the killed running trial becomes interrupted, the search continues to its total
    study = jhpo.load_study("killed", str(db))
    assert all(t.state is not TrialState.RUNNING for t in study.trials)
    n_done = before.get("complete", 0)
    from IPython.testing.globalipapp import get_ipython, start_ipython

    ip = start_ipython() or get_ipython()
    ip.run_line_magic("load_ext", "jhpo")
    cell = 'import time\nx = 0.5  # tune: uniform(0, 1)\ntime.sleep(0.15)\nprint("done", x, flush=True)\nscore = x\n'
    r = ip.run_cell_magic(
        "tune",
        f"--strategy random --trials {n_done + 3} --maximize score --seed 5 --study killed "
        f"--storage {db} --resume --quiet",
        "\n" + cell,
    )
    states = [t.state for t in r.trials]
    assert states.count(TrialState.COMPLETE) == n_done + 3 - states.count(TrialState.FAILED)
    assert [t.params for t in r.trials[:n_done]] == [t.params for t in study.trials[:n_done]]


def test_storage_is_json_not_pickle(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    s = jhpo.Study({"k": jhpo.choice("a", None, True)}, strategy="random", storage=str(db), name="j")
    s.optimize(lambda t: 1.0, n_trials=3)
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        for params, info, meta in con.execute(
            "SELECT t.params, t.info, s.meta FROM trials t JOIN studies s ON s.name = t.study"
        ):
            json.loads(params), json.loads(info), json.loads(meta)
            assert b"\x80" not in params.encode()  # no pickle protocol header anywhere


def test_each_trial_is_committed_before_the_next_starts(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    seen = []

    def objective(t: jhpo.Trial) -> float:
        with sqlite3.connect(db) as con:  # a second connection sees every earlier trial finished
            seen.append(con.execute("SELECT COUNT(*) FROM trials WHERE state='complete'").fetchone()[0])
        return 1.0

    s = jhpo.Study({"x": jhpo.uniform(0, 1)}, strategy="random", storage=str(db))
    s.optimize(objective, n_trials=5)
    assert seen == [0, 1, 2, 3, 4]
