"""Several objectives: the Pareto tools, the Study API, ``%%tune --maximize a --minimize b``, resume."""

from __future__ import annotations

import itertools
import json
import sqlite3

import numpy as np
import pytest
from IPython.core.error import UsageError

import jhpo
from jhpo.pareto import crowding_distance, dominates, hypervolume, non_dominated_sort, pareto_front
from jhpo.trial import Trial, TrialState

# -- the Pareto tools ---------------------------------------------------------------------


def _brute_front(points: np.ndarray) -> list[int]:
    return [i for i, p in enumerate(points) if not any(dominates(q, p) for q in points)]


def test_non_dominated_sort_peels_known_fronts() -> None:
    pts = np.array([[1, 5], [2, 3], [4, 1], [2, 5], [3, 4], [5, 5], [4, 1]])
    ranks = non_dominated_sort(pts)
    # equal points are on the same front; (2, 5) is dominated by (1, 5) only
    assert ranks.tolist() == [0, 0, 0, 1, 1, 2, 0]


def test_non_dominated_sort_agrees_with_brute_force_on_random_sets() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        pts = rng.integers(0, 6, size=(30, 3)).astype(float)
        ranks = non_dominated_sort(pts)
        assert set(np.flatnonzero(ranks == 0)) == set(_brute_front(pts))
        rest = np.flatnonzero(ranks > 0)
        # every point of rank k > 0 is dominated by some point of rank k - 1
        assert all(any(dominates(pts[j], pts[i]) for j in np.flatnonzero(ranks == ranks[i] - 1)) for i in rest)


def test_hypervolume_of_known_sets() -> None:
    assert hypervolume(np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0]]), [4, 4]) == pytest.approx(6.0)
    # a dominated point and a point outside the reference add nothing
    assert hypervolume(np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0], [3, 3], [5, 0]]), [4, 4]) == pytest.approx(6.0)
    assert hypervolume(np.zeros((0, 2)), [1, 1]) == 0.0
    # two boxes in 3-D: inclusion-exclusion gives 1*2*2 + 2*1*2 - 1*1*2 = 6
    assert hypervolume(np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), [2, 2, 2]) == pytest.approx(6.0)
    # the concave ZDT2 front 1 - x^2 against (1, 1): 1 - 2/3
    x = np.linspace(0, 1, 4001)
    assert hypervolume(np.stack([x, 1 - x**2], 1), [1, 1]) == pytest.approx(1 / 3, abs=1e-3)


def test_hypervolume_in_3d_and_4d_matches_inclusion_exclusion() -> None:
    rng = np.random.default_rng(1)
    for m in (3, 4):
        pts = rng.random((7, m))
        ref = np.ones(m)
        exact = 0.0
        for k in range(1, len(pts) + 1):
            for subset in itertools.combinations(range(len(pts)), k):
                corner = pts[list(subset)].max(axis=0)
                exact += (-1) ** (k + 1) * float(np.prod(ref - corner))
        assert hypervolume(pts, ref) == pytest.approx(exact, rel=1e-9)


def test_crowding_distance_favours_the_extremes_and_the_lonely() -> None:
    d = crowding_distance(np.array([[0.0, 4.0], [1.0, 3.0], [1.1, 2.9], [4.0, 0.0]]))
    assert np.isinf(d[0]) and np.isinf(d[3])
    assert d[1] < 1.0 and d[2] > d[1]  # (1.1, 2.9) has the wider gap on its far side


def _trial(n: int, values: list[float] | None, state: TrialState = TrialState.COMPLETE, **info: object) -> Trial:
    return Trial(n, {"x": float(n)}, state, values[0] if values else None, values, dict(info))


def test_pareto_front_of_trials_respects_directions_states_and_constraints() -> None:
    trials = [
        _trial(0, [0.9, 3.0]),
        _trial(1, [0.8, 1.0]),
        _trial(2, [0.7, 2.0]),  # dominated by 1 (maximize the first, minimize the second)
        _trial(3, [0.95, 0.5], feasible=False),  # would dominate all, but broke a constraint
        _trial(4, None, TrialState.FAILED),
        _trial(5, [0.9, 3.0]),  # equal to 0: both stay
    ]
    front = pareto_front(trials, ["maximize", "minimize"])
    assert [t.number for t in front] == [0, 1, 5]
    flipped = pareto_front(trials, ["minimize", "maximize"])
    assert [t.number for t in flipped] == [0, 2, 5]


