from __future__ import annotations

import collections
import math
from pathlib import Path

import pytest

import jhpo
from jhpo.space import Space, resource
from jhpo.strategies.hyperband import ASHAStrategy, HyperbandStrategy, budget_ladder
from jhpo.trial import TrialState

from .contract import StrategyContract


class TestHyperbandContract(StrategyContract):
    strategy = "hyperband"


class TestASHAContract(StrategyContract):
    strategy = "asha"


class TestHyperbandBayesContract(StrategyContract):
    strategy = "hyperband"
    options = {"sampler": "bayes"}


SPACE = {"x": jhpo.uniform(0, 1), "epochs": jhpo.resource(1, 81)}


def curve(x: float, step: int) -> float:
    """A learning curve that rises with the steps and peaks at x = 0.3."""
    return (1 - (x - 0.3) ** 2) * (1 - 1 / (step + 1))


def train(t: jhpo.Trial) -> float:
    v = 0.0
    for step in range(1, int(t.params["epochs"]) + 1):
        v = curve(float(t.params["x"]), step)
        jhpo.report(v, step)
    return v


def first_bracket(study: jhpo.Study) -> list[jhpo.Trial]:
    return [t for t in study.trials if t.info.get("bracket") == 0]


def test_ladder_and_bracket_arithmetic() -> None:
    assert budget_ladder(resource(1, 81), 3) == [1, 3, 9, 27, 81]
    assert budget_ladder(resource(1, 27), 3) == [1, 3, 9, 27]
    assert budget_ladder(resource(0.05, 1.0), 3) == pytest.approx([1 / 9, 1 / 3, 1.0])
    hb = HyperbandStrategy(Space(SPACE), eta=3)
    assert hb.s_max == 4
    assert hb.rungs(4) == [(81, 1), (27, 3), (9, 9), (3, 27), (1, 81)]
    assert hb.rungs(3) == [(34, 3), (11, 9), (3, 27), (1, 81)]
    assert hb.rungs(2) == [(15, 9), (5, 27), (1, 81)]
    assert hb.rungs(1) == [(8, 27), (2, 81)]
    assert hb.rungs(0) == [(5, 81)]
    assert [hb.bracket_s(b) for b in range(7)] == [4, 3, 2, 1, 0, 4, 3]


def test_hyperband_runs_the_first_bracket_and_promotes_only_the_top_third() -> None:
    s = jhpo.Study(SPACE, strategy="hyperband", seed=0, storage=":memory:")
    s.optimize(train, n_trials=81 + 27 + 9 + 3 + 1)
    trials = first_bracket(s)
    assert len(trials) == len(s.trials) == 121
    by_rung = collections.defaultdict(list)
    for t in trials:
        by_rung[t.info["rung"]].append(t)
    assert [len(by_rung[i]) for i in range(5)] == [81, 27, 9, 3, 1]
    assert [{t.info["budget"] for t in by_rung[i]} for i in range(5)] == [{1}, {3}, {9}, {27}, {81}]
    assert all(t.params["epochs"] == t.info["budget"] for t in trials)
    for i in range(1, 5):
        lower = [t for t in by_rung[i - 1] if t.value is not None]
        ranked = sorted(lower, key=lambda t: -t.value)
        parents = {t.info["parent"] for t in by_rung[i]}
        # exactly the best 1/eta of the rung below, each with its parent's parameters
        assert parents == {t.number for t in ranked[: len(by_rung[i])]}
        for t in by_rung[i]:
            parent = s.trials[t.info["parent"]]
            assert t.params["x"] == parent.params["x"]
    assert all(t.info["parent"] is None for t in by_rung[0])
    # the last one standing is the configuration closest to the peak
    xs = sorted((abs(t.params["x"] - 0.3), t.number) for t in by_rung[0])
    assert s.trials[by_rung[4][0].info["parent"]].params["x"] == s.trials[by_rung[3][0].number].params["x"]
    assert by_rung[4][0].params["x"] == s.trials[xs[0][1]].params["x"]
    assert s.best_trial is by_rung[4][0]


def test_eliminated_trials_are_pruned_with_the_rung_and_threshold() -> None:
    s = jhpo.Study(SPACE, strategy="hyperband", seed=1, storage=":memory:")
    s.optimize(train, n_trials=81)
    pruned = [t for t in s.trials if t.state is TrialState.PRUNED]
    assert 10 <= len(pruned) <= 54  # those of the 54 not promoted that finished after 27 better ones
    for t in pruned:
        assert "rung 0 (budget 1)" in t.error and "promotion threshold" in t.error
        threshold = float(t.error.split("promotion threshold ")[1].split(",")[0])
        assert t.value < threshold
        better = [u for u in s.trials if u.number < t.number and u.state is TrialState.COMPLETE and u.value > t.value]
        assert len(better) >= 27
    # the next 27 trials are promotions of completed (never pruned) trials
    s.optimize(train, n_trials=27)
    promoted = {t.info["parent"] for t in s.trials[81:]}
    assert all(s.trials[p].state is TrialState.COMPLETE for p in promoted)
    df = s.to_dataframe()
    assert {"bracket", "rung", "budget"} <= set(df.columns)
    assert ((df.state == "pruned") & (df.rung == 0)).sum() == len(pruned)
    assert df.loc[df.state == "pruned", "value"].notna().all()


