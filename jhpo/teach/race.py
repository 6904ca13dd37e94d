"""Race several strategies on one objective: same budget, same seeds, interleaved trials.

Pure core code (no IPython, ipywidgets or bqplot): :class:`Race` runs one
:class:`~jhpo.study.Study` per (strategy, seed), one trial of each in turn, so
stopping the race at any moment leaves every strategy with the same number of
trials (a fair comparison whenever it ends). :class:`RaceResult` turns the
studies into best-so-far curves, their mean and spread over seeds, and a
ranking table.

Examples
--------
>>> import jhpo
>>> from jhpo.teach.race import Race
>>> space = {"x": jhpo.uniform(-2, 2), "y": jhpo.uniform(-2, 2)}
>>> race = Race(space, lambda t: -t.params["x"] ** 2, ["random", "grid"], n_trials=6, seeds=[0, 1],
...             storage=":memory:", name="demo")
>>> result = race.run()
>>> sorted(result.curves)
['grid', 'random']
>>> result.curves["random"].shape
(2, 6)
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from ..direction import Direction
from ..errors import SearchExhausted, UsageProblem
from ..execution import Limits, run_trial
from ..space import Space, Value
from ..storage import Storage, open_storage
from ..strategies import _STRATEGIES, make_strategy, racer_options
from ..study import Study
from ..trial import Trial, TrialState

__all__ = [
    "Race",
    "RaceObserver",
    "RaceResult",
    "best_so_far",
    "check_strategies",
    "load_race",
    "race_cell",
    "study_name",
]

#: The fraction of the way from the worst to the best value a strategy must reach for "trials to 95%".
REACH = 0.95


def study_name(race: str, strategy: str, seed: int) -> str:
    """The stored name of one racer's study: ``<race>-<strategy>-s<seed>``."""
    return f"{race}-{strategy}-s{seed}"


def check_strategies(
    names: Sequence[str], space: Space, direction: str = "maximize", **options: Any
) -> tuple[list[str], dict[str, str]]:
    """Split ``names`` into the strategies that can run here and those that cannot (with why).

    Raises
    ------
    ValueError
        For a name that is no strategy at all (a typo), or an empty or repeated list.
    """
    names = [n.strip() for n in names if n.strip()]
    if not names:
        raise UsageProblem("--race needs a comma-separated list of strategies, e.g. --race random,sobol,grid,bayes")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise UsageProblem(f"--race lists {', '.join(twice)} twice; name each strategy once")
    unknown = [n for n in names if n not in _STRATEGIES]
    if unknown:
        raise UsageProblem(f"unknown strategy {unknown[0]!r} in --race; choose from: {', '.join(_STRATEGIES)}")
    ok, missing = [], {}
    for n in names:
        try:
            make_strategy(n, space, seed=0, direction=direction, **racer_options(n, options, names))
        except (ValueError, ImportError) as exc:  # e.g. bayes without scipy: race the others
            missing[n] = str(exc)
            continue
        ok.append(n)
    return ok, missing


def best_so_far(trials: Sequence[Trial], direction: str, n: int | None = None) -> np.ndarray:
    """The best value after each trial (NaN until the first complete one), padded to ``n``.

    A strategy that ran out of configurations (a finished grid) keeps its last best.
    """
    way = Direction.parse(direction)
    out, best = [], math.nan
    for t in trials:
        if t.state is TrialState.INTERRUPTED:
            continue  # it does not count against the budget, so it takes no step on the x axis
        if t.state is TrialState.COMPLETE and t.value is not None and math.isfinite(t.value):
            if way.better(t.value, best):
                best = t.value
        out.append(best)
    n = len(out) if n is None else n
    out = out[:n] + [out[-1] if out else math.nan] * max(0, n - len(out))
    return np.asarray(out, dtype=float)


class RaceObserver(Protocol):
    """Hooks a race view implements (subclass for no-op defaults; a view need not, so it
    imports nothing of this module at run time)."""

    def on_race_start(self, race: Race) -> None:
        pass

    def on_race_step(self, race: Race, strategy: str, seed: int, trial: Trial | None) -> None:
        """After each racer's trial (``trial`` is None when that racer has nothing left to try)."""

    def on_race_end(self, race: Race, result: RaceResult) -> None:
        pass


