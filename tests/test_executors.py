"""Parallel trials in real local worker processes (and generic executors)."""

from __future__ import annotations

import concurrent.futures as cf
import os
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import jhpo
from jhpo import executors
from jhpo.cell import TuneOptions, tune_cell
from jhpo.executors import ShippingError
from jhpo.trial import TrialState
from jhpo.worker import Blob, TaskSpec, run_trial


def _rebuild(log: str, payload: Any) -> Tracked:
    with open(log, "a") as f:  # one line per unpickling, from whichever process does it
        f.write(f"{os.getpid()}\n")
    return Tracked(log, payload)


class Tracked:
    """A large value that logs every time it is unpickled (importable by workers: tests.test_executors)."""

    def __init__(self, log: str, payload: Any) -> None:
        self.log, self.payload = log, payload

    def __reduce__(self) -> Any:
        return _rebuild, (self.log, self.payload)


def _opts(**kw: Any) -> TuneOptions:
    base: dict[str, Any] = dict(strategy="grid", storage=":memory:", quiet=True, seed=0, baseline=False)
    base.update(kw)
    return TuneOptions(**base)


@pytest.mark.slow
def test_python_api_runs_a_closure_in_two_processes_and_records_everything() -> None:
    shift = 1.0  # a closure: cloudpickle sends it by value

    def objective(trial: jhpo.Trial) -> float:
        x = trial.params["x"]
        print("x is", x)
        for step in range(3):
            jhpo.report(x + step, step)
        time.sleep(0.2)
        return -((x - shift) ** 2)

    study = jhpo.Study({"x": jhpo.uniform(-2, 2)}, strategy="random", seed=0, storage=":memory:")
    study.optimize(objective, n_trials=6, n_jobs=2)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 6
    assert study.stop_reason == "done"
    for t in study.trials:
        assert t.value == pytest.approx(-((t.params["x"] - shift) ** 2))
        assert t.stdout == f"x is {t.params['x']}\n"
        assert t.intermediate == {s: pytest.approx(t.params["x"] + s) for s in range(3)}
        assert t.run.worker.startswith("process ") and f"pid {t.run.pid}" in t.run.worker
    pids = {t.run.pid for t in study.trials}
    assert len(pids) == 2 and os.getpid() not in pids


class _Spy(jhpo.StudyObserver):
    def __init__(self) -> None:
        self.starts: list[tuple[int, str | None]] = []
        self.running_at_once = 0

    def on_trial_start(self, study: jhpo.Study, trial: jhpo.Trial) -> None:
        self.starts.append((trial.number, (trial.run.worker if trial.run else None)))
        self.running_at_once = max(self.running_at_once, sum(t.state is TrialState.RUNNING for t in study.trials))


@pytest.mark.slow
def test_cell_runs_in_processes_with_worker_shown_at_start_and_best_names_sent_back() -> None:
    src = (
        "k = 0  # tune: choice(0, 1, 2, 3)\n"
        "calls.append(k)\n"  # in a worker this touches the worker's copy only
        "import time; time.sleep(0.3)\n"
        "model = {'k': k, 'w': weights[k]}\n"
        "score = -abs(k - 2) + offset\n"
    )
    calls: list[int] = []
    ns: dict[str, Any] = {"calls": calls, "weights": [10, 11, 12, 13], "offset": 0.5}
    spy = _Spy()
    # --no-refit: the names the best trial set come back from its worker (the default re-runs it here).
    res = tune_cell(src, ns, _opts(objective="score", n_jobs=2, refit=False), observers=[spy])
    assert res is not None
    assert [t.state for t in res.trials] == [TrialState.COMPLETE] * 4
    assert res.best_params == {"k": 2} and res.best_value == 0.5
    # The panel learns the worker before the trial starts, and two trials run at once.
    assert all(w is not None and w.startswith("process ") for _, w in spy.starts)
    assert spy.running_at_once == 2
    # The best trial's names came back pickled: nothing re-ran in the notebook's process.
    assert calls == []
    assert ns["model"] == {"k": 2, "w": 12} and ns["score"] == 0.5 and ns["k"] == 2


