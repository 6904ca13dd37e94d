"""The errors jhpo raises for what a user can fix, under one base the magic catches (and nothing else).

Every one of them is also a ``ValueError`` (what they were before there was a
base), so ``except ValueError`` in user code keeps working. An error that is
not a :class:`JhpoError` is a bug in jhpo or in the user's own code and keeps
its traceback.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # for the annotation only: errors import nothing of jhpo at run time
    from .trial import Trial

__all__ = ["JhpoError", "ObjectiveError", "SearchAborted", "SearchExhausted", "UsageProblem"]


class JhpoError(ValueError):
    """Base of every error jhpo raises for a mistake the user can fix; its message names the fix."""


class UsageProblem(JhpoError):
    """Options, a cell or a call that cannot work as given (refused before anything runs)."""


class ObjectiveError(JhpoError):
    """The objective is missing, not a number, or NaN (the trial is recorded as failed)."""


class SearchExhausted(Exception):
    """The strategy has nothing left to propose (a finished grid)."""


class SearchAborted(RuntimeError):
    """The first trials of a run all failed; the first traceback is in the message."""

    def __init__(self, message: str, first: Trial) -> None:
        super().__init__(message)
        self.first = first
