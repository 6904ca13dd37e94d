"""Plot data computed from a study's trials: plain numbers and lists, no widgets.

Everything the panel draws is computed here first, so it can be tested without a
front end (Optuna keeps ``visualization`` data apart from rendering the same way).
Each function takes the trials (running ones included) and returns a dict of
lists that the bqplot layer assigns to marks as they are.

Large studies are downsampled (:func:`keep_indices`): a 10,000-trial study sends
at most ``cap`` points per mark, always keeping the best trials and the most
recent ones, so the front end stays responsive and a saved notebook stays small.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from .. import insights
from ..budget import trial_budget
from ..direction import Direction
from ..insights import CAP, keep_indices
from ..space import Choice, Distribution, Space
from ..strategies.base import chosen_options
from ..trial import Trial, TrialState
from .ticks import Ticks, axis_ticks, linear_ticks, range_ticks, tick_labels

__all__ = [
    "CAP",
    "Population",
    "Schedule",
    "best_so_far",
    "best_trial",
    "counts",
    "eta_seconds",
    "fmt_duration",
    "fmt_value",
    "focus_range",
    "generations",
    "history",
    "hyperband",
    "keep_indices",
    "learning_curves",
    "parallel",
    "param_points",
    "population",
    "schedule_ticks",
    "strategy_history",
    "table_rows",
    "trial_detail",
]


def fmt_value(v: Any) -> str:
    """A short, readable form of a parameter or objective value."""
    if isinstance(v, bool) or v is None:
        return repr(v)
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, str):
        return v
    return str(v)


def fmt_duration(seconds: float | None) -> str:
    """``1:02:03``, ``02:03``, ``12.3 s``, ``42 ms`` or ``< 1 ms`` (short trials stay readable), ``-`` for None."""
    if seconds is None or not math.isfinite(seconds):
        return "-"
    if seconds < 0.001:
        return "< 1 ms"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def eta_seconds(done: int, total: int | None, elapsed: float) -> float | None:
    """Remaining time estimated from the mean time per finished trial so far."""
    if not total or done <= 0 or done >= total:
        return 0.0 if total and done >= total else None
    return elapsed / done * (total - done)


def counts(trials: Sequence[Trial]) -> dict[str, int]:
    """How many trials are in each state (every state present, zero included)."""
    out = {s.value: 0 for s in TrialState}
    for t in trials:
        out[t.state.value] += 1
    return out


def best_trial(trials: Sequence[Trial], direction: str) -> Trial | None:
    """The best complete trial, ties to the earliest: the same rule as :attr:`jhpo.Study.best_trial`."""
    done = [t for t in trials if t.state is TrialState.COMPLETE and t.value is not None]
    if not done:
        return None
    sign = Direction.parse(direction).sign
    return max(done, key=lambda t: (sign * t.value, -t.number))  # type: ignore[operator]


def best_so_far(values: Sequence[float | None], direction: str) -> list[float | None]:
    """The running best (None until the first value)."""
    better = Direction.parse(direction).better
    best: float | None = None
    out: list[float | None] = []
    for v in values:
        if v is not None and better(v, best):
            best = v
        out.append(best)
    return out


def _finished_values(trials: Sequence[Trial]) -> list[float]:
    return [t.value for t in trials if t.value is not None and t.state is TrialState.COMPLETE]


def history(trials: Sequence[Trial], direction: str, cap: int = CAP) -> dict[str, Any]:
    """:func:`jhpo.insights.history` as a dict of lists (``x``/``y``/``numbers``, ``best_x``/``best_y``, ...)."""
    return asdict(insights.history(trials, direction, cap))


def focus_range(
    trials: Sequence[Trial], direction: str, quantile: float = 0.25, least: int = 4
) -> tuple[float, float] | None:
    """The value range of the best ``quantile`` of the complete trials, padded by a tenth (None: too few)."""
    values = sorted(_finished_values(trials), reverse=Direction.parse(direction) is Direction.MAXIMIZE)
    if len(values) < least:
        return None
    top = values[: max(2, math.ceil(len(values) * quantile))]
    lo, hi = min(top), max(top)
    pad = (hi - lo) * 0.1 or abs(hi) * 0.01 or 0.01
    return lo - pad, hi + pad


def _label(v: Any) -> str:
    return v if isinstance(v, str) else repr(v)


def param_points(trials: Sequence[Trial], space: Space, name: str, direction: str, cap: int = CAP) -> dict[str, Any]:
    """Value against one parameter, for complete trials.

    ``kind`` is ``"log"``, ``"linear"`` or ``"choice"``; for choices ``x`` holds the
    labels (strings) and ``domain`` their order, so an ordinal axis can show them.
    """
    dist: Distribution = space[name]
    done = [t for t in trials if t.state is TrialState.COMPLETE and t.value is not None and name in t.params]
    keep = keep_indices(len(done), cap, insights.ranked(done, direction, 20))
    done = [done[i] for i in keep]
    if isinstance(dist, Choice):
        kind, domain = "choice", [_label(c) for c in dist.choices]
        xs: list[Any] = [_label(t.params[name]) for t in done]
    else:
        kind, domain = ("log" if getattr(dist, "log", False) else "linear"), [dist.low, dist.high]  # type: ignore[attr-defined]
        xs = [float(t.params[name]) for t in done]  # type: ignore[arg-type]
    return {
        "name": name,
        "kind": kind,
        "domain": domain,
        "x": xs,
        "y": [t.value for t in done],
        "numbers": [t.number for t in done],
    }


def parallel(
    trials: Sequence[Trial], space: Space, direction: str, cap: int = 300, value_name: str = "value"
) -> dict[str, Any]:
    """Parallel coordinates (:func:`jhpo.insights.parallel`) with the objective as one more axis.

    The objective's axis (``value_name``) is scaled to the values seen, best at the top in
    either direction; lines are also coloured by value. ``ticks`` gives each axis its
    (unit position, label) pairs.
    """
    d = insights.parallel(trials, space, direction, cap)
    lo, hi = (min(d.values), max(d.values)) if d.values else (0.0, 1.0)
    span = (hi - lo) or 1.0

    maximize = Direction.parse(direction) is Direction.MAXIMIZE

    def up(v: float) -> float:  # the best value at the top of its axis, in either direction
        u = (v - lo) / span
        return u if maximize else 1.0 - u

    vticks = linear_ticks(lo, hi) if hi > lo else [lo]
    ticks = {n: _ticks(space[n]) for n in d.names}
    ticks[value_name] = [(up(v), lab) for v, lab in zip(vticks, tick_labels(vticks, "linear", False))]
    return {
        "names": [*d.names, value_name],
        "y": [[*row, up(v)] for row, v in zip(d.rows, d.values)],
        "color": d.values,
        "numbers": d.numbers,
        "ticks": ticks,
    }


def _ticks(dist: Distribution) -> list[tuple[float, str]]:
    """(unit position, label) pairs for a parameter's axis of the parallel plot."""
    t = axis_ticks(dist)
    if t["scale"] == "ordinal":
        return [(float(dist.to_unit(c)), lab) for c, lab in zip(dist.choices, t["labels"])]  # type: ignore[attr-defined]
    return [(float(dist.to_unit(v)), lab) for v, lab in zip(t["values"], t["labels"])]


