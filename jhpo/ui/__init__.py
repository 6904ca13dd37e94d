"""Front ends that observe a study: widgets in a notebook, text in a terminal, nothing when quiet."""

from __future__ import annotations

from typing import Any

from ..study import StudyObserver

__all__ = ["make_observer", "show_result"]


def in_notebook() -> bool:
    """True inside a kernel that can show widgets (ipykernel), False in a terminal."""
    try:
        from IPython.core.getipython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None or type(shell).__name__ != "ZMQInteractiveShell":
        return False
    from .frontend import front_end  # Colab, VS Code: see frontend.py (prepared once, falls back to text)

    return front_end().widgets


def make_observer(quiet: bool = False, **options: Any) -> StudyObserver | None:
    """The right front end for where we run, falling back to text on any widget failure (as tqdm does)."""
    if quiet:
        return None
    if in_notebook():
        try:
            from .panel import Panel

            return Panel(**options)
        except Exception:  # noqa: BLE001 - no widgets: text still works
            pass
    from .text import TextProgress

    return TextProgress()


def show_result(result: Any) -> None:
    """Display a :class:`~jhpo.result.TuneResult`: the final panel in a notebook, the summary elsewhere.

    Right after ``%%tune`` the live panel above already is the final panel, so
    the result's display in that same cell adds nothing (``result._shown_live`` holds the cell's
    execution count); shown again later, it draws the final panel.
    """
    from IPython.core.getipython import get_ipython
    from IPython.display import display

    if in_notebook():
        shell = get_ipython()
        live = getattr(result, "_shown_live", None)
        if live is not None and shell is not None and live == shell.execution_count:
            return
        try:
            from .panel import show_study

            show_study(result.study)
            return
        except Exception:  # noqa: BLE001 - no widgets: the text summary still works
            pass
    display({"text/plain": result.summary(), "text/html": result._repr_html_()}, raw=True)
