"""A saved notebook shows the results without a kernel: the snapshot next to the widget view."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.notebook]

CELL = """%%tune --strategy random --trials {n} --maximize score --seed 0 --study saved --no-apply
x = 0.5  # tune: uniform(0, 1)
score = -(x - 0.3) ** 2"""


def _run(tmp_path, n, store_widget_state):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("%load_ext jhpo"), nbformat.v4.new_code_cell(CELL.format(n=n))]
    )
    NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        store_widget_state=store_widget_state,
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    return nb


def test_static_html_without_widget_state(tmp_path):
    from nbconvert import HTMLExporter

    nb = _run(tmp_path, 25, store_widget_state=False)
    outputs = nb.cells[1].outputs
    panels = [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(panels) == 1, "one output: the panel, with its snapshot (the result adds no second panel)"
    snapshot = panels[0]["data"]["text/html"]
    assert "<svg" in snapshot and "25 trials" in snapshot and "Best" in snapshot
    html, _ = HTMLExporter().from_notebook_node(nb)  # what nbviewer does; GitHub also falls back to text/html
    assert "jhpo-snapshot" in html and "<polyline" in html


def test_10000_trials_saved_with_widget_state_stay_small(tmp_path):
    import nbformat

    nb = _run(tmp_path, 10_000, store_widget_state=True)
    path = tmp_path / "big.ipynb"
    nbformat.write(nb, path)
    assert path.stat().st_size < 5_000_000
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    progress = [m["state"] for m in state.values() if m["model_name"] == "IntProgressModel"]
    assert progress and progress[0]["value"] == 10_000
