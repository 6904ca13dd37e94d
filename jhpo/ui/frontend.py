"""Which notebook front end the kernel serves, and whether it can draw the panel's widgets.

What works where (the README's *Other front ends* says the same to users):

- **JupyterLab 4 and Notebook 7** draw ipywidgets 8 and bqplot (bqplot's extension ships in its
  wheel). Nothing to do.
- **Google Colab** draws ipywidgets 8, but third-party widgets such as bqplot only after
  ``google.colab.output.enable_custom_widget_manager()``. jhpo calls it once; if that fails, the
  search shows the text view with a one-line hint.
- **VS Code's Jupyter extension** draws ipywidgets 8 and loads bqplot's scripts from a CDN only if
  the user allows it (setting ``jupyter.widgetScriptSources``). A kernel cannot read that setting,
  so jhpo shows the panel and says once, in one line, how to allow the plots.

The environment variable ``JHPO_UI`` overrides the choice: ``text`` always shows the text view,
``widgets`` always the panel (and no hint).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["FrontEnd", "detect", "front_end", "prepare"]

COLAB_HINT = (
    "jhpo: Colab could not enable its custom widget manager, so the search is shown as text; "
    "run `from google.colab import output; output.enable_custom_widget_manager()` and re-run the cell."
)
VSCODE_HINT = (
    "jhpo: in VS Code, the panel's plots (bqplot) need widget scripts from a CDN: if they stay blank, "
    'set "jupyter.widgetScriptSources": ["jsdelivr.com", "unpkg.com"] and reload the window (JHPO_UI=text: no widgets).'
)


@dataclass(frozen=True)
class FrontEnd:
    """What the kernel's front end can show.

    Attributes
    ----------
    name : str
        ``"colab"``, ``"vscode"`` or ``"jupyter"`` (JupyterLab, Notebook, or any front end not recognized).
    widgets : bool
        Draw the widget panel; when False the search shows the text view.
    hint : str or None
        One line for the user about what to change, or None.
    """

    name: str
    widgets: bool
    hint: str | None = None


def detect(environ: Mapping[str, str] | None = None, modules: Mapping[str, Any] | None = None) -> str:
    """Name the front end from the kernel's environment variables and loaded modules.

    Colab's kernel has ``google.colab`` imported (and ``COLAB_RELEASE_TAG`` set); VS Code starts
    kernels with ``VSCODE_PID`` / ``VSCODE_CWD`` in their environment (plotly detects it the same way).
    """
    environ = os.environ if environ is None else environ
    modules = sys.modules if modules is None else modules
    if "google.colab" in modules or "COLAB_RELEASE_TAG" in environ:
        return "colab"
    if "VSCODE_PID" in environ or "VSCODE_CWD" in environ:
        return "vscode"
    return "jupyter"


def prepare(environ: Mapping[str, str] | None = None, modules: Mapping[str, Any] | None = None) -> FrontEnd:
    """Do what the front end needs for the panel (Colab: enable its custom widget manager) and say what it can show."""
    environ = os.environ if environ is None else environ
    forced = environ.get("JHPO_UI", "").strip().lower()
    name = detect(environ, modules)
    if forced == "text":
        return FrontEnd(name, widgets=False)
    if name == "colab":
        try:
            from google.colab import output

            output.enable_custom_widget_manager()
        except Exception:  # noqa: BLE001 - whatever Colab raises, the text view still works
            return FrontEnd(name, widgets=forced == "widgets", hint=None if forced == "widgets" else COLAB_HINT)
    if name == "vscode" and forced != "widgets":
        return FrontEnd(name, widgets=True, hint=VSCODE_HINT)
    return FrontEnd(name, widgets=True)


_current: FrontEnd | None = None


def front_end() -> FrontEnd:
    """The kernel's front end, prepared once per process; its hint is printed the first time."""
    global _current
    if _current is None:
        _current = prepare()
        if _current.hint:
            print(_current.hint)
    return _current
