"""Samplers and schedulers, looked up by name (``--strategy NAME``)."""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from ..space import Space
from .base import Pruner, Strategy, Suggestion

__all__ = ["Pruner", "Strategy", "Suggestion", "available", "make_pruner", "make_strategy"]

# name -> "module:Class"; imported lazily so a strategy's heavy imports cost nothing until used.
_STRATEGIES = {
    "grid": "jhpo.strategies.grid:GridStrategy",
    "random": "jhpo.strategies.random:RandomStrategy",
    "sobol": "jhpo.strategies.sobol:SobolStrategy",
    "bayes": "jhpo.strategies.bayes:BayesStrategy",
    "genetic": "jhpo.strategies.genetic:GeneticStrategy",
    "hyperband": "jhpo.strategies.hyperband:HyperbandStrategy",
    "asha": "jhpo.strategies.hyperband:ASHAStrategy",
    "pbt": "jhpo.strategies.pbt:PBTStrategy",
}
_PRUNERS = {
    "none": "jhpo.strategies.base:Pruner",
    "median": "jhpo.strategies.pruners:MedianPruner",
}


def _load(path: str) -> Any:
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)


def _installed(table: dict[str, str]) -> list[str]:
    names = []
    for name, path in table.items():
        try:
            _load(path)
        except (ImportError, AttributeError):
            continue
        names.append(name)
    return names


def available() -> list[str]:
    """The strategy names this installation provides."""
    return _installed(_STRATEGIES)


def _build(kind: str, table: dict[str, str], name: str, *args: Any, **options: Any) -> Any:
    if name not in table:
        raise ValueError(f"unknown {kind} {name!r}; choose one of: {', '.join(_installed(table))}")
    try:
        cls = _load(table[name])
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"the {kind} {name!r} is not available in this installation ({exc})") from exc
    accepted = inspect.signature(cls.__init__).parameters
    # object.__init__ shows *args/**kwargs but takes nothing: a class without __init__ gets no options.
    takes_any = cls.__init__ is not object.__init__ and any(p.kind is p.VAR_KEYWORD for p in accepted.values())
    kwargs = {k: v for k, v in options.items() if v is not None and (takes_any or k in accepted)}
    return cls(*args, **kwargs)


def make_strategy(
    name: str | Strategy, space: Space, seed: int | None = None, direction: str = "maximize", **options: Any
) -> Strategy:
    """Build the strategy called ``name``; options it does not take are ignored."""
    if isinstance(name, Strategy):
        return name
    return _build("strategy", _STRATEGIES, name, space, seed=seed, direction=direction, **options)  # type: ignore[no-any-return]


def make_pruner(name: str | Pruner | None, **options: Any) -> Pruner:
    if name is None:
        return Pruner()
    if isinstance(name, Pruner):
        return name
    return _build("pruner", _PRUNERS, name, **options)  # type: ignore[no-any-return]
