"""Races: interleaved, fair when stopped, ranked as expected on synthetic cells, through the magic too."""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from IPython.core.error import UsageError

import jhpo
from jhpo.strategies import Strategy, Suggestion
from jhpo.study import load_study
from jhpo.teach.race import Race, RaceObserver, best_so_far, check_strategies, study_name
from jhpo.trial import Trial, TrialState

# Four parameters, only `a` matters (Bergstra & Bengio's case for random over grid search).
ONE_OF_FOUR = {n: jhpo.uniform(0.0, 1.0) for n in "abcd"}


def only_a(t: Trial) -> float:
    return -((t.params["a"] - 0.37) ** 2)


class CornerStrategy(Strategy):
    """A deliberately bad strategy: random points squeezed into the unit cube's lower corner."""

    name = "corner"

    def suggest(self, trials: Sequence[Trial], n: int = 1) -> list[Suggestion]:
        out = []
        for i in range(n):
            u = self.rng(len(trials) + i).uniform(0.0, 0.08, size=len(self.space.searched))
            out.append(Suggestion(self.space.searched.from_unit(u)))
        return out


@pytest.fixture
def corner(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(jhpo.strategies._STRATEGIES, "corner", f"{__name__}:CornerStrategy")


class Recorder(RaceObserver):
    def __init__(self, stop_after: int | None = None) -> None:
        self.steps: list[tuple[str, int]] = []
        self.events: list[str] = []
        self.stop_after = stop_after

    def on_race_start(self, race: Race) -> None:
        self.events.append("start")

    def on_race_step(self, race: Race, strategy: str, seed: int, trial: Trial | None) -> None:
        self.steps.append((strategy, seed))
        if self.stop_after is not None and len(self.steps) == self.stop_after:
            race.stop()

    def on_race_end(self, race: Race, result: Any) -> None:
        self.events.append("end")


def test_random_beats_grid_when_one_of_four_parameters_matters(tmp_path: Path) -> None:
    seeds = list(range(8))
    race = Race(
        ONE_OF_FOUR, only_a, ["grid", "random"], n_trials=16, seeds=seeds, storage=str(tmp_path / "r.db"), name="rg"
    )
    result = race.run()
    curves = result.curves
    assert curves["random"].shape == curves["grid"].shape == (8, 16)
    # Grid spends 16 trials on the last parameters and sees a single value of `a`.
    assert len({t.params["a"] for t in result.studies[("grid", 0)].trials}) == 1
    assert curves["random"][:, -1].mean() > curves["grid"][:, -1].mean()
    ranking = result.ranking
    assert list(ranking["strategy"]) == ["random", "grid"]
    assert ranking.loc[0, "mean_rank"] < ranking.loc[1, "mean_rank"]
    assert ranking.loc[0, "reached_95"] > ranking.loc[1, "reached_95"]
    # best-so-far never gets worse
    assert (np.diff(curves["random"], axis=1) >= 0).all()


def test_sobol_and_random_beat_a_deliberately_bad_strategy(tmp_path: Path, corner: None) -> None:
    space = {"x": jhpo.uniform(-3.0, 3.0), "y": jhpo.uniform(-3.0, 3.0)}

    def bowl(t: Trial) -> float:
        return (t.params["x"] - 0.5) ** 2 + (t.params["y"] + 0.5) ** 2

    result = Race(
        space,
        bowl,
        ["corner", "sobol", "random"],
        n_trials=12,
        seeds=range(6),
        direction="minimize",
        storage=":memory:",
        name="bad",
    ).run()
    ranking = result.ranking
    assert ranking["strategy"].iloc[-1] == "corner"
    assert set(ranking["strategy"].iloc[:2]) == {"sobol", "random"}
    # minimize: the best-so-far is a running minimum
    assert (np.diff(result.curves["sobol"], axis=1) <= 0).all()
    assert ranking.iloc[0]["mean_best"] < ranking.iloc[-1]["mean_best"]


def test_interleaved_round_robin_and_stored_studies(tmp_path: Path) -> None:
    rec = Recorder()
    db = str(tmp_path / "r.db")
    race = Race(
        ONE_OF_FOUR,
        only_a,
        ["random", "sobol"],
        n_trials=3,
        seeds=[5, 6],
        storage=db,
        name="rr",
        baseline={"a": 0.5, "b": 0.5, "c": 0.5, "d": 0.5},
    )
    race.observers.append(rec)
    result = race.run()
    assert rec.events == ["start", "end"]
    one_round = [("random", 5), ("sobol", 5), ("random", 6), ("sobol", 6)]
    assert rec.steps[:12] == one_round * 3
    # every racer is a study of its own in storage, starting from the same baseline
    for s in ("random", "sobol"):
        for k in (5, 6):
            study = load_study(study_name("rr", s, k), db)
            assert study.meta["strategy"] == s and study.meta["seed"] == k
            assert len(study.trials) == 3
            assert study.trials[0].info == {"baseline": True}
            assert study.trials[0].params == {"a": 0.5, "b": 0.5, "c": 0.5, "d": 0.5}
    # same seed, same strategy: the same configurations
    assert [t.params for t in result.studies[("random", 5)].trials] == [
        t.params for t in load_study("rr-random-s5", db).trials
    ]


def test_stopping_mid_round_finishes_the_round() -> None:
    rec = Recorder(stop_after=5)  # in the middle of the 2nd round of 3 racers
    race = Race(ONE_OF_FOUR, only_a, ["random", "sobol", "grid"], n_trials=10, seeds=[0], storage=":memory:")
    race.observers.append(rec)
    result = race.run()
    assert result.stop_reason == "stopped"
    assert [len(s.trials) for s in result.studies.values()] == [2, 2, 2]
    assert result.length == 2 and result.curves["grid"].shape == (1, 2)
    assert "ended early (stopped)" in result.summary()


def test_timeout_ends_the_race_between_rounds() -> None:
    import time

    def slow(t: Trial) -> float:
        time.sleep(0.05)
        return only_a(t)

    result = Race(
        ONE_OF_FOUR, slow, ["random", "sobol"], n_trials=100, seeds=[0], storage=":memory:", timeout=0.3
    ).run()
    assert result.stop_reason == "timeout"
    lengths = {len(s.trials) for s in result.studies.values()}
    assert len(lengths) == 1 and 2 <= lengths.pop() <= 5


def test_interrupt_ranks_on_complete_rounds() -> None:
    calls = {"n": 0}

    def fn(t: Trial) -> float:
        calls["n"] += 1
        if calls["n"] == 8:  # 2nd racer of the 3rd round
            raise KeyboardInterrupt
        return only_a(t)

    result = Race(ONE_OF_FOUR, fn, ["random", "sobol", "grid"], n_trials=10, seeds=[0], storage=":memory:").run()
    assert result.stop_reason == "interrupted"
    assert result.length == 2
    assert all(c.shape == (1, 2) for c in result.curves.values())
    assert result.studies[("sobol", 0)].trials[-1].state is TrialState.INTERRUPTED
    assert list(result.ranking["trials"]) == [2.0, 2.0, 2.0]


def test_exhausted_grid_keeps_its_best_and_time_curves() -> None:
    space = {"k": jhpo.choice("a", "b", "c"), "x": jhpo.uniform(0, 1)}
    result = Race(
        space,
        lambda t: (t.params["k"] == "c") + t.params["x"],
        ["grid", "random"],
        n_trials=20,
        seeds=[0, 1],
        storage=":memory:",
        strategy_options={"grid_points": 2},
    ).run()
    assert len(result.studies[("grid", 0)].trials) == 6  # 3 x 2 grid, then exhausted
    g = result.curves["grid"]
    assert g.shape == (2, 20) and (g[:, 6:] == g[:, 5:6]).all() and g[0, -1] == 2.0
    t = result.times["random"]
    assert t.shape == (2, 20) and (np.diff(t, axis=1) >= 0).all() and t[0, 0] > 0
    for band in ("minmax", "std"):
        stats = result.curve_stats(x="time", band=band, points=30)
        assert len(stats["random"]["x"]) == 30 and len(stats["random"]["mean"]) == 30
    st = result.curve_stats()
    assert st["grid"]["x"] == list(range(1, 21))
    assert np.allclose(st["grid"]["lo"], g.min(axis=0)) and np.allclose(st["grid"]["hi"], g.max(axis=0))


def test_best_so_far_skips_failures_and_interruptions() -> None:
    def tr(state: TrialState, value: float | None) -> Trial:
        return Trial(number=0, params={}, state=state, value=value)

    trials = [
        tr(TrialState.FAILED, None),
        tr(TrialState.COMPLETE, 1.0),
        tr(TrialState.INTERRUPTED, None),
        tr(TrialState.COMPLETE, 0.5),
        tr(TrialState.COMPLETE, 3.0),
    ]
    got = best_so_far(trials, "maximize", n=5)
    assert math.isnan(got[0]) and list(got[1:]) == [1.0, 1.0, 3.0, 3.0]
    assert list(best_so_far(trials, "minimize")[1:]) == [1.0, 0.5, 0.5]


def test_missing_and_unknown_strategies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(jhpo.strategies._STRATEGIES, "bayes", "jhpo.strategies.not_installed:Nope")
    ok, missing = check_strategies(["random", "bayes"], jhpo.Space(ONE_OF_FOUR))
    assert ok == ["random"] and "bayes" in missing and "not available" in missing["bayes"]
    result = Race(ONE_OF_FOUR, only_a, ["random", "bayes"], n_trials=2, storage=":memory:").run()
    assert result.strategies == ["random"] and "not raced: bayes" in result.summary()
    with pytest.raises(ValueError, match="unknown strategy 'bayse'"):
        check_strategies(["random", "bayse"], jhpo.Space(ONE_OF_FOUR))
    with pytest.raises(ValueError, match="none of the strategies"):
        Race(ONE_OF_FOUR, only_a, ["bayes"], n_trials=2, storage=":memory:")
    with pytest.raises(ValueError, match="twice"):
        check_strategies(["random", "random"], jhpo.Space(ONE_OF_FOUR))


CELL = """\
a = 0.5   # tune: uniform(0, 1)
b = 0.5   # tune: uniform(0, 1)
c = 2     # tune: integer(1, 4)
score = -(a - 0.3) ** 2 - 0.01 * c
"""


def test_race_through_the_magic(ip) -> None:  # type: ignore[no-untyped-def]
    r = ip.run_cell_magic(
        "tune",
        "--race random,sobol,grid --trials 5 --repeat 2 --seed 3 --maximize score --study lesson -o R --quiet",
        CELL,
    )
    assert ip.user_ns["R"] is r
    assert r.seeds == [3, 4] and r.strategies == ["random", "sobol", "grid"]
    assert list(r.ranking.columns) == [
        "strategy",
        "mean_best",
        "std_best",
        "mean_rank",
        "trials_to_95",
        "reached_95",
        "trials",
    ]
    assert r.curves["sobol"].shape == (2, 5)
    # each racer's trial 0 is the cell's defaults, so all start equal
    assert (r.curves["random"][:, 0] == r.curves["grid"][:, 0]).all()
    names = {n for (n,) in sqlite3.connect(".jhpo/studies.db").execute("SELECT name FROM studies")}
    assert {"lesson-random-s3", "lesson-sobol-s4", "lesson-grid-s3"} <= names
    best = max(t.value for s in r.studies.values() for t in s.trials)
    assert ip.user_ns["score"] == best  # the notebook holds what the race's best trial made
    assert "Race 'lesson'" in repr(r)
    with pytest.raises(UsageError, match="--repeat K repeats a race"):
        ip.run_cell_magic("tune", "--repeat 2 --maximize score --quiet", CELL)
    with pytest.raises(UsageError, match="leave out --n-jobs"):
        ip.run_cell_magic("tune", "--race random --n-jobs 2 --maximize score --quiet", CELL)
    with pytest.raises(UsageError, match="does not combine with --race"):
        ip.run_cell_magic("tune", "--race random --dry-run --maximize score", CELL)
    with pytest.raises(UsageError, match="unknown strategy"):
        ip.run_cell_magic("tune", "--race random,gird --trials 2 --maximize score --quiet", CELL)
    with pytest.raises(UsageError, match="already"):  # same race name again without --resume
        ip.run_cell_magic("tune", "--race random --trials 2 --seed 3 --maximize score --study lesson --quiet", CELL)


def test_race_view_draws_curves_and_ranking() -> None:
    from jhpo.teach.race_view import RaceView, ranking_html

    view = RaceView(min_interval=0.0)
    view.show = lambda: None  # type: ignore[method-assign]  # no front end here
    race = Race(ONE_OF_FOUR, only_a, ["random", "grid"], n_trials=6, seeds=[0, 1, 2], storage=":memory:", name="view")
    race.observers.append(view)
    result = race.run()
    assert set(view.means) == {"random", "grid"}
    stats = result.curve_stats()
    assert np.allclose(view.means["random"].y, stats["random"]["mean"])
    assert np.asarray(view.bands["grid"].y).shape == (2, 6)
    assert view.stop_button.layout.display == "none"
    html = view.ranking.value
    assert "random" in html and "grid" in html and "3 seeds" in html
    view.x_toggle.value = "time"
    assert "elapsed" in view.x_axis.label and len(view.means["random"].x) == 120
    view.x_toggle.value = "trial"
    view.band_toggle.value = "std"
    c = result.curves["random"]
    assert np.allclose(np.asarray(view.bands["random"].y)[0], c.mean(axis=0) - c.std(axis=0))
    assert "grid" in ranking_html(result)
    # the Stop button ends a running race between rounds
    race2 = Race(ONE_OF_FOUR, only_a, ["random", "sobol"], n_trials=50, seeds=[0], storage=":memory:")
    v2 = RaceView(min_interval=0.0)
    v2.show = lambda: None  # type: ignore[method-assign]
    race2.observers += [v2, Recorder()]
    race2.observers[1].on_race_step = lambda r, s, k, t: v2.stop_button.click() if s == "sobol" else None  # type: ignore[method-assign]
    res2 = race2.run()
    assert res2.stop_reason == "stopped" and res2.length == 1


@pytest.mark.notebook
@pytest.mark.slow
def test_manual_and_race_in_a_real_kernel(tmp_path: Path) -> None:
    """Both modes executed by nbclient in an ipykernel: the widgets exist in the saved widget state."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    cell = "x = 0.5  # tune: uniform(-2, 2)\nk = 'a'  # tune: choice('a', 'b')\nscore = -(x - 1) ** 2 + (k == 'b')\n"
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("%load_ext jhpo"),
        nbformat.v4.new_code_cell("%%tune --manual --maximize score --study m -o form\n" + cell),
        nbformat.v4.new_code_cell(
            "form.controls['x'].value = 1.0\nform.run_button.click()\nform.suggest_button.click()"
        ),
        nbformat.v4.new_code_cell(
            "%%tune --race random,sobol,grid --trials 6 --repeat 2 --maximize score -o R\n" + cell
        ),
        nbformat.v4.new_code_cell("print(R.ranking.strategy.tolist(), R.curves['grid'].shape)"),
    ]
    nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3", store_widget_state=True, resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    views = [
        o
        for c in nb.cells
        for o in c.get("outputs", [])
        if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
    ]
    assert len(views) == 2  # the form, the race view (the race result adds no second copy)
    state = nb.metadata.widgets["application/vnd.jupyter.widget-state+json"]["state"]
    html = " ".join(str(m["state"].get("value", "")) for m in state.values() if m["model_name"] == "HTMLModel")
    assert "jhpo manual search" in html and "1 run" in html and "Ranking" in html
    lines = [
        m
        for m in state.values()
        if m["model_name"] == "LinesModel" and m["state"].get("labels") in (["random"], ["sobol"], ["grid"])
    ]
    assert len(lines) == 3
    assert "(2, 6)" in nb.cells[-1].outputs[0]["text"]


def test_the_race_engine_is_core_code() -> None:
    """jhpo.teach and jhpo.teach.race load neither IPython nor widgets (the views load them when used)."""
    import subprocess
    import sys

    code = (
        "import sys, jhpo\n"
        "from jhpo.teach.race import Race\n"
        "r = Race({'x': jhpo.uniform(0, 1)}, lambda t: t.params['x'], ['random', 'grid'], n_trials=3,\n"
        "         storage=':memory:').run()\n"
        "r.ranking, r.curves, r.summary()\n"
        "print(','.join(m for m in ('IPython', 'ipywidgets', 'bqplot', 'ipykernel') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"the race engine imported {out.stdout.strip()}"
