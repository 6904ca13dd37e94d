# %% [markdown]
# # Lesson 4 · Bayesian optimization, step by step
#
# Grid and random search ignore what earlier trials found. When a trial costs minutes, that is
# wasteful: after a few trials we already know roughly where the good region is. Bayesian
# optimization keeps a **surrogate model** of the objective, fitted to the trials so far, and uses it
# to choose the next trial:
#
# 1. the model predicts, at every point, a **mean** (its best guess of the score) and an
#    **uncertainty** (how unsure it is: small near trials, large far from them);
# 2. an **acquisition function** turns both into one number: how much a trial there is *expected to
#    improve* on the best so far. It is high where the mean is good (**exploit**) and where the
#    uncertainty is large (**explore**);
# 3. the next trial goes where the acquisition is highest; its result refines the model.
#
# jhpo's `bayes` strategy uses a Gaussian process as the model and expected improvement as the
# acquisition. We first watch it on one hyperparameter, through the Python API under `%%tune`, then in
# two dimensions on a real model.

# %%
# %load_ext jhpo
import numpy as np
import matplotlib.pyplot as plt
from threadpoolctl import threadpool_limits
threadpool_limits(1)
plt.rcParams["figure.figsize"] = (9, 3.5)

import jhpo
from jhpo import insights


def score(x):
    """A made-up validation score of one hyperparameter, with two bumps (a local and the global best)."""
    return float(np.sin(3 * x) + 0.5 * np.sin(7 * x) - 0.1 * (x - 1) ** 2)


xs = np.linspace(0, 3, 400)
true = np.array([score(x) for x in xs])
print(f"the true best: x = {xs[true.argmax()]:.2f}, score {true.max():.3f} (the search does not know this)")

# %% [markdown]
# ## 1. One hyperparameter: the model, the acquisition, the next point
#
# `jhpo.Study` is what `%%tune` runs on. Here the study lives in memory (`storage=":memory:"`) so
# that every run of the notebook starts from scratch, and we drive it by hand: `ask()` proposes a
# trial, `tell()` reports its score. Three scattered points first (the *initial design*; the model
# needs some data), then four model-guided steps. `insights.surrogate(study, trials, ["x"])` fits the
# model on those trials, as the strategy does, and returns what it believes along `x`: mean,
# uncertainty, acquisition and the point it would pick.

# %%
study = jhpo.Study({"x": jhpo.uniform(0, 3)}, strategy="bayes", seed=0, storage=":memory:",
                   strategy_options={"n_initial": 3})
for _ in range(3):
    trial = study.ask()
    study.tell(trial, score(trial.params["x"]))
print("initial design:", [round(t.params["x"], 2) for t in study.trials])

fig, axes = plt.subplots(2, 4, figsize=(13, 5), sharex=True, gridspec_kw={"height_ratios": [2, 1]})
for step in range(4):
    view = insights.surrogate(study, study.trials, ["x"], resolution=120)
    x_axis, mean, std = np.array(view.axes[0]), view.mean, view.std
    top, bottom = axes[0, step], axes[1, step]
    top.plot(xs, true, "k:", lw=1, label="true score (unknown)")
    top.plot(x_axis, mean, "C0", label="model mean")
    top.fill_between(x_axis, mean - 2 * std, mean + 2 * std, color="C0", alpha=0.2, label="± 2 std")
    top.plot(*view.observed_along("x"), "ko", label="trials")
    bottom.fill_between(x_axis, view.acquisition, color="C1", alpha=0.6)
    bottom.axvline(view.next["x"], color="C3")
    top.axvline(view.next["x"], color="C3", lw=1)
    top.set_title(f"after {len(study.trials)} trials", fontsize=10)
    trial = study.ask()                      # the strategy's proposal (refined beyond the plotted grid)
    study.tell(trial, score(trial.params["x"]))
    why = trial.info["why"]
    print(f"step {step + 1}: next x = {trial.params['x']:.3f} ({why['mode']}) -> score {trial.value:.3f}. {why['text']}")
axes[0, 0].legend(fontsize=7); axes[1, 0].set_ylabel("expected\nimprovement")
plt.show()

# %% [markdown]
# Read the plots left to right. Where there are no trials, the model falls back to a cautious guess,
# the worst score it has seen, but its band is wide: it does not know, so a good score is *possible*
# there, and the acquisition is above zero. Near a good trial the mean is high: a slightly better
# score is *likely* there. Each step takes the red line's point, and the band
# collapses around it. Within a few steps the trials crowd around the best bump.

