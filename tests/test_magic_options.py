"""``%%tune --option NAME=VALUE``: a strategy's options without a flag of their own (bayes's
``prior_mean``, ``kernel``, ``xi``, ...) reach the strategy from the magic, typed as it declares
them, and a name or value it cannot take is refused with the line's fix."""

from __future__ import annotations

from typing import Any

import pytest
from IPython.core.error import UsageError

CELL = "x = 0.5  # tune: uniform(0, 1)\nscore = -(x - 0.3) ** 2\n"
LINE = "--strategy bayes --trials 7 --seed 0 --maximize score --storage :memory: --quiet"


def test_options_reach_the_strategy_with_the_declared_types(ip: Any) -> None:
    res = ip.run_cell_magic(
        "tune", LINE + " --option prior_mean=mean --option xi=0.01 --option n_initial=4 --option kernel=rbf", CELL
    )
    strategy = res.study.strategy
    assert (strategy.prior_mean, strategy.xi, strategy.n_initial, strategy.kernel) == ("mean", 0.01, 4, "rbf")
    assert isinstance(strategy.n_initial, int) and isinstance(strategy.xi, float)
    given = {"prior_mean": "mean", "xi": 0.01, "n_initial": 4, "kernel": "rbf"}
    assert given.items() <= res.study.strategy_options.items()
    assert len(res.trials) == 7


def test_without_options_the_strategy_keeps_its_defaults(ip: Any) -> None:
    res = ip.run_cell_magic("tune", LINE, CELL)
    assert (res.study.strategy.prior_mean, res.study.strategy.kernel) == ("worst", "matern")


def test_the_option_changes_what_the_search_does(ip: Any) -> None:
    # n_initial=7: every trial of seven is from the initial design; the default (5 for one
    # parameter) lets the model pick the last two.
    modes = {}
    for extra in ("", " --option n_initial=7"):
        res = ip.run_cell_magic("tune", LINE + extra, CELL)
        modes[extra] = [t.info.get("why", {}).get("mode") for t in res.trials[1:]]
    assert set(modes[" --option n_initial=7"]) == {"initial"}
    assert "initial" in modes[""] and set(modes[""]) - {"initial"}


def test_a_bool_option_reads_true_and_false() -> None:
    # No strategy declares a bool option of its own today (grid's `baseline` has --no-baseline).
    from jhpo.magics import _convert

    assert _convert("a=true", "true", [bool]) is True and _convert("a=False", "False", [bool]) is False
    with pytest.raises(UsageError, match="must be bool"):
        _convert("a=maybe", "maybe", [bool])


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("--option prior_mean", "write NAME=VALUE"),
        ("--option =mean", "write NAME=VALUE"),
        ("--option xi=lots", "xi=lots: the value must be float or int, but got 'lots'"),
        ("--option n_initial=2.5", "must be int, but got '2.5'"),
        ("--option prior_mean=best", "prior_mean must be one of ('worst', 'mean'), but got 'best'"),
        ("--option n_elite=2", "does not take n_elite (it is an option of genetic); use --strategy genetic"),
        ("--option no_such=1", "no strategy takes it); drop it"),
        ("--option eta=3", "eta has its own flag; write `--eta 3` instead"),
        ("--option n_trials=3", "write `--trials 3` instead"),
        ("--option population=8", "write `--population 8` instead"),
        ("--option xi=0.1 --option xi=0.2", "xi is given twice"),
    ],
)
def test_bad_options_are_refused_before_any_trial(ip: Any, extra: str, expected: str) -> None:
    ip.run_cell("ran = []")
    cell = "x = 0.5  # tune: uniform(0, 1)\nran.append(x)\nscore = x\n"
    with pytest.raises(UsageError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        ip.run_cell_magic("tune", LINE + " " + extra, cell)
    assert ip.user_ns["ran"] == []


def test_a_race_hands_the_option_to_the_racers_that_take_it(ip: Any) -> None:
    line = "--race random,bayes --trials 6 --seed 0 --maximize score --storage :memory: --quiet"
    res = ip.run_cell_magic("tune", line + " --option prior_mean=mean", CELL)
    assert res is not None
    refused = r"--strategy random/sobol does not take prior_mean \(it is an option of bayes"
    with pytest.raises(UsageError, match=refused):
        ip.run_cell_magic("tune", line.replace("random,bayes", "random,sobol") + " --option prior_mean=mean", CELL)


def test_every_search_fact_is_pointed_to_its_own_flag() -> None:
    from jhpo.magics import _OWN_FLAGS
    from jhpo.strategies.base import SEARCH_FACTS

    assert SEARCH_FACTS <= _OWN_FLAGS.keys()
