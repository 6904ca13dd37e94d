"""Which way an objective is optimized, and how two values compare under it.

``Direction`` is a ``str`` enum, so ``Direction.MAXIMIZE == "maximize"`` and stored
studies (which hold the plain string) read back unchanged. Code that compares
values asks the direction (``better``, ``loss``, ``best``) instead of writing
``a > b if direction == "maximize" else a < b`` again.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Sequence

from .errors import UsageProblem

__all__ = ["Direction"]


class Direction(str, enum.Enum):
    """``maximize`` or ``minimize``.

    Examples
    --------
    >>> d = Direction.parse("maximize")
    >>> d.better(0.9, 0.8), d.loss(0.9), d.best([0.2, None, 0.9, 0.5])
    (True, -0.9, 0.9)
    """

    MAXIMIZE = "maximize"
    MINIMIZE = "minimize"

    def __str__(self) -> str:
        return self.value

    @classmethod
    def parse(cls, text: str | Direction) -> Direction:
        """The direction named by ``text``; a clear error for anything else."""
        if isinstance(text, Direction):  # the common case, on per-trial paths: no look-up
            return text
        try:
            return cls(text)
        except ValueError:
            raise UsageProblem(f"direction must be 'maximize' or 'minimize', but got {text!r}") from None

    @property
    def sign(self) -> float:
        """+1 when larger is better, -1 when smaller is."""
        return 1.0 if self is Direction.MAXIMIZE else -1.0

    def loss(self, value: float) -> float:
        """``value`` turned into something to minimize (what surrogates and sorting use)."""
        return -value if self is Direction.MAXIMIZE else value

    def better(self, a: float, b: float | None) -> bool:
        """Whether ``a`` is strictly better than ``b`` (anything beats None; NaN beats nothing)."""
        if math.isnan(a):
            return False
        return b is None or math.isnan(b) or self.loss(a) < self.loss(b)

    def best(self, values: Iterable[float | None]) -> float | None:
        """The best of ``values`` (None and NaN skipped), or None when there is none."""
        out: float | None = None
        for v in values:
            if v is not None and self.better(v, out):
                out = v
        return out

    def ranked(self, values: Sequence[float]) -> list[int]:
        """Indices of ``values`` from best to worst (stable; NaN last)."""
        return sorted(range(len(values)), key=lambda i: (math.isnan(values[i]), self.loss(values[i])))
