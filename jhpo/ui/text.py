"""Progress as one line of text (tqdm), for terminals and plain IPython (kept in the core: jhpo.observers)."""

from __future__ import annotations

from ..observers import TextProgress

__all__ = ["TextProgress"]
