"""Population-based training (Jaderberg et al., 2017; Ray Tune's ``PopulationBasedTraining``).

A population of ``population`` members trains in intervals of the cell's
``resource(lo, hi)``: interval ``k`` takes every member from budget
``b[k-1]`` to ``b[k]`` (``b`` splits ``hi`` into ``intervals`` equal steps). Each
member-interval is one trial. When an interval is finished, a member in the
worst ``quantile`` copies the hyperparameters *and weights* of a member of the
best ``quantile`` (exploit) and perturbs the hyperparameters (explore: numbers
times 0.8 or 1.2, a choice shifted to a neighbour, or with probability
``resample`` a fresh draw); the others go on unchanged. The result is a
*schedule*: each surviving member's hyperparameters over training time
(:func:`schedule`), e.g. a learning rate that decays on its own.

Weights travel with ``jhpo.checkpoint(model, ...)`` in the cell (see
:mod:`jhpo.checkpoints`): a trial continues from the trial in its
``info["parent"]`` - its own member's previous interval, or the member it
exploited. A cell without it retrains from scratch to ``b[k]`` with the
member's current hyperparameters (correct, but it wastes the budget).

Intervals are synchronous, like Hyperband's rungs: interval ``k`` starts when
interval ``k-1`` is done, so with ``--n-jobs`` a worker may wait. Everything
is recorded in each trial's ``info`` (``member``, ``interval``, ``budget``,
``parent``, ``exploited``, ``perturbed``), so the schedule and the lineage are
rebuilt from the stored trials, on ``--resume`` too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..direction import Direction
from ..errors import UsageProblem
from ..space import Choice, Float, Int, Resource, Space, Value
from ..trial import Trial, TrialState
from .base import Strategy, Suggestion

__all__ = ["PBTStrategy", "lineage", "schedule"]


class PBTStrategy(Strategy):
    """Population-based training over the cell's resource (``--strategy pbt``).

    Parameters
    ----------
    space, seed, direction
        As for every strategy; the space needs a ``resource(lo, hi)``.
    population : int, optional
        Members trained side by side; by default ``n_trials // intervals``
        clipped to 4..16 (8 when the trial count is unknown).
    intervals : int, default 5
        Exploit/explore points: the budget ``hi`` is split into this many steps.
    quantile : float, default 0.25
        The worst share copies from the best share.
    resample : float, default 0.25
        Chance that explore draws a parameter afresh instead of perturbing it.
    n_trials : int, optional
        The search's trial count (sizes the population).
    """

    name = "pbt"
    view = "population"
    hands_out_budget = True
    options = {"population": int, "intervals": int, "quantile": float, "resample": float, "n_trials": int}

    def __init__(
        self,
        space: Space,
        seed: int | None = None,
        direction: str | Direction = "maximize",
        population: int | None = None,
        intervals: int = 5,
        quantile: float = 0.25,
        resample: float = 0.25,
        n_trials: int | None = None,
    ) -> None:
        super().__init__(space, seed=seed, direction=direction)
        res = space.resource_name
        if res is None:
            raise UsageProblem(
                "--strategy pbt trains a population in intervals of a budget: annotate it, "
                "e.g. `epochs = 27  # tune: resource(1, 27)`"
            )
        if intervals < 1 or not 0 < quantile <= 0.5 or not 0 <= resample <= 1:
            raise UsageProblem(
                f"need intervals >= 1, 0 < quantile <= 0.5 and 0 <= resample <= 1, but got "
                f"({intervals}, {quantile}, {resample})"
            )
        self.resource: Resource = space[res]  # type: ignore[assignment]
        self.intervals = int(intervals)
        if population is None:
            population = 8 if n_trials is None else min(16, max(4, n_trials // self.intervals))
        self.population = int(population)
        self.quantile, self.resample = float(quantile), float(resample)
        hi = float(self.resource.high)
        self.budgets: list[Value] = [self.resource.clip(hi * k / self.intervals) for k in range(1, self.intervals + 1)]

    # -- proposals ------------------------------------------------------------------

    def suggest(self, trials: Sequence[Trial], n: int = 1) -> list[Suggestion]:
        members = [t for t in trials if "member" in t.info and t.state is not TrialState.INTERRUPTED]
        out: list[Suggestion] = []
        for k in range(self.intervals):
            now = [t for t in members if t.info["interval"] == k]
            started = {int(t.info["member"]) for t in now}
            for m in range(self.population):
                if len(out) >= n:
                    break
                if m not in started:
                    out.append(self._fresh(m) if k == 0 else self._next(m, k, members))
                    started.add(m)
            if len(out) >= n or any(t.state is TrialState.RUNNING for t in now) or out:
                break  # this interval is not done: the next one waits for it
        self.last_explanation = {"kind": "pbt", "budgets": self.budgets, "population": self.population}
        return out

    def adopt(self, queued: Suggestion, trials: Sequence[Trial]) -> Suggestion:
        """The baseline becomes a member of the first interval, like any configuration."""
        slot = self.suggest(trials, 1)
        if not slot or slot[0].info["interval"] != 0:
            return queued
        params = {k: v for k, v in queued.params.items() if k != self.space.resource_name}
        return Suggestion(params, {**queued.info, **slot[0].info})

    def _fresh(self, m: int) -> Suggestion:
        params = self.space.searched.sample(self.rng(0, m))
        return Suggestion(params, self._info(m, 0, None, None))

    def _info(self, m: int, k: int, parent: int | None, exploited: int | None) -> dict[str, Any]:
        return {"member": m, "interval": k, "budget": self.budgets[k], "parent": parent, "exploited": exploited}

    def _next(self, m: int, k: int, members: list[Trial]) -> Suggestion:
        prev = [t for t in members if t.info["interval"] == k - 1]
        ranked = sorted(prev, key=lambda t: (self.loss(t), t.number))
        mine = next((t for t in prev if t.info["member"] == m), None)
        q = max(1, int(math.floor(len(ranked) * self.quantile + 1e-9)))
        top = [t for t in ranked[:q] if math.isfinite(self.loss(t))]
        worst = {t.number for t in ranked[-q:]} if len(ranked) > q else set()
        if mine is not None and (mine.number not in worst or not top):
            return Suggestion(self._searched(mine), self._info(m, k, mine.number, None))
        if not top:  # nothing finished with a value: start this member afresh
            return Suggestion(self._fresh(m).params, self._info(m, k, None, None))
        rng = self.rng(k, m, 1)
        donor = top[int(rng.integers(len(top)))]
        params, perturbed = self._explore(self._searched(donor), rng)
        info = self._info(m, k, donor.number, int(donor.info["member"]))
        info["perturbed"] = perturbed
        return Suggestion(params, info)

    def _searched(self, t: Trial) -> dict[str, Value]:
        return {k: v for k, v in t.params.items() if k != self.space.resource_name}

    def _explore(self, params: dict[str, Value], rng: np.random.Generator) -> tuple[dict[str, Value], dict[str, str]]:
        """Perturb each searched value as Ray Tune's PBT does; returns the new values and what was done."""
        out, done = dict(params), {}
        for name, dist in self.space.searched.items():
            v = out.get(name)
            if v is None or isinstance(dist, Resource):
                continue  # an inactive conditional parameter stays inactive
            if rng.random() < self.resample:
                out[name], done[name] = dist.sample(rng), "resampled"
            elif isinstance(dist, Choice):
                i = dist.index(v) + (1 if rng.random() < 0.5 else -1)
                out[name], done[name] = dist.choices[min(max(i, 0), len(dist.choices) - 1)], "shifted"
            elif isinstance(dist, (Float, Int)) and not isinstance(v, (bool, str)):
                factor = 1.2 if rng.random() < 0.5 else 0.8
                u = min(1.0, max(0.0, dist.to_unit(float(v) * factor)))
                out[name], done[name] = dist.from_unit(u), f"x{factor}"
        return out, done

    def explain(self) -> dict[str, Any] | None:
        return self.last_explanation


