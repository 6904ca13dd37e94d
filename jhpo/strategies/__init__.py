"""Samplers and schedulers, looked up by name (``--strategy NAME``)."""

from __future__ import annotations

import difflib
import importlib
import inspect
from collections.abc import Mapping
from typing import Any

from ..space import Space
from .base import Pruner, Strategy, Suggestion

__all__ = ["Pruner", "Strategy", "Suggestion", "available", "check_options", "make_pruner", "make_strategy"]

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


def check_options(name: str, options: Mapping[str, Any]) -> None:
    """Refuse options the strategy ``name`` does not take, naming the strategies that do.

    Raises
    ------
    ValueError
        For an option no parameter of the strategy accepts (never dropped silently).
    """
    if name not in _STRATEGIES:
        return  # _build names the unknown strategy
    for option, value in options.items():
        if value is None or option in _parameters(_STRATEGIES[name]):
            continue
        takers = [s for s, path in _STRATEGIES.items() if option in _parameters(path)]
        flag = "--" + option.replace("_", "-")
        where = f"it is an option of {', '.join(takers)}" if takers else "no strategy takes it"
        raise ValueError(
            f"--strategy {name} does not take {flag} ({where}); drop {flag}"
            + (f" or use --strategy {takers[0]}" if takers else "")
        )


def _parameters(path: str) -> set[str]:
    try:
        return set(inspect.signature(_load(path).__init__).parameters)
    except (ImportError, AttributeError):
        return set()


def available() -> list[str]:
    """The strategy names this installation provides."""
    return _installed(_STRATEGIES)


def _build(kind: str, table: dict[str, str], name: str, *args: Any, **options: Any) -> Any:
    if name not in table:
        close = difflib.get_close_matches(str(name), list(table), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ValueError(f"unknown {kind} {name!r}; {hint}choose one of: {', '.join(_installed(table))}")
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
