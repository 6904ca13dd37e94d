"""The errors jhpo raises for what a user can fix, under one base the magic catches (and nothing else).

Every one of them is also a ``ValueError`` (what they were before there was a
base), so ``except ValueError`` in user code keeps working. An error that is
not a :class:`JhpoError` is a bug in jhpo or in the user's own code and keeps
its traceback.
"""

from __future__ import annotations

__all__ = ["JhpoError", "UsageProblem"]


class JhpoError(ValueError):
    """Base of every error jhpo raises for a mistake the user can fix; its message names the fix."""


class UsageProblem(JhpoError):
    """Options, a cell or a call that cannot work as given (refused before anything runs)."""
