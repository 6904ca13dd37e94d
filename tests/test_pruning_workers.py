"""Issue 16: pruning works wherever trials run (worker processes, a Dask LocalCluster on 127.0.0.1)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

SETUP = """\
import time
import jhpo
from sklearn.datasets import load_digits
from sklearn.linear_model import SGDClassifier
X, y = load_digits(return_X_y=True)
X = X / 16.0
X_tr, y_tr, X_va, y_va = X[:1200], y[:1200], X[1200:], y[1200:]
"""

# An earlier cell: one epoch of training, slow enough (40 ms) for a decision to arrive mid-trial,
# and a log of every epoch actually run, written by the worker itself.
HELPER = """\
def one_epoch(model, tag, log):
    model.partial_fit(X_tr, y_tr, classes=list(range(10)))
    time.sleep(0.04)
    with open(log, "a") as f:
        f.write(tag + "\\n")
    return model.score(X_va, y_va)
"""

CELL = """\
alpha = 1e-4       # tune: loguniform(1e-6, 1e-1)
eta0 = 0.01        # tune: loguniform(1e-5, 1.0)
epochs = 20
model = SGDClassifier(alpha=alpha, eta0=eta0, learning_rate="constant", random_state=0)
for epoch in range(1, epochs + 1):
    score = one_epoch(model, repr((alpha, eta0)), LOG)
    jhpo.report(score, step=epoch)
"""


def _run(ip: Any, tmp_path: Path, extra: str, study: str) -> tuple[Any, Counter[str]]:
    log = tmp_path / f"{study}.log"
    ip.user_ns["LOG"] = str(log)
    line = (
        f"--strategy random --pruner median --trials 16 --seed 2 --maximize score --quiet "
        f"--storage {tmp_path / 'p.db'} --study {study} -o res --no-refit {extra}"
    )  # --no-refit: the log counts the epochs trials ran, and a re-run of the best would add to them
    ip.run_cell_magic("tune", line, CELL)
    ran = Counter(log.read_text().split("\n")[:-1])
    return ip.user_ns["res"], ran


def _check_pruned_stopped_early(res: Any, ran: Counter[str]) -> list[Any]:
    pruned = [t for t in res.trials if t.state.value == "pruned"]
    assert pruned, "no trial was pruned"
    for t in pruned:
        assert t.error.startswith("median pruner, step")
    # measured in the worker: the epochs each pruned configuration really trained
    early = [t for t in pruned if ran[repr((t.params["alpha"], t.params["eta0"]))] < 20]
    assert early, "every pruned trial trained all 20 epochs: the decision never reached a running trial"
    for t in early:
        assert ran[repr((t.params["alpha"], t.params["eta0"]))] == max(t.intermediate)  # stopped at its last report
    complete = [t for t in res.trials if t.state.value == "complete"]
    assert all(ran[repr((t.params["alpha"], t.params["eta0"]))] == 20 for t in complete)
    return pruned


@pytest.fixture
def shell(ip):  # type: ignore[no-untyped-def]
    ip.run_cell(SETUP).raise_error()
    ip.run_cell(HELPER).raise_error()
    return ip


def test_median_pruner_with_worker_processes_as_in_process(shell, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    inproc, ran_in = _run(shell, tmp_path, "", "inproc")
    pruned_in = _check_pruned_stopped_early(inproc, ran_in)
    res, ran = _run(shell, tmp_path, "--n-jobs 2", "jobs")
    pruned = _check_pruned_stopped_early(res, ran)
    assert {t.run.pid for t in res.trials} - {__import__("os").getpid()}  # ran in other processes
    # same configurations (seeded), decided on the reports that had arrived: a similar pruned count
    assert abs(len(pruned) - len(pruned_in)) <= 4, (len(pruned), len(pruned_in))
    # the worker's reports reached the study while the trials ran, and were recorded once
    assert all(sorted(t.intermediate) == list(range(1, len(t.intermediate) + 1)) for t in res.trials)


def test_hyperband_prunes_at_rung_ends_with_worker_processes(shell, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cell = CELL.replace("epochs = 20", "epochs = 9        # tune: resource(1, 9)")
    shell.user_ns["LOG"] = str(tmp_path / "hb.log")
    line = f"--strategy hyperband --seed 0 --maximize score --quiet --n-jobs 2 --storage {tmp_path / 'h.db'} -o res"
    shell.run_cell_magic("tune", line, cell)
    res = shell.user_ns["res"]
    pruned = [t for t in res.trials if t.state.value == "pruned"]
    assert pruned and all("promotion threshold" in t.error for t in pruned)
    assert all(t.info["rung"] < 2 for t in pruned)  # the top rung is never pruned
    assert res.best_trial.info["budget"] == 9


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address="127.0.0.1:0"
    ) as c:
        yield c


def test_median_pruner_on_dask(shell, tmp_path: Path, cluster: Any) -> None:  # type: ignore[no-untyped-def]
    import distributed

    with distributed.Client(cluster) as client:
        client.wait_for_workers(2, timeout=60)
        shell.user_ns["client"] = client
        res, ran = _run(shell, tmp_path, "--executor client", "dask")
        workers = {t.run.worker for t in res.trials}
    assert len(workers) == 2 and all(w.startswith("tcp://127.0.0.1") for w in workers)
    _check_pruned_stopped_early(res, ran)
