"""Front ends other than JupyterLab: Colab and VS Code are recognized, and the fallbacks work.

Colab and VS Code are not available here; what can be checked is the detection from the kernel's
environment and modules, the text fallback with its one-line hint, the override ``JHPO_UI``, and
(in a real kernel) that a search then shows text or the panel as it should.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

import nbformat
import pytest

from jhpo.ui.frontend import COLAB_HINT, VSCODE_HINT, detect, prepare


def test_detect_names_the_front_end() -> None:
    assert detect(environ={}, modules={}) == "jupyter"
    assert detect(environ={"VSCODE_PID": "4242"}, modules={}) == "vscode"
    assert detect(environ={"VSCODE_CWD": "/home/me"}, modules={}) == "vscode"
    assert detect(environ={"COLAB_RELEASE_TAG": "release-colab"}, modules={}) == "colab"
    assert detect(environ={}, modules={"google.colab": types.ModuleType("google.colab")}) == "colab"


def test_jupyter_draws_widgets_without_a_hint() -> None:
    front = prepare(environ={}, modules={})
    assert front.widgets and front.hint is None


def test_colab_without_its_widget_manager_falls_back_to_text_with_a_hint() -> None:
    # google.colab is not installed here: enabling the custom widget manager fails for real
    assert "google.colab" not in sys.modules
    front = prepare(environ={"COLAB_RELEASE_TAG": "release-colab"}, modules={})
    assert front.name == "colab" and not front.widgets
    assert front.hint == COLAB_HINT and "enable_custom_widget_manager()" in front.hint
    forced = prepare(environ={"COLAB_RELEASE_TAG": "x", "JHPO_UI": "widgets"}, modules={})
    assert forced.widgets and forced.hint is None


def test_colab_gets_its_custom_widget_manager_enabled(monkeypatch: pytest.MonkeyPatch) -> None:
    # Colab's own module cannot be installed outside Colab: this stand-in records the call that
    # Colab documents for third-party widgets.
    calls = []
    output = types.ModuleType("google.colab.output")
    output.enable_custom_widget_manager = lambda: calls.append("enabled")  # type: ignore[attr-defined]
    colab = types.ModuleType("google.colab")
    colab.output = output  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setitem(sys.modules, "google.colab.output", output)
    front = prepare(environ={})
    assert (front.name, front.widgets, front.hint) == ("colab", True, None)
    assert calls == ["enabled"]


def test_vscode_draws_the_panel_and_says_how_to_allow_its_plots() -> None:
    front = prepare(environ={"VSCODE_PID": "4242"}, modules={})
    assert front.widgets and front.hint == VSCODE_HINT and "jupyter.widgetScriptSources" in front.hint
    assert "\n" not in front.hint, "one line"
    assert prepare(environ={"VSCODE_PID": "4242", "JHPO_UI": "widgets"}, modules={}).hint is None


def test_jhpo_ui_text_forces_the_text_view() -> None:
    for env in ({"JHPO_UI": "text"}, {"JHPO_UI": "TEXT", "VSCODE_PID": "1"}):
        assert not prepare(environ=env, modules={}).widgets


CELL = """%%tune --strategy random --trials 4 --maximize score --seed 0 --study s{n} --storage {db}
x = 0.5  # tune: uniform(0, 1)
score = -(x - 0.3) ** 2"""


def run_search_in_a_kernel(tmp_path: Path) -> tuple[str, set[str]]:
    """Two searches in a real kernel; the text they print and the widget modules they drew."""
    from nbclient import NotebookClient

    db = tmp_path / "s.db"
    cells = [nbformat.v4.new_code_cell("%load_ext jhpo")]
    cells += [nbformat.v4.new_code_cell(CELL.format(n=n, db=db)) for n in (1, 2)]
    nb = nbformat.v4.new_notebook(cells=cells)
    NotebookClient(nb, timeout=120, kernel_name="python3", store_widget_state=True).execute(cwd=str(tmp_path))
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    return text, {w.get("model_module", "") for w in state.values()}


@pytest.mark.slow
@pytest.mark.notebook
def test_a_kernel_with_jhpo_ui_text_shows_the_search_as_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JHPO_UI", "text")
    text, modules = run_search_in_a_kernel(tmp_path)
    assert not modules, f"no widgets were drawn, got {modules}"
    assert "best" in text.lower(), text


@pytest.mark.slow
@pytest.mark.notebook
def test_a_vscode_kernel_shows_the_panel_and_the_hint_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JHPO_UI", raising=False)
    monkeypatch.setenv("VSCODE_PID", "4242")
    text, modules = run_search_in_a_kernel(tmp_path)
    assert "bqplot" in modules, modules
    assert text.count(VSCODE_HINT) == 1, text
