"""Multi-fidelity schedulers: Hyperband and asynchronous successive halving (ASHA).

Both hand out the budget named by the cell's ``resource(lo, hi)`` annotation
(epochs, boosting rounds, a fraction of the data). The budgets form a ladder
``hi / eta**k, ..., hi / eta, hi`` (rungs); a configuration that did well at
one rung is *promoted*: it runs again as a **new trial** with the same
parameters and the next rung's budget. A cell that calls
``done = jhpo.checkpoint(model, ...)`` continues from its parent's training
state (:mod:`jhpo.checkpoints`; in process, worker processes and Dask); a
cell that does nothing special restarts from scratch. With ``--checkpoint VAR`` the runner
hands it the object its parent trial left in ``VAR`` so it continues (see
:class:`jhpo.runner.CellRunner`). The cell knows which case it is in because
``VAR`` is absent from a fresh trial's namespace, and the object carries how
far it has trained::

    %%tune --strategy hyperband --checkpoint state --maximize score
    lr = 0.01      # tune: loguniform(1e-4, 1e-1)
    epochs = 81    # tune: resource(1, 81)
    state = globals().get("state") or {"model": SGDClassifier(eta0=lr), "epoch": 0}
    while state["epoch"] < epochs:
        state["model"].partial_fit(X_tr, y_tr, classes=classes)
        state["epoch"] += 1
        score = state["model"].score(X_va, y_va)
        jhpo.report(score, step=state["epoch"])

The kept objects live in the kernel's memory: trials run in other processes
(``--n-jobs``, ``--executor``) and trials promoted after a ``--resume`` in a
new kernel restart instead. Report with ``step`` = budget units done (epochs
from 1), so the last report of a trial is at its budget.

The cell's defaults (the baseline) take the first slot of bracket 0 at the
lowest rung (:meth:`_Scheduler.adopt`), and the best trial is compared at equal
budget (:mod:`jhpo.budget`). Given ``n_trials``, Hyperband starts no new bracket
with trials the brackets under way still need to reach their top rung (parallel
workers would otherwise spend them while a rung waits).

Everything the schedule needs is written into each trial's ``info``
(``bracket``, ``rung``, ``budget``, ``parent``, ``bracket_size``), so the
schedule is rebuilt from the stored trials on ``--resume``.

Without a resource in the space there is nothing to schedule: both behave
like their sampler.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, cast

from ..direction import Direction
from ..errors import UsageProblem
from ..space import Resource, Space, Value
from ..trial import Trial, TrialState
from .base import SearchSize, Strategy, Suggestion

__all__ = ["ASHAStrategy", "HyperbandStrategy", "budget_ladder"]

#: BOHB draws this share of new configurations at random even when a model exists.
RANDOM_FRACTION = 1 / 3


def budget_ladder(resource: Resource, eta: float) -> list[int | float]:
    """The rung budgets from the smallest to ``resource.high``, ``eta`` times apart.

    Examples
    --------
    >>> from jhpo.space import resource
    >>> budget_ladder(resource(1, 81), 3)
    [1, 3, 9, 27, 81]
    """
    s_max = int(math.floor(math.log(resource.high / resource.low) / math.log(eta) + 1e-9))
    return [cast("int | float", resource.clip(resource.high * eta ** (j - s_max))) for j in range(s_max + 1)]


def _floor_div(n: int, eta: float, i: int) -> int:
    return int(math.floor(n / eta**i + 1e-9))


def _bracket_size(s_max: int, s: int, eta: float) -> int:
    return int(math.ceil((s_max + 1) / (s + 1) * eta**s - 1e-9))


def _rung_sizes(n0: int, s: int, eta: float) -> list[int]:
    return [max(1, _floor_div(n0, eta, i)) for i in range(s + 1)]


class _Scheduler(Strategy):
    """What Hyperband and ASHA share: the ladder, the inner sampler, the bookkeeping."""

    view = "brackets"
    hands_out_budget = True
    options = {"eta": float, "sampler": str, "timeout": float, "checkpoint": str, "n_trials": int}

    def __init__(
        self,
        space: Space,
        seed: int | None = None,
        direction: str | Direction = "maximize",
        eta: float = 3,
        sampler: str = "random",
        timeout: float | None = None,
        checkpoint: str | None = None,
        n_trials: int | None = None,
    ) -> None:
        super().__init__(space, seed=seed, direction=direction)
        self.n_trials = n_trials
        if not eta > 1:
            raise UsageProblem(f"eta must be greater than 1 (3 keeps a third at each rung), but got eta={eta}")
        self.eta = int(eta) if float(eta).is_integer() else float(eta)
        self.timeout = timeout
        self.continues = checkpoint is not None
        self._t0 = time.monotonic()
        res = space.resource_name
        self.resource: Resource | None = space[res] if res is not None else None  # type: ignore[assignment]
        self.budgets: list[int | float] = budget_ladder(self.resource, self.eta) if self.resource is not None else []
        self.s_max = len(self.budgets) - 1
        self.sampler_name, self._sampler = self._make_sampler(sampler)

    def _make_sampler(self, name: str) -> tuple[str, Strategy | None]:
        from . import make_strategy

        if name in ("hyperband", "asha"):
            raise UsageProblem(f"--sampler must be a sampler (random, bayes, ...), not the scheduler {name!r}")
        if name == "random":
            return "random", None  # drawn here with stateless salts, see _fresh
        try:
            return name, make_strategy(name, self.space.searched, seed=self.seed, direction=self.direction)
        except ValueError:
            if name == "bayes":  # bayes may be missing from this installation: sample at random
                return "random", None
            raise

    # -- sampling new configurations ----------------------------------------------

    def _fresh(self, trials: Sequence[Trial], n: int, salt: int) -> list[dict[str, Value]]:
        """``n`` new configurations from the sampler (random draws salted by ``salt + i``)."""
        searched = self.space.searched
        out: list[dict[str, Value]] = []
        model = self._model_trials(trials) if self._sampler is not None else None
        seen = {searched.key(t.params) for t in trials}
        for i in range(n):
            params: dict[str, Value] | None = None
            if model is not None and (salt + i) % round(1 / RANDOM_FRACTION) != 0:
                params = self._from_model(model, seen)
            if params is None:
                params = searched.sample(self.rng(salt + i))
            seen.add(searched.key(params))
            out.append(params)
            if model is not None:
                model.append(Trial(number=-1 - i, params=params))  # a pending point, so the next differs
        return out

    def _model_trials(self, trials: Sequence[Trial]) -> list[Trial] | None:
        """BOHB's choice: the trials at the largest budget that has enough results to fit a model."""
        searched = self.space.searched
        needed = len(searched) + 2
        by_budget: dict[Value, list[Trial]] = {}
        for t in trials:
            if "budget" not in t.info or t.value is None:
                continue
            if t.state is TrialState.PRUNED and max(t.intermediate, default=-1) >= t.info["budget"]:
                # eliminated at the end of its rung: a full observation at its budget, and the model
                # must see the bad configurations as well as the good ones
                t = replace(t, state=TrialState.COMPLETE)
            if t.state is TrialState.COMPLETE:
                by_budget.setdefault(t.info["budget"], []).append(t)
        usable = [b for b, ts in by_budget.items() if len(ts) >= needed]
        if not usable:
            return None
        chosen = by_budget[max(usable)]  # type: ignore[type-var]
        names = set(searched.names)
        fed = [replace(t, params={k: v for k, v in t.params.items() if k in names}) for t in chosen]
        fed += [
            replace(t, params={k: v for k, v in t.params.items() if k in names})
            for t in trials
            if t.state is TrialState.RUNNING
        ]
        return fed

    def _from_model(self, model: list[Trial], seen: set[Any]) -> dict[str, Value] | None:
        assert self._sampler is not None
        try:
            proposed = self._sampler.suggest(model, 1)
        except Exception:  # noqa: BLE001 - a sampler that cannot fit yet: draw at random instead
            return None
        if not proposed:
            return None
        params = proposed[0].params
        searched = self.space.searched
        if not searched.contains(params) or searched.key(params) in seen:
            return None
        return dict(params)

    def _delegate(self, trials: Sequence[Trial], n: int) -> list[Suggestion]:
        """No resource to schedule: behave like the sampler."""
        if self._sampler is not None:
            try:
                return self._sampler.suggest(trials, n)
            except Exception:  # noqa: BLE001 - fall back to random draws, as above
                pass
        return [Suggestion(p) for p in self._fresh([], n, len(trials))]

    def adopt(self, queued: Suggestion, trials: Sequence[Trial]) -> Suggestion:
        """The baseline (or any enqueued configuration) takes the next fresh slot at the lowest rung.

        So the cell's defaults climb the ladder like every other configuration
        instead of running at the full budget and winning by budget alone.
        """
        if self.resource is None:
            return queued
        slot = self.suggest(trials, 1)
        if not slot or slot[0].info.get("parent", 0) is not None:
            return queued  # no fresh slot right now: it runs at its own budget, outside the schedule
        params = {k: v for k, v in queued.params.items() if k != self.space.resource_name}
        return Suggestion(params, {**queued.info, **slot[0].info})

    def _left(self, trials: Sequence[Trial], planned: int) -> int | None:
        """Trials still allowed by ``n_trials`` once ``planned`` more are counted (None: no limit)."""
        if self.n_trials is None:
            return None
        return self.n_trials - sum(t.state is not TrialState.INTERRUPTED for t in trials) - planned

    # -- bookkeeping --------------------------------------------------------------

    @staticmethod
    def _scheduled(trials: Sequence[Trial]) -> list[Trial]:
        # An interrupted trial did not finish its rung: it is run again (resume re-issues it).
        return [t for t in trials if "rung" in t.info and t.state is not TrialState.INTERRUPTED]

    def _n_fresh(self, trials: Sequence[Trial]) -> int:
        """New configurations drawn so far: the salt of the next draw. An interrupted trial's
        draw is not counted, so a resumed search draws it again and the schedule is the same."""
        return sum(t.info.get("parent", 0) is None for t in self._scheduled(trials))

    def _searched_params(self, t: Trial) -> dict[str, Value]:
        return {k: v for k, v in t.params.items() if k != self.space.resource_name}

    def _seconds_per_unit(self, trials: Sequence[Trial]) -> float | None:
        """Measured run time per budget unit, from the trials that finished."""
        secs = units = 0.0
        for t in trials:
            d, b = t.duration, t.info.get("budget")
            if d is None or not isinstance(b, (int, float)) or t.state is TrialState.INTERRUPTED:
                continue
            done = b - float(t.info.get("resumed_budget", 0))
            if done > 0:
                secs, units = secs + d, units + done
        return secs / units if units > 0 else None


