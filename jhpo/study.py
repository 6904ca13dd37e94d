"""Study: ask / tell / optimize over a space with a strategy, kept in storage."""

from __future__ import annotations

import difflib
import math
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from . import budget
from .capture import bound_text, clean_text
from .direction import Direction
from .errors import JhpoError, ObjectiveError, SearchAborted, SearchExhausted, UsageProblem
from .execution.inprocess import InProcess, run_trial
from .execution.loop import run_search
from .execution.outcome import FAIL_FAST, check_value, check_values, config_independent
from .observers import StudyObserver, TextProgress
from .space import Distribution, Space, Value
from .storage import HEARTBEAT, Storage, StorageError, open_storage
from .strategies import Pruner, Strategy, Suggestion, make_pruner, make_strategy
from .strategies.base import chosen_options
from .trial import Trial, TrialState

__all__ = [
    "FAIL_FAST",
    "ObjectiveError",
    "SearchAborted",
    "SearchExhausted",
    "Study",
    "StudyExists",
    "StudyMismatch",
    "StudyNotFound",
    "StudyObserver",
    "config_independent",
    "load_study",
]


class StudyExists(JhpoError):
    """A study of that name is already stored and resuming was not asked for."""


class StudyMismatch(JhpoError):
    """Resuming a study whose cell or space has changed."""


class StudyNotFound(JhpoError):
    """Resuming a study name that is not stored, while a similar name is (a likely typo)."""


def _directions(
    direction: str | Direction | Sequence[str | Direction], directions: Sequence[str | Direction] | None
) -> tuple[Direction, ...]:
    """One Direction per objective, from ``direction`` (one or a list) or ``directions``."""
    if directions is not None:
        if direction not in ("maximize", Direction.MAXIMIZE):  # the default: not given
            raise UsageProblem("give direction=... or directions=[...], not both")
        direction = directions
    if isinstance(direction, str):
        return (Direction.parse(direction),)
    out = tuple(Direction.parse(d) for d in direction)
    if not out:
        raise UsageProblem("directions is empty; give one direction per objective, e.g. ['maximize', 'minimize']")
    return out


def _as_space(space: Space | Mapping[str, Distribution]) -> Space:
    return space if isinstance(space, Space) else Space(space)


def default_name(space: Space, meta: Mapping[str, Any]) -> str:
    """A readable name for an unnamed study: objective, first parameters, a short random suffix.

    >>> import jhpo
    >>> default_name(jhpo.Space({"C": jhpo.uniform(0, 1), "gamma": jhpo.uniform(0, 1)}), {"objective": "acc"})[:-5]
    'acc-C-gamma'
    """
    objective = meta.get("objective") if isinstance(meta.get("objective"), str) else None
    parts = [objective or "study", *space.searched.names[:2]]
    stem = "-".join(re.sub(r"[^A-Za-z0-9_]+", "", p)[:20] for p in parts if p)
    return f"{stem or 'study'}-{secrets.token_hex(2)}"


def _check_name(name: str | None) -> None:
    if name is not None and not name.strip():
        raise UsageProblem("the study name is empty; give a name (--study NAME) or leave it out for a generated one")
    if name is not None and clean_text(name) != name:
        raise UsageProblem(f"the study name {clean_text(name)!r} has an undecodable character; retype the name")


