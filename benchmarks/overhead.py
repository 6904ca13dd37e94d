"""Per-trial overhead of ``%%tune`` on a trivial cell, beside Optuna, in one run.

    python benchmarks/overhead.py [--trials 1000] [--repeat 3] [--no-optuna]

jhpo: a real IPython shell runs ``%%tune --strategy random`` with durable SQLite storage and
the text progress bar on; ``Study.optimize`` alone, with SQLite and in memory, isolates the
durable path (what the storage costs per trial: numbering, syncing other writers, commits).
Optuna: ``study.optimize`` with RandomSampler, in memory and with SQLite storage. Each figure
is the median over ``--repeat`` runs of wall time / trials.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

CELL = "x = 0.5  # tune: uniform(0, 1)\ny = 3  # tune: integer(1, 10)\nscore = x * y\n"


def jhpo_magic(trials: int, folder: str) -> float:
    from IPython.testing.globalipapp import get_ipython, start_ipython

    ip = start_ipython() or get_ipython()
    ip.run_line_magic("load_ext", "jhpo")
    db = os.path.join(folder, f"jhpo-{time.monotonic_ns()}.db")
    with contextlib.redirect_stderr(io.StringIO()):  # the progress bar is on, its text goes nowhere
        t0 = time.perf_counter()
        r = ip.run_cell_magic("tune", f"--strategy random --trials {trials} --maximize score --storage {db}", CELL)
        elapsed = time.perf_counter() - t0
    assert len(r.trials) == trials
    return elapsed / trials


def jhpo_study(trials: int, folder: str, sqlite: bool) -> float:
    import jhpo

    storage = os.path.join(folder, f"study-{time.monotonic_ns()}.db") if sqlite else ":memory:"
    space = {"x": jhpo.uniform(0, 1), "y": jhpo.integer(1, 10)}
    t0 = time.perf_counter()
    study = jhpo.Study(space, strategy="random", seed=0, storage=storage)
    study.optimize(lambda t: t.params["x"] * t.params["y"], n_trials=trials)
    elapsed = time.perf_counter() - t0
    assert len(study.trials) == trials
    return elapsed / trials


def optuna_run(trials: int, folder: str, sqlite: bool) -> float:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = f"sqlite:///{folder}/optuna-{time.monotonic_ns()}.db" if sqlite else None

    def objective(trial: optuna.Trial) -> float:
        return trial.suggest_float("x", 0, 1) * trial.suggest_int("y", 1, 10)

    t0 = time.perf_counter()
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0), storage=storage)
    study.optimize(objective, n_trials=trials)
    return (time.perf_counter() - t0) / trials


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--trials", type=int, default=1000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--no-optuna", action="store_true", help="jhpo's own contenders only")
    p.add_argument("--out", default=str(Path(__file__).parent / "results" / "overhead.md"))
    args = p.parse_args()
    rows = {}
    with tempfile.TemporaryDirectory() as folder:
        runs = {
            "jhpo %%tune, SQLite, progress on": lambda: jhpo_magic(args.trials, folder),
            "jhpo Study.optimize, SQLite": lambda: jhpo_study(args.trials, folder, sqlite=True),
            "jhpo Study.optimize, memory": lambda: jhpo_study(args.trials, folder, sqlite=False),
        }
        try:
            import optuna  # noqa: F401

            if not args.no_optuna:
                runs["optuna in-memory"] = lambda: optuna_run(args.trials, folder, sqlite=False)
                runs["optuna SQLite"] = lambda: optuna_run(args.trials, folder, sqlite=True)
        except ImportError:
            print("optuna is not installed (pip install 'jhpo[bench]'): jhpo alone", file=sys.stderr)
        for _ in range(args.repeat):  # interleaved, so load changes hit every contender alike
            for name, run in runs.items():
                rows.setdefault(name, []).append(run())
    jhpo_ms = statistics.median(rows["jhpo %%tune, SQLite, progress on"]) * 1000
    lines = [
        f"# Per-trial overhead, {args.trials} trivial trials, median of {args.repeat} runs",
        "",
        "| contender | ms per trial | ratio to jhpo |",
        "| --- | ---: | ---: |",
    ]
    for name, vals in rows.items():
        ms = statistics.median(vals) * 1000
        lines.append(f"| {name} | {ms:.3f} | {ms / jhpo_ms:.1f}x |")
    text = "\n".join(lines) + "\n"
    print(text)
    Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
