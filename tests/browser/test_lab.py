"""The panel in a real browser: JupyterLab in headless Chromium runs the quickstart notebook.

Checks that the panel, its progress bar and the bqplot marks (points and lines)
render, that clicking a point shows that trial's details, that Pause holds the
search between trials and Resume continues it, and that Stop ends a longer
search while the cell runs, with its finished trials kept in the SQLite file.

Set ``JHPO_SCREENSHOTS=DIR`` to keep the screenshots (docs/img is made that way).
"""

from __future__ import annotations

import os
import re
import shutil
import urllib.parse
from pathlib import Path

import pytest

from tests.browser.conftest import RUN_ALL, RUN_NEW_CELL

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent

LONGER = """%%tune --strategy random --trials 300 --maximize score --seed 1 --study longer --no-apply
x = 0.5   # tune: uniform(0, 1)
import time
time.sleep(0.25)
score = -(x - 0.3) ** 2"""


BAYES = """%%tune --strategy bayes --trials 16 --maximize score --seed 0 --study curves --pruner median --no-apply
lr = 0.1    # tune: loguniform(1e-3, 1)
width = 16  # tune: integer(4, 64, log=True)
import math, jhpo
for epoch in range(8):
    score = 1 - math.exp(-(epoch + 1) * lr * 3) * (1 + abs(math.log10(lr) + 1.5)) / 2 - 0.002 * abs(width - 30)
    jhpo.report(score, epoch)"""


def _notebook() -> Path:
    found = sorted((REPO / "notebooks").glob("*quickstart*.ipynb"))
    return found[0] if found else HERE / "panel_demo.ipynb"


def _done(panel) -> int:
    m = re.search(r"(\d+)/\d+", panel.locator(".widget-html").filter(has_text="/").first.inner_text())
    return int(m.group(1)) if m else -1


def _shot(target, tmp: Path, name: str) -> None:
    path = tmp / name
    target.page.mouse.move(1, 1)  # no tooltip left over from the last hover
    target.page.wait_for_timeout(300)
    target.screenshot(path=str(path))
    keep = os.environ.get("JHPO_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / name)


def test_panel_in_jupyterlab(lab, page, tmp_path):
    try:
        _check_panel(lab, page, tmp_path)
    except Exception:
        try:
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True, timeout=10_000)
            print("screenshot of the failure:", tmp_path / "failure.png")
        except Exception as exc:  # noqa: BLE001 - keep the original failure
            print("no screenshot of the failure:", exc)
        raise


