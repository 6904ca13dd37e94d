"""Quality benchmark of jhpo's strategies against random search, Optuna, Ax/BoTorch, HEBO and SMAC3.

Every method tunes every problem (``benchmarks/problems.py``: seven scikit-learn models with
cross-validated scores on bundled datasets, Branin, Hartmann-6 and a mixed categorical/continuous
function) for ``--trials`` trials under each of ``--seeds`` seeds. All methods get the problem's
defaults as their first trial (as ``%%tune`` runs the cell's defaults first).

Normalized score, per problem and budget t: ``100 * (best_t - R_t) / (B - R_t)`` where best_t is
the run's best value after t trials, R_t random search's mean best after t trials (so random
scores 0 at every budget) and B the best value any run ever found on the problem (100). Scores
are signed so that higher is better for minimized problems too. The mean over problems comes
with a 95% t-interval over seeds (each seed: the mean over problems of that seed's runs).

Also measured: the cost of one ask+tell of ``bayes`` (and Optuna's GPSampler) in a 10-D space
holding 50, 200 and 1,000 trials.

    python benchmarks/quality.py                      # everything -> benchmarks/results/quality.md
    python benchmarks/quality.py --quick              # a smoke run (prints, writes nothing)
    python benchmarks/quality.py --methods bayes,random,genetic --problems branin,svc --seeds 3

Optional dependencies (anchors; each one missing is skipped with the reason): ``pip install
-e ".[bench]"`` gives Optuna (``optuna-tpe``, ``optuna-gp``), Ax/BoTorch (``ax``, its ``Client``
with the default generation strategy) and SMAC3 (``smac``, ``HyperparameterOptimizationFacade``);
HEBO (``hebo``) needs ``pip install --no-deps hebo==0.3.6 disjoint-set GPy catboost``. Install them
in a venv (``python -m venv --system-site-packages``). Ax and HEBO take seconds per proposal:
split long runs with ``--first-seed``/``--seeds`` and ``--raw``, then join them with ``--load``
and ``--no-run``.
Equal parameters give equal scores, so evaluations are cached on disk
(``benchmarks/.cache``; delete it to start cold).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent
if str(ROOT.parent) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT.parent))

import jhpo  # noqa: E402
from benchmarks.problems import PROBLEMS, Problem  # noqa: E402

DEFAULT_METHODS = ("bayes", "random", "sobol", "optuna-tpe", "optuna-gp")
CHECKPOINTS = (10, 20, 30)
SLOW = ("ax", "hebo", "optuna-gp", "smac")


# -- one run ----------------------------------------------------------------------------

_memory: Any = None


def _evaluate(problem: Problem, params: dict[str, Any]) -> float:
    """The problem's value at ``params``, cached on disk for the (deterministic) sklearn problems."""
    global _memory
    if problem.kind != "sklearn":
        return problem.evaluate(params)
    if _memory is None:
        from joblib import Memory

        _memory = Memory(ROOT / ".cache", verbose=0)
    # Through the importable module, so a script run and an imported run share one cache.
    from benchmarks.quality import _cached_eval as fn

    return float(_memory.cache(fn)(problem.name, sorted(params.items(), key=lambda kv: kv[0])))


def _cached_eval(name: str, items: list[tuple[str, Any]]) -> float:
    return PROBLEMS[name].evaluate(dict(items))


