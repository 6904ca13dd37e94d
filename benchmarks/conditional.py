"""Does a tree-structured space help bayes? The same two-branch problem searched flat and as a tree.

Branch A (``clf == "A"``) has two parameters and a best of 0.8; branch B has three and a best of
1.0. Flat, every trial samples all five (three of them do nothing); as a tree, each trial holds
only its branch's parameters and bayes imputes the inactive ones (docs/annotation-language.md).
Reported: the best value after N trials, mean and median over seeds, and the regret (1 - mean).

    python benchmarks/conditional.py                  # 30 trials, 10 seeds, bayes and random
    python benchmarks/conditional.py --trials 50 --seeds 5 --strategies bayes
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

import jhpo
from jhpo.space import Clause, Condition


def objective(p: dict[str, Any]) -> float:
    if p["clf"] == "A":
        return 0.8 - (p["a1"] - 0.2) ** 2 - (p["a2"] - 0.7) ** 2
    return 1.0 - 3 * ((p["b1"] - 0.6) ** 2 + (p["b2"] - 0.3) ** 2 + (p["b3"] - 0.5) ** 2)


def spaces() -> dict[str, jhpo.Space]:
    params = {"clf": jhpo.choice("A", "B"), **{n: jhpo.uniform(0, 1) for n in ("a1", "a2", "b1", "b2", "b3")}}
    tree = {n: Condition((Clause("clf", "==", "A" if n[0] == "a" else "B"),)) for n in params if n != "clf"}
    return {"flat": jhpo.Space(params), "tree": jhpo.Space(params, tree)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=30)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--strategies", default="bayes,random")
    args = ap.parse_args()
    print(f"| strategy | space | mean best after {args.trials} | median | regret | seconds |")
    print("| --- | --- | --- | --- | --- | --- |")
    for strategy in args.strategies.split(","):
        for label, space in spaces().items():
            bests, t0 = [], time.perf_counter()
            for seed in range(args.seeds):
                study = jhpo.Study(space, strategy=strategy, seed=seed, storage=":memory:")
                study.optimize(lambda t: objective(t.params), n_trials=args.trials)
                bests.append(study.best_value)
            mean = float(np.mean(bests))
            print(
                f"| {strategy} | {label} | {mean:.4f} | {np.median(bests):.4f} | {1 - mean:.4f} "
                f"| {time.perf_counter() - t0:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