@pytest.mark.slow
def test_a_killed_worker_fails_only_its_trial_and_the_search_goes_on() -> None:
    src = (
        "k = 0  # tune: choice(0, 1, 2, 3, 4, 5)\n"
        "import os, signal, time\n"
        "time.sleep(0.2)\n"
        "if k == 2:\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "score = k\n"
    )
    res = tune_cell(src, {}, _opts(objective="score", n_jobs=2))
    assert res is not None
    by_k = {t.params["k"]: t for t in res.trials}
    assert len(by_k) == 6
    dead = by_k[2]
    assert dead.state is TrialState.FAILED
    assert "died" in (dead.error or "") and "SIGKILL" in (dead.error or "")
    assert all(by_k[k].state is TrialState.COMPLETE for k in (0, 1, 3, 4, 5))
    assert res.best_value == 5 and res.study.stop_reason == "done"


@pytest.mark.slow
def test_trial_timeout_stops_the_slow_trial_and_replaces_its_worker() -> None:
    src = (
        "k = 0  # tune: choice(0, 1, 2, 3)\n"
        "import time\n"
        "if k == 1:\n"
        "    end = time.time() + 60\n"
        "    while time.time() < end:\n"  # busy, not sleeping: it has to be killed
        "        pass\n"
        "score = k\n"
    )
    t0 = time.monotonic()
    res = tune_cell(src, {}, _opts(objective="score", n_jobs=2, trial_timeout=2.0))
    elapsed = time.monotonic() - t0
    assert res is not None
    by_k = {t.params["k"]: t for t in res.trials}
    assert by_k[1].state is TrialState.FAILED
    assert "trial timeout of 2 s" in (by_k[1].error or "") and "replaced" in (by_k[1].error or "")
    assert all(by_k[k].state is TrialState.COMPLETE for k in (0, 2, 3))
    assert elapsed < 20
    _assert_process_ends(by_k[1])  # killed, not left spinning


def _assert_process_ends(trial: jhpo.Trial) -> None:
    pid = int(trial.run.worker.split("pid ")[1].rstrip(")"))
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    pytest.fail(f"the worker process {pid} of trial {trial.number} still runs")


@pytest.mark.slow
def test_trial_timeout_alone_runs_in_one_worker_process() -> None:
    study = jhpo.Study({"x": jhpo.uniform(0, 1)}, strategy="random", seed=0, storage=":memory:")
    study.optimize(lambda t: t.params["x"], n_trials=2, trial_timeout=30)
    assert {t.run.pid for t in study.trials} != {os.getpid()}
    assert executors.last_stats.backend == "processes" and executors.last_stats.workers == 1


@pytest.mark.slow
def test_large_values_are_sent_to_each_worker_once(tmp_path: Path) -> None:
    log = tmp_path / "loads.log"
    big = Tracked(str(log), np.arange(400_000, dtype=np.float64))  # 3.2 MB > LARGE
    src = (
        "k = 0  # tune: choice(0, 1, 2, 3, 4, 5, 6, 7)\n"
        "import os, time\n"
        "time.sleep(0.3)  # long enough that both workers get trials, even on a loaded machine\n"
        "total = float(big.payload[:10].sum()) + k + small\n"
        "pid = os.getpid()\n"
    )
    ns = {"big": big, "small": 1.0, "np": np}
    res = tune_cell(src, ns, _opts(objective="total", n_jobs=2))
    assert res is not None and all(t.state is TrialState.COMPLETE for t in res.trials)
    pids = [int(line) for line in log.read_text().split()]
    workers = {t.run.pid for t in res.trials}
    assert len(workers) == 2
    assert len(pids) == len(set(pids)) <= 2  # unpickled at most once in each worker, never per trial
    assert workers <= set(pids)
    stats = executors.last_stats
    assert set(stats.large) == {"big"} and stats.large["big"] > 3_000_000
    for sent in stats.sent.values():  # the big blob crossed to each process once, not 4 times
        assert stats.large["big"] < sent < 1.2 * stats.large["big"]


