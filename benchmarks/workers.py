"""What a search pays for running trials as the cell runs by hand (issue 12): warm workers, thread
limits, and the re-run of the best configuration.

Run from the repository root::

    python benchmarks/workers.py                   # prints a Markdown report
    python benchmarks/workers.py --out benchmarks/results/workers.md

Part 1, warm workers: 8 trials of about 0.6 s of pure-Python CPU work (calibrated here first) through
``tune_cell`` serially in this process, then twice with ``n_jobs=2``: the first search starts the
worker processes (cold), the second finds them warm. The figure is the speed-up over the serial run,
end to end (what the user waits for), median of ``--repeat`` runs.

Part 2, thread limits: a CPU-bound numpy cell (matrix products; BLAS threads) and, when torch is
installed, a torch cell. Per-trial seconds in this process, in 2 workers with jhpo's limit
(cores / workers threads each), and in 2 workers with the limit lifted (``JHPO_WORKER_THREADS`` =
cores), so oversubscription shows up as a slower trial.

Part 3, the re-run of the best configuration: its seconds next to one trial's, for the cell of part 1.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any

from jhpo import executors
from jhpo.cell import TuneOptions, tune_cell

BUSY = "k = 0  # tune: integer(0, 1000)\nx = 0\nfor i in range(N):\n    x += i\nscore = k + 0 * x\n"
NUMPY = (
    "import numpy as np\nk = 0  # tune: integer(0, 1000)\nrng = np.random.default_rng(k)\n"
    "a = rng.standard_normal((700, 700))\nfor _ in range(REPS):\n    a = np.tanh(a @ a.T / 700)\n"
    "score = float(a[0, 0])\n"
)
TORCH = (
    "import torch\nk = 0  # tune: integer(0, 1000)\ntorch.manual_seed(k)\n"
    "a = torch.randn(700, 700)\nfor _ in range(REPS):\n    a = torch.tanh(a @ a.T / 700)\nscore = float(a[0, 0])\n"
)


def _opts(**kw: Any) -> TuneOptions:
    base: dict[str, Any] = dict(
        strategy="random", storage=":memory:", quiet=True, seed=0, baseline=False, trials=8, objective="score"
    )
    base.update(kw)
    return TuneOptions(**base)


def _calibrate(seconds: float) -> int:
    n = 200_000
    while True:
        t0 = time.process_time()
        x = 0
        for i in range(n):
            x += i
        took = time.process_time() - t0
        if took > 0.1:
            return int(n * seconds / took)
        n *= 2


def _search(cell: str, ns: dict[str, Any], **kw: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    res = tune_cell(cell, ns, _opts(**kw))
    return time.perf_counter() - t0, res


def warm_workers(repeat: int) -> list[str]:
    n = _calibrate(0.6)
    rows = []
    for _ in range(repeat):
        executors.POOL.shutdown()
        serial, _ = _search(BUSY, {"N": n})
        cold, _ = _search(BUSY, {"N": n}, n_jobs=2)
        warm, res = _search(BUSY, {"N": n}, n_jobs=2)
        serial_nr, _ = _search(BUSY, {"N": n}, refit=False)
        warm_nr, _ = _search(BUSY, {"N": n}, n_jobs=2, refit=False)
        rows.append((serial, cold, warm, res.refit["seconds"], serial_nr, warm_nr))
    med = [statistics.median(r[i] for r in rows) for i in range(6)]
    return [
        "## Warm workers (8 trials of about 0.6 s CPU, 2 workers, end to end)",
        "",
        f"| run | seconds (median of {repeat}) | speed-up over serial |",
        "| --- | ---: | ---: |",
        f"| serial, in process | {med[0]:.2f} | 1.00 |",
        f"| n_jobs=2, first search (starts the workers) | {med[1]:.2f} | {med[0] / med[1]:.2f} |",
        f"| n_jobs=2, next search (warm workers) | {med[2]:.2f} | {med[0] / med[2]:.2f} |",
        f"| serial, --no-refit | {med[4]:.2f} | 1.00 |",
        f"| n_jobs=2 warm, --no-refit | {med[5]:.2f} | {med[4] / med[5]:.2f} |",
        "",
        "The re-run of the best configuration (the default) runs in the notebook after the search, so it",
        "is serial in both columns: with it, 8 trials on 2 workers can at best be (8 + 1) / (4 + 1) = 1.8x.",
        "",
        f"Re-run of the best configuration after the search: {med[3]:.2f} s (one trial in process: "
        f"{med[4] / 8:.2f} s; the cell's loop runs on module globals, slower than the calibration's locals).",
        "",
    ]


def _per_trial(cell: str, reps: int, **kw: Any) -> tuple[float, float]:
    """Median seconds per trial, and the search's wall time (8 trials, no re-run)."""
    wall, res = _search(cell, {"REPS": reps}, refit=False, **kw)
    secs = [(t.run.seconds if t.run else None) or (t.datetime_end - t.datetime_start) for t in res.trials]
    return statistics.median(secs), wall


def thread_limits(reps: int) -> list[str]:
    cores = os.cpu_count() or 1
    cells = [("numpy", NUMPY)]
    try:
        import torch  # noqa: F401

        cells.append(("torch", TORCH))
    except ImportError:
        pass
    lines = [
        f"## Thread limits (per-trial seconds, median of 8 trials; {cores} cores)",
        "",
        "| cell | in process | 2 workers, jhpo's limit | 2 workers, no limit | 8 trials wall: in process / "
        "limited / unlimited |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, cell in cells:
        _per_trial(cell, reps)  # warm-up: the library imported here too
        inproc = _per_trial(cell, reps)
        executors.POOL.shutdown()
        _per_trial(cell, reps, n_jobs=2)  # warm-up: the workers start and import the library once
        limited = _per_trial(cell, reps, n_jobs=2)
        executors.POOL.shutdown()
        os.environ["JHPO_WORKER_THREADS"] = str(cores)
        try:
            _per_trial(cell, reps, n_jobs=2)
            unlimited = _per_trial(cell, reps, n_jobs=2)
        finally:
            del os.environ["JHPO_WORKER_THREADS"]
            executors.POOL.shutdown()
        lines.append(
            f"| {name} | {inproc[0]:.3f} | {limited[0]:.3f} | {unlimited[0]:.3f} | "
            f"{inproc[1]:.2f} / {limited[1]:.2f} / {unlimited[1]:.2f} s |"
        )
    lines += [
        "",
        "In process a trial has every core for its BLAS/torch threads; in 2 workers each has its share, so",
        "one trial takes longer but two run at once (the wall column). Without the limit each worker",
        "starts a thread per core and they fight over the cores (oversubscription).",
    ]
    return [*lines, ""]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--reps", type=int, default=20, help="matrix products per numpy/torch trial")
    ap.add_argument("--out")
    args = ap.parse_args()
    report = "\n".join(
        [
            "# Workers: warm start, thread limits, re-run of the best",
            "",
            *warm_workers(args.repeat),
            *thread_limits(args.reps),
        ]
    )
    print(report)
    if args.out:
        with open(args.out, "w") as f:
            f.write(report + "\n")


if __name__ == "__main__":
    main()
