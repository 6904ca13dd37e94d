"""Which hyperparameters mattered: fANOVA main effects of a random forest fitted to the trials.

fANOVA (Hutter, Hoos and Leyton-Brown, 2014) fits a random forest to
(parameters -> value) and splits the variance of its prediction over the space
into the part each parameter explains alone. scikit-learn fits the forest;
its prediction's marginals are integrated here by Monte Carlo over the unit
cube (the space's own encoding, so log parameters count in decades and a
category is a category), since scikit-learn has no fANOVA and the exact
tree-by-tree integration of the ``fanova`` package is not maintained. The
importances are the first-order shares, normalised to sum to one, as Optuna's
``FanovaImportanceEvaluator`` reports them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .space import Space
from .trial import Trial, TrialState

__all__ = ["MIN_TRIALS", "param_importance"]

#: Fewer complete trials than this say nothing reliable about importance.
MIN_TRIALS = 8
MAX_ROWS = 2000
_MISSING = -0.5  # an inactive conditional parameter: outside [0, 1], so a tree can split it off


def _encode(trials: Sequence[Trial], space: Space, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    # a baseline whose default lies outside its declared range (allowed: the user's own value) has no
    # place on the searched axes, so it is left out rather than clipped onto them
    done = [
        t
        for t in trials
        if t.state is TrialState.COMPLETE
        and t.value is not None
        and all(space[n].contains(t.params[n]) for n in names if n in t.params)
    ]
    x = np.array(
        [[space[n].to_unit(t.params[n]) if n in t.params else _MISSING for n in names] for t in done], dtype=float
    )
    return x.reshape(len(done), len(names)), np.array([t.value for t in done], dtype=float)


def param_importance(
    trials: Sequence[Trial], space: Space, n_trees: int = 64, n_samples: int = 256, n_grid: int = 16, seed: int = 0
) -> dict[str, float]:
    """The share of the value's variance each parameter explains on its own (sums to 1).

    Parameters
    ----------
    trials : sequence of Trial
        Only complete trials with a value are used, and only those inside the space (a baseline
        whose default lies outside its range is left out).
    space : Space
        The searched space (its resource parameter, if any, is left out).
    n_trees, n_samples, n_grid : int
        Forest size; Monte Carlo points; points along each parameter's axis.
    seed : int
        Makes the forest and the sampling repeatable.

    Returns
    -------
    dict
        Parameter name -> importance, most important first.

    Raises
    ------
    ValueError
        With fewer than :data:`MIN_TRIALS` complete trials.
    """
    from sklearn.ensemble import RandomForestRegressor

    names = [n for n in space.searched.names]
    x, y = _encode(trials, space, names)
    if len(y) < MIN_TRIALS:
        raise ValueError(f"importance needs at least {MIN_TRIALS} complete trials, but the study has {len(y)}")
    rng = np.random.default_rng(seed)
    if len(y) > MAX_ROWS:  # a forest on 10,000 trials would stall the panel for seconds: a sample tells as much
        keep = rng.choice(len(y), MAX_ROWS, replace=False)
        x, y = x[keep], y[keep]
    if np.ptp(y) == 0:
        return {n: 1.0 / len(names) for n in names}
    forest = RandomForestRegressor(n_estimators=n_trees, min_samples_leaf=2, random_state=seed, n_jobs=1)
    forest.fit(x, y)
    base = rng.random((n_samples, len(names)))
    total = float(np.var(forest.predict(base)))
    shares: dict[str, float] = {}
    for i, name in enumerate(names):
        grid = _axis(space, name, n_grid)
        batch = np.repeat(base[None, :, :], len(grid), axis=0)
        batch[:, :, i] = grid[:, None]
        marginal = forest.predict(batch.reshape(-1, len(names))).reshape(len(grid), n_samples).mean(axis=1)
        shares[name] = float(np.var(marginal))
    scale = sum(shares.values()) or total or 1.0
    ranked = sorted(shares.items(), key=lambda kv: -kv[1])
    return {n: v / scale for n, v in ranked}


def _axis(space: Space, name: str, n_grid: int) -> np.ndarray:
    """Points along one parameter in unit coordinates: each category's centre, or an even grid."""
    dist: Any = space[name]
    if hasattr(dist, "choices"):
        return np.array([dist.to_unit(c) for c in dist.choices], dtype=float)
    return (np.arange(n_grid) + 0.5) / n_grid
