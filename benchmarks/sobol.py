"""How to order a Sobol design under a budget: measured on the quality benchmark's synthetic problems.

Every run starts from the problem's defaults (the baseline) and then takes ``trials - 1`` points of
one design, all decoded through :meth:`jhpo.Space.from_unit` as ``--strategy sobol`` decodes them.
The designs, for a budget of 30 trials (29 points after the baseline; the next power of two is 32):

* ``random``: independent uniform points (``--strategy random``);
* ``sobol``: the first 29 points of one scrambled Sobol sequence, in its own order (what
  ``--strategy sobol`` does: every prefix of 2, 4, 8, 16 points is balanced);
* ``drop-nearest``: the 32-point block without the point nearest the baseline (the baseline
  stands in for it), the rest in the sequence's order;
* ``maximin``: the 32-point block ordered greedily, each next point the farthest from the
  baseline and the points before it;
* ``random-cd``: the 32-point block after scipy's random-cd optimization (lower centred
  discrepancy), in the order scipy returns it.

Reported: the mean best value after 10, 20 and 30 trials over ``--seeds`` seeds with its
standard error (synthetic problems are cheap, so many seeds make the differences visible).

    python benchmarks/sobol.py                        # -> benchmarks/results/sobol.md
    python benchmarks/sobol.py --seeds 50 --out -
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from scipy.stats import qmc

ROOT = Path(__file__).resolve().parent
if str(ROOT.parent) not in sys.path:
    sys.path.insert(0, str(ROOT.parent))

import jhpo  # noqa: E402
from benchmarks.problems import PROBLEMS  # noqa: E402

DESIGNS = ("random", "sobol", "drop-nearest", "maximin", "random-cd")
SYNTHETIC = ("branin", "hartmann6", "sparse8", "mixed")
CHECKPOINTS = (10, 20, 30)


def design(name: str, d: int, n: int, base: np.ndarray, seed: int) -> np.ndarray:
    """``n`` points of the unit cube after the baseline ``base`` (NaN where it has no place)."""
    if name == "random":
        return np.random.default_rng(seed).random((n, d))
    block_size = 1 << max(0, (n - 1).bit_length())  # the next power of two
    if name == "random-cd":
        return qmc.Sobol(d=d, scramble=True, seed=seed, optimization="random-cd").random(block_size)[:n]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "balance properties ... power of 2": the prefix is the point
        if name == "sobol":
            return qmc.Sobol(d=d, scramble=True, seed=seed).random(n)
        block = qmc.Sobol(d=d, scramble=True, seed=seed).random(block_size)
    gap = np.sqrt(np.nansum((block - base) ** 2, axis=1))
    if name == "drop-nearest":
        return np.delete(block, int(np.argmin(gap)), axis=0)[:n]
    order: list[int] = []  # maximin
    nearest = gap.copy()
    while len(order) < n:
        j = int(np.argmax(np.where(np.isin(np.arange(len(block)), order), -1.0, nearest)))
        order.append(j)
        nearest = np.minimum(nearest, np.sqrt(np.sum((block - block[j]) ** 2, axis=1)))
    return block[order]


def best_curve(problem_name: str, name: str, seed: int, trials: int) -> np.ndarray:
    problem = PROBLEMS[problem_name]
    space = jhpo.Space(problem.space)
    sign = 1.0 if problem.direction == "minimize" else -1.0
    points = design(name, len(space), trials - 1, space.to_unit(problem.defaults), seed)
    values = [problem.evaluate(problem.defaults)] + [problem.evaluate(space.from_unit(u)) for u in points]
    return np.minimum.accumulate(sign * np.array(values))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=300)
    ap.add_argument("--out", default=str(ROOT / "results" / "sobol.md"), help="report path, or - for stdout")
    args = ap.parse_args(argv)
    start = time.perf_counter()
    trials = CHECKPOINTS[-1]
    lines = [
        "# Sobol under a budget: which order of the next power-of-two block",
        "",
        f"Command: `python benchmarks/sobol.py {' '.join(sys.argv[1:] if argv is None else argv)}`".rstrip() + "  ",
        f"{args.seeds} seeds per design and problem, {trials} trials, the first the problem's defaults. "
        "Mean best value (minimized; ± one standard error) after 10, 20 and 30 trials; "
        "`benchmarks/sobol.py` describes the designs.",
        "",
        "| problem | design | " + " | ".join(f"after {t}" for t in CHECKPOINTS) + " |",
        "|---|---|" + "---|" * len(CHECKPOINTS),
    ]
    for prob in SYNTHETIC:
        for name in DESIGNS:
            curves = np.array([best_curve(prob, name, s, trials) for s in range(args.seeds)])
            at = curves[:, [t - 1 for t in CHECKPOINTS]]
            se = at.std(axis=0, ddof=1) / np.sqrt(args.seeds)
            cells = [f"{m:.4g} ± {e:.2g}" for m, e in zip(at.mean(axis=0), se)]
            lines.append(f"| {prob} | {name} | " + " | ".join(cells) + " |")
    lines += ["", f"Wall time {time.perf_counter() - start:.0f} s."]
    text = "\n".join(lines) + "\n"
    if args.out == "-":
        print(text)
    else:
        Path(args.out).write_text(text)
        print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
