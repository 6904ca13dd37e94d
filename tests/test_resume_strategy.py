"""A study resumed under another strategy (or other options) says so: the stored study names the
strategy that chose its latest trials, and keeps the earlier ones with the trial each stopped at.
Before, the stored meta kept the first strategy, so ``%tune_show`` and ``load_study`` rebuilt (and
the panel named) random search for trials bayes had chosen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jhpo
from jhpo.insights import Setup
from jhpo.storage import open_storage

SPACE = {"x": jhpo.uniform(0.0, 1.0)}


def _x(t: jhpo.Trial) -> float:
    return float(t.params["x"])


def test_the_stored_study_names_the_strategy_that_runs_now(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    jhpo.Study(SPACE, strategy="random", storage=db, name="s", seed=0).optimize(_x, n_trials=3)
    resumed = jhpo.Study(
        SPACE, strategy="bayes", storage=db, name="s", resume=True, strategy_options={"prior_mean": "mean"}
    )
    resumed.optimize(_x, n_trials=3)
    meta = open_storage(db).load_meta("s")
    assert (meta["strategy"], meta["strategy_options"]) == ("bayes", {"prior_mean": "mean"})
    assert meta["earlier_strategies"] == [
        {"strategy": "random", "strategy_options": {}, "seed": 0, "pruner": None, "until_trial": 3}
    ]
    assert meta["seed"] is None  # the resumed run was not seeded
    loaded = jhpo.load_study("s", storage=db)
    assert loaded.strategy.name == "bayes" and loaded.strategy.prior_mean == "mean"  # type: ignore[attr-defined]
    assert Setup.of(loaded).view == "surrogate"
    assert [t.info.get("why", {}).get("mode") is not None for t in loaded.trials] == [False] * 3 + [True] * 3


def test_reading_or_resuming_the_same_way_records_nothing(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    grid = jhpo.uniform(0.0, 1.0)  # five levels: a budget of 5 walks the whole grid
    jhpo.Study({"x": grid}, strategy="grid", storage=db, name="s", strategy_options={"n_trials": 5}).optimize(_x, 3)
    before = open_storage(db).load_meta("s")
    jhpo.load_study("s", storage=db)  # reading
    # the same strategy and options, only the search's own facts (the trial count) differ
    jhpo.Study({"x": grid}, strategy="grid", storage=db, name="s", resume=True, strategy_options={"n_trials": 6})
    after = open_storage(db).load_meta("s")
    assert "earlier_strategies" not in after
    assert {k: v for k, v in after.items() if k != "resumed"} == {k: v for k, v in before.items() if k != "resumed"}


def test_each_change_is_kept_in_order(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    jhpo.Study(SPACE, strategy="random", storage=db, name="s", seed=0).optimize(_x, n_trials=2)
    jhpo.Study(SPACE, strategy="sobol", storage=db, name="s", resume=True).optimize(_x, n_trials=2)
    jhpo.Study(SPACE, strategy="bayes", storage=db, name="s", resume=True).optimize(_x, n_trials=2)
    meta = open_storage(db).load_meta("s")
    assert meta["strategy"] == "bayes"
    assert [(e["strategy"], e["until_trial"]) for e in meta["earlier_strategies"]] == [("random", 2), ("sobol", 4)]


def test_the_magic_resumed_under_bayes_shows_bayes(ip: Any) -> None:
    # an earlier cell defines what the tuned cell calls
    ip.run_cell("def score_of(x):\n    return -(x - 0.3) ** 2\n")
    cell = "x = 0.5  # tune: uniform(0, 1)\nscore = score_of(x)\n"
    base = "--maximize score --study s --quiet --storage s.db --seed 0"
    ip.run_cell_magic("tune", f"--strategy random --trials 4 {base}", cell)
    res = ip.run_cell_magic("tune", f"--strategy bayes --trials 8 --resume {base} --option prior_mean=mean", cell)
    assert len(res.trials) == 8 and res.study.meta["strategy"] == "bayes"
    shown = jhpo.load_study("s", storage="s.db")
    assert Setup.of(shown).strategy == "bayes" and Setup.of(shown).options == {"prior_mean": "mean"}
    assert shown.meta["earlier_strategies"][0]["until_trial"] == 4


def test_a_new_seed_or_pruner_is_recorded_and_load_study_uses_it(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    jhpo.Study(SPACE, strategy="random", storage=db, name="s", seed=0).optimize(_x, n_trials=2)
    jhpo.Study(SPACE, strategy="random", storage=db, name="s", resume=True, seed=7, pruner="median").optimize(_x, 2)
    meta = open_storage(db).load_meta("s")
    assert (meta["seed"], meta["pruner"]) == (7, "median")
    assert meta["earlier_strategies"] == [
        {"strategy": "random", "strategy_options": {}, "seed": 0, "pruner": None, "until_trial": 2}
    ]
    assert jhpo.load_study("s", storage=db).seed == 7  # rebuilt with the seed that drew the latest trials
    # one strategy chose every trial: the header names no earlier span
    from jhpo.ui.plotdata import strategy_history

    assert strategy_history(meta) == ("random", "")
    # resuming the same way again records nothing more, "none" and no pruner being the same
    jhpo.Study(SPACE, strategy="random", storage=db, name="s", resume=True, seed=7, pruner="median")
    assert len(open_storage(db).load_meta("s")["earlier_strategies"]) == 1


def test_a_seed_change_between_strategies_keeps_the_spans(tmp_path: Path) -> None:
    from jhpo.ui.plotdata import strategy_history

    db = str(tmp_path / "s.db")
    jhpo.Study(SPACE, strategy="random", storage=db, name="s", seed=0).optimize(_x, n_trials=2)
    jhpo.Study(SPACE, strategy="random", storage=db, name="s", resume=True, seed=1).optimize(_x, n_trials=2)
    jhpo.Study(SPACE, strategy="bayes", storage=db, name="s", resume=True, seed=1).optimize(_x, n_trials=2)
    meta = open_storage(db).load_meta("s")
    assert [(e["strategy"], e["seed"], e["until_trial"]) for e in meta["earlier_strategies"]] == [
        ("random", 0, 2),
        ("random", 1, 4),
    ]
    assert strategy_history(meta) == ("bayes", "random: trials 0–3")


def test_the_magic_resumed_with_another_seed_records_it(ip: Any) -> None:
    ip.run_cell("def score_of(x):\n    return -(x - 0.3) ** 2\n")  # an earlier cell
    cell = "x = 0.5  # tune: uniform(0, 1)\nscore = score_of(x)\n"
    base = "--maximize score --study s --quiet --storage s.db --strategy sobol"
    ip.run_cell_magic("tune", f"--trials 3 --seed 0 {base}", cell)
    res = ip.run_cell_magic("tune", f"--trials 6 --resume --seed 5 {base}", cell)
    assert len(res.trials) == 6
    shown = jhpo.load_study("s", storage="s.db")
    assert shown.seed == 5 and shown.meta["earlier_strategies"][0]["seed"] == 0
