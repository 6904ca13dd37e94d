"""Genetic algorithm: a population of configurations evolves over generations.

Generation 0 is a scrambled Sobol design (the cell's defaults, when enqueued as
the baseline, count as one of its members). Every later generation is bred
from the best finished individuals of all earlier generations:

* **Selection.** The parent pool of generation *g* holds the ``population``
  best completed trials of generations ``< g`` (a (mu + lambda) scheme, as
  Optuna's NSGA-II does for one objective). Parents are picked from it by
  tournaments of three. Failed, pruned and interrupted trials get the worst
  fitness and never enter the pool, so they do not breed.
* **Elitism.** The best individuals always stay in the pool, and the first
  ``n_elite`` members of each generation are mutations of the elites alone
  (operator ``"elite"``): a fine-grained search around the best so far.
* **Crossover** respects types: uniform crossover for choices, simulated
  binary crossover (SBX) for numbers in the unit-cube encoding of
  :meth:`jhpo.Space.to_unit`, so log-scaled parameters mix in log space and
  integers are decoded back to integers.
* **Mutation** moves each gene with a probability and a Gaussian scale that
  both shrink from the first to the last generation (choices are redrawn).
* **No duplicates.** A child equal to any trial so far is bred again; when
  that keeps failing a random point is tried, and in a small discrete space
  the untried points are enumerated, so the search ends only when every
  point has been tried.

Population size: ``population`` if given (``--population N``); otherwise
``clamp(round(1.2 * sqrt(n_trials)), 6, 24)``, e.g. 7 for 30 trials, 9 for
60, 12 for 100 (``n_trials`` unknown: 10). The number of generations is then
``ceil(n_trials / population)``; it sets how fast mutation narrows (unknown:
as for 8 generations).

Batches and resume: the strategy keeps no state. Each proposal records
``generation``, ``parents`` (trial numbers), ``operator`` and ``slot`` in
``Suggestion.info``; the generation's members are recomputed from the trials.
Member *j* of generation *g* depends only on the seed, *g*, *j* and the parent
pool, so a generation is the same whether it is asked for at once
(``suggest(trials, population)``, for parallel workers) or one trial at a
time. When a generation is asked for while members of earlier generations
are still running, it breeds from those that have finished (members asked
later in the same generation see the larger pool); a batch larger than the
rest of a generation continues into the next one the same way.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.stats import qmc

from ..space import Choice, Distribution, Float, Int, Space
from ..trial import Trial, TrialState
from . import nsga2
from .base import Strategy, Suggestion

__all__ = ["GeneticStrategy", "default_population", "generation_of"]

# Salts of self.rng(...): one stream per purpose, so adding one never shifts another.
_SOBOL, _BREED, _RANDOM, _ENUM = 1, 2, 3, 4
#: Tries at breeding a child that is not a duplicate before falling back to random points.
_ATTEMPTS = 12
#: Discrete spaces up to this size are enumerated when random tries keep hitting duplicates.
_ENUMERABLE = 200_000


def default_population(n_trials: int | None) -> int:
    """The population size used when ``--population`` is not given.

    ``clamp(round(1.2 * sqrt(n_trials)), 6, 24)``: small populations give more
    generations, which matters more than diversity at the budgets of a notebook
    search (7 individuals for 30 trials, 9 for 60, 12 for 100; measured in
    ``benchmarks/genetic.py``, larger populations did worse there). 10 when
    the number of trials is unknown (a ``--timeout`` search).
    """
    if n_trials is None or n_trials < 1:
        return 10
    return int(min(24, max(6, math.floor(1.2 * math.sqrt(n_trials) + 0.5))))


def _levels(dist: Distribution) -> float:
    """How many values ``dist`` can take (inf for a continuous range)."""
    if isinstance(dist, Choice):
        return len(dist.choices)
    if isinstance(dist, Int):
        return dist.n_levels
    if isinstance(dist, Float) and dist.step is not None:
        return math.floor((dist.high - dist.low) / dist.step + 1e-9) + 1
    return math.inf


def generation_of(trials: Sequence[Trial]) -> list[int]:
    """Each trial's generation; one without (the baseline, an enqueued point) joins the one before it, or 0."""
    out, current = [], 0
    for t in trials:
        g = t.info.get("generation")
        if isinstance(g, int) and not isinstance(g, bool):
            current = g
        out.append(current)
    return out