class Study:
    """A hyperparameter search: its space, strategy, direction and trials.

    Parameters
    ----------
    space : Space or dict of distributions
    strategy : str or Strategy, default "bayes"
        ``"grid"``, ``"random"``, ``"sobol"``, ``"bayes"``, ``"genetic"``, ``"hyperband"``, ...
    direction : {"maximize", "minimize"} or list of them
        A list (``["maximize", "minimize"]``, as Optuna's ``directions``) makes a
        multi-objective study: ``fn`` returns one number per direction, trials
        carry ``values``, and the result is a Pareto front (:attr:`best_trials`).
    seed : int, optional
        Makes the sequence of proposals repeatable.
    storage : str, Storage or None
        A SQLite path; ``None`` is ``.jhpo/studies.db`` in the working folder;
        ``":memory:"`` keeps the study in this process only.
    name : str, optional
        The study's name in storage (generated when omitted).
    resume : bool
        Continue the stored study of that name instead of refusing to overwrite it.
    pruner : str or Pruner, optional
        ``"median"`` stops trials whose reports fall below the median of others.
    meta : dict, optional
        Extra JSON stored with the study (the magic stores the cell and its hash).
    strategy_options : dict, optional
        Passed to the strategy (``grid_points``, ``population``, ``eta``, ...); an option it
        does not declare is an error (:func:`jhpo.strategies.make_strategy`).
    checkpoint : str, optional
        ``--checkpoint VAR``: promoted trials continue from their parent's ``VAR`` (stored in
        ``meta["checkpoint"]``; schedulers count a promoted trial's cost accordingly).
    directions : list of {"maximize", "minimize"}, optional
        The same as a list ``direction`` (give one of the two).

    Notes
    -----
    Several processes, kernels and ``Study`` objects may run one stored study
    at once (each with ``resume=True``): trial numbers are allocated in the
    database, each ``ask`` first reads the other writers' trials (observers
    hear of them through ``on_trial_start`` / ``on_trial_end``), and a trial
    whose process died is marked interrupted (see :mod:`jhpo.storage`).

    Examples
    --------
    >>> import jhpo
    >>> study = jhpo.Study({"x": jhpo.uniform(-2, 2)}, strategy="random", direction="minimize",
    ...                    seed=0, storage=":memory:")
    >>> study.optimize(lambda t: (t.params["x"] - 1) ** 2, n_trials=20)
    >>> round(study.best_params["x"], 1)
    1.0
    """

    def __init__(
        self,
        space: Space | Mapping[str, Distribution],
        strategy: str | Strategy = "bayes",
        direction: str | Direction | Sequence[str | Direction] = "maximize",
        seed: int | None = None,
        storage: str | Storage | None = None,
        name: str | None = None,
        resume: bool = False,
        pruner: str | Pruner | None = None,
        meta: dict[str, Any] | None = None,
        strategy_options: dict[str, Any] | None = None,
        allow_changes: bool = False,
        checkpoint: str | None = None,
        directions: Sequence[str | Direction] | None = None,
    ) -> None:
        self.directions: tuple[Direction, ...] = _directions(direction, directions)
        direction = self.directions[0]
        self.space = _as_space(space)
        options = dict(strategy_options or {})
        # studies stored before --checkpoint had its own field kept it among the strategy's options
        self.checkpoint = checkpoint if checkpoint is not None else options.pop("checkpoint", None)
        # Build the strategy and pruner first: a bad name must fail before storage is touched.
        self.strategy: Strategy = self._make_strategy(strategy, seed, options)
        self.pruner: Pruner = self._make_pruner(pruner, direction)
        _check_name(name)
        self.direction = direction
        self.seed = seed
        self.strategy_options = options
        self.meta: dict[str, Any] = self._new_meta(strategy, pruner, meta)
        # load_study reopens a study with its stored meta (which holds the space; a cell's never
        # does): that reads the study, it does not start a search under another strategy.
        self._reopening = meta is not None and "space" in meta
        self.name = name or default_name(self.space, self.meta)
        self.storage = open_storage(storage)
        self._trials: list[Trial] = []
        self._by_number: dict[int, Trial] = {}
        self._own: set[int] = set()  # numbers of the trials this Study started
        self._revision = -1  # the storage revision read so far (-1: nothing yet)
        self._lost_checked = time.monotonic()
        self._lock = threading.RLock()
        self.observers: list[StudyObserver] = []
        self._open(resume, allow_changes)
        made_for = tuple(self.strategy.directions) or (self.strategy.direction,)
        if made_for != self.directions:  # a resumed study keeps its stored direction(s)
            self.strategy = self._make_strategy(strategy, seed, self.strategy_options)
        self._queue: list[Suggestion] = []
        self._stop = threading.Event()
        self._unpaused = threading.Event()
        self._unpaused.set()
        self.stop_reason: str | None = None

    def _make_pruner(self, pruner: str | Pruner | None, direction: Direction) -> Pruner:
        if self.is_multi and pruner not in (None, "none"):
            raise UsageProblem(
                "a pruner compares one reported number per step, so it cannot judge several objectives; "
                "drop --pruner (pruner=...), or keep one objective"
            )
        return make_pruner(pruner, direction=direction)

    def _new_meta(
        self, strategy: str | Strategy, pruner: str | Pruner | None, meta: dict[str, Any] | None
    ) -> dict[str, Any]:
        """What is stored with a new study (a resumed one keeps its stored meta)."""
        return {
            "direction": self.direction.value,
            **({"directions": [d.value for d in self.directions]} if self.is_multi else {}),
            "space": self.space.to_json(),
            "strategy": strategy.name if isinstance(strategy, Strategy) else strategy,
            "seed": self.seed,
            "pruner": pruner if isinstance(pruner, str) or pruner is None else pruner.name,
            "strategy_options": self.strategy_options,
            **({"checkpoint": self.checkpoint} if self.checkpoint is not None else {}),
            **(meta or {}),
        }

    # -- identity and resume -------------------------------------------------------

    def _open(self, resume: bool, allow_changes: bool) -> None:
        """Create the stored study, or continue the stored one of this name (``resume``)."""
        stored = self.storage.load_meta(self.name)
        #: Whether this Study made its stored study (``resume`` of a name not stored yet starts it).
        self.created = stored is None
        if stored is None:
            if resume:
                self._refuse_missing()
            try:
                self.storage.create_study(self.name, self.meta)
            except KeyError:  # another writer created it a moment ago: continue it (or refuse, without resume)
                stored = self.storage.load_meta(self.name)
                if stored is None:
                    raise
                self.created = False
                self._open_stored(stored, resume, allow_changes)
        else:
            self._open_stored(stored, resume, allow_changes)

    def _refuse_missing(self) -> None:
        """``resume`` of a name not stored: refuse when a stored study looks like the one meant.

        A missing name otherwise starts the study (Optuna's ``load_if_exists``), so a
        notebook with ``--study NAME --resume`` runs the first time as well as again.
        "Looks like" is precise, not a guess at intent: a stored study with the same
        space and strategy whose name is close (a typo) or that was made from this
        very cell (a renamed ``--study``); resuming it would have been possible.
        """
        names = self.storage.study_names()
        meant = []
        for other in difflib.get_close_matches(self.name, names, n=20, cutoff=0.6) + names:
            meta = self.storage.load_meta(other) or {}
            same_search = meta.get("space") == self.meta["space"] and meta.get("strategy") == self.meta["strategy"]
            same_cell = meta.get("cell_hash") is not None and meta.get("cell_hash") == self.meta.get("cell_hash")
            close = other in difflib.get_close_matches(self.name, [other], cutoff=0.8)
            if same_search and (close or same_cell) and other not in meant:
                meant.append(other)
        if meant:
            shown = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
            raise StudyNotFound(
                f"there is no study named {self.name!r} in {self.storage.location} to resume; did you mean "
                + " or ".join(repr(m) for m in meant[:3])
                + f" (same space and strategy)? Stored: {shown}. Fix the --study name, or run once "
                "without --resume to start a new study of that name"
            )

    def _open_stored(self, stored: dict[str, Any], resume: bool, allow_changes: bool) -> None:
        if not resume:
            n = len(self.storage.load_trials(self.name))
            raise StudyExists(
                f"a study named {self.name!r} already has {n} trials in {self.storage.location}; "
                f"add --resume (resume=True) to continue it, or choose another name"
            )
        self._check_same(stored, allow_changes)
        fresh = self.meta
        self.direction = Direction.parse(stored["direction"])
        self.directions = tuple(Direction.parse(d) for d in stored.get("directions") or [stored["direction"]])
        self.meta = (
            {**stored, **{k: v for k, v in self.meta.items() if k in ("cell_hash", "source")}}
            if allow_changes
            else stored
        )
        self.meta["resumed"] = self.meta.get("resumed", 0) + 1
        if not self.storage.readonly:  # a study in a read-only place can still be read
            self.storage.interrupt_lost(self.name)  # running when their process died
        self._sync(notify=False)
        if not self._reopening:
            self._record_strategy(stored, fresh)
        if not self.storage.readonly:
            self.storage.update_meta(self.name, self.meta)

    def _record_strategy(self, stored: dict[str, Any], fresh: dict[str, Any]) -> None:
        """A study resumed under another strategy, other options, another seed or another pruner
        stores what runs from now on, and keeps what ran before in ``meta["earlier_strategies"]``
        (``until_trial``: the first trial it did not choose): ``%tune_show``, the panel and
        :func:`load_study` then name and rebuild the strategy (and seed) that chose the latest
        trials, not the first one, and the earlier trials can still be reproduced."""

        def run(meta: dict[str, Any]) -> tuple[Any, ...]:  # the search's own facts (--trials) aside
            return (
                meta.get("strategy"),
                chosen_options(meta.get("strategy_options")),
                meta.get("seed"),
                meta.get("pruner") or "none",  # stored as None or "none" alike
            )

        if run(fresh) == run(stored):
            return
        until = self._trials[-1].number + 1 if self._trials else 0  # read by _sync just before
        earlier = {
            "strategy": stored.get("strategy"),
            "strategy_options": stored.get("strategy_options") or {},
            "seed": stored.get("seed"),
            "pruner": stored.get("pruner"),
            "until_trial": until,
        }
        self.meta["earlier_strategies"] = [*stored.get("earlier_strategies", []), earlier]
        for key in ("strategy", "strategy_options", "seed", "pruner"):
            self.meta[key] = fresh[key]

    def is_own(self, trial: Trial) -> bool:
        """Whether this Study started ``trial`` (False for trials of other writers of the study)."""
        return trial.number in self._own

    def refresh(self) -> None:
        """Read the trials other writers stored since the last look; observers hear of those that ended."""
        self._sync(notify=True)

    def _sync(self, notify: bool) -> None:
        with self._lock:
            changed, self._revision = self.storage.changes(self.name, self._revision, self._own)
            events = [e for t in changed for e in self._adopt(t)]
        if notify:
            self._notify(events)

    def _adopt(self, t: Trial) -> list[tuple[str, Trial]]:
        """Put a stored trial into the local list; the observer events it implies."""
        old = self._by_number.get(t.number)
        if t.number in self._own and old is not None:
            return []  # ours: the in-memory trial is the one being run and told
        self._place(t)
        events: list[tuple[str, Trial]] = []
        if old is None:
            events.append(("start", t))
        if t.state.is_finished and (old is None or not old.state.is_finished):
            events.append(("end", t))
        return events

    def _place(self, t: Trial) -> None:
        new = t.number not in self._by_number
        self._by_number[t.number] = t
        if new and (not self._trials or t.number > self._trials[-1].number):
            self._trials.append(t)
        else:  # a replaced trial, or numbers out of order (a hand-edited file)
            self._trials = [self._by_number[n] for n in sorted(self._by_number)]

    def _check_same(self, stored: dict[str, Any], allow_changes: bool) -> None:
        changes = []
        old, new = Space.from_json(stored["space"]), self.space
        for n in old.names:
            if n not in new:
                changes.append(f"`{n}` is no longer tuned (was {old[n].describe()})")
            elif old[n] != new[n]:
                changes.append(f"`{n}` changed from {old[n].describe()} to {new[n].describe()}")
        changes += [f"`{n}` is newly tuned ({new[n].describe()})" for n in new.names if n not in old]
        if stored.get("direction") != self.meta["direction"]:
            changes.append(f"the direction changed from {stored.get('direction')} to {self.meta['direction']}")
        elif stored.get("directions") != self.meta.get("directions"):
            changes.append(
                f"the objectives' directions changed from {stored.get('directions') or stored.get('direction')} "
                f"to {self.meta.get('directions') or self.meta['direction']}"
            )
        if (
            "cell_hash" in stored
            and "cell_hash" in self.meta
            and stored["cell_hash"] != self.meta["cell_hash"]
            and not changes
        ):
            changes.append("the cell's code changed (the search space did not)")
        if changes and not allow_changes:
            raise StudyMismatch(
                f"study {self.name!r} was made from a different cell:\n  - "
                + "\n  - ".join(changes)
                + "\nto continue anyway with the old trials, add --allow-changes (allow_changes=True); "
                "to start afresh, use another --study name"
            )

    # -- results -------------------------------------------------------------------

    @property
    def trials(self) -> list[Trial]:
        """All trials, in order (running ones included)."""
        return list(self._trials)

    def _sign(self) -> float:
        return self.direction.sign

    def _make_strategy(self, strategy: str | Strategy, seed: int | None, options: dict[str, Any]) -> Strategy:
        if self.is_multi:
            from .strategies.multi import make_multi_strategy

            return make_multi_strategy(strategy, self.space, seed, self.directions, **options)
        return make_strategy(
            strategy, self.space, seed=seed, direction=self.directions[0], checkpoint=self.checkpoint, **options
        )

    @property
    def is_multi(self) -> bool:
        """Whether the study has several objectives (``directions`` holds more than one)."""
        return len(self.directions) > 1

    @property
    def objective_names(self) -> list[str]:
        """One name per objective: the cell's variables, else ``objective_0``, ``objective_1``, ..."""
        names = self.meta.get("objectives")
        if isinstance(names, list) and len(names) == len(self.directions):
            return [str(n) for n in names]
        return [f"objective_{i}" for i in range(len(self.directions))]

    @property
    def best_trials(self) -> list[Trial]:
        """The Pareto front: complete, feasible trials no other trial dominates (one objective: the best).

        As Optuna's ``best_trials``; a multi-objective study has no single best
        trial, so :attr:`best_trial` is None there and this is what to choose from.
        """
        if not self.is_multi:
            best = self.best_trial
            return [best] if best is not None else []
        from .pareto import pareto_front

        return pareto_front(self._trials, self.directions)

    @property
    def best_trial(self) -> Trial | None:
        """The best completed trial, compared at equal budget (see :mod:`jhpo.budget`).

        None for a multi-objective study: no single trial is best there (Optuna
        raises instead); choose one from :attr:`best_trials`, the Pareto front.
        """
        if self.is_multi:
            return None
        feasible = [t for t in self._trials if t.info.get("feasible") is not False]  # --constraint
        return budget.best_trial(feasible, self.direction)

    @property
    def best_params(self) -> dict[str, Value] | None:
        best = self.best_trial
        return dict(best.params) if best else None

    @property
    def best_value(self) -> float | None:
        best = self.best_trial
        return best.value if best else None

    def is_better(self, a: float, b: float | None) -> bool:
        return self.direction.better(a, b)

    def to_dataframe(self) -> Any:
        """One row per trial: number, state, value, ``params_<name>`` columns, timing, budget, error."""
        import pandas as pd

        rows = []
        for t in self._trials:
            row: dict[str, Any] = {"number": t.number, "state": t.state.value, "value": t.value}
            if self.is_multi:  # as Optuna's values_0, values_1, ... but named after the objectives
                vals: list[float | None] = [*t.values] if t.values else [None] * len(self.directions)
                row.update({f"values_{n}": v for n, v in zip(self.objective_names, vals)})
            # An inactive parameter has no value: None (NaN in a numeric column), as in Optuna.
            row.update({f"params_{k}": t.params.get(k) for k in dict.fromkeys([*self.space.names, *t.params])})
            row.update({f"metrics_{k}": v for k, v in t.metrics.items()})
            row["datetime_start"] = pd.to_datetime(t.datetime_start, unit="s") if t.datetime_start else pd.NaT
            row["datetime_end"] = pd.to_datetime(t.datetime_end, unit="s") if t.datetime_end else pd.NaT
            row["duration"] = t.duration
            for key in (
                "budget",
                "baseline",
                "generation",
                "bracket",
                "rung",
                "member",
                "interval",
                "parent",
                "feasible",
            ):
                if key in t.info:
                    row[key] = t.info[key]
            row["error"] = (t.error or "").strip().splitlines()[-1] if t.error else None
            rows.append(row)
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        return (
            f"Study(name={self.name!r}, strategy={self.meta['strategy']!r}, direction={self.direction.value!r}, "
            f"trials={len(self._trials)}, best_value={self.best_value!r})"
        )

    # -- ask / tell ----------------------------------------------------------------

    def enqueue(self, params: Mapping[str, Value], info: Mapping[str, Any] | None = None) -> None:
        """Run ``params`` before asking the strategy (the magic enqueues the cell's defaults).

        Every parameter of the space must be given, inside its range (a
        configuration the strategy could not have proposed would mislead it).
        Unlike Optuna, missing parameters are an error rather than sampled: the
        trial then runs exactly what was asked. Only the baseline
        (``info={"baseline": True}``, the cell's own defaults) may lie outside
        the ranges, as the user's defaults may.

        Raises
        ------
        ValueError
            Naming each unknown, missing or out-of-range parameter.
        """
        info = dict(info or {})
        problems = self._enqueue_problems(params, baseline=bool(info.get("baseline")))
        if problems:
            raise UsageProblem(
                "enqueue: " + "; ".join(problems) + f". The space is {', '.join(self.space.names) or 'empty'}"
            )
        self._queue.append(Suggestion(dict(params), info))

    def _enqueue_problems(self, params: Mapping[str, Value], baseline: bool) -> list[str]:
        problems = [f"`{k}` is not a parameter of the space" for k in params if k not in self.space]
        res = self.space.resource_name
        missing = [n for n in self.space.names if n not in params and n != res]
        if missing and not baseline:
            problems.append("missing " + ", ".join(f"`{n}`" for n in missing) + " (give every parameter)")
        for k, v in params.items():
            if k in self.space and k != res and not baseline and not self.space[k].contains(v):
                problems.append(f"`{k}` = {v!r} is outside {self.space[k].describe()}")
        return problems

    def ask(self) -> Trial:
        """Start a new trial with the next configuration.

        Raises
        ------
        SearchExhausted
            When the strategy has nothing left (e.g. the grid is done).
        """
        return self.ask_batch(1)[0]

    def ask_batch(self, n: int, notify: bool = True) -> list[Trial]:
        """Start up to ``n`` trials at once (the strategy proposes them together).

        The strategy first sees the trials other writers of this study stored
        (finished and running), and the trials take their numbers, under the
        storage's write lock: no number or grid point is handed out twice.
        With ``notify=False`` the caller sends ``on_trial_start`` itself (the
        parallel runner first records which worker runs each trial).
        """
        with self._lock, self.storage.exclusive():
            if time.monotonic() - self._lost_checked > HEARTBEAT:  # another writer may have died
                self._lost_checked = time.monotonic()
                self.storage.interrupt_lost(self.name)
            changed, self._revision = self.storage.changes(self.name, self._revision, self._own)
            events = [e for t in changed for e in self._adopt(t)]
            if self._queue and any(t.info.get("baseline") for t in self._trials):
                # another writer of this study already ran the cell's defaults
                self._queue = [q for q in self._queue if not q.info.get("baseline")]
            number = self.storage.next_number(self.name)
            # Queued ones (the baseline) become trials first, so the strategy sees them in this batch.
            trials = [
                self._start(self.strategy.adopt(self._queue.pop(0), self.trials), number + i)
                for i in range(min(n, len(self._queue)))
            ]
            if len(trials) < n:
                suggestions = self.strategy.suggest(self.trials, n - len(trials))
                trials += [self._start(s, number + len(trials) + i) for i, s in enumerate(suggestions)]
            if not trials:
                raise SearchExhausted("the strategy has no configuration left to try")
            self.storage.add_trials(self.name, trials)
        self._notify(events)
        for t in trials if notify else ():
            for obs in self.observers:
                obs.on_trial_start(self, t)
        return trials

    def _notify(self, events: list[tuple[str, Trial]]) -> None:
        for kind, t in events:
            for obs in self.observers:
                (obs.on_trial_start if kind == "start" else obs.on_trial_end)(self, t)

    def _start(self, s: Suggestion, number: int) -> Trial:
        params = dict(s.params)
        info = dict(s.info)
        res = self.space.resource_name
        if res is not None:
            dist = self.space[res]
            budget = info.get("budget", params.get(res, dist.high))  # type: ignore[attr-defined]
            params[res] = dist.clip(budget)  # type: ignore[attr-defined]
            info["budget"] = params[res]
        params = self.space.prune(params)  # an inactive parameter is absent, not a value
        trial = Trial(number=number, params=params, info=info)
        trial.start()
        trial._should_prune = self._should_prune
        self._own.add(number)
        self._place(trial)
        return trial

    def _should_prune(self, trial: Trial, step: int) -> str | None:
        for obs in self.observers:
            obs.on_report(self, trial, step, trial.intermediate.get(step, math.nan))
        with self._lock:
            others = self.trials
        return self.strategy.should_prune(trial, step, others) or self.pruner.should_prune(trial, step, others)

    def tell(
        self, trial: Trial | int, value: Any = None, state: TrialState | str | None = None, error: str | None = None
    ) -> Trial:
        """Finish a trial with its value, or with a FAILED / PRUNED / INTERRUPTED state.

        A value that is missing, not a number or NaN makes the trial FAILED with that reason.
        """
        if isinstance(trial, int):
            trial = self._by_number[trial]
        state = TrialState(state) if state is not None else TrialState.COMPLETE
        if trial.state is not TrialState.RUNNING:
            raise UsageProblem(f"trial {trial.number} is already finished ({trial.state.value})")
        if state is TrialState.COMPLETE and self.is_multi:
            try:
                trial.values = check_values(value, self.objectives)
                trial.value = trial.values[0]
            except ObjectiveError as exc:
                state, error = TrialState.FAILED, str(exc)
        elif state is TrialState.COMPLETE:
            try:
                trial.value = check_value(value)
            except ObjectiveError as exc:
                state, error = TrialState.FAILED, str(exc)
        elif value is not None and state is TrialState.PRUNED and not self.is_multi:
            try:
                trial.value = check_value(value)
            except ObjectiveError:
                pass
        trial.state, trial.error = state, bound_text(clean_text(error)) if error is not None else None
        trial.stdout, trial.stderr = clean_text(trial.stdout), clean_text(trial.stderr)
        if "read" in trial.info:  # a cell recorded which parameters it read: the others did nothing
            trial.params = self.space.settle(trial.params, trial.info.pop("read"))
        trial.datetime_end = time.time()
        trial._should_prune = None
        try:
            with self._lock:
                self.storage.save_trial(self.name, trial)
        finally:
            if trial.number in self._own:
                self.storage.trial_finished()
        for obs in self.observers:
            obs.on_trial_end(self, trial)
        return trial

    @property
    def objectives(self) -> list[tuple[str, str]]:
        """``(direction, name)`` of each objective, in order."""
        return [(d.value, n) for d, n in zip(self.directions, self.objective_names)]

    # -- running: the loop lives in jhpo.execution.loop; these are its controls ---------------

    def stop(self) -> None:
        """Ask a running :meth:`optimize` to stop after the trials in flight."""
        self._stop.set()
        self.resume()  # a paused search ends now rather than waiting for Resume

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def clear_stop(self) -> None:
        """Forget an earlier stop request (a new search starts)."""
        self._stop.clear()
        self.stop_reason = None

    def pause(self) -> None:
        """Start no new trial until :meth:`resume` (trials in flight finish and are recorded)."""
        self._unpaused.clear()

    def resume(self) -> None:
        """Let a paused search start trials again."""
        self._unpaused.set()

    @property
    def paused(self) -> bool:
        return not self._unpaused.is_set()

    def wait_resumed(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for :meth:`resume`; whether the study runs again."""
        return self._unpaused.wait(timeout)

    def run_trial(self, fn: Callable[[Trial], Any], trial: Trial) -> Trial:
        """Evaluate ``fn(trial)`` here and tell the outcome; KeyboardInterrupt marks it interrupted and re-raises."""
        return run_trial(self, fn, trial)

    def optimize(
        self,
        fn: Callable[[Trial], Any],
        n_trials: int | None = None,
        timeout: float | None = None,
        show_progress: bool = False,
        n_jobs: int | None = None,
        executor: Any = None,
        trial_timeout: float | None = None,
    ) -> None:
        """Run ``fn(trial) -> value`` on new trials until ``n_trials``, ``timeout``, exhaustion or stop.

        ``fn`` reads ``trial.params``; an exception fails that trial only, and
        :class:`~jhpo.TrialPruned` (raised by :func:`jhpo.report`) prunes it.
        Interrupting (Ctrl-C, the kernel's stop) marks the running trial
        interrupted and returns normally, with ``stop_reason == "interrupted"``.
        :meth:`stop` and :meth:`pause` act between trials.

        ``n_jobs`` runs trials in that many local worker processes, ``executor``
        on a Dask ``Client`` or any ``concurrent.futures.Executor`` (``fn`` must
        then be picklable by cloudpickle; closures are). ``trial_timeout`` fails
        a trial running longer than that many seconds and replaces its worker;
        alone it runs the trials in one worker process. See :mod:`jhpo.executors`.

        Raises
        ------
        SearchAborted
            If the first 3 trials of this run all failed.
        """
        if n_trials is None and timeout is None and self.strategy.is_static is False:
            raise UsageProblem("give n_trials or timeout, or the search would never end")
        if n_jobs is None and executor is None and trial_timeout is None:
            execution: Any = InProcess(fn)
        else:
            from .execution.workers import WorkerExecution  # loads cloudpickle and loky only when used

            execution = WorkerExecution(self, fn, n_jobs=n_jobs, executor=executor, trial_timeout=trial_timeout)
        progress = TextProgress() if show_progress else None
        if progress is not None:
            self.observers.append(progress)
        try:
            run_search(self, execution, n_trials=n_trials, timeout=timeout)
        finally:
            if progress is not None:
                self.observers.remove(progress)

    def own_numbers(self) -> set[int]:
        """Numbers of the trials this Study started (not other writers')."""
        return set(self._own)

    def save_started(self, trials: list[Trial]) -> None:
        """Store running trials again (an execution recorded where they run)."""
        with self._lock:
            self.storage.save_trials(self.name, trials)

    def abandon(self, before: set[int]) -> None:
        """Trials this search started but never told (an error escaped it) become interrupted:
        otherwise they would stay "running" for as long as this process lives, and count."""
        for t in self._trials:
            if t.number in self._own and t.number not in before and t.state is TrialState.RUNNING:
                try:
                    self.tell(t, state=TrialState.INTERRUPTED, error="the search stopped before this trial finished")
                except StorageError:
                    pass  # the fault that stopped the search; a later open marks it interrupted

    def last_look(self, notify: bool = True) -> None:
        """Read what other writers stored during the search, so the result and the panel count it."""
        try:
            self._sync(notify=notify)
        except StorageError:
            pass  # the search is ending on a storage fault already; that error is the one to show

    def notify_status(self, text: str | None) -> None:
        """Tell the observers what the search is doing while no trial runs (None: nothing any more)."""
        for obs in self.observers:
            getattr(obs, "on_status", lambda *_: None)(self, text)  # observers written before the event

    def n_counted(self) -> int:
        """Trials that count against a total budget (all but interrupted ones)."""
        return sum(t.state is not TrialState.INTERRUPTED for t in self._trials)


def load_study(name: str, storage: str | Storage | None = None) -> Study:
    """Open a stored study read-write (read-only in a read-only place), with the strategy it was made with.

    Raises
    ------
    KeyError
        No study of that name (the message lists the stored ones).
    StorageError
        The file is missing (nothing is created), damaged or not a study file.
    """
    st = open_storage(storage, create=False)
    meta = st.load_meta(name)
    if meta is None:
        names = st.study_names()
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
        hint = f"stored studies: {', '.join(names)}" if names else "the storage holds no studies"
        hint = f"did you mean {' or '.join(map(repr, close))}? ({hint})" if close else hint
        raise KeyError(f"no study named {name!r} in {st.location}; {hint}")
    try:
        return Study(
            Space.from_json(meta["space"]),
            strategy=meta["strategy"],
            direction=meta.get("directions") or meta["direction"],
            seed=meta.get("seed"),
            storage=st,
            name=name,
            resume=True,
            strategy_options=meta.get("strategy_options"),
            checkpoint=meta.get("checkpoint"),
            meta=meta,
        )
    except StorageError:
        raise
    except (ValueError, TypeError):  # a strategy not installed here, or options it no longer takes:
        # open it with random so the trials can still be read
        return Study(
            Space.from_json(meta["space"]),
            strategy="random",
            direction=meta.get("directions") or meta["direction"],
            storage=st,
            name=name,
            resume=True,
            meta=meta,
        )