# -- the Study API ------------------------------------------------------------------------


def _two(t: Trial) -> tuple[float, float]:
    x = t.params["x"]
    return x, (x - 1) ** 2


def test_study_with_a_list_of_directions_keeps_values_and_a_front() -> None:
    study = jhpo.Study(
        {"x": jhpo.uniform(0, 1)}, strategy="random", direction=["maximize", "minimize"], seed=0, storage=":memory:"
    )
    study.optimize(_two, n_trials=12)
    assert study.is_multi and study.best_trial is None and study.best_value is None
    for t in study.trials:
        assert t.values == [pytest.approx(t.params["x"]), pytest.approx((t.params["x"] - 1) ** 2)]
        assert t.value == t.values[0]
    # x up is better for both objectives here: the front is the single largest x
    assert [t.number for t in study.best_trials] == [max(study.trials, key=lambda t: t.params["x"]).number]
    df = study.to_dataframe()
    assert {"values_objective_0", "values_objective_1"} <= set(df.columns)


def test_directions_keyword_and_a_wrong_number_of_values() -> None:
    study = jhpo.Study(
        {"x": jhpo.uniform(0, 1)}, strategy="sobol", directions=["minimize", "minimize"], storage=":memory:", seed=1
    )
    study.optimize(lambda t: [t.params["x"]], n_trials=1)
    study.optimize(lambda t: "high", n_trials=1)
    study.optimize(lambda t: (1.0, float("nan")), n_trials=1)
    errors = [t.error for t in study.trials]
    assert all(t.state is TrialState.FAILED for t in study.trials)
    assert "gave 1 numbers for the 2 objectives (minimize objective_0, minimize objective_1)" in errors[0]
    assert "so a trial gives 2 numbers, not a str" in errors[1]
    assert "NaN (objective `objective_1`)" in errors[2]
    with pytest.raises(ValueError, match="not both"):
        jhpo.Study({"x": jhpo.uniform(0, 1)}, direction="minimize", directions=["minimize", "maximize"])


@pytest.mark.parametrize("strategy", ["hyperband", "asha", "pbt"])
def test_budget_strategies_refuse_several_objectives_naming_the_fix(strategy: str) -> None:
    space = {"x": jhpo.uniform(0, 1), "epochs": jhpo.resource(1, 9)}
    with pytest.raises(
        ValueError, match=rf"--strategy {strategy} promotes trials by one number.*use --strategy random"
    ):
        jhpo.Study(space, strategy=strategy, direction=["maximize", "minimize"], storage=":memory:")


def test_a_pruner_is_refused_with_several_objectives() -> None:
    with pytest.raises(ValueError, match="drop --pruner"):
        jhpo.Study({"x": jhpo.uniform(0, 1)}, direction=["maximize", "minimize"], pruner="median", storage=":memory:")


# -- %%tune -------------------------------------------------------------------------------

CELL = """\
depth = 3      # tune: integer(1, 12)
lr = 0.1       # tune: loguniform(1e-3, 1)
accuracy = quality(depth, lr)
fit_time = 0.01 * depth
"""

EARLIER = """\
import math
calls = []
def quality(depth, lr):
    calls.append(depth)
    return 1 - 1 / (1 + depth) - abs(math.log10(lr) + 1) / 10
"""


