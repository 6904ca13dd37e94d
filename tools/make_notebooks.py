"""Writes the course notebooks notebooks/02_*.ipynb ... 08_*.ipynb (run: python tools/make_notebooks.py).

The lessons live here as Python source so that they stay reviewable in diffs; the notebooks are
generated from it and committed without outputs (tests/test_course.py executes them). Each lesson
is prose, ``%%tune`` cells that show the idea, plots that make the point and a "Try it" question.
Every lesson downloads nothing, stores its studies in ``.jhpo/`` next to the notebook under fixed
names with ``--resume`` (so re-running it continues rather than fails) and seeds every search.

``python tools/make_notebooks.py 03`` writes only the lessons whose file name starts with ``03``.
"""
# ruff: noqa: E501 - the strings are notebook cells, and a `%%tune` line cannot be wrapped

from __future__ import annotations

import sys
from pathlib import Path

import nbformat as nbf

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def md(text: str) -> nbf.NotebookNode:
    return nbf.v4.new_markdown_cell(text.strip("\n"))


def code(text: str) -> nbf.NotebookNode:
    return nbf.v4.new_code_cell(text.strip("\n"))


# The first code cell of every lesson. One BLAS thread: the matrices here are small, so threads
# only add overhead (and Binder gives a lesson one or two cores).
SETUP = """
%load_ext jhpo
import warnings
import numpy as np
import matplotlib.pyplot as plt
from threadpoolctl import threadpool_limits
threadpool_limits(1)
plt.rcParams["figure.figsize"] = (9, 3.5)
"""

# A small neural network in numpy, shared by lessons 7 and 8: every hyperparameter they discuss is
# an argument, and dropout, weight decay and early stopping are a few visible lines each.
NUMPY_MLP = '''
def lr_factor(schedule, epoch, epochs):
    """The fraction of the base learning rate that epoch `epoch` of `epochs` uses."""
    if schedule == "step":      # divide by 10 at half and again at three quarters of training
        return 0.1 ** ((epoch >= epochs // 2) + (epoch >= 3 * epochs // 4))
    if schedule == "cosine":    # glide from 1 down to 0 along half a cosine
        return 0.5 * (1 + np.cos(np.pi * epoch / epochs))
    if schedule == "cyclic":    # triangles between 0.1 and 1, three of them
        period = max(2, epochs // 3)
        return 0.1 + 0.9 * (1 - abs(2 * (epoch % period) / period - 1))
    return 1.0                  # "constant"


def train_mlp(X, y, X_val, y_val, *, hidden=64, lr=0.1, epochs=20, batch_size=32, optimizer="sgd",
              momentum=0.0, schedule="constant", weight_decay=0.0, dropout=0.0, patience=None, seed=0):
    """Train a one-hidden-layer ReLU network with a softmax output by minibatch gradient descent.

    The weights are the *parameters* (learned); every argument after `y_val` is a *hyperparameter*.
    Returns the per-epoch history (lr, loss, train_acc, val_loss, val_acc) and the final scores.
    """
    rng = np.random.default_rng(seed)
    n_out = int(max(y.max(), y_val.max())) + 1
    params = [rng.normal(0, np.sqrt(2 / X.shape[1]), (X.shape[1], hidden)), np.zeros(hidden),
              rng.normal(0, np.sqrt(1 / hidden), (hidden, n_out)), np.zeros(n_out)]
    m = [np.zeros_like(p) for p in params]   # SGD's velocity, or Adam's running mean of gradients
    v = [np.zeros_like(p) for p in params]   # Adam's running mean of squared gradients
    Y = np.eye(n_out)[y]

    def forward(Xb, p):
        z = np.maximum(Xb @ p[0] + p[1], 0) @ p[2] + p[3]
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def evaluate(Xe, ye, p):
        prob = forward(Xe, p)
        loss = -np.mean(np.log(np.clip(prob[np.arange(len(ye)), ye], 1e-12, None)))
        return float(loss), float(np.mean(prob.argmax(axis=1) == ye))

    hist = {k: [] for k in ("lr", "loss", "train_acc", "val_loss", "val_acc")}
    best_loss, best_params, waited, t, diverged = np.inf, [p.copy() for p in params], 0, 0, False
    with np.errstate(all="ignore"):
        for epoch in range(epochs):
            step_lr = lr * lr_factor(schedule, epoch, epochs)
            order = rng.permutation(len(X))
            for start in range(0, len(X), batch_size):
                i = order[start:start + batch_size]
                z1 = X[i] @ params[0] + params[1]
                h = np.maximum(z1, 0)
                if dropout > 0:   # inverted dropout: silence hidden units at random, scale the rest up
                    mask = (rng.random(h.shape) >= dropout) / (1 - dropout)
                    h = h * mask
                z = h @ params[2] + params[3]
                prob = np.exp(z - z.max(axis=1, keepdims=True))
                prob /= prob.sum(axis=1, keepdims=True)
                d2 = (prob - Y[i]) / len(i)
                dh = (d2 @ params[2].T) * (z1 > 0)
                if dropout > 0:
                    dh = dh * mask
                # weight decay: the gradient of (weight_decay / 2) * ||W||^2 pulls every weight toward 0
                grads = [X[i].T @ dh + weight_decay * params[0], dh.sum(0),
                         h.T @ d2 + weight_decay * params[2], d2.sum(0)]
                t += 1
                for k, (p, g) in enumerate(zip(params, grads)):
                    if optimizer == "adam":   # a step per weight, scaled by its own gradient history
                        m[k] = 0.9 * m[k] + 0.1 * g
                        v[k] = 0.999 * v[k] + 0.001 * g * g
                        p -= step_lr * (m[k] / (1 - 0.9 ** t)) / (np.sqrt(v[k] / (1 - 0.999 ** t)) + 1e-8)
                    else:                     # SGD; momentum > 0 keeps a velocity of past gradients
                        m[k] = momentum * m[k] - step_lr * g
                        p += m[k]
            loss, acc = evaluate(X, y, params)
            val_loss, val_acc = evaluate(X_val, y_val, params)
            for key, value in zip(hist, (step_lr, loss, acc, val_loss, val_acc)):
                hist[key].append(value)
            if not np.isfinite(loss) or loss > 1e3:
                diverged = True
                break
            if val_loss < best_loss:
                best_loss, best_params, waited = val_loss, [p.copy() for p in params], 0
            else:
                waited += 1
                if patience is not None and waited >= patience:
                    break     # early stopping: no better validation loss for `patience` epochs
    if patience is not None:
        params = best_params  # ... and keep the weights of the best epoch
    loss, acc = evaluate(X, y, params)
    val_loss, val_acc = evaluate(X_val, y_val, params)
    # "diverged": the loss blew up, or training ended worse than guessing uniformly (log of the classes)
    diverged = diverged or not np.isfinite(loss) or loss > np.log(n_out)
    return {"history": hist, "diverged": diverged, "epochs_run": len(hist["loss"]), "loss": loss,
            "train_acc": acc, "val_acc": val_acc if np.isfinite(val_loss) else 0.0, "val_loss": val_loss,
            "predict": lambda Xn: forward(Xn, params).argmax(axis=1)}
'''


