"""What a study's trials show: pure, read-only functions that return typed records.

Every view (the live panel, the static snapshot in a saved notebook, the course's matplotlib
figures) draws one of these records and computes nothing itself, as Optuna splits its
``_get_*_info`` functions from their rendering. Each function reads the trials, the space and the
direction; the few that need a strategy's model or plan (:func:`surrogate`, :func:`rungs`) rebuild
the strategy from what the study stored (:class:`Setup`: its name, options and seed) and refit it on
the given trials. None of them calls into a study's live strategy, so a stored, resumed or replayed
study draws exactly what the live search drew, and drawing can never change what the search does.

This module imports no widgets and no IPython: the core can use it, and so can a terminal.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .budget import outranks, trial_budget
from .direction import Direction
from .space import Space, Value
from .strategies.genetic import generation_of
from .trial import Trial, TrialState

__all__ = [
    "CAP",
    "VIEWS",
    "Brackets",
    "Choice",
    "Generation",
    "Generations",
    "History",
    "Importance",
    "Parallel",
    "Rung",
    "Setup",
    "Surrogate",
    "brackets",
    "choice",
    "generations",
    "history",
    "importance",
    "keep_indices",
    "parallel",
    "rungs",
    "surrogate",
]

#: The most points a single mark receives (downsampling keeps best + recent + evenly spaced).
CAP = 1500

#: The strategy views a strategy may declare with its ``view`` class attribute.
VIEWS = ("surrogate", "brackets", "generations", "population")


@dataclass(frozen=True)
class Setup:
    """What a study was built with: enough to rebuild its strategy and refit it on any trials.

    ``view`` is the view the strategy's class declares (:attr:`jhpo.strategies.Strategy.view`).
    """

    space: Space
    direction: Direction
    strategy: str
    options: Mapping[str, Any] = field(default_factory=dict)
    seed: int | None = None
    view: str | None = None
    #: several objectives: their directions and names (empty for one objective)
    directions: tuple[Direction, ...] = ()
    objectives: tuple[str, ...] = ()

    @classmethod
    def of(cls, study: Any) -> Setup:
        """The setup of a :class:`~jhpo.study.Study` (its declarations, never its live state)."""
        if isinstance(study, Setup):
            return study
        multi = bool(getattr(study, "is_multi", False))
        return cls(
            space=study.space,
            direction=Direction.parse(study.direction),
            strategy=str(study.meta.get("strategy")),
            options=dict(study.meta.get("strategy_options") or {}),
            seed=study.seed,
            # a strategy's page shows one objective's model or ranking: not the page of a search of several
            view=None if multi else getattr(type(study.strategy), "view", None),
            directions=tuple(study.directions) if multi else (),
            objectives=tuple(study.objective_names) if multi else (),
        )


def keep_indices(n: int, cap: int = CAP, must: Sequence[int] = (), recent: int = 200) -> list[int]:
    """Indices ``0..n-1`` to draw when there are more than ``cap``: ``must`` + the last ``recent`` + evenly spaced."""
    if n <= cap:
        return list(range(n))
    keep = {i for i in must if 0 <= i < n}
    keep.update(range(max(0, n - recent), n))
    room = max(1, cap - len(keep))
    step = n / room
    keep.update(int(i * step) for i in range(room))
    return sorted(keep)[: cap + len(must)]


def _complete(trials: Sequence[Trial]) -> list[Trial]:
    return [t for t in trials if t.state is TrialState.COMPLETE and t.value is not None]


def ranked(trials: Sequence[Trial], direction: str, k: int) -> list[int]:
    """Positions of the ``k`` best complete trials (to keep them when downsampling)."""
    done = [(i, float(t.value)) for i, t in enumerate(trials) if t.state is TrialState.COMPLETE and t.value is not None]
    order = Direction.parse(direction).ranked([v for _, v in done])
    return [done[j][0] for j in order[:k]]


# -- history ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class History:
    """Value against trial number (:func:`history`).

    ``x``/``y``/``numbers``: complete trials (downsampled); ``best_x``/``best_y``: a step line
    through every change of the best, compared at equal budget (:func:`jhpo.budget.best_trial`'s
    rule, so a lucky small-budget trial never leads); ``pruned_*``: pruned trials at their last
    reported value; ``failed_*``: failed and interrupted trials at the worst value seen.
    """

    x: list[int]
    y: list[float]
    numbers: list[int]
    best_x: list[float]
    best_y: list[float]
    pruned_x: list[int]
    pruned_y: list[float]
    pruned_numbers: list[int]
    failed_x: list[int]
    failed_y: list[float]
    failed_numbers: list[int]


def _best_line(done: Sequence[Trial], last: int | None, direction: Direction) -> tuple[list[float], list[float]]:
    best_x: list[float] = []
    best_y: list[float] = []
    best: float | None = None
    best_budget: float | None = None
    for t in done:  # a step line: only changes of the best matter, so the line stays short
        value = float(t.value)  # type: ignore[arg-type]
        if outranks(trial_budget(t), value, best_budget, best, direction):
            if best is not None:
                best_x.append(t.number)
                best_y.append(best)
            best, best_budget = value, trial_budget(t)
            best_x.append(t.number)
            best_y.append(best)
    if best is not None and last is not None:
        best_x.append(last)
        best_y.append(best)
    return best_x, best_y


def history(trials: Sequence[Trial], direction: str, cap: int = CAP) -> History:
    """The history of a search: each trial's value and the best so far.

    Parameters
    ----------
    trials : sequence of Trial
        Running trials are left out.
    direction : {"maximize", "minimize"} or Direction
    cap : int
        The most complete trials returned (the best 20 and the most recent are always kept).
    """
    direction = Direction.parse(direction)
    finished = [t for t in trials if t.state is not TrialState.RUNNING]
    done = _complete(finished)
    kept = [done[i] for i in keep_indices(len(done), cap, ranked(done, direction, 20))]
    values = [float(t.value) for t in done]  # type: ignore[arg-type]
    worst = max(values, key=direction.loss) if values else 0.0
    best_x, best_y = _best_line(done, max((t.number for t in finished), default=None), direction)
    pruned = [t for t in finished if t.state is TrialState.PRUNED][-cap:]
    failed = [t for t in finished if t.state in (TrialState.FAILED, TrialState.INTERRUPTED)][-cap:]

    def last_value(t: Trial) -> float:
        if t.value is not None:
            return t.value
        if t.intermediate:
            return t.intermediate[max(t.intermediate)]
        return worst

    return History(
        x=[t.number for t in kept],
        y=[float(t.value) for t in kept],  # type: ignore[arg-type]
        numbers=[t.number for t in kept],
        best_x=best_x,
        best_y=best_y,
        pruned_x=[t.number for t in pruned],
        pruned_y=[last_value(t) for t in pruned],
        pruned_numbers=[t.number for t in pruned],
        failed_x=[t.number for t in failed],
        failed_y=[worst for _ in failed],
        failed_numbers=[t.number for t in failed],
    )


# -- parallel coordinates --------------------------------------------------------------------


@dataclass(frozen=True)
class Parallel:
    """Each complete trial as a line over its parameters in unit coordinates (:func:`parallel`).

    ``rows[i]`` holds trial ``numbers[i]``'s parameters in ``names`` order, each in ``[0, 1]`` as
    the space encodes it (log parameters on a log scale, a choice at its category's centre);
    ``values[i]`` is its value.
    """

    names: list[str]
    rows: list[list[float]]
    values: list[float]
    numbers: list[int]


def parallel(trials: Sequence[Trial], space: Space, direction: str, cap: int = 300) -> Parallel:
    """Parallel coordinates of the best and the most recent ``cap`` complete trials (legible at any size)."""
    names = list(space.names)
    done = [t for t in _complete(trials) if all(n in t.params for n in names)]
    keep = set(ranked(done, direction, cap // 2)) | set(range(max(0, len(done) - cap // 2), len(done)))
    done = [done[i] for i in sorted(keep)]
    return Parallel(
        names=names,
        rows=[[float(space[n].to_unit(t.params[n])) for n in names] for t in done],
        values=[float(t.value) for t in done],  # type: ignore[arg-type]
        numbers=[t.number for t in done],
    )


# -- importance ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Importance:
    """Each parameter's share of the value's variance (fANOVA, :func:`jhpo.importance.param_importance`).

    ``shares`` is empty, and ``reason`` says why, when there are too few complete trials.
    """

    shares: dict[str, float]
    n_complete: int
    reason: str | None = None


def importance(trials: Sequence[Trial], space: Space, **options: Any) -> Importance:
    """The importance of each searched parameter; ``options`` go to :func:`~jhpo.importance.param_importance`."""
    from .importance import param_importance

    n = len(_complete(trials))
    try:
        return Importance(param_importance(trials, space, **options), n)
    except ValueError as exc:  # too few complete trials: say so rather than draw a misleading chart
        return Importance({}, n, str(exc))


# -- the bayes surrogate ---------------------------------------------------------------------


@dataclass(frozen=True)
class Surrogate:
    """The surrogate model on a 1-D or 2-D slice of the space (:func:`surrogate`).

    ``axes`` holds one list of values per name (the parameter's own units); ``mean`` and ``std``
    (objective units) and ``acquisition`` (expected improvement, standardized units) are arrays
    shaped ``(len(axes[0]),)`` or ``(len(axes[0]), len(axes[1]))``; ``observed`` holds (params,
    value) of the complete trials; ``next`` maximizes the acquisition on the slice; the other
    parameters are held at ``fixed`` (by default the best trial's). ``prior_mean`` is what the
    model expects far from the trials: ``"worst"`` (the worst value seen, bayes's default) or
    ``"mean"`` (their average).
    """

    names: list[str]
    axes: list[list[Value]]
    mean: np.ndarray
    std: np.ndarray
    acquisition: np.ndarray
    observed: list[tuple[dict[str, Value], float]]
    next: dict[str, Value]
    prior_mean: str = "mean"

    def observed_along(self, name: str) -> tuple[list[float], list[float]]:
        """The complete trials' ``name`` and value (trials where ``name`` was inactive are left out)."""
        pairs = [(p.get(name), v) for p, v in self.observed]
        kept = [(float(x), float(v)) for x, v in pairs if isinstance(x, (int, float)) and v is not None]
        return [x for x, _ in kept], [v for _, v in kept]


#: Strategies rebuilt for a refit, by setup: rebuilding one per redraw would also drop its model cache.
_REFITS: dict[str, Any] = {}


def _refit(setup: Setup) -> Any:
    """A fresh strategy built as the study built its own: refitted on whatever trials it is given."""
    from .strategies import make_strategy

    key = json.dumps(
        [setup.strategy, setup.space.to_json(), str(setup.direction), setup.seed, dict(setup.options)],
        sort_keys=True,
        default=repr,
    )
    if key not in _REFITS:
        if len(_REFITS) >= 8:
            _REFITS.pop(next(iter(_REFITS)))
        strategy = make_strategy(setup.strategy, setup.space, setup.seed, setup.direction, **dict(setup.options))
        _REFITS[key] = strategy
    return _REFITS[key]


def surrogate(
    setup: Setup | Any,
    trials: Sequence[Trial],
    names: Sequence[str] | str,
    fixed: Mapping[str, Value] | None = None,
    resolution: int = 60,
) -> Surrogate:
    """The bayes model fitted on ``trials``, on a slice along one or two parameters.

    Parameters
    ----------
    setup : Setup or Study
        What the study was built with; its strategy must be ``bayes``.
    trials : sequence of Trial
        The model is fitted on these (the first ``k`` trials of a study show the model as it was then).
    names : str or list of one or two str
        The parameters along the slice's axes.
    fixed : dict, optional
        Values of the other parameters; by default the best trial's.
    resolution : int
        Points per numeric axis.

    Raises
    ------
    ValueError
        When the study's strategy has no surrogate model, or for a name that is not searched.
    """
    setup = Setup.of(setup)
    model = _refit(setup)
    if not callable(getattr(model, "slice", None)):
        raise ValueError(f"strategy {setup.strategy!r} has no surrogate model; use --strategy bayes")
    done = [t for t in trials if t.state is not TrialState.RUNNING]
    s = model.slice(done, [names] if isinstance(names, str) else list(names), fixed, resolution)
    return Surrogate(
        names=list(s["names"]),
        axes=[list(a) for a in s["axes"]],
        mean=np.asarray(s["mean"], dtype=float),
        std=np.asarray(s["std"], dtype=float),
        acquisition=np.asarray(s["acquisition"], dtype=float),
        observed=[(dict(p), float(v)) for p, v in s["observed"]],
        next=dict(s["next"]),
        prior_mean=str(getattr(model, "prior_mean", "mean")),
    )


# -- hyperband brackets and rungs ------------------------------------------------------------


@dataclass(frozen=True)
class Brackets:
    """Bracket, rung and budget of each trial a scheduler placed (:func:`brackets`)."""

    bracket: list[int]
    rung: list[int]
    budget: list[float]
    value: list[float | None]
    state: list[str]
    numbers: list[int]


def brackets(trials: Sequence[Trial]) -> Brackets | None:
    """Where Hyperband or ASHA placed each trial, from what they recorded in ``info`` (None: nothing)."""
    rows = [t for t in trials if "bracket" in t.info or "rung" in t.info]
    if not rows:
        return None
    return Brackets(
        bracket=[int(t.info.get("bracket", 0)) for t in rows],
        rung=[int(t.info.get("rung", 0)) for t in rows],
        budget=[float(t.info.get("budget") or 0.0) for t in rows],
        value=[t.value for t in rows],
        state=[t.state.value for t in rows],
        numbers=[t.number for t in rows],
    )


@dataclass(frozen=True)
class Rung:
    """One rung of one bracket: its budget, how many configurations it holds when full, how far it got."""

    bracket: int
    rung: int
    budget: float
    planned: int | None
    started: int
    finished: int
    trials: list[int]


def rungs(setup: Setup | Any, trials: Sequence[Trial]) -> list[Rung]:
    """The bracket/rung diagram of a Hyperband or ASHA study (its plan, rebuilt from the setup)."""
    setup = Setup.of(setup)
    plan = _refit(setup)
    if not callable(getattr(plan, "schedule", None)) or setup.view != "brackets":
        raise ValueError(f"strategy {setup.strategy!r} has no brackets; use --strategy hyperband or asha")
    return [
        Rung(
            bracket=int(r["bracket"]),
            rung=int(r["rung"]),
            budget=r["budget"],  # as the resource counts it: whole epochs stay whole
            planned=r.get("planned"),
            started=int(r["started"]),
            finished=int(r["finished"]),
            trials=list(r["trials"]),
        )
        for r in plan.schedule(list(trials))
    ]


# -- genetic generations ---------------------------------------------------------------------


@dataclass(frozen=True)
class Generation:
    """One generation of a genetic search: its members and how good they were."""

    generation: int
    members: list[int]
    params: list[dict[str, Value]]
    values: list[float | None]
    best: float | None
    mean: float | None
    best_so_far: float | None
    n_complete: int


@dataclass(frozen=True)
class Generations:
    """A genetic search (:func:`generations`): a point per complete member, parent links, a summary per generation."""

    generation: list[int]
    value: list[float]
    numbers: list[int]
    links_x: list[list[float]]
    links_y: list[list[float]]
    summary: list[Generation]


def _summaries(trials: Sequence[Trial], direction: Direction) -> list[Generation]:
    gens = generation_of(trials)
    out: list[Generation] = []
    so_far: float | None = None
    for g in range(max(gens, default=-1) + 1):
        ts = [t for t, tg in zip(trials, gens) if tg == g]
        done = [float(t.value) for t in _complete(ts)]  # type: ignore[arg-type]
        best = direction.best(done)
        if best is not None and direction.better(best, so_far):
            so_far = best
        values = [t.value if t.state is TrialState.COMPLETE else None for t in ts]
        mean = float(np.mean(done)) if done else None
        out.append(
            Generation(g, [t.number for t in ts], [dict(t.params) for t in ts], values, best, mean, so_far, len(done))
        )
    return out


def generations(trials: Sequence[Trial], direction: str = "maximize", links: int = 400) -> Generations | None:
    """A genetic search's generations, from the ``generation`` and ``parents`` it recorded (None: none)."""
    rows = [t for t in trials if "generation" in t.info and t.value is not None]
    if not rows:
        return None
    by_number = {t.number: t for t in rows}
    links_x, links_y = [], []
    for t in rows:
        for p in t.info.get("parents") or []:
            parent = by_number.get(p) if isinstance(p, int) else None
            if parent is not None:
                links_x.append([float(parent.info["generation"]), float(t.info["generation"])])
                links_y.append([float(parent.value), float(t.value)])  # type: ignore[arg-type]
    return Generations(
        generation=[int(t.info["generation"]) for t in rows],
        value=[float(t.value) for t in rows],  # type: ignore[arg-type]
        numbers=[t.number for t in rows],
        links_x=links_x[-links:],
        links_y=links_y[-links:],
        summary=_summaries(trials, Direction.parse(direction)),
    )


# -- why a trial was proposed ----------------------------------------------------------------

#: What strategies record about a choice, in the order the trial details show it.
CHOICE_KEYS = (
    "baseline",
    "budget",
    "bracket",
    "rung",
    "generation",
    "operator",
    "parents",
    "member",
    "interval",
    "exploited",
)


@dataclass(frozen=True)
class Choice:
    """Why the strategy proposed a trial, as it recorded it in the trial (:func:`choice`).

    ``text`` is bayes' sentence (exploit or explore, and the model's numbers); ``facts`` the
    recorded place of the trial: a budget, bracket and rung, a generation with its operator and
    parents, a PBT member and interval and the member it copied.
    """

    text: str | None
    facts: dict[str, Any]


def choice(trial: Trial) -> Choice:
    """What the trial's strategy recorded about choosing it (what ``Strategy.explain()`` said at the time)."""
    why = trial.info.get("why")
    text = why.get("text") if isinstance(why, dict) else None
    facts = {k: v for k in CHOICE_KEYS if (v := trial.info.get(k)) is not None and v is not False and v != []}
    return Choice(str(text) if text else None, facts)
