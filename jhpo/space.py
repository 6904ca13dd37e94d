"""Distributions and the search space.

Every distribution knows how to sample itself, how to map a value to the unit
interval and back (the encoding the model-based strategies work in), how to
lay out grid levels, and how to write itself back as annotation text.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Union

import numpy as np

from .conditions import INACTIVE_UNIT, Clause, Condition

Value = Union[int, float, str, bool, None]  # noqa: UP007 - a runtime alias, py3.10 safe

__all__ = [
    "Choice",
    "Clause",
    "Condition",
    "Distribution",
    "Float",
    "Int",
    "Resource",
    "Space",
    "choice",
    "integer",
    "loguniform",
    "resource",
    "uniform",
]


_INT64 = (-(2**63) + 1, 2**63 - 1)


def _num(x: Any, what: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise ValueError(f"{what} must be a number, but got {x!r}")
    try:
        finite = math.isfinite(x)
    except OverflowError:  # an int too large for a float: numpy and the strategies could not use it
        raise ValueError(f"{what} has {len(str(abs(x)))} digits, too large for a float (max about 1.8e308)") from None
    if not finite:
        raise ValueError(f"{what} must be finite, but got {x!r}")
    return x


def _native(x: Any) -> Value:
    """Turn numpy scalars into plain Python values (JSON and repr friendly)."""
    if isinstance(x, np.generic):
        return x.item()  # type: ignore[no-any-return]
    return x  # type: ignore[no-any-return]


class Distribution:
    """Base class: one hyperparameter's domain."""

    log: bool = False

    def sample(self, rng: np.random.Generator) -> Value:
        return self.from_unit(float(rng.random()))

    def to_unit(self, value: Value) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def from_unit(self, u: float) -> Value:  # pragma: no cover - abstract
        raise NotImplementedError

    def contains(self, value: Value) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def grid(self, k: int) -> list[Value]:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def is_discrete(self) -> bool:
        return False

    def to_json(self) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        return self.describe()

    def describe(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True, repr=False)
class Float(Distribution):
    """A real number in ``[low, high]``, optionally on a log scale or a step grid."""

    low: float
    high: float
    log: bool = False
    step: float | None = None

    def __post_init__(self) -> None:
        _num(self.low, "low")
        _num(self.high, "high")
        if not self.low < self.high:
            raise ValueError(f"`low < high` must hold, but got (low={self.low}, high={self.high})")
        if self.log and self.low <= 0:
            raise ValueError(
                f"a log scale needs positive bounds, but got low={self.low}; use uniform(...) or a positive lower bound"
            )
        if self.step is not None:
            _num(self.step, "step")
            if self.step <= 0:
                raise ValueError(f"step must be positive, but got step={self.step}")
            if self.log:
                raise ValueError("a float cannot have both log=True and a step")

    def _t(self, x: float) -> float:
        return math.log(x) if self.log else x

    def to_unit(self, value: Value) -> float:
        lo, hi = self._t(self.low), self._t(self.high)
        return min(1.0, max(0.0, (self._t(float(value)) - lo) / (hi - lo)))  # type: ignore[arg-type]

    def from_unit(self, u: float) -> Value:
        u = min(1.0, max(0.0, float(u)))
        lo, hi = self._t(self.low), self._t(self.high)
        x = lo + u * (hi - lo)
        # 12 significant digits: grid levels like 0.1 come out exactly 0.1, not 0.10000000000000002
        x = float(f"{math.exp(x):.12g}") if self.log else x
        if self.step is not None:
            x = self.low + round((x - self.low) / self.step) * self.step
            x = round(x, 12)
        return float(min(self.high, max(self.low, x)))

    def contains(self, value: Value) -> bool:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        return self.low <= value <= self.high

    def grid(self, k: int) -> list[Value]:
        if self.step is not None:
            n = int(math.floor((self.high - self.low) / self.step + 1e-9)) + 1
            if n <= k:
                return [round(self.low + i * self.step, 12) for i in range(n)]
        us = np.linspace(0.0, 1.0, k) if k > 1 else np.array([0.5])
        return list(dict.fromkeys(self.from_unit(u) for u in us))

    def describe(self) -> str:
        if self.log:
            return f"loguniform({self.low:g}, {self.high:g})"
        step = f", step={self.step:g}" if self.step is not None else ""
        return f"uniform({self.low:g}, {self.high:g}{step})"

    def to_json(self) -> dict[str, Any]:
        return {"type": "float", "low": self.low, "high": self.high, "log": self.log, "step": self.step}


