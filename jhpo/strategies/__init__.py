"""Samplers and schedulers, looked up by name (``--strategy NAME``)."""

from __future__ import annotations

import difflib
import importlib
import inspect
from collections.abc import Mapping, Sequence
from typing import Any

from ..direction import Direction
from ..errors import UsageProblem
from ..space import Space
from .base import DEFAULT_TRIALS, SEARCH_FACTS, Pruner, SearchSize, Strategy, Suggestion

__all__ = [
    "DEFAULT_TRIALS",
    "Pruner",
    "SearchSize",
    "Strategy",
    "Suggestion",
    "available",
    "check_options",
    "make_pruner",
    "make_strategy",
    "option_takers",
    "racer_options",
    "strategy_class",
    "strategy_options",
]

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


def _declared(path: str) -> Mapping[str, Any]:
    try:
        return dict(_load(path).options)
    except (ImportError, AttributeError):
        return {}


def check_options(name: str, options: Mapping[str, Any]) -> None:
    """Refuse options the strategy ``name`` does not declare, naming the strategies that do.

    The search's own facts (:data:`~jhpo.strategies.base.SEARCH_FACTS`: trial count,
    timeout, ...) are offered to every strategy and never refused. ``None`` means "not given".

    Raises
    ------
    UsageProblem
        For an option the strategy does not take (never dropped silently), or a value of the
        wrong type.
    """
    if name not in _STRATEGIES:
        return  # _strategy_class names the unknown strategy
    declared = _declared(_STRATEGIES[name])
    for option, value in options.items():
        if value is None or option in SEARCH_FACTS and option not in declared:
            continue
        if option not in declared:
            takers = option_takers(option)
            flag = "--" + option.replace("_", "-")
            where = f"it is an option of {', '.join(takers)}" if takers else "no strategy takes it"
            raise UsageProblem(
                f"--strategy {name} does not take {flag} ({where}); drop {flag}"
                + (f" or use --strategy {takers[0]}" if takers else "")
            )
        _check_type(name, option, value, declared[option])


def option_takers(option: str) -> list[str]:
    """The strategies (installed or not) that declare ``option``."""
    return [s for s, path in _STRATEGIES.items() if option in _declared(path)]


def _check_type(name: str, option: str, value: Any, kind: type | tuple[type, ...]) -> None:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if float in kinds:
        kinds = (*kinds, int)  # 3 is a fine float
    if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
        wanted = " or ".join(k.__name__ for k in kinds)
        raise UsageProblem(f"the option {option} of --strategy {name} must be {wanted}, but got {value!r}")


def strategy_class(name: str) -> type[Strategy]:
    """The class registered as ``name``.

    Raises
    ------
    UsageProblem
        For an unknown name (with the closest one) or a strategy this installation lacks.
    """
    return _load_class("strategy", _STRATEGIES, name)  # type: ignore[no-any-return]


def strategy_options(name: str, options: Mapping[str, Any], strict: bool = True) -> dict[str, Any]:
    """``options`` as strategy ``name`` takes them: checked, with the facts it does not declare and
    the options not given (None) left out.

    With ``strict=False`` an option ``name`` does not declare is left out instead of refused
    (a race hands one set of options to several strategies, each taking its own).
    """
    declared = strategy_class(name).options
    if strict:
        check_options(name, options)
    else:
        check_options(name, {k: v for k, v in options.items() if k in declared})
    return {k: v for k, v in options.items() if v is not None and k in declared}


def racer_options(name: str, options: Mapping[str, Any], racers: Sequence[str]) -> dict[str, Any]:
    """What racer ``name`` takes of the ``options`` a race hands to all its ``racers``.

    Raises
    ------
    UsageProblem
        For an option none of the racers takes (never dropped silently).
    """
    for option, value in options.items():
        if (
            value is None
            or option in SEARCH_FACTS
            or any(option in _declared(_STRATEGIES[r]) for r in racers if r in _STRATEGIES)
        ):
            continue
        takers = [s for s, path in _STRATEGIES.items() if option in _declared(path)]
        flag = "--" + option.replace("_", "-")
        where = f"it is an option of {', '.join(takers)}" if takers else "no strategy takes it"
        raise UsageProblem(f"none of the racers ({', '.join(racers)}) takes {flag} ({where}); drop {flag}")
    return strategy_options(name, options, strict=False)


def available() -> list[str]:
    """The strategy names this installation provides."""
    return _installed(_STRATEGIES)


def _load_class(kind: str, table: dict[str, str], name: str) -> Any:
    if name not in table:
        close = difflib.get_close_matches(str(name), list(table), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise UsageProblem(f"unknown {kind} {name!r}; {hint}choose one of: {', '.join(_installed(table))}")
    try:
        return _load(table[name])
    except (ImportError, AttributeError) as exc:
        raise UsageProblem(f"the {kind} {name!r} is not available in this installation ({exc})") from exc


def _construct(cls: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return cls(*args, **kwargs)
    except UsageProblem:
        raise
    except ValueError as exc:  # a constructor refusing an option's value: the user's to fix
        raise UsageProblem(str(exc)) from None


def make_strategy(
    name: str | Strategy, space: Space, seed: int | None = None, direction: str | Direction = "maximize", **options: Any
) -> Strategy:
    """Build the strategy called ``name`` with ``options``.

    The search's facts (:data:`~jhpo.strategies.base.SEARCH_FACTS`) reach the strategy when it
    declares them; any other option it does not declare is an error naming the strategies that
    take it (:func:`check_options`).
    """
    if isinstance(name, Strategy):
        return name
    cls = strategy_class(name)
    kwargs = strategy_options(name, options)
    return _construct(cls, space, seed=seed, direction=direction, **kwargs)  # type: ignore[no-any-return]


def make_pruner(name: str | Pruner | None, **options: Any) -> Pruner:
    """The pruner called ``name`` (None: none), given those of ``options`` its constructor takes."""
    if name is None:
        return Pruner()
    if isinstance(name, Pruner):
        return name
    cls = _load_class("pruner", _PRUNERS, name)
    # object.__init__ shows *args/**kwargs but takes nothing: a class without __init__ gets no options.
    accepted = inspect.signature(cls.__init__).parameters if cls.__init__ is not object.__init__ else {}
    return _construct(cls, **{k: v for k, v in options.items() if k in accepted})  # type: ignore[no-any-return]