# ---------------------------------------------------------------------------------------------
# Lesson 2: parameters vs hyperparameters, bias and variance
# ---------------------------------------------------------------------------------------------
def lesson_bias_variance() -> list[nbf.NotebookNode]:
    return [
        md("""
# Lesson 2 · Parameters, hyperparameters, bias and variance

A model has two kinds of numbers:

* **parameters** are what training *learns* from the data: the coefficients of a polynomial, the
  split thresholds of a tree, the weights of a network;
* **hyperparameters** are what *you choose* before training: the polynomial's degree, the tree's
  depth, the strength of a regularization penalty, a learning rate.

Training cannot pick hyperparameters, because on the training data the most flexible model always
looks best. It fits the noise too. Hyperparameters are judged on data the model did not train on:
a **validation set**. This lesson shows why, with the oldest picture in machine learning: error
against model complexity.
"""),
        code(
            SETUP
            + """
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_squared_error
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler
from sklearn.tree import DecisionTreeClassifier

# 40 noisy samples of a smooth curve: half to train on, half to validate on
rng = np.random.default_rng(0)
x = rng.uniform(-1, 1, 40)
y = np.sin(3 * x) + rng.normal(0, 0.3, x.size)
x_train, x_val, y_train, y_val = x[:20, None], x[20:, None], y[:20], y[20:]
grid = np.linspace(-1, 1, 200)[:, None]


def poly_model(degree, alpha=1e-9):
    # polynomial features, scaled, then ridge regression (alpha: the penalty on large coefficients)
    return make_pipeline(PolynomialFeatures(degree), StandardScaler(), Ridge(alpha=alpha))
"""
        ),
        md("""
## 1. Parameters are learned, hyperparameters are chosen

Fit a polynomial of degree 3. `fit` finds its 4 coefficients (parameters); the degree 3 was our
choice (a hyperparameter).
"""),
        code("""
model = poly_model(3).fit(x_train, y_train)
print("hyperparameter: degree = 3")
print("parameters learned by fit:", np.round(model[-1].coef_[1:], 2), "and intercept", round(model[-1].intercept_, 2))
"""),
        md("""
## 2. Too simple, about right, too flexible

Three degrees on the same 20 training points. Degree 1 cannot bend: it is wrong in the same way
whatever sample you give it (**bias**, underfitting). Degree 15 bends through every training point,
noise included: with another sample it would be a different wiggle (**variance**, overfitting).
"""),
        code("""
fig, axes = plt.subplots(1, 3, sharey=True)
for ax, degree in zip(axes, (1, 4, 15)):
    m = poly_model(degree).fit(x_train, y_train)
    ax.scatter(x_train, y_train, s=15, label="train")
    ax.scatter(x_val, y_val, s=15, marker="x", label="validation")
    ax.plot(grid, m.predict(grid), "k")
    ax.set_ylim(-2, 2)
    ax.set_title(f"degree {degree}: train MSE {mean_squared_error(y_train, m.predict(x_train)):.2f}, "
                 f"val {mean_squared_error(y_val, m.predict(x_val)):.2f}", fontsize=9)
axes[0].legend()
plt.show()
"""),
        md("""
## 3. Error against complexity

Sweep the degree and measure both errors. The training error only goes down: it always rewards
flexibility. The validation error falls while the model gains the flexibility it needs, then rises
again as it starts to fit noise. The best hyperparameter sits at the bottom of the validation curve.
"""),
        code("""
degrees = np.arange(1, 16)
train_err, val_err = [], []
for d in degrees:
    m = poly_model(d).fit(x_train, y_train)
    train_err.append(mean_squared_error(y_train, m.predict(x_train)))
    val_err.append(mean_squared_error(y_val, m.predict(x_val)))
best_degree = int(degrees[np.argmin(val_err)])
plt.semilogy(degrees, train_err, "o-", label="training error")
plt.semilogy(degrees, val_err, "o-", label="validation error")
plt.axvline(best_degree, color="gray", ls=":")
plt.xlabel("polynomial degree (model complexity)"); plt.ylabel("mean squared error"); plt.legend()
plt.show()
print(f"degree 1: train error {train_err[0]:.3f}, validation error {val_err[0]:.3f} (underfits: both high)")
print(f"degree 15: train error {train_err[-1]:.3f}, validation error {val_err[-1]:.3f} (overfits: train low, validation high)")
print(f"best degree on validation: {best_degree}")
"""),
        md("""
The same shape appears for any knob of complexity. A decision tree on the breast-cancer data: a
deeper tree memorizes the training set (100% training accuracy), while validation accuracy stops
improving after a few levels: the extra depth only fits noise.
"""),
        code("""
X, yc = load_breast_cancer(return_X_y=True)
Xc_train, Xc_val, yc_train, yc_val = train_test_split(X, yc, test_size=0.5, random_state=0)
depths = np.arange(1, 13)
tree_train, tree_val = [], []
for depth in depths:
    tree = DecisionTreeClassifier(max_depth=depth, random_state=0).fit(Xc_train, yc_train)
    tree_train.append(tree.score(Xc_train, yc_train))
    tree_val.append(tree.score(Xc_val, yc_val))
plt.plot(depths, tree_train, "o-", label="training accuracy")
plt.plot(depths, tree_val, "o-", label="validation accuracy")
plt.xlabel("max_depth"); plt.ylabel("accuracy"); plt.legend()
plt.show()
print(f"tree depth {depths[-1]}: train accuracy {tree_train[-1]:.3f}, validation accuracy {tree_val[-1]:.3f}")
print(f"best depth on validation: {depths[int(np.argmax(tree_val))]} ({max(tree_val):.3f})")
"""),
        md("""
## 4. Regularization strength: complexity in the other direction

Keep degree 15 but penalize large coefficients: ridge regression's `alpha`. A tiny `alpha` leaves
the wiggles (variance); a huge one flattens the curve toward a constant (bias). Here complexity
*decreases* as the hyperparameter grows, so the U is mirrored.
"""),
        code("""
alphas = np.logspace(-9, 3, 25)
ridge_train, ridge_val = [], []
for a in alphas:
    m = poly_model(15, a).fit(x_train, y_train)
    ridge_train.append(mean_squared_error(y_train, m.predict(x_train)))
    ridge_val.append(mean_squared_error(y_val, m.predict(x_val)))
plt.loglog(alphas, ridge_train, "o-", label="training error")
plt.loglog(alphas, ridge_val, "o-", label="validation error")
plt.xlabel("alpha (regularization strength)"); plt.ylabel("mean squared error"); plt.legend()
plt.show()
print(f"degree 15, best alpha on validation: {alphas[int(np.argmin(ridge_val))]:.2g}")
"""),
        md("""
## 5. Tune both at once

Degree and `alpha` interact: a high degree is fine with enough regularization. Rather than sweep
one at a time, let `%%tune` search both. The cell is an ordinary training cell; the `# tune:`
comments say where each value may move, and the cell's own values (degree 15, almost no penalty:
the overfitting model) run first, as trial 0.
"""),
        code("""
%%tune --strategy random --trials 30 --minimize val_error --seed 0 --study lesson2_poly --resume -o result
degree = 15     # tune: integer(1, 15)
alpha = 1e-9    # tune: loguniform(1e-9, 1e3)
model = poly_model(degree, alpha).fit(x_train, y_train)
train_error = mean_squared_error(y_train, model.predict(x_train))
val_error = mean_squared_error(y_val, model.predict(x_val))
"""),
        code("""
df = result.to_dataframe()
df = df[df.state == "complete"]
sc = plt.scatter(df.params_degree, df.value, c=np.log10(df.params_alpha), cmap="viridis")
plt.colorbar(sc, label="log10(alpha)")
plt.yscale("log"); plt.xlabel("degree"); plt.ylabel("validation error")
plt.title("each dot is a trial: high degrees only do well with a larger alpha", fontsize=10)
plt.show()
baseline = result.trials[0].value
print(f"defaults (degree 15, alpha 1e-9): validation error {baseline:.3f}")
print(f"tuned (degree {degree}, alpha {alpha:.2g}): validation error {result.best_value:.3f}")
print(f"after the search, the notebook's model is the best trial's: train error {train_error:.3f}, validation error {val_error:.3f}")
"""),
        md("""
## Try it

1. Shrink the training set to 10 points (`x[:10]`). Does the best degree go up or down? Why does
   less data favour simpler models?
2. The validation error of the best trial is an *optimistic* estimate: we picked it because it
   was lowest. Hold out a third set of points as a test set and compare.
"""),
    ]