#: Variants of jhpo strategies: method name -> (strategy, options).
VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    "grid-order": ("grid", {"fit": "order"}),  # the full grid in a space-filling order
    "bayes-log": ("bayes", {"output_warp": "log"}),  # outputs: log when they span 100x, squashed tails
    "bayes-power": ("bayes", {"output_warp": "power"}),  # outputs: Yeo-Johnson (HEBO)
    "bayes-fence": ("bayes", {"output_warp": "fence"}),
    "bayes-squash": ("bayes", {"output_warp": "squash"}),  # outputs: squashed tails, never a log
    # issue 19, round 2 (benchmarks/results/bayes-variants.md)
    "bayes-dim": ("bayes", {"length_prior": "dim"}),  # Hvarfner et al. (2024) length-scale prior
    "bayes-noise9": ("bayes", {"noise_prior": -9.0}),  # a lower noise prior
    "bayes-nei": ("bayes", {"incumbent": "mean"}),  # noisy EI: best posterior mean as incumbent
    "bayes-restarts": ("bayes", {"n_restarts": 20}),  # more L-BFGS-B acquisition restarts
    "bayes-dim-r20": ("bayes", {"length_prior": "dim", "n_restarts": 20}),
    "bayes-dim-r20-c2k": ("bayes", {"length_prior": "dim", "n_restarts": 20, "n_candidates": 2048}),  # = default
    "bayes-nei2": ("bayes", {"incumbent": "mean"}),  # noisy EI on top of the new default
    "bayes-init5": ("bayes", {"n_initial": 5}),  # Ax's initial design size (centre + 4 Sobol)
    # issue 19, round 3
    "bayes-rbf": ("bayes", {"kernel": "rbf"}),  # squared-exponential kernel (BoTorch's default since 0.12)
    "bayes-xi01": ("bayes", {"xi": 0.01}),  # EI over best - 0.01 (standardized): no near-duplicate picks
    "bayes-xi003": ("bayes", {"xi": 0.003}),
    "bayes-kw": ("bayes", {"input_warp": "kumaraswamy"}),  # Kumaraswamy input warping (BoTorch's Warp, HEBO)
    # issue 19, round 4
    "bayes-avg": ("bayes", {"prior_mean": "mean"}),  # the GP's prior mean at the average (the default before)
    # issue 19, round 7
    "bayes-shared": ("bayes", {"choice_kernel": "shared"}),  # + a term of the numeric features shared by every level
    "bayes-onehot": ("bayes", {"choice_kernel": "onehot"}),  # choices one-hot in the one kernel (the default before)
}


