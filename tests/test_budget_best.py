"""Issue 16: the best trial is compared at equal budget (through the real magic in a real IPython shell)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jhpo.budget import best_note, best_trial, outranks
from jhpo.space import Space, resource, uniform
from jhpo.trial import Trial, TrialState

SETUP = """\
import jhpo
import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
X, y = load_digits(return_X_y=True)
X = X / 16.0
X_tr, y_tr, X_va, y_va = X[:1200], y[:1200], X[1200:], y[1200:]
"""

# An earlier cell: a helper the tuned cell calls with the trial's data fraction.
HELPER = """\
def take(frac, X, y, seed=0):
    idx = np.random.default_rng(seed).permutation(len(X))[: max(10, int(round(frac * len(X))))]
    return X[idx], y[idx]
"""

# The budget is a fraction of the data: on 1/27 of it (15 validation samples, drawn afresh for each
# configuration) the score is mostly noise, and a lucky configuration scores 1.0.
FRACTION_CELL = """\
C = 1.0        # tune: loguniform(1e-4, 1e2)
frac = 1.0     # tune: resource(0.037, 1.0)
Xt, yt = take(frac, X_tr, y_tr)
Xv, yv = take(frac, X_va[:405], y_va[:405], seed=int(C * 1e6) % 1000)
model = LogisticRegression(C=C, max_iter=200).fit(Xt, yt)
score = model.score(Xv, yv)
"""

EPOCH_CELL = """\
from sklearn.linear_model import SGDClassifier
alpha = 1e-4       # tune: loguniform(1e-6, 1e-1)
eta0 = 0.01        # tune: loguniform(1e-4, 1.0)
epochs = 27        # tune: resource(1, 27)
model = SGDClassifier(alpha=alpha, eta0=eta0, learning_rate="constant", random_state=0)
for epoch in range(1, epochs + 1):
    model.partial_fit(X_tr, y_tr, classes=list(range(10)))
score = model.score(X_va, y_va)
"""


@pytest.fixture
def shell(ip):  # type: ignore[no-untyped-def]
    ip.run_cell(SETUP).raise_error()
    ip.run_cell(HELPER).raise_error()
    return ip


@pytest.mark.slow
def test_noisy_data_fraction_best_is_a_full_budget_trial(shell, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    line = f"--strategy hyperband --trials 40 --seed 1 --maximize score --quiet --storage {tmp_path / 'f.db'} -o res"
    shell.run_cell_magic("tune", line, FRACTION_CELL)
    res = shell.user_ns["res"]
    trials = res.trials
    complete = [t for t in trials if t.state.value == "complete"]
    full = [t for t in complete if t.info["budget"] == 1.0]
    assert full, "no trial reached the full data"
    # the situation of the issue: some tiny-budget trial scored higher than anything at full budget
    lucky = max(complete, key=lambda t: t.value)
    assert lucky.value == 1.0 and lucky.info["budget"] < 0.04 and max(t.value for t in full) < 1.0
    best = res.best_trial
    assert best.info["budget"] == 1.0 and best.value == max(t.value for t in full)
    # what the notebook holds is the full-budget best's, not the lucky small one's
    assert shell.user_ns["frac"] == 1.0 and shell.user_ns["score"] == best.value
    assert len(shell.user_ns["Xv"]) == 405
    assert shell.user_ns["C"] == best.params["C"]
    assert "best so far" not in res.summary()
    # the summary's top list starts with full-budget trials
    top_line = res.summary().split("Top")[1].splitlines()[2]
    assert top_line.split()[0] == str(best.number)


@pytest.mark.slow
def test_defaults_run_in_the_bracket_and_do_not_win_by_budget(shell, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "e.db"
    shell.run_cell_magic(
        "tune", f"--strategy hyperband --seed 3 --maximize score --quiet --storage {db} -o res", EPOCH_CELL
    )
    res = shell.user_ns["res"]
    trials = res.trials
    base = trials[0]
    assert base.info["baseline"] and base.info["rung"] == 0 and base.params["epochs"] == 1
    assert len(trials) == 40  # one whole bracket, the defaults being one of its 27 starts
    top = [t for t in trials if t.info["budget"] == 27]
    assert len(top) == 1 and top[0].state is TrialState.COMPLETE  # the top rung was run
    assert res.best_trial is top[0] and shell.user_ns["score"] == top[0].value and shell.user_ns["epochs"] == 27


@pytest.mark.slow
def test_best_so_far_is_marked_when_no_trial_reached_the_top(shell, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "p.db"
    line = f"--strategy hyperband --trials 12 --seed 0 --maximize score --quiet --storage {db} --study part -o res"
    shell.run_cell_magic("tune", line, EPOCH_CELL)
    res = shell.user_ns["res"]
    assert max(t.info["budget"] for t in res.trials) == 1  # 12 trials do not finish rung 0 (27 starts)
    note = "best so far at budget 1: no configuration has reached the full budget 27 yet"
    assert note in res.summary()
    # `jhpo show` and the panel's static snapshot say so too
    from jhpo.cli import main
    from jhpo.ui.snapshot import snapshot_html

    assert main(["show", "part", "--storage", str(db)]) == 0
    assert note in capsys.readouterr().out
    assert note in snapshot_html(res.study)
    from jhpo.ui.panel import Panel

    assert note in Panel.for_study(res.study)._best_text()
    assert shell.user_ns["epochs"] == 1  # the notebook holds what the best (1-epoch) trial made, as marked


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["hyperband", "asha"])
def test_workers_keep_trials_for_the_top_rung(shell, tmp_path: Path, strategy: str) -> None:  # type: ignore[no-untyped-def]
    # With 2 workers a waiting hyperband bracket lets the next one start, and ASHA keeps starting new
    # configurations: the trials needed to take one configuration to the top rung are kept for it.
    db = tmp_path / "w.db"
    line = f"--strategy {strategy} --trials 41 --n-jobs 2 --seed 0 --maximize score --quiet --storage {db} -o res"
    shell.run_cell_magic("tune", line, EPOCH_CELL)
    res = shell.user_ns["res"]
    assert len(res.trials) == 41
    top = [t for t in res.trials if t.info.get("budget") == 27 and t.info.get("bracket") == 0]
    assert len(top) >= 1 and res.best_trial.info["budget"] == 27


def _t(n: int, value: float, budget: float | None) -> Trial:
    return Trial(n, {}, TrialState.COMPLETE, value, info={} if budget is None else {"budget": budget})


def test_rule() -> None:
    trials = [_t(0, 1.0, 0.037), _t(1, 0.8, 1.0), _t(2, 0.81, 1.0), _t(3, 0.99, 0.33)]
    assert best_trial(trials, "maximize").number == 2  # type: ignore[union-attr]
    assert best_trial(trials, "minimize").number == 1  # type: ignore[union-attr]
    assert best_trial([_t(0, 1.0, None), _t(1, 2.0, None)], "maximize").number == 1  # type: ignore[union-attr]
    assert best_trial([Trial(0, {}, TrialState.PRUNED, 5.0, info={"budget": 1.0})], "maximize") is None
    assert outranks(1.0, 0.1, 0.5, 0.9, "maximize") and not outranks(0.5, 0.9, 1.0, 0.1, "minimize")
    space = Space({"x": uniform(0, 1), "epochs": resource(1, 27)})
    assert best_note(_t(0, 1.0, 9), space) is not None and best_note(_t(0, 1.0, 27), space) is None