def test_no_pruning_of_the_top_rung_or_before_the_budget() -> None:
    hb = HyperbandStrategy(Space(SPACE))
    t = jhpo.Trial(0, {"x": 0.5, "epochs": 3}, info={"bracket": 0, "rung": 1, "budget": 3, "parent": None})
    t.intermediate = {1: 0.0, 2: 0.0}
    assert hb.should_prune(t, 2, [t]) is None  # step < budget
    top = jhpo.Trial(1, {"x": 0.5, "epochs": 81}, info={"bracket": 0, "rung": 4, "budget": 81, "parent": None})
    top.intermediate = {81: 0.0}
    assert hb.should_prune(top, 81, [top]) is None


def test_resume_rebuilds_the_same_schedule(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    whole = jhpo.Study(SPACE, strategy="hyperband", seed=5, storage=":memory:")
    whole.optimize(train, n_trials=130)
    first = jhpo.Study(SPACE, strategy="hyperband", seed=5, storage=db, name="hb")
    first.optimize(train, n_trials=60)
    # a trial that was running when the kernel died is run again on resume
    lost = first.ask()
    del lost
    first.storage.close()  # the kernel dies: its writer's heartbeat stops (a live writer's trial stays running)
    again = jhpo.Study(SPACE, strategy="hyperband", seed=5, storage=db, name="hb", resume=True)
    assert again.trials[60].state is TrialState.INTERRUPTED
    again.optimize(train, n_trials=70)
    resumed = [t for t in again.trials if t.state is not TrialState.INTERRUPTED]

    def shape(study: jhpo.Study, trials: list[jhpo.Trial]) -> list[tuple[object, ...]]:
        # trial numbers shift by the interrupted one, so parents are compared by their parameters
        return [
            (
                t.params,
                {k: v for k, v in t.info.items() if k != "parent"},
                t.state,
                None if t.info["parent"] is None else study.trials[t.info["parent"]].params,
            )
            for t in trials
        ]

    assert len(resumed) == 130
    assert shape(again, resumed) == shape(whole, whole.trials)


def test_failed_trials_are_not_promoted() -> None:
    def flaky(t: jhpo.Trial) -> float:
        if t.info.get("rung") == 0 and t.number % 2:
            raise RuntimeError("diverged")
        return train(t)

    s = jhpo.Study(SPACE, strategy="hyperband", seed=2, storage=":memory:")
    s.optimize(flaky, n_trials=81 + 27)
    promoted = [t for t in s.trials if t.info.get("rung") == 1]
    assert len(promoted) == 27
    assert all(s.trials[t.info["parent"]].state is TrialState.COMPLETE for t in promoted)
    assert s.best_trial is not None and s.best_trial.state is TrialState.COMPLETE


def test_timeout_sizes_the_bracket_from_measured_time() -> None:
    import time

    space = Space({"x": jhpo.uniform(0, 1), "epochs": jhpo.resource(1, 27)})
    hb = HyperbandStrategy(space, timeout=60)
    one = jhpo.Trial(
        0,
        {"x": 0.5, "epochs": 1},
        state=TrialState.COMPLETE,
        value=0.1,
        info={"bracket": 0, "rung": 0, "budget": 1, "parent": None, "bracket_size": 27},
        datetime_start=100.0,
        datetime_end=101.0,
    )  # 1 s per epoch
    hb._t0 = time.monotonic() + 1  # a second of slack for the test itself
    # 60 s left: 12 + 4*3 + 1*9 + 1*27 = 60 epochs fit, 13 would need 61
    assert hb._planned_size(3, [one], [one]) == 12
    assert hb._cost(3, 12) == 60 and hb._cost(3, 13) == 61
    # continuing promoted trials (--checkpoint) only pay for the epochs they add
    assert HyperbandStrategy(space, timeout=60, checkpoint="m")._cost(3, 12) == 12 + 4 * 2 + 6 + 18
    # without a timeout the bracket keeps its textbook size
    assert HyperbandStrategy(space)._planned_size(3, [one], [one]) == 27


@pytest.mark.slow
def test_timeout_shrinks_brackets_to_fit() -> None:
    import time

    space = {"x": jhpo.uniform(0, 1), "epochs": jhpo.resource(1, 27)}

    def slow(t: jhpo.Trial) -> float:
        time.sleep(0.1 * t.params["epochs"])
        return train(t)

    # a full first bracket (27 + 9 + 3 + 1 trials, 108 epochs) would take 10.8 s
    s = jhpo.Study(space, strategy="hyperband", seed=0, storage=":memory:", strategy_options={"timeout": 6.0})
    s.optimize(slow, timeout=6.0)
    rung0 = [t for t in s.trials if t.info["bracket"] == 0 and t.info["rung"] == 0]
    assert 3 <= len(rung0) < 27
    # the shrunk bracket still reached the full budget within the time
    assert [t for t in s.trials if t.info["bracket"] == 0 and t.info["budget"] == 27]


def test_asha_promotes_asynchronously_with_batches() -> None:
    s = jhpo.Study(SPACE, strategy="asha", seed=0, storage=":memory:")
    first = s.ask_batch(4)
    assert [t.info["rung"] for t in first] == [0, 0, 0, 0]
    for t in first[:3]:
        s.tell(t, curve(t.params["x"], 1))
    # first[3] is still running, yet the best of the three finished is promoted at once
    batch = s.ask_batch(3)
    best = max(first[:3], key=lambda t: t.value)
    assert batch[0].info == {"bracket": 0, "rung": 1, "budget": 3, "parent": best.number}
    assert batch[0].params["x"] == best.params["x"] and batch[0].params["epochs"] == 3
    assert [t.info["rung"] for t in batch[1:]] == [0, 0]  # no other is in the top third: new configurations
    assert first[3].state is TrialState.RUNNING
    # never promoted twice
    for t in [first[3], *batch]:
        s.tell(t, curve(t.params["x"], t.params["epochs"]))
    parents = [t.info["parent"] for t in s.trials if t.info["parent"] is not None]
    more = s.ask_batch(6)
    parents += [t.info["parent"] for t in more if t.info["parent"] is not None]
    assert len(parents) == len(set(parents))


def test_asha_reaches_the_top_rung_and_keeps_every_rung_in_the_top_third() -> None:
    s = jhpo.Study(SPACE, strategy="asha", seed=3, storage=":memory:")
    s.optimize(train, n_trials=200)
    rungs = collections.Counter(t.info["rung"] for t in s.trials)
    assert rungs[4] >= 1 and rungs[0] > rungs[1] > rungs[2] > rungs[3]
    for t in s.trials:
        if t.info["parent"] is not None:
            parent = s.trials[t.info["parent"]]
            assert parent.info["rung"] == t.info["rung"] - 1
            # at the time it was promoted, the parent was in the top third of its finished rung
            peers = [u for u in s.trials[: t.number] if u.info["rung"] == parent.info["rung"]]
            rank = sorted(peers, key=lambda u: -u.value).index(parent)
            assert rank < math.floor(len(peers) / 3)


def test_hyperband_with_bayes_sampler_or_its_fallback() -> None:
    s = jhpo.Study(SPACE, strategy="hyperband", seed=0, storage=":memory:", strategy_options={"sampler": "bayes"})
    s.optimize(train, n_trials=121)
    assert s.strategy.sampler_name in ("bayes", "random")
    assert len({t.params["x"] for t in s.trials if t.info["rung"] == 0}) == 81
    assert abs(s.best_params["x"] - 0.3) < 0.1


def test_scheduler_options_are_checked() -> None:
    with pytest.raises(ValueError, match="eta must be greater than 1"):
        HyperbandStrategy(Space(SPACE), eta=1)
    with pytest.raises(ValueError, match="not the scheduler"):
        ASHAStrategy(Space(SPACE), sampler="hyperband")


def test_hyperband_batches_start_the_next_bracket_while_a_rung_is_running() -> None:
    space = {"x": jhpo.uniform(0, 1), "epochs": jhpo.resource(1, 27)}
    s = jhpo.Study(space, strategy="hyperband", seed=0, storage=":memory:")
    batch = s.ask_batch(30)
    where = collections.Counter((t.info["bracket"], t.info["rung"], t.info["budget"]) for t in batch)
    assert where == {(0, 0, 1): 27, (1, 0, 3): 3}  # bracket 0's rung 0 is full: bracket 1 begins
    for t in batch[:27]:
        s.tell(t, curve(t.params["x"], 1))
    # bracket 0's rung 0 is decided: its promotions come first, then bracket 1 goes on
    nxt = s.ask_batch(12)
    assert [(t.info["bracket"], t.info["rung"]) for t in nxt] == [(0, 1)] * 9 + [(1, 0)] * 3
    best = sorted(batch[:27], key=lambda t: -t.value)[:9]
    assert {t.info["parent"] for t in nxt[:9]} == {t.number for t in best}


def test_a_fraction_of_the_data_as_the_budget() -> None:
    space = {"x": jhpo.uniform(0, 1), "frac": jhpo.resource(0.05, 1.0)}
    for name in ("hyperband", "asha"):
        s = jhpo.Study(space, strategy=name, seed=0, storage=":memory:")
        s.optimize(lambda t: curve(t.params["x"], round(10 * t.params["frac"])), n_trials=40)
        budgets = sorted({t.params["frac"] for t in s.trials})
        assert budgets == pytest.approx([1 / 9, 1 / 3, 1.0])
        assert all(isinstance(t.params["frac"], float) and t.params["frac"] == t.info["budget"] for t in s.trials)
        assert s.strategy.explain()["budgets"] == pytest.approx([1 / 9, 1 / 3, 1.0])
