"""Bayesian optimization: a Gaussian-process model of the objective proposes the next trials.

How a proposal is made (each step is rebuilt from the trials, so ``--resume`` needs nothing else):

1. **Encoding.** Each parameter becomes a column of the unit cube (log parameters in log space,
   integers relaxed to a continuum and rounded back), each ``choice`` becomes one-hot columns.
2. **Objective.** Values become losses; the bad tail beyond the upper Tukey fence is squashed
   logarithmically (one diverged run must not flatten the model), and the result is standardized.
   Losses are not logged by default (``output_warp="squash"``): a log made Branin's optima deep,
   narrow wells the model could not resolve (3 of 10 seeds within 1 % in 30 trials against 7), and
   it changes nothing on objectives that can be negative (scores); ``"log"`` (log when positive
   losses span 100x), ``"fence"`` (only Tukey's fence) and ``"power"`` (Yeo-Johnson, HEBO's output
   warping) were measured too (``benchmarks/results/bayes-variants.md``). Failed and pruned trials get the
   worst value seen, so the model learns to stay away from where they happened.
   **Prior mean: the worst.** Target 0, the GP's prior mean, stands for the worst (squashed) loss
   seen, not the average (``prior_mean="worst"``): where there are no trials the model expects
   the worst and only its uncertainty can make a point worth a trial. With the average as the
   prior mean, every corner far from the trials looked as good as a typical trial plus a wide
   band, and the search spent its trials on the corners of the box (a gradient boosting run
   tried ``learning_rate=0.001`` in three corners after it had seen chance-level accuracy
   there). De Ath et al. (GECCO 2020, "What do you mean? The role of the mean function in
   Bayesian optimisation") found the worst observed value the best constant mean across their
   test functions. Measured on the quality suite (paired by seed against the average):
   ``benchmarks/results/bayes-variants.md``, round 4.
3. **Model.** scikit-learn's ``GaussianProcessRegressor`` with ``C * Matern(5/2, one length scale
   per column) + White``; hyper-parameters by MAP, warm-started from the previous fit (stored
   in ``info["gp_theta"]``). The length scales' prior scales with the dimension (Hvarfner et al.
   2024, BoTorch's default since 0.12; ``length_prior="dim"``): on the 11-problem quality suite
   it raised the mean normalized score at 10/20/30 trials by 3-4 points over the
   dimension-free prior used before (``benchmarks/results/bayes-variants.md``).
   **Choices and numbers together** (``choice_kernel="shared"``, the default when the space has
   both): a second Matern term that sees only the numeric features is added,
   ``s2 * k(all features) + s2b * k(numeric features)``, the sum part of BoTorch's
   ``MixedSingleTaskGP``. What the trials say about a learning rate then holds for every level of
   a choice (the second term), while each level keeps its own shape (the first). With the choices
   only one-hot in the one kernel (``"onehot"``, the default before), a level tried twice at bad
   numeric settings looked bad everywhere. Measured on the six problems of the quality suite that
   have a choice (80 seeds, paired): +3.1 ± 2.8 normalized points at 20 trials, +0.7 ± 2.5 at 30;
   the decision tree +4.7 ± 4.1 at 30 (``benchmarks/results/bayes-variants.md``, round 7).
   Input warping (``input_warp="kumaraswamy"``, off by default): a learned Kumaraswamy CDF per
   numeric feature (Snoek et al. 2014; HEBO, BoTorch's ``Warp``), fitted with the kernel by MAP
   once ten trials have finished (before that the kernel alone: with fewer points the warp
   overfitted); its log a and log b follow the kernel's theta in ``gp_theta``. Measured (30
   trials, normalized score, paired by seed over the 11-problem suite, 20 seeds): +3.1 ± 3.7
   at 30 trials, +2.0 ± 3.1 at 20, identical at 10; even on the 4 synthetic problems (81.6
   against 82.5), ahead on the 7 scikit-learn ones (+6.2 ± 6.8). A small gain, not a
   significant one, and the model then steers less well around failures (a region that always
   fails: 5.8 failed trials of the last 20 against 4.3, 6 seeds), so it stays an option.
4. **Initial design.** A scrambled Sobol sequence until ``n_initial`` trials exist (the cell's
   defaults, trial 0, count as one of them): 5 points for a space of numbers, as Ax's design
   whatever the dimension; a space with a choice gets one point per parameter and one more
   (5 to 10), so that the levels get tried before the model judges them (:func:`default_initial`).
   Sobol points do not promise every level: on the mixed quality problem (6 points, 3 optimizers)
   one optimizer was missing on 10 of 40 seeds. Forcing each level into the design cost more
   than it gained on the suite (svc -10.8 ± 8.4 at 10 trials, 80 seeds), and so did a larger
   design (``bayes-variants.md``, round 7).
5. **Acquisition.** log expected improvement (stable when improvements are tiny), evaluated on
   2,048 Sobol candidates and perturbations of the best trials, then refined by L-BFGS-B from
   the 20 best candidates (choices held fixed, integers relaxed; BoTorch's ``optimize_acqf``
   defaults are 1,024 raw samples and 20 restarts); the winner is rounded back into the space
   and is never an exact duplicate of an earlier trial.
6. **Batches.** Running trials and the earlier members of a batch are "kriging believers": the
   model pretends it observed its own mean there, which leaves the mean alone and removes the
   uncertainty, so the next pick goes elsewhere.

Why a point was chosen lands in ``info["why"]`` (see :meth:`BayesStrategy.explain`), and
:meth:`BayesStrategy.slice` gives the model's mean, uncertainty and acquisition on any 1-D or 2-D
slice of the space for plots.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats
from scipy.optimize import minimize
from scipy.stats import qmc
from threadpoolctl import threadpool_limits

from ..space import Choice, Float, Int, Space, Value
from ..trial import Trial, TrialState
from . import _gp
from .base import Strategy, Suggestion

__all__ = ["BayesStrategy", "default_initial"]

MAX_FIT_POINTS = 250  # beyond this the model is fitted on the best trials plus a random subset
MAX_ENUMERATE = 4096  # discrete spaces up to this size are scored point by point
LOG_RATIO = 100.0  # positive losses spanning more than this factor are modelled in log space
SKEW = 6.0  # a bad tail this many times longer than the good half is squashed from the median
WARPS = ("log", "squash", "fence", "power")
INPUT_WARPS = ("none", "kumaraswamy")
PRIOR_MEANS = ("worst", "mean")
CHOICE_KERNELS = ("onehot", "shared")
# The input warp is learned from this many finished trials on: 2 more parameters per numeric
# feature overfit the initial design (learned from the start, with BoTorch's tutorial prior, it
# cost 9 and 19 normalized points at 10 and 20 trials on the synthetic quality problems).
WARP_MIN_POINTS = 10
N_REFINE = 20  # acquisition restarts: L-BFGS-B from the best candidates
LOCAL_SD = (0.02, 0.1)  # perturbation scales around the best trials (unit cube)


class _Encoder:
    """Maps points of the parameter cube ``U`` (one column per parameter) to model features."""

    def __init__(self, space: Space) -> None:
        self.space = space
        self.dists = list(space.values())
        self.numeric = [j for j, d in enumerate(self.dists) if not isinstance(d, Choice)]
        self.choices = [
            (j, len(d.choices)) for j, d in enumerate(self.dists) if isinstance(d, Choice) and len(d.choices) > 1
        ]
        self.dim = len(self.numeric) + sum(k for _, k in self.choices)

    def snap(self, U: np.ndarray) -> np.ndarray:
        """Round each numeric column to the position of the value it decodes to."""
        U = np.clip(np.array(U, dtype=float), 0.0, 1.0)
        for j in self.numeric:
            d, u = self.dists[j], U[:, j]
            if isinstance(d, Int):
                if d.log:
                    lo = math.log(d.low - 0.5 if d.low > 1 else d.low * 0.5)
                    hi = math.log(d.high + 0.5)
                    x = np.clip(np.round(np.exp(lo + u * (hi - lo))), d.low, d.high)
                    U[:, j] = np.clip((np.log(x) - lo) / (hi - lo), 0.0, 1.0)
                else:
                    idx = np.minimum(np.floor(u * d.n_levels), d.n_levels - 1)
                    U[:, j] = (idx + 0.5) / d.n_levels
            elif isinstance(d, Float) and d.step is not None:
                raw = d.low + u * (d.high - d.low)
                xs = np.clip(d.low + np.round((raw - d.low) / d.step) * d.step, d.low, d.high)
                U[:, j] = (xs - d.low) / (d.high - d.low)
        return U

    def features(self, U: np.ndarray, snap: bool = True) -> np.ndarray:
        U = self.snap(U) if snap else np.clip(U, 0.0, 1.0)
        cols = [U[:, self.numeric]]
        for j, k in self.choices:
            idx = np.minimum(np.floor(U[:, j] * k), k - 1).astype(int)
            cols.append(np.eye(k)[idx])
        return np.hstack(cols) if cols else np.zeros((len(U), 0))

    def unit(self, params: Mapping[str, Value]) -> np.ndarray:
        return self.space.to_unit(params)

    def finite_size(self) -> int | None:
        """How many distinct configurations the space holds, if it is discrete."""
        if self.space.conditions:  # an inactive parameter does not multiply the configurations
            return self.space.n_configurations()
        size = 1
        for d in self.dists:
            if isinstance(d, Choice):
                size *= len(d.choices)
            elif isinstance(d, Int):
                size *= d.n_levels
            elif isinstance(d, Float) and d.step is not None:
                size *= int(math.floor((d.high - d.low) / d.step + 1e-9)) + 1
            else:
                return None
            if size > 10**9:
                return None
        return size


def _level(targets: np.ndarray, level: str) -> float:
    """What target 0, the GP's prior mean, stands for (``prior_mean``): the worst or the average."""
    return float(targets.max() if level == "worst" else targets.mean())


