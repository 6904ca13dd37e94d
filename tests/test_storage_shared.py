"""Many writers, one study: real processes on one SQLite file lose nothing and repeat nothing."""

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
from jhpo import storage as storage_mod
from jhpo.study import StudyObserver
from jhpo.trial import Trial, TrialState

WRITER = textwrap.dedent("""
    import json, sys, time
    import jhpo
    db, kind, n = sys.argv[1], sys.argv[2], sys.argv[3]
    if kind == "grid":
        space = {"x": jhpo.integer(0, 5), "y": jhpo.integer(0, 5)}
        study = jhpo.Study(space, strategy="grid", storage=db, name="shared", resume=True)
        study.optimize(lambda t: (time.sleep(0.01), t.params["x"] + t.params["y"])[1])
    else:
        space = {"x": jhpo.uniform(0, 1)}
        study = jhpo.Study(space, strategy=kind, seed=int(n), storage=db, name="shared", resume=True)
        study.optimize(lambda t: t.params["x"], n_trials=50)
    print(json.dumps({"seen": len(study.trials), "own": sum(study.is_own(t) for t in study.trials)}))
""")


def _writers(tmp_path: Path, kind: str, space: dict[str, jhpo.space.Distribution], n: int = 4) -> list[dict]:
    db = tmp_path / "s.db"
    jhpo.Study(space, strategy=kind, storage=str(db), name="shared", seed=0)  # created once, then resumed by all
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    procs = [
        subprocess.Popen([sys.executable, str(script), str(db), kind, str(i)], stdout=subprocess.PIPE, text=True)
        for i in range(n)
    ]
    outs = [p.communicate(timeout=240)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    return [json.loads(o.strip().splitlines()[-1]) for o in outs]


def _rows(db: Path, study: str = "shared") -> list[tuple]:
    with sqlite3.connect(db) as con:
        return con.execute("SELECT number, state, params, writer FROM trials WHERE study = ?", (study,)).fetchall()


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["random", "bayes"])
def test_four_processes_times_fifty_trials_store_two_hundred(tmp_path: Path, kind: str) -> None:
    reports = _writers(tmp_path, kind, {"x": jhpo.uniform(0, 1)})
    rows = _rows(tmp_path / "s.db")
    assert len(rows) == 200
    assert sorted(r[0] for r in rows) == list(range(200))  # unique, allocated without gaps
    assert all(r[1] == "complete" for r in rows)
    assert len({r[3] for r in rows}) == 4  # four writers
    assert [r["own"] for r in reports] == [50] * 4
    # each writer's strategy saw the others' trials: all but the first to finish saw more than its own
    assert sum(r["seen"] > 50 for r in reports) >= 3
    assert max(r["seen"] for r in reports) == 200 or sorted(r["seen"] for r in reports)[-1] > 150


@pytest.mark.slow
def test_four_processes_share_a_grid_without_running_a_point_twice(tmp_path: Path) -> None:
    space = {"x": jhpo.integer(0, 5), "y": jhpo.integer(0, 5)}
    reports = _writers(tmp_path, "grid", space)
    rows = _rows(tmp_path / "s.db")
    points = [tuple(sorted(json.loads(r[2]).items())) for r in rows]
    assert len(rows) == 36 and len(set(points)) == 36
    assert sorted(r[0] for r in rows) == list(range(36))
    assert sum(r["own"] for r in reports) == 36
    assert sum(r["own"] > 0 for r in reports) >= 2  # the grid really was shared


KILLED = textwrap.dedent("""
    import pathlib, sys, time
    import jhpo
    db, flag = sys.argv[1], pathlib.Path(sys.argv[2])
    study = jhpo.Study({"x": jhpo.uniform(0, 1)}, strategy="random", seed=1, storage=db, name="shared", resume=True)
    def objective(t):
        if len(study.trials) > 5:  # the sixth trial hangs until the test kills this process
            flag.write_text(str(t.number))
            time.sleep(600)
        return t.params["x"]
    study.optimize(objective, n_trials=100)
""")


