"""``%%tune --strategy hyperband`` / ``asha`` / ``--pruner median`` / ``--checkpoint`` in a real IPython shell."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import jhpo

SETUP = """\
import jhpo
from sklearn.datasets import load_digits
from sklearn.linear_model import SGDClassifier
X, y = load_digits(return_X_y=True)
X = X / 16.0
X_tr, y_tr, X_va, y_va = X[:1200], y[:1200], X[1200:], y[1200:]
classes = sorted(set(y))
"""

# Restarts at every rung: trains `epochs` epochs from scratch.
CELL = """\
alpha = 1e-4       # tune: loguniform(1e-6, 1e-1)
eta0 = 0.01        # tune: loguniform(1e-4, 1.0)
epochs = 27        # tune: resource(1, 27)
model = SGDClassifier(alpha=alpha, eta0=eta0, learning_rate="constant", random_state=0)
for epoch in range(1, epochs + 1):
    model.partial_fit(X_tr, y_tr, classes=classes)
    score = model.score(X_va, y_va)
    jhpo.report(score, step=epoch)
"""

# Continues: a promoted trial gets the `state` its parent left (--checkpoint state).
CHECKPOINT_CELL = """\
alpha = 1e-4       # tune: loguniform(1e-6, 1e-1)
eta0 = 0.01        # tune: loguniform(1e-4, 1.0)
epochs = 27        # tune: resource(1, 27)
state = globals().get("state") or {"model": SGDClassifier(alpha=alpha, eta0=eta0, learning_rate="constant",
                                                          random_state=0), "epoch": 0}
trained = 0
while state["epoch"] < epochs:
    state["model"].partial_fit(X_tr, y_tr, classes=classes)
    state["epoch"] += 1
    trained += 1
    score = state["model"].score(X_va, y_va)
    jhpo.report(score, step=state["epoch"])