@dataclass
class _Warp:
    """Losses -> standardized model targets, and back (for the mean and std in objective units)."""

    log: bool
    fence: float
    scale: float
    mean: float  # the (squashed) loss that target 0, the GP's prior mean, stands for
    std: float
    sign: float  # +1: the objective is minimized; -1: maximized (losses are -value)

    @classmethod
    def fit(
        cls, losses: np.ndarray, sign: float, adaptive: bool = True, log_ok: bool = True, level: str = "worst"
    ) -> _Warp:
        """``adaptive=False``: no log and no squashing from the median, only Tukey's fence;
        ``log_ok=False``: no log; ``level``: what target 0 stands for (see ``prior_mean``)."""
        log = adaptive and log_ok and bool(losses.min() > 0 and losses.max() / losses.min() >= LOG_RATIO)
        v = np.log(losses) if log else losses
        lo, med, hi = np.percentile(v, [0, 50, 100])
        # A bad tail much longer than the good half (chance-level accuracy, a diverged model)
        # carries no shape worth modelling: squash everything worse than the median. Otherwise
        # the objective keeps its shape and only loses its outliers (Tukey's fence).
        if adaptive and hi - med > SKEW * (med - lo):
            scale = float(med - lo) or float(v.std()) or 1.0
            w = cls(log, float(med), scale, 0.0, 1.0, sign)
        else:
            q25, q75 = np.percentile(v, [25, 75])
            scale = float(q75 - q25) or float(v.std()) or 1.0
            w = cls(log, float(q75 + 1.5 * scale), scale, 0.0, 1.0, sign)
        s = w._squash(v)
        w.mean, w.std = _level(s, level), float(s.std()) or 1.0
        return w

    def _squash(self, v: np.ndarray) -> np.ndarray:
        over = np.maximum(v - self.fence, 0.0)
        return np.where(v > self.fence, self.fence + self.scale * np.log1p(over / self.scale), v)

    def forward(self, losses: np.ndarray) -> np.ndarray:
        v = np.log(losses) if self.log else losses
        return (self._squash(v) - self.mean) / self.std

    def value(self, z: np.ndarray | float) -> np.ndarray:
        """A model target back in the objective's units and direction."""
        s = np.asarray(z, dtype=float) * self.std + self.mean
        over = np.minimum(np.maximum(s - self.fence, 0.0) / self.scale, 700.0)
        v = np.where(s > self.fence, self.fence + self.scale * np.expm1(over), s)
        loss = np.exp(np.minimum(v, 700.0)) if self.log else v
        return self.sign * loss

    def spread(self, z: np.ndarray, sd: np.ndarray) -> np.ndarray:
        """The model's standard deviation carried into objective units (delta method)."""
        return np.asarray(np.abs(self.value(z + sd) - self.value(z - sd)) / 2.0, dtype=float)


