"""``%%tune --manual``: the form is driven through its widgets' Python side, trials land in SQLite."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import ipywidgets as widgets
import pytest
from IPython.core.error import UsageError

import jhpo
from jhpo.study import load_study
from jhpo.teach.manual import ManualForm
from jhpo.trial import TrialState
from tests.browser.conftest import RUN_ALL, RUN_NEW_CELL, lab, page  # noqa: F401  # the JupyterLab + Chromium fixtures (skip without them)

CELL = """\
lr = 0.01        # tune: loguniform(1e-4, 1e-1)
x = 0.5          # tune: uniform(-2, 2)
q = 0.25         # tune: uniform(0, 1, step=0.25)
n = 3            # tune: integer(1, 10)
units = 32       # tune: integer(8, 512, log=True)
k = "a"          # tune: choice("a", "b", "c")
flag = True      # @param {type:"boolean"}
if k == "c":
    raise ValueError("k=c is broken on purpose")
print("ran with", x, n)
score = -(x - 1) ** 2 - abs(n - 4) + (k == "b") + 0.1 * flag + q
"""


def form_of(ip, line: str = "") -> ManualForm:  # type: ignore[no-untyped-def]
    form = ip.run_cell_magic("tune", f"--manual --maximize score --study man {line}", CELL)
    assert isinstance(form, ManualForm)
    return form


def stored(name: str = "man") -> list[dict]:  # type: ignore[type-arg]
    """The study's trials as the SQLite file holds them (read with plain sqlite3, not jhpo)."""
    con = sqlite3.connect(".jhpo/studies.db")
    rows = con.execute(
        "SELECT state, value, params, info, stdout FROM trials WHERE study = ? ORDER BY number", (name,)
    ).fetchall()
    return [
        {"state": st, "value": v, "params": json.loads(p), "info": json.loads(i), "stdout": out}
        for st, v, p, i, out in rows
    ]


def test_form_controls_follow_the_annotations(ip) -> None:  # type: ignore[no-untyped-def]
    form = form_of(ip, "-o F")
    assert ip.user_ns["F"] is form
    c = form.controls
    assert isinstance(c["lr"], widgets.FloatLogSlider) and c["lr"].min == pytest.approx(-4) and c["lr"].max == -1
    assert isinstance(c["x"], widgets.FloatSlider) and (c["x"].min, c["x"].max) == (-2, 2)
    assert isinstance(c["q"], widgets.FloatSlider) and c["q"].step == 0.25
    assert isinstance(c["n"], widgets.IntSlider) and (c["n"].min, c["n"].max, c["n"].value) == (1, 10, 3)
    assert isinstance(c["units"], widgets.SelectionSlider) and c["units"].value == 32
    assert c["units"].options[0] == 8 and c["units"].options[-1] == 512
    assert isinstance(c["k"], widgets.Dropdown) and [o[1] for o in c["k"].options] == ["a", "b", "c"]
    assert isinstance(c["flag"], widgets.Dropdown) and [o[1] for o in c["flag"].options] == [True, False]
    assert form.params() == {"lr": 0.01, "x": 0.5, "q": 0.25, "n": 3, "units": 32, "k": "a", "flag": True}
    assert stored() == []  # the cell only showed the form: nothing ran


def test_run_button_records_manual_trials(ip) -> None:  # type: ignore[no-untyped-def]
    form = form_of(ip)
    form.run_button.click()  # the cell's defaults first
    c = form.controls
    c["x"].value, c["n"].value, c["k"].value, c["flag"].value = 1.0, 4, "b", False
    c["lr"].value = 0.001
    c["q"].value = 0.75
    c["units"].value = c["units"].options[-1]
    form.run_button.click()
    trials = stored()
    assert len(trials) == 2
    first, second = trials
    assert first["info"] == {"manual": True, "baseline": True} and first["state"] == "complete"
    assert first["params"] == {"lr": 0.01, "x": 0.5, "q": 0.25, "n": 3, "units": 32, "k": "a", "flag": True}
    assert second["info"] == {"manual": True}
    assert second["params"] == {"lr": 0.001, "x": 1.0, "q": 0.75, "n": 4, "units": 512, "k": "b", "flag": False}
    assert isinstance(second["params"]["n"], int) and isinstance(second["params"]["units"], int)
    assert second["value"] == pytest.approx(0 - 0 + 1 + 0 + 0.75)
    assert second["stdout"] == "ran with 1.0 4\n"  # the same CellRunner as a search: output captured
    assert "best so far <b>1.75</b>" in form.outcome.value
    # the notebook holds what the best run made, as after a search
    assert ip.user_ns["score"] == pytest.approx(1.75) and ip.user_ns["k"] == "b"
    # drawn in the panel's plots: the history shows both runs
    assert form.plots is not None and list(form.plots.h_done.mark.x) == [0, 1]
    assert "<b>Trial 1</b>" in form.detail.value and "ran with 1.0 4" in form.detail.value  # the last run's details


