"""The teaching modes take typed options (:class:`jhpo.teach.TeachOptions`), not an argparse namespace."""

from __future__ import annotations

from typing import Any

import pytest

from jhpo.cell import TuneOptions
from jhpo.errors import UsageProblem
from jhpo.teach import RaceResult, TeachOptions, run_mode

CELL = "x = 0.5  # tune: uniform(0, 1)\nscore = helper(x)\n"


def test_a_race_runs_from_typed_options_with_a_function_from_an_earlier_cell(ip: Any) -> None:
    ip.run_cell("def helper(v):\n    return -(v - 0.3) ** 2")  # an earlier cell
    opts = TuneOptions(objective="score", trials=3, seed=0, storage=":memory:", quiet=True)
    result = run_mode(ip, TeachOptions(race=("random", "sobol"), output="r"), opts, CELL, 1)
    assert isinstance(result, RaceResult) and ip.user_ns["r"] is result
    assert sorted(result.strategies) == ["random", "sobol"]
    assert all(len(s.trials) == 3 for s in result.studies.values())


def test_typed_options_say_which_mode_was_asked_for(ip: Any) -> None:
    assert not TeachOptions().wanted and TeachOptions(manual=True).wanted and TeachOptions(repeat=2).wanted
    opts = TuneOptions(objective="score", storage=":memory:", quiet=True)
    with pytest.raises(UsageProblem, match="--repeat K repeats a race"):
        run_mode(ip, TeachOptions(repeat=2), opts, CELL, 1)