# ---------------------------------------------------------------------------------------------
# Lesson 3: grid vs random vs Sobol
# ---------------------------------------------------------------------------------------------
def lesson_grid_vs_random() -> list[nbf.NotebookNode]:
    return [
        md("""
# Lesson 3 · Grid search, random search and quasi-random (Sobol) points

With a budget of 16 trials and two hyperparameters, a grid tries 4 values of each. That looks
thorough, but if only one of the two matters, 12 of the 16 trials just repeat 4 values of the one
that counts. Random search tries 16 *different* values of every hyperparameter. Bergstra and Bengio
(2012) showed that in practice few hyperparameters matter much, and that this is why random search
beats grid search on the same budget. Sobol points keep random search's many distinct values but
spread them more evenly.
"""),
        code(
            SETUP
            + """
import jhpo
from scipy.stats import qmc


def surface(lr, momentum):
    \"\"\"A made-up validation score: it depends strongly on the learning rate and barely on momentum.\"\"\"
    return float(0.9 * np.exp(-(np.log10(lr) + 2.5) ** 2 / 0.5) + 0.05 * momentum)
"""
        ),
        md("""
## 1. The same budget, three ways

The objective is a cheap stand-in for "train a model and score it", so the search takes no time and
we can look at every point. Each cell searches the learning rate `lr` (log scale) and `momentum`
with 16 trials. `--no-baseline` leaves out the cell's defaults so that all three get exactly the
same budget. The grid runs `--grid-points 4`: 4 × 4 = 16.
"""),
        code("""
%%tune --strategy grid --grid-points 4 --no-baseline --maximize score --study lesson3_grid --resume --quiet -o grid
lr = 0.01        # tune: loguniform(1e-5, 1)
momentum = 0.5   # tune: uniform(0, 1)
score = surface(lr, momentum)
"""),
        code("""
%%tune --strategy random --trials 16 --no-baseline --maximize score --seed 0 --study lesson3_random --resume --quiet -o rand
lr = 0.01        # tune: loguniform(1e-5, 1)
momentum = 0.5   # tune: uniform(0, 1)
score = surface(lr, momentum)
"""),
        code("""
%%tune --strategy sobol --trials 16 --no-baseline --maximize score --seed 0 --study lesson3_sobol --resume --quiet -o sobol
lr = 0.01        # tune: loguniform(1e-5, 1)
momentum = 0.5   # tune: uniform(0, 1)
score = surface(lr, momentum)
"""),
        md("""
Below, the background is the score (bright is good); the dots are the trials; the ticks on the
bottom edge are the learning rates each search actually tried. The grid's 16 trials cover only 4
learning rates, and none of them lands near the bright band.
"""),
        code("""
L, M = np.meshgrid(np.logspace(-5, 0, 200), np.linspace(0, 1, 100))
Z = np.vectorize(surface)(L, M)
fig, axes = plt.subplots(1, 3, sharey=True, figsize=(11, 3.5))
for ax, (name, res) in zip(axes, [("grid", grid), ("random", rand), ("sobol", sobol)]):
    lrs = [t.params["lr"] for t in res.trials]
    ax.pcolormesh(L, M, Z, shading="auto", cmap="magma")
    ax.scatter(lrs, [t.params["momentum"] for t in res.trials], c="cyan", edgecolor="k")
    ax.plot(lrs, np.zeros(len(lrs)), "|", color="white", ms=20, mew=2)
    ax.set_xscale("log"); ax.set_xlabel("lr")
    ax.set_title(f"{name}: {len(set(lrs))} distinct lr, best {res.best_value:.3f}", fontsize=10)
axes[0].set_ylabel("momentum")
plt.show()
for name, res in [("grid", grid), ("random", rand), ("sobol", sobol)]:
    print(f"{name}: {len(res.trials)} trials, {len({t.params['lr'] for t in res.trials})} distinct learning rates, best score {res.best_value:.3f}")
"""),
        md("""
## 2. More hyperparameters, of which only two matter

One lucky or unlucky grid proves little. Repeat the comparison properly with the Python API under
`%%tune` (`jhpo.Study`): a budget of 64 trials, `d` hyperparameters in [0, 1] of which only the first
two affect the score, random and Sobol repeated over 10 seeds. With `d = 2` the grid has 8 levels
per axis; with `d = 3`, 4 levels; with `d = 6` only 2 (the corners!), because 2⁶ = 64.
"""),
        code("""
def made_up_score(p):
    # only h0 and h1 matter; the other hyperparameters change the score by less than 1%
    rest = sum(v for k, v in p.items() if k not in ("h0", "h1"))
    return float(np.exp(-((p["h0"] - 0.17) ** 2 + (p["h1"] - 0.83) ** 2) / 0.05) + 0.002 * rest)


def best_found(strategy, d, seed=None, budget=64):
    space = {f"h{i}": jhpo.uniform(0, 1) for i in range(d)}
    study = jhpo.Study(space, strategy=strategy, seed=seed, storage=":memory:",
                       strategy_options={"grid_points": round(budget ** (1 / d))})
    study.optimize(lambda trial: made_up_score(trial.params), n_trials=budget)
    return study.best_value


dims = [2, 3, 6]
results = {"grid": [best_found("grid", d) for d in dims]}
for strategy in ("random", "sobol"):
    results[strategy] = [np.mean([best_found(strategy, d, seed) for seed in range(10)]) for d in dims]
for name, values in results.items():
    plt.plot(dims, values, "o-", label=name)
plt.xlabel("number of hyperparameters (only 2 matter)"); plt.ylabel("best score in 64 trials")
plt.xticks(dims); plt.legend()
plt.show()
for i, d in enumerate(dims):
    print(f"d={d}: grid {results['grid'][i]:.3f}, random {results['random'][i]:.3f}, sobol {results['sobol'][i]:.3f} (mean of 10 seeds)")
"""),
        md("""
The grid's result depends on where the lattice happens to fall relative to the optimum, and its
resolution on the important axes collapses as unimportant axes are added. Random search does not
care how many unimportant hyperparameters there are: every trial still tries a new value of the
important ones.

## 3. Sobol points: random, but evenly spread

Independent random points clump and leave holes. A Sobol sequence is *quasi-random*: deterministic
(scrambled by the seed) and designed so that every prefix of 2ᵏ points covers the cube evenly, in
every projection. The **discrepancy** measures unevenness (lower is more even).
"""),
        code("""
space = rand.study.space
fig, axes = plt.subplots(1, 2, sharey=True, figsize=(8, 3.8))
disc = {}
for ax, (name, res) in zip(axes, [("random", rand), ("sobol", sobol)]):
    U = np.array([space.to_unit(t.params) for t in res.trials])
    disc[name] = qmc.discrepancy(U)
    ax.scatter(U[:, 0], U[:, 1])
    ax.set_xticks(np.linspace(0, 1, 5)); ax.set_yticks(np.linspace(0, 1, 5)); ax.grid(True)
    ax.set_title(f"{name}: discrepancy {disc[name]:.4f}", fontsize=10); ax.set_xlabel("lr (unit scale)")
axes[0].set_ylabel("momentum (unit scale)")
plt.show()
print(f"discrepancy of 16 points: random {disc['random']:.4f}, sobol {disc['sobol']:.4f}")
"""),
        md("""
## Try it

1. Change `surface` so that momentum matters as much as the learning rate (e.g. make its term
   `0.9 * np.exp(-(momentum - 0.3) ** 2 / 0.02)`). Does the grid catch up?
2. Give the grid 5 points per axis (25 trials) and random 25 trials. Who wins now, and would you
   bet on it for a new problem?
"""),
    ]


# ---------------------------------------------------------------------------------------------
# Lesson 7: training a neural network
# ---------------------------------------------------------------------------------------------
DIGITS = """
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

X, y = load_digits(return_X_y=True)
X = X / 16.0   # pixel intensities 0..16 -> 0..1
"""


