"""Gaussian-process pieces for :mod:`jhpo.strategies.bayes`.

The model itself is scikit-learn's :class:`~sklearn.gaussian_process.GaussianProcessRegressor`
with ``C * Matern(nu=2.5, ARD) + White`` (or ``C * RBF(ARD) + White``). Two things scikit-learn
does slowly or not at all are done here with the fitted model's own numbers:

- the hyper-parameter fit: scikit-learn's marginal-likelihood gradient builds an
  ``n x n x D`` tensor (30 ms at 200 points in 10-D); :func:`neg_log_posterior` computes the
  same gradient with matrix products (about 1 ms) and adds weak priors (MAP rather than ML, which
  keeps length scales sane with a handful of points). It is plugged in through the regressor's
  documented ``optimizer=`` hook, so the regressor still owns the fitted state.
- predictions with gradients (for L-BFGS-B on the acquisition) and without the white noise
  (expected improvement is about the latent function, not about a noisy re-measurement).
- input warping (Snoek et al. 2014; BoTorch's ``Warp``, HEBO's GPy ``KumarWarping``): the
  leading numeric features go through a Kumaraswamy CDF whose two shape parameters per feature
  are fitted jointly with the kernel's by MAP. scikit-learn has no input transforms, so the MAP
  runs here and :class:`WarpedRegressor` fits scikit-learn's regressor with those fixed
  hyper-parameters on the warped features (it still owns the fitted state).
- a term on the numeric features alone, added for spaces with choices (:func:`fit_shared`).
  scikit-learn's kernels act on every column, so this model's posterior is built here from
  its MAP hyper-parameters (:meth:`Posterior.from_theta`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.linalg import cho_solve, solve_triangular
from scipy.linalg.lapack import dpotri
from scipy.optimize import minimize
from scipy.special import erfcx, log_ndtr
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, Matern, WhiteKernel

__all__ = ["Kumaraswamy", "Posterior", "WarpedRegressor", "fit_gp", "fit_shared", "log_ei", "log_ei_grad", "prior"]

SQRT5 = math.sqrt(5.0)
JITTER = 1e-8  # the regressor's ``alpha``: keeps the Cholesky factorization well posed
LS_BOUNDS = (1e-2, 1e2)
SCALE_BOUNDS = (5e-2, 2e1)
NOISE_BOUNDS = (1e-6, 0.25)
LS_PRIOR = (-0.25, 1.5)  # mean and std of log length scale
NOISE_PRIOR = (-6.0, 1.0)  # mean and std of log noise variance
# Input warping: normal priors on log a and log b with mean 0, the identity warp. Their width
# follows BoTorch's use of ``Warp``: LogNormal(0, sqrt(0.75)) on both concentrations in its input
# warping tutorial, LogNormal(0, sqrt(0.3)) in Ax's examples; read as priors on the logs (BoTorch
# optimizes the concentrations themselves, which moves its MAP mode to exp(-sigma^2)). Measured on
# the synthetic quality problems (20 seeds, 30 trials), sqrt(0.75) fitted warps to noise (mean
# normalized score 66 against 82 unwarped); 0.3, narrower than both, was the least harmful.
WARP_PRIOR = (0.0, 0.3)
WARP_BOUNDS = (0.1, 10.0)  # beyond, a feature's whole range folds into a sliver the lengths cannot see
WARP_EPS = 1e-7  # BoTorch's ``Warp`` clamp: x^a and log(1 - x^a) stay finite at the cube's faces


KERNELS = ("matern", "rbf")
SHARED_PRIOR = (math.log(0.5), 1.0)  # log amplitude of the term shared by every level of the choices
SHARED_BOUNDS = (1e-3, 2e1)


def _kernel(dim: int, theta: np.ndarray | None = None, kind: str = "matern") -> Any:
    shape = Matern(np.ones(dim), LS_BOUNDS, nu=2.5) if kind == "matern" else RBF(np.ones(dim), LS_BOUNDS)
    kernel = ConstantKernel(1.0, SCALE_BOUNDS) * shape + WhiteKernel(1e-3, NOISE_BOUNDS)
    if theta is not None:
        kernel.theta = theta
    return kernel


def prior(
    dim: int, lengths: str = "local", noise: float = NOISE_PRIOR[0], warped: int = 0, shared: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Means and standard deviations of normal priors on theta = log(scale, lengths..., noise).

    With ``warped`` > 0, theta continues with log a and then log b of the Kumaraswamy warps of
    the first ``warped`` features (prior: ``WARP_PRIOR``, mode at the identity).

    ``lengths="local"``: log-normal around 0.8 of the unit cube, wide (a factor 4.5 per standard
    deviation), whatever the dimension (the default before issue 19). ``lengths="dim"``: the dimension-scaled prior of
    Hvarfner et al. (2024), BoTorch's default since 0.12: length ~ LogNormal(sqrt(2) + log(d)/2,
    sqrt(3)). BoTorch adds that density of the length itself to a parameter optimized in log
    space, so its MAP mode sits at exp(mu - sigma^2) = 0.2 sqrt(d), not at exp(mu) = 4.1 sqrt(d);
    the normal prior on log length here has the same mode and width (0.29 of the unit cube in
    2-D, 0.65 in 10-D), shorter in few dimensions than the ``"local"`` prior's 0.8.
    ``noise``: the mean of the log noise variance, relative to the standardized variance
    (objectives are nearly deterministic; the noise still grows when the data say so).
    ``shared``: theta has the log amplitude of :func:`fit_shared`'s second term after the noise
    (prior ``SHARED_PRIOR``: half the standardized variance, a factor e per standard deviation).
    """
    if lengths == "dim":
        sd = math.sqrt(3.0)
        ls_mean, ls_sd = math.sqrt(2.0) + 0.5 * math.log(max(dim, 1)) - sd * sd, sd
    else:
        ls_mean, ls_sd = LS_PRIOR
    sh_mean, sh_sd = ([SHARED_PRIOR[0]], [SHARED_PRIOR[1]]) if shared else ([], [])
    mean = np.concatenate([[0.0], np.full(dim, ls_mean), [noise], sh_mean, np.full(2 * warped, WARP_PRIOR[0])])
    std = np.concatenate([[1.0], np.full(dim, ls_sd), [NOISE_PRIOR[1]], sh_sd, np.full(2 * warped, WARP_PRIOR[1])])
    return mean, std