def test_a_failing_run_is_recorded_and_shown(ip) -> None:  # type: ignore[no-untyped-def]
    form = form_of(ip)
    form.controls["k"].value = "c"
    trial = form.run()
    assert trial.state is TrialState.FAILED and "broken on purpose" in (trial.error or "")
    assert stored()[0]["state"] == "failed"
    assert "failed" in form.outcome.value
    form.reset_button.click()
    assert form.params()["k"] == "a"


def test_suggest_fills_the_form_and_says_why_then_search_continues(ip) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("jhpo.strategies.bayes")
    form = form_of(ip, "--seed 1")
    for x in (-1.0, 0.0, 0.5, 1.5, 2.0, -2.0, 0.8, 1.2):  # past bayes' initial design (8 points here)
        form.controls["x"].value = x
        form.run_button.click()
    form.suggest_button.click()
    s = form.suggestion
    assert s is not None and s.info["why"]["mode"] in ("exploit", "explore")
    for name, value in s.params.items():
        got = form.params()[name]
        assert got == pytest.approx(value, rel=1e-8) if isinstance(value, float) else got == value
    why = form.why.value
    assert s.info["why"]["mode"] in why and "expected improvement" in why
    trial = form.run()
    assert trial.info["manual"] is True and trial.info["suggested_by"] == "bayes"
    assert trial.info["why"]["text"] == s.info["why"]["text"]
    assert trial.params == s.params  # the suggestion ran exactly
    # a changed suggestion is the learner's own point
    form.suggest()
    form.controls["n"].value = 9 if form.controls["n"].value != 9 else 8
    assert "why" not in form.run().info
    # afterwards an automatic search continues the same study
    r = ip.run_cell_magic("tune", "--strategy bayes --study man --resume --trials 13 --maximize score --quiet", CELL)
    assert len(r.trials) == 13
    assert [bool(t.info.get("manual")) for t in r.trials] == [True] * 10 + [False] * 3
    assert not r.trials[-1].info.get("baseline")  # the manual defaults already were the baseline
    assert len(load_study("man").trials) == 13