print("trained", trained)
"""


def stored(db: Path, study: str) -> list[dict[str, Any]]:
    con = sqlite3.connect(db)
    try:
        rows = con.execute(
            "SELECT number, state, value, params, info, intermediate, error, stdout FROM trials "
            "WHERE study = ? ORDER BY number",
            (study,),
        ).fetchall()
    finally:
        con.close()
    return [
        {
            "number": r[0],
            "state": r[1],
            "value": r[2],
            "params": json.loads(r[3]),
            "info": json.loads(r[4]),
            "intermediate": {int(k): v for k, v in json.loads(r[5]).items()},
            "error": r[6],
            "stdout": r[7],
        }
        for r in rows
    ]


@pytest.fixture
def shell(ip):  # type: ignore[no-untyped-def]
    ip.run_cell(SETUP).raise_error()
    return ip


def test_hyperband_end_to_end_with_pruned_trials_in_sqlite(shell, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "mf.db"
    line = f"--strategy hyperband --trials 40 --seed 0 --maximize score --no-baseline --quiet --storage {db} --study hb"
    result = shell.run_cell_magic("tune", line, CELL)
    assert isinstance(result, jhpo.TuneResult)
    rows = stored(db, "hb")
    assert len(rows) == 40  # the first bracket of resource(1, 27): 27 + 9 + 3 + 1
    assert [sum(r["info"]["rung"] == i for r in rows) for i in range(4)] == [27, 9, 3, 1]
    for r in rows:
        assert r["params"]["epochs"] == r["info"]["budget"] == [1, 3, 9, 27][r["info"]["rung"]]
        assert max(r["intermediate"]) == r["info"]["budget"]  # without --checkpoint each trial restarts...
        if r["info"]["rung"] > 0:
            assert min(r["intermediate"]) == 1  # ...from epoch 1
            assert r["params"]["alpha"] == rows[r["info"]["parent"]]["params"]["alpha"]
    pruned = [r for r in rows if r["state"] == "pruned"]
    assert pruned, "no trial was recorded as pruned"
    for r in pruned:
        assert "rung" in r["error"] and "promotion threshold" in r["error"] and r["value"] is not None
        assert f"{r['value']:.6g}" in r["error"]
    # the best trial is the best completed one at the full budget (issue 16: compared at equal budget),
    # and the notebook holds its model
    best = result.best_trial
    assert best.state is jhpo.TrialState.COMPLETE and best.info["budget"] == 27
    assert best.value == max(r["value"] for r in rows if r["state"] == "complete" and r["info"]["budget"] == 27)
    assert shell.user_ns["score"] == best.value
    assert shell.user_ns["model"].coef_.shape == (10, 64)
    df = result.to_dataframe()
    assert {"bracket", "rung", "budget"} <= set(df.columns) and (df.state == "pruned").sum() == len(pruned)


def test_checkpoint_continues_training(shell, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "mf.db"
    shell.user_ns["state"] = "a stale value from the notebook"  # must not be taken for a checkpoint
    line = (
        f"--strategy hyperband --trials 40 --seed 0 --maximize score --no-baseline --quiet --storage {db} "
        "--study ck --checkpoint state"
    )
    result = shell.run_cell_magic("tune", line, CHECKPOINT_CELL)
    rows = stored(db, "ck")
    assert len(rows) == 40
    promoted = [r for r in rows if r["info"]["rung"] > 0]
    assert len(promoted) == 13 and any(r["state"] == "complete" for r in promoted)
    for r in promoted:
        parent = rows[r["info"]["parent"]]
        assert r["info"]["checkpoint_from"] == parent["number"]
        assert r["info"]["resumed_budget"] == parent["info"]["budget"]
        # it trained only the epochs its parent had not
        own = r["info"]["budget"] - parent["info"]["budget"]
        assert len(r["intermediate"]) == own
        if r["state"] == "complete":  # a pruned one stopped at its last report, before the print
            assert r["stdout"] == f"trained {own}\n"
        assert own < r["info"]["budget"]
        assert min(r["intermediate"]) == parent["info"]["budget"] + 1
        assert max(r["intermediate"]) == r["info"]["budget"]
    for r in rows:
        if r["info"]["rung"] == 0:
            # a fresh start, though the notebook had a `state`
            assert list(r["intermediate"]) == [1] and r["stdout"] in ("trained 1\n", "")
    # continuing from 9 epochs to 27 gives what training 27 epochs in one go gives
    top = next(r for r in rows if r["info"]["rung"] == 3)
    shell.user_ns.pop("state")
    shell.user_ns.update({"alpha": None, "eta0": None})
    shell.run_cell(
        f"alpha, eta0, epochs = {top['params']['alpha']!r}, {top['params']['eta0']!r}, 27\n"
        + CHECKPOINT_CELL.split("\n", 3)[3]
    ).raise_error()
    assert shell.user_ns["score"] == pytest.approx(top["value"])
    assert result.best_trial.value >= top["value"]


def test_asha_and_median_pruner_through_the_magic(shell, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "mf.db"
    shell.run_cell_magic(
        "tune", f"--strategy asha --trials 30 --seed 1 --maximize score --quiet --storage {db} --study asha", CELL
    )
    rows = stored(db, "asha")
    # the baseline runs in the schedule from the lowest rung, like any configuration (issue 16)
    assert rows[0]["info"].get("baseline") and rows[0]["params"]["epochs"] == 1 and rows[0]["info"]["rung"] == 0
    sched = rows
    assert {r["info"]["rung"] for r in sched} >= {0, 1, 2}
    assert all(r["params"]["epochs"] == [1, 3, 9, 27][r["info"]["rung"]] for r in sched)
    shell.run_cell_magic(
        "tune",
        f"--strategy random --pruner median --trials 20 --seed 1 --maximize score --quiet --storage {db} --study med",
        CELL,
    )
    rows = stored(db, "med")
    pruned = [r for r in rows if r["state"] == "pruned"]
    assert pruned and all(r["error"].startswith("median pruner, step") for r in pruned)
    assert all(max(r["intermediate"]) < 27 for r in pruned)  # stopped early
    assert any(r["state"] == "complete" and max(r["intermediate"]) == 27 for r in rows)


def test_hyperband_without_trials_runs_the_first_bracket(shell, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "mf.db"
    shell.run_cell_magic(
        "tune", f"--strategy hyperband --seed 0 --maximize score --quiet --storage {db} --study whole", CELL
    )
    rows = stored(db, "whole")
    assert len(rows) == 40  # 27 + 9 + 3 + 1, the cell's defaults being one of the 27 (issue 16)
    assert rows[0]["info"]["baseline"] and rows[0]["info"]["rung"] == 0 and rows[0]["params"]["epochs"] == 1
    assert sum(r["info"].get("rung") == 3 for r in rows) == 1


def test_checkpoint_is_refused_with_worker_processes(shell, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from IPython.core.error import UsageError

    with pytest.raises(UsageError, match="--checkpoint keeps `state` in this kernel's memory"):
        shell.run_cell_magic(
            "tune",
            f"--strategy hyperband --checkpoint state --n-jobs 2 --maximize score --quiet "
            f"--storage {tmp_path / 'x.db'}",
            CHECKPOINT_CELL,
        )