@pytest.mark.slow
def test_a_writer_killed_mid_trial_leaves_it_interrupted_and_nothing_else_lost(tmp_path: Path) -> None:
    db, flag = tmp_path / "s.db", tmp_path / "flag"
    space = {"x": jhpo.uniform(0, 1)}
    live = jhpo.Study(space, strategy="random", storage=str(db), name="shared", seed=0)
    live.optimize(lambda t: t.params["x"], n_trials=3)
    mine = live.ask()  # a live writer's running trial: must stay running
    script = tmp_path / "killed.py"
    script.write_text(KILLED)
    proc = subprocess.Popen([sys.executable, str(script), str(db), str(flag)])
    deadline = time.monotonic() + 60
    while not flag.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert flag.exists(), "the writer never reached its hanging trial"
    hanging = int(flag.read_text())
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT state FROM trials WHERE number = ?", (hanging,)).fetchone()[0] == "running"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = {r[0]: r for r in _rows(db)}
    reader = jhpo.Study(space, strategy="random", storage=str(db), name="shared", resume=True)
    states = {t.number: t.state for t in reader.trials}
    assert states[hanging] is TrialState.INTERRUPTED
    assert "stopped" in (reader.trials[hanging].error or "")
    assert states[mine.number] is TrialState.RUNNING  # its writer is alive: not touched
    assert sum(s is TrialState.COMPLETE for s in states.values()) == 3 + 1  # ours and the killed writer's first
    assert set(states) == set(before)
    assert all(states[n] is TrialState.COMPLETE for n, r in before.items() if r[1] == "complete")
    live.tell(mine, 0.5)
    assert jhpo.load_study("shared", str(db)).trials[mine.number].value == 0.5