def learning_curves(trials: Sequence[Trial], cap: int = 200) -> dict[str, Any]:
    """Intermediate values per trial (running ones included), the most recent ``cap`` trials.

    ``x``/``y`` are ragged lists (one list per curve), ``state`` tells how the trial
    ended, and ``reason`` the pruning reason (the trial's error text) for pruned ones.
    """
    with_steps = [t for t in trials if t.intermediate][-cap:]
    xs, ys, states, reasons = [], [], [], []
    for t in with_steps:
        steps = sorted(t.intermediate)
        xs.append([float(s) for s in steps])
        ys.append([t.intermediate[s] for s in steps])
        states.append(t.state.value)
        reasons.append((t.error or "pruned") if t.state is TrialState.PRUNED else "")
    return {"x": xs, "y": ys, "state": states, "reason": reasons, "numbers": [t.number for t in with_steps]}


def hyperband(trials: Sequence[Trial]) -> dict[str, Any] | None:
    """:func:`jhpo.insights.brackets` as a dict of lists (None without bracket or rung info)."""
    d = insights.brackets(trials)
    return None if d is None else asdict(d)


def generations(trials: Sequence[Trial], direction: str = "maximize") -> dict[str, Any] | None:
    """:func:`jhpo.insights.generations` as a dict of lists (None without generation info)."""
    d = insights.generations(trials, direction)
    return None if d is None else asdict(d)


@dataclass(frozen=True)
class Schedule:
    """One hyperparameter's values per member over the PBT intervals (one line per member).

    ``x[i]``/``y[i]``/``numbers[i]`` are member ``members[i]``'s budgets, values and
    trial numbers, one per interval it finished, oldest first; a choice's value is
    its category's index, and ``ticks`` names the categories.
    """

    name: str
    kind: str  # "log", "linear" or "choice"
    ticks: Ticks
    x: list[list[float]]
    y: list[list[float]]
    numbers: list[list[int]]