def test_two_objective_tune_cell_with_an_earlier_cell_function(ip, capsys) -> None:  # type: ignore[no-untyped-def]
    ip.run_cell(EARLIER)
    ip.user_ns["accuracy"] = "before"
    r = ip.run_cell_magic(
        "tune", "--maximize accuracy --minimize fit_time --strategy genetic --trials 18 --seed 0 --quiet", CELL
    )
    assert r.study.directions == ("maximize", "minimize")
    assert r.study.objective_names == ["accuracy", "fit_time"]
    assert len(ip.user_ns["calls"]) == 18  # the earlier cell's function ran once per trial
    for t in r.trials:
        assert t.state is TrialState.COMPLETE
        acc = 1 - 1 / (1 + t.params["depth"]) - abs(np.log10(t.params["lr"]) + 1) / 10
        assert t.values == [pytest.approx(acc), pytest.approx(0.01 * t.params["depth"])]
    # the front is exactly the non-dominated trials, sorted best first in accuracy
    pts = np.array([[-t.values[0], t.values[1]] for t in r.trials])
    expected = {r.trials[i].number for i in _brute_front(pts)}
    front = r.pareto_front
    assert set(front["number"]) == expected
    assert list(front.columns[:3]) == ["number", "accuracy", "fit_time"]
    assert front["accuracy"].is_monotonic_decreasing
    # no single best: nothing is re-run or applied, and the cell says how to choose
    assert r.best_trial is None and ip.user_ns["accuracy"] == "before"
    assert "choose a trial from result.pareto_front" in capsys.readouterr().err
    assert r.params_of(int(front["number"][0])) == r.trials[int(front["number"][0])].params
    summary = r.summary()
    assert "several objectives" in summary and "Pareto front (maximize accuracy, minimize fit_time)" in summary


def test_objective_order_is_kept_across_both_flags(ip) -> None:  # type: ignore[no-untyped-def]
    ip.run_cell(EARLIER)
    r = ip.run_cell_magic(
        "tune", "--minimize fit_time --maximize accuracy --strategy random --trials 4 --seed 0 --quiet", CELL
    )
    assert r.study.directions == ("minimize", "maximize")
    assert r.study.objective_names == ["fit_time", "accuracy"]
    assert r.trials[1].values[0] == pytest.approx(0.01 * r.trials[1].params["depth"])


@pytest.mark.parametrize(
    "line, message",
    [
        ("--maximize --minimize fit_time", "each one names its variable: write --maximize NAME"),
        ("--maximize accuracy --minimize accuracy", "`accuracy` is named twice"),
        ("--maximize accuracy --minimize fit_time --strategy hyperband", "promotes trials by one number"),
        ("--maximize accuracy --minimize fit_time --race random,sobol", "keep one objective"),
        ("--maximize accuracy --minimize fit_time --pruner median", "drop --pruner"),
    ],
)
def test_bad_objective_combinations_are_refused_naming_the_fix(ip, line, message) -> None:  # type: ignore[no-untyped-def]
    ip.run_cell(EARLIER)
    with pytest.raises(UsageError, match=message):
        ip.run_cell_magic("tune", line + " --trials 3 --quiet", CELL)
    assert ip.user_ns["calls"] == []  # refused before anything ran


def test_a_missing_objective_variable_fails_the_trial_with_its_name(ip) -> None:  # type: ignore[no-untyped-def]
    ip.run_cell(EARLIER)
    r = ip.run_cell_magic(
        "tune", "--maximize accuracy --minimize size --strategy random --trials 2 --quiet --no-baseline", CELL
    )
    assert "did not set `size`, an objective named in --maximize/--minimize" in r.trials[0].error


