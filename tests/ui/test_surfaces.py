"""The small surfaces a newcomer reads: help, errors, the summary, trial details."""

from __future__ import annotations

import re

import pytest
from IPython.core.error import UsageError

import jhpo
from jhpo.trial import Trial, TrialState

CELL = "import math, json as js\nx = 0.5  # tune: uniform(0, 1)\nscore = -(x - 0.3) ** 2"


def test_help_shows_the_cell_magic_usage(ip) -> None:  # type: ignore[no-untyped-def]
    doc = ip.find_cell_magic("tune").__doc__
    assert "%%tune [--maximize" in doc and "\n  %tune [" not in doc
    with pytest.raises(UsageError, match="unrecognized arguments"):
        ip.run_cell_magic("tune", "--maximize score --bogus", CELL)


def test_magic_errors_name_the_option_only(ip) -> None:  # type: ignore[no-untyped-def]
    ip.run_cell_magic("tune", "--trials 2 --maximize score --study taken --quiet", CELL)
    with pytest.raises(UsageError) as err:
        ip.run_cell_magic("tune", "--trials 2 --maximize score --study taken --quiet", CELL)
    assert "--resume" in str(err.value) and "resume=True" not in str(err.value)


def test_applied_variables_leave_out_imported_modules(ip) -> None:  # type: ignore[no-untyped-def]
    ip.run_cell("def shift(v):\n    return v - 0.3")  # an earlier cell
    cell = CELL.replace("(x - 0.3)", "shift(x)")
    res = ip.run_cell_magic("tune", "--trials 4 --maximize score --quiet --seed 0", cell)
    assert res.applied == ["score", "x"]
    line = next(s for s in res.summary().splitlines() if s.startswith("Variables now hold"))
    assert "math" not in line and "js" not in line and "x" in line


def test_trial_details_keep_parameters_apart() -> None:
    from jhpo.ui.panel import trial_detail_html

    t = Trial(number=3, params={"x": -0.6625, "lr": 0.006799, "k": "a"}, state=TrialState.COMPLETE, value=1.0)
    text = re.sub(r"<[^>]+>", "", trial_detail_html(t, str))
    assert "x -0.6625 lr 0.006799 k a" in text


def test_panel_css_takes_every_colour_from_the_theme() -> None:
    from jhpo.ui.panel import _CSS

    colours = re.findall(r"(?:color|background|fill)\s*:\s*([^;}]+)", _CSS)
    assert colours and all(c.strip().startswith(("var(--jp-", "none", "var(--jhpo")) for c in colours), colours


def test_no_jhpo_deprecation_warnings_when_drawing(recwarn) -> None:
    from jhpo.ui.plots import TrialPlots

    space = jhpo.Space({"x": jhpo.uniform(0, 1), "n": jhpo.integer(1, 9), "k": jhpo.choice("a", "b")})
    plots = TrialPlots(space, "maximize", str, lambda n: None)
    for i in range(len(plots.tabs.children)):
        plots.tabs.selected_index = i
    ours = [w for w in recwarn.list if "jhpo" in str(w.filename) or "orientation" in str(w.message)]
    assert not ours, [str(w.message) for w in ours]