@dataclass(frozen=True, repr=False)
class Int(Distribution):
    """An integer in ``[low, high]`` (both included), optionally log-scaled or stepped."""

    low: int
    high: int
    log: bool = False
    step: int = 1

    def __post_init__(self) -> None:
        for what, x in (("low", self.low), ("high", self.high), ("step", self.step)):
            if isinstance(x, bool) or not isinstance(x, (int, np.integer)):
                raise ValueError(f"integer(...) needs whole numbers, but got {what}={x!r}")
            if not _INT64[0] <= x <= _INT64[1]:  # grids and samplers hold integers in numpy's int64
                raise ValueError(f"integer(...) bounds must lie within ±2**63, but got {what}={str(x)[:20]}...")
        if not self.low < self.high:
            raise ValueError(f"`low < high` must hold, but got (low={self.low}, high={self.high})")
        if self.step < 1:
            raise ValueError(f"step must be a positive integer, but got step={self.step}")
        if self.log and self.low < 1:
            raise ValueError(
                f"a log scale needs positive bounds, but got low={self.low}; "
                "use integer(lo, hi) without log=True or a lower bound of at least 1"
            )
        if self.log and self.step != 1:
            raise ValueError("an integer cannot have both log=True and a step")

    @property
    def n_levels(self) -> int:
        return (self.high - self.low) // self.step + 1

    @property
    def is_discrete(self) -> bool:
        return True

    def to_unit(self, value: Value) -> float:
        v = float(value)  # type: ignore[arg-type]
        if self.log:
            lo, hi = math.log(self.low - 0.5 if self.low > 1 else self.low * 0.5), math.log(self.high + 0.5)
            return min(1.0, max(0.0, (math.log(max(v, 1e-12)) - lo) / (hi - lo)))
        return min(1.0, max(0.0, ((v - self.low) / self.step + 0.5) / self.n_levels))

    def from_unit(self, u: float) -> Value:
        u = min(1.0, max(0.0, float(u)))
        if self.log:
            lo, hi = math.log(self.low - 0.5 if self.low > 1 else self.low * 0.5), math.log(self.high + 0.5)
            x = int(round(math.exp(lo + u * (hi - lo))))
        else:
            x = self.low + min(int(u * self.n_levels), self.n_levels - 1) * self.step
        return int(min(self.high, max(self.low, x)))

    def contains(self, value: Value) -> bool:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            return False
        return self.low <= value <= self.high and (value - self.low) % self.step == 0

    def grid(self, k: int) -> list[Value]:
        # All levels when there are few; otherwise k levels (log-spaced for log
        # integers) so that integer(10, 500) does not make a 491-level grid.
        if self.n_levels <= max(k, 32):
            return [self.low + i * self.step for i in range(self.n_levels)]
        if self.log:
            pts = np.geomspace(self.low, self.high, k)
        else:
            pts = np.linspace(self.low, self.high, k)
        out = [int(self.low + round((p - self.low) / self.step) * self.step) for p in pts]
        return list(dict.fromkeys(min(self.high, x) for x in out))

    def describe(self) -> str:
        extra = ", log=True" if self.log else (f", step={self.step}" if self.step != 1 else "")
        return f"integer({self.low}, {self.high}{extra})"

    def to_json(self) -> dict[str, Any]:
        return {"type": "int", "low": self.low, "high": self.high, "log": self.log, "step": self.step}


@dataclass(frozen=True, repr=False)
class Choice(Distribution):
    """One of a fixed list of literal values (numbers, strings, booleans, None)."""

    choices: tuple[Value, ...]

    def __post_init__(self) -> None:
        if len(self.choices) == 0:
            raise ValueError("choice(...) needs at least one value, e.g. choice('a', 'b')")
        for c in self.choices:
            if c is not None and not isinstance(c, (int, float, str, bool)):
                raise ValueError(f"choice(...) takes literals only, but got {c!r}")
        keys = [(type(c), c) for c in self.choices]
        if len(set(keys)) != len(keys):
            raise ValueError(f"choice(...) lists a value twice: {list(self.choices)!r}")

    @property
    def is_discrete(self) -> bool:
        return True

    def index(self, value: Value) -> int:
        for i, c in enumerate(self.choices):
            if type(c) is type(value) and c == value:
                return i
        for i, c in enumerate(self.choices):  # 1 == 1.0, numpy scalars, ...
            if not isinstance(c, bool) and not isinstance(value, bool) and c == value:
                return i
        raise ValueError(f"{value!r} is not one of {list(self.choices)!r}")

    def to_unit(self, value: Value) -> float:
        if not self.contains(value):
            return math.nan  # a user's default outside the choices has no place on the axis
        return (self.index(value) + 0.5) / len(self.choices)

    def from_unit(self, u: float) -> Value:
        k = len(self.choices)
        return self.choices[min(int(max(0.0, u) * k), k - 1)]

    def sample(self, rng: np.random.Generator) -> Value:
        return self.choices[int(rng.integers(len(self.choices)))]

    def contains(self, value: Value) -> bool:
        try:
            self.index(value)
        except ValueError:
            return False
        return True

    def grid(self, k: int) -> list[Value]:
        return list(self.choices)

    def describe(self) -> str:
        return "choice(" + ", ".join(repr(c) for c in self.choices) + ")"

    def to_json(self) -> dict[str, Any]:
        return {"type": "choice", "choices": list(self.choices)}


