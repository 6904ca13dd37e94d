"""The Population page of a PBT search in a real browser: lines drawn, contrast, no console errors.

Set ``JHPO_SCREENSHOTS=DIR`` to keep the screenshot (docs/img/panel-pbt.png is made that way).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.browser.conftest import run_all_cleanly
from tests.browser.test_panel_views import CONTRAST, _jhpo_console_errors

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CELL = """%%tune --strategy pbt --population 6 --trials 30 --maximize score --seed 0 --no-apply
lr = 0.01       # tune: loguniform(1e-4, 1)
width = 4       # tune: integer(2, 10)
kernel = "rbf"  # tune: choice("rbf", "poly", "sigmoid")
epochs = 12     # tune: resource(1, 12)
import math
best_lr = 10 ** (-1 - 2 * epochs / 12)  # a good schedule decays the learning rate
score = epochs * (1 - abs(math.log10(lr) - math.log10(best_lr)) / 4) - (kernel != "rbf") * 0.5"""


def test_population_page(lab, page, tmp_path):
    console: list[str] = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    name = "pbt.ipynb"
    cells = [
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": src}
        for src in ("%load_ext jhpo", CELL)
    ]
    nb = {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}}}
    (lab.root / name).write_text(json.dumps({**nb, "nbformat": 4, "nbformat_minor": 5}))
    run_all_cleanly(lab, page, name)
    panel = page.locator(".jp-Notebook .jp-CodeCell").nth(1).locator(".jhpo-panel")
    panel.locator(".jhpo-pill", has_text="done").wait_for(timeout=30_000)
    page.set_viewport_size({"width": 1280, "height": 2000})  # the whole page at once, figures side by side
    panel.scroll_into_view_if_needed()
    before = len(console)
    panel.get_by_role("tab", name="Population").click()
    page.wait_for_timeout(1500)
    figures = panel.locator(".bqplot.figure")
    assert figures.count() == 4  # the lineage, then lr, width and kernel
    panel.locator(".bqplot.figure svg .dot").first.wait_for(timeout=30_000)
    assert figures.nth(0).locator("svg .dot").count() == 30  # the lineage: one point per trial
    for i in (1, 2, 3):  # each schedule: a marker per member per interval (6 members, 5 intervals)
        assert figures.nth(i).locator("svg .dot").count() == 30
    labels = panel.locator(".bqplot.figure .axis text").evaluate_all("els => els.map(e => e.textContent)")
    assert {"10⁻⁴", "10⁻²", "rbf", "sigmoid", "member", "interval"} <= set(labels), labels
    result = panel.evaluate(CONTRAST)
    assert result["checked"] > 10 and not result["failures"], result["failures"][:8]
    shown = _jhpo_console_errors(console[before:])
    assert len(shown) <= 6 * figures.count() and all("negative value" in m for m in shown), shown
    page.mouse.move(1, 1)
    page.wait_for_timeout(400)
    panel.screenshot(path=str(tmp_path / "panel-pbt.png"))
    keep = os.environ.get("JHPO_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(tmp_path / "panel-pbt.png", Path(keep) / "panel-pbt.png")
    assert not page.errors, page.errors
