# %% [markdown]
# # Lesson 11 · Real code, real spaces
#
# The searches so far tuned a few numbers on the top lines of a cell. Real training code is
# messier: it chooses *between* models, each with its own settings; it keeps a library's settings in
# a `params` dict; it builds a network layer by layer in a loop; its defaults are sometimes values no
# sensible range would contain; and one score is rarely all you want to know. This lesson shows how
# jhpo reads such code as it is, so that the cell still runs unchanged without `%%tune`.
#
# * a **choice of classifier** whose parameters live in `if` branches: a *conditional*
#   (tree-structured) space, printed by `--dry-run`;
# * a LightGBM-style **params dict** with `# tune:` on its entries, and a default outside its range;
# * **extra metrics** stored with each trial (`--metrics`, `jhpo.log(...)`);
# * **per-layer sizes** in a loop: `n_units[0]`, `n_units[1]`, ...

# %%
# %load_ext jhpo
import time
import warnings
import matplotlib.pyplot as plt
from threadpoolctl import threadpool_limits
threadpool_limits(1)
plt.rcParams["figure.figsize"] = (9, 3.5)
warnings.filterwarnings("ignore", module="sklearn")   # short training runs warn that they stopped early

import jhpo
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.svm import SVC

X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_val, y_train, y_val = train_test_split(X, y, train_size=1000, random_state=0, stratify=y)

# %% [markdown]
# ## 1. Which classifier, and then which settings: conditional parameters
#
# Write the choice the way you would without jhpo: a variable names the classifier, and each `if`
# branch builds it with its own settings. An annotation inside a branch makes a **conditional
# parameter**: it exists only in trials where its branch runs. Because the branch tests a tuned
# parameter (`classifier`), jhpo knows *before* a trial which parameters are active, so it never
# samples an SVC's `gamma` for a random forest (which would make two identical forests look like
# different configurations).
#
# `--dry-run` runs nothing: it prints the space as a tree and the first configurations. The tree
# spells each branch as the condition it stands for: the `else` branch is "not SVC and not
# RandomForest", printed as two nested tests that only `LogisticRegression` passes.

# %%
# %%tune --strategy random --trials 18 --maximize score --seed 0 --study lesson11_models --resume --dry-run
classifier = "SVC"      # tune: choice("SVC", "RandomForest", "LogisticRegression")
if classifier == "SVC":
    C = 1.0             # tune: loguniform(1e-1, 1e3)
    gamma = 0.01        # tune: loguniform(1e-3, 1e0)
    model = SVC(C=C, gamma=gamma)
elif classifier == "RandomForest":
    n_estimators = 50   # tune: integer(10, 150, log=True)
    max_depth = 8       # tune: integer(2, 20)
    model = RandomForestClassifier(n_estimators=n_estimators, max_depth=max_depth, random_state=0)
else:
    C_logistic = 1.0    # tune: loguniform(1e-3, 1e2)
    model = LogisticRegression(C=C_logistic, max_iter=300)
started = time.perf_counter()
model.fit(X_train, y_train)
fit_time = time.perf_counter() - started
score = model.score(X_val, y_val)

# %% [markdown]
# Now the same cell for real. `--metrics fit_time` also stores the variable `fit_time` with every
# trial: accuracy is what we maximize, but how long each model takes to train is worth knowing too.

# %%
# %%tune --strategy random --trials 18 --maximize score --seed 0 --study lesson11_models --resume --metrics fit_time -o models
classifier = "SVC"      # tune: choice("SVC", "RandomForest", "LogisticRegression")
if classifier == "SVC":
    C = 1.0             # tune: loguniform(1e-1, 1e3)
    gamma = 0.01        # tune: loguniform(1e-3, 1e0)
    model = SVC(C=C, gamma=gamma)
elif classifier == "RandomForest":
    n_estimators = 50   # tune: integer(10, 150, log=True)
    max_depth = 8       # tune: integer(2, 20)
    model = RandomForestClassifier(n_estimators=n_estimators, max_depth=max_depth, random_state=0)
else:
    C_logistic = 1.0    # tune: loguniform(1e-3, 1e2)
    model = LogisticRegression(C=C_logistic, max_iter=300)
started = time.perf_counter()
model.fit(X_train, y_train)
fit_time = time.perf_counter() - started
score = model.score(X_val, y_val)

# %% [markdown]
# Each trial carries only the parameters of the branch that ran. In the DataFrame the others are
# empty (`NaN`), and the extra metric is a column of its own, `metrics_fit_time`.

# %%
df = models.to_dataframe()
for name in ("SVC", "RandomForest", "LogisticRegression"):
    mine = [t for t in models.trials if t.params["classifier"] == name]
    names = sorted(set().union(*(t.params for t in mine)))
    print(f"{name}: {len(mine)} trials, parameters {names}, best accuracy {max(t.value for t in mine):.3f}")
print(f"best: {models.best_params} -> accuracy {models.best_value:.3f}")
columns = ["classifier", "C", "gamma", "n_estimators", "max_depth", "C_logistic"]
df[["params_" + c for c in columns] + ["value", "metrics_fit_time"]].head(8)

# %%
for name, marker in (("SVC", "o"), ("RandomForest", "s"), ("LogisticRegression", "^")):
    rows = df[df["params_classifier"] == name]
    plt.scatter(rows["metrics_fit_time"], rows["value"], marker=marker, label=name)
plt.xscale("log"); plt.xlabel("training time (s)"); plt.ylabel("validation accuracy"); plt.legend()
plt.title("one objective, one more number: accuracy and what it costs")
plt.show()