class Kumaraswamy:
    """The input warp w(x) = 1 - (1 - x^a)^b of the first ``len(a)`` feature columns.

    Parameters
    ----------
    log_a, log_b : array
        Log shape parameters, one per warped feature (a = b = 1 is the identity).

    Notes
    -----
    x is first mapped to [eps, 1 - eps] (``WARP_EPS``), as BoTorch's ``Warp`` does.
    """

    def __init__(self, log_a: np.ndarray, log_b: np.ndarray) -> None:
        self.log_a = np.asarray(log_a, dtype=float)
        self.log_b = np.asarray(log_b, dtype=float)
        self.a, self.b = np.exp(self.log_a), np.exp(self.log_b)
        self.n = len(self.a)

    @classmethod
    def from_theta(cls, tail: np.ndarray) -> Kumaraswamy:
        """The warp whose :attr:`theta` is ``tail``: ``[log a..., log b...]``."""
        n = len(tail) // 2
        return cls(tail[:n], tail[n:])

    @property
    def theta(self) -> np.ndarray:
        """``[log a..., log b...]``, as they continue the GP's theta."""
        return np.concatenate([self.log_a, self.log_b])

    def parts(self, X: np.ndarray) -> dict[str, np.ndarray]:
        """What :meth:`apply` and both gradients are made of; compute once, pass to each."""
        x = np.clip(X[:, : self.n] * (1.0 - 2.0 * WARP_EPS) + WARP_EPS, WARP_EPS, 1.0 - WARP_EPS)
        lx = np.log(x)
        xa = np.exp(self.a * lx)
        t = -np.expm1(self.a * lx)  # 1 - x^a without cancellation near x = 1
        lt = np.log(t)
        return {"x": x, "lx": lx, "xa": xa, "lt": lt, "w": -np.expm1(self.b * lt), "tb1": np.exp((self.b - 1) * lt)}

    def apply(self, X: np.ndarray, p: dict[str, np.ndarray] | None = None) -> np.ndarray:
        """The features with the first ``n`` columns warped (``p``: :meth:`parts` of ``X``)."""
        if self.n == 0:
            return X
        W = np.array(X, dtype=float)
        W[:, : self.n] = (p or self.parts(X))["w"]
        return W

    def grad_x(self, X: np.ndarray, p: dict[str, np.ndarray] | None = None) -> np.ndarray:
        """dw/dx of the warped columns (rows of ``X`` x ``n``)."""
        p = p or self.parts(X)
        return np.asarray(self.a * self.b * p["tb1"] * p["xa"] / p["x"] * (1.0 - 2.0 * WARP_EPS), dtype=float)

    def grad_theta(self, X: np.ndarray, p: dict[str, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """dw/dlog a and dw/dlog b of the warped columns."""
        p = p or self.parts(X)
        d_log_a = self.a * self.b * p["tb1"] * p["xa"] * p["lx"]
        d_log_b = -self.b * (1.0 - p["w"]) * p["lt"]
        return d_log_a, d_log_b


def correlation(r2: np.ndarray, kind: str = "matern") -> tuple[np.ndarray, np.ndarray]:
    """The kernel's correlation at squared scaled distances ``r2``, and ``-dk/d(r2/2)``.

    The second array ``s`` gives both gradients the fit and the acquisition need:
    ``dk/dx = -s * (x - x') / l**2`` and ``dk/dlog l_j = s * (dx_j / l_j)**2``.
    """
    if kind == "rbf":
        k = np.exp(-0.5 * r2)
        return k, k
    r = np.sqrt(r2)
    e = np.exp(-SQRT5 * r)
    return (1.0 + SQRT5 * r + 5.0 / 3.0 * r2) * e, 5.0 / 3.0 * (1.0 + SQRT5 * r) * e


def _sqdist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.asarray(np.maximum(d, 0.0), dtype=float)


def _length_grad(A: np.ndarray, Xs: np.ndarray) -> np.ndarray:
    """d lml / d log l_j of a kernel term: ``A`` = W * (s2 * S) weighs each pair, since
    d k / d log l_j = s2 * S * (dx_j / l_j)^2; ``Xs`` are the features over their lengths."""
    return np.asarray(0.5 * (2.0 * (A.sum(1) @ (Xs * Xs)) - 2.0 * (Xs * (A @ Xs)).sum(0)), dtype=float)


def neg_log_posterior(
    theta: np.ndarray,
    X: np.ndarray,
    y: np.ndarray,
    pri: tuple[np.ndarray, np.ndarray] | None = None,
    kind: str = "matern",
    shared: int = 0,
) -> tuple[float, np.ndarray]:
    """Negative (log marginal likelihood + log prior) and its gradient in theta (``pri``: see :func:`prior`).

    theta = log(scale, lengths..., noise), optionally followed by the log a and log b of a
    :class:`Kumaraswamy` warp of the first features (the number of extra entries tells how many).
    ``shared`` > 0: a second term sees the first ``shared`` features (:func:`fit_shared`); theta
    then has its log amplitude right after the noise (no warp with it).
    """
    n, dim = X.shape
    extra = 1 if shared else 0
    nw = (len(theta) - dim - 2 - extra) // 2
    warp = Kumaraswamy.from_theta(theta[dim + 2 + extra :]) if nw else None
    parts = warp.parts(X) if warp is not None else None
    F = warp.apply(X, parts) if warp is not None else X
    s2, ls, noise = math.exp(theta[0]), np.exp(theta[1 : dim + 1]), math.exp(theta[dim + 1])
    Xs = F / ls
    M, S = correlation(_sqdist(Xs, Xs), kind)
    K = s2 * M
    if shared:
        assert warp is None, "the shared term and the input warp do not combine"
        s2b = math.exp(theta[dim + 2])
        Xb = Xs[:, :shared]
        Mb, Sb = correlation(_sqdist(Xb, Xb), kind)
        K = K + s2b * Mb
    K[np.diag_indices(n)] += noise + JITTER
    try:
        L = np.linalg.cholesky(K)
    except np.linalg.LinAlgError:
        return 1e25, np.zeros_like(theta)
    alpha = cho_solve((L, True), y)
    lml = -0.5 * y @ alpha - np.log(np.diag(L)).sum() - 0.5 * n * math.log(2 * math.pi)
    Kinv, info = dpotri(L, lower=1)  # the inverse from the factor: half the work of cho_solve(I)
    Kinv = np.tril(Kinv) + np.tril(Kinv, -1).T
    W = np.outer(alpha, alpha) - Kinv
    grad = np.empty_like(theta)
    grad[0] = 0.5 * (W * (s2 * M)).sum()
    grad[dim + 1] = 0.5 * np.trace(W) * noise
    A = W * (s2 * S)
    grad[1 : dim + 1] = _length_grad(A, Xs)
    if shared:
        grad[dim + 2] = 0.5 * (W * (s2b * Mb)).sum()
        grad[1 : shared + 1] += _length_grad(W * (s2b * Sb), Xb)
    if warp is not None:
        # d lml / d w_i = -sum_j A_ij (w_i - w_j) / l^2 (K is symmetric), then the chain rule.
        Fw = F[:, :nw]
        d_w = -(Fw * A.sum(1)[:, None] - A @ Fw) / ls[:nw] ** 2
        d_a, d_b = warp.grad_theta(X, parts)
        grad[dim + 2 : dim + 2 + nw] = (d_w * d_a).sum(0)
        grad[dim + 2 + nw :] = (d_w * d_b).sum(0)
    mean, std = pri if pri is not None else prior(dim, warped=nw, shared=bool(shared))
    z = (theta - mean) / std
    lp = -0.5 * (z * z).sum()
    return -(lml + lp), -(grad - z / std)


def _warped(warp: Kumaraswamy | None, X: np.ndarray) -> np.ndarray:
    """``X`` as the kernel sees it: through ``warp`` when there is one."""
    X = np.asarray(X, dtype=float)
    return warp.apply(X) if warp is not None else X


class WarpedRegressor(GaussianProcessRegressor):  # type: ignore[misc]  # scikit-learn has no type stubs
    """scikit-learn's regressor on :class:`Kumaraswamy`-warped features.

    ``fit`` and ``predict`` take the unwarped features; ``X_train_`` holds the warped ones and
    ``X_features_`` the unwarped. The warp is a fixed parameter, like the kernel's
    hyper-parameters when ``optimizer`` keeps them (see :func:`fit_gp`).
    """

    def __init__(
        self,
        kernel: Any = None,
        *,
        warp: Kumaraswamy | None = None,
        alpha: float = 1e-10,
        optimizer: Any = "fmin_l_bfgs_b",
        normalize_y: bool = False,
    ) -> None:
        super().__init__(kernel, alpha=alpha, optimizer=optimizer, normalize_y=normalize_y)
        self.warp = warp

    def fit(self, X: np.ndarray, y: np.ndarray) -> WarpedRegressor:
        """Fit on the warped ``X``."""
        self.X_features_ = np.asarray(X, dtype=float)
        super().fit(_warped(self.warp, X), y)
        return self

    def predict(self, X: np.ndarray, return_std: bool = False, return_cov: bool = False) -> Any:
        """Predict at the warped ``X``."""
        return super().predict(_warped(self.warp, X), return_std=return_std, return_cov=return_cov)


def _map_theta(
    X: np.ndarray,
    y: np.ndarray,
    starts: list[np.ndarray],
    maxiter: int,
    pri: tuple[np.ndarray, np.ndarray],
    kind: str,
    bounds: np.ndarray,
    shared: int = 0,
) -> tuple[np.ndarray, float]:
    """The best MAP estimate from ``starts`` (``maxiter=0``: ``starts[0]`` as it is)."""
    if maxiter <= 0:
        t0 = np.clip(starts[0], bounds[:, 0], bounds[:, 1])
        return t0, float(neg_log_posterior(t0, X, y, pri, kind, shared)[0])
    best: tuple[np.ndarray, float] | None = None
    for t0 in starts:
        t0 = np.clip(t0, bounds[:, 0], bounds[:, 1])
        res = minimize(
            neg_log_posterior,
            t0,
            args=(X, y, pri, kind, shared),
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": maxiter},
        )
        if best is None or res.fun < best[1]:
            best = (res.x, float(res.fun))
    assert best is not None
    return best


def fit_gp(
    X: np.ndarray,
    y: np.ndarray,
    starts: list[np.ndarray],
    maxiter: int = 60,
    pri: tuple[np.ndarray, np.ndarray] | None = None,
    kind: str = "matern",
    warped: int = 0,
) -> GaussianProcessRegressor:
    """Fit the regressor on standardized ``y``, hyper-parameters by MAP from each of ``starts``.

    ``starts`` typically holds the previous fit's theta (warm start, converges in a few steps)
    and, while the data are few, the prior's mode. ``maxiter=0`` keeps ``starts[0]`` as it is.
    ``warped``: how many leading features get a :class:`Kumaraswamy` warp, fitted jointly (theta,
    ``starts`` and ``pri`` then carry its log a and log b after the noise); the result is then a
    :class:`WarpedRegressor`.
    """
    dim = X.shape[1]
    pri = pri if pri is not None else prior(dim, warped=warped)
    kernel = _kernel(dim, kind=kind)
    bounds = np.vstack([kernel.bounds, np.tile(np.log(WARP_BOUNDS), (2 * warped, 1))])
    theta, fun = _map_theta(X, y, starts, maxiter, pri, kind, bounds)

    def optimizer(
        obj_func: Callable[..., Any], initial_theta: np.ndarray, bounds: np.ndarray
    ) -> tuple[np.ndarray, float]:
        return theta[: dim + 2], fun  # the MAP above (scikit-learn's own would be ML, and slow)

    if warped:
        warp = Kumaraswamy.from_theta(theta[dim + 2 :])
        gp: GaussianProcessRegressor = WarpedRegressor(kernel, warp=warp, alpha=JITTER, optimizer=optimizer)
    else:
        gp = GaussianProcessRegressor(kernel, alpha=JITTER, optimizer=optimizer, normalize_y=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gp.fit(X, y)
    return gp


def fit_shared(
    X: np.ndarray,
    y: np.ndarray,
    starts: list[np.ndarray],
    shared: int,
    maxiter: int = 60,
    pri: tuple[np.ndarray, np.ndarray] | None = None,
    kind: str = "matern",
) -> Posterior:
    """:func:`fit_gp` for ``s2 * k(all features) + s2b * k(the first ``shared`` features) + noise``.

    The second term sees only the numeric features, so what the data say about them holds for
    every level of the choices (the one-hot columns), while the first keeps each level's own
    shape: the sum part of BoTorch's ``MixedSingleTaskGP`` (a kernel on the continuous inputs plus
    one on all of them). theta = log(s2, lengths..., noise, s2b); both terms use the same lengths.
    scikit-learn's kernels cannot look at a subset of the columns, so the posterior is built
    from the MAP theta here (the same Cholesky algebra as the regressor's).
    """
    dim = X.shape[1]
    pri = pri if pri is not None else prior(dim, shared=True)
    bounds = np.vstack([_kernel(dim, kind=kind).bounds, np.log([SHARED_BOUNDS])])
    theta, _ = _map_theta(X, y, starts, maxiter, pri, kind, bounds, shared)
    return Posterior.from_theta(X, y, theta, kind, shared)


def default_theta(dim: int, pri: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """The prior's mode: where a fit starts when there is nothing to warm-start from."""
    mean, _ = pri if pri is not None else prior(dim)
    lo, hi = np.log(LS_BOUNDS)
    t = mean.copy()
    t[1 : dim + 1] = np.clip(t[1 : dim + 1] - 0.5, lo, hi)  # a little shorter than the prior mean: start flexible
    return t


class Posterior:
    """The latent function's posterior of a fitted regressor, with gradients.

    Fantasy points (kriging believer) can be added with fixed hyper-parameters, which only
    refactorizes the covariance: the mean does not move, the variance shrinks near them.
    Points are given as unwarped features; a :class:`WarpedRegressor`'s warp is applied inside
    (``X`` holds the unwarped training features, ``F`` the ones the kernel sees).
    """

    def __init__(self, gp: GaussianProcessRegressor) -> None:
        kernel_theta = gp.kernel_.theta
        self.warp: Kumaraswamy | None = getattr(gp, "warp", None)
        self.theta = kernel_theta if self.warp is None else np.concatenate([kernel_theta, self.warp.theta])
        self.kind = "matern" if isinstance(gp.kernel_.k1.k2, Matern) else "rbf"  # Matern subclasses RBF
        self.s2 = math.exp(kernel_theta[0])
        self.ls = np.exp(kernel_theta[1:-1])
        self.noise = math.exp(kernel_theta[-1])
        self.F = np.asarray(gp.X_train_, dtype=float)
        self.X = np.asarray(gp.X_features_, dtype=float) if self.warp is not None else self.F
        self.y = np.asarray(gp.y_train_, dtype=float).ravel()
        self.L = gp.L_
        self.alpha = np.asarray(gp.alpha_, dtype=float).ravel()
        self.fantasy_min = math.inf  # the best believed (not observed) value
        self.shared, self.s2b = 0, 0.0

    @classmethod
    def from_theta(cls, X: np.ndarray, y: np.ndarray, theta: np.ndarray, kind: str, shared: int) -> Posterior:
        """The posterior of :func:`fit_shared`'s model with hyper-parameters ``theta``."""
        new = object.__new__(cls)
        dim = X.shape[1]
        new.theta = np.asarray(theta, dtype=float)
        new.warp, new.kind = None, kind
        new.s2, new.ls, new.noise = math.exp(theta[0]), np.exp(theta[1 : dim + 1]), math.exp(theta[dim + 1])
        new.shared, new.s2b = shared, math.exp(theta[dim + 2])
        new.X = new.F = np.asarray(X, dtype=float)
        new.y = np.asarray(y, dtype=float).ravel()
        K = new._cov(new.F, new.F)
        K[np.diag_indices(len(K))] += new.noise + JITTER
        new.L = np.linalg.cholesky(K)
        new.alpha = cho_solve((new.L, True), new.y)
        new.fantasy_min = math.inf
        return new

    def _cov(self, A: np.ndarray, B: np.ndarray) -> np.ndarray:
        """The latent covariance between the (kernel-space) rows of ``A`` and ``B``."""
        K = self.s2 * correlation(_sqdist(A / self.ls, B / self.ls), self.kind)[0]
        if self.shared:
            m, ls = self.shared, self.ls[: self.shared]
            K = K + self.s2b * correlation(_sqdist(A[:, :m] / ls, B[:, :m] / ls), self.kind)[0]
        return np.asarray(K, dtype=float)

    def with_fantasies(self, Xf: np.ndarray) -> Posterior:
        """A copy that also observed ``Xf`` at its own predicted mean."""
        if len(Xf) == 0:
            return self
        mu, _ = self.predict(Xf)
        new = object.__new__(Posterior)
        new.__dict__.update(self.__dict__)
        new.X = np.vstack([self.X, Xf])
        new.F = np.vstack([self.F, _warped(self.warp, Xf)])
        new.y = np.concatenate([self.y, mu])
        new.fantasy_min = float(min(self.fantasy_min, mu.min()))
        K = self._cov(new.F, new.F)
        # Believers are noise-free: the uncertainty must vanish there, or a noisy model would
        # let the next pick land right beside them.
        n_real = len(self.F)
        K[np.diag_indices(len(K))] += np.r_[np.full(n_real, self.noise), np.full(len(Xf), 1e-6)] + JITTER
        new.L = np.linalg.cholesky(K)
        new.alpha = cho_solve((new.L, True), new.y)
        return new

    def predict(self, Xc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Latent mean and variance at the rows of ``Xc``."""
        Fc = _warped(self.warp, Xc)
        k = self._cov(Fc, self.F)
        mu = k @ self.alpha
        v = solve_triangular(self.L, k.T, lower=True)
        var = np.maximum(self.s2 + self.s2b - (v * v).sum(0), 1e-12)
        return mu, var

    def predict_grad(self, Xc: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Mean, variance and their gradients (rows of ``Xc`` x features)."""
        parts = self.warp.parts(Xc) if self.warp is not None else None
        Fc = self.warp.apply(Xc, parts) if self.warp is not None else Xc
        corr, S = correlation(_sqdist(Fc / self.ls, self.F / self.ls), self.kind)
        k = self.s2 * corr
        g = -self.s2 * S  # dk/dx = g * (x - x') / l^2
        if self.shared:
            m, lsb = self.shared, self.ls[: self.shared]
            corr_b, S_b = correlation(_sqdist(Fc[:, :m] / lsb, self.F[:, :m] / lsb), self.kind)
            k = k + self.s2b * corr_b
            g_b = -self.s2b * S_b
        mu = k @ self.alpha
        kinv = cho_solve((self.L, True), k.T).T  # K^-1 k for each row
        var = np.maximum(self.s2 + self.s2b - (k * kinv).sum(1), 1e-12)
        inv_l2 = 1.0 / self.ls**2
        dmu = _pull(g * self.alpha, Fc, self.F) * inv_l2
        dvar = -2.0 * _pull(g * kinv, Fc, self.F) * inv_l2
        if self.shared:  # the shared term moves only the first m (numeric) features
            Fm, Xm = Fc[:, :m], self.F[:, :m]
            dmu[:, :m] += _pull(g_b * self.alpha, Fm, Xm) * inv_l2[:m]
            dvar[:, :m] -= 2.0 * _pull(g_b * kinv, Fm, Xm) * inv_l2[:m]
        if self.warp is not None:  # the chain rule through the warp: d/dx = d/dw * dw/dx
            dw = self.warp.grad_x(Xc, parts)
            dmu[:, : self.warp.n] *= dw
            dvar[:, : self.warp.n] *= dw
        return mu, var, dmu, dvar


def _pull(w: np.ndarray, Fc: np.ndarray, F: np.ndarray) -> np.ndarray:
    """``sum_i w_ci (x_c - x_i)`` for each row ``c`` of ``Fc``: a stationary kernel term's gradient
    in its inputs is this with ``w`` = the pair weights times dk/dr (then over the lengths squared)."""
    return np.asarray(Fc * w.sum(1)[:, None] - w @ F, dtype=float)


def _log_h(z: np.ndarray) -> np.ndarray:
    """log(phi(z) + z * Phi(z)), stable for very negative z (tiny improvements)."""
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    big = z > -1.0
    zb = z[big]
    out[big] = np.log(np.exp(-0.5 * zb * zb) / math.sqrt(2 * math.pi) + zb * np.exp(log_ndtr(zb)))
    zs = z[~big]
    # h(z) = phi(z) * (1 - |z| * sqrt(pi/2) * erfcx(|z|/sqrt2)); the bracket via log1mexp.
    w = np.log(erfcx(-zs / math.sqrt(2)) * np.abs(zs)) + 0.5 * math.log(math.pi / 2)
    w = np.minimum(w, -1e-300)
    log1mexp = np.where(w > -math.log(2), np.log(-np.expm1(w)), np.log1p(-np.exp(w)))
    asym = -2.0 * np.log(np.abs(zs))  # beyond ~1e7 the bracket is 1/z^2 to double precision
    tail = np.where(zs < -1e6, asym, log1mexp)
    out[~big] = -0.5 * zs * zs - 0.5 * math.log(2 * math.pi) + tail
    return out


def log_ei(mu: np.ndarray, sigma: np.ndarray, best: float) -> np.ndarray:
    """log expected improvement below ``best`` (minimization) of N(mu, sigma^2)."""
    z = (best - mu) / sigma
    return np.asarray(np.log(sigma) + _log_h(z), dtype=float)


def log_ei_grad(mu: np.ndarray, sigma: np.ndarray, best: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """log EI and its partial derivatives in mu and sigma."""
    z = (best - mu) / sigma
    lh = _log_h(z)
    d_mu = -np.exp(log_ndtr(z) - lh) / sigma
    d_sigma = np.exp(-0.5 * z * z - 0.5 * math.log(2 * math.pi) - lh) / sigma
    return np.log(sigma) + lh, d_mu, d_sigma


def ei_parts(mu: float, sigma: float, best: float) -> tuple[float, float]:
    """EI's two terms: mean improvement ``(best - mu) Phi(z)`` and uncertainty ``sigma phi(z)``."""
    z = (best - mu) / sigma
    phi = math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
    Phi = 0.5 * math.erfc(-z / math.sqrt(2))
    return (best - mu) * Phi, sigma * phi
