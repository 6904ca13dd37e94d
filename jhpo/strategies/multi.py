"""Strategies for several objectives (``--maximize a --minimize b``): which ones, and how.

random, sobol and grid propose without looking at results, so they serve as
they are; genetic ranks its parents by NSGA-II (:mod:`jhpo.strategies.nsga2`);
bayes becomes ParEGO (:mod:`jhpo.strategies.parego`). Hyperband, ASHA and PBT
promote trials by one number and are refused, with the fix in the message.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..direction import Direction
from ..errors import UsageProblem
from ..space import Space
from . import _STRATEGIES, _construct, _load, make_strategy, strategy_options
from .base import Strategy

__all__ = ["MULTI_OBJECTIVE", "check_multi_objective", "make_multi_strategy"]

#: The strategies that run several objectives.
MULTI_OBJECTIVE = ("random", "sobol", "grid", "genetic", "bayes")
_REPLACED = {"bayes": "jhpo.strategies.parego:ParEGOStrategy"}


def check_multi_objective(label: str) -> None:
    """Refuse a strategy that ranks trials by one number (hyperband, asha, pbt), naming the fix."""
    if label in _STRATEGIES and label not in MULTI_OBJECTIVE:
        raise UsageProblem(
            f"--strategy {label} promotes trials by one number, so it cannot run several objectives; "
            f"use --strategy {', '.join(MULTI_OBJECTIVE[:-1])} or {MULTI_OBJECTIVE[-1]}, "
            "or keep one objective (--maximize or --minimize once)"
        )


def make_multi_strategy(
    name: str | Strategy, space: Space, seed: int | None, directions: Sequence[Direction], **options: Any
) -> Strategy:
    """The strategy ``name`` set up for the objectives' ``directions``.

    Raises
    ------
    UsageProblem
        For a strategy that ranks trials by one number (hyperband, asha, pbt).
    """
    check_multi_objective(name.name if isinstance(name, Strategy) else str(name))
    if isinstance(name, Strategy):
        strategy = name
    elif name in _REPLACED:
        # the replacement takes the options its single-objective strategy declares
        kwargs = strategy_options(name, options)
        strategy = _construct(_load(_REPLACED[name]), space, seed=seed, direction=directions[0].value, **kwargs)
    else:
        strategy = make_strategy(name, space, seed=seed, direction=directions[0].value, **options)
    strategy.directions = tuple(directions)
    return strategy