@dataclass
class _Racer:
    strategy: str
    seed: int
    study: Study
    elapsed: list[float] = field(default_factory=list)  # cumulative seconds after each of this run's trials
    spent: float = 0.0
    done: bool = False


class Race:
    """Several strategies, each in its own study, on the same objective and budget.

    Parameters
    ----------
    space : Space or mapping
    fn : callable
        ``fn(trial) -> value``, shared by every racer (a :class:`~jhpo.runner.CellRunner` for a cell).
    strategies : list of str
        Strategy names; the ones not installed are left out and listed in ``missing``.
    n_trials : int
        The budget of each racer (its baseline, when given, included).
    seeds : list of int
        One study per strategy and seed; ``--repeat K`` gives K seeds.
    direction : {"maximize", "minimize"}
    storage : str or Storage
    name : str
        The race's name; each study is ``<name>-<strategy>-s<seed>``.
    baseline : dict, optional
        Parameters every racer runs first (the cell's defaults), so all start from the same point.
    study_factory : callable, optional
        ``study_factory(strategy, seed, name) -> Study`` to open the studies (the magic uses the
        cell's options); by default a plain :class:`Study`.
    strategy_options : dict, optional
    timeout : float, optional
        Start no new round after this many seconds (the race then ends as after Stop).
    """

    def __init__(
        self,
        space: Space | Mapping[str, Any],
        fn: Callable[[Trial], Any],
        strategies: Sequence[str],
        n_trials: int,
        seeds: Sequence[int] = (0,),
        direction: str = "maximize",
        storage: str | Storage | None = None,
        name: str = "race",
        baseline: Mapping[str, Value] | None = None,
        study_factory: Callable[[str, int, str], Study] | None = None,
        strategy_options: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> None:
        if n_trials < 1:
            raise UsageProblem(f"a race needs --trials of at least 1, but got {n_trials}")
        if not seeds:
            raise UsageProblem("a race needs at least one seed (--repeat must be at least 1)")
        self.space = space if isinstance(space, Space) else Space(space)
        self.fn = fn
        self.n_trials = int(n_trials)
        self.seeds = [int(s) for s in seeds]
        self.direction = direction
        self.name = name
        self.timeout = timeout
        self.strategy_options = dict(strategy_options or {})
        self.strategies, self.missing = check_strategies(strategies, self.space, direction, **self.strategy_options)
        if not self.strategies:
            raise UsageProblem(
                "none of the strategies in --race can run here:\n  "
                + "\n  ".join(f"{k}: {v}" for k, v in self.missing.items())
            )
        self.storage = open_storage(storage) if study_factory is None else None
        self.observers: list[RaceObserver] = []
        self.stop_reason: str | None = None
        self._stop = threading.Event()
        factory = study_factory or self._default_study
        self.racers: list[_Racer] = []
        for seed in self.seeds:
            for strategy in self.strategies:
                study = factory(strategy, seed, study_name(name, strategy, seed))
                if baseline is not None and not any(t.info.get("baseline") for t in study.trials):
                    study.enqueue(dict(baseline), {"baseline": True})
                self.racers.append(_Racer(strategy, seed, study))
        self.started: float | None = None
        self.rounds = 0  # complete rounds (one trial of every racer) so far

    def _default_study(self, strategy: str, seed: int, name: str) -> Study:
        return Study(
            self.space,
            strategy=strategy,
            direction=self.direction,
            seed=seed,
            storage=self.storage,
            name=name,
            strategy_options=racer_options(strategy, self.strategy_options, self.strategies),
            meta={"race": self.name, "race_strategies": self.strategies, "race_seeds": self.seeds},
        )

    # -- running ---------------------------------------------------------------------------

    def stop(self) -> None:
        """End the race after the trial in flight (every racer keeps what it has)."""
        self._stop.set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def _step(self, racer: _Racer) -> Trial | None:
        """One trial of one racer; None when it has nothing left (grid done) or its budget is spent."""
        if racer.done or racer.study.n_counted() >= self.n_trials:
            racer.done = True
            return None
        t0 = time.perf_counter()
        try:
            trial = racer.study.ask()
        except SearchExhausted:
            racer.done = True
            return None
        trial = run_trial(racer.study, self.fn, trial)  # KeyboardInterrupt: marked interrupted, re-raised
        racer.spent += time.perf_counter() - t0  # asking counts too: a slow model is a real cost
        racer.elapsed.append(racer.spent)
        return trial

    def run(self) -> RaceResult:
        """Run the race to its end (or to :meth:`stop` / Ctrl-C) and return the result.

        The stop and time rules are the search loop's (:class:`jhpo.execution.Limits`), applied
        between rounds, and each trial runs as in :meth:`Study.optimize <jhpo.study.Study.optimize>`
        (:func:`jhpo.execution.run_trial`); what is the race's own is the round.
        """
        self._stop.clear()
        limits = Limits(self.timeout)
        self.started = limits.started
        for obs in self.observers:
            obs.on_race_start(self)
        reason = "done"
        self.rounds = 0
        try:
            while not all(r.done for r in self.racers):
                # only between rounds: every racer has had the same number of turns
                reason = limits.reason(self._stop.is_set()) or "done"
                if reason != "done":
                    break
                self._round()
        except KeyboardInterrupt:
            reason = "interrupted"
        self.stop_reason = reason
        # Interrupted in the middle of a round: rank on the rounds every racer finished.
        result = self.result(rounds=self.rounds if reason == "interrupted" else None)
        for obs in self.observers:
            obs.on_race_end(self, result)
        return result

    def _round(self) -> None:
        for racer in self.racers:  # one trial of each in turn: fair whenever it stops
            trial = self._step(racer)
            for obs in self.observers:
                obs.on_race_step(self, racer.strategy, racer.seed, trial)
        self.rounds += 1

    def result(self, rounds: int | None = None) -> RaceResult:
        """The race as it stands (during the race too: a view draws from this).

        ``rounds`` cuts every racer's curve to that many trials.
        """
        return RaceResult(
            name=self.name,
            strategies=list(self.strategies),
            seeds=list(self.seeds),
            direction=self.direction,
            n_trials=self.n_trials,
            studies={(r.strategy, r.seed): r.study for r in self.racers},
            elapsed={(r.strategy, r.seed): list(r.elapsed) for r in self.racers},
            missing=dict(self.missing),
            stop_reason=self.stop_reason,
            rounds=rounds,
        )


@dataclass
class RaceResult:
    """What a race returns: the studies, best-so-far curves, and a ranking.

    Attributes
    ----------
    curves : dict of str to ndarray
        ``curves[strategy][k, i]``: the best value of seed ``seeds[k]`` after ``i + 1`` trials
        (NaN before the first complete trial; a racer that ran out keeps its last best).
    times : dict of str to ndarray
        The same shape: that racer's own cumulative seconds (asking plus running) after each trial.
    ranking : pandas.DataFrame
        One row per strategy, best first (see :meth:`ranking`).
    studies : dict of (strategy, seed) to Study
    missing : dict of str to str
        Strategies that could not run here, and why.
    """

    name: str
    strategies: list[str]
    seeds: list[int]
    direction: str
    n_trials: int
    studies: dict[tuple[str, int], Study]
    elapsed: dict[tuple[str, int], list[float]] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    stop_reason: str | None = None
    rounds: int | None = None

    # -- curves ----------------------------------------------------------------------------

    @property
    def length(self) -> int:
        """Trials the longest racer has run (the x range of the curves), or ``rounds`` when set."""
        if self.rounds is not None:
            return self.rounds
        return max(
            (sum(t.state is not TrialState.INTERRUPTED for t in s.trials) for s in self.studies.values()), default=0
        )

    @property
    def curves(self) -> dict[str, np.ndarray]:
        n = self.length
        return {
            s: np.vstack([best_so_far(self.studies[(s, k)].trials, self.direction, n) for k in self.seeds])
            for s in self.strategies
        }

    @property
    def times(self) -> dict[str, np.ndarray]:
        n = self.length
        out = {}
        for s in self.strategies:
            rows = []
            for k in self.seeds:
                el = self.elapsed.get((s, k)) or _durations(self.studies[(s, k)].trials)
                el = list(el)[:n]
                rows.append(el + [el[-1] if el else math.nan] * (n - len(el)))
            out[s] = np.asarray(rows, dtype=float).reshape(len(self.seeds), n)
        return out

    def curve_stats(self, x: str = "trial", band: str = "minmax", points: int = 120) -> dict[str, dict[str, Any]]:
        """Mean best-so-far and its spread over seeds, per strategy, for plotting.

        Parameters
        ----------
        x : {"trial", "time"}
            Against trial number (1, 2, ...) or against each racer's own elapsed seconds
            (seeds are then resampled on a common time grid of ``points`` steps).
        band : {"minmax", "std"}
            The spread: min to max over seeds, or mean ± one standard deviation.

        Returns
        -------
        dict
            ``{strategy: {"x", "mean", "lo", "hi"}}`` as plain lists (NaN where no seed has a value yet).
        """
        curves, out = self.curves, {}
        if x == "time":
            times = self.times
            end = max((float(np.nanmax(t)) for t in times.values() if t.size and np.isfinite(t).any()), default=1.0)
            grid = np.linspace(0.0, end, points)
        for s in self.strategies:
            c = curves[s]
            if x == "time":
                c = (
                    np.vstack([_at_times(times[s][k], c[k], grid) for k in range(len(self.seeds))])
                    if c.size
                    else np.zeros((len(self.seeds), points)) * math.nan
                )
                xs = grid
            else:
                xs = np.arange(1, c.shape[1] + 1, dtype=float)
            out[s] = {"x": xs.tolist(), **_spread(c, band)}
        return out

    # -- ranking ---------------------------------------------------------------------------

    @property
    def ranking(self) -> Any:
        """The ranking table (a pandas DataFrame), best strategy first.

        Columns: ``strategy``; ``mean_best`` and ``std_best`` (the final best over seeds);
        ``mean_rank`` (1 = best; each seed ranks the strategies by their final best, ties
        share a rank); ``trials_to_95`` (mean over seeds of the trials needed to get 95% of
        the way from the worst value any racer of that seed saw to the best one, counting
        only seeds where it got there) and ``reached_95`` (in how many seeds it did);
        ``trials`` (mean trials run).
        """
        import pandas as pd

        return pd.DataFrame(self.ranking_rows()).sort_values(
            ["mean_rank", "mean_best"],
            ascending=[True, Direction.parse(self.direction) is Direction.MINIMIZE],
            ignore_index=True,
        )

    def ranking_rows(self) -> list[dict[str, Any]]:
        """The ranking as plain rows (unsorted), for views that do not use pandas."""
        curves = self.curves
        sign = Direction.parse(self.direction).sign
        n_strat, n_seed = len(self.strategies), len(self.seeds)
        final = np.full((n_strat, n_seed), np.nan)
        reach = np.full((n_strat, n_seed), np.nan)
        n = self.length

        def counted(s: str, seed: int) -> list[Trial]:
            return [t for t in self.studies[(s, seed)].trials if t.state is not TrialState.INTERRUPTED][:n]

        for k, seed in enumerate(self.seeds):
            values = [
                t.value
                for s in self.strategies
                for t in counted(s, seed)
                if t.state is TrialState.COMPLETE and t.value is not None and math.isfinite(t.value)
            ]
            target = math.nan
            if values:
                lo, hi = (min(values), max(values)) if sign > 0 else (max(values), min(values))
                target = lo + REACH * (hi - lo)
            for i, s in enumerate(self.strategies):
                c = curves[s][k] if curves[s].size else np.zeros(0)
                final[i, k] = c[-1] if c.size else np.nan
                hit = np.nonzero(sign * np.nan_to_num(c, nan=-sign * np.inf) >= sign * target - 1e-12)[0]
                reach[i, k] = hit[0] + 1 if hit.size else np.nan
        ranks = np.vstack([_rank(-sign * final[:, k]) for k in range(n_seed)]).T if n_seed else final
        rows = []
        for i, s in enumerate(self.strategies):
            got = reach[i][np.isfinite(reach[i])]
            ran = [len(counted(s, k)) for k in self.seeds]
            rows.append(
                {
                    "strategy": s,
                    "mean_best": _nanmean(final[i]),
                    "std_best": float(np.nanstd(final[i])) if np.isfinite(final[i]).any() else math.nan,
                    "mean_rank": _nanmean(ranks[i]),
                    "trials_to_95": float(got.mean()) if got.size else math.nan,
                    "reached_95": int(got.size),
                    "trials": float(np.mean(ran)),
                }
            )
        return rows

    def summary(self) -> str:
        """The ranking as text (what a terminal shows)."""
        rows = sorted(
            self.ranking_rows(),
            key=lambda r: (r["mean_rank"], Direction.parse(self.direction).loss(r["mean_best"])),
        )
        k = len(self.seeds)
        head = (
            f"Race {self.name!r}: {', '.join(self.strategies)}; {self.length} trials each"
            f"{f', {k} seeds' if k > 1 else ''} ({self.direction})"
        )
        lines = [head, f"  {'':2}{'strategy':<10}{'mean best':>12}{'mean rank':>11}{'trials to 95%':>15}"]
        for i, r in enumerate(rows, 1):
            t95 = "-" if math.isnan(r["trials_to_95"]) else f"{r['trials_to_95']:.1f} ({r['reached_95']}/{k})"
            lines.append(f"  {i:<2}{r['strategy']:<10}{r['mean_best']:>12.5g}{r['mean_rank']:>11.2f}{t95:>15}")
        for name, why in self.missing.items():
            lines.append(f"  not raced: {name} ({why})")
        if self.stop_reason and self.stop_reason != "done":
            lines.append(f"  the race ended early ({self.stop_reason}); every strategy had the same number of trials")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()

    def _ipython_display_(self) -> None:
        # The plot and ranking in a notebook (unless the live view above already is it), text elsewhere.
        from .race_view import show_race_result

        show_race_result(self)


def _durations(trials: Sequence[Trial]) -> list[float]:
    """Cumulative trial durations: the elapsed-time axis of a race read back from storage."""
    out, total = [], 0.0
    for t in trials:
        if t.state is TrialState.INTERRUPTED:
            continue
        total += t.duration or 0.0
        out.append(total)
    return out


def _at_times(times: np.ndarray, values: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """A step function (value after each trial, known from its end time) sampled at ``grid``."""
    ok = np.isfinite(times)
    times, values = times[ok], values[ok]
    idx = np.searchsorted(times, grid, side="right") - 1
    out = np.where(idx >= 0, values[np.clip(idx, 0, max(len(values) - 1, 0))] if len(values) else np.nan, np.nan)
    return np.asarray(out, dtype=float)


def _spread(c: np.ndarray, band: str) -> dict[str, list[float]]:
    if c.size == 0:
        return {"mean": [], "lo": [], "hi": []}
    seen = np.isfinite(c).any(axis=0)
    safe = np.where(seen, 0.0, np.nan)  # columns with no value at all stay NaN without warnings
    filled = np.where(np.isfinite(c), c, np.nan)
    with np.errstate(all="ignore"):
        mean = np.array([np.nanmean(filled[:, j]) if seen[j] else np.nan for j in range(c.shape[1])])
        if band == "std":
            sd = np.array([np.nanstd(filled[:, j]) if seen[j] else np.nan for j in range(c.shape[1])])
            lo, hi = mean - sd, mean + sd
        else:
            lo = np.array([np.nanmin(filled[:, j]) if seen[j] else np.nan for j in range(c.shape[1])])
            hi = np.array([np.nanmax(filled[:, j]) if seen[j] else np.nan for j in range(c.shape[1])])
    return {"mean": (mean + safe).tolist(), "lo": (lo + safe).tolist(), "hi": (hi + safe).tolist()}


def _rank(x: np.ndarray) -> np.ndarray:
    """Ranks from 1 (smallest), ties sharing their mean rank, NaN last."""
    x = np.where(np.isfinite(x), x, np.inf)
    order = np.argsort(x, kind="stable")
    ranks = np.empty(len(x))
    ranks[order] = np.arange(1, len(x) + 1)
    for v in np.unique(x):
        same = x == v
        ranks[same] = ranks[same].mean()
    return ranks


def _nanmean(x: np.ndarray) -> float:
    return float(np.nanmean(x)) if np.isfinite(x).any() else math.nan


def default_race_name() -> str:
    """A fresh race name: ``race-YYYYmmdd-HHMMSS-xxxx`` (the suffix keeps quick reruns apart)."""
    import uuid

    return f"race-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:4]}"


def race_cell(
    source: str,
    namespace: dict[str, Any],
    opts: Any,
    strategies: Sequence[str],
    repeat: int = 1,
    line_offset: int = 0,
    observers: Sequence[RaceObserver] = (),
) -> RaceResult:
    """What ``%%tune --race a,b,c [--repeat K]`` does, without IPython.

    Every strategy runs the cell ``opts.trials`` times (20 by default) for each of
    ``repeat`` seeds (``opts.seed``, ``opts.seed + 1``, ...; 0 when no seed is given),
    each in its own study ``<race>-<strategy>-s<seed>`` in ``opts.storage``, all
    starting from the cell's defaults unless ``opts.baseline`` is False. Afterwards
    the notebook holds what the race's overall best trial made (unless ``opts.apply``
    is False).

    Parameters
    ----------
    source : str
    namespace : dict
    opts : TuneOptions
        ``opts.study`` names the race (a fresh name by default).
    strategies : list of str
    repeat : int
    line_offset : int
    observers : list of RaceObserver

    Returns
    -------
    RaceResult
    """
    from ..cell import parse_tunable
    from ..runner import CellRunner

    if repeat < 1:
        raise UsageProblem(f"--repeat must be at least 1, but got {repeat}")
    template = parse_tunable(source, line_offset)
    runner = CellRunner(template, namespace, opts.objective, opts.direction, checkpoint=opts.checkpoint)
    race = _cell_race(template, runner, opts, strategies, repeat)
    race.observers.extend(observers)
    result = race.run()
    if opts.apply and runner.best is not None:
        namespace.update(runner.best[2])  # the best of every racer's trials
    return result


def _cell_race(
    template: Any, runner: Callable[[Trial], Any], opts: Any, strategies: Sequence[str], repeat: int
) -> Race:
    """The race of a cell: its space, its defaults as every racer's baseline, studies opened as the magic does."""
    from ..cell import DEFAULT_TRIALS, _strategy_options, open_study

    base = opts.seed if opts.seed is not None else 0
    return Race(
        template.space,
        runner,
        strategies,
        n_trials=opts.trials or DEFAULT_TRIALS,
        seeds=[base + i for i in range(repeat)],
        direction=opts.direction,
        name=opts.study or default_race_name(),
        baseline=dict(template.defaults) if opts.baseline else None,
        study_factory=lambda s, k, n: open_study(template, opts, name=n, strategy=s, seed=k),
        strategy_options=_strategy_options(opts),
        timeout=opts.timeout,
    )


def load_race(name: str, storage: str | Storage | None = None) -> RaceResult:
    """A finished race read back from storage (its studies ``<name>-<strategy>-s<seed>``).

    The elapsed-time axis then comes from the trials' own durations.

    Raises
    ------
    KeyError
        When the storage holds no study of a race called ``name``.
    """
    import re

    from ..study import load_study

    st = open_storage(storage)
    names = "|".join(re.escape(s) for s in _STRATEGIES)
    pattern = re.compile(rf"^{re.escape(name)}-(?P<strategy>{names})-s(?P<seed>-?\d+)$")
    found = [(m["strategy"], int(m["seed"]), n) for n in st.study_names() if (m := pattern.match(n))]
    if not found:
        raise KeyError(f"no race named {name!r} in {st.location} (its studies would be {name}-<strategy>-s<seed>)")
    strategies = list(dict.fromkeys(s for s, _, _ in found))
    seeds = sorted({k for _, k, _ in found})
    studies = {(s, k): load_study(n, st) for s, k, n in found}
    missing = [f"{s}-s{k}" for s in strategies for k in seeds if (s, k) not in studies]
    if missing:
        raise KeyError(f"race {name!r} is incomplete in {st.location}: no study for {', '.join(missing)}")
    direction = next(iter(studies.values())).direction
    n = max(s.n_counted() for s in studies.values())
    return RaceResult(name=name, strategies=strategies, seeds=seeds, direction=direction, n_trials=n, studies=studies)