# %%
for _ in range(4):
    trial = study.ask()
    study.tell(trial, score(trial.params["x"]))
found = study.best_params["x"]
print(f"bayes after {len(study.trials)} trials: best x = {found:.3f}, score {study.best_value:.3f} (true best {true.max():.3f})")
print("the last proposals:", [round(t.params["x"], 3) for t in study.trials[-4:]])

# %% [markdown]
# ## 2. Two hyperparameters, a real model
#
# An SVM on the handwritten digits has two hyperparameters that interact: `C` (how hard to fit the
# training points) and `gamma` (how local each point's influence is). Both are scale parameters, so
# they are searched on a log scale. The same budget runs twice: `--strategy random` and
# `--strategy bayes`. Under the bayes cell the panel shows the search as it runs.

# %%
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC

X, y = load_digits(return_X_y=True)
X_train, X_val, y_train, y_val = train_test_split(X / 16, y, train_size=600, test_size=600, random_state=0)

# %%
# %%tune --strategy random --trials 20 --maximize accuracy --seed 0 --study lesson4_random --resume --quiet -o rand
C = 1.0        # tune: loguniform(1e-3, 1e3)
gamma = 1.0    # tune: loguniform(1e-4, 1e2)
accuracy = SVC(C=C, gamma=gamma).fit(X_train, y_train).score(X_val, y_val)

# %%
# %%tune --strategy bayes --trials 20 --maximize accuracy --seed 0 --study lesson4_bayes --resume -o bayes
C = 1.0        # tune: loguniform(1e-3, 1e3)
gamma = 1.0    # tune: loguniform(1e-4, 1e2)
accuracy = SVC(C=C, gamma=gamma).fit(X_train, y_train).score(X_val, y_val)

# %% [markdown]
# What does the model believe now? The same `surrogate` in two dimensions: the mean (the model's map of
# accuracy), its uncertainty (low where trials are, so the map is trustworthy there) and the
# acquisition (where it would look next). Dots are the trials, the star is the next proposal.

# %%
view = insights.surrogate(bayes.study, bayes.trials, ["C", "gamma"], resolution=40)
Cs, gammas = np.array(view.axes[0]), np.array(view.axes[1])
fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), sharey=True)
# Far from every trial the model's guesses run beyond what accuracy can be: clip them for the picture.
shown = {"mean": np.clip(view.mean, 0, 1), "std": np.clip(view.std, 0, 0.3), "acquisition": view.acquisition}
for ax, key, title in zip(axes, ("mean", "std", "acquisition"),
                          ("model mean (accuracy)", "model uncertainty (std, up to 0.3)", "expected improvement")):
    cs = ax.contourf(Cs, gammas, np.asarray(shown[key]).T, levels=20, cmap="viridis")
    fig.colorbar(cs, ax=ax)
    ax.scatter([p["C"] for p, _ in view.observed], [p["gamma"] for p, _ in view.observed], c="white", edgecolor="k", s=25)
    ax.scatter([view.next["C"]], [view.next["gamma"]], marker="*", c="red", s=200)
    ax.set_xscale("log"); ax.set_yscale("log"); ax.set_xlabel("C"); ax.set_title(title, fontsize=10)
axes[0].set_ylabel("gamma")
plt.show()
print(f"random: best accuracy {rand.best_value:.3f}; bayes: best accuracy {bayes.best_value:.3f}")
for name, res in (("random", rand), ("bayes", bayes)):
    good = sum(t.value > 0.9 for t in res.trials[10:])
    print(f"{name}: {good} of its last 10 trials scored above 0.9 (median accuracy {np.median([t.value for t in res.trials]):.3f})")
print("why bayes chose its last trial:", bayes.trials[-1].info["why"]["text"])

# %% [markdown]
# The surrogate learned where `C` and `gamma` work together, and concentrated its later trials there,
# while random search kept spending trials in regions already known to be poor. On this easy problem
# both find a very good model within 20 trials; the difference is how many trials were wasted, and
# that difference is what counts when each trial takes an hour.
#
# ## Try it
#
# 1. In section 1, start with `n_initial=1`. Does the search still find the global bump, or does it
#    get stuck on the first one it sees? What does that say about exploration?
# 2. Rerun the bayes cell with `--trials 10`. How does its best compare with random's 20 trials?
