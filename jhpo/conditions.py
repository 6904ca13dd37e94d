"""Conditions of a tree-structured space: when a parameter is active.

A :class:`Clause` tests one tuned parameter's value (``kernel == "rbf"``,
``n_layers > 2``); a :class:`Condition` is a conjunction of clauses, and/or
``runtime`` (active only if the cell actually read the parameter, known after
the trial). :class:`jhpo.space.Space` uses them to leave inactive parameters out
of every configuration.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["INACTIVE_UNIT", "Clause", "Condition"]

#: The unit-cube position an inactive parameter is given when a configuration is encoded.
INACTIVE_UNIT = 0.5

_OPS: dict[str, Any] = {
    "==": lambda a, b: _same(a, b),
    "!=": lambda a, b: not _same(a, b),
    "in": lambda a, b: any(_same(a, x) for x in b),
    "not in": lambda a, b: not any(_same(a, x) for x in b),
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "truthy": lambda a, b: bool(a) is b,
}
_NEGATED = {"==": "!=", "!=": "==", "in": "not in", "not in": "in", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}


def _same(a: Any, b: Any) -> bool:
    # True == 1 in Python, but choice(True, 1) holds two values: compare booleans by type too.
    return bool(a == b) and isinstance(a, bool) == isinstance(b, bool)


@dataclass(frozen=True)
class Clause:
    """``param OP value``: one test of a tuned parameter's value (``kernel == "rbf"``, ``n_layers > 2``).

    ``op`` is one of ``==  !=  in  not in  <  <=  >  >=`` or ``truthy`` (``if flag:``,
    with ``value`` True, or False for ``if not flag:``).
    """

    param: str
    op: str
    value: Any

    def __post_init__(self) -> None:
        if self.op not in _OPS:
            raise ValueError(f"unknown comparison {self.op!r}; use one of {', '.join(_OPS)}")
        if self.op in ("in", "not in"):
            object.__setattr__(self, "value", tuple(self.value))

    def holds(self, value: Any) -> bool:
        try:
            return bool(_OPS[self.op](value, self.value))
        except TypeError:  # None < 3 and the like: the branch would have raised, so it did not run
            return False

    def negated(self) -> Clause:
        if self.op == "truthy":
            return Clause(self.param, "truthy", not self.value)
        return Clause(self.param, _NEGATED[self.op], self.value)

    def describe(self) -> str:
        if self.op == "truthy":
            return self.param if self.value else f"not {self.param}"
        value = list(self.value) if self.op in ("in", "not in") else self.value
        return f"{self.param} {self.op} {value!r}"

    def to_json(self) -> list[Any]:
        return [self.param, self.op, list(self.value) if isinstance(self.value, tuple) else self.value]


@dataclass(frozen=True)
class Condition:
    """When a parameter is active: all ``clauses`` hold (known before the trial), and,
    with ``runtime``, the cell actually read it (known only after the trial ran)."""

    clauses: tuple[Clause, ...] = ()
    runtime: bool = False

    def holds(self, params: Mapping[str, Any]) -> bool:
        """Whether the known clauses hold (a clause on an inactive parameter does not)."""
        return all(c.param in params and c.holds(params[c.param]) for c in self.clauses)

    def describe(self) -> str:
        parts = [c.describe() for c in self.clauses]
        if self.runtime:
            parts.append("the cell reads it")
        return " and ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {"clauses": [c.to_json() for c in self.clauses], "runtime": self.runtime}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Condition:
        return cls(tuple(Clause(p, op, v) for p, op, v in d["clauses"]), bool(d.get("runtime")))