@dataclass
class _PowerWarp:
    """Losses -> standardized, Yeo-Johnson-transformed targets (HEBO's output warping), and back.

    The losses are standardized, the Yeo-Johnson exponent is fitted by maximum likelihood
    (scipy) so that the targets look as Gaussian as a power can make them, and the result is
    standardized again. Unlike a fixed log this keeps a deep, narrow optimum (Branin's) smooth
    when the data do not call for a log, and tames a long bad tail when they do.
    """

    loc: float
    scale: float
    lam: float
    mean: float
    std: float
    sign: float

    @classmethod
    def fit(cls, losses: np.ndarray, sign: float, level: str = "worst") -> _PowerWarp:
        loc, scale = float(losses.mean()), float(losses.std()) or 1.0
        x = (losses - loc) / scale
        lam = 1.0
        if len(x) >= 3 and np.ptp(x) > 0:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                lam = float(np.clip(stats.yeojohnson_normmax(x), -2.0, 4.0))
        t = stats.yeojohnson(x, lam)
        return cls(loc, scale, lam, _level(t, level), float(t.std()) or 1.0, sign)

    def forward(self, losses: np.ndarray) -> np.ndarray:
        x = (np.asarray(losses, dtype=float) - self.loc) / self.scale
        return np.asarray((stats.yeojohnson(x, self.lam) - self.mean) / self.std, dtype=float)

    def value(self, z: np.ndarray | float) -> np.ndarray:
        t = np.asarray(z, dtype=float) * self.std + self.mean
        lam = self.lam
        with np.errstate(all="ignore"):
            pos = np.expm1(t) if abs(lam) < 1e-9 else np.power(np.maximum(t * lam + 1.0, 0.0), 1.0 / lam) - 1.0
            neg = (
                -np.expm1(-t)
                if abs(lam - 2.0) < 1e-9
                else 1.0 - np.power(np.maximum(1.0 - (2.0 - lam) * t, 0.0), 1.0 / (2.0 - lam))
            )
        x = np.where(t >= 0, pos, neg)
        return np.asarray(self.sign * (x * self.scale + self.loc), dtype=float)

    def spread(self, z: np.ndarray, sd: np.ndarray) -> np.ndarray:
        """The model's standard deviation carried into objective units (delta method)."""
        return np.asarray(np.abs(self.value(z + sd) - self.value(z - sd)) / 2.0, dtype=float)


@dataclass
class _Model:
    posterior: _gp.Posterior
    warp: _Warp | _PowerWarp
    best_z: float  # the best observed target (model units)
    best_value: float  # the same in objective units
    theta: list[float]


def default_initial(space: Space) -> int:
    """The initial design's size for ``space`` (its searched parameters).

    Five points, Ax's design, when every parameter is a number: on the quality suite's numeric
    spaces of more than four parameters it gained 37.2 normalized points on sparse8 at 10 trials
    and cost 3.0 on Hartmann-6, level by 30 trials (40 seeds). With a choice the design grows with
    the dimension, ``clip(d + 1, 5, 10)``: five points whatever the space left a conditional
    space's better branch unexplored on 4 of 20 seeds, against 1 of 20, and the model then
    commits to the levels it saw (``benchmarks/results/bayes-variants.md``, rounds 4 and 6).
    """
    if not any(isinstance(d, Choice) and len(d.choices) > 1 for d in space.values()):
        return 5
    return int(np.clip(len(space) + 1, 5, 10))