@pytest.mark.slow
def test_an_unpicklable_name_fails_before_any_trial_and_names_the_variable() -> None:
    src = "k = 0  # tune: choice(0, 1)\nwith lock:\n    score = k\n"
    ns = {"lock": threading.Lock()}
    with pytest.raises(ShippingError, match=r"`lock` \(lock\).*cannot pickle"):
        tune_cell(src, ns, _opts(objective="score", n_jobs=2, study="s"))
    # A name the cell makes itself is not needed from the notebook, even when it cannot be pickled.
    src2 = "k = 0  # tune: choice(0, 1)\nimport threading\nlock = threading.Lock()\nwith lock:\n    score = k\n"
    res = tune_cell(src2, dict(ns), _opts(objective="score", n_jobs=2, apply=False))
    assert res is not None and [t.state for t in res.trials] == [TrialState.COMPLETE] * 2


def test_a_name_missing_from_the_notebook_fails_the_trial_like_in_process() -> None:
    # No processes needed: a thread pool runs the same worker code.
    src = "k = 0  # tune: choice(0, 1, 2)\nscore = undefined_name + k\n"
    with cf.ThreadPoolExecutor(2) as pool:
        res = tune_cell(src, {}, _opts(objective="score", executor=pool))
    assert res is not None and res.study.stop_reason == "aborted"
    # A name no configuration can supply stops the search at the first failure (issue 12): only
    # the trials already in flight (2 threads) ran, the rest were never started.
    failed = [t for t in res.trials if t.state is TrialState.FAILED]
    assert failed and len(res.trials) <= 2
    assert all(t.state in (TrialState.FAILED, TrialState.INTERRUPTED) for t in res.trials)
    assert "line 2, in <module>" in failed[0].error and "NameError: name 'undefined_name'" in failed[0].error


def test_thread_pool_executor_captures_each_trials_output_apart() -> None:
    def objective(trial: jhpo.Trial) -> float:
        for _ in range(50):
            print(trial.number)
            time.sleep(0.001)
        return float(trial.number)

    study = jhpo.Study({"x": jhpo.uniform(0, 1)}, strategy="random", seed=0, storage=":memory:")
    with cf.ThreadPoolExecutor(3) as pool:
        study.optimize(objective, n_trials=6, executor=pool)
    import sys

    assert not hasattr(sys.stdout, "fallback")  # the per-thread capture was taken down again
    for t in study.trials:
        assert t.state is TrialState.COMPLETE
        assert t.stdout == f"{t.number}\n" * 50
        assert t.run.worker.startswith("ThreadPoolExecutor slot")


@pytest.mark.slow
def test_a_user_process_pool_executor_reads_large_data_from_a_file_once(tmp_path: Path) -> None:
    log = tmp_path / "loads.log"
    big = Tracked(str(log), np.zeros(300_000))
    study = jhpo.Study({"x": jhpo.uniform(0, 1)}, strategy="random", seed=0, storage=":memory:")
    with cf.ProcessPoolExecutor(2) as pool:
        study.optimize(lambda t: t.params["x"] + float(big.payload[0]), n_trials=6, executor=pool)
    assert all(t.state is TrialState.COMPLETE for t in study.trials)
    pids = [int(line) for line in log.read_text().split()]
    assert len(pids) == len(set(pids)) <= 2  # once per worker process


