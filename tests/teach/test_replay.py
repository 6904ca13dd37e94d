"""Replays step the plots through a finished study or race; bayes shows its model at each step."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from IPython.core.error import UsageError

import jhpo
import jhpo.teach
from jhpo.teach.race import Race
from jhpo.teach.replay import RaceReplay, Replay, caption_html
from jhpo.trial import TrialState

SPACE = {"x": jhpo.uniform(-2.0, 2.0), "k": jhpo.choice("a", "b")}


def objective(t: jhpo.Trial) -> float:
    if t.params["x"] > 1.8:
        raise RuntimeError("too far")
    return -((t.params["x"] - 0.5) ** 2) + (t.params["k"] == "b")


def test_replay_steps_the_history(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    study = jhpo.Study(SPACE, strategy="random", seed=2, storage=db, name="rand")
    study.optimize(objective, n_trials=10)
    r = jhpo.teach.replay("rand", storage=db)  # by name, from storage
    assert isinstance(r, Replay) and r.slider.max == 10 and r.slider.value == 10
    assert r.play.max == 10
    done = [t.number for t in study.trials if t.state is TrialState.COMPLETE]
    assert list(r.plots.h_done.mark.x) == done
    r.slider.value = 4  # what the Play button does, one step at a time
    assert r.shown == 4
    assert list(r.plots.h_done.mark.x) == [n for n in done if n < 4]
    assert "trial 3" in r.caption.value and "next, trial 4" in r.caption.value
    best = max((t for t in study.trials[:4] if t.value is not None), key=lambda t: t.value)  # type: ignore[arg-type,return-value]
    assert list(r.plots.best_line.y)[-1] == best.value
    r.slider.value = 1
    assert len(r.plots.h_done.mark.x) <= 1
    r.step(99)  # clamped
    assert r.shown == 10 and "next" not in r.caption.value


def test_bayes_replay_refits_the_surrogate_on_the_first_k_trials(tmp_path: Path) -> None:
    pytest.importorskip("jhpo.strategies.bayes")
    space = {"x": jhpo.uniform(-2.0, 2.0)}
    study = jhpo.Study(space, strategy="bayes", seed=0, direction="minimize", storage=str(tmp_path / "b.db"), name="b")
    study.optimize(lambda t: (t.params["x"] - 1) ** 2, n_trials=9)
    r = Replay(study)
    plots = r.plots
    surrogate = plots.view("surrogate")
    assert surrogate is not None
    for k in (6, 8):
        r.slider.value = k
        expected = study.strategy.slice(study.trials[:k], ["x"])
        assert np.allclose(np.asarray(surrogate.mean.y, dtype=float), np.asarray(expected["mean"]), equal_nan=True)
        assert len(surrogate.observed.x) == k
        why = study.trials[k].info["why"]
        assert why["text"] in r.caption.value.replace("&#x27;", "'") and why["mode"] in r.caption.value.lower()
    assert not np.allclose(
        np.asarray(surrogate.mean.y, dtype=float), np.asarray(study.strategy.slice(study.trials[:6], ["x"])["mean"])
    )


def test_race_replay() -> None:
    result = Race(SPACE, objective, ["random", "sobol"], n_trials=6, seeds=[0, 1], storage=":memory:").run()
    r = jhpo.teach.replay(result)
    assert isinstance(r, RaceReplay) and r.slider.max == 6
    r.slider.value = 3
    assert len(r.view.means["sobol"].x) == 3
    assert np.allclose(r.view.means["sobol"].y, result.curves["sobol"][:, :3].mean(axis=0))
    assert "ranking" in r.view.ranking.value.lower()


def test_tune_show_replay_through_the_magic(ip) -> None:  # type: ignore[no-untyped-def]
    cell = "x = 0.5  # tune: uniform(-2, 2)\nscore = -(x - 0.5) ** 2\n"
    res = ip.run_cell_magic("tune", "--strategy random --trials 5 --maximize score --study st --quiet -o R", cell)
    r = ip.run_line_magic("tune_show", "st --replay")
    assert isinstance(r, Replay) and r.slider.max == 5
    r2 = ip.run_line_magic("tune_show", "R --replay")  # a result variable works too
    assert isinstance(r2, Replay) and r2.study is res.study
    with pytest.raises(UsageError, match="no study named"):
        ip.run_line_magic("tune_show", "nope --replay")
    # jhpo.teach.replay stays callable although its module is imported
    assert callable(jhpo.teach.replay)


def test_caption_marks_manual_and_baseline() -> None:
    t0 = jhpo.Trial(0, {"x": 0.1}, TrialState.COMPLETE, 1.0, info={"baseline": True})
    t1 = jhpo.Trial(1, {"x": 0.2}, TrialState.COMPLETE, 2.0, info={"manual": True})
    assert "(the cell's defaults)" in caption_html([t0], t1, "maximize")
    text = caption_html([t0, t1], None, "minimize")
    assert "(manual)" in text and "best so far <b>1</b> (trial 0)" in text


def test_a_stored_race_is_read_back_and_replayed(ip) -> None:  # type: ignore[no-untyped-def]
    from jhpo.teach.race import load_race

    cell = "x = 0.5  # tune: uniform(-2, 2)\nscore = -(x - 0.5) ** 2\n"
    r = ip.run_cell_magic(
        "tune", "--race random,grid --trials 4 --repeat 2 --maximize score --study lesson --quiet", cell
    )
    back = load_race("lesson", ".jhpo/studies.db")
    assert back.strategies == ["random", "grid"] and back.seeds == [0, 1]
    assert all(np.array_equal(back.curves[s], r.curves[s]) for s in r.strategies)
    assert list(back.ranking["strategy"]) == list(r.ranking["strategy"])
    assert back.times["grid"].shape == (2, 4)  # from the stored trial durations
    rp = ip.run_line_magic("tune_show", "lesson --replay")  # a race's name works too
    assert isinstance(rp, RaceReplay) and rp.slider.max == 4
    with pytest.raises(KeyError, match="no race named 'less'"):
        load_race("less", ".jhpo/studies.db")