class GeneticStrategy(Strategy):
    """Evolve a population: tournament selection, elitism, typed crossover, shrinking mutation.

    Parameters
    ----------
    space : Space
        What to search; the ``resource(...)`` parameter is ignored.
    seed : int, optional
        Makes every generation repeatable.
    direction : {"maximize", "minimize"}
    population : int, optional
        Individuals per generation (``--population N``); derived from
        ``n_trials`` when omitted (see :func:`default_population`).
    n_trials : int, optional
        The study's trial budget, used to size the population and to pace the
        narrowing of mutation over the generations.
    n_elite : int, optional
        Members of each generation bred by mutating the elites alone;
        ``max(1, round(population / 5))`` when omitted.
    tournament : int, default 3
        Tournament size of parent selection.
    eta : float, default 5.0
        SBX distribution index (larger: children closer to their parents).

    Examples
    --------
    >>> import jhpo
    >>> study = jhpo.Study({"x": jhpo.uniform(-2, 2), "k": jhpo.choice("a", "b")}, strategy="genetic",
    ...                    seed=0, storage=":memory:", direction="minimize", strategy_options={"population": 6})
    >>> study.optimize(lambda t: t.params["x"] ** 2 + (t.params["k"] == "b"), n_trials=24)
    >>> [t.info["generation"] for t in study.trials][::6]
    [0, 1, 2, 3]
    """

    name = "genetic"
    view = "generations"
    options = {"population": int, "n_trials": int, "n_elite": int, "tournament": int, "eta": float}

    def __init__(
        self,
        space: Space,
        seed: int | None = None,
        direction: str = "maximize",
        population: int | None = None,
        n_trials: int | None = None,
        n_elite: int | None = None,
        tournament: int = 3,
        eta: float = 5.0,
    ) -> None:
        super().__init__(space, seed, direction)
        if population is not None and int(population) < 2:
            raise ValueError(f"population must be at least 2, but got population={population}")
        self.population = int(population) if population is not None else default_population(n_trials)
        self.n_trials = n_trials
        # Generations the budget allows; paces mutation (8 when the budget is unknown).
        self.n_generations = max(2, math.ceil(n_trials / self.population)) if n_trials else 8
        self.n_elite = min(self.population, max(1, round(self.population / 5)) if n_elite is None else int(n_elite))
        self.tournament = max(1, int(tournament))
        self.eta = float(eta)
        self.searched = space.searched
        self._dists = list(self.searched.values())
        # Sobol needs the same scramble on every call; an unseeded study draws one per instance.
        self._scramble = seed if seed is not None else int(np.random.SeedSequence().generate_state(1)[0])

    # -- public ----------------------------------------------------------------------

    def suggest(self, trials: Sequence[Trial], n: int = 1) -> list[Suggestion]:
        """Propose the next ``n`` members: the rest of the current generation, then the next ones.

        Returns fewer (none) only when every point of a discrete space has been tried.
        """
        gens = self.generations(trials)
        seen = {self.searched.key(t.params) for t in trials}
        out: list[Suggestion] = []
        g = max(gens, default=0)
        members = [t for t, tg in zip(trials, gens) if tg == g]
        if len(members) >= self.population:
            g, members = g + 1, []
        pending: list[Suggestion] = []  # members of generation g proposed in this call: they count like trials
        while len(out) < n:
            room = self.population - len(members) - len(pending)
            if room <= 0:
                g, members, pending = g + 1, [], []
                continue
            s = self._next_member(g, trials, gens, members, pending, seen)
            if s is None:
                break  # a discrete space with nothing left
            seen.add(self.searched.key(s.params))
            pending.append(s)
            out.append(s)
        self.last_explanation = (
            {
                "kind": "genetic",
                "population": self.population,
                **{k: out[-1].info[k] for k in ("generation", "operator", "parents")},
            }
            if out
            else None
        )
        return out

    def generations(self, trials: Sequence[Trial]) -> list[int]:
        """The generation of every trial.

        A trial without a recorded generation (the baseline, a user-enqueued
        point) belongs to the generation of the trial before it, or to 0.
        """
        return generation_of(trials)

    def population_history(self, trials: Sequence[Trial]) -> list[dict[str, Any]]:
        """One entry per generation, for the panel and teaching notebooks (pure data).

        Returns
        -------
        list of dict
            ``generation``, ``members`` (trial numbers), ``params``, ``values``
            (None when not complete), ``states``, ``operators``, ``parents``
            (one list per member), ``best`` and ``mean`` over the completed
            members (None when there are none), ``best_so_far`` (over this and
            earlier generations) and ``n_complete``.
        """
        gens = self.generations(trials)
        sign = self.direction.sign
        history: list[dict[str, Any]] = []
        best_so_far: float | None = None
        for g in range(max(gens, default=-1) + 1):
            ts = [t for t, tg in zip(trials, gens) if tg == g]
            done = [t.value for t in ts if t.state is TrialState.COMPLETE and t.value is not None]
            best = max(done, key=lambda v: sign * v) if done else None
            if best is not None and (best_so_far is None or sign * best > sign * best_so_far):
                best_so_far = best
            history.append(
                {
                    "generation": g,
                    "members": [t.number for t in ts],
                    "params": [dict(t.params) for t in ts],
                    "values": [t.value if t.state is TrialState.COMPLETE else None for t in ts],
                    "states": [t.state.value for t in ts],
                    "operators": [
                        t.info.get("operator", "baseline" if t.info.get("baseline") else "enqueued") for t in ts
                    ],
                    "parents": [list(t.info.get("parents", [])) for t in ts],
                    "best": best,
                    "mean": float(np.mean(done)) if done else None,
                    "best_so_far": best_so_far,
                    "n_complete": len(done),
                }
            )
        return history

    def parent_pool(self, trials: Sequence[Trial], generation: int) -> list[Trial]:
        """The individuals generation ``generation`` breeds from, best first.

        The ``population`` best completed trials of the earlier generations
        (ties go to the older trial); failed and pruned trials are left out.
        """
        gens = self.generations(trials)
        return self._pool(trials, gens, generation)

    # -- generations -------------------------------------------------------------------

    def _valid(self, t: Trial) -> bool:
        return self.searched.contains({k: v for k, v in t.params.items() if k in self.searched})

    def _pool(self, trials: Sequence[Trial], gens: Sequence[int], g: int) -> list[Trial]:
        done = [t for t, tg in zip(trials, gens) if tg < g and math.isfinite(self.loss(t)) and self._valid(t)]
        return self.select(done, self.population)

    def select(self, scored: Sequence[Trial], k: int) -> list[Trial]:
        """The selection step: the ``k`` survivors among ``scored`` (completed trials), best first.

        One objective: the ``k`` smallest losses (ties go to the older trial). Several objectives:
        NSGA-II's order (Pareto rank, then crowding distance). Parents are then drawn from the
        survivors by tournaments on their rank.
        """
        if self.directions:
            return nsga2.select(scored, self.directions, k)
        return sorted(scored, key=lambda t: (self.loss(t), t.number))[:k]

    def _next_member(
        self,
        g: int,
        trials: Sequence[Trial],
        gens: Sequence[int],
        members: Sequence[Trial],
        pending: Sequence[Suggestion],
        seen: set[Any],
    ) -> Suggestion | None:
        slots = [int(t.info["slot"]) for t in members if isinstance(t.info.get("slot"), int)]
        slots += [int(s.info["slot"]) for s in pending]
        slot = 1 + max(slots, default=-1)
        if g == 0:
            return self._initial(slot, seen)
        pool = self._pool(trials, gens, g)
        if not pool:  # nothing finished yet (or all failed): keep exploring with the design
            return self._initial(slot, seen, generation=g)
        return self._bred(g, slot, pool, seen)

    def _initial(self, start: int, seen: set[Any], generation: int = 0) -> Suggestion | None:
        """The next Sobol point (from index ``start``) that has not been tried."""
        d = len(self.searched)
        if d == 0:
            return None if self.searched.key({}) in seen else Suggestion({}, self._info(generation, [], "init", 0))
        # In generation 0 the slot is the Sobol index; later generations without parents
        # continue the design from an offset of their own so that they do not repeat it.
        offset = 0 if generation == 0 else (1_000_003 * generation) % 2**29  # Sobol holds 2**30 points
        engine = qmc.Sobol(d=d, scramble=True, seed=np.random.default_rng([self._scramble & 0xFFFFFFFF, _SOBOL]))
        if offset + start:  # fast_forward(0) overflows in scipy
            engine.fast_forward(offset + start)
        batch = 4 * self.population + 16
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "balance properties ... power of 2": fine for a stream
            points = engine.random(batch)
        for i, u in enumerate(points):
            params = self.searched.from_unit(u)
            if self.searched.key(params) not in seen:
                return Suggestion(params, self._info(generation, [], "init", start + i))
        return self._fallback(generation, start + batch - 1, seen)

    def _bred(self, g: int, slot: int, pool: Sequence[Trial], seen: set[Any]) -> Suggestion | None:
        t = min(1.0, (g - 1) / max(1, self.n_generations - 2))  # 0 at generation 1, 1 at the last
        d = max(1, len(self.searched))
        # Per-gene mutation probability and Gaussian scale (unit cube) shrink over the generations.
        rate = max(1.0 / d, 0.5 * (1 - t) + 0.15 * t)
        sigma = 0.25 * (0.03 / 0.25) ** t
        elite = slot < min(self.n_elite, len(pool))
        # A gene the parent does not have (an inactive parameter) is drawn afresh, never bred.
        fill = self.rng(_BREED, g, slot, _ATTEMPTS)
        units = [self.searched.to_unit(p.params, fill=fill) for p in pool]
        for attempt in range(_ATTEMPTS):
            rng = self.rng(_BREED, g, slot, attempt)
            # Repeated duplicates: widen the mutation so that the child escapes the crowd.
            widen = 1.0 + attempt / 3
            if elite:
                parents = [slot]
                u = units[slot].copy()
                u = self._mutate(u, rng, rate, 0.5 * sigma * widen, at_least_one=True)
                operator = "elite"
            else:
                a = self._tournament(pool, rng)
                b = self._tournament(pool, rng, avoid=a)
                parents = [a, b]
                u = self._crossover(units[a], units[b], rng)
                u = self._mutate(u, rng, rate, sigma * widen, at_least_one=attempt > 0)
                operator = "crossover+mutation"
            params = self.searched.from_unit(u)
            if self.searched.key(params) not in seen:
                return Suggestion(params, self._info(g, [pool[i].number for i in parents], operator, slot))
        return self._fallback(g, slot, seen)

    def _fallback(self, g: int, slot: int, seen: set[Any]) -> Suggestion | None:
        """A random untried point; in a small discrete space, an enumerated one (None: none left)."""
        for attempt in range(_ATTEMPTS):
            params = self.searched.sample(self.rng(_RANDOM, g, slot, attempt))
            if self.searched.key(params) not in seen:
                return Suggestion(params, self._info(g, [], "random", slot))
        size = math.prod(_levels(dist) for dist in self._dists)
        if size > _ENUMERABLE:
            # Continuous or large: random points essentially never all collide; try harder.
            for attempt in range(_ATTEMPTS, 20 * _ATTEMPTS):
                params = self.searched.sample(self.rng(_RANDOM, g, slot, attempt))
                if self.searched.key(params) not in seen:
                    return Suggestion(params, self._info(g, [], "random", slot))
            return None
        levels = [dist.grid(int(_levels(dist))) for dist in self._dists]
        names = list(self.searched)
        left = [self.searched.prune(dict(zip(names, combo))) for combo in itertools.product(*levels)]
        left = [p for p in left if self.searched.key(p) not in seen]
        if not left:
            return None
        pick = left[int(self.rng(_ENUM, g, slot).integers(len(left)))]
        return Suggestion(pick, self._info(g, [], "random", slot))

    # -- operators ---------------------------------------------------------------------

    def _tournament(self, pool: Sequence[Trial], rng: np.random.Generator, avoid: int | None = None) -> int:
        """Index (into the pool, which is sorted best first) of a tournament's winner."""
        candidates = [i for i in range(len(pool)) if i != avoid] or [0]
        k = min(self.tournament, len(candidates))
        return int(min(rng.choice(candidates, size=k, replace=False)))

    def _crossover(self, ua: np.ndarray, ub: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        child = ua.copy()
        for i, dist in enumerate(self._dists):
            if isinstance(dist, Choice):
                child[i] = ua[i] if rng.random() < 0.5 else ub[i]  # uniform crossover
                continue
            # Simulated binary crossover: children spread around the parents as a
            # one-point crossover of binary strings would (Deb & Agrawal 1995).
            r = rng.random()
            beta = (2 * r) ** (1 / (self.eta + 1)) if r <= 0.5 else (1 / (2 * (1 - r))) ** (1 / (self.eta + 1))
            sign = 1.0 if rng.random() < 0.5 else -1.0
            child[i] = 0.5 * ((ua[i] + ub[i]) + sign * beta * (ua[i] - ub[i]))
        return _reflect(child)

    def _mutate(
        self, u: np.ndarray, rng: np.random.Generator, rate: float, sigma: float, at_least_one: bool
    ) -> np.ndarray:
        hit = rng.random(len(u)) < rate
        if at_least_one and len(u) and not hit.any():
            hit[int(rng.integers(len(u)))] = True
        noise = rng.normal(0.0, sigma, len(u))
        redraw = rng.random(len(u))
        for i, dist in enumerate(self._dists):
            if not hit[i]:
                continue
            if isinstance(dist, Choice):
                k = len(dist.choices)
                if k > 1:  # another choice, uniformly
                    j = min(int(u[i] * k), k - 1)
                    other = int(redraw[i] * (k - 1))
                    u[i] = (other + (other >= j) + 0.5) / k
                continue
            step = noise[i]
            if isinstance(dist, Int) or (isinstance(dist, Float) and dist.step is not None):
                # A discrete number must move at least one level, or the mutation is lost.
                width = 1.0 / _levels(dist) if not (isinstance(dist, Int) and dist.log) else 0.0
                if abs(step) < width:
                    step = math.copysign(width, step)
            u[i] = u[i] + step
        return _reflect(u)

    def _info(self, g: int, parents: list[int], operator: str, slot: int) -> dict[str, Any]:
        return {"generation": g, "parents": parents, "operator": operator, "slot": slot, "population": self.population}


def _reflect(u: np.ndarray) -> np.ndarray:
    """Fold values back into [0, 1] by reflection at the bounds (clipping would pile them at the edges)."""
    u = np.mod(u, 2.0)
    return np.where(u > 1.0, 2.0 - u, u)
