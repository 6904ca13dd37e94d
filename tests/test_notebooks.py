"""The notebooks in notebooks/ run top to bottom in a real kernel, and show what they claim."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def execute(name: str, tmp_path: Path, timeout: int = 240) -> nbformat.NotebookNode:
    from nbclient import NotebookClient

    src = NOTEBOOKS / name
    work = tmp_path / name
    shutil.copy(src, work)
    nb = nbformat.read(work, as_version=4)
    NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        store_widget_state=True,
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    return nb


def text_of(nb: nbformat.NotebookNode) -> str:
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            out.append(o.get("text", "") or o.get("data", {}).get("text/plain", ""))
    return "\n".join(out)


@pytest.mark.notebook
def test_quickstart(tmp_path: Path) -> None:
    nb = execute("01_quickstart.ipynb", tmp_path)
    text = text_of(nb)
    m = re.search(r"the cell's defaults: ([\d.]+)\s+tuned: ([\d.]+)", text)
    assert m, text[-2000:]
    baseline, tuned = float(m.group(1)), float(m.group(2))
    assert tuned >= baseline and tuned > 0.95
    assert "30 trials" in text
    assert (tmp_path / ".jhpo" / "studies.db").exists()


def test_notebooks_are_committed_without_outputs() -> None:
    for path in NOTEBOOKS.glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), path.name
