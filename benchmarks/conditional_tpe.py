"""The conditional scikit-learn example (issue 15): how many trials jhpo's bayes needs to reach
Optuna TPE's best after 100 trials.

The space is Optuna's classic one, written as a ``%%tune`` cell would be (parsed from that cell):
``classifier`` is SVC or RandomForest; SVC has ``svc_c``, ``kernel`` and ``gamma`` (only for rbf),
the forest has ``rf_max_depth``. The objective is 3-fold accuracy on scikit-learn's digits. For
each seed both run 100 trials; reported per seed: TPE's best, bayes' best, and the first trial at
which bayes' best-so-far reaches TPE's 100-trial best (">N" when it never does).

    pip install optuna   # benchmark-only dependency
    python benchmarks/conditional_tpe.py --seeds 3 --trials 100
"""

from __future__ import annotations

import argparse
import time
import warnings
from typing import Any

import numpy as np
import optuna
from sklearn.datasets import load_digits
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import cross_val_score
from sklearn.svm import SVC

import jhpo
from jhpo.annotations import parse_cell

CELL = """\
classifier = "SVC"  # tune: choice("SVC", "RandomForest")
if classifier == "SVC":
    svc_c = 1.0  # tune: loguniform(1e-3, 1e3)
    kernel = "rbf"  # tune: ["rbf", "linear"]
    gamma = 0.001  # tune: loguniform(1e-5, 1e-1) if kernel == "rbf"
    model = SVC(C=svc_c, kernel=kernel, gamma=gamma)
else:
    rf_max_depth = 4  # tune: integer(2, 32, log=True)
    model = RandomForestClassifier(max_depth=rf_max_depth, n_estimators=10, random_state=0)
score = cross_val_score(model, X, y, cv=3).mean()
"""

X, y = load_digits(return_X_y=True)
X = X / 16.0


def accuracy(p: dict[str, Any]) -> float:
    if p["classifier"] == "SVC":
        model: Any = SVC(C=p["svc_c"], kernel=p["kernel"], gamma=p.get("gamma", 0.001))
    else:
        model = RandomForestClassifier(max_depth=p["rf_max_depth"], n_estimators=10, random_state=0)
    return float(cross_val_score(model, X, y, cv=3).mean())


def tpe(seed: int, n: int) -> list[float]:
    def objective(trial: optuna.Trial) -> float:
        p: dict[str, Any] = {"classifier": trial.suggest_categorical("classifier", ["SVC", "RandomForest"])}
        if p["classifier"] == "SVC":
            p["svc_c"] = trial.suggest_float("svc_c", 1e-3, 1e3, log=True)
            p["kernel"] = trial.suggest_categorical("kernel", ["rbf", "linear"])
            if p["kernel"] == "rbf":
                p["gamma"] = trial.suggest_float("gamma", 1e-5, 1e-1, log=True)
        else:
            p["rf_max_depth"] = trial.suggest_int("rf_max_depth", 2, 32, log=True)
        return accuracy(p)

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(objective, n_trials=n)
    return [t.value for t in study.trials if t.value is not None]


def bayes(seed: int, n: int) -> list[float]:
    template = parse_cell(CELL)
    study = jhpo.Study(template.space, strategy="bayes", seed=seed, storage=":memory:")
    study.enqueue(template.defaults, {"baseline": True})  # as %%tune does: the cell's defaults first
    study.optimize(lambda t: accuracy(t.params), n_trials=n)
    return [t.value for t in study.trials if t.value is not None]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--seeds", type=int, default=3)
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    n = args.trials
    print(
        f"| seed | TPE best @{n} | TPE trials to its best | bayes best @{n} | bayes trials to reach TPE's best "
        "| s TPE | s bayes |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    reach = []
    for seed in range(args.seeds):
        t0 = time.perf_counter()
        a = tpe(seed, args.trials)
        t1 = time.perf_counter()
        b = bayes(seed, args.trials)
        t2 = time.perf_counter()
        target = max(a)
        hit = next((i + 1 for i, v in enumerate(np.maximum.accumulate(b)) if v >= target), None)
        reach.append(hit)
        shown = str(hit) if hit is not None else f">{args.trials}"
        own = int(np.argmax(a)) + 1
        print(f"| {seed} | {target:.4f} | {own} | {max(b):.4f} | {shown} | {t1 - t0:.0f} | {t2 - t1:.0f} |", flush=True)
    print(f"\nreached in {sum(h is not None for h in reach)}/{len(reach)} seeds; trials: {reach}")


if __name__ == "__main__":
    main()
