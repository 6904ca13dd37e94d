# %% [markdown]
# # Lesson 3 · Grid search, random search and quasi-random (Sobol) points
#
# With a budget of 16 trials and two hyperparameters, a grid tries 4 values of each. That looks
# thorough, but if only one of the two matters, 12 of the 16 trials just repeat 4 values of the one
# that counts. Random search tries 16 *different* values of every hyperparameter. Bergstra and Bengio
# (2012) showed that in practice few hyperparameters matter much, and that this is why random search
# beats grid search on the same budget. Sobol points keep random search's many distinct values but
# spread them more evenly.

# %%
# %load_ext jhpo
import numpy as np
import matplotlib.pyplot as plt
from threadpoolctl import threadpool_limits
threadpool_limits(1)
plt.rcParams["figure.figsize"] = (9, 3.5)

import jhpo
from scipy.stats import qmc


def surface(lr, momentum):
    """A made-up validation score: it depends strongly on the learning rate and barely on momentum."""
    return float(0.9 * np.exp(-(np.log10(lr) + 2.5) ** 2 / 0.5) + 0.05 * momentum)


# %% [markdown]
# ## 1. The same budget, three ways
#
# The objective is a cheap stand-in for "train a model and score it", so the search takes no time and
# we can look at every point. Each cell searches the learning rate `lr` (log scale) and `momentum`
# with 16 trials. `--no-baseline` leaves out the cell's defaults so that all three get exactly the
# same budget. The grid runs `--grid-points 4`: 4 × 4 = 16.

# %%
# %%tune --strategy grid --grid-points 4 --no-baseline --maximize score --study lesson3_grid --resume --quiet -o grid
lr = 0.01        # tune: loguniform(1e-5, 1)
momentum = 0.5   # tune: uniform(0, 1)
score = surface(lr, momentum)

# %%
# %%tune --strategy random --trials 16 --no-baseline --maximize score --seed 0 --study lesson3_random --resume --quiet -o rand
lr = 0.01        # tune: loguniform(1e-5, 1)
momentum = 0.5   # tune: uniform(0, 1)
score = surface(lr, momentum)

# %%
# %%tune --strategy sobol --trials 16 --no-baseline --maximize score --seed 0 --study lesson3_sobol --resume --quiet -o sobol
lr = 0.01        # tune: loguniform(1e-5, 1)
momentum = 0.5   # tune: uniform(0, 1)
score = surface(lr, momentum)

# %% [markdown]
# Below, the background is the score (bright is good); the dots are the trials; the ticks on the
# bottom edge are the learning rates each search actually tried. The grid's 16 trials cover only 4
# learning rates, and none of them lands near the bright band.

# %%
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


# %% [markdown]
# ## 2. More hyperparameters, of which only two matter
#
# One lucky or unlucky grid proves little. Repeat the comparison properly with the Python API under
# `%%tune` (`jhpo.Study`): a budget of 64 trials, `d` hyperparameters in [0, 1] of which only the first
# two affect the score, random and Sobol repeated over 10 seeds. With `d = 2` the grid has 8 levels
# per axis; with `d = 3`, 4 levels; with `d = 6` only 2 (the corners!), because 2⁶ = 64.

# %%
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

# %% [markdown]
# The grid's result depends on where the lattice happens to fall relative to the optimum, and its
# resolution on the important axes collapses as unimportant axes are added. Random search does not
# care how many unimportant hyperparameters there are: every trial still tries a new value of the
# important ones.
#
# ## 3. Sobol points: random, but evenly spread
#
# Independent random points clump and leave holes. A Sobol sequence is *quasi-random*: deterministic
# (scrambled by the seed) and designed so that every prefix of 2ᵏ points covers the cube evenly, in
# every projection. The **discrepancy** measures unevenness (lower is more even).

# %%
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

# %% [markdown]
# ## Try it
#
# 1. Change `surface` so that momentum matters as much as the learning rate (e.g. make its term
#    `0.9 * np.exp(-(momentum - 0.3) ** 2 / 0.02)`). Does the grid catch up?
# 2. Give the grid 5 points per axis (25 trials) and random 25 trials. Who wins now, and would you
#    bet on it for a new problem?
