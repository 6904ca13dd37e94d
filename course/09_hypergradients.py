# %% [markdown]
# # Lesson 9 · Hyperparameters by gradient: hypergradients and hypernetworks
#
# Every search so far treated training as a black box: pick a hyperparameter, train, read the
# validation score, pick again. But for many hyperparameters the validation loss is a smooth,
# differentiable function of them. A regularization strength `alpha` changes the trained weights
# `w(alpha)` smoothly, and the validation loss changes smoothly with the weights. Its derivative,
# the **hypergradient**, says which way to move `alpha` and how far, after a single training run.
#
# This lesson computes it exactly for ridge regression (by *implicit differentiation*, without
# unrolling training), descends it, and compares that with Bayesian optimization on the same number
# of training runs. Then it turns to *hypernetworks* (Lorraine & Duvenaud, *Stochastic
# Hyperparameter Optimization through Hypernetworks*, 2018): a small network that learns the map
# from the hyperparameter to the trained weights, so that the whole best-response curve can be read
# off and descended. Everything is numpy and runs in seconds.

# %%
# %load_ext jhpo
import numpy as np
import matplotlib.pyplot as plt
from threadpoolctl import threadpool_limits
threadpool_limits(1)
plt.rcParams["figure.figsize"] = (9, 3.5)

from scipy.linalg import cho_factor, cho_solve

# A regression problem where regularization matters: 30 features, only 40 training examples, and a
# true weight vector whose entries fade (most features matter a little, a few a lot).
rng = np.random.default_rng(0)
n_train, n_val, n_test, d = 40, 200, 1000, 30
w_true = rng.normal(0, 1, d) * np.exp(-np.arange(d) / 6)
X_train, X_val, X_test = (rng.normal(size=(n, d)) for n in (n_train, n_val, n_test))
y_train, y_val, y_test = (X @ w_true + rng.normal(0, 1.0, len(X)) for X in (X_train, X_val, X_test))


def fit_ridge(alpha):
    """One training run: the weights minimizing ||X w - y||^2 + alpha ||w||^2 (a linear solve)."""
    H = X_train.T @ X_train + alpha * np.eye(d)
    return np.linalg.solve(H, X_train.T @ y_train)


def mse(X, y, w):
    return float(np.mean((X @ w - y) ** 2))

# %% [markdown]
# ## 1. The validation loss as a function of `alpha`
#
# Ridge regression is cheap, so we can afford what a real problem never allows: 400 training runs on
# a fine grid, to see the whole curve. Too little regularization and the 30 weights fit the noise of
# 40 examples; too much and they are all pulled to zero. The grid's minimum is the target every
# method below aims for.

# %%
alphas = np.logspace(-3, 3, 400)
curve = np.array([mse(X_val, y_val, fit_ridge(a)) for a in alphas])
grid_best = alphas[curve.argmin()]
print(f"grid of 400 values: best validation loss {curve.min():.4f} at alpha {grid_best:.3g}")
plt.semilogx(alphas, curve, color="gray")
plt.axvline(grid_best, color="gray", ls=":")
plt.xlabel("alpha (ridge penalty)"); plt.ylabel("validation loss (MSE)")
plt.title("what every method below is looking for")
plt.show()

# %% [markdown]
# ## 2. The hypergradient, by implicit differentiation
#
# The trained weights satisfy the training optimum's condition: the gradient of the training
# objective is zero,
#
# $$(X^\top X + \alpha I)\, w(\alpha) = X^\top y .$$
#
# Differentiate both sides with respect to `alpha`: $(X^\top X + \alpha I)\, w'(\alpha) + w = 0$, so
# $w'(\alpha) = -H^{-1} w$ with $H = X^\top X + \alpha I$. The chain rule finishes it: with
# $g = \nabla_w L_\text{val}$,
#
# $$\frac{d L_\text{val}}{d\alpha} = g^\top w'(\alpha) = -\,g^\top H^{-1} w .$$
#
# We never differentiate *through* training (no unrolled steps): the optimality condition is
# enough. The same holds for any training objective at its minimum, with $H$ its Hessian, which is
# how hypergradients scale to networks (with Hessian-vector products instead of a solve). Here $H$
# is already factorized (Cholesky) by the training run, so the hypergradient costs one more solve
# with that factorization, far less than a training run.
# We work in `log(alpha)`, since `alpha` ranges over orders of magnitude.

# %%
def ridge_with_hypergradient(alpha):
    """Train once; return the validation loss and its derivative with respect to log(alpha)."""
    H = cho_factor(X_train.T @ X_train + alpha * np.eye(d))
    w = cho_solve(H, X_train.T @ y_train)                 # the training run
    g = 2 / n_val * X_val.T @ (X_val @ w - y_val)        # gradient of the validation loss in w
    dw_dalpha = -cho_solve(H, w)                         # implicit differentiation
    return mse(X_val, y_val, w), float(g @ dw_dalpha) * alpha   # d/d log(alpha) = alpha * d/d alpha