def lesson_neural_network() -> list[nbf.NotebookNode]:
    return [
        md("""
# Lesson 7 · Training a neural network: learning rate, schedules, optimizers, batches

A neural network's weights are found by gradient descent, and gradient descent has hyperparameters
of its own. They decide whether training works at all, long before the architecture matters:

* the **learning rate**, the size of each step;
* the **schedule**, how the learning rate changes during training;
* the **optimizer**, plain SGD, SGD with momentum, or Adam;
* the **batch size** and the number of **epochs** (passes over the data).

We train a small network written in numpy (so every hyperparameter is a visible line) on the 8×8
handwritten digits that ship with scikit-learn, and finish with scikit-learn's `MLPClassifier`.
"""),
        code(
            SETUP
            + DIGITS
            + """
X_train, X_val, y_train, y_val = train_test_split(X, y, train_size=1000, random_state=0, stratify=y)
print(X_train.shape, X_val.shape)
"""
        ),
        md("The network: one hidden layer of ReLU units, softmax output, cross-entropy loss."),
        code(NUMPY_MLP),
        md("""
## 1. The learning rate: too small, about right, too large

Plain SGD, 20 epochs, three learning rates. Too small, and the loss creeps down: training would
need far more epochs. About right, and it drops fast. Too large, and each step overshoots the
valley it aims for: the loss jumps up, units die, and the network ends no better than guessing.
"""),
        code("""
runs = {}
for lr in (0.001, 0.1, 10.0):
    runs[lr] = r = train_mlp(X_train, y_train, X_val, y_val, hidden=32, lr=lr, epochs=20, batch_size=64)
    plt.semilogy(r["history"]["loss"], "o-", ms=3, label=f"lr={lr}")
plt.axhline(np.log(10), color="gray", ls=":", label="guessing (log 10)")
plt.xlabel("epoch"); plt.ylabel("training loss"); plt.legend()
plt.show()
for lr, r in runs.items():
    verdict = "diverged" if r["diverged"] else "converged" if r["loss"] < 0.5 else "too slow"
    print(f"lr={lr}: final training loss {r['loss']:.3f}, validation accuracy {r['val_acc']:.3f} ({verdict})")
"""),
        md("""
Between those extremes there is a range that works. Let `%%tune` find it: the learning rate is a
scale parameter, so it is searched on a log scale (`loguniform`). The cell is the training call;
the live panel under it shows each trial as it finishes.
"""),
        code("""
%%tune --strategy random --trials 16 --maximize val_acc --seed 0 --study lesson7_lr --resume -o lr_search
lr = 0.001     # tune: loguniform(1e-4, 30)
run = train_mlp(X_train, y_train, X_val, y_val, hidden=32, lr=lr, epochs=20, batch_size=64)
val_acc = run["val_acc"]
"""),
        code("""
df = lr_search.to_dataframe()
plt.semilogx(df.params_lr, df.value, "o")
plt.xlabel("learning rate"); plt.ylabel("validation accuracy")
plt.title("too small on the left, diverging on the right", fontsize=10)
plt.show()
print(f"best learning rate {lr_search.best_params['lr']:.3g}: validation accuracy {lr_search.best_value:.3f} "
      f"(the cell's default 0.001: {lr_search.trials[0].value:.3f})")
"""),
        md("""
## 2. Schedules: change the learning rate while training

A large rate early makes fast progress; a small rate late settles into the minimum instead of
bouncing around it. A schedule scales the base rate per epoch: **step** (divide by 10 at fixed
epochs), **cosine** (glide to zero), **cyclic** (go up and down repeatedly, which can hop out of
poor regions). Here with a high base rate (1.0) and small batches, so each step is large and noisy.
"""),
        code("""
fig, (ax1, ax2) = plt.subplots(1, 2)
schedules = {}
for schedule in ("constant", "step", "cosine", "cyclic"):
    schedules[schedule] = r = train_mlp(X_train, y_train, X_val, y_val, hidden=32, lr=1.0, epochs=20,
                                        batch_size=16, schedule=schedule)
    ax1.plot(r["history"]["lr"], label=schedule)
    ax2.semilogy(r["history"]["loss"], label=schedule)
ax1.set_xlabel("epoch"); ax1.set_ylabel("learning rate"); ax1.legend()
ax2.set_xlabel("epoch"); ax2.set_ylabel("training loss")
plt.show()
for schedule, r in schedules.items():
    last = r["history"]["loss"][-6:]
    print(f"schedule {schedule}: over the last 6 epochs the loss moved between {min(last):.3f} and {max(last):.3f}; "
          f"validation accuracy {r['val_acc']:.3f}")
"""),
        md("""
With a constant rate the loss keeps jumping, even late in training (a single unlucky step can
undo several epochs). The decaying schedules (step, cosine) settle and stay put; cyclic jumps while
its rate is high and settles at the bottom of each cycle. On this small problem the final
accuracies end up within a percent or two of each other; the point of a schedule is that you can
*stop at any time after the decay* and get a settled model, instead of wherever the last bounce
left you.

## 3. SGD, SGD with momentum, Adam

Momentum keeps a running velocity, so steps build up along directions the gradient keeps pointing
to and cancel where it oscillates. Adam also divides each weight's step by the size of its recent
gradients, which makes it forgiving about the learning rate (its usual default is 0.001). Each
optimizer gets its own sensible learning rate here; comparing them at one shared rate would be unfair.
"""),
        code("""
optimizers = {"SGD": dict(optimizer="sgd", lr=0.05), "SGD + momentum 0.9": dict(optimizer="sgd", lr=0.05, momentum=0.9),
              "Adam": dict(optimizer="adam", lr=0.005)}
opt_runs = {}
for name, kw in optimizers.items():
    opt_runs[name] = r = train_mlp(X_train, y_train, X_val, y_val, hidden=32, epochs=15, batch_size=64, **kw)
    plt.semilogy(r["history"]["loss"], "o-", ms=3, label=name)
plt.xlabel("epoch"); plt.ylabel("training loss"); plt.legend()
plt.show()
for name, r in opt_runs.items():
    print(f"{name}: loss after 15 epochs {r['loss']:.3f}, validation accuracy {r['val_acc']:.3f}")
"""),
        md("""
## 4. Batch size and epochs, tuned together with the rest

Small batches give noisy but many updates per epoch; large batches give few, accurate ones (and
want a larger learning rate). Epochs trade time for fit. These hyperparameters interact, which is
exactly when a joint search pays off. The cell's defaults are a reasonable hand-picked setting.
"""),
        code("""
%%tune --strategy sobol --trials 20 --maximize val_acc --seed 0 --study lesson7_joint --resume --quiet -o joint
lr = 0.05            # tune: loguniform(1e-3, 1)
optimizer = "sgd"    # tune: choice("sgd", "adam")
momentum = 0.0       # tune: uniform(0, 0.95)
schedule = "constant"  # tune: choice("constant", "step", "cosine", "cyclic")
batch_size = 64      # tune: choice(16, 64, 256)
epochs = 10          # tune: integer(5, 30)
run = train_mlp(X_train, y_train, X_val, y_val, hidden=32, lr=lr, epochs=epochs, batch_size=batch_size,
                optimizer=optimizer, momentum=momentum, schedule=schedule)
val_acc = run["val_acc"]
"""),
        code("""
df = joint.to_dataframe()
fig, axes = plt.subplots(1, 3, sharey=True, figsize=(11, 3.5))
for ax, name in zip(axes, ("batch_size", "epochs", "optimizer")):
    ax.scatter(df[f"params_{name}"].astype(str) if name == "optimizer" else df[f"params_{name}"], df.value)
    ax.set_xlabel(name)
axes[0].set_xscale("log"); axes[0].set_ylabel("validation accuracy")
plt.show()
print(f"defaults: validation accuracy {joint.trials[0].value:.3f}")
print(f"tuned: validation accuracy {joint.best_value:.3f} with {joint.best_params}")
"""),
        md("""
## 5. The same knobs in scikit-learn

`MLPClassifier` names them `learning_rate_init`, `solver` (`"sgd"` or `"adam"`), `momentum`,
`batch_size` and `max_iter` (epochs). Its defaults (Adam at 0.001) are safe but slow: in 15 epochs
they do not get far. Tuning fixes that.
"""),
        code("""
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
warnings.filterwarnings("ignore", category=ConvergenceWarning)   # short training on purpose
"""),
        code("""
%%tune --strategy random --trials 12 --maximize score --seed 1 --study lesson7_sklearn --resume --quiet -o sk
learning_rate_init = 0.001   # tune: loguniform(1e-4, 0.3)
solver = "adam"              # tune: choice("sgd", "adam")
momentum = 0.9               # tune: uniform(0.5, 0.99)
batch_size = 200             # tune: choice(32, 64, 200)
clf = MLPClassifier(hidden_layer_sizes=(32,), learning_rate_init=learning_rate_init, solver=solver,
                    momentum=momentum, batch_size=batch_size, max_iter=15, random_state=0)
score = clf.fit(X_train, y_train).score(X_val, y_val)
"""),
        code("""
print(f"MLPClassifier defaults: validation accuracy {sk.trials[0].value:.3f}")
print(f"MLPClassifier tuned: validation accuracy {sk.best_value:.3f} with {sk.best_params}")
"""),
        md("""
## Try it

1. Rerun section 1 with `optimizer="adam"`. Which of the three learning rates works now, and
   where does Adam diverge?
2. In section 4, was the best batch size small or large? Fix `epochs = 5` (remove its annotation)
   and search again: does the answer change when time is short?
"""),
    ]