class HyperbandStrategy(_Scheduler):
    """Hyperband (Li et al., 2018): brackets of successive halving with different starting budgets.

    Bracket ``s`` (``s_max`` down to 0, then round again) starts
    ``ceil((s_max + 1) / (s + 1) * eta**s)`` configurations at budget
    ``hi / eta**s``; when a rung has finished, the best ``1/eta`` of it are
    promoted to the next rung with ``eta`` times the budget, up to ``hi``.
    With ``resource(1, 81)`` and ``eta=3`` the first bracket runs 81, 27, 9,
    3, 1 configurations at 1, 3, 9, 27, 81 epochs.

    Rungs are synchronous: a bracket's next rung starts only when its rung is
    done. While it waits (parallel workers), the next bracket starts.

    A trial that reports its value at its full budget (``jhpo.report(v,
    step=budget)``) and is already beaten by as many finished rung-mates as
    will be promoted is recorded PRUNED, with the rung, the threshold and the
    values compared; its training is finished anyway, so this costs nothing
    and keeps eliminated configurations apart from survivors.

    Parameters
    ----------
    space, seed, direction
        As for every strategy.
    eta : float, default 3
        Keep ``1/eta`` of a rung; budgets grow ``eta``-fold.
    sampler : str, default "random"
        Draws new configurations: ``"random"``, or ``"bayes"`` for BOHB (a model
        fitted to the results at the largest budget that has enough of them).
    timeout : float, optional
        Seconds the search may take: each bracket is shrunk to what fits the
        time left, estimated from the seconds per budget unit measured so far.
    checkpoint : str, optional
        Set by ``--checkpoint``: promoted trials continue, so a rung costs only
        the budget it adds (used for the time estimate).
    """

    name = "hyperband"

    @classmethod
    def default_trials(cls, space: Space, size: SearchSize) -> int | None:
        """One whole first bracket, up to the full budget (20 trials would not even fill its first
        rung); with ``--timeout`` or without a resource, as every strategy."""
        res = space.resource_name
        if res is None or size.timeout is not None:
            return super().default_trials(space, size)
        eta = size.options.get("eta", 3)
        s_max = len(budget_ladder(space[res], eta)) - 1  # type: ignore[arg-type]
        return sum(_rung_sizes(_bracket_size(s_max, s_max, eta), s_max, eta))

    def bracket_s(self, bracket: int) -> int:
        """The bracket's aggressiveness: how many rungs it climbs (``s_max`` first)."""
        return self.s_max - bracket % (self.s_max + 1)

    def bracket_size(self, s: int) -> int:
        """Configurations a full bracket ``s`` starts with."""
        return _bracket_size(self.s_max, s, self.eta)

    def rungs(self, s: int, n0: int | None = None) -> list[tuple[int, int | float]]:
        """``(configurations, budget)`` of each rung of bracket ``s``.

        Examples
        --------
        >>> from jhpo.space import Space, resource, uniform
        >>> hb = HyperbandStrategy(Space({"x": uniform(0, 1), "epochs": resource(1, 81)}))
        >>> hb.rungs(4)
        [(81, 1), (27, 3), (9, 9), (3, 27), (1, 81)]
        """
        n0 = self.bracket_size(s) if n0 is None else n0
        first = self.s_max - s
        return [(k, self.budgets[first + i]) for i, k in enumerate(_rung_sizes(n0, s, self.eta))]

    def _cost(self, s: int, n0: int) -> float:
        cost, before = 0.0, 0.0
        for n, b in self.rungs(s, n0):
            cost += n * (float(b) - (before if self.continues else 0.0))
            before = float(b)
        return cost

    def _planned_size(self, s: int, members: list[Trial], trials: Sequence[Trial]) -> int:
        started = sum(1 for t in members if t.info["rung"] == 0)
        stored = [int(t.info["bracket_size"]) for t in members if "bracket_size" in t.info]
        planned = stored[-1] if stored else self.bracket_size(s)
        if self.timeout is None:
            return planned
        per_unit = self._seconds_per_unit(trials)
        if per_unit is None:
            return planned
        left = self.timeout - (time.monotonic() - self._t0)
        fit = planned
        while fit > 1 and self._cost(s, fit) * per_unit > left:
            fit -= 1
        return max(started, fit)

    def suggest(self, trials: Sequence[Trial], n: int = 1) -> list[Suggestion]:
        if self.resource is None:
            return self._delegate(trials, n)
        scheduled = self._scheduled(trials)
        by_bracket: dict[int, list[Trial]] = {}
        for t in scheduled:
            by_bracket.setdefault(int(t.info["bracket"]), []).append(t)
        out: list[Suggestion] = []
        bracket, owed = 0, 0
        while len(out) < n:
            members = by_bracket.get(bracket, [])
            left = self._left(trials, len(out))
            want = n - len(out) if left is None else min(n - len(out), left - owed)
            if want <= 0:
                break  # the trials left are owed to earlier brackets: each must reach its top rung
            fresh = sum(s.info["parent"] is None for s in out)
            new = self._bracket_next(bracket, members, want, trials, fresh)
            out += new
            owed += self._still_needed(bracket, members, trials) - len(new)
            bracket += 1  # this bracket is done or waiting for running trials: go on with the next
        self.last_explanation = {
            "kind": "hyperband",
            "eta": self.eta,
            "budgets": self.budgets,
            "brackets": self.schedule([*trials]),
        }
        return out

    def _bracket_next(
        self, bracket: int, members: list[Trial], want: int, trials: Sequence[Trial], offset: int
    ) -> list[Suggestion]:
        """What bracket ``bracket`` can start now (possibly nothing: done or waiting)."""
        s = self.bracket_s(bracket)
        n0 = self._planned_size(s, members, trials)
        plan = self.rungs(s, n0)
        by_rung: list[list[Trial]] = [[] for _ in plan]
        for t in members:
            if 0 <= int(t.info["rung"]) < len(by_rung):  # else made under another eta or resource
                by_rung[int(t.info["rung"])].append(t)
        for i, (count, budget) in enumerate(plan):
            info = {"bracket": bracket, "rung": i, "budget": budget, "bracket_size": n0}
            if i == 0:
                missing = count - len(by_rung[0])
                if missing > 0:
                    k = min(want, missing)
                    return [
                        Suggestion(p, {**info, "parent": None})
                        for p in self._fresh(trials, k, self._n_fresh(trials) + offset)
                    ]
            else:
                promoted = {t.info.get("parent") for t in by_rung[i]}
                chosen = self._top(by_rung[i - 1], count)
                pending = [t for t in chosen if t.number not in promoted][:want]
                if pending:
                    return [Suggestion(self._searched_params(t), {**info, "parent": t.number}) for t in pending]
            if any(t.state is TrialState.RUNNING for t in by_rung[i]):
                return []  # the rung is not decided yet
        return []

    def _still_needed(self, bracket: int, members: list[Trial], trials: Sequence[Trial]) -> int:
        """Trials bracket ``bracket`` will still start before its top rung is done (as far as known now)."""
        s = self.bracket_s(bracket)
        plan = self.rungs(s, self._planned_size(s, members, trials))
        needed, feed = 0, plan[0][0]
        for i, (count, _budget) in enumerate(plan):
            rung = [t for t in members if t.info["rung"] == i]
            expect = min(count, feed) if i else count
            needed += max(0, expect - len(rung))
            # what can reach the next rung: finished with a value, or still running
            feed = max(expect - len(rung), 0) + sum(
                t.state is TrialState.RUNNING or math.isfinite(self.loss(t)) for t in rung
            )
        return needed

    def _top(self, rung: list[Trial], count: int) -> list[Trial]:
        done = [t for t in rung if math.isfinite(self.loss(t))]
        return sorted(done, key=lambda t: (self.loss(t), t.number))[:count]

    def should_prune(self, trial: Trial, step: int, trials: Sequence[Trial]) -> str | None:
        info = trial.info
        if self.resource is None or "rung" not in info or not self.resource.is_int:
            return None
        budget = info.get("budget")
        if not isinstance(budget, int) or step < budget or step not in trial.intermediate:
            return None
        bracket, rung = int(info["bracket"]), int(info["rung"])
        s = self.bracket_s(bracket)
        if rung >= s:
            return None  # the top rung: nothing to promote to
        members = [t for t in self._scheduled(trials) if t.info.get("bracket") == bracket]
        n0 = next((int(t.info["bracket_size"]) for t in reversed(members) if "bracket_size" in t.info), None)
        keep = self.rungs(s, n0)[rung + 1][0]
        mine = trial.intermediate[step]
        peers = []
        for t in members:
            if t.number == trial.number or t.info.get("rung") != rung or t.state is not TrialState.COMPLETE:
                continue
            v = t.intermediate.get(step, t.value)
            if v is not None and math.isfinite(v):
                peers.append(v)
        better = sorted((v for v in peers if self.direction.better(v, mine)), key=self.direction.loss)
        if len(better) < keep:
            return None
        threshold = better[keep - 1]
        side = "below" if self.direction is Direction.MAXIMIZE else "above"
        return (
            f"hyperband bracket {bracket}, rung {rung} (budget {budget}): {mine:.6g} at step {step} is "
            f"{side} the promotion threshold {threshold:.6g}, the "
            f"{_ordinal(keep)} best of the {len(peers)} finished rung-mates; only {keep} of "
            f"{self.rungs(s, n0)[rung][0]} go on to budget {self.budgets[self.s_max - s + rung + 1]}"
        )

    def schedule(self, trials: Sequence[Trial]) -> list[dict[str, Any]]:
        """The bracket/rung diagram: one row per rung of each bracket started so far.

        Each row: ``bracket``, ``s``, ``rung``, ``budget``, ``planned`` (configurations
        the rung holds when full), ``started``, ``finished``, ``trials`` (numbers).
        """
        rows = []
        members = self._scheduled(trials)
        for bracket in sorted({int(t.info["bracket"]) for t in members}):
            mine = [t for t in members if t.info["bracket"] == bracket]
            s = self.bracket_s(bracket)
            sizes = [int(t.info["bracket_size"]) for t in mine if "bracket_size" in t.info]
            for i, (count, budget) in enumerate(self.rungs(s, sizes[-1] if sizes else None)):
                rung = [t for t in mine if t.info["rung"] == i]
                rows.append(
                    {
                        "bracket": bracket,
                        "s": s,
                        "rung": i,
                        "budget": budget,
                        "planned": count,
                        "started": len(rung),
                        "finished": sum(t.state.is_finished for t in rung),
                        "trials": [t.number for t in rung],
                    }
                )
        return rows