eps = 1e-5
finite = (mse(X_val, y_val, fit_ridge(2 * np.exp(eps))) - mse(X_val, y_val, fit_ridge(2 * np.exp(-eps)))) / (2 * eps)
print(f"finite difference check at alpha 2: hypergradient {ridge_with_hypergradient(2)[1]:.6f}, "
      f"finite difference {finite:.6f}")

# %% [markdown]
# ## 3. Descend it, and compare with Bayesian optimization on the same budget
#
# Gradient descent on `log(alpha)` from the default `alpha = 1`: 10 steps, so 10 training runs.
# The step size (4) is itself a hyperparameter, though a forgiving one (see *Try it*).

# %%
log_alpha, step_size, hg_path = np.log(1.0), 4.0, []
for _ in range(10):
    loss, grad = ridge_with_hypergradient(np.exp(log_alpha))
    hg_path.append((np.exp(log_alpha), loss))
    log_alpha -= step_size * grad
hg_alpha, hg_loss = min(hg_path, key=lambda p: p[1])
print(f"hypergradient descent: 10 training runs, validation loss {hg_loss:.4f} at alpha {hg_alpha:.3g}")

# %% [markdown]
# Bayesian optimization gets the same 10 training runs. It sees only the loss of each run, not
# its slope, and must spend some runs exploring the six decades of `alpha`. The cell's default
# `alpha = 1.0` is its first trial, the same starting point as the descent above.

# %%
# %%tune --strategy bayes --trials 10 --minimize val_loss --seed 0 --study lesson9_bayes --resume -o bayes
alpha = 1.0     # tune: loguniform(1e-3, 1e3)
w = fit_ridge(alpha)
val_loss = mse(X_val, y_val, w)

# %%
bayes_runs = [(t.params["alpha"], t.value) for t in bayes.trials]
print(f"bayes: 10 training runs, validation loss {bayes.best_value:.4f} at alpha {bayes.best_params['alpha']:.3g}")
fig, (left, right) = plt.subplots(1, 2)
left.semilogx(alphas, curve, color="gray", label="validation loss")
left.plot(*zip(*hg_path), "o-", ms=4, label="hypergradient descent")
left.plot(*zip(*bayes_runs), "s", ms=5, mfc="none", label="bayes trials")
left.set_xlabel("alpha"); left.set_ylabel("validation loss"); left.legend()
for name, runs in (("hypergradient descent", hg_path), ("bayes", bayes_runs)):
    right.plot(range(1, 11), np.minimum.accumulate([loss for _, loss in runs]), "o-", ms=4, label=name)
right.axhline(curve.min(), color="gray", ls=":", label="grid optimum")
right.set_xlabel("training runs"); right.set_ylabel("best validation loss so far"); right.legend()
plt.show()

# %% [markdown]
# With one hyperparameter both get close: Bayesian optimization is very good at one smooth
# dimension. The descent walks straight down the slope, each step informed by where the last one
# landed.
#
# ## 4. Where gradients win: one hyperparameter per weight
#
# Give every feature its own penalty, `alpha_j`: 30 hyperparameters. A Bayesian search with 10 (or
# 100) trials in 30 dimensions barely starts to learn the shape of the loss, but the hypergradient
# still costs one training run per step: $\partial L_\text{val} / \partial \alpha_j = -(H^{-1} g)_j\,
# w_j$ with $H = X^\top X + \operatorname{diag}(\alpha)$. Tuning 30 hyperparameters on 200
# validation examples can overfit the *validation* set, so we check on the 1,000 test examples no
# search has seen.

# %%
def per_feature_hypergradient(alphas_j):
    H = cho_factor(X_train.T @ X_train + np.diag(alphas_j))
    w = cho_solve(H, X_train.T @ y_train)
    g = 2 / n_val * X_val.T @ (X_val @ w - y_val)
    return w, -cho_solve(H, g) * w * alphas_j          # d L_val / d log(alpha_j), all j at once


log_alphas = np.full(d, np.log(grid_best))     # start from the best single penalty
for _ in range(30):
    w_many, grad = per_feature_hypergradient(np.exp(log_alphas))
    log_alphas -= 4.0 * grad
