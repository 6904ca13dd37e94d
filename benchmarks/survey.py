"""How rare is a quality-suite problem's best value? Evaluate N random configurations and print the top.

A random survey says what a search is up against: whether the best value ever found is one lucky
configuration (the MLP) or a region a model can find (the random forest's corner). Used for
``benchmarks/results/bayes-variants.md``, round 6.

    python benchmarks/survey.py mlp --n 1500
    python benchmarks/survey.py random_forest --n 1000 --top 10
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent
if str(ROOT.parent) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT.parent))

import jhpo  # noqa: E402
from benchmarks.problems import PROBLEMS  # noqa: E402


def survey(name: str, n: int, seed: int = 123) -> list[tuple[float, dict[str, object]]]:
    """``n`` random configurations of problem ``name`` and their values, best first (by its direction)."""
    problem = PROBLEMS[name]
    space = jhpo.Space(problem.space).searched
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        params = space.from_unit(rng.random(len(space)))
        rows.append((float(problem.evaluate(params)), dict(params)))
    rows.sort(key=lambda r: r[0], reverse=problem.direction == "maximize")
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("problem", choices=sorted(PROBLEMS))
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--top", type=int, default=12)
    ap.add_argument("--seed", type=int, default=123)
    args = ap.parse_args()
    t0 = time.perf_counter()
    rows = survey(args.problem, args.n, args.seed)
    values = np.array([v for v, _ in rows])
    print(f"{args.problem}: {args.n} random configurations in {time.perf_counter() - t0:.0f} s")
    print("quantiles 50 / 90 / 99 / 99.9 %:", np.round(np.quantile(values, [0.5, 0.9, 0.99, 0.999]), 4))
    for value, params in rows[: args.top]:
        print(f"{value:.4f}  {params}")


if __name__ == "__main__":
    main()
