"""Multi-objective benchmark: hypervolume after N trials, jhpo against Optuna's NSGA-II and TPE.

Problems (every objective minimized here; the hypervolume is of the losses):

- ZDT1 and ZDT2 in 5 dimensions (Zitzler, Deb & Thiele 2000; convex and concave fronts),
  reference point (1.1, 10);
- a real trade-off: a random forest on scikit-learn's bundled breast-cancer data,
  1 - 3-fold CV accuracy against the model's size (log10 of its tree nodes, summed
  over the trees; a deterministic stand-in for fit time, which on a shared machine
  is too noisy to compare ten seeds by), reference point (0.2, 4).

Every method gets the same budget (60 trials, hypervolume also read after the first
30), the same seeds (0..9) and the same reference point; methods run with their
defaults (jhpo's genetic strategy is told the budget, as ``--trials`` tells it).
Reported: mean hypervolume over seeds with a 95 % t-interval.

    /work/venvs/bench/bin/python benchmarks/multiobjective.py            # writes benchmarks/results/multiobjective.md
    /work/venvs/bench/bin/python benchmarks/multiobjective.py --seeds 2 --problems zdt1 --out -

Needs optuna (the bench venv has it); jhpo itself does not.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

import jhpo
from jhpo.pareto import hypervolume

BUDGETS = (30, 60)
METHODS = ("random", "sobol", "genetic", "bayes", "optuna-nsga2", "optuna-tpe")


@dataclass
class Problem:
    name: str
    space: dict[str, Any]
    fn: Callable[[dict[str, Any]], tuple[float, float]]
    reference: tuple[float, float]
    about: str


def _zdt(p: dict[str, Any], concave: bool) -> tuple[float, float]:
    x = np.array([p[f"x{i}"] for i in range(5)])
    f1 = float(x[0])
    g = 1 + 9 * float(np.mean(x[1:]))
    h = 1 - (f1 / g) ** 2 if concave else 1 - math.sqrt(f1 / g)
    return f1, g * h


_DATA: Any = None


def forest(p: dict[str, Any]) -> tuple[float, float]:
    global _DATA
    from sklearn.datasets import load_breast_cancer
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.model_selection import cross_validate

    if _DATA is None:
        _DATA = load_breast_cancer(return_X_y=True)
    X, y = _DATA
    model = RandomForestClassifier(
        n_estimators=p["n_estimators"],
        max_depth=p["max_depth"],
        min_samples_leaf=p["min_samples_leaf"],
        max_features=p["max_features"],
        random_state=0,
        n_jobs=1,
    )
    cv = cross_validate(model, X, y, cv=3, return_estimator=True)
    nodes = np.mean([sum(t.tree_.node_count for t in m.estimators_) for m in cv["estimator"]])
    return 1.0 - float(np.mean(cv["test_score"])), math.log10(nodes)


ZDT_SPACE = {f"x{i}": jhpo.uniform(0, 1) for i in range(5)}
PROBLEMS = {
    "zdt1": Problem("zdt1", ZDT_SPACE, lambda p: _zdt(p, False), (1.1, 10.0), "ZDT1, 5-D, convex front"),
    "zdt2": Problem("zdt2", ZDT_SPACE, lambda p: _zdt(p, True), (1.1, 10.0), "ZDT2, 5-D, concave front"),
    "forest": Problem(
        "forest",
        {
            "n_estimators": jhpo.integer(1, 64, log=True),
            "max_depth": jhpo.integer(1, 12),
            "min_samples_leaf": jhpo.integer(1, 20),
            "max_features": jhpo.uniform(0.05, 1.0),
        },
        forest,
        (0.2, 4.0),
        "random forest on breast cancer: 1 - CV accuracy vs log10(tree nodes)",
    ),
}


def true_front_hv(problem: str) -> float | None:
    """The hypervolume of the true front (ZDT): the most any method can reach."""
    if not problem.startswith("zdt"):
        return None
    f1 = np.linspace(0, 1, 20001)
    f2 = 1 - (f1**2 if problem == "zdt2" else np.sqrt(f1))
    return hypervolume(np.stack([f1, f2], axis=1), PROBLEMS[problem].reference)


def run_jhpo(problem: Problem, method: str, seed: int, n: int) -> list[list[float] | None]:
    strategy: Any = method
    if method == "ehvi":  # the experimental acquisition, against ParEGO (bayes)
        from jhpo.strategies.ehvi import EHVIStrategy

        strategy = EHVIStrategy(jhpo.Space(problem.space), seed=seed, directions=("minimize", "minimize"))
    study = jhpo.Study(
        problem.space,
        strategy=strategy,
        direction=["minimize", "minimize"],
        seed=seed,
        storage=":memory:",
        strategy_options={"n_trials": n},
    )
    study.optimize(lambda t: problem.fn(t.params), n_trials=n)
    return [list(t.values) if t.values else None for t in study.trials]


def run_optuna(problem: Problem, method: str, seed: int, n: int) -> list[list[float] | None]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    sampler = (
        optuna.samplers.NSGAIISampler(seed=seed) if method == "optuna-nsga2" else optuna.samplers.TPESampler(seed=seed)
    )
    study = optuna.create_study(directions=["minimize", "minimize"], sampler=sampler)

    def objective(trial: Any) -> tuple[float, float]:
        params = {}
        for name, d in problem.space.items():
            if isinstance(d, jhpo.space.Int):
                params[name] = trial.suggest_int(name, d.low, d.high, log=d.log)
            else:
                params[name] = trial.suggest_float(name, d.low, d.high)
        return problem.fn(params)

    study.optimize(objective, n_trials=n)
    return [list(t.values) if t.values else None for t in study.trials]


def hv_after(values: list[list[float] | None], n: int, reference: tuple[float, float]) -> float:
    pts = np.array([v for v in values[:n] if v is not None], dtype=float).reshape(-1, 2)
    return hypervolume(pts, reference)


def mean_ci(xs: list[float]) -> tuple[float, float]:
    a = np.asarray(xs, dtype=float)
    if len(a) < 2:
        return float(a.mean()), 0.0
    return float(a.mean()), float(stats.t.ppf(0.975, len(a) - 1) * a.std(ddof=1) / math.sqrt(len(a)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--problems", nargs="+", default=list(PROBLEMS))
    ap.add_argument("--methods", default=",".join(METHODS), help="also: ehvi (MC expected hypervolume improvement)")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--out", default="benchmarks/results/multiobjective.md")
    ap.add_argument("--raw", default="benchmarks/results/raw/multiobjective.json")
    args = ap.parse_args()
    n = max(BUDGETS)
    raw: dict[str, Any] = {}
    seconds: dict[tuple[str, str], float] = {}
    for pname in args.problems:
        problem = PROBLEMS[pname]
        for method in args.methods.split(","):
            t0 = time.perf_counter()
            for seed in range(args.seeds):
                run = run_optuna if method.startswith("optuna") else run_jhpo
                raw[f"{pname}/{method}/{seed}"] = run(problem, method, seed, n)
            seconds[(pname, method)] = (time.perf_counter() - t0) / args.seeds
            print(f"{pname} {method}: {seconds[(pname, method)]:.1f} s per run", file=sys.stderr, flush=True)
    lines = [
        "# Multi-objective search: hypervolume after N trials",
        "",
        f"Generated by `benchmarks/multiobjective.py`: {args.seeds} seeds, mean hypervolume ± 95 % CI "
        "(t-interval), larger is better. Same budget, seeds and reference point for every method; "
        "methods at their defaults (jhpo's genetic told the 60-trial budget; Optuna 5.0 NSGAIISampler "
        "(population 50) and TPESampler). jhpo bayes with several objectives is ParEGO.",
        "",
    ]
    for pname in args.problems:
        problem = PROBLEMS[pname]
        best = true_front_hv(pname)
        lines += [f"## {pname}: {problem.about}", "", f"Reference point {problem.reference}."]
        if best is not None:
            lines.append(f"Hypervolume of the true front: {best:.4f}.")
        lines += ["", "| method | " + " | ".join(f"HV @{b}" for b in BUDGETS) + " | s / run |", "|---" * 4 + "|"]
        for method in args.methods.split(","):
            cells = []
            for b in BUDGETS:
                m, ci = mean_ci(
                    [hv_after(raw[f"{pname}/{method}/{s}"], b, problem.reference) for s in range(args.seeds)]
                )
                cells.append(f"{m:.4f} ± {ci:.4f}")
            lines.append(f"| {method} | " + " | ".join(cells) + f" | {seconds[(pname, method)]:.1f} |")
        lines.append("")
    text = "\n".join(lines)
    if args.out == "-":
        print(text)
    else:
        Path(args.out).write_text(text + "\n")
        Path(args.raw).parent.mkdir(parents=True, exist_ok=True)
        Path(args.raw).write_text(json.dumps(raw))
        print(text)


if __name__ == "__main__":
    main()