@dataclass(frozen=True, repr=False)
class Resource(Distribution):
    """The training budget (epochs, rounds, a data fraction) that schedulers hand out.

    Strategies that do not allocate budget run every trial at ``high``.
    """

    low: float
    high: float

    def __post_init__(self) -> None:
        _num(self.low, "low")
        _num(self.high, "high")
        if not 0 < self.low < self.high:
            raise ValueError(f"resource(lo, hi) needs 0 < lo < hi, but got (lo={self.low}, hi={self.high})")
        if self.is_int != isinstance(self.high, int):
            raise ValueError("resource(lo, hi) takes two integers (epochs) or two floats (a fraction)")

    @property
    def is_int(self) -> bool:
        return isinstance(self.low, int) and not isinstance(self.low, bool)

    def clip(self, budget: float) -> Value:
        b = min(self.high, max(self.low, budget))
        return int(round(b)) if self.is_int else float(b)

    def to_unit(self, value: Value) -> float:
        return (math.log(float(value)) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))  # type: ignore[arg-type]

    def from_unit(self, u: float) -> Value:
        return self.clip(math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low))))

    def sample(self, rng: np.random.Generator) -> Value:
        return self.high

    def contains(self, value: Value) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool) and self.low <= value <= self.high

    def grid(self, k: int) -> list[Value]:
        return [self.high]

    def describe(self) -> str:
        return f"resource({self.low:g}, {self.high:g})"

    def to_json(self) -> dict[str, Any]:
        return {"type": "resource", "low": self.low, "high": self.high}


def uniform(low: float, high: float, step: float | None = None) -> Float:
    """A real number drawn uniformly from ``[low, high]`` (on a ``step`` grid if given)."""
    return Float(low, high, False, step)


def loguniform(low: float, high: float) -> Float:
    """A positive real number whose logarithm is uniform on ``[log low, log high]``."""
    return Float(low, high, True)


def integer(low: int, high: int, log: bool = False, step: int = 1) -> Int:
    """An integer in ``[low, high]``, both ends included."""
    return Int(low, high, log, step)


def choice(*values: Value) -> Choice:
    """One of the given literal values; ``choice(["a", "b"])`` works too."""
    if len(values) == 1 and isinstance(values[0], (list, tuple)):
        values = tuple(values[0])
    return Choice(tuple(values))


def resource(low: float, high: float) -> Resource:
    """The budget a multi-fidelity scheduler hands out (integer epochs or a float fraction)."""
    return Resource(low, high)


def distribution_from_json(d: Mapping[str, Any]) -> Distribution:
    kind = d["type"]
    if kind == "float":
        return Float(d["low"], d["high"], d["log"], d["step"])
    if kind == "int":
        return Int(d["low"], d["high"], d["log"], d["step"])
    if kind == "choice":
        return Choice(tuple(d["choices"]))
    if kind == "resource":
        return Resource(d["low"], d["high"])
    raise ValueError(f"unknown distribution type {kind!r}")