# ---------------------------------------------------------------------------------------------
# Lesson 8: regularization
# ---------------------------------------------------------------------------------------------
def lesson_regularization() -> list[nbf.NotebookNode]:
    return [
        md("""
# Lesson 8 · Regularization: weight decay, dropout, early stopping

A network with more weights than training examples can memorize its training set, noise and
all. Regularization makes memorizing harder so that the network learns what generalizes:

* **weight decay** (an L2 penalty, `alpha` in scikit-learn) pulls every weight toward zero;
* **dropout** silences a random fraction of hidden units at every step, so no unit can rely on
  one particular partner;
* **early stopping** watches the validation loss and stops when it no longer improves.

Each comes with a hyperparameter (a strength, a rate, a patience), and tuning them is how
regularization is used in practice. To make overfitting easy to see we train on only 300 digits
and give a quarter of them a wrong label, as in messy real data.
"""),
        code(
            SETUP
            + DIGITS
            + """
X_train, X_rest, y_clean, y_rest = train_test_split(X, y, train_size=300, random_state=0, stratify=y)
X_val, X_test, y_val, y_test = train_test_split(X_rest, y_rest, train_size=500, random_state=0, stratify=y_rest)
rng = np.random.default_rng(0)
wrong = rng.random(len(y_clean)) < 0.25
y_train = y_clean.copy()
y_train[wrong] = rng.integers(0, 10, wrong.sum())
print(f"{len(y_train)} training digits, {int((y_train != y_clean).sum())} with a wrong label; "
      f"{len(y_val)} for validation, {len(y_test)} for a final test")
"""
        ),
        code(NUMPY_MLP),
        code("""
# A wide network, SGD with momentum, 80 epochs: plenty of capacity to memorize 300 digits.
def fit(**kw):
    return train_mlp(X_train, y_train, X_val, y_val, hidden=128, lr=0.1, momentum=0.9, epochs=80, **kw)
"""),
        md("""
## 1. Overfitting, seen over time

Without regularization the training accuracy climbs to 100%: the network has learned the wrong
labels too. The validation loss reaches its minimum within a few epochs and then rises, while the
training loss keeps falling.
"""),
        code("""
plain = fit()
h = plain["history"]
fig, (ax1, ax2) = plt.subplots(1, 2)
ax1.plot(h["loss"], label="training"); ax1.plot(h["val_loss"], label="validation")
ax1.set_xlabel("epoch"); ax1.set_ylabel("loss"); ax1.legend()
ax2.plot(h["train_acc"], label="training"); ax2.plot(h["val_acc"], label="validation")
ax2.set_xlabel("epoch"); ax2.set_ylabel("accuracy"); ax2.legend()
plt.show()
best_epoch = int(np.argmin(h["val_loss"]))
print(f"no regularization: train accuracy {plain['train_acc']:.3f}, validation accuracy {plain['val_acc']:.3f}")
print(f"validation loss is lowest at epoch {best_epoch} ({min(h['val_loss']):.3f}) and ends at {h['val_loss'][-1]:.3f}")
"""),
        md("""
## 2. Weight decay

Sweep the strength. Too little changes nothing; too much and the network cannot fit even the
correct labels (underfitting, as in lesson 2). In between, the gap between training and validation
accuracy closes.
"""),
        code("""
decays = [0, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1]
wd_runs = [fit(weight_decay=wd) for wd in decays]
x_pos = np.arange(len(decays))
plt.plot(x_pos, [r["train_acc"] for r in wd_runs], "o-", label="training accuracy")
plt.plot(x_pos, [r["val_acc"] for r in wd_runs], "o-", label="validation accuracy")
plt.xticks(x_pos, [str(d) for d in decays]); plt.xlabel("weight decay"); plt.legend()
plt.show()
for wd, r in zip(decays, wd_runs):
    print(f"weight decay {wd:g}: train accuracy {r['train_acc']:.3f}, validation accuracy {r['val_acc']:.3f}")
"""),
        md("""
## 3. Dropout

In training, each hidden unit is kept with probability `1 - dropout` and the survivors are scaled
up by `1 / (1 - dropout)` so the next layer sees the same average; at prediction time every unit is
used. Look for the two `if dropout > 0:` lines in `train_mlp`: that is all of it.
"""),
        code("""
rates = [0.0, 0.2, 0.4, 0.6, 0.8]
dropout_runs = [fit(dropout=p) for p in rates]
plt.plot(rates, [r["train_acc"] for r in dropout_runs], "o-", label="training accuracy")
plt.plot(rates, [r["val_acc"] for r in dropout_runs], "o-", label="validation accuracy")
plt.xlabel("dropout rate"); plt.legend()
plt.show()
for p, r in zip(rates, dropout_runs):
    print(f"dropout {p:.1f}: train accuracy {r['train_acc']:.3f}, validation accuracy {r['val_acc']:.3f}")
"""),
        md("""
## 4. Early stopping

Stop when the validation loss has not improved for `patience` epochs, and keep the weights from
the best epoch. It is the cheapest regularizer: it *saves* training time. Its hyperparameter is the
patience: too small stops on a random bump, too large wastes epochs (but, since the best weights
are kept, costs little accuracy).
"""),
        code("""
patiences = [1, 3, 5, 10, 20]
es_runs = [fit(patience=p) for p in patiences]
plt.plot(h["val_loss"], color="gray", label="validation loss without stopping")
for p, r in zip(patiences, es_runs):
    plt.plot(r["epochs_run"] - 1, r["history"]["val_loss"][-1], "o", label=f"patience {p} stops here")
plt.xlabel("epoch"); plt.ylabel("validation loss"); plt.legend(fontsize=8)
plt.show()
for p, r in zip(patiences, es_runs):
    print(f"patience {p}: stopped after {r['epochs_run']} of 80 epochs, validation accuracy {r['val_acc']:.3f}")
"""),
        md("""
## 5. Tune them together

The three regularizers overlap (with strong weight decay you need less dropout), so search them
jointly. The cell's defaults are no regularization at all. Selecting on the validation set makes
its score optimistic, so the last cell reports accuracy on the **test** digits that no search saw.
`patience = 0` here means "no early stopping".
"""),
        code("""
%%tune --strategy random --trials 24 --maximize val_acc --seed 0 --study lesson8_regularization --resume -o reg
weight_decay = 0.0   # tune: choice(0.0, 1e-4, 1e-3, 3e-3, 1e-2, 3e-2)
dropout = 0.0        # tune: uniform(0, 0.7)
patience = 0         # tune: integer(0, 10)
run = fit(weight_decay=weight_decay, dropout=dropout, patience=patience or None)
val_acc = run["val_acc"]
"""),
        code("""
df = reg.to_dataframe()
sc = plt.scatter(df.params_dropout, df.params_patience, c=df.value, cmap="viridis", s=60)
plt.colorbar(sc, label="validation accuracy"); plt.xlabel("dropout"); plt.ylabel("patience (0: none)")
plt.show()
test_default = np.mean(plain["predict"](X_test) == y_test)
test_tuned = np.mean(run["predict"](X_test) == y_test)   # `run` now holds the best trial's network
print(f"no regularization: validation accuracy {reg.trials[0].value:.3f}, test accuracy {test_default:.3f}")
print(f"tuned ({reg.best_params}): validation accuracy {reg.best_value:.3f}, test accuracy {test_tuned:.3f}")
"""),
        md("""
## Try it

1. Remove the wrong labels (`y_train = y_clean`). Does regularization still help as much? What
   does that say about when to regularize hard?
2. scikit-learn's `MLPClassifier` has the same three knobs: `alpha` (weight decay),
   `early_stopping=True` with `n_iter_no_change` (patience), and no dropout. Tune `alpha` and
   `n_iter_no_change` with `%%tune` and compare with the numpy network.
"""),
    ]