# %% [markdown]
# ## 2. A LightGBM-style params dict, and a default outside the range
#
# Gradient-boosting libraries (LightGBM, XGBoost) take their settings as a dict. Put `# tune:` on
# the dict's own lines: each tuned entry becomes a parameter named by its key, and the dict the
# library receives holds the trial's values. We use scikit-learn's `HistGradientBoostingClassifier`,
# a LightGBM-like booster that needs no extra package, on a small tabular task: 569 breast-cancer
# biopsies. With LightGBM the cell is the same with its own names (`num_leaves`, `lambda_l2`,
# `min_child_samples`) and `lightgbm.LGBMClassifier(**params)`.
#
# The default `l2_regularization = 0.0` (no penalty, as in LightGBM's `lambda_l1 = 0.0`) is outside
# `loguniform(1e-8, 10)`, since a log scale cannot reach zero. jhpo still runs your default first, as
# the baseline, with a one-line note; the strategy searches the declared range.
# `jhpo.log(...)` stores more numbers with a trial from inside the cell: here the training accuracy,
# to see overfitting next to the validation accuracy.

# %%
Xb, yb = load_breast_cancer(return_X_y=True)
Xb_train, Xb_val, yb_train, yb_val = train_test_split(Xb, yb, train_size=350, random_state=0, stratify=yb)

# %%
# %%tune --strategy bayes --trials 10 --maximize accuracy --seed 0 --study lesson11_boosting --resume --quiet -o boosting
params = {
    "max_iter": 50,
    "learning_rate": 0.1,      # tune: loguniform(0.01, 0.5)
    "max_leaf_nodes": 31,      # tune: integer(4, 64, log=True)
    "min_samples_leaf": 20,    # tune: integer(2, 50, log=True)
    "l2_regularization": 0.0,  # tune: loguniform(1e-8, 10)
}
booster = HistGradientBoostingClassifier(**params, early_stopping=False, random_state=0)
booster.fit(Xb_train, yb_train)
accuracy = booster.score(Xb_val, yb_val)
jhpo.log(train_accuracy=booster.score(Xb_train, yb_train))

# %%
base = boosting.trials[0]
print(f"baseline (the cell's own dict, l2_regularization {base.params['l2_regularization']}): "
      f"validation accuracy {base.value:.3f}")
print(f"tuned: validation accuracy {boosting.best_value:.3f} with {boosting.best_params}")
print(f"every other trial searched the range: {all(t.params['l2_regularization'] >= 1e-8 for t in boosting.trials[1:])}")
columns = ["params_learning_rate", "params_max_leaf_nodes", "params_l2_regularization", "value", "metrics_train_accuracy"]
boosting.to_dataframe()[columns]

# %% [markdown]
# After the search the cell's variables hold the best trial's: `params` is the dict the best
# booster was built from, ready to pass on.

# %%
print("params after the search:", params)

# %% [markdown]
# ## 3. One parameter per layer: annotations in a loop
#
# A network built layer by layer has a size *per layer*. An annotation inside a loop `for _ in range(N)`
# makes one parameter per iteration: `n_units[0]`, `n_units[1]`, ... And when `N` is itself tuned
# (`n_layers`), the sizes of layers that a trial does not build are inactive in that trial, just as
# the branches above: a 1-layer network has no `n_units[1]` to sample. The tree shows it.

# %%
# %%tune --strategy random --trials 10 --maximize score --seed 0 --study lesson11_layers --resume --dry-run
n_layers = 2            # tune: integer(1, 3)
sizes = []
for _ in range(n_layers):
    n_units = 32        # tune: integer(8, 64, log=True)
    sizes.append(n_units)
net = MLPClassifier(hidden_layer_sizes=sizes, max_iter=40, random_state=0).fit(X_train, y_train)
score = net.score(X_val, y_val)

# %%
# %%tune --strategy random --trials 10 --maximize score --seed 0 --study lesson11_layers --resume --quiet -o layers
n_layers = 2            # tune: integer(1, 3)
sizes = []
for _ in range(n_layers):
    n_units = 32        # tune: integer(8, 64, log=True)
    sizes.append(n_units)
net = MLPClassifier(hidden_layer_sizes=sizes, max_iter=40, random_state=0).fit(X_train, y_train)
score = net.score(X_val, y_val)

# %%
for t in layers.trials:
    units = [k for k in t.params if k.startswith("n_units")]
    print(f"trial {t.number}: n_layers {t.params['n_layers']}, sizes {[t.params[k] for k in units]}, "
          f"accuracy {t.value:.3f}")
print(f"best network: hidden layers {sizes} (the notebook's `sizes` after the search), accuracy {layers.best_value:.3f}")

# %% [markdown]
# ## 4. Which parameters mattered?
#
# After a search, `result.importance()` says how much of the score's variation each parameter
# explains: a random forest is fitted to the trials (parameters in, score out) and its prediction is
# split into one main effect per parameter (fANOVA). The panel's **Importance** tab draws the same
# numbers. With only 10 trials these shares are rough; read them as "where to look", not as a law.

# %%
shares = boosting.importance()
print(shares.to_string(index=False))
print(f"most important: {shares['parameter'].iloc[0]} ({shares['importance'].iloc[0]:.0%} of the explained variation)")

# %% [markdown]
# ## What this lesson did not cover
#
# **Several objectives at once** (accuracy *and* training time, with the Pareto front of
# configurations no other beats on both) are not in jhpo yet; above, `fit_time` is only recorded,
# not optimized. Until then, a recorded metric and a scatter plot, as in section 1, show the
# trade-off by eye.
#
# **Try it.** Add a fourth classifier to the first cell, `KNeighborsClassifier` (from
# `sklearn.neighbors`), in an `elif` branch with `n_neighbors = 5  # tune: integer(1, 30)`, and look
# at the tree `--dry-run` prints. Then run the search: does the best classifier change, and where does
# k-nearest-neighbours sit in the accuracy-versus-time plot?
