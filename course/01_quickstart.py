# %% [markdown]
# # jhpo quickstart: tune a training cell without rewriting it
#
# A training cell has hyperparameters: numbers and choices you picked by hand. jhpo reads them from comments on the cell's own assignments and re-runs the cell under a search strategy. Remove the `%%tune` line and the cell is ordinary Python again, running with its defaults.

# %%
# %load_ext jhpo
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC

X, y = load_digits(return_X_y=True)
X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.3, random_state=0)

# %% [markdown]
# ## 1. Annotate, then tune
#
# Each `# tune:` comment declares where a value may move: `loguniform` for scale parameters such as `C` and `gamma`, `choice` for a list of options. The cell's own values (`C = 1.0`, ...) run first, as trial 0: the baseline you would have had without tuning. `--maximize score` names the objective.

# %%
# %%tune --strategy random --trials 20 --maximize score --seed 0 --study quickstart --resume -o result
C = 1.0          # tune: loguniform(1e-2, 1e3)
gamma = 0.01     # tune: loguniform(1e-5, 1e-1)
kernel = "rbf"   # tune: choice("rbf", "poly", "sigmoid")
model = SVC(C=C, gamma=gamma, kernel=kernel).fit(X_train, y_train)
score = model.score(X_val, y_val)

# %% [markdown]
# ## 2. Read the result
#
# The panel above shows the search as it ran. After the search the notebook's variables hold what the best trial produced: `model` is the best model, `C`, `gamma` and `kernel` its settings.

# %%
baseline = result.trials[0].value
print(f"the cell's defaults: {baseline:.3f}   tuned: {result.best_value:.3f}")
print("best:", result.best_params)
print("model in the notebook now scores", round(model.score(X_val, y_val), 3))

# %% [markdown]
# ## 3. Nothing is lost: resume
#
# Every finished trial is stored in `.jhpo/studies.db` next to the notebook. `--resume` continues the named study: here to 30 trials in all, so only 10 new trials run. A kernel that died mid-search resumes the same way.

# %%
# %%tune --strategy random --trials 30 --maximize score --seed 0 --study quickstart --resume -o result
C = 1.0          # tune: loguniform(1e-2, 1e3)
gamma = 0.01     # tune: loguniform(1e-5, 1e-1)
kernel = "rbf"   # tune: choice("rbf", "poly", "sigmoid")
model = SVC(C=C, gamma=gamma, kernel=kernel).fit(X_train, y_train)
score = model.score(X_val, y_val)

# %% [markdown]
# ## 4. Export to a DataFrame
#
# One row per trial, one `params_` column per hyperparameter.

# %%
df = result.to_dataframe()
print(len(df), "trials")
df.sort_values("value", ascending=False).head()[["number", "value", "params_C", "params_gamma", "params_kernel"]]

# %% [markdown]
# ## Try it
#
# Change `--strategy random` to `--strategy bayes` (and the study name), and compare how many trials each needs to reach the best score. `%%tune?` lists every option.
