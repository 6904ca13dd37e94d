"""Trials on a real Dask LocalCluster (two worker processes with nannies, on 127.0.0.1)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import jhpo
from jhpo import executors
from jhpo.cell import TuneOptions, tune_cell
from jhpo.trial import TrialState
from tests.test_executors import Tracked, _Spy

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address="127.0.0.1:0"
    ) as c:
        yield c


@pytest.fixture
def client(cluster: Any) -> Iterator[Any]:
    with distributed.Client(cluster) as c:
        c.wait_for_workers(2, timeout=60)  # a test before may have had a worker restarted
        yield c


def _opts(**kw: Any) -> TuneOptions:
    base: dict[str, Any] = dict(strategy="grid", storage=":memory:", quiet=True, seed=0, baseline=False)
    base.update(kw)
    return TuneOptions(**base)


def test_cell_on_dask_ships_large_data_once_per_worker_and_records_everything(client: Any, tmp_path: Path) -> None:
    log = tmp_path / "loads.log"
    big = Tracked(str(log), np.arange(300_000, dtype=np.float64))  # 2.4 MB: scattered, not sent per trial
    src = (
        "k = 0  # tune: choice(0, 1, 2, 3, 4, 5)\n"
        "calls.append(k)\n"
        "import time; time.sleep(0.3)\n"
        "print('k is', k)\n"
        "jhpo.report(k / 2, step=0)\n"
        "model = {'k': k}\n"
        "score = float(big.payload[k]) + offset\n"
    )
    calls: list[int] = []
    ns = {"big": big, "offset": 0.5, "calls": calls, "jhpo": jhpo}
    spy = _Spy()
    res = tune_cell(src, ns, _opts(objective="score", executor=client, refit=False), observers=[spy])
    assert res is not None and [t.state for t in res.trials] == [TrialState.COMPLETE] * 6
    workers = set(client.nthreads())
    assert all(w in workers for _, w in spy.starts)  # the panel is told the worker before the trial starts
    assert spy.running_at_once == 2
    for t in res.trials:
        assert t.run.worker in workers
        assert t.stdout == f"k is {t.params['k']}\n"
        assert t.intermediate == {0: t.params["k"] / 2}
    pids = [int(line) for line in log.read_text().split()]
    assert sorted(pids) == sorted({t.run.pid for t in res.trials})  # one unpickling per worker
    assert len(pids) == 2
    assert res.best_params == {"k": 5} and ns["score"] == 5.5 and ns["model"] == {"k": 5}
    assert calls == []  # --no-refit: the best names came back from the worker; nothing re-ran here
    assert executors.last_stats.backend == "dask"


def test_a_killed_dask_worker_fails_only_its_trial(client: Any) -> None:
    src = (
        "k = 0  # tune: choice(0, 1, 2, 3, 4, 5)\n"
        "import os, signal, time\n"
        "time.sleep(0.3)\n"
        "if k == 2:\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "score = k\n"
    )
    res = tune_cell(src, {}, _opts(objective="score", executor=client))
    assert res is not None
    by_k = {t.params["k"]: t for t in res.trials}
    assert len(by_k) == 6
    assert by_k[2].state is TrialState.FAILED and "left the cluster" in (by_k[2].error or "")
    assert all(by_k[k].state is TrialState.COMPLETE for k in (0, 1, 3, 4, 5))
    assert res.study.stop_reason == "done"


def test_trial_timeout_on_dask_cancels_and_restarts_the_worker(client: Any) -> None:
    src = (
        "k = 0  # tune: choice(0, 1, 2, 3)\n"
        "import time\n"
        "if k == 1:\n"
        "    end = time.time() + 60\n"
        "    while time.time() < end:\n"
        "        pass\n"
        "score = k\n"
    )
    t0 = time.monotonic()
    res = tune_cell(src, {}, _opts(objective="score", executor=client, trial_timeout=2))
    assert time.monotonic() - t0 < 30
    assert res is not None
    by_k = {t.params["k"]: t for t in res.trials}
    slow = by_k[1]
    assert slow.state is TrialState.FAILED and "trial timeout of 2 s" in (slow.error or "")
    assert all(by_k[k].state is TrialState.COMPLETE for k in (0, 2, 3))
    deadline = time.monotonic() + 20  # the busy worker is replaced by a fresh one
    while slow.run.worker in client.nthreads() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert slow.run.worker not in client.nthreads()


def test_python_api_function_on_dask_executor_view(client: Any) -> None:
    factor = 3.0

    def objective(trial: jhpo.Trial) -> float:
        return factor * trial.params["x"]

    study = jhpo.Study({"x": jhpo.uniform(0, 1)}, strategy="random", seed=0, storage=":memory:")
    study.optimize(objective, n_trials=4, executor=client.get_executor())  # the concurrent.futures view
    assert all(t.state is TrialState.COMPLETE for t in study.trials)
    assert all(t.value == pytest.approx(factor * t.params["x"]) for t in study.trials)
    assert executors.last_stats.backend == "dask"


def test_magic_with_executor_through_a_real_ipython_shell(ip: Any, client: Any) -> None:
    ip.user_ns["dask_client"] = client
    ip.run_cell("import numpy as np\nX = np.arange(10.0)")
    cell = "k = 1  # tune: integer(1, 4)\nscore = float(X[:k].sum())\n"
    result = ip.run_cell_magic(
        "tune",
        "--executor dask_client --strategy grid --maximize score --quiet --storage :memory: --trial-timeout 30",
        cell,
    )
    assert result.best_params == {"k": 4} and ip.user_ns["score"] == 6.0
    assert {t.run.worker for t in result.trials} <= set(client.nthreads())