def test_a_worker_that_lost_its_cache_asks_for_the_data_again() -> None:
    spec = TaskSpec(key="spec-test-lost", kind="function", fn=lambda t: 1.0)
    msg = {"number": 0, "params": {}, "info": {}, "best": None, "spec": spec.key}
    assert run_trial(msg, {spec.key: Blob(spec.key)}) == {"missing": [spec.key]}
    import cloudpickle

    out = run_trial(msg, {spec.key: Blob(spec.key, cloudpickle.dumps(spec))})
    assert out["state"] == "complete" and out["value"] == 1.0 and out["loaded"] == [spec.key]
    assert run_trial(msg, {spec.key: Blob(spec.key)})["loaded"] == []  # memoized now


def test_bad_executor_values_are_refused() -> None:
    study = jhpo.Study({"x": jhpo.uniform(0, 1)}, strategy="random", seed=0, storage=":memory:")
    with pytest.raises(executors.ExecutorError, match="builtins.dict.*cannot run trials"):
        study.optimize(lambda t: 0.0, n_trials=1, executor={})
    with pytest.raises(ValueError, match="not both"):
        study.optimize(lambda t: 0.0, n_trials=1, executor=cf.ThreadPoolExecutor(1), n_jobs=2)
    assert study.trials == []


@pytest.mark.slow
def test_magic_with_n_jobs_through_a_real_ipython_shell(ip: Any) -> None:
    ip.run_cell(
        "import numpy as np\nX = np.arange(10.0)\nimport os\n"
        "def total(v):  # defined in the notebook: travels by value\n"
        "    return float(X[:v].sum())"
    )
    cell = "k = 1  # tune: integer(1, 4)\npid = os.getpid()\nimport time; time.sleep(0.3)\nscore = total(k)\n"
    line = "--n-jobs 2 --strategy grid --maximize score --quiet --storage :memory: --no-refit"
    result = ip.run_cell_magic("tune", line, cell)
    assert result.best_params == {"k": 4} and result.best_value == 6.0
    assert ip.user_ns["score"] == 6.0 and ip.user_ns["k"] == 4
    assert ip.user_ns["pid"] != os.getpid()  # --no-refit: the best names came from a worker, not a re-run here
    assert len({t.run.pid for t in result.trials}) == 2


def test_magic_executor_errors_are_usage_errors(ip: Any) -> None:
    from IPython.core.error import UsageError

    cell = "k = 1  # tune: integer(1, 4)\nscore = k\n"
    with pytest.raises(UsageError, match="no variable `pool`"):
        ip.run_cell_magic("tune", "--executor pool --maximize score --quiet --storage :memory:", cell)
    ip.user_ns["pool"] = 42
    with pytest.raises(UsageError, match="--executor pool: it holds a builtins.int"):
        ip.run_cell_magic("tune", "--executor pool --maximize score --quiet --storage :memory:", cell)
    ip.user_ns["lock"] = threading.Lock()
    ip.user_ns["pool"] = cf.ThreadPoolExecutor(1)
    with pytest.raises(UsageError, match="`lock`"):
        ip.run_cell_magic(
            "tune",
            "--n-jobs 2 --maximize score --quiet --storage :memory:",
            "k = 1  # tune: integer(1, 4)\nwith lock:\n    score = k\n",
        )
    ip.user_ns["pool"].shutdown()


