"""Front ends that observe a study: widgets in a notebook, text in a terminal, nothing when quiet."""

from __future__ import annotations

from typing import Any

from ..study import StudyObserver

__all__ = ["make_observer"]


def in_notebook() -> bool:
    """True inside a kernel that can show widgets (ipykernel), False in a terminal."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def make_observer(quiet: bool = False, **options: Any) -> StudyObserver | None:
    """The right front end for where we run, falling back to text on any widget failure (as tqdm does)."""
    if quiet:
        return None
    if in_notebook():
        try:
            from .progress import WidgetProgress

            return WidgetProgress(**options)
        except Exception:  # noqa: BLE001 - no widgets: text still works
            pass
    from .text import TextProgress

    return TextProgress()
