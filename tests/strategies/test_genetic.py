"""The genetic strategy: the contract, plus what makes it a genetic algorithm."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

import jhpo
from jhpo.strategies.genetic import GeneticStrategy, default_population
from jhpo.trial import TrialState

from .contract import MIXED, StrategyContract, objective


class TestGeneticContract(StrategyContract):
    strategy = "genetic"


class TestGeneticContractSmallPopulation(StrategyContract):
    # Several generations inside the contract's 25 trials.
    strategy = "genetic"
    options = {"population": 6}


SPHERE = {f"x{i}": jhpo.uniform(-2.0, 2.0) for i in range(4)}


def sphere(t: jhpo.Trial) -> float:
    return sum((t.params[f"x{i}"] - 0.3 * i) ** 2 for i in range(4))


def study(
    space: Any = MIXED, seed: int | None = 0, direction: str = "maximize", storage: Any = ":memory:", **options: Any
) -> jhpo.Study:
    return jhpo.Study(
        space, strategy="genetic", direction=direction, seed=seed, storage=storage, strategy_options=options
    )


def test_population_rule() -> None:
    assert [default_population(n) for n in (10, 30, 60, 100, 200, 1000)] == [6, 7, 9, 12, 17, 24]
    assert default_population(None) == 10
    s = study(n_trials=60)
    assert s.strategy.population == 9 and s.strategy.n_generations == 7
    assert study(n_trials=60, population=7).strategy.population == 7
    with pytest.raises(ValueError, match="population must be at least 2"):
        study(population=1)


def test_generations_and_parents_are_recorded_and_consistent() -> None:
    s = study(population=6, n_trials=36)
    s.enqueue(
        {"lr": 1e-2, "momentum": 0.5, "dropout": 0.0, "layers": 1, "units": 8, "batch": 16, "act": "relu", "bn": True},
        {"baseline": True},
    )
    s.optimize(objective, n_trials=36)
    trials = s.trials
    gens = s.strategy.generations(trials)
    assert gens == [i // 6 for i in range(36)]  # the baseline is one of generation 0's six
    assert trials[0].info == {"baseline": True}
    for t in trials[1:]:
        info = json.loads(json.dumps(t.info))  # what storage keeps
        assert isinstance(info["generation"], int) and info["generation"] == gens[t.number]
        assert info["operator"] in {"init", "elite", "crossover+mutation", "random"}
        if info["generation"] == 0:
            assert info["operator"] == "init" and info["parents"] == []
        else:
            assert info["operator"] in {"elite", "crossover+mutation"}
            assert len(info["parents"]) == (1 if info["operator"] == "elite" else 2)
            for p in info["parents"]:
                assert gens[p] < info["generation"], (t.number, p)
                assert trials[p].state is TrialState.COMPLETE
    history = s.strategy.population_history(trials)
    assert [h["generation"] for h in history] == list(range(6))
    assert [len(h["members"]) for h in history] == [6] * 6
    assert history[0]["operators"][0] == "baseline"
    json.dumps(history)  # pure data


def test_elitism_keeps_the_best() -> None:
    s = study(population=6, n_trials=48, direction="minimize", space=SPHERE)
    s.optimize(sphere, n_trials=48)
    trials, strat = s.trials, s.strategy
    gens = strat.generations(trials)
    for g in range(1, 8):
        earlier = [t for t in trials if gens[t.number] < g]
        best = min(earlier, key=lambda t: t.value)
        pool = strat.parent_pool(trials, g)
        assert pool[0].number == best.number  # the best stays, first in line
        assert len(pool) == 6 and all(gens[p.number] < g for p in pool)
        elites = [t for t in trials if gens[t.number] == g and t.info["operator"] == "elite"]
        assert elites and elites[0].info["parents"] == [best.number]
    so_far = [h["best_so_far"] for h in strat.population_history(trials)]
    assert so_far == sorted(so_far, reverse=True)


def test_integers_remain_integers() -> None:
    space = {
        "n": jhpo.integer(1, 9),
        "units": jhpo.integer(8, 1024, log=True),
        "b": jhpo.integer(16, 256, step=16),
        "x": jhpo.uniform(0, 1, step=0.25),
        "f": jhpo.loguniform(1e-4, 1.0),
    }
    s = study(space=space, population=6, n_trials=40)
    s.optimize(lambda t: -abs(t.params["n"] - 4) - abs(math.log2(t.params["units"]) - 6) + t.params["x"], n_trials=40)
    for t in s.trials:
        assert type(t.params["n"]) is int and type(t.params["units"]) is int and type(t.params["b"]) is int
        assert (t.params["b"] - 16) % 16 == 0 and t.params["x"] in (0.0, 0.25, 0.5, 0.75, 1.0)
        assert jhpo.Space(space).contains(t.params)


def test_no_duplicates_in_a_small_discrete_space_until_exhausted() -> None:
    space = {"a": jhpo.choice("x", "y", "z"), "n": jhpo.integer(1, 4), "s": jhpo.uniform(0, 1, step=0.5)}
    s = study(space=space, population=6, n_trials=100)
    s.optimize(lambda t: t.params["n"] + (t.params["a"] == "y") + t.params["s"], n_trials=100)
    keys = [jhpo.Space(space).key(t.params) for t in s.trials]
    assert len(keys) == len(set(keys)) == 3 * 4 * 3
    assert s.stop_reason == "exhausted"
    assert s.strategy.suggest(s.trials, 5) == []
    # Asked for more than are left: fewer, all new and valid.
    s2 = study(space=space, population=6)
    s2.optimize(lambda t: float(t.params["n"]), n_trials=30)
    left = s2.strategy.suggest(s2.trials, 10)
    assert len(left) == 6 and all(jhpo.Space(space).contains(x.params) for x in left)
    tried = {jhpo.Space(space).key(t.params) for t in s2.trials}
    assert len(tried) == 30 and not tried & {jhpo.Space(space).key(x.params) for x in left}
    assert len({jhpo.Space(space).key(x.params) for x in left}) == 6


def test_no_duplicates_in_a_mixed_space() -> None:
    s = study(population=8, n_trials=80)
    s.optimize(objective, n_trials=80)
    keys = [jhpo.Space(MIXED).key(t.params) for t in s.trials]
    assert len(set(keys)) == 80


def test_a_batch_is_a_whole_generation() -> None:
    s = study(space=SPHERE, population=6, direction="minimize")
    s.enqueue({"x0": 0.0, "x1": 0.0, "x2": 0.0, "x3": 0.0}, {"baseline": True})
    first = s.ask_batch(6)
    assert [t.info.get("generation") for t in first] == [None, 0, 0, 0, 0, 0]  # baseline + five
    for t in first:
        s.tell(t, sphere(t))
    second = s.ask_batch(6)
    assert [t.info["generation"] for t in second] == [1] * 6
    assert {t.info["operator"] for t in second} == {"elite", "crossover+mutation"}


def _one_by_one(seed: int, baseline: bool) -> list[Any]:
    s = study(space=SPHERE, seed=seed, population=6, n_trials=30, direction="minimize")
    if baseline:
        s.enqueue({"x0": 0.0, "x1": 0.0, "x2": 0.0, "x3": 0.0}, {"baseline": True})
    s.optimize(sphere, n_trials=30)
    return [(t.params, t.info) for t in s.trials]


def _in_batches(seed: int, baseline: bool) -> list[Any]:
    s = study(space=SPHERE, seed=seed, population=6, n_trials=30, direction="minimize")
    if baseline:
        s.enqueue({"x0": 0.0, "x1": 0.0, "x2": 0.0, "x3": 0.0}, {"baseline": True})
    for _ in range(5):
        batch = s.ask_batch(6)
        for t in reversed(batch):  # parallel workers finish in any order
            s.tell(t, sphere(t))
    return [(t.params, t.info) for t in s.trials]


@pytest.mark.parametrize("baseline", [False, True])
def test_same_proposals_one_by_one_or_in_batches(baseline: bool) -> None:
    a, b = _one_by_one(5, baseline), _in_batches(5, baseline)
    assert len(a) == len(b) == 30
    assert a == b
    assert _one_by_one(6, baseline) != a


def test_rebuilt_from_storage_continues_the_same_search(tmp_path: Any) -> None:
    path = str(tmp_path / "s.db")
    whole = study(space=SPHERE, seed=2, population=6, n_trials=40, direction="minimize")
    whole.optimize(sphere, n_trials=40)
    part = jhpo.Study(
        SPHERE,
        strategy="genetic",
        direction="minimize",
        seed=2,
        storage=path,
        name="g",
        strategy_options={"population": 6, "n_trials": 40},
    )
    part.optimize(sphere, n_trials=17)  # stop inside a generation
    again = jhpo.load_study("g", storage=path)
    assert isinstance(again.strategy, GeneticStrategy)
    again.optimize(sphere, n_trials=23)
    assert [t.params for t in again.trials] == [t.params for t in whole.trials]


def test_failed_trials_never_breed() -> None:
    def flaky(t: jhpo.Trial) -> float:
        if t.params["x0"] < -0.5 or t.number % 4 == 3:
            raise RuntimeError("diverged")
        if t.number % 7 == 5:
            raise jhpo.TrialPruned("slow")
        return sphere(t)

    s = study(space=SPHERE, population=6, n_trials=48, direction="minimize")
    s.optimize(flaky, n_trials=48)
    trials = s.trials
    assert sum(t.state is TrialState.FAILED for t in trials) >= 10
    parents = {p for t in trials for p in t.info.get("parents", [])}
    assert parents and all(trials[p].state is TrialState.COMPLETE for p in parents)


def test_breeds_from_finished_members_while_others_run() -> None:
    s = study(space=SPHERE, population=6, direction="minimize")
    gen0 = s.ask_batch(6)
    for t in gen0[:3]:
        s.tell(t, sphere(t))
    early = s.ask_batch(2)  # three of generation 0 still running
    assert [t.info["generation"] for t in early] == [1, 1]
    assert {p for t in early for p in t.info["parents"]} <= {t.number for t in gen0[:3]}
    for t in gen0[3:] + early:
        s.tell(t, sphere(t))
    late = s.ask_batch(4)  # the rest of generation 1 sees the whole of generation 0
    assert [t.info["generation"] for t in late] == [1] * 4
    # A batch larger than a generation continues into the next one.
    more = s.ask_batch(8)
    assert [t.info["generation"] for t in more] == [2] * 6 + [3] * 2


def test_nothing_finished_yet_keeps_exploring() -> None:
    s = study(space=SPHERE, population=4)
    batch = s.ask_batch(10)
    assert [t.info["generation"] for t in batch] == [0] * 4 + [1] * 4 + [2] * 2
    assert all(t.info["operator"] == "init" for t in batch)
    assert len({jhpo.Space(SPHERE).key(t.params) for t in batch}) == 10


def test_log_parameters_mix_in_log_space() -> None:
    g = GeneticStrategy(jhpo.Space({"lr": jhpo.loguniform(1e-6, 1.0)}), seed=0)
    ua, ub = g.searched.to_unit({"lr": 1e-5}), g.searched.to_unit({"lr": 1e-1})
    kids = [g.searched.from_unit(g._crossover(ua, ub, g.rng(i)))["lr"] for i in range(400)]
    logs = np.log10(kids)
    # SBX spreads children symmetrically around the parents in log space: centred on the
    # geometric mean 1e-3 (mixing in linear space would centre them on 0.05).
    assert abs(np.mean(logs) + 3) < 0.25
    assert abs(np.mean(logs[logs < -3]) + 5) < 0.5 and abs(np.mean(logs[logs > -3]) + 1) < 0.5


def test_mutation_narrows_over_generations() -> None:
    s = study(space=SPHERE, population=8, n_trials=80, direction="minimize")
    s.optimize(sphere, n_trials=80)
    trials = s.trials
    spread = []
    for h in s.strategy.population_history(trials)[1:]:
        moves = []
        for num, parents in zip(h["members"], h["parents"]):
            if len(parents) == 1:  # elite: a pure mutation of its parent
                u = s.space.to_unit(trials[num].params) - s.space.to_unit(trials[parents[0]].params)
                moves.append(np.abs(u).max())
        spread.append(np.mean(moves))
    assert spread[-1] < spread[0] / 2


def test_population_mean_improves_on_a_smooth_function() -> None:
    first, last = [], []
    for seed in range(4):
        s = study(space=SPHERE, seed=seed, population=8, n_trials=64, direction="minimize")
        s.optimize(sphere, n_trials=64)
        means = [h["mean"] for h in s.strategy.population_history(s.trials)]
        assert len(means) == 8
        assert means[-1] < means[0] / 3, means
        first.append(means[0])
        last.append(means[-1])
    assert np.mean(last) < np.mean(first) / 5


@pytest.mark.parametrize("n_trials", [60, 100])
def test_beats_random_search_on_average(n_trials: int) -> None:
    space = {f"x{i}": jhpo.uniform(-2.0, 2.0) for i in range(5)}

    def rosenbrock(t: jhpo.Trial) -> float:
        x = np.array([t.params[f"x{i}"] for i in range(5)])
        return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))

    best: dict[str, list[float]] = {"genetic": [], "random": []}
    for seed in range(10):
        for name in best:
            opts = {"n_trials": n_trials} if name == "genetic" else {}
            s = jhpo.Study(
                space, strategy=name, direction="minimize", seed=seed, storage=":memory:", strategy_options=opts
            )
            s.optimize(rosenbrock, n_trials=n_trials)
            best[name].append(s.best_value)
    assert np.mean(best["genetic"]) < 0.7 * np.mean(best["random"]), best
    assert np.median(best["genetic"]) < np.median(best["random"])


def test_unseeded_runs_differ() -> None:
    a, b = study(space=SPHERE, seed=None), study(space=SPHERE, seed=None)
    a.optimize(sphere, n_trials=5)
    b.optimize(sphere, n_trials=5)
    assert [t.params for t in a.trials] != [t.params for t in b.trials]


@pytest.mark.parametrize(
    ("options", "population"), [({"trials": 30}, 7), ({"trials": 30, "population": 5}, 5), ({}, default_population(20))]
)
def test_tune_cell_sizes_the_population(tmp_path: Any, options: dict[str, Any], population: int) -> None:
    from jhpo.cell import TuneOptions, tune_cell

    pop = options.pop("population", None)
    opts = TuneOptions(
        strategy="genetic",
        seed=0,
        storage=str(tmp_path / "s.db"),
        quiet=True,
        strategy_options={"population": pop} if pop else {},
        **options,
    )
    res = tune_cell("x = 0.5  # tune: uniform(0, 1)\n-(x - 0.3) ** 2\n", {}, opts)
    assert res is not None
    trials = res.study.trials
    assert res.study.strategy.population == population
    assert trials[0].info.get("baseline") and len(trials) == options.get("trials", 20)
    assert [len(h["members"]) for h in res.study.strategy.population_history(trials)][0] == population


def test_ignores_the_resource_parameter() -> None:
    space = {**SPHERE, "epochs": jhpo.resource(1, 27)}
    s = study(space=space, population=4, direction="minimize")
    s.optimize(sphere, n_trials=12)
    assert all(t.params["epochs"] == 27 for t in s.trials)
    assert all("epochs" not in x.params for x in s.strategy.suggest(s.trials, 4))
    assert [h["n_complete"] for h in s.strategy.population_history(s.trials)] == [4, 4, 4]


def test_explains_its_last_proposal() -> None:
    s = study(space=SPHERE, population=4, direction="minimize")
    s.optimize(sphere, n_trials=5)
    why = s.strategy.explain()
    assert why == {
        "kind": "genetic",
        "population": 4,
        "generation": 1,
        "operator": "elite",
        "parents": [s.strategy.parent_pool(s.trials, 1)[0].number],
    }