def _check_panel(lab, page, tmp_path):
    from jhpo.storage import SQLiteStorage
    from jhpo.trial import TrialState

    source = _notebook()
    shutil.copy(source, lab.root / source.name)
    page.goto(f"{lab.base}/lab/tree/{urllib.parse.quote(source.name)}?token={lab.token}")
    page.wait_for_function("() => window.jupyterapp", timeout=60_000)
    out = page.evaluate(RUN_ALL, [source.name, 240_000])
    outputs = [o for c in out["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    errors = [f"{o['ename']}: {o['evalue']}" for o in outputs if o["output_type"] == "error"]
    assert out["res"] is True and not errors, errors

    # the panel, its progress bar, and bqplot points and lines
    panel = page.locator(".jhpo-panel").first
    panel.wait_for(timeout=30_000)
    page.wait_for_selector(".jhpo-panel .widget-hprogress .progress-bar", timeout=30_000)
    page.wait_for_selector(".jhpo-panel .bqplot.figure svg .dot", timeout=30_000)
    page.wait_for_selector(".jhpo-panel .bqplot.figure svg path.line", timeout=30_000)
    assert panel.locator(".bqplot.figure svg .dot").count() >= 10
    assert "done" in panel.locator(".jhpo-pill").first.inner_text()
    # the saved output carries a static snapshot next to the widget view
    bundles = [o["data"] for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert any("<svg" in b.get("text/html", "") for b in bundles)

    # clicking a point shows that trial's details
    page.wait_for_timeout(1000)  # the final update_display re-renders the views: let it settle
    panel.scroll_into_view_if_needed()
    _shot(panel, tmp_path, "panel.png")
    detail = panel.locator(".jhpo-detail")
    # The final display update re-renders the panel; on a loaded machine that can land after the settle
    # time above, and a click on the view being replaced is lost. Click again (on the view that is there
    # now) until the details show; a click that never works still fails after the last try.
    for attempt in range(4):
        panel.locator(".bqplot.figure svg .dot").nth(3).click(force=True)
        try:
            detail.wait_for(timeout=5_000 if attempt < 3 else 15_000)
            break
        except Exception:  # noqa: BLE001 - playwright's TimeoutError: try the click again, re-raise at the end
            if attempt == 3:
                raise
    assert re.search(r"Trial \d+", detail.inner_text())
    page.wait_for_timeout(600)
    _shot(panel, tmp_path, "panel-detail.png")
    # brushing over the history highlights the same trials in the other plots
    panel.get_by_role("button", name="Select trials").click()
    panel.locator(".bqplot.figure .overlay").first.wait_for(state="attached", timeout=15_000)  # the brush is up
    page.wait_for_timeout(300)
    box = panel.locator(".bqplot.figure").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.12, box["y"] + box["height"] * 0.1)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.55, box["y"] + box["height"] * 0.8, steps=10)
    page.mouse.up()
    page.wait_for_timeout(500)
    _shot(panel, tmp_path, "panel-brush.png")
    panel.get_by_role("tab", name="Parameters").click()
    page.wait_for_function(
        "() => [...document.querySelector('.jhpo-panel').querySelectorAll('.bqplot.figure .dot')]"
        ".some(d => /255, 127, 14|ff7f0e/i.test(d.getAttribute('style') || ''))",
        timeout=15_000,
    )
    page.wait_for_timeout(800)
    _shot(panel, tmp_path, "panel-parameters.png")
    panel.get_by_role("tab", name="Parallel coordinates").click()
    page.wait_for_timeout(800)
    _shot(panel, tmp_path, "panel-parallel.png")

    # a longer search: Pause holds it between trials, Resume continues, Stop ends it
    page.evaluate(RUN_NEW_CELL, [source.name, LONGER])
    live = page.locator(".jp-Notebook .jp-CodeCell").last.locator(".jhpo-panel")
    live.wait_for(timeout=60_000)
    page.wait_for_function(
        "() => { const p = [...document.querySelectorAll('.jhpo-panel')].pop();"
        " const m = p && p.innerText.match(/(\\d+)\\/300/); return m && +m[1] >= 3; }",
        timeout=60_000,
    )
    live.get_by_role("button", name="Pause").click()
    live.locator(".jhpo-pill", has_text="paused").wait_for(timeout=15_000)
    page.wait_for_timeout(700)  # the trial that was running when Pause came finishes
    held = _done(live)
    page.wait_for_timeout(1500)
    assert _done(live) == held, "the search went on while paused"
    _shot(live, tmp_path, "panel-paused.png")
    live.get_by_role("button", name="Resume").click()
    page.wait_for_function(
        f"() => {{ const p = [...document.querySelectorAll('.jhpo-panel')].pop();"
        f" const m = p && p.innerText.match(/(\\d+)\\/300/); return m && +m[1] >= {held + 2}; }}",
        timeout=60_000,
    )
    live.get_by_role("button", name="Stop").click()
    page.locator(".jp-Notebook .jp-CodeCell").last.locator(".jhpo-pill", has_text="stopped").wait_for(timeout=60_000)
    _shot(page.locator(".jp-Notebook .jp-CodeCell").last, tmp_path, "panel-stopped.png")

    trials = SQLiteStorage(str(lab.root / ".jhpo" / "studies.db")).load_trials("longer")
    assert held + 2 <= len(trials) < 300, len(trials)
    assert all(t.state is not TrialState.RUNNING for t in trials)
    assert sum(t.state is TrialState.COMPLETE for t in trials) >= held + 2

    # bayes with reports: learning curves (pruned ones greyed) and the surrogate view
    page.evaluate(RUN_NEW_CELL, [source.name, BAYES])
    cell = page.locator(".jp-Notebook .jp-CodeCell").last
    cell.locator(".jhpo-pill", has_text="done").wait_for(timeout=120_000)
    bayes = cell.locator(".jhpo-panel")
    bayes.scroll_into_view_if_needed()
    bayes.get_by_role("tab", name="Learning curves").click()
    page.wait_for_timeout(800)
    assert bayes.locator(".bqplot.figure svg path.line").count() >= 8
    _shot(bayes, tmp_path, "panel-curves.png")
    bayes.get_by_role("tab", name="Surrogate").click()
    page.wait_for_timeout(1000)
    assert bayes.locator(".bqplot.figure svg path.line").count() >= 3
    assert "far from the trials the model expects the worst value seen" in bayes.inner_text()
    # lr is log-scaled: its decades' ticks are evenly spaced on the axis (a linear axis would put
    # 10^-1 at a tenth of the way from 10^-3 to 10^0)
    ticks = bayes.locator(".bqplot.figure").first.evaluate(
        "f => [...f.querySelectorAll('g.axis g.tick')].filter(t => t.closest('.axis').querySelector('.axislabel')"
        " && t.closest('.axis').querySelector('.axislabel').textContent.startsWith('lr'))"
        ".map(t => [t.textContent, t.getBoundingClientRect().x])"
    )
    xs = [x for _label, x in ticks]
    assert len(xs) == 4 and xs == sorted(xs), ticks
    gaps = [b - a for a, b in zip(xs, xs[1:])]
    assert max(gaps) < 1.2 * min(gaps), ticks
    _shot(bayes, tmp_path, "panel-surrogate.png")

    # %tune_show redraws a stored study
    page.evaluate(RUN_NEW_CELL, [source.name, "%tune_show longer"])
    shown = page.locator(".jp-Notebook .jp-CodeCell").last.locator(".jhpo-panel")
    shown.wait_for(timeout=60_000)
    shown.locator(".bqplot.figure svg .dot").first.wait_for(timeout=30_000)
    assert shown.locator(".bqplot.figure svg .dot").count() >= held + 2

    # labels in the course languages: %config TuneMagics.language
    page.evaluate(RUN_NEW_CELL, [source.name, '%config TuneMagics.language = "de"'])
    page.evaluate(RUN_NEW_CELL, [source.name, BAYES.replace("--study curves", "--study kurven")])
    de = page.locator(".jp-Notebook .jp-CodeCell").last
    de.locator(".jhpo-pill", has_text="fertig").wait_for(timeout=120_000)
    assert de.get_by_role("tab", name="Verlauf").count() == 1
    _shot(de.locator(".jhpo-panel"), tmp_path, "panel-de.png")
    assert not page.errors, page.errors
