"""Run All in JupyterLab and Notebook 7 runs every cell in order around two ``%%tune`` cells, Stop or not;
the kernel's interrupt during a search stops Run All at that cell, as at any other.

The front ends' ``notebook:run-all-cells`` sends every ``execute_request`` at once,
while the panel of the running search handles widget messages; each cell asserts
what the cells before it did and prints it, so a cell run out of order shows as
an error output and as execution counts out of sequence.
"""

from __future__ import annotations

import json
import urllib.parse

import pytest

from tests.browser.conftest import RUN_ALL, RUN_NEW_CELL

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


def _open(lab, page, name: str, ui: str = "lab/tree") -> None:
    page.goto(f"{lab.base}/{ui}/{urllib.parse.quote(name)}?token={lab.token}")
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


# name -> (server fixture, page fixture, the path the front end opens a notebook at, the app's name)
FRONT_ENDS = {
    "lab": ("lab", "page", "lab/tree", "JupyterLab"),
    "notebook7": ("notebook7", "notebook7_page", "notebooks", "Jupyter Notebook"),
}

# The panel of cell i shows at least 3 of its 300 trials done (false while the cells are not drawn yet).
THREE_TRIALS_IN = """i => {
  const cell = document.querySelectorAll('.jp-Notebook .jp-CodeCell')[i];
  const panel = cell && cell.querySelector('.jhpo-panel');
  const m = panel && panel.innerText.match(/(\\d+)\\/300/);
  return m && +m[1] >= 3;
}"""


def _front_end(request, front_end: str, name: str, cells: list[str]):
    """Start the front end's server and page, write notebook ``name`` and open it; returns both."""
    server_name, page_name, ui, app_name = FRONT_ENDS[front_end]
    server, page = request.getfixturevalue(server_name), request.getfixturevalue(page_name)
    _write(server, name, cells)
    _open(server, page, name, ui=ui)
    # Notebook 7 is JupyterLab's notebook in a page of its own: the same commands, its own shell and layout
    assert page.evaluate("() => window.jupyterapp.name") == app_name
    return server, page


@pytest.mark.parametrize("front_end", list(FRONT_ENDS))
def test_run_all_runs_every_cell_in_order(front_end, request, tmp_path):
    lab, page = _front_end(request, front_end, "order.ipynb", _cells(first=10, sleep=0.05))
    try:
        out = page.evaluate(RUN_ALL, ["order.ipynb", 240_000])
        _assert_in_order(out)
        assert page.locator(".jhpo-panel").count() == 2  # each search showed its panel in its own cell
    except Exception:
        _on_failure(page, tmp_path)
        raise
    assert len(_trials(lab, "first")) == 10 and len(_trials(lab, "second")) == 6


@pytest.mark.parametrize("front_end", list(FRONT_ENDS))
def test_run_all_in_order_when_stop_is_clicked(front_end, request, tmp_path):
    # the panel's Stop means "stop searching, keep going": the cells after the search run
    lab, page = _front_end(request, front_end, "stop.ipynb", _cells(first=300, sleep=0.1))
    try:
        page.evaluate(START_RUN_ALL, ["stop.ipynb", 240_000])
        page.wait_for_function(THREE_TRIALS_IN, arg=2, timeout=90_000)
        first = page.locator(".jp-Notebook .jp-CodeCell").nth(2).locator(".jhpo-panel")
        first.hover()  # the pointer over the plots while the search runs, as a user's would be
        first.get_by_role("button", name="Stop").click()
        out = page.evaluate(WAIT_RUN_ALL)
        _assert_in_order(out)
    except Exception:
        _on_failure(page, tmp_path)
        raise
    assert 3 <= len(_trials(lab, "first")) < 300  # Stop reached the running search
    assert len(_trials(lab, "second")) == 6  # and did not stop the next one


@pytest.mark.parametrize("front_end", list(FRONT_ENDS))
def test_interrupting_the_kernel_during_a_search_stops_run_all_there(front_end, request, tmp_path):
    # the toolbar's stop button (interrupt the kernel) while the first search runs: that cell ends as
    # interrupted, the front end does not run the cells queued behind it, and what was found is kept
    server, page = _front_end(request, front_end, "interrupt.ipynb", _cells(first=300, sleep=0.1))
    try:
        page.evaluate(START_RUN_ALL, ["interrupt.ipynb", 240_000])
        page.wait_for_function(THREE_TRIALS_IN, arg=2, timeout=90_000)
        page.locator('[data-jp-item-name="interrupt"]').first.click()
        out = page.evaluate(WAIT_RUN_ALL)
        cells = out["cells"]
        errors = [[o["ename"] for o in c.get("outputs", []) if o["output_type"] == "error"] for c in cells]
        assert errors == [[], [], ["KeyboardInterrupt"]] + [[]] * 6, errors
        assert [c["execution_count"] for c in cells[:3]] == [1, 2, 3]
        assert all(c["execution_count"] is None and not c["outputs"] for c in cells[3:]), cells[3:]
        assert page.locator(".jhpo-panel").count() == 1  # the result stays shown in the interrupted cell
        # the notebook holds the best trial's names (a new cell, run by hand)
        n = page.evaluate(RUN_NEW_CELL, ["interrupt.ipynb", "print('best', x == r1.best_params['x'], seen)"])
        page.locator(".jp-Notebook .jp-CodeCell").nth(n).get_by_text("best True ['setup']").wait_for(timeout=30_000)
    except Exception:
        _on_failure(page, tmp_path)
        raise
    finished = [t for t in _trials(server, "first") if t.state.value == "complete"]
    assert 3 <= len(finished) < 300  # the interrupt reached the running search; finished trials are stored
    assert not _trials(server, "second")  # the second search never ran