class BayesStrategy(Strategy):
    """Gaussian-process Bayesian optimization with log expected improvement.

    Parameters
    ----------
    space : Space
    seed : int, optional
    direction : {"maximize", "minimize"}
    n_initial : int, optional
        Size of the Sobol initial design (the baseline counts as one point); by default
        :func:`default_initial`: 5 when every searched parameter is a number, ``clip(d + 1, 5,
        10)`` for ``d`` searched parameters when one is a choice.
    n_candidates : int
        Sobol candidates scored per proposal before the L-BFGS-B refinement.
    output_warp : {"squash", "log", "fence", "power"}
        How losses become model targets (see the module notes).
    length_prior : {"dim", "local"}
        The prior on the GP's length scales, fitted by MAP: ``"dim"`` scales with the number
        of model features (Hvarfner et al. 2024, BoTorch's default); ``"local"`` is the
        dimension-free prior used before (mode 0.8 of the unit cube).
    noise_prior : float
        Mean of the normal prior on the log noise variance (standardized targets).
    incumbent : {"observed", "mean"}
        Expected improvement over the best observed target, or over the best posterior mean
        at the observed points (noisy EI's incumbent).
    n_restarts : int
        L-BFGS-B restarts of the acquisition, from the best-scoring candidates.
    kernel : {"matern", "rbf"}
        The GP's covariance: Matern 5/2 or the squared exponential, both with a length scale
        per feature.
    xi : float
        The least improvement worth a trial, in standardized target units: expected
        improvement is measured over the best target minus ``xi``.
    input_warp : {"none", "kumaraswamy"}
        ``"kumaraswamy"``: each numeric feature (not the one-hot choice columns) goes through a
        Kumaraswamy CDF ``1 - (1 - x**a)**b`` before the kernel, with ``a`` and ``b`` per feature
        fitted jointly with the GP's hyper-parameters by MAP (Snoek et al. 2014; BoTorch's
        ``Warp``, HEBO) once ten trials have finished: it lets the model stretch the region
        where the objective changes fast (a log-like learning rate, an optimum near a bound).
    prior_mean : {"worst", "mean"}
        What the GP expects where it has no trials: the worst loss seen (pessimistic, the
        default) or the average of the trials' losses (the usual standardization).
    choice_kernel : {"shared", "onehot"}, optional
        How a space with both choices and numbers is modelled: ``"shared"`` adds a kernel term
        on the numeric features alone, shared by every level of the choices; ``"onehot"``: the
        one kernel over the numeric and one-hot columns. By default ``"shared"``, or ``"onehot"``
        with ``input_warp="kumaraswamy"`` (the two do not combine).

    Notes
    -----
    Each suggestion's ``info["why"]`` (and :attr:`last_explanation`) is
    ``{"mode", "ei", "log_ei", "mean", "std", "best", "text"}``: ``mode`` is ``"initial"``
    (the Sobol design), ``"exploit"`` or ``"explore"``; ``mean``/``std`` are the model's
    prediction at the point and ``best`` the best value so far, in the objective's own units
    and direction; ``ei`` is the expected improvement in standardized units and ``log_ei`` its
    logarithm. The numbers are None for initial points chosen before any model exists.

    The rule for exploit vs explore: EI = (best - mean) * Phi(z) + std * phi(z) (for a loss,
    z = (best - mean) / std). When the first term, the improvement the mean promises, is at
    least the second, the part owed to uncertainty, the point is an exploit; otherwise an explore.

    Examples
    --------
    >>> import jhpo
    >>> study = jhpo.Study({"x": jhpo.uniform(-2, 2)}, strategy="bayes", seed=0, direction="minimize")
    >>> study.optimize(lambda t: (t.params["x"] - 1) ** 2, n_trials=12)
    >>> abs(study.best_params["x"] - 1) < 0.2
    True
    """

    name = "bayes"
    view = "surrogate"
    options = {
        "n_initial": int,
        "n_candidates": int,
        "output_warp": str,
        "length_prior": str,
        "noise_prior": (int, float),
        "incumbent": str,
        "n_restarts": int,
        "kernel": str,
        "xi": (int, float),
        "input_warp": str,
        "prior_mean": str,
        "choice_kernel": str,
    }

    def __init__(
        self,
        space: Space,
        seed: int | None = None,
        direction: str = "maximize",
        n_initial: int | None = None,
        n_candidates: int = 2048,
        output_warp: str = "squash",
        length_prior: str = "dim",
        noise_prior: float = _gp.NOISE_PRIOR[0],
        incumbent: str = "observed",
        n_restarts: int = N_REFINE,
        kernel: str = "matern",
        xi: float = 0.0,
        input_warp: str = "none",
        prior_mean: str = "worst",
        choice_kernel: str | None = None,
    ) -> None:
        super().__init__(space, seed, direction)
        self.searched = space.searched
        self.encoder = _Encoder(self.searched)
        self.n_initial = int(n_initial) if n_initial is not None else default_initial(self.searched)
        self.n_candidates = int(n_candidates)
        if output_warp not in WARPS:
            raise ValueError(f"output_warp must be one of {WARPS}, but got {output_warp!r}")
        self.output_warp = output_warp
        if length_prior not in ("local", "dim"):
            raise ValueError(f"length_prior must be 'local' or 'dim', but got {length_prior!r}")
        if incumbent not in ("observed", "mean"):
            raise ValueError(f"incumbent must be 'observed' or 'mean', but got {incumbent!r}")
        if input_warp not in INPUT_WARPS:
            raise ValueError(f"input_warp must be one of {INPUT_WARPS}, but got {input_warp!r}")
        self.input_warp = input_warp
        self.n_warped = len(self.encoder.numeric) if input_warp == "kumaraswamy" else 0
        if choice_kernel is None:
            choice_kernel = "onehot" if self.n_warped else "shared"
        if choice_kernel not in CHOICE_KERNELS:
            raise ValueError(f"choice_kernel must be one of {CHOICE_KERNELS}, but got {choice_kernel!r}")
        if choice_kernel == "shared" and self.n_warped:
            raise ValueError(
                "choice_kernel='shared' does not combine with input_warp='kumaraswamy': "
                "drop one of the two options (the warp then uses choice_kernel='onehot')"
            )
        self.choice_kernel = choice_kernel
        has_both = bool(self.encoder.choices) and bool(self.encoder.numeric)
        self.shared = len(self.encoder.numeric) if choice_kernel == "shared" and has_both else 0
        self.prior = _gp.prior(self.encoder.dim, length_prior, float(noise_prior), self.n_warped, bool(self.shared))
        self.incumbent = incumbent
        self.n_restarts = int(n_restarts)
        if kernel not in _gp.KERNELS:
            raise ValueError(f"kernel must be one of {_gp.KERNELS}, but got {kernel!r}")
        self.kernel = kernel
        self.xi = float(xi)
        if prior_mean not in PRIOR_MEANS:
            raise ValueError(f"prior_mean must be one of {PRIOR_MEANS}, but got {prior_mean!r}")
        self.prior_mean = prior_mean
        self._scramble = seed if seed is not None else int(np.random.default_rng().integers(2**32))
        self._cache: tuple[Any, _Model | None] | None = None
        self._codes: dict[int, tuple[Any, Any, np.ndarray | None]] = {}

    # -- proposals ------------------------------------------------------------------

    def suggest(self, trials: Sequence[Trial], n: int = 1) -> list[Suggestion]:
        with threadpool_limits(1, "blas"):  # small matrices: threads only add contention
            return self._suggest(list(trials), n)

    def _suggest(self, trials: list[Trial], n: int) -> list[Suggestion]:
        seen = {self._encoded(t)[0] for t in trials}
        size = self.encoder.finite_size()
        pool = self._enumerate() if size is not None and size <= MAX_ENUMERATE else None
        model = self._model(trials)
        pending = [u for t in trials if t.state is TrialState.RUNNING and (u := self._encoded(t)[1]) is not None]
        out: list[Suggestion] = []
        for j in range(n):
            if size is not None and len(seen) >= size:
                break  # every configuration has been tried
            rng = self.rng(len(trials), j)
            index = len(trials) + j
            if index < self.n_initial or model is None:
                u = self._initial_point(index, rng, seen, pool)
                why = self._why(model, pending, u, "initial")
            else:
                u, why = self._acquire(model, pending, rng, seen, pool)
            params = self.searched.from_unit(u)
            seen.add(self.searched.key(params))
            pending.append(self.encoder.unit(params))
            info: dict[str, Any] = {"why": why}
            if model is not None:
                info["gp_theta"] = model.theta
                info["gp_prior_mean"] = self.prior_mean  # what target 0 stood for when theta was fitted
            self.last_explanation = why
            out.append(Suggestion(params, info))
        return out

    def _searched_params(self, t: Trial) -> dict[str, Value]:
        return {k: t.params[k] for k in self.searched.names if k in t.params}

    def _encoded(self, t: Trial) -> tuple[Any, np.ndarray | None]:
        """The trial's duplicate key and cube point, cached (a trial's params never change)."""
        hit = self._codes.get(t.number)
        if hit is None or hit[0] is not t.params:
            params = self._searched_params(t)
            # A trial from before the space changed (``allow_changes``) has no point in it.
            unit = self.encoder.unit(params) if self.searched.contains(params) else None
            hit = (t.params, self.searched.key(params), unit)
            self._codes[t.number] = hit
        return hit[1], hit[2]

    def _initial_point(
        self, index: int, rng: np.random.Generator, seen: set[Any], pool: np.ndarray | None
    ) -> np.ndarray:
        d = len(self.searched)
        if d == 0:
            return np.zeros(0)
        engine = qmc.Sobol(d=d, scramble=True, seed=self._scramble)
        if index:
            engine.fast_forward(index)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # balance properties want powers of two: fine here
            u = engine.random(1)[0]
        if self.searched.key(self.searched.from_unit(u)) not in seen:
            return np.asarray(u)
        return self._fallback(rng, seen, pool)

    def _fallback(self, rng: np.random.Generator, seen: set[Any], pool: np.ndarray | None) -> np.ndarray:
        """A point not tried yet, drawn at random (used when the model's pick is taken)."""
        cands = pool if pool is not None else rng.random((256, len(self.searched)))
        for u in cands[rng.permutation(len(cands))]:
            if self.searched.key(self.searched.from_unit(u)) not in seen:
                return np.asarray(u)
        return np.asarray(cands[0])

    def _enumerate(self) -> np.ndarray:
        """Every configuration of a small discrete space, as points of the parameter cube."""
        levels = [np.array([d.to_unit(v) for v in d.grid(10**6)]) for d in self.searched.values()]
        if not levels:
            return np.zeros((1, 0))
        mesh = np.meshgrid(*levels, indexing="ij")
        return np.stack([m.ravel() for m in mesh], axis=1)

    # -- the model --------------------------------------------------------------------

    def _model(self, trials: Sequence[Trial]) -> _Model | None:
        """Fit (or reuse) the model of the finished trials; None while fewer than two completed."""
        done = [
            t
            for t in trials
            if t.state in (TrialState.COMPLETE, TrialState.FAILED, TrialState.PRUNED)
            and self._encoded(t)[1] is not None
        ]
        key = tuple((t.number, t.state.value, t.value, self._encoded(t)[0]) for t in done)
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        model = self._fit(trials, done)
        self._cache = (key, model)
        return model

    def _losses(self, done: list[Trial]) -> np.ndarray:
        """One loss per finished trial (inf for failed, pruned or infeasible ones): what the model
        learns. A subclass that scalarizes several objectives (ParEGO) overrides this."""
        return np.array([self.loss(t) for t in done])

    def _targets(self, done: list[Trial]) -> tuple[np.ndarray, _Warp | _PowerWarp, float] | None:
        """The finished trials as model targets (lower is better), the warp, and the best value.

        The one place that turns trials into the GP's ``y``. None while fewer than two trials
        have a finite value.
        """
        losses = self._losses(done)
        ok = np.isfinite(losses)
        if ok.sum() < 2:
            return None
        sign = -self.direction.sign
        if self.output_warp == "power":
            warp: _Warp | _PowerWarp = _PowerWarp.fit(losses[ok], sign, self.prior_mean)
        else:
            adaptive, log_ok = self.output_warp != "fence", self.output_warp == "log"
            warp = _Warp.fit(losses[ok], sign, adaptive, log_ok, self.prior_mean)
        z = np.full(len(done), np.nan)
        z[ok] = warp.forward(losses[ok])
        z[~ok] = z[ok].max()  # failed or pruned: as bad as the worst seen, so the model avoids them
        return z, warp, float(sign * losses[ok].min())

    def _fit(self, trials: Sequence[Trial], done: list[Trial]) -> _Model | None:
        targets = self._targets(done)
        if targets is None:
            return None
        z, warp, best_value = targets
        best_z = float(z.min())
        X = self.encoder.features(np.array([self._encoded(t)[1] for t in done], dtype=float))
        if len(z) > MAX_FIT_POINTS:  # keep the fit cheap: the best points plus a random rest
            order = np.argsort(z)
            rest = self.rng(len(trials), 10**6).choice(order[50:], MAX_FIT_POINTS - 50, replace=False)
            keep = np.concatenate([order[:50], rest])
            X, z = X[keep], z[keep]
        starts = []
        warm = self._warm_theta(trials)
        if warm is not None:
            starts.append(warm)
        if warm is None or len(z) <= 60 or len(done) % (10 if len(z) <= 100 else 50) == 0:
            starts.append(_gp.default_theta(self.encoder.dim, self.prior))
        # With many points one more barely moves the hyper-parameters: re-optimize them on every
        # fifth trial only and otherwise reuse the last ones (a Cholesky factorization, no search).
        maxiter = 60 if len(z) <= 100 else (25 if len(done) % 5 == 0 or warm is None else 0)
        warped, pri = self.n_warped, self.prior
        if len(z) < WARP_MIN_POINTS:  # too few points to learn a warp: the kernel alone
            size = len(pri[0]) - 2 * warped  # the prior's layout without the warp's log a and log b
            warped, pri, starts = 0, (pri[0][:size], pri[1][:size]), [t[:size] for t in starts]
        if self.shared:
            posterior = _gp.fit_shared(X, z, starts, self.shared, maxiter=maxiter, pri=pri, kind=self.kernel)
        else:
            gp = _gp.fit_gp(X, z, starts, maxiter=maxiter, pri=pri, kind=self.kernel, warped=warped)
            posterior = _gp.Posterior(gp)
        if self.incumbent == "mean":
            # Noisy EI's incumbent: the best the model believes of the points it has seen (a lucky
            # noisy draw does not set the bar).
            best_z = float(posterior.predict(X)[0].min())
        return _Model(posterior, warp, best_z, best_value, [round(float(x), 6) for x in posterior.theta])

    def _warm_theta(self, trials: Sequence[Trial]) -> np.ndarray | None:
        """The last stored theta in this model's layout: the kernel's part, then the shared term's
        amplitude or the input warp's log a and log b (the prior's mode, or the identity warp, when
        the stored theta had none: a study resumed with other options).

        Only a theta fitted with this prior mean: the targets' level differs between the two, so the
        other's amplitude and noise are a wrong start (and beyond 100 trials a start is reused as is
        for up to four proposals). Thetas stored before the key existed were fitted about the average.
        """
        kernel, n = self.encoder.dim + 2, len(self.encoder.numeric)
        for t in reversed(trials):
            if not isinstance(t.info, dict) or t.info.get("gp_prior_mean", "mean") != self.prior_mean:
                continue
            theta = t.info.get("gp_theta")
            # Stored as the one kernel, with the shared term (one more) or with the warp (2n more).
            if theta is None or len(theta) not in (kernel, kernel + 1, kernel + 2 * n):
                continue
            head = np.asarray(theta[:kernel], dtype=float)
            if self.shared:
                tail = theta[kernel:] if len(theta) == kernel + 1 else self.prior[0][kernel : kernel + 1]
            else:
                tail = theta[kernel:] if len(theta) == kernel + 2 * self.n_warped else np.zeros(2 * self.n_warped)
            return np.concatenate([head, np.asarray(tail, dtype=float)])
        return None

    # -- acquisition ------------------------------------------------------------------

    def _candidates(self, model: _Model, rng: np.random.Generator) -> np.ndarray:
        d = len(self.searched)
        sobol = qmc.Sobol(d=d, scramble=True, seed=rng).random(self.n_candidates)
        # Perturbations of the best trials: BO with few trials wins by refining what works.
        X = model.posterior.X[: len(model.posterior.y)]
        order = np.argsort(model.posterior.y)[:3]
        locals_ = []
        for i in order:
            center = self._unit_of_features(X[i], rng)
            for sd in LOCAL_SD:
                block = np.repeat(center[None], 64, axis=0)
                block[:, self.encoder.numeric] += rng.normal(0, sd, (64, len(self.encoder.numeric)))
                for j, k in self.encoder.choices:
                    flip = rng.random(64) < 1.0 / max(d, 2)
                    block[flip, j] = (rng.integers(0, k, flip.sum()) + 0.5) / k
                locals_.append(block)
        return np.asarray(np.clip(np.vstack([sobol, *locals_]), 0.0, 1.0), dtype=float)

    def _unit_of_features(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Inverse of the encoding for a training row (choice columns back to their index)."""
        u = np.zeros(len(self.searched))
        nn = len(self.encoder.numeric)
        u[self.encoder.numeric] = x[:nn]
        col = nn
        for j, k in self.encoder.choices:
            u[j] = (int(np.argmax(x[col : col + k])) + 0.5) / k
            col += k
        for j, d in enumerate(self.searched.values()):
            if isinstance(d, Choice) and len(d.choices) == 1:
                u[j] = 0.5
        return u

    def _acquire(
        self,
        model: _Model,
        pending: list[np.ndarray],
        rng: np.random.Generator,
        seen: set[Any],
        pool: np.ndarray | None,
    ) -> tuple[np.ndarray, dict[str, Any]]:
        post = model.posterior
        if pending:
            post = post.with_fantasies(self.encoder.features(np.array(pending)))
        if pool is not None:
            keys = [self.searched.key(self.searched.from_unit(u)) for u in pool]
            cands = pool[[k not in seen for k in keys]]
        else:
            cands = self._candidates(model, rng)
        # A believer counts as observed: a pick next to one must beat it, not just the real best.
        best = min(model.best_z, post.fantasy_min) - self.xi
        U = self.searched.impute(self.encoder.snap(cands))  # inactive coordinates as the trials hold them
        acq = self._log_ei(post, best, U)
        if pool is None and self.encoder.numeric and self.n_restarts > 0:
            refined = self.searched.impute(self._refine(post, best, U[np.argsort(-acq)[: self.n_restarts]]))
            U = np.vstack([refined, U])
            acq = np.concatenate([self._log_ei(post, best, refined), acq])
        for i in np.argsort(-acq, kind="stable"):
            if self.searched.key(self.searched.from_unit(U[i])) not in seen:
                return U[i], self._why(model, [], U[i], None, post, best)
        u = self._fallback(rng, seen, pool)
        return u, self._why(model, [], u, None, post, best)

    def _log_ei(self, post: _gp.Posterior, best: float, U: np.ndarray) -> np.ndarray:
        mu, var = post.predict(self.encoder.features(U))
        return _gp.log_ei(mu, np.sqrt(var), best)

    def _refine(self, post: _gp.Posterior, best: float, starts: np.ndarray) -> np.ndarray:
        """L-BFGS-B on the numeric columns from several starts at once (their sum is separable)."""
        num = self.encoder.numeric
        m, nn = len(starts), len(num)
        base = starts.copy()
        feats = self.encoder.features(base, snap=False)

        def f(x: np.ndarray) -> tuple[float, np.ndarray]:
            F = feats.copy()
            F[:, :nn] = x.reshape(m, nn)
            mu, var, dmu, dvar = post.predict_grad(F)
            sd = np.sqrt(var)
            val, g_mu, g_sd = _gp.log_ei_grad(mu, sd, best)
            grad = g_mu[:, None] * dmu[:, :nn] + (g_sd / (2 * sd))[:, None] * dvar[:, :nn]
            return -float(val.sum()), -grad.ravel()

        res = minimize(
            f,
            base[:, num].ravel(),
            jac=True,
            method="L-BFGS-B",
            bounds=[(0.0, 1.0)] * (m * nn),
            options={"maxiter": 40},
        )
        out = base.copy()
        out[:, num] = np.clip(res.x.reshape(m, nn), 0.0, 1.0)
        return self.encoder.snap(out)

    # -- explanations -----------------------------------------------------------------

    def _why(
        self,
        model: _Model | None,
        pending: list[np.ndarray],
        u: np.ndarray,
        mode: str | None,
        post: _gp.Posterior | None = None,
        best_z: float | None = None,
    ) -> dict[str, Any]:
        if model is None:
            return {
                "mode": "initial",
                "ei": None,
                "log_ei": None,
                "mean": None,
                "std": None,
                "best": None,
                "text": "Initial design: a scrambled Sobol point, spreading the first trials over the space.",
            }
        if post is None:
            post = model.posterior
            if pending:
                post = post.with_fantasies(self.encoder.features(np.array(pending)))
        mu, var = post.predict(self.encoder.features(u[None]))
        m, sd = float(mu[0]), float(math.sqrt(var[0]))
        ref = model.best_z if best_z is None else best_z
        log_ei = float(_gp.log_ei(mu, np.sqrt(var), ref)[0])
        gain, spread = _gp.ei_parts(m, sd, ref)
        # The rule: EI = (best - mean) * Phi(z) + std * phi(z). The point is an exploit when the
        # first term (a better mean) outweighs the second (uncertainty), an explore otherwise.
        chosen = mode or ("exploit" if gain >= spread else "explore")
        mean = float(model.warp.value(m))
        std = float(model.warp.spread(np.array(m), np.array(sd)))
        best = model.best_value
        if chosen == "initial":
            text = "Initial design: a scrambled Sobol point, spreading the first trials over the space."
        elif chosen == "exploit":
            text = (
                f"Exploit: the model expects {mean:.4g} ± {std:.2g} here, against {best:.4g} for the best trial so far."
            )
        else:
            text = (
                f"Explore: the model is unsure here ({mean:.4g} ± {std:.2g}); "
                f"beating the best so far ({best:.4g}) is plausible."
            )
        ei = math.exp(log_ei) * model.warp.std if log_ei > -700 else 0.0
        return {"mode": chosen, "ei": ei, "log_ei": log_ei, "mean": mean, "std": std, "best": best, "text": text}

    def slice(
        self,
        trials: Sequence[Trial],
        names: Sequence[str] | str,
        fixed: Mapping[str, Value] | None = None,
        resolution: int = 60,
    ) -> dict[str, Any]:
        """The model on a 1-D or 2-D slice of the space, for plots and teaching.

        Parameters
        ----------
        trials : sequence of Trial
            The study's trials (the model is fitted on them, or reused from the last proposal).
        names : str or list of one or two str
            The parameters that vary along the slice's axes.
        fixed : dict, optional
            Values of the other parameters; by default the best trial's.
        resolution : int
            Points per numeric axis (integers with fewer levels and choices show every value).

        Returns
        -------
        dict
            ``names``; ``axes`` (one list of values per name, in the parameter's own units);
            ``mean`` and ``std`` (objective units) and ``acquisition`` (expected improvement in
            standardized units), arrays shaped ``(len(axes[0]),)`` or
            ``(len(axes[0]), len(axes[1]))``; ``observed`` (params, value) of the completed
            trials; ``next``, the configuration maximizing the acquisition on the slice.
        """
        names = [names] if isinstance(names, str) else list(names)
        if not 1 <= len(names) <= 2 or any(n not in self.searched for n in names):  # one or two searched
            raise ValueError(f"slice() takes one or two of {self.searched.names}, but got {names!r}")
        with threadpool_limits(1, "blas"):
            model = self._model(trials)
        done = [t for t in trials if t.state is TrialState.COMPLETE and t.value is not None]
        base = self._slice_base(done, fixed)
        axes, units = zip(*(self._axis(name, resolution) for name in names))
        axes = list(axes)
        mesh = np.meshgrid(*units, indexing="ij")
        shape = mesh[0].shape
        U = np.repeat(self.encoder.unit(base)[None], mesh[0].size, axis=0)
        for name, m in zip(names, mesh):
            U[:, self.searched.names.index(name)] = m.ravel()
        mean, std, acq, log_acq = self._slice_model(model, U, shape)
        best_i = np.unravel_index(int(np.argmax(log_acq)), shape)
        nxt = dict(base)
        for name, ax, i in zip(names, axes, best_i):
            nxt[name] = ax[i]
        return {
            "names": names,
            "axes": axes,
            "mean": mean,
            "std": std,
            "acquisition": acq,
            "log_acquisition": log_acq,
            "observed": [(dict(t.params), t.value) for t in done],
            "next": nxt,
        }

    def _slice_base(self, done: list[Trial], fixed: Mapping[str, Value] | None) -> dict[str, Value]:
        """The values of the parameters off the slice: ``fixed``, else the best trial's, else mid-range."""
        base = dict(fixed or {})
        if done and len(base) < len(self.searched):
            best = min(done, key=self.loss)
            base = {**self._searched_params(best), **base}
        for name, dist in self.searched.items():
            base.setdefault(name, dist.from_unit(0.5))
        return base

    def _slice_model(
        self, model: _Model | None, U: np.ndarray, shape: tuple[int, ...]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Mean, spread (objective units), EI and log EI of ``model`` at the unit points ``U``."""
        if model is None:
            nan = np.full(shape, np.nan)
            return nan, nan.copy(), np.zeros(shape), np.full(shape, -np.inf)
        with threadpool_limits(1, "blas"):
            mu, var = model.posterior.predict(self.encoder.features(U))
        sd = np.sqrt(var)
        log_acq = _gp.log_ei(mu, sd, model.best_z).reshape(shape)
        return (
            model.warp.value(mu).reshape(shape),
            model.warp.spread(mu, sd).reshape(shape),
            np.exp(log_acq),
            log_acq,
        )

    def _axis(self, name: str, resolution: int) -> tuple[list[Value], np.ndarray]:
        dist = self.searched[name]
        if isinstance(dist, Choice):
            values = list(dist.choices)
        elif isinstance(dist, Int) and dist.n_levels <= resolution:
            values = [dist.low + i * dist.step for i in range(dist.n_levels)]
        else:
            values = list(dict.fromkeys(dist.from_unit(u) for u in np.linspace(0, 1, resolution)))
        return values, np.array([dist.to_unit(v) for v in values])