# ---------------------------------------------------------------------------------------------
# Lesson 4: Bayesian optimization
# ---------------------------------------------------------------------------------------------
def lesson_bayesian_optimization() -> list[nbf.NotebookNode]:
    return [
        md("""
# Lesson 4 · Bayesian optimization, step by step

Grid and random search ignore what earlier trials found. When a trial costs minutes, that is
wasteful: after a few trials we already know roughly where the good region is. Bayesian
optimization keeps a **surrogate model** of the objective, fitted to the trials so far, and uses it
to choose the next trial:

1. the model predicts, at every point, a **mean** (its best guess of the score) and an
   **uncertainty** (how unsure it is: small near trials, large far from them);
2. an **acquisition function** turns both into one number: how much a trial there is *expected to
   improve* on the best so far. It is high where the mean is good (**exploit**) and where the
   uncertainty is large (**explore**);
3. the next trial goes where the acquisition is highest; its result refines the model.

jhpo's `bayes` strategy uses a Gaussian process as the model and expected improvement as the
acquisition. We first watch it on one hyperparameter, through the Python API under `%%tune`, then in
two dimensions on a real model.
"""),
        code(
            SETUP
            + """
import jhpo


def score(x):
    \"\"\"A made-up validation score of one hyperparameter, with two bumps (a local and the global best).\"\"\"
    return float(np.sin(3 * x) + 0.5 * np.sin(7 * x) - 0.1 * (x - 1) ** 2)


xs = np.linspace(0, 3, 400)
true = np.array([score(x) for x in xs])
print(f"the true best: x = {xs[true.argmax()]:.2f}, score {true.max():.3f} (the search does not know this)")
"""
        ),
        md("""
## 1. One hyperparameter: the model, the acquisition, the next point

`jhpo.Study` is what `%%tune` runs on. Here the study lives in memory (`storage=":memory:"`) so
that every run of the notebook starts from scratch, and we drive it by hand: `ask()` proposes a
trial, `tell()` reports its score. Three scattered points first (the *initial design*; the model
needs some data), then four model-guided steps. `study.strategy.slice(...)` returns what the model
believes along `x`: mean, uncertainty, acquisition and the point it would pick.
"""),
        code("""
study = jhpo.Study({"x": jhpo.uniform(0, 3)}, strategy="bayes", seed=0, storage=":memory:",
                   strategy_options={"n_initial": 3})
for _ in range(3):
    trial = study.ask()
    study.tell(trial, score(trial.params["x"]))
print("initial design:", [round(t.params["x"], 2) for t in study.trials])

fig, axes = plt.subplots(2, 4, figsize=(13, 5), sharex=True, gridspec_kw={"height_ratios": [2, 1]})
for step in range(4):
    view = study.strategy.slice(study.trials, ["x"], resolution=120)
    x_axis, mean, std = np.array(view["axes"][0]), view["mean"], view["std"]
    top, bottom = axes[0, step], axes[1, step]
    top.plot(xs, true, "k:", lw=1, label="true score (unknown)")
    top.plot(x_axis, mean, "C0", label="model mean")
    top.fill_between(x_axis, mean - 2 * std, mean + 2 * std, color="C0", alpha=0.2, label="± 2 std")
    top.plot([p["x"] for p, _ in view["observed"]], [v for _, v in view["observed"]], "ko", label="trials")
    bottom.fill_between(x_axis, view["acquisition"], color="C1", alpha=0.6)
    bottom.axvline(view["next"]["x"], color="C3")
    top.axvline(view["next"]["x"], color="C3", lw=1)
    top.set_title(f"after {len(study.trials)} trials", fontsize=10)
    trial = study.ask()                      # the strategy's proposal (refined beyond the plotted grid)
    study.tell(trial, score(trial.params["x"]))
    why = trial.info["why"]
    print(f"step {step + 1}: next x = {trial.params['x']:.3f} ({why['mode']}) -> score {trial.value:.3f}. {why['text']}")
axes[0, 0].legend(fontsize=7); axes[1, 0].set_ylabel("expected\\nimprovement")
plt.show()
"""),
        md("""
Read the plots left to right. Where there are no trials, the band is wide: the model does not know,
so a good score is *possible* there, and the acquisition is high. Near a good trial the mean is high:
a slightly better score is *likely* there. Each step takes the red line's point, and the band
collapses around it. Within a few steps the trials crowd around the best bump.
"""),
        code("""
for _ in range(4):
    trial = study.ask()
    study.tell(trial, score(trial.params["x"]))
found = study.best_params["x"]
print(f"bayes after {len(study.trials)} trials: best x = {found:.3f}, score {study.best_value:.3f} (true best {true.max():.3f})")
print("the last proposals:", [round(t.params["x"], 3) for t in study.trials[-4:]])
"""),
        md("""
## 2. Two hyperparameters, a real model

An SVM on the handwritten digits has two hyperparameters that interact: `C` (how hard to fit the
training points) and `gamma` (how local each point's influence is). Both are scale parameters, so
they are searched on a log scale. The same budget runs twice: `--strategy random` and
`--strategy bayes`. Under the bayes cell the panel shows the search as it runs.
"""),
        code("""
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC

X, y = load_digits(return_X_y=True)
X_train, X_val, y_train, y_val = train_test_split(X / 16, y, train_size=600, test_size=600, random_state=0)
"""),
        code("""
%%tune --strategy random --trials 20 --maximize accuracy --seed 0 --study lesson4_random --resume --quiet -o rand
C = 1.0        # tune: loguniform(1e-3, 1e3)
gamma = 1.0    # tune: loguniform(1e-4, 1e2)
accuracy = SVC(C=C, gamma=gamma).fit(X_train, y_train).score(X_val, y_val)
"""),
        code("""
%%tune --strategy bayes --trials 20 --maximize accuracy --seed 0 --study lesson4_bayes --resume -o bayes
C = 1.0        # tune: loguniform(1e-3, 1e3)
gamma = 1.0    # tune: loguniform(1e-4, 1e2)
accuracy = SVC(C=C, gamma=gamma).fit(X_train, y_train).score(X_val, y_val)
"""),
        md("""
What does the model believe now? The same `slice` in two dimensions: the mean (the model's map of
accuracy), its uncertainty (low where trials are, so the map is trustworthy there) and the
acquisition (where it would look next). Dots are the trials, the star is the next proposal.
"""),
        code("""
view = bayes.study.strategy.slice(bayes.trials, ["C", "gamma"], resolution=40)
Cs, gammas = np.array(view["axes"][0]), np.array(view["axes"][1])
fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), sharey=True)
# Far from every trial the model's guesses run beyond what accuracy can be: clip them for the picture.
shown = {"mean": np.clip(view["mean"], 0, 1), "std": np.clip(view["std"], 0, 0.3), "acquisition": view["acquisition"]}
for ax, key, title in zip(axes, ("mean", "std", "acquisition"),
                          ("model mean (accuracy)", "model uncertainty (std, up to 0.3)", "expected improvement")):
    cs = ax.contourf(Cs, gammas, np.asarray(shown[key]).T, levels=20, cmap="viridis")
    fig.colorbar(cs, ax=ax)
    ax.scatter([p["C"] for p, _ in view["observed"]], [p["gamma"] for p, _ in view["observed"]], c="white", edgecolor="k", s=25)
    ax.scatter([view["next"]["C"]], [view["next"]["gamma"]], marker="*", c="red", s=200)
    ax.set_xscale("log"); ax.set_yscale("log"); ax.set_xlabel("C"); ax.set_title(title, fontsize=10)
axes[0].set_ylabel("gamma")
plt.show()
print(f"random: best accuracy {rand.best_value:.3f}; bayes: best accuracy {bayes.best_value:.3f}")
for name, res in (("random", rand), ("bayes", bayes)):
    good = sum(t.value > 0.9 for t in res.trials[10:])
    print(f"{name}: {good} of its last 10 trials scored above 0.9 (median accuracy {np.median([t.value for t in res.trials]):.3f})")
print("why bayes chose its last trial:", bayes.trials[-1].info["why"]["text"])
"""),
        md("""
The surrogate learned where `C` and `gamma` work together, and concentrated its later trials there,
while random search kept spending trials in regions already known to be poor. On this easy problem
both find a very good model within 20 trials; the difference is how many trials were wasted, and
that difference is what counts when each trial takes an hour.

## Try it

1. In section 1, start with `n_initial=1`. Does the search still find the global bump, or does it
   get stuck on the first one it sees? What does that say about exploration?
2. Rerun the bayes cell with `--trials 10`. How does its best compare with random's 20 trials?
"""),
    ]