class ASHAStrategy(_Scheduler):
    """Asynchronous successive halving (Li et al., 2020), suited to parallel workers.

    Whenever a worker is free: if some rung has a finished trial in its best
    ``1/eta`` that was not promoted yet, promote it (the highest such rung
    first) to the next rung's budget; otherwise start a new configuration at
    the smallest budget. No rung ever waits for another, so ``ask_batch``
    keeps every worker busy. All trials are in bracket 0.

    Parameters are those of :class:`HyperbandStrategy`.
    """

    name = "asha"

    def suggest(self, trials: Sequence[Trial], n: int = 1) -> list[Suggestion]:
        if self.resource is None:
            return self._delegate(trials, n)
        scheduled = self._scheduled(trials)
        by_rung: list[list[Trial]] = [[] for _ in self.budgets]
        for t in scheduled:
            if 0 <= int(t.info["rung"]) < len(by_rung):  # else made under another eta or resource
                by_rung[int(t.info["rung"])].append(t)
        promoted = {t.info.get("parent") for t in scheduled}
        out: list[Suggestion] = []
        while len(out) < n:
            end = self._endgame(by_rung, promoted, self._left(trials, len(out)))
            if end == "wait" or (end is not None and out):
                break  # the trials left are owed to taking a configuration to the top rung
            s = end if isinstance(end, Suggestion) else self._promotion(by_rung, promoted)
            if s is None:
                fresh = self._n_fresh(trials) + sum(s.info["parent"] is None for s in out)
                params = self._fresh(trials, 1, fresh)[0]
                s = Suggestion(params, {"bracket": 0, "rung": 0, "budget": self.budgets[0], "parent": None})
            else:
                promoted.add(s.info["parent"])
            out.append(s)
        self.last_explanation = {
            "kind": "asha",
            "eta": self.eta,
            "budgets": self.budgets,
            "rungs": self.schedule([*trials]),
        }
        return out

    def _endgame(self, by_rung: list[list[Trial]], promoted: set[Any], left: int | None) -> Suggestion | str | None:
        """When the trials left just suffice to take one configuration to the top rung, do that.

        Returns the promotion to run, ``"wait"`` when the shortest way up goes
        through a trial still running, or None (no trial limit, a top-rung
        trial exists already, or trials to spare: ordinary ASHA).
        """
        top = len(self.budgets) - 1
        if left is None or top == 0 or by_rung[top]:
            return None
        paths: list[tuple[int, bool, float, Trial]] = []
        for k in range(top):
            for t in by_rung[k]:
                if t.state is TrialState.RUNNING:
                    paths.append((top - k, True, 0.0, t))
                elif math.isfinite(self.loss(t)) and t.number not in promoted:
                    paths.append((top - k, False, self.loss(t), t))
        if not paths or left > min(p[0] for p in paths):
            return None
        need = min(p[0] for p in paths)
        ready = sorted((p for p in paths if p[0] == need and not p[1]), key=lambda p: (p[2], p[3].number))
        if not ready:
            return "wait"
        t, k = ready[0][3], top - need
        promoted.add(t.number)
        info = {"bracket": 0, "rung": k + 1, "budget": self.budgets[k + 1], "parent": t.number}
        return Suggestion(self._searched_params(t), info)

    def _promotion(self, by_rung: list[list[Trial]], promoted: set[Any]) -> Suggestion | None:
        for k in range(len(self.budgets) - 2, -1, -1):
            done = sorted(
                (t for t in by_rung[k] if math.isfinite(self.loss(t))), key=lambda t: (self.loss(t), t.number)
            )
            ready = len([t for t in by_rung[k] if t.state.is_finished])
            for t in done[: _floor_div(ready, self.eta, 1)]:
                if t.number not in promoted:
                    return Suggestion(
                        self._searched_params(t),
                        {"bracket": 0, "rung": k + 1, "budget": self.budgets[k + 1], "parent": t.number},
                    )
        return None

    def schedule(self, trials: Sequence[Trial]) -> list[dict[str, Any]]:
        """One row per rung: ``rung``, ``budget``, ``started``, ``finished``, ``trials``."""
        members = self._scheduled(trials)
        rows = []
        for k, budget in enumerate(self.budgets):
            rung = [t for t in members if t.info["rung"] == k]
            rows.append(
                {
                    "bracket": 0,
                    "s": self.s_max,
                    "rung": k,
                    "budget": budget,
                    "started": len(rung),
                    "finished": sum(t.state.is_finished for t in rung),
                    "trials": [t.number for t in rung],
                }
            )
        return rows


def _ordinal(k: int) -> str:
    return f"{k}{'th' if 10 <= k % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(k % 10, 'th')}"
