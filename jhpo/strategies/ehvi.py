"""Monte-Carlo expected hypervolume improvement for two objectives (experimental, Python API only).

One GP per objective (on standardized losses of the complete, feasible trials);
each candidate's improvement of the current front's hypervolume is averaged over
joint posterior draws (independent objectives). Candidates come from the
ParEGO model's own candidate set (a Sobol design plus perturbations of good
trials), so the two differ only in the acquisition. Measured against ParEGO in
benchmarks/multiobjective.py (``--methods bayes,ehvi``); ParEGO stays the default
(see benchmarks/results/multiobjective.md for why).

Written here rather than taken from botorch, which has qEHVI but needs PyTorch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..direction import Direction
from ..pareto import non_dominated_sort, scored_trials
from . import _gp
from .parego import ParEGOStrategy

__all__ = ["EHVIStrategy", "hv_improvement_2d"]

#: Posterior draws per candidate.
SAMPLES = 64


def hv_improvement_2d(points: np.ndarray, front: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """How much each row of ``points`` (losses) adds to the 2-D hypervolume of ``front`` under ``ref``.

    >>> hv_improvement_2d(np.array([[1.0, 1.0], [3.0, 3.0]]), np.array([[2.0, 2.0]]), np.array([4.0, 4.0])).tolist()
    [5.0, 0.0]
    """
    f = front[np.all(front < ref, axis=1)]
    f = f[np.argsort(f[:, 0])]
    if len(f):
        f = f[np.concatenate([[True], f[1:, 1] < np.minimum.accumulate(f[:, 1])[:-1]])]  # the staircase
    # The staircase splits [.., ref0] into intervals: before the first point the free height reaches
    # ref1; from point i on it reaches point i's second loss.
    starts = np.concatenate([[-np.inf], f[:, 0]])
    ends = np.concatenate([f[:, 0], [ref[0]]])
    levels = np.concatenate([[ref[1]], f[:, 1]])
    a, b = points[:, :1], points[:, 1:2]
    width = np.clip(ends[None, :] - np.maximum(starts[None, :], a), 0.0, None)
    height = np.clip(levels[None, :] - b, 0.0, None)
    return np.asarray((width * height).sum(axis=1), dtype=float)


class EHVIStrategy(ParEGOStrategy):
    """Bayesian optimization of two objectives by Monte-Carlo expected hypervolume improvement.

    Build it with the objectives' directions and pass it as ``strategy=`` to
    :class:`jhpo.Study` (with ``direction=[...]`` of the same two directions).
    """

    def __init__(self, *args: Any, directions: tuple[str, str] = ("minimize", "minimize"), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.directions = tuple(directions)

    def _acquire(
        self, model: Any, pending: list[np.ndarray], rng: np.random.Generator, seen: set[Any], pool: np.ndarray | None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        dirs = [Direction.parse(d) for d in self.directions]
        kept, losses = scored_trials(self._done, dirs)
        if len(kept) < 3 or len(dirs) != 2:
            return super()._acquire(model, pending, rng, seen, pool)
        lo, sd = losses.mean(axis=0), losses.std(axis=0) + 1e-12
        z = (losses - lo) / sd
        X = self.encoder.features(np.array([self._encoded(t)[1] for t in kept], dtype=float))
        posts = [
            _gp.Posterior(_gp.fit_gp(X, z[:, j], [_gp.default_theta(self.encoder.dim)], maxiter=40)) for j in (0, 1)
        ]
        cands = pool if pool is not None else self._candidates(model, rng)
        U = self.searched.impute(self.encoder.snap(cands))
        F = self.encoder.features(U)
        front = z[non_dominated_sort(z) == 0]
        ref = z.max(axis=0) + 0.1 * (z.max(axis=0) - z.min(axis=0)) + 1e-9
        draws = rng.standard_normal((SAMPLES, 2))
        score = np.zeros(len(U))
        moments = [p.predict(F) for p in posts]
        for s in range(SAMPLES):
            y = np.stack([m + np.sqrt(v) * draws[s, j] for j, (m, v) in enumerate(moments)], axis=1)
            score += hv_improvement_2d(y, front, ref)
        for i in np.argsort(-score, kind="stable"):
            if self.searched.key(self.searched.from_unit(U[i])) not in seen:
                return U[i], {"kind": "ehvi", "ehvi": float(score[i] / SAMPLES)}
        return super()._acquire(model, pending, rng, seen, pool)

    def _suggest(self, trials: list[Any], n: int) -> list[Any]:
        self._done = trials  # _acquire reads the trials' values (the base passes only the model)
        return super()._suggest(trials, n)
