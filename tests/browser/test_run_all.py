"""Run All in JupyterLab runs every cell in order around two ``%%tune`` cells, Stop or not.

JupyterLab's ``notebook:run-all-cells`` sends every ``execute_request`` at once,
while the panel of the running search handles widget messages; each cell asserts
what the cells before it did and prints it, so a cell run out of order shows as
an error output and as execution counts out of sequence.
"""

from __future__ import annotations

import json
import urllib.parse

import pytest

from tests.browser.conftest import RUN_ALL

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TUNE = """%%tune --strategy random --trials {n} --maximize score --seed 0 --study {study} --storage runall.db -o {out}
x = 0.5  # tune: uniform(0, 1)
import time
time.sleep({sleep})
score = x + base - base"""

# Start Run All and keep its promise in the page, so the test can click while the cells run.
START_RUN_ALL = f"args => {{ window.__jhpoRunAll = ({RUN_ALL})(args); return true; }}"
WAIT_RUN_ALL = "() => window.__jhpoRunAll"


def _cells(first: int, sleep: float) -> list[str]:
    return [
        "%load_ext jhpo\nseen = []",
        "seen.append('setup'); base = 10",
        TUNE.format(n=first, study="first", out="r1", sleep=sleep),
        "assert seen == ['setup'], seen\nassert x == r1.best_params['x']\n"
        "seen.append('B'); b = 1\nprint('B saw', seen)",
        "assert seen == ['setup', 'B'], seen\nseen.append('C'); c = b + 1\nprint('C saw', seen)",
        "assert seen == ['setup', 'B', 'C'], seen\nseen.append('D'); d = c + 1\nprint('D saw', seen)",
        TUNE.format(n=6, study="second", out="r2", sleep=0.03),
        "assert seen == ['setup', 'B', 'C', 'D'] and d == 3, seen\nassert len(r2.trials) == 6\nseen.append('E')",
        "assert seen == ['setup', 'B', 'C', 'D', 'E'], seen\nprint('F saw', seen)",
    ]


def _write(lab, name: str, cells: list[str]) -> None:
    nb = {
        "cells": [
            {"cell_type": "code", "source": src, "metadata": {}, "outputs": [], "execution_count": None}
            for src in cells
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (lab.root / name).write_text(json.dumps(nb))


def _open(lab, page, name: str) -> None:
    page.goto(f"{lab.base}/lab/tree/{urllib.parse.quote(name)}?token={lab.token}")
    page.wait_for_function("() => window.jupyterapp", timeout=60_000)


def _text(cell: dict) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o["output_type"] == "stream")


def _assert_in_order(out: dict) -> None:
    cells = out["cells"]
    errors = [
        f"{o['ename']}: {o['evalue']}" for c in cells for o in c.get("outputs", []) if o["output_type"] == "error"
    ]
    assert not errors, errors
    assert out["res"] is True
    counts = [c["execution_count"] for c in cells]
    assert counts == list(range(1, len(cells) + 1)), counts
    # the outputs are each cell's own, in notebook order
    assert "B saw ['setup', 'B']" in _text(cells[3])
    assert "D saw ['setup', 'B', 'C', 'D']" in _text(cells[5])
    assert "F saw ['setup', 'B', 'C', 'D', 'E']" in _text(cells[8])


def _trials(lab, study: str) -> list:
    from jhpo.storage import SQLiteStorage

    return SQLiteStorage(str(lab.root / "runall.db")).load_trials(study)


def _on_failure(page, tmp_path) -> None:
    try:
        page.screenshot(path=str(tmp_path / "failure.png"), full_page=True, timeout=10_000)
        print("screenshot of the failure:", tmp_path / "failure.png")
    except Exception as exc:  # noqa: BLE001 - keep the original failure
        print("no screenshot of the failure:", exc)


def test_run_all_runs_every_cell_in_order(lab, page, tmp_path):
    _write(lab, "order.ipynb", _cells(first=10, sleep=0.05))
    _open(lab, page, "order.ipynb")
    try:
        out = page.evaluate(RUN_ALL, ["order.ipynb", 240_000])
        _assert_in_order(out)
    except Exception:
        _on_failure(page, tmp_path)
        raise
    assert len(_trials(lab, "first")) == 10 and len(_trials(lab, "second")) == 6


def test_run_all_in_order_when_stop_is_clicked(lab, page, tmp_path):
    _write(lab, "stop.ipynb", _cells(first=300, sleep=0.1))
    _open(lab, page, "stop.ipynb")
    try:
        page.evaluate(START_RUN_ALL, ["stop.ipynb", 240_000])
        first = page.locator(".jp-Notebook .jp-CodeCell").nth(2).locator(".jhpo-panel")
        first.wait_for(timeout=90_000)
        page.wait_for_function(
            "() => { const p = document.querySelectorAll('.jp-Notebook .jp-CodeCell')[2].querySelector('.jhpo-panel');"
            " const m = p && p.innerText.match(/(\\d+)\\/300/); return m && +m[1] >= 3; }",
            timeout=60_000,
        )
        first.hover()  # the pointer over the plots while the search runs, as a user's would be
        first.get_by_role("button", name="Stop").click()
        out = page.evaluate(WAIT_RUN_ALL)
        _assert_in_order(out)
    except Exception:
        _on_failure(page, tmp_path)
        raise
    assert 3 <= len(_trials(lab, "first")) < 300  # Stop reached the running search
    assert len(_trials(lab, "second")) == 6  # and did not stop the next one