# ---------------------------------------------------------------------------------------------
# Lesson 5: successive halving and Hyperband
# ---------------------------------------------------------------------------------------------
def lesson_hyperband() -> list[nbf.NotebookNode]:
    return [
        md("""
# Lesson 5 · Successive halving and Hyperband: stop the losers early

Most configurations of a search are bad, and most bad ones look bad early: after one epoch, a
network with a hopeless learning rate is already behind. **Successive halving** exploits that:

1. start many configurations with a small **budget** (1 epoch, or 5% of the data);
2. keep the best third (`1/eta`, here `eta = 3`), stop the rest;
3. give the survivors `eta` times the budget, and repeat up to the full budget.

Each level is a **rung**. How small to start is a gamble: too small and the early ranking is noise.
**Hyperband** hedges by running several **brackets** of successive halving, from aggressive (many
configurations, tiny first budget) to cautious (a few configurations at full budget, like random
search).

In a cell, the budget is a variable annotated `# tune: resource(low, high)`: the strategy sets it
per trial. The cell reports progress with `jhpo.report(value, step=epoch)` (a no-op outside a
search), which lets a scheduler or a pruner stop a trial.
"""),
        code(
            SETUP
            + """
import jhpo
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

warnings.filterwarnings("ignore", category=ConvergenceWarning)
X, y = load_digits(return_X_y=True)
X_train, X_val, y_train, y_val = train_test_split(X / 16, y, train_size=1000, random_state=0, stratify=y)
classes = np.unique(y)
"""
        ),
        md("""
## 1. Hyperband on epochs

The cell trains a small network one epoch at a time and reports the validation accuracy after each.
`epochs` is the resource, from 1 to 27: with `eta = 3` the rungs are 1, 3, 9 and 27 epochs.
Hyperband's first bracket starts 27 configurations at 1 epoch, promotes 9 to 3 epochs, 3 to 9,
and 1 to 27; the next brackets start fewer configurations at larger budgets. 69 trials are one full
round of the four brackets.
"""),
        code("""
%%tune --strategy hyperband --eta 3 --trials 69 --no-baseline --maximize accuracy --seed 0 --study lesson5_hyperband --resume -o hb
epochs = 27        # tune: resource(1, 27)
lr = 0.01          # tune: loguniform(1e-4, 1)
hidden = 32        # tune: integer(4, 128, log=True)
alpha = 1e-4       # tune: loguniform(1e-6, 1e-1)
net = MLPClassifier(hidden_layer_sizes=(hidden,), solver="sgd", momentum=0.9, learning_rate_init=lr,
                    alpha=alpha, random_state=0)
for epoch in range(1, epochs + 1):
    net.partial_fit(X_train, y_train, classes=classes)
    accuracy = net.score(X_val, y_val)
    jhpo.report(accuracy, step=epoch)
"""),
        md("""
Every trial carries its place in the schedule: `info["bracket"]`, `info["rung"]` and
`info["budget"]`. `strategy.schedule(trials)` summarizes the brackets and rungs:
"""),
        code("""
trials = hb.trials
schedule = pd.DataFrame(hb.study.strategy.schedule(trials))[["bracket", "rung", "budget", "planned", "finished"]]
print(schedule.to_string(index=False))
epochs_used = sum(t.info["budget"] for t in trials)
pruned = [t for t in trials if t.state is jhpo.TrialState.PRUNED]
print(f"{len(trials)} trials, {len(pruned)} stopped (PRUNED), {epochs_used} epochs in all")
"""),
        md("""
The first bracket as a picture: every line is one trial's validation accuracy, epoch by epoch.
Grey trials were stopped at the end of their rung; coloured ones were promoted (a promoted
configuration is run again, as a new trial, with the next rung's budget).
"""),
        code("""
first = [t for t in trials if t.info.get("bracket") == 0]
promoted = {t.info.get("parent") for t in trials if t.info.get("parent") is not None}
for t in first:
    steps = sorted(t.intermediate)
    kept = t.number in promoted or t.info["rung"] == max(u.info["rung"] for u in first)
    plt.plot(steps, [t.intermediate[s] for s in steps], "o-", ms=3, color=f"C{t.info['rung']}" if kept else "0.75",
             lw=2 if kept else 1, zorder=2 if kept else 1)
for budget in sorted({t.info["budget"] for t in first}):
    plt.axvline(budget, color="k", ls=":", lw=0.8)
plt.xscale("log"); plt.xlabel("epoch (dotted: the rungs' budgets)"); plt.ylabel("validation accuracy")
plt.title("bracket 0: 27 configurations at 1 epoch, 9 at 3, 3 at 9, 1 at 27", fontsize=10)
plt.show()
for t in pruned[:2]:
    print(f"why trial {t.number} was stopped: {t.error}")
"""),
        md("""
How does that compare with spending the same number of epochs on random search at full budget?
Fifteen or so 27-epoch trials cost as much as the whole Hyperband round.
"""),
        code("""
%%tune --strategy random --trials 15 --no-baseline --maximize accuracy --seed 0 --study lesson5_random --resume --quiet -o full
epochs = 27        # a fixed budget this time
lr = 0.01          # tune: loguniform(1e-4, 1)
hidden = 32        # tune: integer(4, 128, log=True)
alpha = 1e-4       # tune: loguniform(1e-6, 1e-1)
net = MLPClassifier(hidden_layer_sizes=(hidden,), solver="sgd", momentum=0.9, learning_rate_init=lr,
                    alpha=alpha, random_state=0)
for epoch in range(1, epochs + 1):
    net.partial_fit(X_train, y_train, classes=classes)
    accuracy = net.score(X_val, y_val)
"""),
        code("""
configs = len({(t.params["lr"], t.params["hidden"], t.params["alpha"]) for t in trials})
print(f"hyperband: {configs} configurations tried, best accuracy {hb.best_value:.3f} ({epochs_used} epochs)")
print(f"random at full budget: {len(full.trials)} configurations tried, best accuracy {full.best_value:.3f} "
      f"({27 * len(full.trials)} epochs)")
"""),
        md("""
## 2. Pruning any search: the median rule

Hyperband decides budgets up front. A **pruner** works with any strategy instead: `--pruner median`
stops a trial whose reported value at some epoch is worse than the median of the completed trials
at that same epoch. Each stopped trial records why.
"""),
        code("""
%%tune --strategy random --pruner median --trials 16 --maximize accuracy --seed 1 --study lesson5_median --resume --quiet -o med
epochs = 20
lr = 0.01          # tune: loguniform(1e-4, 1)
hidden = 32        # tune: integer(4, 128, log=True)
net = MLPClassifier(hidden_layer_sizes=(hidden,), solver="sgd", momentum=0.9, learning_rate_init=lr, random_state=0)
for epoch in range(1, epochs + 1):
    net.partial_fit(X_train, y_train, classes=classes)
    accuracy = net.score(X_val, y_val)
    jhpo.report(accuracy, step=epoch)
"""),
        code("""
stopped = [t for t in med.trials if t.state is jhpo.TrialState.PRUNED]
ran = sum(len(t.intermediate) for t in med.trials)
print(f"median pruner: {len(stopped)} of {len(med.trials)} trials stopped early; {ran} of {20 * len(med.trials)} epochs run")
if stopped:
    print(f"for example trial {stopped[0].number}: {stopped[0].error}")
"""),
        md("""
## 3. A budget of data, and a deadline

The resource does not have to be epochs. Here it is the **fraction of the training data**: cheap
rungs fit on 1/9 of the digits, the top rung on all of them. And instead of a number of trials the
search gets a deadline, `--timeout 15` seconds: Hyperband shrinks its brackets to what fits the
time left, measured from the trials so far. (Re-running this cell continues the study for another
15 seconds.)
"""),
        code("""
%%tune --strategy hyperband --timeout 15 --maximize accuracy --seed 0 --study lesson5_subsets --resume --quiet -o sub
fraction = 1.0     # tune: resource(0.1, 1.0)
lr = 0.01          # tune: loguniform(1e-4, 1)
hidden = 32        # tune: integer(4, 128, log=True)
n = int(fraction * len(X_train))
net = MLPClassifier(hidden_layer_sizes=(hidden,), solver="sgd", momentum=0.9, learning_rate_init=lr,
                    max_iter=20, random_state=0).fit(X_train[:n], y_train[:n])
accuracy = net.score(X_val, y_val)
"""),
        code("""
df = sub.to_dataframe()
budgets = sorted(df.params_fraction.unique())
plt.scatter(df.params_lr, df.value, c=np.log(df.params_fraction), cmap="viridis")
plt.colorbar(label="log(fraction of the training data)")
plt.xscale("log"); plt.xlabel("lr"); plt.ylabel("validation accuracy")
plt.show()
seconds = sum(t.duration or 0 for t in sub.trials)
print(f"data budgets used: {', '.join(f'{b:.2f}' for b in budgets)}")
print(f"{len(sub.trials)} trials in {seconds:.0f} s of training; best accuracy {sub.best_value:.3f} with {sub.best_params}")
"""),
        md("""
## Try it

1. Run the first search with `--eta 2`. How many rungs are there now, and how many trials does a
   round take? Is the best accuracy better or worse for the same number of epochs?
2. Replace `--strategy hyperband` with `--strategy asha` (asynchronous successive halving, which
   never waits for a rung to fill and so suits parallel workers: add `--n-jobs 2`). Compare the
   schedules.
"""),
    ]


