"""jhpo: turn a notebook training cell into a hyperparameter search.

>>> import jhpo
>>> space = {"C": jhpo.loguniform(1e-3, 1e3), "kernel": jhpo.choice("rbf", "poly")}
>>> study = jhpo.Study(space, strategy="random", seed=0, storage=":memory:")
"""

from __future__ import annotations

from typing import Any

from .annotations import AnnotationError, parse_cell
from .cell import TuneOptions, tune_cell
from .checkpoints import checkpoint
from .direction import Direction
from .metrics import log
from .result import TuneResult
from .space import Space, choice, integer, loguniform, resource, uniform
from .storage import InMemoryStorage, SQLiteStorage
from .strategies import Strategy, Suggestion
from .study import ObjectiveError, SearchAborted, Study, StudyExists, StudyMismatch, StudyObserver, load_study
from .trial import Trial, TrialPruned, TrialState, report

__version__ = "0.1.0"

__all__ = [
    "AnnotationError",
    "Direction",
    "InMemoryStorage",
    "ObjectiveError",
    "SQLiteStorage",
    "SearchAborted",
    "Space",
    "Strategy",
    "Study",
    "StudyExists",
    "StudyMismatch",
    "StudyObserver",
    "Suggestion",
    "Trial",
    "TrialPruned",
    "TrialState",
    "TuneOptions",
    "TuneResult",
    "checkpoint",
    "choice",
    "integer",
    "load_ipython_extension",
    "load_study",
    "log",
    "loguniform",
    "parse_cell",
    "report",
    "resource",
    "tune_cell",
    "uniform",
]


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext jhpo``: register ``%%tune`` and ``%tune_show``."""
    from .magics import TuneMagics

    ipython.register_magics(TuneMagics)