@dataclass(frozen=True)
class Population:
    """What the PBT view draws: each member's schedules, and who copied whom (:func:`population`).

    ``members`` are the members with a finished trial, each followed back from its
    latest one through ``info["parent"]`` (so after an exploit a line carries the
    donor's earlier values). The lineage has one point per PBT trial at
    (``interval``, ``member``) and one link per trial from its parent's point;
    ``link_exploit`` tells a copy from another member from a member going on.
    """

    members: list[int]
    budgets: list[float]
    budget_ticks: Ticks
    schedules: list[Schedule]
    interval: list[int] = field(default_factory=list)
    member: list[int] = field(default_factory=list)
    value: list[float | None] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)
    links_x: list[list[float]] = field(default_factory=list)
    links_y: list[list[float]] = field(default_factory=list)
    link_exploit: list[bool] = field(default_factory=list)


def _chain(t: Trial, by_number: dict[int, Trial]) -> list[Trial]:
    """``t`` and its ancestors through ``info["parent"]``, oldest first (a cycle cannot occur, but is cut)."""
    out: list[Trial] = []
    cur: Trial | None = t
    while cur is not None and cur not in out:
        out.append(cur)
        parent = cur.info.get("parent")
        cur = by_number.get(parent) if isinstance(parent, int) else None
    return out[::-1]


def schedule_ticks(dist: Distribution) -> Ticks:
    """A schedule's value axis: the parameter's own ticks; a choice's categories at their indices 0, 1, ..."""
    if not isinstance(dist, Choice):
        return axis_ticks(dist)
    names = [_label(c) for c in dist.choices]
    return {"scale": "linear", "domain": [-0.5, len(names) - 0.5], "values": list(range(len(names))), "labels": names}


def _schedule(name: str, dist: Distribution, chains: list[list[Trial]]) -> Schedule:
    ticks = schedule_ticks(dist)
    choice = isinstance(dist, Choice)

    def y(v: Any) -> float:
        return float(dist.index(v)) if choice else float(v)  # type: ignore[attr-defined]

    rows = [[t for t in chain if t.params.get(name) is not None] for chain in chains]
    return Schedule(
        name=name,
        kind="choice" if choice else ticks["scale"],
        ticks=ticks,
        x=[[trial_budget(t) for t in r] for r in rows],
        y=[[y(t.params[name]) for t in r] for r in rows],
        numbers=[[t.number for t in r] for r in rows],
    )


def population(trials: Sequence[Trial], space: Space) -> Population | None:
    """The population-based training view's data, from the trials' ``info`` (None without PBT trials).

    Reads only what :mod:`jhpo.strategies.pbt` records in each trial (``member``,
    ``interval``, ``budget``, ``parent``, ``exploited``), so it works on a stored
    or resumed study as on a live one; at the end of a search the schedules are
    :func:`jhpo.strategies.pbt.schedule`'s.
    """
    rows = [t for t in trials if "member" in t.info and "interval" in t.info]
    if not rows:
        return None
    by_number = {t.number: t for t in rows}
    latest: dict[int, Trial] = {}
    for t in rows:
        m = int(t.info["member"])
        if t.state is TrialState.COMPLETE and (m not in latest or t.info["interval"] > latest[m].info["interval"]):
            latest[m] = t
    members = sorted(latest)
    chains = [_chain(latest[m], by_number) for m in members]
    budgets = sorted({trial_budget(t) for t in rows})
    integer = all(b.is_integer() for b in budgets)
    links_x, links_y, exploit = [], [], []
    for t in rows:
        parent = by_number.get(t.info.get("parent"))  # type: ignore[arg-type]
        if parent is not None:
            links_x.append([float(parent.info["interval"]), float(t.info["interval"])])
            links_y.append([float(parent.info["member"]), float(t.info["member"])])
            exploit.append(t.info.get("exploited") is not None)
    return Population(
        members=members,
        budgets=budgets,
        budget_ticks=range_ticks(0.0, max(budgets), log=False, integer=integer),  # training time from 0
        schedules=[_schedule(n, d, chains) for n, d in space.searched.items()],
        interval=[int(t.info["interval"]) for t in rows],
        member=[int(t.info["member"]) for t in rows],
        value=[t.value for t in rows],
        numbers=[t.number for t in rows],
        links_x=links_x,
        links_y=links_y,
        link_exploit=exploit,
    )