# ---------------------------------------------------------------------------------------------
# Lesson 6: genetic algorithms
# ---------------------------------------------------------------------------------------------
def lesson_genetic() -> list[nbf.NotebookNode]:
    return [
        md("""
# Lesson 6 · Genetic algorithms: evolve the hyperparameters

A genetic algorithm borrows the vocabulary of evolution:

* a **population**: a set of configurations evaluated together, one **generation**;
* **selection**: better configurations are more likely to become parents (jhpo holds
  *tournaments*: pick 3 at random, the best of them wins);
* **crossover**: a child mixes two parents (numbers are blended between the parents' values, choices
  are inherited from one of them);
* **mutation**: a small random change, so the population keeps exploring (jhpo's mutations shrink as
  the generations pass, from exploring to fine-tuning);
* **elitism**: the best few are carried into the next generation by mutation alone, so a good
  configuration is never lost.

No model of the objective is needed, which makes it robust on rugged objectives with many local
optima, and every member of a generation can be evaluated in parallel.
"""),
        code(
            SETUP
            + """
import jhpo


def landscape(x, y):
    \"\"\"A made-up score with many local bumps and one best region near (1, -0.5).\"\"\"
    return float(np.exp(-((x - 1) ** 2 + (y + 0.5) ** 2) / 0.8) + 0.3 * np.cos(3 * x) * np.cos(3 * y))


gx, gy = np.meshgrid(np.linspace(-3, 3, 200), np.linspace(-3, 3, 200))
gz = np.vectorize(landscape)(gx, gy)
print(f"the true best score is about {gz.max():.3f} (the search does not know this)")
"""
        ),
        md("""
## 1. Watching a population evolve

`--population 10` sets the generation size; 80 trials are 8 generations. Generation 0 is spread
over the space with quasi-random (Sobol) points, and the rest are bred.
"""),
        code("""
%%tune --strategy genetic --population 10 --trials 80 --no-baseline --maximize score --seed 0 --study lesson6_landscape --resume -o ga
x = 0.0     # tune: uniform(-3, 3)
y = 0.0     # tune: uniform(-3, 3)
score = landscape(x, y)
"""),
        code("""
history = ga.study.strategy.population_history(ga.trials)
shown = [0, 2, 4, len(history) - 1]
fig, axes = plt.subplots(1, 4, figsize=(13, 3.4), sharey=True)
for ax, g in zip(axes, shown):
    ax.contourf(gx, gy, gz, levels=20, cmap="magma")
    members = history[g]["params"]
    ax.scatter([p["x"] for p in members], [p["y"] for p in members], c="cyan", edgecolor="k")
    ax.set_title(f"generation {g}: best {history[g]['best']:.2f}", fontsize=10); ax.set_xlabel("x")
axes[0].set_ylabel("y")
plt.show()

gens = [h["generation"] for h in history]
plt.plot(gens, [h["mean"] for h in history], "o-", label="mean of the generation")
plt.plot(gens, [h["best"] for h in history], "o-", label="best of the generation")
plt.plot(gens, [h["best_so_far"] for h in history], "k--", label="best so far")
plt.xlabel("generation"); plt.ylabel("score"); plt.legend()
plt.show()
print(f"generation 0: mean score {history[0]['mean']:.3f}; generation {gens[-1]}: mean score {history[-1]['mean']:.3f}")
print(f"best found {ga.best_value:.3f} at x = {ga.best_params['x']:.2f}, y = {ga.best_params['y']:.2f}")
"""),
        md("""
The first generation is scattered; selection pulls the next ones toward the good region, and as
mutation shrinks they settle on the best bump. Every trial records where it came from:
`info["generation"]`, `info["parents"]` (trial numbers) and `info["operator"]`.
"""),
        code("""
by_number = {t.number: t for t in ga.trials}
child = next(t for t in ga.trials if t.info.get("generation") == 1 and len(t.info.get("parents", [])) == 2)
for n in child.info["parents"]:
    p = by_number[n]
    print(f"parent trial {n}: x = {p.params['x']:.2f}, y = {p.params['y']:.2f}, score {p.value:.3f}")
print(f"child trial {child.number} ({child.info['operator']}): x = {child.params['x']:.2f}, "
      f"y = {child.params['y']:.2f}, score {child.value:.3f}")
operators = {}
for t in ga.trials:
    operators[t.info.get("operator", "?")] = operators.get(t.info.get("operator", "?"), 0) + 1
print("how the 80 trials were made:", operators)
"""),
        md("""
## 2. A real model, mixed hyperparameters

A random forest on the breast-cancer data: integers, a log-scaled integer and a choice. Crossover
handles each type its own way. Same budget for random search, for comparison.
"""),
        code("""
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

X, y_bc = load_breast_cancer(return_X_y=True)
X_train, X_val, y_train, y_val = train_test_split(X, y_bc, test_size=0.4, random_state=0)
"""),
        code("""
%%tune --strategy genetic --population 6 --trials 30 --maximize accuracy --seed 0 --study lesson6_forest --resume --quiet -o forest_ga
n_estimators = 10        # tune: integer(5, 60)
max_depth = 2            # tune: integer(1, 12)
min_samples_leaf = 20    # tune: integer(1, 50, log=True)
max_features = "sqrt"    # tune: choice("sqrt", "log2", None)
model = RandomForestClassifier(n_estimators=n_estimators, max_depth=max_depth, min_samples_leaf=min_samples_leaf,
                               max_features=max_features, random_state=0).fit(X_train, y_train)
accuracy = model.score(X_val, y_val)
"""),
        code("""
%%tune --strategy random --trials 30 --maximize accuracy --seed 0 --study lesson6_forest_random --resume --quiet -o forest_random
n_estimators = 10        # tune: integer(5, 60)
max_depth = 2            # tune: integer(1, 12)
min_samples_leaf = 20    # tune: integer(1, 50, log=True)
max_features = "sqrt"    # tune: choice("sqrt", "log2", None)
model = RandomForestClassifier(n_estimators=n_estimators, max_depth=max_depth, min_samples_leaf=min_samples_leaf,
                               max_features=max_features, random_state=0).fit(X_train, y_train)
accuracy = model.score(X_val, y_val)
"""),
        code("""
forest_history = forest_ga.study.strategy.population_history(forest_ga.trials)
plt.plot([h["generation"] for h in forest_history], [h["mean"] for h in forest_history], "o-", label="genetic: generation mean")
plt.axhline(np.mean([t.value for t in forest_random.trials]), color="C1", ls="--", label="random: mean of all trials")
plt.xlabel("generation"); plt.ylabel("validation accuracy"); plt.legend()
plt.show()
print(f"defaults: accuracy {forest_ga.trials[0].value:.3f}")
print(f"genetic: best accuracy {forest_ga.best_value:.3f}; random: best accuracy {forest_random.best_value:.3f}")
"""),
        md("""
## Try it

1. Use `--population 4` and then `--population 20` with the same 80 trials in section 1. Small
   populations give more generations, large ones more diversity: which finds the best bump more
   reliably? Try a few `--seed`s before concluding.
2. Make the landscape harder: multiply the cosine term by 0.8. Does the population get trapped on
   a local bump? Would random search be trapped?
"""),
    ]


LESSONS = {
    "02_bias_variance.ipynb": lesson_bias_variance,
    "03_grid_vs_random.ipynb": lesson_grid_vs_random,
    "04_bayesian_optimization.ipynb": lesson_bayesian_optimization,
    "05_hyperband.ipynb": lesson_hyperband,
    "06_genetic.ipynb": lesson_genetic,
    "07_neural_network.ipynb": lesson_neural_network,
    "08_regularization.ipynb": lesson_regularization,
}


def main(prefixes: list[str]) -> None:
    for name, build in LESSONS.items():
        if prefixes and not any(name.startswith(p) for p in prefixes):
            continue
        cells = build()
        for i, cell in enumerate(cells):  # stable ids: regenerating leaves an unchanged lesson unchanged
            cell.id = f"{name[:2]}-{i:02d}"
        nb = nbf.v4.new_notebook(
            cells=cells,
            metadata={
                "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                "language_info": {"name": "python"},
            },
        )
        nbf.validate(nb)
        nbf.write(nb, NOTEBOOKS / name)
        print("wrote", NOTEBOOKS / name)


if __name__ == "__main__":
    main(sys.argv[1:])