def test_a_silent_writer_elsewhere_loses_its_trial_after_the_lease(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    study = jhpo.Study({"x": jhpo.uniform(0, 1)}, strategy="random", storage=str(db), name="s", seed=0)
    study.optimize(lambda t: t.params["x"], n_trials=2)
    with sqlite3.connect(db) as con:  # two trials of writers on another machine: one silent, one beating
        for number, writer, beat in ((2, "far:1:a", time.time() - storage_mod.LEASE - 1), (3, "far:2:b", time.time())):
            con.execute(
                "INSERT INTO trials (study, number, state, params, info, intermediate, writer, revision)"
                " VALUES ('s', ?, 'running', '{\"x\": 0.5}', '{}', '{}', ?, 100 + ?)",
                (number, writer, number),
            )
            con.execute("INSERT INTO writers VALUES (?, 'far-away-host', 1, ?)", (writer, beat))
    again = jhpo.Study({"x": jhpo.uniform(0, 1)}, strategy="random", storage=str(db), name="s", resume=True)
    assert [t.state.value for t in again.trials] == ["complete", "complete", "interrupted", "running"]


def test_the_heartbeat_keeps_a_long_trial_alive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(storage_mod, "HEARTBEAT", 0.05)
    db = tmp_path / "s.db"
    study = jhpo.Study({"x": jhpo.uniform(0, 1)}, strategy="random", storage=str(db), name="s", seed=0)
    trial = study.ask()
    with sqlite3.connect(db) as con:
        first = con.execute("SELECT heartbeat FROM writers").fetchone()[0]
    time.sleep(0.3)
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT heartbeat FROM writers").fetchone()[0] > first
    study.tell(trial, 1.0)


class Recorder(StudyObserver):
    def __init__(self) -> None:
        self.ended: list[int] = []
        self.started: list[int] = []

    def on_trial_start(self, study: jhpo.Study, trial: Trial) -> None:
        self.started.append(trial.number)

    def on_trial_end(self, study: jhpo.Study, trial: Trial) -> None:
        self.ended.append(trial.number)


@pytest.mark.parametrize("where", ["sqlite", "memory"])
def test_each_study_object_hears_of_the_others_trials_and_its_strategy_sees_them(tmp_path: Path, where: str) -> None:
    storage = str(tmp_path / "s.db") if where == "sqlite" else jhpo.storage.InMemoryStorage()
    space = {"x": jhpo.integer(0, 2), "y": jhpo.choice("a", "b")}
    a = jhpo.Study(space, strategy="grid", storage=storage, name="g")
    b = jhpo.Study(space, strategy="grid", storage=storage, name="g", resume=True)
    seen = Recorder()
    b.observers.append(seen)
    for _ in range(2):  # a and b take turns, each asking after the other told
        for s in (a, b):
            t = s.ask()
            s.tell(t, t.params["x"])
    b.refresh()
    assert seen.started == seen.ended == [0, 1, 2, 3]  # a's trials 0 and 2 heard by b, once each, in order
    a.optimize(lambda t: t.params["x"])
    b.optimize(lambda t: t.params["x"])
    assert len(b.trials) == 6 and len({tuple(t.params.items()) for t in b.trials}) == 6
    assert b.best_value == a.best_value == 2


def test_two_writers_starting_together_run_the_baseline_once(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    space = {"x": jhpo.integer(0, 3)}
    a = jhpo.Study(space, strategy="grid", storage=db, name="g")
    b = jhpo.Study(space, strategy="grid", storage=db, name="g", resume=True)
    for s in (a, b):  # both opened before either ran anything, as two kernels would
        s.enqueue({"x": 7}, {"baseline": True})
    a.tell(a.ask(), 7)
    b.optimize(lambda t: t.params["x"])
    a.optimize(lambda t: t.params["x"])
    assert sum(bool(t.info.get("baseline")) for t in b.trials) == 1
    assert sorted(t.params["x"] for t in b.trials) == [0, 1, 2, 3, 7]


NOTEBOOK = textwrap.dedent("""
    import sys
    from IPython.testing.globalipapp import start_ipython
    ip = start_ipython()
    ip.run_line_magic("load_ext", "jhpo")
    cell = (
        "import time\\nx = 2  # tune: integer(0, 5)\\ny = 3  # tune: integer(0, 5)\\n"
        "time.sleep(0.02)\\nscore = x * y\\n"
    )
    line = "--strategy grid --maximize score --study nb --resume --quiet --storage " + sys.argv[1]
    r = ip.run_cell_magic("tune", line, cell)
    print("best", r.best_value)
""")


@pytest.mark.slow
def test_three_kernels_running_one_grid_cell_share_it(tmp_path: Path) -> None:
    # Three notebooks start the same %%tune --resume cell on a fresh file at the same moment.
    db = tmp_path / "s.db"
    script = tmp_path / "nb.py"
    script.write_text(NOTEBOOK)
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(db)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    outs = [p.communicate(timeout=240) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    rows = _rows(db, "nb")
    points = [tuple(sorted(json.loads(r[2]).items())) for r in rows if r[1] == "complete"]
    assert len(points) == len(set(points)) == 36  # the baseline (2, 3) is a grid point: each point once
    assert sorted(r[0] for r in rows) == list(range(36))
    # the kernel that looked last saw every trial (the others had told all theirs): its result has the best
    assert any(out.strip().endswith("best 25.0") for out, _ in outs), outs


def test_a_trial_a_search_never_told_does_not_stay_running(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    study = jhpo.Study({"x": jhpo.uniform(0, 1)}, strategy="random", storage=db, name="s", seed=0)

    def objective(t: Trial) -> float:
        if t.number == 2:
            raise SystemExit("an exit the trial does not catch")
        return t.params["x"]

    with pytest.raises(SystemExit):
        study.optimize(objective, n_trials=5)
    again = jhpo.Study({"x": jhpo.uniform(0, 1)}, strategy="random", storage=db, name="s", resume=True)
    assert [t.state.value for t in again.trials] == ["complete", "complete", "interrupted"]
    assert storage_mod._LIVE.isdisjoint({study.storage.writer})  # its heartbeat has stopped