def table_rows(
    trials: Sequence[Trial],
    names: Sequence[str],
    sort: str = "number",
    descending: bool = False,
    state: str | None = None,
    cap: int = 500,
    objectives: Sequence[str] = (),
) -> dict[str, Any]:
    """The trials table: a header and one fixed-width text row per trial, sorted and filtered.

    ``sort`` is ``"number"``, ``"value"``, ``"duration"``, ``"state"``, a parameter, an
    objective or a metric name; trials without that column sort last either way. ``state``
    keeps one state only. At most ``cap`` rows are returned. Several ``objectives`` get a
    column each instead of ``value``; user metrics (``trial.metrics``) follow the parameters.
    """
    rows = [t for t in trials if state in (None, "all") or t.state.value == state]
    metrics = metric_names(trials)

    def cell(t: Trial, column: str) -> Any:
        if column in objectives:
            return t.values[list(objectives).index(column)] if t.values else None
        if column in metrics and column not in t.params:
            return t.metrics.get(column)
        return {"number": t.number, "value": t.value, "duration": t.duration}.get(column, t.params.get(column))

    def key(t: Trial) -> Any:
        if sort == "state":
            return t.state.value
        v = cell(t, sort)
        return v if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v) if v is not None else None

    ordered = _sorted(rows, key, descending)[:cap]
    scored = list(objectives) or ["value"]
    columns = ["#", "state", *scored, *names, *metrics, "duration"]
    cells = [
        [
            str(t.number),
            t.state.value,
            *(fmt_value(cell(t, c)) if cell(t, c) is not None else "-" for c in scored),
            *(fmt_value(t.params[n]) if n in t.params else "" for n in names),
            *(fmt_value(t.metrics[m]) if m in t.metrics else "" for m in metrics),
            fmt_duration(t.duration),
        ]
        for t in ordered
    ]
    widths = [max(len(c[i]) for c in [columns, *cells]) for i in range(len(columns))]

    def line(cs: list[str]) -> str:
        return "  ".join(c.rjust(w) if i != 1 else c.ljust(w) for i, (c, w) in enumerate(zip(cs, widths)))

    return {
        "header": line(columns),
        "rows": [line(c) for c in cells],
        "numbers": [t.number for t in ordered],
        "shown": len(ordered),
        "matching": len(rows),
    }


def _sorted(rows: list[Trial], key: Callable[[Trial], Any], descending: bool) -> list[Trial]:
    """``rows`` by ``key``, those without a key last either way (mixed numbers and labels: as text)."""
    present = [t for t in rows if key(t) is not None]
    absent = [t for t in rows if key(t) is None]
    try:
        present.sort(key=key, reverse=descending)
    except TypeError:
        present.sort(key=lambda t: str(key(t)), reverse=descending)
    return present + absent


def metric_names(trials: Sequence[Trial]) -> list[str]:
    """The user metrics (``jhpo.log``, ``--metrics``) the trials carry, in the order first seen."""
    return list(dict.fromkeys(m for t in trials for m in t.metrics))


def trial_detail(trial: Trial, limit: int = 4000) -> dict[str, Any]:
    """What the detail view shows for one trial (long outputs keep their tail)."""

    def tail(s: str | None) -> str:
        s = s or ""
        return s if len(s) <= limit else "...\n" + s[-limit:]

    return {
        "number": trial.number,
        "state": trial.state.value,
        "value": trial.value,
        "params": {k: fmt_value(v) for k, v in trial.params.items()},
        "values": [fmt_value(v) for v in trial.values or []],
        "metrics": {k: fmt_value(v) for k, v in trial.metrics.items()},
        "duration": fmt_duration(trial.duration) if trial.duration is not None else "-",
        "seconds": trial.duration,
        "stdout": tail(trial.stdout),
        "stderr": tail(trial.stderr),
        "error": tail(trial.error),
        "info": {k: v for k, v in trial.info.items() if k != "why"},
        "why": (trial.info.get("why") or {}).get("text") if isinstance(trial.info.get("why"), dict) else None,
        "intermediate": len(trial.intermediate),
    }


def strategy_history(meta: dict[str, Any], _: Callable[[str], str] = str) -> tuple[str, str]:
    """The strategy that chooses the trials now and, for a study resumed under other strategies
    (``meta["earlier_strategies"]``), which ones chose the earlier trials: ``("bayes", "random:
    trials 0-2")``; the second is empty when one strategy chose them all. An earlier run that
    differed only in its seed or pruner joins the span of the strategy that followed it. Plain
    text (escape it)."""
    earlier = list(meta.get("earlier_strategies") or [])

    def choice(run: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        return run.get("strategy"), chosen_options(run.get("strategy_options"))

    spans, first = [], 0
    for run, after in zip(earlier, [*earlier, meta][1:], strict=True):  # meta: the run of now
        until = int(run.get("until_trial", 0))
        if choice(run) == choice(after):
            continue  # only the seed or the pruner changed: the next span starts where this one did
        if until > first:
            spans.append(f"{run.get('strategy')}: {_('trials')} {first}–{until - 1}")
        first = max(first, until)
    return str(meta.get("strategy")), "; ".join(spans)