def test_suggest_falls_back_to_random_without_bayes(ip, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(jhpo.strategies._STRATEGIES, "bayes", "jhpo.strategies.not_installed:Nope")
    form = form_of(ip)
    assert form.study.meta["strategy"] == "random"
    assert "Suggest uses random" in form.header.value
    s = form.suggest()
    assert s is not None and form.params()["k"] == s.params["k"]
    assert "random proposes this point" in form.why.value


def test_resumed_manual_form_starts_at_the_best(ip) -> None:  # type: ignore[no-untyped-def]
    form = form_of(ip)
    form.controls["n"].value = 4
    form.run()
    again = form_of(ip, "--resume")
    assert again.params()["n"] == 4 and len(again.study.trials) == 1
    with pytest.raises(UsageError, match="two different modes"):
        ip.run_cell_magic("tune", "--manual --race random --maximize score", CELL)


def test_manual_without_ipython(tmp_path: Path) -> None:
    from jhpo.cell import TuneOptions
    from jhpo.teach.manual import manual_cell

    ns: dict = {}  # type: ignore[type-arg]
    opts = TuneOptions(objective="score", strategy="random", storage=str(tmp_path / "s.db"), study="py", seed=0)
    form = manual_cell(CELL, ns, opts)
    form.set_params({"x": 1.0, "n": 4, "k": "b"})
    t = form.run()
    assert t.value == pytest.approx(1 + 0.1 + 0.25) and ns["score"] == t.value
    assert load_study("py", str(tmp_path / "s.db")).trials[0].info["manual"] is True


# -- in a real browser ---------------------------------------------------------------------------------

BROWSER_CELL = """\
x = 0.5          # tune: uniform(-2, 2)
lr = 0.01        # tune: loguniform(1e-4, 1e-1)
k = "a"          # tune: choice("a", "b")
import time
time.sleep(SLEEP)
score = -(x - 1) ** 2 + (k == "b")
"""


@pytest.mark.browser
@pytest.mark.slow
def test_manual_race_and_replay_in_jupyterlab(lab, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """Click Run and Suggest in Chromium, stop a running race with its Stop button, replay a study."""
    import urllib.parse

    import nbformat

    try:
        _drive(lab, page, tmp_path, nbformat, urllib.parse.quote)
    except Exception:
        page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
        print("screenshot of the failure:", tmp_path / "failure.png")
        raise


def _drive(lab, page, tmp_path, nbformat, quote) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("%load_ext jhpo\nSLEEP = 0"),
        nbformat.v4.new_code_cell("%%tune --manual --maximize score --study man --seed 0\n" + BROWSER_CELL),
    ]
    nbformat.write(nb, lab.root / "teach.ipynb")
    page.goto(f"{lab.base}/lab/tree/{quote('teach.ipynb')}?token={lab.token}")
    page.wait_for_function("() => window.jupyterapp", timeout=60_000)
    assert page.evaluate(RUN_ALL, ["teach.ipynb", 120_000])["res"] is True
    form = page.locator(".jhpo-manual").first
    form.wait_for(timeout=30_000)
    assert form.locator(".widget-slider").count() >= 2 and form.locator("select").count() == 1
    form.get_by_role("button", name="Run").click()  # the cell's defaults
    form.get_by_text("1 run ").wait_for(timeout=30_000)
    form.locator("select").select_option(label="b")
    form.get_by_role("button", name="Run").click()
    form.get_by_text("2 runs").wait_for(timeout=30_000)
    form.get_by_role("button", name="Suggest (bayes)").click()
    form.get_by_text("Initial design").wait_for(timeout=30_000)
    form.get_by_role("button", name="Run").click()
    form.get_by_text("3 runs").wait_for(timeout=30_000)
    page.wait_for_selector(".jhpo-manual .bqplot.figure svg .dot", timeout=30_000)
    assert form.locator(".bqplot.figure svg .dot").count() >= 3
    form.screenshot(path=str(tmp_path / "manual.png"))
    trials = load_study("man", str(lab.root / ".jhpo" / "studies.db")).trials
    assert [t.info.get("manual") for t in trials] == [True, True, True]
    assert trials[0].info.get("baseline") and trials[1].params["k"] == "b" and trials[1].value is not None
    assert trials[2].info["suggested_by"] == "bayes" and trials[2].info["why"]["mode"] == "initial"

    # a race that would take long: its Stop button ends it between rounds, the ranking still comes
    page.evaluate(RUN_NEW_CELL, ["teach.ipynb", "SLEEP = 0.2\n"])
    page.wait_for_timeout(500)
    page.evaluate(
        RUN_NEW_CELL,
        ["teach.ipynb", "%%tune --race random,sobol --trials 200 --maximize score --study race -o R\n" + BROWSER_CELL],
    )
    race = page.locator(".jp-Notebook .jp-CodeCell").last.locator(".jhpo-race")
    race.wait_for(timeout=60_000)
    page.wait_for_function(
        "() => { const r = [...document.querySelectorAll('.jhpo-race')].pop();"
        " const m = r && r.innerText.match(/(\\d+)\\/200 trials/); return m && +m[1] >= 3; }",
        timeout=60_000,
    )
    race.get_by_role("button", name="Stop").click()
    race.get_by_text("Ranking").wait_for(timeout=60_000)
    assert "ended early (stopped)" in race.inner_text()
    page.wait_for_selector(".jhpo-race .bqplot.figure svg path.line", timeout=30_000)
    race.screenshot(path=str(tmp_path / "race.png"))
    db = str(lab.root / ".jhpo" / "studies.db")
    counts = [len(load_study(f"race-{s}-s0", db).trials) for s in ("random", "sobol")]
    assert counts[0] == counts[1] and 3 <= counts[0] < 200, counts

    # the manual study, replayed
    page.evaluate(RUN_NEW_CELL, ["teach.ipynb", "%tune_show man --replay"])
    replay = page.locator(".jp-Notebook .jp-CodeCell").last.locator(".jhpo-replay")
    replay.wait_for(timeout=60_000)
    replay.get_by_text("trial 2 (manual)").wait_for(timeout=30_000)
    assert not page.errors, page.errors
