"""Quality benchmark of ``--strategy genetic`` against random and Sobol search.

For each problem, budget (30, 60, 100 trials) and seed, every strategy runs a
fresh study; the genetic strategy is told the budget (``n_trials``), as the
``%%tune`` magic tells it ``--trials``. Reported per problem and budget: the
mean over seeds of the best value found, and a normalized score where random
search's mean best is 0 and the best value ever found on that problem (by any
run) is 100.

    python benchmarks/genetic.py                      # everything, writes benchmarks/results/genetic.md
    python benchmarks/genetic.py --quick              # fewer seeds, synthetic problems only
    python benchmarks/genetic.py --problems branin --seeds 5 --out -
    python benchmarks/genetic.py --methods random,genetic,bayes --problems branin hartmann6 mixed \
        --budgets 30 60 --seeds 8 --append     # the comparison with bayes, appended to the results

Run time: about three minutes on two cores (``--n-jobs 2``).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import jhpo

BUDGETS = (30, 60, 100)
STRATEGIES = ("random", "sobol", "genetic")


@dataclass
class Problem:
    name: str
    space: dict[str, Any]
    fn: Callable[[dict[str, Any]], float]  # to minimize
    seeds: int
    about: str


# -- synthetic functions (all minimized) ------------------------------------------------

# Branin and Hartmann-6 are the quality benchmark's own (benchmarks/problems.py), not copies.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from problems import _branin as branin  # noqa: E402
from problems import _hartmann6 as hartmann6  # noqa: E402


def rosenbrock5(p: dict[str, Any]) -> float:
    x = np.array([p[f"x{i}"] for i in range(5)])
    return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))


_ACT = {"relu": (0.5, 0.0), "tanh": (-1.0, 0.4), "gelu": (1.2, -0.3), "sigmoid": (0.0, 1.0)}


def mixed(p: dict[str, Any]) -> float:
    """A training-loss-like surface: a log learning rate whose best value depends on the optimizer,
    a continuous knob whose best value depends on the activation, an integer depth."""
    shift, bias = _ACT[p["act"]]
    best_lr = -3.0 if p["opt"] == "sgd" else -2.0
    return (
        (math.log10(p["lr"]) - best_lr) ** 2
        + (p["x"] - shift) ** 2
        + 0.3 * abs(p["layers"] - 5)
        + bias
        + (0.2 if p["opt"] == "sgd" else 0.0)
        + 0.5 * p["dropout"]
    )


# -- cheap scikit-learn problems (negative CV accuracy, minimized) ---------------------

_DATA: dict[str, Any] = {}


def _data(name: str) -> Any:
    if name not in _DATA:
        from sklearn import datasets

        if name == "digits":
            X, y = datasets.load_digits(return_X_y=True)
            X, y = X[::3] / 16.0, y[::3]  # 600 samples keep a fit in milliseconds
        elif name == "breast_cancer":
            from sklearn.preprocessing import StandardScaler

            X, y = datasets.load_breast_cancer(return_X_y=True)
            X = StandardScaler().fit_transform(X)
        else:
            X, y = datasets.load_wine(return_X_y=True)
        _DATA[name] = (X, y)
    return _DATA[name]


def _cv(model: Any, data: str) -> float:
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    X, y = _data(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = cross_val_score(model, X, y, cv=StratifiedKFold(3, shuffle=True, random_state=0))
    return -float(np.mean(scores))


def svc_digits(p: dict[str, Any]) -> float:
    from sklearn.svm import SVC

    return _cv(SVC(C=p["C"], gamma=p["gamma"], kernel=p["kernel"]), "digits")


def tree_wine(p: dict[str, Any]) -> float:
    from sklearn.tree import DecisionTreeClassifier

    return _cv(
        DecisionTreeClassifier(
            max_depth=p["max_depth"],
            min_samples_leaf=p["min_samples_leaf"],
            criterion=p["criterion"],
            max_features=p["max_features"],
            random_state=0,
        ),
        "wine",
    )


def sgd_cancer(p: dict[str, Any]) -> float:
    from sklearn.linear_model import SGDClassifier

    return _cv(
        SGDClassifier(
            alpha=p["alpha"],
            l1_ratio=p["l1_ratio"],
            penalty="elasticnet",
            loss=p["loss"],
            eta0=p["eta0"],
            learning_rate="adaptive",
            max_iter=30,
            tol=None,
            random_state=0,
        ),
        "breast_cancer",
    )


U, L, N, C = jhpo.uniform, jhpo.loguniform, jhpo.integer, jhpo.choice
PROBLEMS = [
    Problem("branin", {"x1": U(-5, 10), "x2": U(0, 15)}, branin, 20, "Branin, 2 continuous"),
    Problem("hartmann6", {f"x{i}": U(0, 1) for i in range(6)}, hartmann6, 20, "Hartmann-6, 6 continuous"),
    Problem(
        "mixed",
        {
            "lr": L(1e-5, 1),
            "x": U(-3, 3),
            "layers": N(1, 8),
            "dropout": U(0, 0.5, step=0.1),
            "act": C("relu", "tanh", "gelu", "sigmoid"),
            "opt": C("sgd", "adam"),
        },
        mixed,
        20,
        "mixed: log float, float, int, stepped float, 2 choices",
    ),
    Problem("rosenbrock5", {f"x{i}": U(-2, 2) for i in range(5)}, rosenbrock5, 20, "Rosenbrock, 5 continuous"),
    Problem(
        "svc_digits",
        {"C": L(1e-2, 1e3), "gamma": L(1e-4, 1e1), "kernel": C("rbf", "sigmoid")},
        svc_digits,
        6,
        "SVC on digits (600 samples), 3-fold CV accuracy",
    ),
    Problem(
        "tree_wine",
        {
            "max_depth": N(1, 12),
            "min_samples_leaf": N(1, 30, log=True),
            "criterion": C("gini", "entropy"),
            "max_features": U(0.1, 1.0),
        },
        tree_wine,
        6,
        "decision tree on wine, 3-fold CV accuracy",
    ),
    Problem(
        "sgd_cancer",
        {
            "alpha": L(1e-6, 1),
            "l1_ratio": U(0, 1),
            "eta0": L(1e-4, 1),
            "loss": C("hinge", "log_loss", "modified_huber"),
        },
        sgd_cancer,
        6,
        "elastic-net SGD on breast cancer, 3-fold CV accuracy",
    ),
]


def best_curve(problem: Problem, strategy: str, seed: int, n_trials: int) -> list[float]:
    """Best-so-far values (minimized) of one run."""
    options = {"n_trials": n_trials} if strategy == "genetic" else {}
    study = jhpo.Study(
        problem.space, strategy=strategy, direction="minimize", seed=seed, storage=":memory:", strategy_options=options
    )
    study.optimize(lambda t: problem.fn(t.params), n_trials=n_trials)
    values = [t.value if t.value is not None else math.inf for t in study.trials]
    return list(np.minimum.accumulate(values))


def run_one(args: tuple[str, str, int, tuple[int, ...]]) -> tuple[str, str, int, dict[int, float], float]:
    """Best at each budget for one (problem, strategy, seed)."""
    name, strategy, seed, budgets = args
    problem = next(p for p in PROBLEMS if p.name == name)
    started = time.perf_counter()
    if strategy == "genetic":  # its schedule depends on the budget: one run per budget
        best = {b: best_curve(problem, strategy, seed, b)[-1] for b in budgets}
    else:  # the others do not know the budget: one run, read at each budget
        curve = best_curve(problem, strategy, seed, max(budgets))
        best = {b: curve[b - 1] for b in budgets}
    return name, strategy, seed, best, time.perf_counter() - started


def table(
    results: dict[tuple[str, str], list[dict[int, float]]],
    problems: list[Problem],
    strategies: tuple[str, ...],
    budgets: tuple[int, ...],
) -> tuple[str, dict[Any, Any]]:
    lines = [
        "| problem | trials | "
        + " | ".join(f"{s} mean best" for s in strategies)
        + " | "
        + " | ".join(f"{s} score" for s in strategies if s != "random")
        + " |",
        "|" + "---|" * (2 + len(strategies) + len(strategies) - 1),
    ]
    summary: dict[str, Any] = {}
    for p in problems:
        best_ever = min(v for s in strategies for run in results[(p.name, s)] for v in run.values())
        for b in budgets:
            means = {s: float(np.mean([run[b] for run in results[(p.name, s)]])) for s in strategies}
            span = means["random"] - best_ever
            scores = {s: 100 * (means["random"] - means[s]) / span if span > 0 else 0.0 for s in strategies}
            summary[(p.name, b)] = scores
            lines.append(
                f"| {p.name} | {b} | "
                + " | ".join(f"{means[s]:.4g}" for s in strategies)
                + " | "
                + " | ".join(f"{scores[s]:+.0f}" for s in strategies if s != "random")
                + " |"
            )
    return "\n".join(lines), summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--problems", nargs="*", default=[p.name for p in PROBLEMS])
    ap.add_argument("--seeds", type=int, default=None, help="seeds per problem (default: 20 synthetic, 6 sklearn)")
    ap.add_argument("--quick", action="store_true", help="synthetic problems, 8 seeds")
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument(
        "--methods",
        default=",".join(STRATEGIES),
        help="comma list of jhpo strategies; random and genetic are always included",
    )
    ap.add_argument("--budgets", type=int, nargs="*", default=list(BUDGETS))
    ap.add_argument("--append", action="store_true", help="append the report to --out instead of replacing it")
    ap.add_argument(
        "--out",
        default=str(Path(__file__).parent / "results" / "genetic.md"),
        help="markdown file to write ('-': print only)",
    )
    args = ap.parse_args(argv)
    budgets = tuple(sorted(args.budgets))
    methods = tuple(dict.fromkeys(["random", *[m.strip() for m in args.methods.split(",") if m.strip()], "genetic"]))
    problems = [p for p in PROBLEMS if p.name in args.problems]
    if args.quick:
        problems = [p for p in problems if p.seeds == 20]
    seeds = {p.name: (args.seeds or (8 if args.quick else p.seeds)) for p in problems}
    jobs = [(p.name, s, seed, budgets) for p in problems for s in methods for seed in range(seeds[p.name])]
    results: dict[tuple[str, str], list[dict[int, float]]] = {(p.name, s): [] for p in problems for s in methods}
    seconds: dict[tuple[str, str], float] = {}
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.n_jobs) as pool:
        for name, strategy, _seed, best, secs in pool.map(run_one, jobs, chunksize=4):
            results[(name, strategy)].append(best)
            seconds[(name, strategy)] = seconds.get((name, strategy), 0.0) + secs
    elapsed = time.perf_counter() - started
    text, summary = table(results, problems, methods, budgets)
    wins = {b: sum(summary[(p.name, b)]["genetic"] > 0 for p in problems) for b in budgets}
    from jhpo.strategies.genetic import default_population

    pop = {b: default_population(b) for b in budgets}
    report = "\n".join(
        [
            f"# Genetic strategy: quality benchmark ({', '.join(methods)})",
            "",
            f"Command: `python benchmarks/genetic.py {' '.join(argv if argv is not None else sys.argv[1:])}`"
            f" ({elapsed:.0f} s wall time, {args.n_jobs} processes).",
            "",
            "Every value is minimized (the scikit-learn problems minimize minus the 3-fold CV accuracy). "
            "*mean best*: the best value found within the budget, averaged over seeds "
            f"({', '.join(f'{p.name} {seeds[p.name]}' for p in problems)}). "
            "*score*: 0 is random search's mean best at that budget, 100 the best value any run ever found "
            "on the problem; higher is better, negative is worse than random.",
            f"Genetic population (derived from the budget): {', '.join(f'{pop[b]} at {b} trials' for b in budgets)}.",
            "",
            text,
            "",
            "Genetic beats random (score > 0) on: "
            + ", ".join(f"{wins[b]}/{len(problems)} problems at {b} trials" for b in budgets)
            + ".",
            "",
            "Problems: " + "; ".join(f"{p.name}: {p.about}" for p in problems) + ".",
            "",
        ]
    )
    print(report)
    if args.out != "-":
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        old = Path(args.out).read_text() + "\n" if args.append and Path(args.out).exists() else ""
        Path(args.out).write_text(old + report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
