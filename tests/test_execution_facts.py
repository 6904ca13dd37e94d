"""Where and how a trial ran is a declared record (``Trial.run``), not loose ``info`` keys; old study
files that hold the loose keys read back into it."""

from __future__ import annotations

import concurrent.futures as cf
import json
import os
import sqlite3
from typing import Any

import jhpo
from jhpo.cell import TuneOptions, tune_cell
from jhpo.trial import RunFacts, TrialState

SPACE = {"x": jhpo.uniform(-2, 2)}


def test_trials_on_workers_carry_run_facts_and_storage_keeps_them(tmp_path: Any) -> None:
    db = str(tmp_path / "s.db")
    study = jhpo.Study(SPACE, strategy="random", seed=0, storage=db, name="facts")
    with cf.ThreadPoolExecutor(2) as pool:
        study.optimize(lambda t: float(t.params["x"]), n_trials=4, executor=pool)
    for t in study.trials:
        assert t.run is not None and t.run.worker.startswith("ThreadPoolExecutor slot")
        assert t.run.pid == os.getpid() and t.run.host and t.run.seconds is not None and t.run.seconds >= 0
        assert not set(RunFacts.LEGACY) & set(t.info)  # nothing undeclared in info
    again = jhpo.load_study("facts", db)
    assert [t.run for t in again.trials] == [t.run for t in study.trials]
    assert all(not set(RunFacts.LEGACY) & set(t.info) and RunFacts.KEY not in t.info for t in again.trials)


def test_trials_in_process_have_no_run_facts(tmp_path: Any) -> None:
    study = jhpo.Study(SPACE, strategy="random", seed=0, storage=str(tmp_path / "s.db"), name="here")
    study.optimize(lambda t: 1.0, n_trials=2)
    assert [t.run for t in jhpo.load_study("here", str(tmp_path / "s.db")).trials] == [None, None]


def test_an_old_file_with_loose_info_keys_reads_into_run_facts(tmp_path: Any) -> None:
    db = str(tmp_path / "old.db")
    study = jhpo.Study(SPACE, strategy="random", seed=0, storage=db, name="old")
    study.optimize(lambda t: 1.0, n_trials=2)
    study.storage.close()
    old = {"worker": "process 1 (pid 77)", "host": "box", "pid": 77, "seconds": 0.5, "cpu_seconds": 0.25}
    with sqlite3.connect(db) as con:  # what jhpo wrote before the facts were declared
        con.execute("UPDATE trials SET info = ? WHERE number = 0", (json.dumps({**old, "rung": 1}),))
    back = jhpo.load_study("old", db).trials
    assert back[0].run == RunFacts(worker="process 1 (pid 77)", host="box", pid=77, seconds=0.5, cpu_seconds=0.25)
    assert back[0].info == {"rung": 1}  # the strategy's own keys stay in info
    assert back[1].run is None


def test_a_user_info_key_named_like_a_fact_is_left_alone(tmp_path: Any) -> None:
    db = str(tmp_path / "s.db")
    study = jhpo.Study(SPACE, strategy="random", seed=0, storage=db, name="mine")
    study.enqueue({"x": 0.5}, {"pid": "mine", "host": 3})
    study.optimize(lambda t: 1.0, n_trials=1)
    back = jhpo.load_study("mine", db).trials[0]
    assert back.info == {"pid": "mine", "host": 3} and back.run is None


def test_a_cell_on_workers_with_a_function_from_an_earlier_cell_records_where_it_ran() -> None:
    ns: dict[str, Any] = {}
    exec("def half(x):\n    return x / 2\n", ns)  # an earlier cell
    cell = "x = 0.0  # tune: uniform(-2, 2)\nscore = half(x)\n"
    opts = TuneOptions(strategy="random", trials=3, storage=":memory:", quiet=True, seed=0, objective="score")
    with cf.ThreadPoolExecutor(2) as pool:
        opts.executor = pool
        result = tune_cell(cell, ns, opts)
    assert result is not None and all(t.state is TrialState.COMPLETE for t in result.trials)
    assert all(t.run is not None and t.run.pid == os.getpid() for t in result.trials)
    assert [t.value for t in result.trials] == [t.params["x"] / 2 for t in result.trials]  # type: ignore[operator]
