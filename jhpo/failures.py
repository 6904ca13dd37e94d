"""Failed trials grouped by their error, for every summary a user reads.

"5 failed" says nothing about why; the groups say which error, how often, and
in which trials, as in ``5 failed: ValueError: Solver lbfgs supports only ...
(trials 3, 7, 9, 12, 15)``. Pure: no I/O, no UI.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .trial import Trial, TrialState

__all__ = ["FailureGroup", "describe_failures", "group_failures"]

#: A group's error line is cut to this many characters.
WIDTH = 160


@dataclass(frozen=True)
class FailureGroup:
    """Failed trials that share one error line."""

    error: str
    trials: tuple[int, ...]

    def describe(self, limit: int = 8) -> str:
        shown = ", ".join(str(n) for n in self.trials[:limit])
        more = f", ... ({len(self.trials) - limit} more)" if len(self.trials) > limit else ""
        word = "trial" if len(self.trials) == 1 else "trials"
        return f"{self.error} ({word} {shown}{more})"


def error_line(error: str | None) -> str:
    """The line of a traceback that names the error (its last non-empty line), cut to :data:`WIDTH`."""
    lines = [line.strip() for line in (error or "").strip().splitlines() if line.strip()]
    line = next((x for x in reversed(lines) if not x.startswith(("`", "^", "~"))), "unknown error") if lines else ""
    line = line or "no error recorded"
    return line if len(line) <= WIDTH else line[: WIDTH - 3] + "..."


def group_failures(trials: Iterable[Trial]) -> list[FailureGroup]:
    """The failed trials grouped by error line, the most frequent first."""
    groups: dict[str, list[int]] = {}
    for t in trials:
        if t.state is TrialState.FAILED:
            groups.setdefault(error_line(t.error), []).append(t.number)
    ranked = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[1][0]))
    return [FailureGroup(error, tuple(numbers)) for error, numbers in ranked]


def describe_failures(trials: Iterable[Trial], limit: int = 3) -> str:
    """One line per error, e.g. ``5 failed: ValueError: ... (trials 3, 7, 9, 12, 15)``; empty if none failed."""
    groups = group_failures(trials)
    if not groups:
        return ""
    total = sum(len(g.trials) for g in groups)
    lines = [f"{total} failed: " + groups[0].describe()]
    lines += ["  " + g.describe() for g in groups[1:limit]]
    if len(groups) > limit:
        lines.append(f"  ... and {len(groups) - limit} other errors")
    return "\n".join(lines)
