"""Several objectives in worker processes and on Dask: the same values, errors and front as in process."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import jhpo
from jhpo.pareto import dominates
from jhpo.trial import Trial, TrialState

EARLIER = """\
import math
def quality(depth, lr):
    return 1 - 1 / (1 + depth) - abs(math.log10(lr) + 1) / 10
"""

CELL = """\
depth = 3      # tune: integer(1, 12)
lr = 0.1       # tune: loguniform(1e-3, 1)
accuracy = quality(depth, lr)
fit_time = 0.01 * depth
"""


def _accuracy(params: dict[str, Any]) -> float:
    return float(1 - 1 / (1 + params["depth"]) - abs(np.log10(params["lr"]) + 1) / 10)


def _brute_front(trials: list[Trial]) -> set[int]:
    pts = [(-t.values[0], t.values[1]) for t in trials]  # maximize accuracy: negated to minimize both
    return {trials[i].number for i, p in enumerate(pts) if not any(dominates(q, p) for q in pts)}


def _check_search(r: Any, db: Path, n: int) -> None:
    """Every trial's two values are the cell's, they are in the SQLite file, and the front is the non-dominated set."""
    assert len(r.trials) == n and all(t.state is TrialState.COMPLETE for t in r.trials)
    assert all(t.run is not None and t.run.pid for t in r.trials)  # they ran in worker processes
    for t in r.trials:
        assert t.values == [pytest.approx(_accuracy(t.params)), pytest.approx(0.01 * t.params["depth"])]
    loaded = jhpo.load_study("mo", str(db))  # read back from the file, as a fresh process would
    assert {t.number: t.values for t in loaded.trials} == {t.number: t.values for t in r.trials}
    assert {t.number for t in loaded.best_trials} == _brute_front(r.trials)
    assert set(r.pareto_front["number"]) == _brute_front(r.trials)
    with sqlite3.connect(db) as con:  # the values are stored, not recomputed on load
        assert con.execute("select count(*) from trials").fetchone()[0] == n


def test_two_objectives_with_n_jobs_through_a_real_shell(ip: Any, tmp_path: Path) -> None:
    ip.run_cell(EARLIER)
    db = tmp_path / "mo.db"
    line = "--maximize accuracy --minimize fit_time --strategy random --trials 8 --seed 1 --quiet --n-jobs 2"
    r = ip.run_cell_magic("tune", f"{line} --study mo --storage {db}", CELL)
    _check_search(r, db, 8)
    assert r.best_trial is None  # several objectives: no single best, nothing re-run


def test_a_missing_objective_in_a_worker_is_named_as_in_process(ip: Any, capsys: Any) -> None:
    ip.run_cell(EARLIER)
    line = "--maximize accuracy --minimize size --strategy random --trials 2 --quiet --no-baseline"
    line += " --study s --storage :memory:"
    said = {}
    for where in ("", " --n-jobs 2"):
        r = ip.run_cell_magic("tune", line + where, CELL)
        assert r is None or all(t.state is not TrialState.COMPLETE for t in r.trials)
        said[where] = capsys.readouterr().err
    # `size` is never assigned: the search stops after one trial, naming it, in both places
    assert "the cell never assigns `size`, the objective named in --maximize/--minimize" in said[" --n-jobs 2"]
    assert "did not set `size`, an objective named in --maximize/--minimize" in said[" --n-jobs 2"]
    # With two workers either trial may fail first: the message is the same, the number may differ.
    same = [re.sub(r"trial \d+", "trial N", said[w]) for w in ("", " --n-jobs 2")]
    assert same[0] == same[1]


def test_trial_timeout_with_two_objectives(ip: Any) -> None:
    ip.run_cell(EARLIER + "import time\n")
    cell = CELL + "time.sleep(30 if depth > 10 else 0)\n"
    line = "--maximize accuracy --minimize fit_time --strategy grid --trials 3 --quiet --no-baseline"
    cell = cell.replace("integer(1, 12)", "choice([1, 2, 11])").replace("loguniform(1e-3, 1)", "choice([0.1])")
    r = ip.run_cell_magic("tune", line + " --trial-timeout 3", cell)
    by_depth = {t.params["depth"]: t for t in r.trials}
    assert by_depth[11].state is TrialState.FAILED and "3" in (by_depth[11].error or "")
    for d in (1, 2):
        assert by_depth[d].values == [pytest.approx(_accuracy(by_depth[d].params)), pytest.approx(0.01 * d)]


def _wrong(t: Trial) -> Any:
    x = t.params["x"]
    return (x,) if x < 0.3 else (x, float("nan")) if x < 0.6 else (x, 1 - x)


def test_a_function_s_bad_values_fail_with_the_in_process_message() -> None:
    said = {}
    for n_jobs in (None, 2):
        study = jhpo.Study({"x": jhpo.uniform(0, 1)}, "random", direction=["maximize", "minimize"], seed=4)
        for x in (0.8, 0.2, 0.5, 0.9):  # two of any three fail: the fail-fast rule lets it run
            study.enqueue({"x": x})
        study.optimize(_wrong, n_trials=4, n_jobs=n_jobs)
        said[n_jobs] = {t.params["x"]: (t.error, t.values) for t in study.trials}
    assert said[None] == said[2]
    assert said[2][0.5][0] == "the objective is NaN (objective `objective_1`)"
    assert (
        said[2][0.2][0] == "the trial gave 1 numbers for the 2 objectives (maximize objective_0, minimize objective_1)"
    )
    assert said[2][0.8] == (None, [0.8, pytest.approx(0.2)])


@pytest.mark.slow
def test_two_objectives_on_a_dask_local_cluster(ip: Any, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address="127.0.0.1:0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        client.wait_for_workers(2, timeout=60)
        ip.user_ns["dask_client"] = client
        ip.run_cell(EARLIER)
        db = tmp_path / "mo.db"
        line = "--maximize accuracy --minimize fit_time --strategy random --trials 6 --seed 2 --quiet"
        r = ip.run_cell_magic("tune", f"{line} --executor dask_client --study mo --storage {db}", CELL)
        _check_search(r, db, 6)
        assert {t.run.worker for t in r.trials} <= set(client.nthreads())