def test_a_multi_objective_study_resumes_from_sqlite(ip, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ip.run_cell(EARLIER)
    db = tmp_path / "mo.db"
    line = f"--maximize accuracy --minimize fit_time --strategy bayes --seed 3 --quiet --study mo --storage {db}"
    first = ip.run_cell_magic("tune", line + " --trials 6", CELL)
    before = [(t.number, t.values) for t in first.trials]
    again = ip.run_cell_magic("tune", line + " --trials 10 --resume", CELL)
    assert [(t.number, t.values) for t in again.trials[:6]] == before
    assert len(again.trials) == 10 and all(t.values and len(t.values) == 2 for t in again.trials)
    # what the file holds, read by a fresh process's path (load_study)
    loaded = jhpo.load_study("mo", str(db))
    assert loaded.directions == ("maximize", "minimize") and loaded.strategy.name == "bayes"
    assert type(loaded.strategy).__name__ == "ParEGOStrategy"
    assert [t.number for t in loaded.best_trials] == [t.number for t in again.study.best_trials]
    with sqlite3.connect(db) as con:
        info = json.loads(con.execute("SELECT info FROM trials WHERE number = 7").fetchone()[0])
    assert info["values"] == again.trials[7].values
    # resuming with other directions is a changed study, refused with the fix
    with pytest.raises(UsageError, match="directions changed"):
        ip.run_cell_magic("tune", line.replace("--minimize fit_time", "--maximize fit_time") + " --resume", CELL)


def test_a_bad_values_field_in_the_file_is_reported_not_trusted(tmp_path) -> None:
    db = str(tmp_path / "bad.db")
    study = jhpo.Study({"x": jhpo.uniform(0, 1)}, "random", direction=["maximize", "minimize"], storage=db, name="s")
    study.optimize(_two, n_trials=2)
    with sqlite3.connect(db) as con:
        con.execute("""UPDATE trials SET info = '{"values": ["a", 1]}' WHERE number = 1""")
    loaded = jhpo.load_study("s", db)
    assert loaded.trials[1].values is None and loaded.trials[0].values is not None
    assert any(p.field == "values" and p.trial == 1 for p in loaded.storage.problems)


CONSTRAINED = """\
x = 0.5  # tune: uniform(0, 1)
y = 0.5  # tune: uniform(0, 1)
gain = x + y
cost = x * x + 0.2 * y
size_mb = 10 * x
"""


@pytest.mark.parametrize("strategy", ["genetic", "bayes"])
def test_a_constrained_multi_objective_search_keeps_infeasible_trials_off_the_front(ip, strategy) -> None:  # type: ignore[no-untyped-def]
    line = (
        f'--maximize gain --minimize cost --strategy {strategy} --trials 24 --seed 1 --quiet --constraint "size_mb < 6"'
    )
    r = ip.run_cell_magic("tune", line, CONSTRAINED)
    infeasible = {t.number for t in r.trials if t.info.get("feasible") is False}
    assert infeasible, "the space's right part breaks the constraint"
    assert all(t.params["x"] >= 0.6 for t in r.trials if t.number in infeasible)
    assert not infeasible & set(r.pareto_front["number"])
    late = r.trials[-8:]
    assert sum(t.info["feasible"] for t in late) >= 6  # steered into the feasible part
    if strategy == "genetic":  # infeasible trials are never parents
        parents = {p for t in r.trials for p in t.info.get("parents", [])}
        assert parents and not parents & infeasible


# -- the strategies' proposals --------------------------------------------------------------

MIXED = {
    "lr": jhpo.loguniform(1e-4, 1),
    "depth": jhpo.integer(1, 8),
    "kind": jhpo.choice("a", "b", "c"),
    "frac": jhpo.uniform(0, 1, step=0.1),
}


def _mixed(t: Trial) -> tuple[float, float]:
    p = t.params
    return float(np.log10(p["lr"])) + p["frac"] + (p["kind"] == "b"), p["depth"] * (1.5 - p["frac"])


@pytest.mark.parametrize("strategy", ["genetic", "bayes", "random", "sobol", "grid"])
def test_multi_objective_proposals_are_valid_and_repeatable(strategy: str) -> None:
    def run() -> list[dict[str, object]]:
        study = jhpo.Study(
            MIXED,
            strategy,
            direction=["maximize", "minimize"],
            seed=4,
            storage=":memory:",
            # each strategy takes only the options it declares (issue 17)
            strategy_options={"n_trials": 24, **({"population": 6} if strategy == "genetic" else {})},
        )
        study.optimize(_mixed, n_trials=24)
        assert all(t.state is TrialState.COMPLETE for t in study.trials)
        return [t.params for t in study.trials]

    first = run()
    space = jhpo.Space(MIXED)
    assert all(space.contains(p) for p in first)
    assert len({space.key(p) for p in first}) == len(first)  # no configuration twice
    assert run() == first


def test_nsga2_breeds_from_the_front_first() -> None:
    from jhpo.strategies import nsga2

    study = jhpo.Study(
        MIXED,
        "genetic",
        direction=["maximize", "minimize"],
        seed=0,
        storage=":memory:",
        strategy_options={"population": 8, "n_trials": 40},
    )
    study.optimize(_mixed, n_trials=40)
    # generation g's parents come from the NSGA-II survivors of the generations before it
    gens = study.strategy.generations(study.trials)
    for g in range(1, max(gens) + 1):
        earlier = [t for t, tg in zip(study.trials, gens) if tg < g]
        pool = {t.number for t in nsga2.select(earlier, study.directions, 8)}
        parents = {p for t, tg in zip(study.trials, gens) if tg == g for p in t.info.get("parents", [])}
        assert parents <= pool
    # the survivors are the whole first front before any dominated trial
    ranked = nsga2.select(study.trials, study.directions, len(study.trials))
    front = {t.number for t in study.best_trials}
    assert {t.number for t in ranked[: len(front)]} == front


def test_parego_scalarizes_with_weights_that_move() -> None:
    from jhpo.strategies.parego import ParEGOStrategy

    study = jhpo.Study(MIXED, "bayes", direction=["maximize", "minimize"], seed=0, storage=":memory:")
    study.optimize(_mixed, n_trials=12)
    strat = study.strategy
    assert isinstance(strat, ParEGOStrategy)
    w5, w6 = strat.weights(5), strat.weights(6)
    assert w5.sum() == pytest.approx(1) and not np.allclose(w5, w6)
    done = study.trials
    done[3].info["feasible"] = False
    targets = strat._losses(done)
    assert np.isinf(targets[3]) and np.isfinite(np.delete(targets, 3)).all()
    # a trial on the front is never worse than one it dominates, whatever the weights
    front = {t.number for t in study.best_trials}
    for i, t in enumerate(done):
        if t.number not in front and i != 3:
            dominating = [
                j
                for j, u in enumerate(done)
                if u.number in front and j != 3 and dominates([-u.values[0], u.values[1]], [-t.values[0], t.values[1]])
            ]
            assert all(targets[j] <= targets[i] for j in dominating)


def test_ehvi_improvement_is_the_hypervolume_gain_and_its_proposals_are_valid() -> None:
    from jhpo.strategies.ehvi import EHVIStrategy, hv_improvement_2d

    rng = np.random.default_rng(0)
    front, ref, pts = rng.random((6, 2)), np.array([1.2, 1.2]), rng.random((40, 2)) * 1.3
    gain = [hypervolume(np.vstack([front, p]), ref) - hypervolume(front, ref) for p in pts]
    assert hv_improvement_2d(pts, front, ref) == pytest.approx(gain, abs=1e-12)
    space = jhpo.Space(MIXED)
    strategy = EHVIStrategy(space, seed=0, directions=("maximize", "minimize"))
    study = jhpo.Study(space, strategy=strategy, direction=["maximize", "minimize"], seed=0, storage=":memory:")
    study.optimize(_mixed, n_trials=14)
    assert all(space.contains(t.params) for t in study.trials)
    assert any(t.info.get("why", {}).get("kind") == "ehvi" for t in study.trials)


def test_one_objective_genetic_never_breeds_from_an_infeasible_trial(ip) -> None:  # type: ignore[no-untyped-def]
    # the anchor is Optuna's constraints_func: a feasible trial always ranks before an infeasible one
    line = '--maximize gain --strategy genetic --population 6 --trials 30 --seed 2 --quiet --constraint "size_mb < 6"'
    r = ip.run_cell_magic("tune", line, CONSTRAINED)
    infeasible = {t.number for t in r.trials if t.info.get("feasible") is False}
    parents = {p for t in r.trials for p in t.info.get("parents", [])}
    assert infeasible and parents and not parents & infeasible
    assert r.best_trial.info["feasible"] and r.best_trial.params["x"] < 0.6
    assert sum(t.info["feasible"] for t in r.trials[-12:]) >= 9  # steered into the feasible part