class Space(Mapping[str, Distribution]):
    """An ordered mapping from parameter name to distribution, with optional conditions.

    A conditional parameter (``conditions[name]``) is active only in the
    configurations where its condition holds: a configuration simply leaves an
    inactive parameter out (it is not a value). Sampling, decoding and the grid
    drop inactive parameters, so every strategy proposes only what the cell will
    use; encoding gives an inactive parameter the fixed position
    :data:`INACTIVE_UNIT` (model-based strategies see the parent that switches it
    off, so that fixed position carries no false information). A clause names a
    parameter listed earlier, so one pass in order settles nested conditions.

    Examples
    --------
    >>> space = Space({"C": loguniform(1e-3, 1e3), "kernel": choice("rbf", "poly")})
    >>> sorted(space.sample(np.random.default_rng(0)))
    ['C', 'kernel']
    >>> tree = Space(
    ...     {"clf": choice("svc", "rf"), "depth": integer(2, 32)},
    ...     conditions={"depth": Condition((Clause("clf", "==", "rf"),))},
    ... )
    >>> tree.prune({"clf": "svc", "depth": 4})
    {'clf': 'svc'}
    """

    def __init__(
        self,
        params: Mapping[str, Distribution] | None = None,
        conditions: Mapping[str, Condition] | None = None,
    ) -> None:
        self._params: dict[str, Distribution] = {}
        for name, dist in (params or {}).items():
            if not isinstance(dist, Distribution):
                raise TypeError(
                    f"parameter {name!r} must be a distribution such as jhpo.uniform(0, 1), but got {dist!r}"
                )
            self._params[name] = dist
        self.conditions: dict[str, Condition] = {}
        order = list(self._params)
        for name, cond in (conditions or {}).items():
            if name not in self._params:
                raise ValueError(f"a condition for {name!r}, which is not a parameter of the space")
            for c in cond.clauses:
                if c.param not in self._params or order.index(c.param) >= order.index(name):
                    raise ValueError(
                        f"the condition of {name!r} tests {c.param!r}, which must be a parameter listed before it"
                    )
            if cond.clauses or cond.runtime:
                self.conditions[name] = cond

    def __getitem__(self, name: str) -> Distribution:
        return self._params[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v.describe()}{self._when(k)}" for k, v in self._params.items())
        return f"Space({inner})"

    def _when(self, name: str) -> str:
        cond = self.conditions.get(name)
        return f" if {cond.describe()}" if cond is not None else ""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Space) and self.to_json() == other.to_json()

    __hash__ = None  # type: ignore[assignment]

    @property
    def names(self) -> list[str]:
        return list(self._params)

    @property
    def resource_name(self) -> str | None:
        """The name of the ``resource(...)`` parameter, if the space has one."""
        for name, dist in self._params.items():
            if isinstance(dist, Resource):
                return name
        return None

    @property
    def searched(self) -> Space:
        """The space without its resource: what samplers choose."""
        keep = {k: v for k, v in self._params.items() if not isinstance(v, Resource)}
        return Space(keep, {k: c for k, c in self.conditions.items() if k in keep})

    # -- conditions ------------------------------------------------------------------

    def prune(self, params: Mapping[str, Value]) -> dict[str, Value]:
        """``params`` without the parameters whose known condition fails (in space order).

        Parameters the space does not know are dropped; a runtime-conditional
        parameter is kept (whether the cell reads it is known only after it ran).
        """
        out: dict[str, Value] = {}
        for name in self._params:
            if name in params:
                cond = self.conditions.get(name)
                if cond is None or cond.holds(out):
                    out[name] = params[name]
        return out

    def settle(self, params: Mapping[str, Value], read: Sequence[str]) -> dict[str, Value]:
        """After a trial: drop the runtime-conditional parameters the cell did not read."""
        used = set(read)
        return {
            k: v for k, v in params.items() if not (k in self.conditions and self.conditions[k].runtime) or k in used
        }

    @property
    def has_runtime_conditions(self) -> bool:
        return any(c.runtime for c in self.conditions.values())

    def impute(self, U: np.ndarray) -> np.ndarray:
        """Points of the cube with each row's inactive coordinates set to :data:`INACTIVE_UNIT`.

        A model scoring candidate points should see them as the trials it was fit
        on are encoded; without conditions this returns ``U`` unchanged.
        """
        known = [n for n, c in self.conditions.items() if c.clauses]
        if not known:
            return U
        U = np.array(U, dtype=float, copy=True)
        column = {name: j for j, name in enumerate(self._params)}
        for row in U:
            active = self.prune(self.from_unit(row, prune=False))
            for name in known:
                if name not in active:
                    row[column[name]] = INACTIVE_UNIT
        return U

    # -- sampling and encoding ---------------------------------------------------------

    def sample(self, rng: np.random.Generator) -> dict[str, Value]:
        return self.prune({name: _native(dist.sample(rng)) for name, dist in self._params.items()})

    def to_unit(self, params: Mapping[str, Value], fill: np.random.Generator | None = None) -> np.ndarray:
        """Encode a configuration as a point of the unit cube, one column per parameter.

        An inactive (absent) conditional parameter gets :data:`INACTIVE_UNIT`, or,
        with ``fill``, a uniform draw (a genetic child must not inherit a value
        that did nothing in its parent).
        """
        out = []
        for name, dist in self._params.items():
            if name not in params and name in self.conditions:
                out.append(float(fill.random()) if fill is not None else INACTIVE_UNIT)
            else:
                out.append(dist.to_unit(params[name]))
        return np.array(out, dtype=float)

    def from_unit(self, u: Sequence[float] | np.ndarray, prune: bool = True) -> dict[str, Value]:
        """Decode a point of the unit cube into a configuration inside the space."""
        params = {name: _native(dist.from_unit(float(x))) for (name, dist), x in zip(self._params.items(), u)}
        return self.prune(params) if prune else params

    def contains(self, params: Mapping[str, Value]) -> bool:
        """Whether ``params`` is a configuration of the space: every value in its domain, and
        exactly the parameters active under it (a runtime-conditional one may be absent)."""
        if not set(params) <= set(self._params):
            return False
        for name in self._params:
            cond = self.conditions.get(name)
            active = cond is None or cond.holds(params)
            if name in params and not active:
                return False
            if name not in params and active and not (cond is not None and cond.runtime):
                return False
        return all(self._params[n].contains(v) for n, v in params.items())

    # -- grids -------------------------------------------------------------------------

    def grid_levels(self, k: int) -> dict[str, list[Value]]:
        return {name: dist.grid(k) for name, dist in self._params.items()}

    def grid_size(self, k: int) -> int:
        full = math.prod(len(v) for v in self.grid_levels(k).values())
        if not self.conditions or full > 1_000_000:
            return full
        return sum(1 for _ in self.grid(k))

    def n_configurations(self) -> int | None:
        """How many distinct configurations a discrete space holds (None: it has a continuous parameter).

        With conditions the count is exact up to a million combinations, an upper bound beyond.
        """
        counts = []
        for d in self._params.values():
            if isinstance(d, Float) and d.step is None:
                return None
            if isinstance(d, Float) and d.step is not None:
                counts.append(int(math.floor((d.high - d.low) / d.step + 1e-9)) + 1)
            elif isinstance(d, Int):
                counts.append(d.n_levels)
            else:
                counts.append(len(d.grid(1)))  # a choice's values; a resource's one level
        full = math.prod(counts)
        return full if full > 1_000_000 else self.grid_size(max(counts, default=1))

    def distinct(self, points: Iterable[Mapping[str, Value]]) -> Iterator[dict[str, Value]]:
        """``points`` pruned to their active parameters, each distinct configuration once, in order.

        Without conditions the points pass through unchanged: a grid over a tree need not
        know the tree, it walks its product through this.
        """
        seen: set[tuple[Any, ...]] = set()
        for point in points:
            if not self.conditions:
                yield dict(point)
                continue
            params = self.prune(point)
            key = self.key(params)
            if key not in seen:
                seen.add(key)
                yield params

    def grid(self, k: int) -> Iterator[dict[str, Value]]:
        """All grid points in lexicographic order (lazily); with conditions, only the distinct
        configurations (an inactive parameter does not multiply the grid)."""
        levels = self.grid_levels(k)
        return self.distinct(dict(zip(levels, combo)) for combo in itertools.product(*levels.values()))

    def key(self, params: Mapping[str, Value]) -> tuple[Any, ...]:
        """A hashable identity of a configuration (for duplicate checks)."""
        return tuple((type(params[n]).__name__, params[n]) if n in params else ("inactive",) for n in self._params)

    # -- text and JSON -----------------------------------------------------------------

    def describe_tree(self) -> list[str]:
        """The space as indented lines: each conditional parameter under the clauses that switch it on."""
        lines: list[str] = []
        shown: list[tuple[Clause, ...]] = []
        for name, dist in self._params.items():
            cond = self.conditions.get(name, Condition())
            path = cond.clauses
            for depth, clause in enumerate(path):
                if len(shown) <= depth or shown[depth] != path[: depth + 1]:
                    shown[depth:] = [path[: depth + 1]]
                    lines.append("  " * depth + f"if {clause.describe()}:")
            del shown[len(path) :]
            extra = "  (active when the cell reads it)" if cond.runtime else ""
            lines.append("  " * len(path) + f"{name} = {dist.describe()}{extra}")
        return lines

    def to_json(self) -> dict[str, Any]:
        out = {name: dist.to_json() for name, dist in self._params.items()}
        for name, cond in self.conditions.items():
            out[name] = {**out[name], "when": cond.to_json()}
        return out

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Space:
        conditions = {name: Condition.from_json(v["when"]) for name, v in d.items() if "when" in v}
        return cls({name: distribution_from_json(v) for name, v in d.items()}, conditions)
