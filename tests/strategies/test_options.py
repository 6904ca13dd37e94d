"""Each strategy declares its options; anything else is refused, naming the strategies that take it."""

from __future__ import annotations

import inspect
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import jhpo
from jhpo.errors import UsageProblem
from jhpo.strategies import SearchSize, available, strategy_class
from jhpo.strategies.base import DEFAULT_TRIALS, SEARCH_FACTS
from jhpo.study import load_study
from jhpo.teach import Race

SPACE = {"x": jhpo.uniform(0, 1), "k": jhpo.choice("a", "b")}
BUDGETED = {"x": jhpo.uniform(0, 1), "epochs": jhpo.resource(1, 81)}


@pytest.mark.parametrize("name", available())
def test_declared_options_are_what_the_constructor_takes(name: str) -> None:
    cls = strategy_class(name)
    taken = set(inspect.signature(cls.__init__).parameters) - {"self", "space", "seed", "direction"}
    assert set(cls.options) == taken


def test_an_option_the_strategy_does_not_declare_is_refused_naming_who_takes_it() -> None:
    with pytest.raises(UsageProblem, match=r"--strategy random does not take --eta \(it is an option of .*hyperband"):
        jhpo.Study(SPACE, strategy="random", storage=":memory:", strategy_options={"eta": 3})
    with pytest.raises(UsageProblem, match="does not take --colour .no strategy takes it.; drop --colour$"):
        jhpo.Study(SPACE, strategy="bayes", storage=":memory:", strategy_options={"colour": "red"})


def test_an_option_of_the_wrong_type_is_refused() -> None:
    with pytest.raises(UsageProblem, match="population of --strategy genetic must be int, but got 'many'"):
        jhpo.Study(SPACE, strategy="genetic", storage=":memory:", strategy_options={"population": "many"})


def test_the_searchs_facts_reach_only_the_strategies_that_declare_them() -> None:
    facts = {"n_trials": 7, "timeout": 60.0, "baseline": True, "grid_points": 2, "checkpoint": None}
    assert set(facts) == SEARCH_FACTS
    s = jhpo.Study(SPACE, strategy="random", seed=0, storage=":memory:", strategy_options=facts)
    s.optimize(lambda t: t.params["x"], n_trials=3)
    assert len(s.trials) == 3
    g = jhpo.Study(SPACE, strategy="grid", storage=":memory:", strategy_options={"grid_points": 2})
    g.optimize(lambda t: t.params["x"])
    assert len(g.trials) == 4  # 2 levels of x times 2 choices


def test_default_trials_is_the_strategys_answer() -> None:
    space = jhpo.Space(SPACE)
    assert strategy_class("random").default_trials(space, SearchSize()) == DEFAULT_TRIALS
    assert strategy_class("bayes").default_trials(space, SearchSize(timeout=5.0)) is None
    # grid: the whole grid, and one more for a baseline that is not a grid point
    assert strategy_class("grid").default_trials(space, SearchSize(grid_points=3)) == 6
    assert strategy_class("grid").default_trials(space, SearchSize(baseline={"x": 0.3, "k": "a"}, grid_points=3)) == 7
    assert strategy_class("grid").default_trials(space, SearchSize(baseline={"x": 0.5, "k": "a"}, grid_points=3)) == 6
    # hyperband: one whole first bracket, 81 + 27 + 9 + 3 + 1 configurations at eta 3
    hb = strategy_class("hyperband")
    assert hb.default_trials(jhpo.Space(BUDGETED), SearchSize()) == 121
    assert hb.default_trials(jhpo.Space(BUDGETED), SearchSize(options={"eta": 9})) == 81 + 9 + 1
    assert hb.default_trials(jhpo.Space(BUDGETED), SearchSize(timeout=5.0)) is None
    assert hb.default_trials(space, SearchSize()) == DEFAULT_TRIALS  # nothing to schedule


def test_dry_run_counts_the_hyperband_bracket(ip: Any, capsys: Any) -> None:  # type: ignore[no-untyped-def]
    cell = "x = 0.5  # tune: uniform(0, 1)\nepochs = 9  # tune: resource(1, 9)\nscore = x\n"
    ip.run_cell_magic("tune", "--strategy hyperband --maximize score --dry-run", cell)
    assert "13 trials" in capsys.readouterr().out  # 9 + 3 + 1 at eta 3


CHECKPOINTED = "x = 0.5  # tune: uniform(0, 1)\nepochs = 3  # tune: resource(1, 3)\nstate = epochs\nscore = x\n"


def _meta(db: Path, study: str) -> dict[str, Any]:
    with sqlite3.connect(db) as con:
        return json.loads(con.execute("SELECT meta FROM studies WHERE name = ?", (study,)).fetchone()[0])


def test_checkpoint_is_stored_in_its_own_field(ip: Any, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "s.db"
    line = (
        f"--strategy hyperband --trials 4 --seed 0 --maximize score --quiet --storage {db} --study c --checkpoint state"
    )
    ip.run_cell_magic("tune", line, CHECKPOINTED)
    meta = _meta(db, "c")
    assert meta["checkpoint"] == "state" and "checkpoint" not in meta["strategy_options"]
    assert load_study("c", str(db)).strategy.continues  # type: ignore[attr-defined]


def test_a_study_stored_with_checkpoint_among_strategy_options_still_resumes(ip: Any, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "s.db"
    line = f"--strategy hyperband --trials 4 --seed 0 --maximize score --quiet --storage {db} --study old"
    ip.run_cell_magic("tune", line + " --checkpoint state", CHECKPOINTED)
    meta = _meta(db, "old")
    meta["strategy_options"]["checkpoint"] = meta.pop("checkpoint")  # as stored before it had its own field
    with sqlite3.connect(db) as con:
        con.execute("UPDATE studies SET meta = ? WHERE name = 'old'", (json.dumps(meta),))
    study = load_study("old", str(db))
    assert study.checkpoint == "state" and study.strategy.continues  # type: ignore[attr-defined]
    r = ip.run_cell_magic(
        "tune", line.replace("--trials 4", "--trials 6") + " --resume --checkpoint state", CHECKPOINTED
    )
    assert len(r.trials) == 6


def test_a_race_refuses_an_option_no_racer_takes_and_hands_each_racer_its_own() -> None:
    with pytest.raises(UsageProblem, match=r"none of the racers \(random, sobol\) takes --eta"):
        Race(
            SPACE,
            lambda t: t.params["x"],
            ["random", "sobol"],
            n_trials=2,
            storage=":memory:",
            strategy_options={"eta": 2},
        )
    race = Race(
        SPACE,
        lambda t: t.params["x"],
        ["random", "genetic"],
        n_trials=2,
        storage=":memory:",
        strategy_options={"population": 4, "grid_points": 2},
    )
    studies = {r.strategy: r.study for r in race.racers}
    assert studies["genetic"].strategy.population == 4  # type: ignore[attr-defined]
    assert studies["random"].strategy_options == {}  # neither a fact it ignores nor an option it lacks