w_many, _ = per_feature_hypergradient(np.exp(log_alphas))
w_one = fit_ridge(grid_best)
print(f"one penalty: validation loss {mse(X_val, y_val, w_one):.4f}, test loss {mse(X_test, y_test, w_one):.4f}")
print(f"30 penalties: validation loss {mse(X_val, y_val, w_many):.4f}, test loss {mse(X_test, y_test, w_many):.4f}")
plt.semilogy(np.exp(log_alphas), "o", label="learned penalty alpha_j")
plt.semilogy(np.abs(w_true) + 1e-3, "x", label="|true weight|")
plt.xlabel("feature j"); plt.legend(); plt.title("penalties grow where the true weights fade")
plt.show()

# %% [markdown]
# ## 5. Hypernetworks: learn the whole best-response curve
#
# The hypergradient needed the training optimum's condition and a solve with its Hessian. For a
# network trained by SGD, neither is cheap. Lorraine & Duvenaud's idea: train a second, small
# network, the **hypernetwork** $w_\phi(\alpha)$, that outputs the weights for any `alpha`. It is
# trained on the *training* objective, with a fresh `alpha` drawn at every step:
#
# $$\min_\phi\; \mathbb{E}_{\alpha}\,\big[\, \|X w_\phi(\alpha) - y\|^2 + \alpha \|w_\phi(\alpha)\|^2 \big].$$
#
# If it succeeds, $w_\phi(\alpha)$ is the **best response** $w^*(\alpha)$, and the validation loss
# $L_\text{val}(w_\phi(\alpha))$ can be differentiated in `alpha` by ordinary backpropagation
# through the hypernetwork, with no further training runs.
#
# A toy problem small enough to see: 2 correlated features, 10 noisy training examples, so the
# best response is two curves we can compute exactly and plot.

# %%
toy = np.random.default_rng(1)
mix = np.linalg.cholesky([[1, 0.9], [0.9, 1]])
Xs, Xv = toy.normal(size=(10, 2)) @ mix.T, toy.normal(size=(100, 2)) @ mix.T
ys, yv = Xs @ [1.5, -0.5] + toy.normal(0, 1.5, 10), Xv @ [1.5, -0.5] + toy.normal(0, 1.5, 100)
T_LO, T_HI = np.log(1e-2), np.log(1e3)      # the hypernetwork's input is t = log(alpha)


def best_response(t):
    """The exact trained weights for alpha = exp(t) (what the hypernetwork should learn)."""
    return np.linalg.solve(Xs.T @ Xs + np.exp(t) * np.eye(2), Xs.T @ ys)


class HyperNet:
    """w(t) = W tanh(a s + b) + c, with s = t rescaled to [-1, 1]; 16 hidden units, trained by Adam."""

    def __init__(self, hidden=16, seed=0):
        r = np.random.default_rng(seed)
        self.p = [r.normal(0, 2, hidden), r.normal(0, 1, hidden), r.normal(0, 0.1, (2, hidden)), np.zeros(2)]
        self.m, self.v, self.k = [0 * q for q in self.p], [0 * q for q in self.p], 0

    def scale(self, t):
        return (np.asarray(t) - (T_LO + T_HI) / 2) / ((T_HI - T_LO) / 2)

    def __call__(self, t):
        a, b, W, c = self.p
        h = np.tanh(np.outer(self.scale(t), a) + b)
        return h @ W.T + c, h

    def train_step(self, t, lr=0.02):
        """One Adam step on the training objective, averaged over the batch of log-alphas t."""
        a, b, W, c = self.p
        w, h = self(t)
        g = 2 / len(ys) * ((w @ Xs.T - ys) @ Xs + np.exp(t)[:, None] * w) / len(t)   # d loss / d w
        back = (g @ W) * (1 - h**2)
        grads = [back.T @ self.scale(t), back.sum(0), g.T @ h, g.sum(0)]
        self.k += 1
        for j, grad in enumerate(grads):
            self.m[j] = 0.9 * self.m[j] + 0.1 * grad
            self.v[j] = 0.999 * self.v[j] + 0.001 * grad**2
            self.p[j] -= lr * self.m[j] / (1 - 0.9**self.k) / (np.sqrt(self.v[j] / (1 - 0.999**self.k)) + 1e-8)

    def dw_dt(self, t):
        """How the hypernetwork's weights move with t = log(alpha): backpropagation by hand."""
        a, b, W, c = self.p
        _, h = self([t])
        return W @ ((1 - h[0] ** 2) * a) / ((T_HI - T_LO) / 2)


net, draw = HyperNet(), np.random.default_rng(0)
for step in range(4000):
    net.train_step(draw.uniform(T_LO, T_HI, 32), lr=0.02 if step < 3000 else 0.005)

ts = np.linspace(T_LO, T_HI, 200)
true_w, net_w = np.array([best_response(t) for t in ts]), net(ts)[0]
print(f"hypernetwork vs true best response: largest gap {np.abs(net_w - true_w).max():.4f} "
      f"(weights up to {np.abs(true_w).max():.2f})")
