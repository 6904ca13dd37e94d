"""Parameter importance (fANOVA main effects on a random forest) where the answer is known."""

from __future__ import annotations

import math

import pytest

import jhpo
from jhpo.importance import param_importance
from jhpo.result import TuneResult

SPACE = {f"x{i}": jhpo.uniform(0, 1) for i in range(6)}
SPACE["lr"] = jhpo.loguniform(1e-4, 1)
SPACE["kind"] = jhpo.choice("a", "b", "c")


def _two_of_eight(trial):
    p = trial.params
    # only x0 and lr matter; x1..x5 and kind are noise-free distractors
    return (p["x0"] - 0.3) ** 2 * 4 + (math.log10(p["lr"]) + 2) ** 2 / 4


def _study(n=150):
    study = jhpo.Study(SPACE, strategy="random", direction="minimize", seed=0, storage=":memory:")
    study.optimize(_two_of_eight, n_trials=n)
    return study


def test_only_the_two_parameters_that_matter_rank_high():
    study = _study()
    imp = param_importance(study.trials, study.space)
    assert set(list(imp)[:2]) == {"x0", "lr"}, imp
    assert sum(imp.values()) == pytest.approx(1.0)
    assert sum(v for k, v in imp.items() if k not in ("x0", "lr")) < 0.15, imp


def test_result_importance_is_a_dataframe_and_repeatable():
    study = _study(60)
    df = TuneResult(study).importance()
    assert list(df.columns) == ["parameter", "importance"] and len(df) == 8
    assert df["importance"].is_monotonic_decreasing
    again = TuneResult(study).importance()
    assert df.equals(again)


def test_too_few_trials_is_an_error_that_says_how_many():
    study = _study(5)
    with pytest.raises(ValueError, match="at least 8 complete trials"):
        param_importance(study.trials, study.space)


def test_importance_from_the_magic_with_an_earlier_cell_function():
    from IPython import get_ipython
    from IPython.testing.globalipapp import start_ipython

    ip = start_ipython() or get_ipython()
    ip.run_line_magic("load_ext", "jhpo")
    ip.run_cell("def loss(a, b):\n    return (a - 0.5) ** 2")  # an earlier cell: b does not matter
    ip.run_cell_magic(
        "tune",
        "--strategy random --trials 40 --minimize out --seed 1 --quiet --no-apply -o res",
        "a = 0.1  # tune: uniform(0, 1)\nb = 0.2  # tune: uniform(0, 1)\nout = loss(a, b)",
    )
    df = ip.user_ns["res"].importance()
    assert df.iloc[0]["parameter"] == "a" and df.iloc[0]["importance"] > 0.8


def test_a_baseline_outside_the_range_is_left_out_not_a_crash() -> None:
    import jhpo
    from jhpo.importance import param_importance

    space = {"a": jhpo.loguniform(1e-3, 1.0), "b": jhpo.uniform(0, 1)}
    study = jhpo.Study(space, strategy="random", seed=0, storage=":memory:")
    study.enqueue({"a": 0.0, "b": 0.5}, {"baseline": True})  # the user's own default: outside the log range
    study.optimize(lambda t: t.params["a"] * 10 + t.params["b"] * 0.01, n_trials=12)
    shares = param_importance(study.trials, study.space)
    assert max(shares, key=shares.get) == "a"
