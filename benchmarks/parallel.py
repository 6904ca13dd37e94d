"""Throughput of parallel trials, and how often a large array crosses to the workers.

Run from the repository root::

    python benchmarks/parallel.py                      # 8 trials per mode, a 100 MB array
    python benchmarks/parallel.py --trials 12 --out benchmarks/results/parallel.md

Part 1: trials of about one second of pure-Python busy work (calibrated in this
process first; a fixed amount of work, not a fixed time, so a busy machine
shows up as lower throughput) through ``tune_cell``, i.e. what ``%%tune``
runs: serially in this process, then with 1 and 2 local worker processes
(``--n-jobs``) and on a Dask LocalCluster of 1 and 2 single-thread workers
(``--executor``). Throughput is trials per second from the first trial's
start to the last trial's end (worker start-up excluded; it is shown apart as
the end-to-end wall time). The machine's CPU use by everyone during each mode
comes from /proc/stat, so a run disturbed by other work can be recognised.

Part 2: a cell reads a 100 MB numpy array from the notebook; 8 trials on 2
processes and on 2 Dask workers. The array is wrapped so that every
unpickling appends the process id to a log file: "once per worker" is a
count, not an assumption. The bytes jhpo sent to each process come from
``jhpo.executors.last_stats``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from typing import Any

import numpy as np

import jhpo
from jhpo import executors
from jhpo.cell import TuneOptions, tune_cell

CELL = "k = 0  # tune: integer(0, 1000)\nx = 0\nfor i in range(N):\n    x += i\nscore = k + 0 * x\n"


def spin(n: int) -> None:
    # The loop as the cell runs it: module-level code on a dict namespace (slower than a function's locals).
    exec(_LOOP, {"N": n})


_LOOP = compile("x = 0\nfor i in range(N):\n    x += i\n", "<loop>", "exec")


def calibrate(seconds: float = 1.0) -> int:
    """Loop count that takes ``seconds`` here (the fastest of a few tries, as timeit does)."""
    end = time.perf_counter() + 1.0
    while time.perf_counter() < end:  # let the CPU leave its idle clock before timing
        spin(100_000)
    n = 3_000_000
    best = min(_timed(spin, n) for _ in range(3))
    return int(n * seconds / best)


def _timed(fn: Any, *args: Any) -> float:
    t0 = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t0


def _cpu() -> tuple[float, float]:
    with open("/proc/stat") as f:
        parts = [float(v) for v in f.readline().split()[1:]]
    idle = parts[3] + parts[4]
    return sum(parts), idle


def _busy_since(start: tuple[float, float]) -> float:
    total, idle = _cpu()
    dt = total - start[0]
    return 100.0 * (1 - (idle - start[1]) / dt) if dt else float("nan")


def run_mode(name: str, n: int, trials: int, **opts: Any) -> dict[str, Any]:
    cpu0, t0, own0 = _cpu(), time.perf_counter(), time.process_time()
    res = tune_cell(
        CELL,
        {"N": n},
        TuneOptions(
            strategy="random",
            trials=trials,
            seed=0,
            storage=":memory:",
            quiet=True,
            baseline=False,
            objective="score",
            **opts,
        ),
    )
    wall = time.perf_counter() - t0
    busy = _busy_since(cpu0)
    own = time.process_time() - own0
    assert res is not None
    done = [t for t in res.trials if t.state is jhpo.TrialState.COMPLETE]
    assert len(done) == trials, [t.error for t in res.trials if t.error]
    span = max(t.datetime_end for t in done) - min(t.datetime_start for t in done)  # type: ignore[type-var,operator]
    # CPU seconds the trials got (workers report theirs; serially it is this process's own):
    # divided by the span, how many CPUs the search was granted while others used the machine.
    worked = sum((t.run.cpu_seconds or 0.0) if t.run else 0.0 for t in done)
    cpu = worked if "n_jobs" in opts or "executor" in opts else own
    return {
        "mode": name,
        "trials": trials,
        "span": span,
        "wall": wall,
        "tput": trials / span,
        "cpu": busy,
        "load": os.getloadavg()[0],
        "granted": cpu / span,
        "per_cpu": trials / cpu,
    }


def _rebuild(log: str, payload: Any) -> Any:
    with open(log, "a") as f:
        f.write(f"{os.getpid()}\n")
    return _Logged(log, payload)


class _Logged:
    def __init__(self, log: str, payload: Any) -> None:
        self.log, self.payload = log, payload

    def __reduce__(self) -> Any:
        return _rebuild, (self.log, self.payload)


BIG_CELL = (  # the sleep keeps both workers busy, so each one needs the array
    "k = 0  # tune: integer(0, 1000)\nimport time; time.sleep(0.5)\nscore = float(big.payload[k::100_000].sum())\n"
)


def ship_once(size_mb: int, trials: int, client: Any | None) -> dict[str, Any]:
    log = tempfile.mktemp(prefix="jhpo-bench-loads-")
    big = _Logged(log, np.random.default_rng(0).random(size_mb * 2**20 // 8))
    opts: dict[str, Any] = {"executor": client} if client is not None else {"n_jobs": 2}
    t0 = time.perf_counter()
    res = tune_cell(
        BIG_CELL,
        {"big": big},
        TuneOptions(
            strategy="random",
            trials=trials,
            seed=0,
            storage=":memory:",
            quiet=True,
            baseline=False,
            objective="score",
            **opts,
        ),
    )
    wall = time.perf_counter() - t0
    assert res is not None and all(t.state is jhpo.TrialState.COMPLETE for t in res.trials)
    with open(log) as f:
        pids = [int(line) for line in f.read().split()]
    os.unlink(log)
    stats = executors.last_stats
    workers = sorted({t.run.pid for t in res.trials})
    per_worker = {p: pids.count(p) for p in sorted(set(pids) | set(workers))}
    return {
        "mode": "Dask, 2 workers" if client is not None else "2 processes",
        "trials": trials,
        "pickled_mb": stats.large["big"] / 2**20,
        "unpickled": per_worker,
        "sent_mb": {k: v / 2**20 for k, v in stats.sent.items()},
        "wall": wall,
        "naive_mb": trials * stats.large["big"] / 2**20,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=8)
    ap.add_argument("--size-mb", type=int, default=100)
    ap.add_argument("--no-dask", action="store_true")
    ap.add_argument("--quick", action="store_true", help="serial, 2 processes and 2 Dask workers only; no 100 MB part")
    ap.add_argument("--out", help="also write the markdown table here")
    args = ap.parse_args()

    n = calibrate()
    print(f"calibrated: {n} loop steps take ~1 s here; load average {os.getloadavg()}", flush=True)
    rows = [run_mode("serial (in process)", n, args.trials)]
    print(rows[-1], flush=True)
    for jobs in (2,) if args.quick else (1, 2):
        rows.append(
            run_mode(f"{jobs} process{'es' if jobs > 1 else ''} (--n-jobs {jobs})", n, args.trials, n_jobs=jobs)
        )
        print(rows[-1], flush=True)
    ships = [] if args.quick else [ship_once(args.size_mb, args.trials, None)]
    if ships:
        print(ships[-1], flush=True)
    if not args.no_dask:
        from distributed import Client, LocalCluster

        for workers in (2,) if args.quick else (1, 2):
            with (
                LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address="127.0.0.1:0",
                ) as cluster,
                Client(cluster) as client,
            ):
                rows.append(
                    run_mode(
                        f"Dask, {workers} worker{'s' if workers > 1 else ''} (--executor)",
                        n,
                        args.trials,
                        executor=client,
                    )
                )
                print(rows[-1], flush=True)
                if workers == 2 and not args.quick:
                    ships.append(ship_once(args.size_mb, args.trials, client))
                    print(ships[-1], flush=True)

    serial = rows[0]["tput"]
    lines = [
        f"Trials: {args.trials} per mode, each ~1 s of busy Python ({n} loop steps, calibrated in the main "
        f"process). {os.cpu_count()} CPUs.",
        "",
        "| mode | trials/s | × serial | first start → last end (s) | wall incl. start-up (s) | CPUs granted "
        "| trials per CPU-second | machine CPU busy | load avg (1 min) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r['mode']} | {r['tput']:.3f} | {r['tput'] / serial:.2f} | {r['span']:.2f} | "
            f"{r['wall']:.2f} | {r['granted']:.2f} | {r['per_cpu']:.3f} | {r['cpu']:.0f}% | {r['load']:.2f} |"
        )
    lines += [
        "",
        f"A {args.size_mb} MB array read by the cell, {args.trials} trials:",
        "",
        "| mode | pickled size (MB) | unpickled per worker pid | MB jhpo sent | naive per-trial sending (MB) "
        "| wall (s) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for s in ships:
        sent = ", ".join(f"{k}: {v:.1f}" for k, v in s["sent_mb"].items())
        lines.append(
            f"| {s['mode']} | {s['pickled_mb']:.1f} | {s['unpickled']} | {sent} | {s['naive_mb']:.0f} | "
            f"{s['wall']:.2f} |"
        )
    table = "\n".join(lines)
    print("\n" + table)
    if args.out:
        with open(args.out, "w") as f:
            f.write(table + "\n")


if __name__ == "__main__":
    sys.exit(main())