for j, color in enumerate(("C0", "C1")):
    plt.semilogx(np.exp(ts), true_w[:, j], color=color, lw=4, alpha=0.3, label=f"true w{j + 1}(alpha)")
    plt.semilogx(np.exp(ts), net_w[:, j], color=color, ls="--", label=f"hypernetwork w{j + 1}(alpha)")
plt.xlabel("alpha"); plt.ylabel("trained weight"); plt.legend(); plt.title("the best-response curve")
plt.show()

# %% [markdown]
# The dashed curves lie on the thick ones: one network learned what 200 separate training runs
# compute. Note that `w2` is not monotone: as `alpha` grows it first moves toward zero, overshoots
# and comes back, something no simple guess would have drawn.
#
# ## 6. Descend the validation loss through the hypernetwork
#
# Now the chain rule runs through the hypernetwork: $dL_\text{val}/dt = \nabla_w L_\text{val}
# \cdot dw_\phi/dt$. Each step costs one hypernetwork evaluation, no training. We start far from
# the optimum, at `alpha = 0.05`.

# %%
def val_loss_toy(w):
    return float(np.mean((Xv @ w - yv) ** 2))


def descend_through(net, t, steps=100, step_size=1.0):
    for _ in range(steps):
        w = net([t])[0][0]
        t -= step_size * (2 / len(yv) * Xv.T @ (Xv @ w - yv)) @ net.dw_dt(t)
    return t


true_curve = np.array([val_loss_toy(w) for w in true_w])
t_best = ts[true_curve.argmin()]
t_net = descend_through(net, np.log(0.05))
print(f"through the hypernetwork: alpha {np.exp(t_net):.3g}, validation loss {val_loss_toy(best_response(t_net)):.4f} "
      f"(true optimum: alpha {np.exp(t_best):.3g}, {true_curve.min():.4f})")

# %% [markdown]
# ## 7. Training both at once: the algorithm of the paper
#
# Learning the best response over six decades of `alpha` wastes effort on regions the search never
# visits. Lorraine & Duvenaud train the hypernetwork and the hyperparameter **jointly**: the
# hypernetwork sees `alpha`s drawn *near the current one* and only has to be right there; every
# few steps, the hyperparameter takes a gradient step on the validation loss through it. Both
# settle together: a single training run that also tunes its own regularization.

# %%
joint, draw, t_hat, path = HyperNet(seed=1), np.random.default_rng(1), np.log(0.05), []
for step in range(3000):
    joint.train_step(t_hat + draw.normal(0, 0.5, 32))          # alphas near the current one
    if step > 200 and step % 10 == 0:                          # then a hyperparameter step
        t_hat = float(np.clip(descend_through(joint, t_hat, steps=1, step_size=0.3), T_LO, T_HI))
    path.append(t_hat)
print(f"joint training: alpha {np.exp(t_hat):.3g}, validation loss {val_loss_toy(best_response(t_hat)):.4f}")
fig, (left, right) = plt.subplots(1, 2)
left.semilogy(np.exp(path)); left.axhline(np.exp(t_best), color="gray", ls=":", label="true optimum")
left.set_xlabel("training step"); left.set_ylabel("alpha"); left.legend()
near = ts[np.abs(ts - t_hat) < 1.5]
right.semilogx(np.exp(ts), true_w[:, 1], color="C1", lw=4, alpha=0.3, label="true w2(alpha)")
right.semilogx(np.exp(near), joint(near)[0][:, 1], "C1--", label="joint hypernetwork, near alpha")
right.set_xlabel("alpha"); right.legend()
plt.show()

# %% [markdown]
# The jointly trained hypernetwork is right only near the `alpha` it settled on (right panel), and
# that is all the hyperparameter step needs. *Self-Tuning Networks* (MacKay et al., 2019) make
# this cheap for real networks, with a hypernetwork that only rescales the units of each layer,
# and use it to adapt hyperparameters during training.
#
# When to reach for gradients: the hyperparameter is continuous (a penalty, a learning rate, a data
# augmentation strength) and you can differentiate the training objective. When not: discrete
# choices (an architecture, a kernel), noisy or non-differentiable validation metrics (accuracy),
# or a training routine you cannot open up. Those are what `%%tune` searches are for.
#
# ## Try it
#
# 1. Change the descent's `step_size` in section 3 to 1 and to 8. How many of the 10 training runs
#    does each need? What is the equivalent knob of Bayesian optimization?
# 2. Start the descent at `alpha = 1e-3` instead of 1. The curve is almost flat there: what does
#    the gradient do, and would `%%tune --strategy bayes` be fooled by the same plateau?
# 3. Give the hypernetwork 4 hidden units instead of 16. Where does its best response leave the
#    true one, and does the `alpha` it finds suffer?