def run_jhpo(problem: Problem, method: str, seed: int, trials: int) -> tuple[list[float], float]:
    strategy, options = VARIANTS.get(method, (method, {}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the grid's note that it fits the budget
        study = jhpo.Study(
            problem.space,
            strategy=strategy,
            direction=problem.direction,
            seed=seed,
            storage=":memory:",
            strategy_options={"n_trials": trials, "baseline": True, **options},
        )
    study.enqueue(problem.defaults, {"baseline": True})
    values, spent = [], 0.0
    for _ in range(trials):
        t0 = time.perf_counter()
        try:
            trial = study.ask()
        except jhpo.study.SearchExhausted:  # a grid smaller than the budget is done: its best stands
            values.append(values[-1])
            continue
        spent += time.perf_counter() - t0
        value = _evaluate(problem, trial.params)
        study.tell(trial, value)
        values.append(value)
    return values, spent / trials


def _optuna_distributions(space: dict[str, Any]) -> dict[str, Any]:
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    out: dict[str, Any] = {}
    for name, d in space.items():
        if isinstance(d, jhpo.space.Choice):
            out[name] = CategoricalDistribution(list(d.choices))
        elif isinstance(d, jhpo.space.Int):
            out[name] = IntDistribution(d.low, d.high, log=d.log, step=1 if d.log else d.step)
        else:
            out[name] = FloatDistribution(d.low, d.high, log=d.log, step=d.step)
    return out


def run_optuna(problem: Problem, method: str, seed: int, trials: int) -> tuple[list[float], float]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    if method == "optuna-gp":
        import torch

        torch.set_num_threads(1)
        sampler: Any = optuna.samplers.GPSampler(seed=seed)
    else:
        sampler = optuna.samplers.TPESampler(seed=seed)
    study = optuna.create_study(direction=problem.direction, sampler=sampler)
    study.enqueue_trial(problem.defaults)
    dists = _optuna_distributions(problem.space)
    values, spent = [], 0.0
    for _ in range(trials):
        t0 = time.perf_counter()
        trial = study.ask(dists)
        spent += time.perf_counter() - t0
        value = _evaluate(problem, trial.params)
        study.tell(trial, value)
        values.append(value)
    return values, spent / trials


# -- anchors: other libraries with their authors' defaults -----------------------------------
# Each takes the problem's defaults as its first trial, like every other method. Choices are
# handed over as strings (their repr) and mapped back, so bools, ints and None survive.


def _choice_maps(d: Any) -> tuple[list[str], dict[str, Any]]:
    names = [repr(c) for c in d.choices]
    return names, dict(zip(names, d.choices))


def _loop(problem: Problem, trials: int, ask: Any, tell: Any, first: dict[str, Any]) -> tuple[list[float], float]:
    """Baseline, then ask/evaluate/tell; ``ask() -> (handle, params)``, ``tell(handle, params, value)``."""
    values, spent = [], 0.0
    value = _evaluate(problem, first)
    t0 = time.perf_counter()
    tell(None, first, value)
    spent += time.perf_counter() - t0
    values.append(value)
    for _ in range(trials - 1):
        t0 = time.perf_counter()
        handle, params = ask()
        spent += time.perf_counter() - t0
        value = _evaluate(problem, params)
        t0 = time.perf_counter()
        tell(handle, params, value)
        spent += time.perf_counter() - t0
        values.append(value)
    return values, spent / trials


def run_ax(problem: Problem, method: str, seed: int, trials: int) -> tuple[list[float], float]:
    """Ax's ``Client`` (BoTorch underneath) with its default generation strategy."""
    import logging

    from ax import ChoiceParameterConfig, Client, RangeParameterConfig

    logging.getLogger("ax").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    params, back = [], {}
    for name, d in problem.space.items():
        if isinstance(d, jhpo.space.Choice):
            names, back[name] = _choice_maps(d)
            params.append(ChoiceParameterConfig(name=name, values=names, parameter_type="str"))
        else:
            kind = "int" if isinstance(d, jhpo.space.Int) else "float"
            bounds = (d.low, d.high) if kind == "int" else (float(d.low), float(d.high))
            params.append(RangeParameterConfig(name, bounds, kind, scaling="log" if d.log else "linear"))
    client = Client(random_seed=seed)
    client.configure_experiment(parameters=params)
    client.configure_optimization(objective="y" if problem.direction == "maximize" else "-y")

    def to_ax(p: dict[str, Any]) -> dict[str, Any]:
        return {k: repr(v) if k in back else v for k, v in p.items()}

    def ask() -> tuple[int, dict[str, Any]]:
        (idx, p), *_ = client.get_next_trials(max_trials=1).items()
        return idx, {k: back[k][v] if k in back else v for k, v in p.items()}

    def tell(idx: int | None, p: dict[str, Any], value: float) -> None:
        if idx is None:
            idx = client.attach_trial(parameters=to_ax(p))
        client.complete_trial(idx, raw_data={"y": value})

    return _loop(problem, trials, ask, tell, problem.defaults)


def run_hebo(problem: Problem, method: str, seed: int, trials: int) -> tuple[list[float], float]:
    """HEBO 0.3.6 (NeurIPS 2020 black-box challenge winner) with its defaults; it minimizes."""
    import pandas as pd
    import torch
    from hebo.design_space.design_space import DesignSpace
    from hebo.optimizers.hebo import HEBO

    warnings.filterwarnings("ignore")
    np.random.seed(seed)  # HEBO draws from the global generators
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    spec, back = [], {}
    for name, d in problem.space.items():
        if isinstance(d, jhpo.space.Choice):
            names, back[name] = _choice_maps(d)
            spec.append({"name": name, "type": "cat", "categories": names})
        elif isinstance(d, jhpo.space.Int):
            spec.append({"name": name, "type": "pow_int" if d.log else "int", "lb": d.low, "ub": d.high})
        else:
            spec.append({"name": name, "type": "pow" if d.log else "num", "lb": d.low, "ub": d.high})
    opt = HEBO(DesignSpace().parse(spec), scramble_seed=seed)
    sign = -1.0 if problem.direction == "maximize" else 1.0

    def ask() -> tuple[Any, dict[str, Any]]:
        with contextlib.redirect_stdout(io.StringIO()):  # it prints every GP jitter retry
            rec = opt.suggest(n_suggestions=1)
        p = {}
        for name, d in problem.space.items():  # column by column: a row of numbers comes back as floats
            v = rec[name].iloc[0]
            p[name] = back[name][v] if name in back else (int(v) if isinstance(d, jhpo.space.Int) else float(v))
        return rec, p

    def tell(rec: Any, p: dict[str, Any], value: float) -> None:
        if rec is None:
            rec = pd.DataFrame([{k: repr(v) if k in back else v for k, v in p.items()}])
        with contextlib.redirect_stdout(io.StringIO()):
            opt.observe(rec, np.array([[sign * value]]))

    return _loop(problem, trials, ask, tell, problem.defaults)


def run_smac(problem: Problem, method: str, seed: int, trials: int) -> tuple[list[float], float]:
    """SMAC3's ``HyperparameterOptimizationFacade`` (random forest, its default initial design)."""
    import tempfile

    from ConfigSpace import Categorical, Configuration, ConfigurationSpace, Float, Integer
    from smac import HyperparameterOptimizationFacade, Scenario
    from smac.runhistory.dataclasses import TrialValue

    warnings.filterwarnings("ignore")
    cs, back = ConfigurationSpace(seed=seed), {}
    for name, d in problem.space.items():
        default = problem.defaults[name]
        if isinstance(d, jhpo.space.Choice):
            names, back[name] = _choice_maps(d)
            cs.add(Categorical(name, names, default=repr(default)))
        elif isinstance(d, jhpo.space.Int):
            cs.add(Integer(name, (d.low, d.high), log=d.log, default=int(default)))
        else:
            cs.add(Float(name, (float(d.low), float(d.high)), log=d.log, default=float(default)))
    sign = -1.0 if problem.direction == "maximize" else 1.0
    tmp = tempfile.mkdtemp(prefix="smac-")
    scenario = Scenario(cs, deterministic=True, n_trials=trials + 5, seed=seed, output_directory=tmp)
    design = HyperparameterOptimizationFacade.get_initial_design(scenario)
    smac = HyperparameterOptimizationFacade(
        scenario, lambda config, seed=0: 0.0, initial_design=design, overwrite=True, logging_level=40
    )

    def ask() -> tuple[Any, dict[str, Any]]:
        info = smac.ask()
        conf = dict(info.config)
        return info, {k: back[k][v] if k in back else v for k, v in conf.items()}

    def tell(info: Any, p: dict[str, Any], value: float) -> None:
        if info is None:
            from smac.runhistory.dataclasses import TrialInfo

            config = Configuration(cs, values={k: repr(v) if k in back else v for k, v in p.items()})
            info = TrialInfo(config=config, seed=seed)
        smac.tell(info, TrialValue(cost=sign * value))

    return _loop(problem, trials, ask, tell, problem.defaults)


ANCHORS = {"ax": run_ax, "hebo": run_hebo, "smac": run_smac}


def missing_anchor(method: str) -> str | None:
    """Why an optional anchor cannot run here (None: it can)."""
    needs = {
        "ax": ("ax", "torch"),
        "hebo": ("hebo", "GPy", "torch"),
        "smac": ("smac", "ConfigSpace"),
        "optuna-tpe": ("optuna",),
        "optuna-gp": ("optuna", "torch"),
    }.get(method, ())
    import importlib.util

    gone = [m for m in needs if importlib.util.find_spec(m) is None]
    return f"needs {', '.join(gone)} (pip install jhpo[bench])" if gone else None


def run(problem_name: str, method: str, seed: int, trials: int) -> dict[str, Any]:
    from threadpoolctl import threadpool_limits

    problem = PROBLEMS[problem_name]
    with threadpool_limits(1):
        runner = run_optuna if method.startswith("optuna-") else ANCHORS.get(method, run_jhpo)
        values, per_ask = runner(problem, method, seed, trials)
    sign = 1.0 if problem.direction == "maximize" else -1.0
    best = np.maximum.accumulate(sign * np.array(values))  # best so far, higher is better
    return {"problem": problem_name, "method": method, "seed": seed, "best": best.tolist(), "ask": per_ask}


# -- suggest cost -------------------------------------------------------------------------


def suggest_cost(
    sizes: tuple[int, ...] = (50, 200, 1000),
    dim: int = 10,
    repeats: int = 10,
    optuna_sizes: tuple[int, ...] = (50, 200),
) -> list[tuple[str, int, float, float, float]]:
    """(median CPU, max CPU, median wall) seconds of one ask+tell with ``sizes`` trials already in
    a ``dim``-D study, over ``repeats`` consecutive ask+tells.

    CPU time (of this single-threaded process) is what the machine's own speed gives; wall time
    also counts waiting for a core when other work shares the machine. Beyond 100 trials bayes
    re-optimizes its kernel hyper-parameters on every fifth trial only: the max shows that trial.
    """
    from threadpoolctl import threadpool_limits

    space = {f"x{i}": jhpo.uniform(0.0, 1.0) for i in range(dim)}

    def f(p: dict[str, Any]) -> float:
        x = np.array([p[f"x{i}"] for i in range(dim)])
        return float(np.sum((x - 0.3) ** 2) + 0.1 * np.sin(10 * x).sum())

    rows = []
    rng = np.random.default_rng(0)
    with threadpool_limits(1):
        for n in sizes:
            study = jhpo.Study(space, strategy="bayes", direction="minimize", seed=0, storage=":memory:")
            for _ in range(n):
                study.enqueue(jhpo.Space(space).sample(rng))
            for _ in range(n):
                t = study.ask()
                study.tell(t, f(t.params))
            cpu, wall = [], []
            for _ in range(repeats + 1):  # the first one fits cold; later ones warm-start
                c0, t0 = time.process_time(), time.perf_counter()
                t = study.ask()
                study.tell(t, f(t.params))
                cpu.append(time.process_time() - c0)
                wall.append(time.perf_counter() - t0)
            rows.append(
                ("jhpo bayes", n, float(np.median(cpu[1:])), float(np.max(cpu[1:])), float(np.median(wall[1:])))
            )
        try:
            import optuna
            import torch
        except ImportError:
            return rows
        torch.set_num_threads(1)
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
        dists = _optuna_distributions(space)
        for n in optuna_sizes:
            study = optuna.create_study(sampler=optuna.samplers.GPSampler(seed=0))
            for _ in range(n):
                p = jhpo.Space(space).sample(rng)
                study.add_trial(optuna.trial.create_trial(params=p, distributions=dists, value=f(p)))
            cpu, wall = [], []
            for _ in range(min(repeats, 5)):
                c0, t0 = time.process_time(), time.perf_counter()
                t = study.ask(dists)
                study.tell(t, f(t.params))
                cpu.append(time.process_time() - c0)
                wall.append(time.perf_counter() - t0)
            rows.append(("optuna GPSampler", n, float(np.median(cpu)), float(np.max(cpu)), float(np.median(wall))))
    return rows


# -- scoring and the report -----------------------------------------------------------------


def normalized(results: list[dict[str, Any]], checkpoints: tuple[int, ...]) -> dict[tuple[str, str], np.ndarray]:
    """(problem, method) -> array (seeds x checkpoints) of normalized scores."""
    out = {}
    for prob in sorted({r["problem"] for r in results}):
        runs = [r for r in results if r["problem"] == prob]
        top = max(max(r["best"]) for r in runs)
        rand = [r for r in runs if r["method"] == "random"]
        for method in sorted({r["method"] for r in runs}):
            mine = sorted((r for r in runs if r["method"] == method), key=lambda r: r["seed"])
            scores = np.zeros((len(mine), len(checkpoints)))
            for j, t in enumerate(checkpoints):
                ref = float(np.mean([r["best"][t - 1] for r in rand])) if rand else min(r["best"][0] for r in runs)
                span = top - ref
                for i, r in enumerate(mine):
                    scores[i, j] = 100.0 * (r["best"][t - 1] - ref) / span if span > 1e-12 else 100.0
            out[(prob, method)] = scores
    return out


def _per_seed(
    results: list[dict[str, Any]], scores: dict[tuple[str, str], np.ndarray], probs: list[str], method: str, j: int
) -> np.ndarray:
    """Each seed's mean score over the problems the method ran with that seed."""
    by_seed: dict[int, list[float]] = {}
    for p in probs:
        seeds = sorted(r["seed"] for r in results if r["problem"] == p and r["method"] == method)
        for i, seed in enumerate(seeds):
            by_seed.setdefault(seed, []).append(float(scores[(p, method)][i, j]))
    return np.array([np.mean(v) for _, v in sorted(by_seed.items())])


def _ci(per_seed: np.ndarray) -> tuple[float, float]:
    from scipy import stats

    m = float(np.mean(per_seed))
    if len(per_seed) < 2:
        return m, float("nan")
    half = float(stats.t.ppf(0.975, len(per_seed) - 1) * stats.sem(per_seed))
    return m, half


def report(
    results: list[dict[str, Any]],
    methods: list[str],
    checkpoints: tuple[int, ...],
    cost: list[tuple[str, int, float, float, float]],
    args: argparse.Namespace,
    elapsed: float,
    skipped: dict[str, str] | None = None,
) -> str:
    scores = normalized(results, checkpoints)
    probs = sorted({r["problem"] for r in results}, key=list(PROBLEMS).index)
    seeds = sorted({r["seed"] for r in results})
    lines = [
        "# Quality benchmark: " + ", ".join(methods),
        "",
        f"Command: `python benchmarks/quality.py {' '.join(sys.argv[1:])}`".rstrip() + "  ",
        f"{len(probs)} problems, {len(seeds)} seeds, {args.trials} trials, every method starts from the "
        f"problem's defaults. Wall time {elapsed / 60:.1f} min with {args.n_jobs} worker(s).",
        "",
        "Normalized score: random search's mean best after t trials = 0, best value any run ever found "
        "on the problem = 100 (higher is better). Mean ± 95% t-interval over seeds of the per-seed "
        "mean over problems. Optuna's samplers both start with 10 random trials (their default "
        "`n_startup_trials`), so they coincide up to trial 10.",
        "",
    ]
    runs = {m: len({(r["problem"], r["seed"]) for r in results if r["method"] == m}) for m in methods}
    if len(set(runs.values())) > 1:
        lines += [
            "Not every method ran every problem and seed: runs per method "
            + ", ".join(f"{m} {n}" for m, n in runs.items())
            + ". A mean covers only the problems and seeds the method ran.",
            "",
        ]
    if skipped:
        lines += [f"Skipped {m}: {why}.  " for m, why in skipped.items()] + [""]
    for j, t in enumerate(checkpoints):
        lines += [
            f"## After {t} trials",
            "",
            "| problem | " + " | ".join(methods) + " |",
            "|---" * (len(methods) + 1) + "|",
        ]
        for prob in probs:
            row = [f"{scores[(prob, m)][:, j].mean():.1f}" if (prob, m) in scores else "" for m in methods]
            lines.append(f"| {prob} | " + " | ".join(row) + " |")
        cells = []
        for m in methods:
            per_seed = _per_seed(results, scores, probs, m, j)
            mean, half = _ci(per_seed)
            cells.append(f"**{mean:.1f}** ± {half:.1f}")
        lines += ["| **mean** | " + " | ".join(cells) + " |", ""]
    last = checkpoints[-1]
    lines += [
        f"## Mean best value after {last} trials (objective units; direction per problem)",
        "",
        "| problem | direction | " + " | ".join(methods) + " | best ever |",
        "|---" * (len(methods) + 3) + "|",
    ]
    for prob in probs:
        sign = 1.0 if PROBLEMS[prob].direction == "maximize" else -1.0
        row = []
        for m in methods:
            bs = [r["best"][last - 1] for r in results if r["problem"] == prob and r["method"] == m]
            row.append(f"{sign * np.mean(bs):.4g}" if bs else "")
        top = sign * max(max(r["best"]) for r in results if r["problem"] == prob)
        lines.append(f"| {prob} | {PROBLEMS[prob].direction} | " + " | ".join(row) + f" | {top:.4g} |")
    lines += [
        "",
        "## Mean time per ask (s), inside the runs above",
        "",
        "| method | " + " | ".join(probs) + " |",
        "|---" * (len(probs) + 1) + "|",
    ]
    for m in methods:
        row = [f"{np.mean([r['ask'] for r in results if r['problem'] == p and r['method'] == m]):.3f}" for p in probs]
        lines.append(f"| {m} | " + " | ".join(row) + " |")
    lines += paired_lines(results, scores, probs, methods, checkpoints)
    lines += hindsight_lines(scores, probs, methods, checkpoints)
    lines += cost_lines(cost)
    return "\n".join(lines) + "\n"


def paired_lines(
    results: list[dict[str, Any]],
    scores: dict[tuple[str, str], np.ndarray],
    probs: list[str],
    methods: list[str],
    checkpoints: tuple[int, ...],
    base: str = "bayes",
) -> list[str]:
    """``base`` against each peer on the (problem, seed) runs both did: per-problem gaps at the last
    checkpoint and the suite mean's difference paired by seed, at every checkpoint."""
    # The anchors, and the variants of the base itself (an option measured against the default).
    peers = [m for m in methods if m != base and (m.startswith(("optuna-", f"{base}-")) or m in ANCHORS)]
    if base not in methods or not peers:
        return []

    def by_run(m: str, j: int) -> dict[tuple[str, int], float]:
        out = {}
        for p in probs:
            seeds = sorted(r["seed"] for r in results if r["problem"] == p and r["method"] == m)
            out.update({(p, s): float(scores[(p, m)][i, j]) for i, s in enumerate(seeds)})
        return out

    last = len(checkpoints) - 1
    lines = [
        "",
        f"## {base} against each peer, on the runs both did",
        "",
        f"Gap = {base} minus the peer, normalized score after {checkpoints[last]} trials, mean over the seeds both "
        "ran (their number in brackets).",
        "",
        "| problem | " + " | ".join(peers) + " |",
        "|---" * (len(peers) + 1) + "|",
    ]
    base_runs = [by_run(base, j) for j in range(len(checkpoints))]
    mine, theirs = base_runs[last], {m: by_run(m, last) for m in peers}
    for p in probs:
        cells = []
        for m in peers:
            common = [k for k in theirs[m] if k[0] == p and k in mine]
            gap = np.mean([mine[k] - theirs[m][k] for k in common]) if common else None
            cells.append(f"{gap:+.1f} ({len(common)})" if gap is not None else "")
        lines.append(f"| {p} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"Suite mean, {base} minus the peer, paired by seed (each seed's mean over the problems both ran with it), "
        "± 95% t-interval:",
        "",
        "| peer | seeds | " + " | ".join(f"after {t}" for t in checkpoints) + " |",
        "|---" * (len(checkpoints) + 2) + "|",
    ]
    for m in peers:
        cells, n = [], 0
        for j, a in enumerate(base_runs):
            b = by_run(m, j)
            seeds = sorted({s for (_, s) in b})
            diffs = [np.mean([a[k] - b[k] for k in b if k[1] == s and k in a]) for s in seeds]
            diffs = [d for d in diffs if np.isfinite(d)]
            mean, half = _ci(np.array(diffs))
            n = len(diffs)
            cells.append(f"{mean:+.1f} ± {half:.1f}")
        lines.append(f"| {m} | {n} | " + " | ".join(cells) + " |")
    return lines


def hindsight_lines(
    scores: dict[tuple[str, str], np.ndarray], probs: list[str], methods: list[str], checkpoints: tuple[int, ...]
) -> list[str]:
    """What picking the best method on each problem after the fact would score: a ceiling for any
    one method's suite mean on the same normalization (the mean over problems of the highest
    per-problem mean, over every method, and over the anchors alone)."""
    if len(methods) < 2:
        return []
    anchors = [m for m in methods if m.startswith("optuna-") or m in ANCHORS]
    anchored = all(any((p, m) in scores for m in anchors) for p in probs)

    def ceiling(among: list[str], j: int) -> str:
        tops = [max(scores[(p, m)][:, j].mean() for m in among if (p, m) in scores) for p in probs]
        return f"{np.mean(tops):.1f}"

    lines = [
        "",
        "## The best method on each problem, picked after the fact",
        "",
        "Mean over the problems of the highest mean score any one method reached on that problem. A "
        "method that ran every problem and seed above cannot have a higher suite mean.",
        "",
        "| trials | best of all methods per problem | best anchor per problem |",
        "|---|---|---|",
    ]
    for j, t in enumerate(checkpoints):
        lines.append(f"| {t} | {ceiling(methods, j)} | {ceiling(anchors, j) if anchored else ''} |")
    return lines


def cost_lines(cost: list[tuple[str, int, float, float, float]]) -> list[str]:
    lines: list[str] = []
    if cost:
        lines += [
            "",
            "## Suggest cost: one ask+tell in a 10-D space (one thread)",
            "",
            "Over 10 consecutive ask+tells for bayes, 5 for GPSampler. CPU time is the process's own; "
            "wall time includes waiting for a core on a shared machine. Beyond 100 trials bayes "
            "re-optimizes its kernel hyper-parameters on every fifth trial (the max column) and "
            "reuses them otherwise.",
            "",
            "| sampler | trials in the study | CPU ms, median | CPU ms, max | wall ms, median |",
            "|---|---|---|---|---|",
        ]
        lines += [f"| {name} | {n} | {1000 * c:.0f} | {1000 * m:.0f} | {1000 * w:.0f} |" for name, n, c, m, w in cost]
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--methods",
        default=",".join(DEFAULT_METHODS),
        help="comma list: jhpo strategy names (bayes, random, sobol, genetic, ...) and optuna-tpe, optuna-gp",
    )
    ap.add_argument("--problems", default=",".join(PROBLEMS), help=f"comma list of {', '.join(PROBLEMS)}")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--first-seed", type=int, default=0, help="seeds run from here (to split a long run)")
    ap.add_argument("--trials", type=int, default=30)
    ap.add_argument("--n-jobs", type=int, default=2, help="parallel runs (at most 2 on this machine)")
    ap.add_argument("--quick", action="store_true", help="3 seeds, three problems, no suggest-cost")
    ap.add_argument("--no-cost", action="store_true", help="skip the suggest-cost measurement")
    ap.add_argument("--cost-only", action="store_true", help="only measure the suggest cost")
    ap.add_argument("--raw", default=None, help="also write every run's best-so-far curve to this JSON file")
    ap.add_argument(
        "--load",
        action="append",
        default=[],
        help="JSON file(s) from --raw: their runs join this report and are not run again (repeatable)",
    )
    ap.add_argument("--no-run", action="store_true", help="only report the runs given with --load")
    ap.add_argument(
        "--out", default=None, help="report path, or - for stdout (default: results/quality.md; stdout with --quick)"
    )
    args = ap.parse_args(argv)
    if args.quick:
        args.seeds, args.problems, args.no_cost = min(args.seeds, 3), "branin,mixed,elasticnet", True
    if args.out is None:  # a quick run must not overwrite the full report
        args.out = "-" if args.quick else str(ROOT / "results" / "quality.md")
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    problems = [p.strip() for p in args.problems.split(",") if p.strip()]
    unknown = [p for p in problems if p not in PROBLEMS]
    if unknown:
        ap.error(f"unknown problem(s) {unknown}; choose from {list(PROBLEMS)}")
    checkpoints = tuple(t for t in CHECKPOINTS if t <= args.trials) or (args.trials,)
    if args.trials not in checkpoints:
        checkpoints = (*checkpoints, args.trials)

    if args.cost_only:
        print("\n".join(cost_lines(suggest_cost())))
        return 0
    from joblib import Parallel, delayed

    start = time.perf_counter()
    loaded: list[dict[str, Any]] = []
    for path in args.load:
        loaded += [r for r in json.loads(Path(path).read_text()) if len(r["best"]) >= args.trials]
    # A run loaded twice (files that overlap) counts once: the later file's copy.
    loaded = list({(r["problem"], r["method"], r["seed"]): r for r in loaded}.values())
    skipped = {m: why for m in methods if (why := missing_anchor(m)) is not None}
    for m, why in skipped.items():
        print(f"skipping {m}: {why}", file=sys.stderr)
    done = {(r["problem"], r["method"], r["seed"]) for r in loaded}
    tasks = [  # seed by seed, so a partial run covers whole seeds
        (p, m, s, args.trials)
        for s in range(args.first_seed, args.first_seed + args.seeds)
        for p in problems
        for m in methods
        if m not in skipped and (p, m, s) not in done and not args.no_run
    ]
    # Within a seed, slow methods first so the two workers finish together.
    tasks.sort(key=lambda t: (t[2], t[1] not in SLOW, PROBLEMS[t[0]].kind != "sklearn"))
    results: list[dict[str, Any]] = []
    runs = Parallel(n_jobs=min(args.n_jobs, 2), verbose=0, return_as="generator")(delayed(run)(*t) for t in tasks)
    for r in runs:  # kept as they finish, so a run stopped by a timeout keeps what it did
        results.append(r)
        if args.raw:
            Path(args.raw).write_text(json.dumps(results))
    results += [
        {**r, "best": r["best"][: args.trials]} for r in loaded if r["problem"] in problems and r["method"] in methods
    ]
    methods = [m for m in methods if any(r["method"] == m for r in results)]
    cost = [] if args.no_cost else suggest_cost()
    text = report(results, methods, checkpoints, cost, args, time.perf_counter() - start, skipped)
    if args.out == "-":
        print(text)
    else:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text)
        print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