def lineage(trials: Sequence[Trial]) -> list[dict[str, Any]]:
    """One row per PBT trial: ``trial``, ``member``, ``interval``, ``parent`` and ``exploited`` (donor member)."""
    return [
        {k: t.info.get(k) for k in ("member", "interval", "parent", "exploited")} | {"trial": t.number}
        for t in trials
        if "member" in t.info
    ]


def schedule(trials: Sequence[Trial]) -> dict[int, list[dict[str, Any]]]:
    """Each survivor's hyperparameters over training time: member -> rows of ``budget``, ``trial``, params.

    A survivor is a member with a finished trial in the last interval reached;
    its rows follow ``info["parent"]`` back to the first interval, so an exploit
    shows as the donor's history up to that point and the perturbed values after.
    """
    by_number = {t.number: t for t in trials if "member" in t.info}
    if not by_number:
        return {}
    last = max(t.info["interval"] for t in by_number.values())
    out: dict[int, list[dict[str, Any]]] = {}
    for t in by_number.values():
        if t.info["interval"] != last or t.state is not TrialState.COMPLETE:
            continue
        rows: list[dict[str, Any]] = []
        cur: Trial | None = t
        while cur is not None:
            rows.append(
                {
                    "interval": cur.info["interval"],
                    "budget": cur.info["budget"],
                    "trial": cur.number,
                    "member": cur.info["member"],
                    "exploited": cur.info.get("exploited"),
                    **cur.params,
                }
            )
            parent = cur.info.get("parent")
            cur = by_number.get(parent) if parent is not None else None
        out[int(t.info["member"])] = rows[::-1]
    return dict(sorted(out.items()))
