# %% [markdown]
# # Lesson 6 · Genetic algorithms: evolve the hyperparameters
#
# A genetic algorithm borrows the vocabulary of evolution:
#
# * a **population**: a set of configurations evaluated together, one **generation**;
# * **selection**: better configurations are more likely to become parents (jhpo holds
#   *tournaments*: pick 3 at random, the best of them wins);
# * **crossover**: a child mixes two parents (numbers are blended between the parents' values, choices
#   are inherited from one of them);
# * **mutation**: a small random change, so the population keeps exploring (jhpo's mutations shrink as
#   the generations pass, from exploring to fine-tuning);
# * **elitism**: the best few are carried into the next generation by mutation alone, so a good
#   configuration is never lost.
#
# No model of the objective is needed, which makes it robust on rugged objectives with many local
# optima, and every member of a generation can be evaluated in parallel.

# %%
# %load_ext jhpo
import numpy as np
import matplotlib.pyplot as plt
from threadpoolctl import threadpool_limits
from jhpo import insights
threadpool_limits(1)
plt.rcParams["figure.figsize"] = (9, 3.5)



def landscape(x, y):
    """A made-up score with many local bumps and one best region near (1, -0.5)."""
    return float(np.exp(-((x - 1) ** 2 + (y + 0.5) ** 2) / 0.8) + 0.3 * np.cos(3 * x) * np.cos(3 * y))


gx, gy = np.meshgrid(np.linspace(-3, 3, 200), np.linspace(-3, 3, 200))
gz = np.vectorize(landscape)(gx, gy)
print(f"the true best score is about {gz.max():.3f} (the search does not know this)")

# %% [markdown]
# ## 1. Watching a population evolve
#
# `--population 10` sets the generation size; 80 trials are 8 generations. Generation 0 is spread
# over the space with quasi-random (Sobol) points, and the rest are bred.

# %%
# %%tune --strategy genetic --population 10 --trials 80 --no-baseline --maximize score --seed 0 --study lesson6_landscape --resume -o ga
x = 0.0     # tune: uniform(-3, 3)
y = 0.0     # tune: uniform(-3, 3)
score = landscape(x, y)

# %%
history = insights.generations(ga.trials, ga.study.direction).summary
shown = [0, 2, 4, len(history) - 1]
fig, axes = plt.subplots(1, 4, figsize=(13, 3.4), sharey=True)
for ax, g in zip(axes, shown):
    ax.contourf(gx, gy, gz, levels=20, cmap="magma")
    members = history[g].params
    ax.scatter([p["x"] for p in members], [p["y"] for p in members], c="cyan", edgecolor="k")
    ax.set_title(f"generation {g}: best {history[g].best:.2f}", fontsize=10); ax.set_xlabel("x")
axes[0].set_ylabel("y")
plt.show()

gens = [h.generation for h in history]
plt.plot(gens, [h.mean for h in history], "o-", label="mean of the generation")
plt.plot(gens, [h.best for h in history], "o-", label="best of the generation")
plt.plot(gens, [h.best_so_far for h in history], "k--", label="best so far")
plt.xlabel("generation"); plt.ylabel("score"); plt.legend()
plt.show()
print(f"generation 0: mean score {history[0].mean:.3f}; generation {gens[-1]}: mean score {history[-1].mean:.3f}")
print(f"best found {ga.best_value:.3f} at x = {ga.best_params['x']:.2f}, y = {ga.best_params['y']:.2f}")

# %% [markdown]
# The first generation is scattered; selection pulls the next ones toward the good region, and as
# mutation shrinks they settle on the best bump. Every trial records where it came from:
# `info["generation"]`, `info["parents"]` (trial numbers) and `info["operator"]`.

# %%
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

# %% [markdown]
# ## 2. A real model, mixed hyperparameters
#
# A random forest on the breast-cancer data: integers, a log-scaled integer and a choice. Crossover
# handles each type its own way. Same budget for random search, for comparison.

# %%
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

X, y_bc = load_breast_cancer(return_X_y=True)
X_train, X_val, y_train, y_val = train_test_split(X, y_bc, test_size=0.4, random_state=0)

# %%
# %%tune --strategy genetic --population 6 --trials 30 --maximize accuracy --seed 0 --study lesson6_forest --resume --quiet -o forest_ga
n_estimators = 10        # tune: integer(5, 60)
max_depth = 2            # tune: integer(1, 12)
min_samples_leaf = 20    # tune: integer(1, 50, log=True)
max_features = "sqrt"    # tune: choice("sqrt", "log2", None)
model = RandomForestClassifier(n_estimators=n_estimators, max_depth=max_depth, min_samples_leaf=min_samples_leaf,
                               max_features=max_features, random_state=0).fit(X_train, y_train)
accuracy = model.score(X_val, y_val)

# %%
# %%tune --strategy random --trials 30 --maximize accuracy --seed 0 --study lesson6_forest_random --resume --quiet -o forest_random
n_estimators = 10        # tune: integer(5, 60)
max_depth = 2            # tune: integer(1, 12)
min_samples_leaf = 20    # tune: integer(1, 50, log=True)
max_features = "sqrt"    # tune: choice("sqrt", "log2", None)
model = RandomForestClassifier(n_estimators=n_estimators, max_depth=max_depth, min_samples_leaf=min_samples_leaf,
                               max_features=max_features, random_state=0).fit(X_train, y_train)
accuracy = model.score(X_val, y_val)

# %%
forest_history = insights.generations(forest_ga.trials, forest_ga.study.direction).summary
plt.plot([h.generation for h in forest_history], [h.mean for h in forest_history], "o-", label="genetic: generation mean")
plt.axhline(np.mean([t.value for t in forest_random.trials]), color="C1", ls="--", label="random: mean of all trials")
plt.xlabel("generation"); plt.ylabel("validation accuracy"); plt.legend()
plt.show()
print(f"defaults: accuracy {forest_ga.trials[0].value:.3f}")
print(f"genetic: best accuracy {forest_ga.best_value:.3f}; random: best accuracy {forest_random.best_value:.3f}")

# %% [markdown]
# ## Try it
#
# 1. Use `--population 4` and then `--population 20` with the same 80 trials in section 1. Small
#    populations give more generations, large ones more diversity: which finds the best bump more
#    reliably? Try a few `--seed`s before concluding.
# 2. Make the landscape harder: multiply the cosine term by 0.8. Does the population get trapped on
#    a local bump? Would random search be trapped?
