"""ParEGO (Knowles, 2006): Bayesian optimization of several objectives through random scalarizations.

Each time a trial finishes, the objectives' losses are normalized to [0, 1]
over the trials so far and folded into one number with a Chebyshev
scalarization under a weight vector drawn at random from the simplex; the
ordinary single-objective GP (:class:`~jhpo.strategies.bayes.BayesStrategy`)
then models that number. Over many trials the weights cover the simplex, so
the proposals spread along the whole Pareto front instead of one end of it.
"""

from __future__ import annotations

import numpy as np

from ..direction import Direction
from ..pareto import losses
from ..trial import Trial, TrialState
from .bayes import BayesStrategy

__all__ = ["ParEGOStrategy"]

#: Weight of the sum term of the augmented Chebyshev scalarization (Knowles' value).
RHO = 0.05
_WEIGHTS = 7_919  # salt of the weight draws (apart from the bayes strategy's own streams)


class ParEGOStrategy(BayesStrategy):
    """The bayes strategy for several objectives (``directions`` set by :mod:`jhpo.strategies.multi`).

    The weight vector depends only on the seed and on how many trials have
    finished, so a resumed study draws the same ones.
    """

    name = "bayes"

    @property  # fixed "minimize": the targets are losses
    def direction(self) -> Direction:
        """Always "minimize": the model's targets are scalarized losses, whatever the objectives' directions."""
        return Direction.MINIMIZE

    @direction.setter
    def direction(self, value: str | Direction) -> None:
        pass  # the base class sets the first objective's direction; the targets are losses regardless

    def weights(self, n_finished: int) -> np.ndarray:
        """The scalarization's weights when ``n_finished`` trials have finished (they sum to 1)."""
        return np.asarray(self.rng(_WEIGHTS, n_finished).dirichlet(np.ones(len(self.directions))), dtype=float)

    def _losses(self, done: list[Trial]) -> np.ndarray:
        dirs = [Direction.parse(d) for d in self.directions]
        out = np.full(len(done), np.inf)
        ok = [
            i
            for i, t in enumerate(done)
            if t.state is TrialState.COMPLETE
            and t.info.get("feasible") is not False
            and t.values is not None
            and len(t.values) == len(dirs)
            and np.all(np.isfinite(t.values))
        ]
        if not ok:
            return out
        f = np.array([losses(done[i].values or [], dirs) for i in ok], dtype=float)
        lo, hi = f.min(axis=0), f.max(axis=0)
        f = (f - lo) / np.where(hi > lo, hi - lo, 1.0)
        w = self.weights(len(done))
        out[ok] = np.max(w * f, axis=1) + RHO * np.sum(w * f, axis=1)
        return out
