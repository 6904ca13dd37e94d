"""Population-based training: exploit/explore bookkeeping, lineage, schedules (issue 16)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import jhpo
from jhpo.strategies.pbt import PBTStrategy, lineage, schedule
from jhpo.trial import Trial, TrialState

SPACE = {"lr": jhpo.loguniform(1e-3, 1.0), "act": jhpo.choice("relu", "tanh", "gelu"), "epochs": jhpo.resource(1, 20)}


class Progress:
    """A stand-in for a model: its training state is one number (kept by jhpo.checkpoint via vars())."""

    def __init__(self) -> None:
        self.total = 0.0
        self.history: list[float] = []


def train(t: Trial) -> float:
    # The best learning rate falls with training time, so a good schedule decays it.
    model = Progress()
    done = jhpo.checkpoint(model)
    assert done == t.info.get("resumed_budget", 0)
    lr = float(t.params["lr"])
    for epoch in range(int(done) + 1, int(t.params["epochs"]) + 1):
        best_lr = 0.5 / epoch
        model.total += 1.0 - abs(
            jhpo.space.loguniform(1e-3, 1.0).to_unit(lr) - jhpo.space.loguniform(1e-3, 1.0).to_unit(best_lr)
        )
        model.history.append(lr)
        jhpo.report(model.total, step=epoch)
    t.info["trained_from"] = done
    return model.total


def searched(t: Trial) -> dict[str, Any]:
    return {k: v for k, v in t.params.items() if k != "epochs"}


def check_bookkeeping(trials: list[Trial], population: int, intervals: int) -> None:
    by_number = {t.number: t for t in trials}
    budgets = [4, 8, 12, 16, 20][:intervals]
    assert len(trials) == population * intervals
    q = max(1, population // 4)
    for k in range(intervals):
        now = [t for t in trials if t.info["interval"] == k]
        assert sorted(t.info["member"] for t in now) == list(range(population))
        assert all(t.info["budget"] == budgets[k] == t.params["epochs"] for t in now)
        if k == 0:
            assert all(t.info["parent"] is None for t in now)
            continue
        prev = sorted(
            (t for t in trials if t.info["interval"] == k - 1),
            key=lambda t: (-(t.value if t.value is not None else -1e9), t.number),
        )
        top, worst = {t.number for t in prev[:q]}, {t.info["member"] for t in prev[-q:]}
        exploited = [t for t in now if t.info["exploited"] is not None]
        assert {t.info["member"] for t in exploited} == worst  # the worst quantile copies...
        for t in exploited:
            donor = by_number[t.info["parent"]]
            assert donor.number in top and donor.info["member"] == t.info["exploited"]  # ...from the best
            assert t.info["perturbed"] and searched(t) != searched(donor)  # and explores
        for t in now:
            parent = by_number[t.info["parent"]]
            assert parent.info["interval"] == k - 1
            if t.info["exploited"] is None:
                assert parent.info["member"] == t.info["member"] and searched(parent) == searched(t)
            if t.state is TrialState.COMPLETE and "trained_from" in t.info:
                assert t.info["trained_from"] == parent.info["budget"]  # continued, not restarted


def test_pbt_python_api_bookkeeping_lineage_and_schedule() -> None:
    study = jhpo.Study(
        SPACE, strategy="pbt", storage=":memory:", seed=0, strategy_options={"population": 8, "intervals": 5}
    )
    study.optimize(train, n_trials=40)
    trials = study.trials
    check_bookkeeping(trials, 8, 5)
    assert any(t.info["exploited"] is not None for t in trials)
    rows = lineage(trials)
    assert len(rows) == 40 and {r["trial"] for r in rows} == set(range(40))
    sched = schedule(trials)
    assert sorted(sched) == list(range(8))  # every member survives to the end, with its own schedule
    for member, steps in sched.items():
        assert [s["budget"] for s in steps] == [4, 8, 12, 16, 20] and steps[-1]["member"] == member
    df = study.to_dataframe()
    assert {"member", "interval", "parent"} <= set(df.columns) and df["interval"].max() == 4
    # the best is a full-budget trial
    assert study.best_trial is not None and study.best_trial.info["budget"] == 20
    # repeatable under a seed
    again = jhpo.Study(
        SPACE, strategy="pbt", storage=":memory:", seed=0, strategy_options={"population": 8, "intervals": 5}
    )
    again.optimize(train, n_trials=40)
    assert [t.params for t in again.trials] == [t.params for t in trials]


def test_pbt_needs_a_resource() -> None:
    with pytest.raises(ValueError, match="resource"):
        PBTStrategy(jhpo.Space({"x": jhpo.uniform(0, 1)}))


SETUP = """\
import jhpo
from sklearn.datasets import load_digits
from sklearn.linear_model import SGDClassifier
X, y = load_digits(return_X_y=True)
X = X / 16.0
X_tr, y_tr, X_va, y_va = X[:1200], y[:1200], X[1200:], y[1200:]
def build(alpha, eta0):
    return SGDClassifier(alpha=alpha, eta0=eta0, learning_rate="constant", random_state=0)
"""

CELL = """\
alpha = 1e-4       # tune: loguniform(1e-6, 1e-1)
eta0 = 0.01        # tune: loguniform(1e-4, 1.0)
epochs = 20        # tune: resource(1, 20)
model = build(alpha, eta0)
done = jhpo.checkpoint(model)
for epoch in range(done + 1, epochs + 1):
    model.partial_fit(X_tr, y_tr, classes=list(range(10)))
    score = model.score(X_va, y_va)
    jhpo.report(score, step=epoch)
"""


@pytest.mark.slow
@pytest.mark.parametrize("jobs", ["", "--n-jobs 2"])
def test_pbt_through_the_magic(ip: Any, tmp_path: Path, jobs: str) -> None:
    ip.run_cell(SETUP).raise_error()
    db = tmp_path / "p.db"
    line = f"--strategy pbt --population 4 --trials 20 --seed 0 --maximize score --quiet --storage {db} -o res {jobs}"
    ip.run_cell_magic("tune", line, CELL)
    res = ip.user_ns["res"]
    trials = res.trials
    assert trials[0].info["baseline"] and trials[0].info["member"] == 0 and trials[0].info["interval"] == 0
    check_bookkeeping(trials, 4, 5)
    for t in trials:
        if t.info["parent"] is not None:
            parent = trials[t.info["parent"]]
            assert t.info["checkpoint_from"] == parent.number  # the weights came along (exploit too)
            assert min(t.intermediate) == parent.info["budget"] + 1
    assert len(schedule(trials)) == 4
    assert res.best_trial.info["budget"] == 20 and ip.user_ns["epochs"] == 20


@pytest.mark.slow
def test_pbt_on_dask(ip: Any, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    ip.run_cell(SETUP).raise_error()
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address="127.0.0.1:0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        ip.user_ns["client"] = client
        db = tmp_path / "d.db"
        line = f"--strategy pbt --population 4 --trials 20 --seed 0 --maximize score --quiet --storage {db} -o res"
        ip.run_cell_magic("tune", f"{line} --executor client", CELL)
        res = ip.user_ns["res"]
        assert {t.run.worker for t in res.trials} <= set(client.nthreads())
    check_bookkeeping(res.trials, 4, 5)
    for t in res.trials:
        if t.info["parent"] is not None:
            assert t.info["checkpoint_from"] == t.info["parent"]  # weights travelled through the main process
            assert min(t.intermediate) == res.trials[t.info["parent"]].info["budget"] + 1
