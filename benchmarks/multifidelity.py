"""Multi-fidelity benchmark: epochs spent to match random search.

A small neural network (scikit-learn's ``MLPClassifier``, SGD with momentum,
trained epoch by epoch with ``partial_fit``) on the digits data set that ships
with scikit-learn, up to 81 epochs, five hyperparameters. For each seed:

1. random search runs 30 configurations at the full 81 epochs (2430 epochs);
   its best validation accuracy is the *target*;
2. every other method runs until one of its trials reports a validation
   accuracy at or above the target (at any epoch) or until it has spent as
   many epochs as random search did; what it spent until then is its cost.

Methods: jhpo ``hyperband`` and ``asha`` (a promoted trial either restarts,
the default, or continues from its parent's model, which is what
``--checkpoint`` does), ``hyperband`` with ``--sampler bayes`` when that
sampler is installed, and Optuna's ``HyperbandPruner`` and
``SuccessiveHalvingPruner`` (random sampler, same eta and budgets). The same
counting rule applies to all of them, random search included: every epoch a
method trains counts, cached or not.

Each configuration's learning curve is deterministic (fixed ``random_state``),
so curves are cached per configuration: in memory, and on disk in
``--cache`` (default ``~/.cache/jhpo-bench/curves.json``), which only saves
compute; the epoch counts are the same with or without it.

Run: ``python benchmarks/multifidelity.py --seeds 5`` (a few minutes on two
cores the first time); it prints the Markdown table and writes it to
``benchmarks/results/multifidelity.md`` with ``--write``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")  # tiny matrices: threads only add overhead
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import jhpo  # noqa: E402

MAX_EPOCHS = 81
ETA = 3
N_RANDOM = 30
SPACE = {
    "lr": jhpo.loguniform(1e-4, 0.5),
    "alpha": jhpo.loguniform(1e-6, 1e-1),
    "momentum": jhpo.uniform(0.5, 0.99),
    "hidden": jhpo.integer(16, 64, log=True),
    "batch": jhpo.choice(64, 128, 256),
}


class Curves:
    """Validation accuracy after each epoch, per configuration (computed lazily, cached)."""

    def __init__(self, path: Path | None) -> None:
        from sklearn.datasets import load_digits
        from sklearn.preprocessing import StandardScaler

        X, y = load_digits(return_X_y=True)
        order = np.random.default_rng(0).permutation(len(X))
        X, y = StandardScaler().fit_transform(X[order]), y[order]
        self.X_tr, self.y_tr, self.X_va, self.y_va = X[:1200], y[:1200], X[1200:], y[1200:]
        self.path = path
        self.curves: dict[str, list[float]] = {}
        if path is not None and path.exists():
            self.curves = json.loads(path.read_text())
        self.models: dict[str, Any] = {}
        self.computed = 0

    @staticmethod
    def key(p: dict[str, Any]) -> str:
        return json.dumps([repr(p[k]) for k in sorted(SPACE)])

    def score(self, p: dict[str, Any], epoch: int) -> float:
        """Accuracy after ``epoch`` epochs (1-based)."""
        from sklearn.neural_network import MLPClassifier

        k = self.key(p)
        curve = self.curves.setdefault(k, [])
        if len(curve) < epoch:
            model = self.models.get(k)
            if model is None or len(curve) != getattr(model, "_epochs", -1):
                model = MLPClassifier(
                    hidden_layer_sizes=(int(p["hidden"]),),
                    solver="sgd",
                    learning_rate_init=p["lr"],
                    alpha=p["alpha"],
                    momentum=p["momentum"],
                    batch_size=int(p["batch"]),
                    random_state=0,
                )
                model._epochs = 0
                del curve[:]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                while model._epochs < epoch:
                    model.partial_fit(self.X_tr, self.y_tr, classes=np.arange(10))
                    model._epochs += 1
                    self.computed += 1
                    curve.append(float(model.score(self.X_va, self.y_va)))
            self.models[k] = model
        return curve[epoch - 1]

    def save(self) -> None:
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps(self.curves))


class Budget(Exception):
    """Stops an Optuna objective once the epoch budget is used up."""


class Counter:
    """Counts the epochs a method trains and notes when it first reaches the target."""

    def __init__(self, target: float, cap: int, stop: Callable[[], None]) -> None:
        self.target, self.cap, self.stop = target, cap, stop
        self.epochs = 0
        self.hit: int | None = None

    def epoch(self, value: float) -> None:
        self.epochs += 1
        if self.hit is None and value >= self.target:
            self.hit = self.epochs
            self.stop()
        if self.epochs >= self.cap:
            self.stop()

    @property
    def done(self) -> bool:
        return self.hit is not None or self.epochs >= self.cap


def random_search(curves: Curves, seed: int) -> tuple[float, int, int]:
    """Best final accuracy of 30 random configurations at 81 epochs, the epoch it was first reached, total."""
    study = jhpo.Study(SPACE, strategy="random", seed=seed, storage=":memory:")
    finals = []

    def fn(t: jhpo.Trial) -> float:
        finals.append([curves.score(t.params, e) for e in range(1, MAX_EPOCHS + 1)])
        return finals[-1][-1]

    study.optimize(fn, n_trials=N_RANDOM)
    target = max(f[-1] for f in finals)
    flat = [v for f in finals for v in f]
    first = next(i + 1 for i, v in enumerate(flat) if v >= target)
    return target, first, len(flat)


def run_jhpo(
    curves: Curves, seed: int, target: float, cap: int, strategy: str, continues: bool, sampler: str = "random"
) -> int | None:
    space = {**SPACE, "epochs": jhpo.resource(1, MAX_EPOCHS)}
    study = jhpo.Study(
        space, strategy=strategy, seed=seed, storage=":memory:", strategy_options={"eta": ETA, "sampler": sampler}
    )
    count = Counter(target, cap, study.stop)

    def fn(t: jhpo.Trial) -> float:
        params = {k: t.params[k] for k in SPACE}
        start = 0
        if continues and t.info.get("parent") is not None:  # what --checkpoint does: go on from the parent
            start = int(study.trials[t.info["parent"]].info["budget"])
        value = 0.0
        for epoch in range(start + 1, int(t.params["epochs"]) + 1):
            value = curves.score(params, epoch)
            count.epoch(value)
            jhpo.report(value, step=epoch)
        return value

    while not count.done:
        study.optimize(fn, n_trials=50)
    return count.hit


def run_optuna(curves: Curves, seed: int, target: float, cap: int, pruner_name: str, sampler_name: str) -> int | None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if pruner_name == "hyperband":
        pruner: Any = optuna.pruners.HyperbandPruner(min_resource=1, max_resource=MAX_EPOCHS, reduction_factor=ETA)
    else:
        pruner = optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=ETA)
    sampler: Any = (
        optuna.samplers.RandomSampler(seed=seed) if sampler_name == "random" else optuna.samplers.TPESampler(seed=seed)
    )
    study = optuna.create_study(direction="maximize", sampler=sampler, pruner=pruner)
    count = Counter(target, cap, study.stop)

    def objective(trial: optuna.Trial) -> float:
        p = {
            "lr": trial.suggest_float("lr", 1e-4, 0.5, log=True),
            "alpha": trial.suggest_float("alpha", 1e-6, 1e-1, log=True),
            "momentum": trial.suggest_float("momentum", 0.5, 0.99),
            "hidden": trial.suggest_int("hidden", 16, 64, log=True),
            "batch": trial.suggest_categorical("batch", [64, 128, 256]),
        }
        value = 0.0
        for epoch in range(1, MAX_EPOCHS + 1):
            if count.done:
                raise optuna.TrialPruned()
            value = curves.score(p, epoch)
            count.epoch(value)
            trial.report(value, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return value

    while not count.done:
        study.optimize(objective, n_trials=50)
    return count.hit


def bayes_available() -> bool:
    from jhpo.strategies import available

    return "bayes" in available()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument(
        "--equal-epochs", action="store_true", help="instead: final accuracy at equal total epochs (incl. PBT)"
    )
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "jhpo-bench" / "curves.json")
    parser.add_argument("--no-cache", action="store_true")
    parser.add_argument("--write", action="store_true", help="write benchmarks/results/multifidelity.md")
    args = parser.parse_args()
    if args.equal_epochs:
        table = equal_epochs(args.seeds)
        print(table)
        if args.write:
            (Path(__file__).parent / "results" / "multifidelity_equal.md").write_text(table)
        return
    curves = Curves(None if args.no_cache else args.cache)
    methods: list[tuple[str, Callable[[int, float, int], int | None]]] = [
        ("jhpo hyperband, promoted trials restart", lambda s, t, c: run_jhpo(curves, s, t, c, "hyperband", False)),
        ("jhpo hyperband --checkpoint (continue)", lambda s, t, c: run_jhpo(curves, s, t, c, "hyperband", True)),
        ("jhpo asha, promoted trials restart", lambda s, t, c: run_jhpo(curves, s, t, c, "asha", False)),
        ("jhpo asha --checkpoint (continue)", lambda s, t, c: run_jhpo(curves, s, t, c, "asha", True)),
    ]
    if bayes_available():
        methods.append(
            (
                "jhpo hyperband --sampler bayes --checkpoint",
                lambda s, t, c: run_jhpo(curves, s, t, c, "hyperband", True, "bayes"),
            )
        )
    methods += [
        ("Optuna HyperbandPruner (random sampler)", lambda s, t, c: run_optuna(curves, s, t, c, "hyperband", "random")),
        (
            "Optuna SuccessiveHalvingPruner (random sampler)",
            lambda s, t, c: run_optuna(curves, s, t, c, "sha", "random"),
        ),
        ("Optuna HyperbandPruner (TPE sampler)", lambda s, t, c: run_optuna(curves, s, t, c, "hyperband", "tpe")),
    ]
    started = time.time()
    targets, firsts, totals = [], [], []
    results: dict[str, list[int | None]] = {name: [] for name, _ in methods}
    for seed in range(args.seeds):
        target, first, total = random_search(curves, seed)
        targets.append(target)
        firsts.append(first)
        totals.append(total)
        for name, run in methods:
            # Another seed than random search's: with the same one, jhpo's random draws would start with
            # the very configurations that set the target.
            results[name].append(run(1000 + seed, target, total))
        curves.save()
        print(
            f"seed {seed}: target {target:.4f}; "
            + "; ".join(f"{n.split(',')[0]}: {r[-1]}" for n, r in results.items()),
            flush=True,
        )
    elapsed = time.time() - started
    table = render(targets, firsts, totals, results, elapsed, curves.computed)
    print(table)
    if args.write:
        out = Path(__file__).parent / "results" / "multifidelity.md"
        out.parent.mkdir(exist_ok=True)
        out.write_text(table)


def render(
    targets: list[float],
    firsts: list[int],
    totals: list[int],
    results: dict[str, list[int | None]],
    elapsed: float,
    computed: int,
) -> str:
    import optuna
    import sklearn

    rs_total = statistics.median(totals)
    lines = [
        "# Multi-fidelity: epochs to match random search",
        "",
        "MLPClassifier (SGD + momentum, partial_fit) on scikit-learn's digits (1200 train / 597 validation),",
        f"5 hyperparameters, up to {MAX_EPOCHS} epochs, eta = {ETA}. Target per seed: the best validation accuracy",
        f"of random search with {N_RANDOM} configurations at {MAX_EPOCHS} epochs. Cost: epochs trained until a trial",
        "first reports a validation accuracy at or above the target (any epoch), capped at random search's",
        f"{int(rs_total)} epochs. {len(targets)} seeds; medians (a seed that never reaches the target counts as",
        "the cap, i.e. 100 %). The methods sample with seed 1000 + s, random search with seed s, so no method",
        "starts from the configurations that set the target. Optuna's HyperbandPruner assigns brackets by a hash",
        "of the study name, so its runs vary even with a fixed sampler seed.",
        "",
        f"Targets: {', '.join(f'{t:.4f}' for t in targets)}.",
        "",
        "| method | median epochs | % of random search's epochs | mean epochs (misses count as the cap) "
        "| seeds reaching the target | per seed (- : not reached) |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
        f"| random search, {N_RANDOM} configurations x {MAX_EPOCHS} epochs (total) | {rs_total:.0f} | 100 % | "
        f"{statistics.mean(totals):.0f} (100 %) | {len(targets)}/{len(targets)} | "
        f"{', '.join(str(t) for t in totals)} |",
        f"| random search, epochs until its best was first reached | {statistics.median(firsts):.0f} | "
        f"{100 * statistics.median(firsts) / rs_total:.0f} % | {statistics.mean(firsts):.0f} "
        f"({100 * statistics.mean(firsts) / rs_total:.0f} %) | {len(targets)}/{len(targets)} | "
        f"{', '.join(str(f) for f in firsts)} |",
    ]
    for name, hits in results.items():
        cost = [h if h is not None else total for h, total in zip(hits, totals)]
        med = statistics.median(cost)
        reached = sum(h is not None for h in hits)
        shown = ", ".join(str(h) if h is not None else "-" for h in hits)
        mean = statistics.mean(cost)
        lines.append(
            f"| {name} | {med:.0f} | {100 * med / rs_total:.0f} % | {mean:.0f} "
            f"({100 * mean / rs_total:.0f} %) | {reached}/{len(hits)} | {shown} |"
        )
    lines += [
        "",
        f"`python benchmarks/multifidelity.py --seeds {len(targets)} --write`; {elapsed:.0f} s wall time, "
        f"{computed} epochs actually computed (the rest came from the curve cache); "
        f"optuna {optuna.__version__}, scikit-learn {sklearn.__version__}.",
        "",
    ]
    return "\n".join(lines)


# -- final accuracy at equal total epochs (issue 16) ------------------------------------------

EQ_TOP = 27  # epochs of a full-budget trial
EQ_CONFIGS = 16  # every method gets the epochs of 16 full-budget trials
EQ_SPACE = {  # only what can change during training, so PBT may perturb all of it
    "lr": jhpo.loguniform(1e-3, 0.5),
    "alpha": jhpo.loguniform(1e-6, 1e-1),
    "momentum": jhpo.uniform(0.5, 0.99),
    "batch": jhpo.choice(32, 64, 128, 256),
}


class EqualEpochs:
    """Real training (no curve cache: PBT changes hyperparameters mid-training), epochs counted, capped."""

    def __init__(self) -> None:
        from sklearn.datasets import load_digits
        from sklearn.preprocessing import StandardScaler

        X, y = load_digits(return_X_y=True)
        order = np.random.default_rng(0).permutation(len(X))
        X, y = StandardScaler().fit_transform(X[order]), y[order]
        self.X_tr, self.y_tr = X[:1000], y[:1000]
        self.X_va, self.y_va = X[1000:1400], y[1000:1400]
        self.X_te, self.y_te = X[1400:], y[1400:]
        self.cap = EQ_TOP * EQ_CONFIGS

    def reset(self, stop: Callable[[], None]) -> None:
        self.spent, self.stop, self.models = 0, stop, {}

    def train(self, p: dict[str, Any], start: int, end: int, model: Any = None) -> tuple[Any, float]:
        from sklearn.neural_network import MLPClassifier

        if model is None:
            model = MLPClassifier(
                hidden_layer_sizes=(32,),
                solver="sgd",
                learning_rate_init=p["lr"],
                alpha=p["alpha"],
                momentum=p["momentum"],
                batch_size=int(p["batch"]),
                random_state=0,
            )
        value = 0.0
        for epoch in range(start + 1, end + 1):
            if self.spent >= self.cap:
                self.stop()
                raise Budget("the epoch budget is used up")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model.partial_fit(self.X_tr, self.y_tr, classes=np.arange(10))
            self.spent += 1
            value = float(model.score(self.X_va, self.y_va))
            jhpo.report(value, step=epoch)
        return model, value

    def jhpo_fn(self, t: jhpo.Trial) -> float:
        """What a cell with ``done = jhpo.checkpoint(model)`` does."""
        from sklearn.neural_network import MLPClassifier

        p = {k: t.params[k] for k in EQ_SPACE}
        end = int(t.params.get("epochs", EQ_TOP))
        model = MLPClassifier(
            hidden_layer_sizes=(32,),
            solver="sgd",
            learning_rate_init=p["lr"],
            alpha=p["alpha"],
            momentum=p["momentum"],
            batch_size=int(p["batch"]),
            random_state=0,
        )
        done = jhpo.checkpoint(model)
        model, value = self.train(p, int(done), end, model)
        if end == EQ_TOP:
            self.models[t.number] = model
        return value


def _eq_jhpo(bench: EqualEpochs, seed: int, strategy: str, **options: Any) -> tuple[float, float] | None:
    space: dict[str, Any] = dict(EQ_SPACE)
    if strategy != "random":
        space["epochs"] = jhpo.resource(1, EQ_TOP)
    study = jhpo.Study(space, strategy=strategy, seed=seed, storage=":memory:", strategy_options=options)
    bench.reset(study.stop)
    # one optimize() call: jhpo.checkpoint keeps states for one search; Budget stops it (or PBT finishes)
    study.optimize(bench.jhpo_fn, n_trials=100_000)
    best = study.best_trial  # compared at equal budget: a full-budget trial, or none
    if best is None or int(best.params.get("epochs", EQ_TOP)) != EQ_TOP:
        return None
    model = bench.models[best.number]
    return float(best.value or 0.0), float(model.score(bench.X_te, bench.y_te))


def _eq_optuna(bench: EqualEpochs, seed: int) -> tuple[float, float] | None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    pruner = optuna.pruners.HyperbandPruner(min_resource=1, max_resource=EQ_TOP, reduction_factor=ETA)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed), pruner=pruner)
    bench.reset(study.stop)
    models: dict[int, Any] = {}

    def objective(trial: optuna.Trial) -> float:
        p = {
            "lr": trial.suggest_float("lr", 1e-3, 0.5, log=True),
            "alpha": trial.suggest_float("alpha", 1e-6, 1e-1, log=True),
            "momentum": trial.suggest_float("momentum", 0.5, 0.99),
            "batch": trial.suggest_categorical("batch", [32, 64, 128, 256]),
        }
        model, value = None, 0.0
        for epoch in range(1, EQ_TOP + 1):
            model, value = bench.train(p, epoch - 1, epoch, model)
            trial.report(value, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned()
        models[trial.number] = model
        return value

    while bench.spent < bench.cap:
        study.optimize(objective, n_trials=20, catch=(Budget,))
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not done:
        return None
    best = max(done, key=lambda t: (t.value, -t.number))
    return float(best.value), float(models[best.number].score(bench.X_te, bench.y_te))


def equal_epochs(seeds: int) -> str:
    """Best full-budget validation accuracy (and its test accuracy) at equal total epochs, per method."""
    bench = EqualEpochs()
    methods: dict[str, Callable[[int], tuple[float, float] | None]] = {
        "random search (16 configurations x 27 epochs)": lambda s: _eq_jhpo(bench, s, "random"),
        "jhpo hyperband + jhpo.checkpoint": lambda s: _eq_jhpo(bench, s, "hyperband", eta=ETA),
        "jhpo asha + jhpo.checkpoint": lambda s: _eq_jhpo(bench, s, "asha", eta=ETA),
        "jhpo hyperband --sampler bayes (BOHB-like)": lambda s: _eq_jhpo(
            bench, s, "hyperband", eta=ETA, sampler="bayes"
        ),
        "jhpo pbt (16 members x 5 intervals)": lambda s: _eq_jhpo(bench, s, "pbt", population=EQ_CONFIGS, intervals=5),
        "Optuna HyperbandPruner + TPE": lambda s: _eq_optuna(bench, s),
    }
    started = time.time()
    results: dict[str, list[tuple[float, float] | None]] = {name: [] for name in methods}
    spent: dict[str, list[int]] = {name: [] for name in methods}
    for seed in range(seeds):
        for name, run in methods.items():
            results[name].append(run(1000 + seed))
            spent[name].append(bench.spent)
        print(f"seed {seed}: " + "; ".join(f"{n.split(' (')[0]}: {r[-1]}" for n, r in results.items()), flush=True)
    elapsed = time.time() - started
    return _render_equal(results, spent, seeds, elapsed)


def _render_equal(
    results: dict[str, list[tuple[float, float] | None]], spent: dict[str, list[int]], seeds: int, elapsed: float
) -> str:
    def fmt(xs: list[float]) -> str:
        return f"{statistics.mean(xs):.4f} ± {statistics.stdev(xs):.4f}" if len(xs) > 1 else f"{xs[0]:.4f}"

    lines = [
        "# Multi-fidelity: final accuracy at equal total epochs",
        "",
        "MLPClassifier (32 hidden units, SGD + momentum, partial_fit) on scikit-learn's digits",
        "(1000 train / 400 validation / 397 test), 4 hyperparameters (lr, alpha, momentum, batch size),",
        f"full budget {EQ_TOP} epochs. Every method may train {EQ_TOP * EQ_CONFIGS} epochs in total (the cost",
        f"of {EQ_CONFIGS} full-budget configurations); an epoch past that stops the search. Reported: the",
        "best *full-budget* trial by validation accuracy (jhpo's equal-budget rule; Optuna's completed",
        "trials), and the test accuracy of that very model. jhpo's schedulers continue promoted trials",
        "with `jhpo.checkpoint(model)`; PBT copies weights on exploit; Optuna's pruned trials restart.",
        f"{seeds} seeds (method seed 1000 + s); mean ± standard deviation over seeds.",
        "",
        "| method | validation acc. of the best | its test acc. | epochs used | per seed (val / test) |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for name, rs in results.items():
        ok = [r for r in rs if r is not None]
        val = fmt([r[0] for r in ok]) if ok else "-"
        test = fmt([r[1] for r in ok]) if ok else "-"
        per = ", ".join(f"{r[0]:.3f}/{r[1]:.3f}" if r else "none at full budget" for r in rs)
        lines.append(f"| {name} | {val} | {test} | {statistics.mean(spent[name]):.0f} | {per} |")
    lines += [
        "",
        f"`nice -n 10 python benchmarks/multifidelity.py --equal-epochs --seeds {seeds} --write`; "
        f"{elapsed:.0f} s wall time on two shared cores.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