def test_executors_import_neither_ipython_nor_dask() -> None:
    import subprocess
    import sys

    code = (
        "import sys, jhpo.executors, jhpo.worker\n"
        "print(','.join(m for m in ('IPython', 'ipywidgets', 'bqplot', 'dask', 'distributed') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_a_dask_address_without_dask_installed_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "distributed", None)  # what an environment without Dask looks like
    with pytest.raises(executors.ExecutorError, match=r"Dask is not installed.*pip install 'jhpo\[dask\]'"):
        executors.check_executor("tcp://127.0.0.1:8786")
    study = jhpo.Study({"x": jhpo.uniform(0, 1)}, strategy="random", seed=0, storage=":memory:")
    with pytest.raises(executors.ExecutorError, match=r"needs Dask.*pip install 'jhpo\[dask\]'|Dask is not installed"):
        study.optimize(lambda t: 0.0, n_trials=1, executor="tcp://127.0.0.1:8786")
    assert study.trials == []


class _StopAfterFirst(jhpo.StudyObserver):
    def on_trial_end(self, study: jhpo.Study, trial: jhpo.Trial) -> None:
        study.stop()


def test_stop_lets_the_running_trials_finish_and_starts_no_more() -> None:
    study = jhpo.Study({"x": jhpo.uniform(0, 1)}, strategy="random", seed=0, storage=":memory:")
    study.observers.append(_StopAfterFirst())

    def objective(trial: jhpo.Trial) -> float:
        time.sleep(0.1 * (trial.number + 1))
        return trial.params["x"]

    with cf.ThreadPoolExecutor(2) as pool:
        study.optimize(objective, n_trials=10, executor=pool)
    assert study.stop_reason == "stopped"
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 2  # the two in flight, no more


def test_a_generic_executor_fails_a_timed_out_trial_and_says_it_cannot_stop_it() -> None:
    study = jhpo.Study({"x": jhpo.uniform(0, 1)}, strategy="random", seed=0, storage=":memory:")

    def objective(trial: jhpo.Trial) -> float:
        time.sleep(1.5 if trial.number == 0 else 0.01)
        return trial.params["x"]

    with cf.ThreadPoolExecutor(2) as pool:
        study.optimize(objective, n_trials=3, executor=pool, trial_timeout=0.5)
    first = study.trials[0]
    assert first.state is TrialState.FAILED
    assert "trial timeout of 0.5 s" in (first.error or "") and "cannot stop a running call" in (first.error or "")
    assert [t.state for t in study.trials[1:]] == [TrialState.COMPLETE] * 2


class _CtrlCAfterFirst(jhpo.StudyObserver):
    fired = False

    def on_trial_end(self, study: jhpo.Study, trial: jhpo.Trial) -> None:
        if not self.fired:  # what the kernel's stop button does, once, between two trials
            self.fired = True
            raise KeyboardInterrupt


@pytest.mark.slow
def test_interrupting_marks_running_trials_interrupted_and_stops_their_processes() -> None:
    study = jhpo.Study({"x": jhpo.uniform(0, 1)}, strategy="random", seed=0, storage=":memory:")
    study.observers.append(_CtrlCAfterFirst())

    def objective(trial: jhpo.Trial) -> float:
        end = time.time() + (2.0 if trial.number == 0 else 30)  # long enough for both workers to start
        while time.time() < end:
            pass
        return 1.0

    t0 = time.monotonic()
    study.optimize(objective, n_trials=4, n_jobs=2)
    assert time.monotonic() - t0 < 15
    assert study.stop_reason == "interrupted"
    assert [t.state for t in study.trials] == [TrialState.COMPLETE, TrialState.INTERRUPTED]
    assert study.trials[1].error == "interrupted by the user"
    _assert_process_ends(study.trials[1])


def test_when_the_best_names_are_too_big_to_send_the_notebook_reruns_the_best(monkeypatch: pytest.MonkeyPatch) -> None:
    import jhpo.worker

    monkeypatch.setattr(jhpo.worker, "NAMES_LIMIT", 0)  # a thread pool runs the worker code in this process
    calls: list[int] = []
    src = "k = 0  # tune: choice(0, 1, 2)\ncalls.append(k)\nscore = k\n"
    with cf.ThreadPoolExecutor(2) as pool:
        res = tune_cell(src, {"calls": calls}, _opts(objective="score", executor=pool))
    assert res is not None and res.best_params == {"k": 2}
    assert "MB pickled" in res.best_trial.run.names_not_sent
    # Trials ran on the workers' copies of the notebook's names (a thread pool too, since issue 12:
    # every executor gets the same replica); the notebook's own list saw only the re-run of the best.
    assert calls == [2]
