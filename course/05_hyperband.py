# %% [markdown]
# # Lesson 5 · Successive halving and Hyperband: stop the losers early
#
# Most configurations of a search are bad, and most bad ones look bad early: after one epoch, a
# network with a hopeless learning rate is already behind. **Successive halving** exploits that:
#
# 1. start many configurations with a small **budget** (1 epoch, or 5% of the data);
# 2. keep the best third (`1/eta`, here `eta = 3`), stop the rest;
# 3. give the survivors `eta` times the budget, and repeat up to the full budget.
#
# Each level is a **rung**. How small to start is a gamble: too small and the early ranking is noise.
# **Hyperband** hedges by running several **brackets** of successive halving, from aggressive (many
# configurations, tiny first budget) to cautious (a few configurations at full budget, like random
# search).
#
# In a cell, the budget is a variable annotated `# tune: resource(low, high)`: the strategy sets it
# per trial. The cell reports progress with `jhpo.report(value, step=epoch)` (a no-op outside a
# search), which lets a scheduler or a pruner stop a trial.

# %%
# %load_ext jhpo
import warnings
import numpy as np
import matplotlib.pyplot as plt
from threadpoolctl import threadpool_limits
threadpool_limits(1)
plt.rcParams["figure.figsize"] = (9, 3.5)

import jhpo
from dataclasses import asdict
from jhpo import insights
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

warnings.filterwarnings("ignore", category=ConvergenceWarning)
X, y = load_digits(return_X_y=True)
X_train, X_val, y_train, y_val = train_test_split(X / 16, y, train_size=1000, random_state=0, stratify=y)
classes = np.unique(y)

# %% [markdown]
# ## 1. Hyperband on epochs
#
# The cell trains a small network one epoch at a time and reports the validation accuracy after each.
# `epochs` is the resource, from 1 to 27: with `eta = 3` the rungs are 1, 3, 9 and 27 epochs.
# Hyperband's first bracket starts 27 configurations at 1 epoch, promotes 9 to 3 epochs, 3 to 9,
# and 1 to 27; the next brackets start fewer configurations at larger budgets. 69 trials are one full
# round of the four brackets.

# %%
# %%tune --strategy hyperband --eta 3 --trials 69 --no-baseline --maximize accuracy --seed 0 --study lesson5_hyperband --resume -o hb
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

# %% [markdown]
# Every trial carries its place in the schedule: `info["bracket"]`, `info["rung"]` and
# `info["budget"]`. `insights.rungs(study, trials)` summarizes the brackets and rungs:

# %%
trials = hb.trials
schedule = pd.DataFrame(map(asdict, insights.rungs(hb.study, trials)))[["bracket", "rung", "budget", "planned", "finished"]]
print(schedule.to_string(index=False))
epochs_used = sum(t.info["budget"] for t in trials)
pruned = [t for t in trials if t.state is jhpo.TrialState.PRUNED]
print(f"{len(trials)} trials, {len(pruned)} stopped (PRUNED), {epochs_used} epochs in all")

# %% [markdown]
# The first bracket as a picture: every line is one trial's validation accuracy, epoch by epoch.
# Grey trials were stopped at the end of their rung; coloured ones were promoted (a promoted
# configuration is run again, as a new trial, with the next rung's budget).

# %%
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

# %% [markdown]
# How does that compare with spending the same number of epochs on random search at full budget?
# Fifteen or so 27-epoch trials cost as much as the whole Hyperband round.

# %%
# %%tune --strategy random --trials 15 --no-baseline --maximize accuracy --seed 0 --study lesson5_random --resume --quiet -o full
epochs = 27        # a fixed budget this time
lr = 0.01          # tune: loguniform(1e-4, 1)
hidden = 32        # tune: integer(4, 128, log=True)
alpha = 1e-4       # tune: loguniform(1e-6, 1e-1)
net = MLPClassifier(hidden_layer_sizes=(hidden,), solver="sgd", momentum=0.9, learning_rate_init=lr,
                    alpha=alpha, random_state=0)
for _ in range(epochs):
    net.partial_fit(X_train, y_train, classes=classes)
    accuracy = net.score(X_val, y_val)

# %%
configs = len({(t.params["lr"], t.params["hidden"], t.params["alpha"]) for t in trials})
print(f"hyperband: {configs} configurations tried, best accuracy {hb.best_value:.3f} ({epochs_used} epochs)")
print(f"random at full budget: {len(full.trials)} configurations tried, best accuracy {full.best_value:.3f} "
      f"({27 * len(full.trials)} epochs)")

# %% [markdown]
# ## 2. Pruning any search: the median rule
#
# Hyperband decides budgets up front. A **pruner** works with any strategy instead: `--pruner median`
# stops a trial whose reported value at some epoch is worse than the median of the completed trials
# at that same epoch. Each stopped trial records why.

# %%
# %%tune --strategy random --pruner median --trials 16 --maximize accuracy --seed 1 --study lesson5_median --resume --quiet -o med
epochs = 20
lr = 0.01          # tune: loguniform(1e-4, 1)
hidden = 32        # tune: integer(4, 128, log=True)
net = MLPClassifier(hidden_layer_sizes=(hidden,), solver="sgd", momentum=0.9, learning_rate_init=lr, random_state=0)
for epoch in range(1, epochs + 1):
    net.partial_fit(X_train, y_train, classes=classes)
    accuracy = net.score(X_val, y_val)
    jhpo.report(accuracy, step=epoch)

# %%
stopped = [t for t in med.trials if t.state is jhpo.TrialState.PRUNED]
ran = sum(len(t.intermediate) for t in med.trials)
print(f"median pruner: {len(stopped)} of {len(med.trials)} trials stopped early; {ran} of {20 * len(med.trials)} epochs run")
if stopped:
    print(f"for example trial {stopped[0].number}: {stopped[0].error}")

# %% [markdown]
# ## 3. A budget of data, and a deadline
#
# The resource does not have to be epochs. Here it is the **fraction of the training data**: cheap
# rungs fit on 1/9 of the digits, the top rung on all of them. And instead of a number of trials the
# search gets a deadline, `--timeout 15` seconds: Hyperband shrinks its brackets to what fits the
# time left, measured from the trials so far. (Re-running this cell continues the study for another
# 15 seconds.)

# %%
# %%tune --strategy hyperband --timeout 15 --maximize accuracy --seed 0 --study lesson5_subsets --resume --quiet -o sub
fraction = 1.0     # tune: resource(0.1, 1.0)
lr = 0.01          # tune: loguniform(1e-4, 1)
hidden = 32        # tune: integer(4, 128, log=True)
n = int(fraction * len(X_train))
net = MLPClassifier(hidden_layer_sizes=(hidden,), solver="sgd", momentum=0.9, learning_rate_init=lr,
                    max_iter=20, random_state=0).fit(X_train[:n], y_train[:n])
accuracy = net.score(X_val, y_val)

# %%
df = sub.to_dataframe()
budgets = sorted(df.params_fraction.unique())
plt.scatter(df.params_lr, df.value, c=np.log(df.params_fraction), cmap="viridis")
plt.colorbar(label="log(fraction of the training data)")
plt.xscale("log"); plt.xlabel("lr"); plt.ylabel("validation accuracy")
plt.show()
seconds = sum(t.duration or 0 for t in sub.trials)
print(f"data budgets used: {', '.join(f'{b:.2f}' for b in budgets)}")
print(f"{len(sub.trials)} trials in {seconds:.0f} s of training; best accuracy {sub.best_value:.3f} with {sub.best_params}")

# %% [markdown]
# ### The same 15 seconds, all of it on the full data
#
# This is the idea of *JITuNE* (just-in-time tuning): when the clock, not the number of trials, is
# the budget, tune on small synopses of the data first and carry the promising configurations over
# to the whole. The alternative spends the same 15 seconds training every configuration on all the
# data. Both are judged the same way: the best validation accuracy of a model trained on the **full**
# training set, against the seconds of training spent.

# %%
# %%tune --strategy random --timeout 15 --no-baseline --maximize accuracy --seed 0 --study lesson5_full15 --resume --quiet -o full15
lr = 0.01          # tune: loguniform(1e-4, 1)
hidden = 32        # tune: integer(4, 128, log=True)
net = MLPClassifier(hidden_layer_sizes=(hidden,), solver="sgd", momentum=0.9, learning_rate_init=lr,
                    max_iter=20, random_state=0).fit(X_train, y_train)
accuracy = net.score(X_val, y_val)

# %%
def full_data_curve(result):
    """Seconds of training so far, and the best accuracy of a model trained on all the data by then."""
    done = [t for t in result.trials if t.value is not None]
    seconds = np.cumsum([t.duration or 0 for t in done])
    on_full = [t.value if t.params.get("fraction", 1.0) >= 1.0 else 0.0 for t in done]
    return seconds, np.maximum.accumulate(on_full), len({(t.params["lr"], t.params["hidden"]) for t in done})


examined = {}
for name, result in (("growing fractions", sub), ("full data only", full15)):
    seconds, best, configs = full_data_curve(result)
    examined[name] = configs
    plt.step(seconds, best, where="post", label=name)
    first = seconds[np.argmax(best >= 0.97)] if best[-1] >= 0.97 else np.inf
    print(f"{name}: {configs} configurations in {seconds[-1]:.0f} s, best full-data accuracy {best[-1]:.3f}; "
          f"above 0.97 after {first:.1f} s")
more = examined["growing fractions"] > examined["full data only"]
print("in the same seconds, growing fractions examined " + ("more" if more else "NOT more")
      + " configurations than the full data")
plt.axhline(0.97, color="gray", ls=":")
plt.ylim(0.8, 1); plt.xlabel("seconds of training"); plt.ylabel("best full-data accuracy so far")
plt.legend(); plt.show()

# %% [markdown]
# Read the lines above. Where the search on growing fractions examines more configurations in the
# same seconds, it is because most were judged on a tenth of the data and only the promising ones
# paid for all of it (here a full-data trial is so cheap that the difference is small, and on a
# busy machine it can even go the other way: the last line says which happened in this run).
# That is JITuNE's trick, and with a deadline it is what decides the outcome **when a
# full-data trial is expensive compared with the deadline** (millions of rows, minutes per fit), so
# that only a handful of full runs fit and each screened-out configuration saves one.
#
# Did it also end with a better model here? Usually not, and that is worth seeing too: on 1,000
# small digits a full-data trial takes a fraction of a second, random search fits dozens of
# them into 15 seconds, and good configurations are common, so both reach about the same accuracy
# (random search may even get there first, as the plot shows). Question 3 below makes full-data
# trials expensive, which is where subsets win.

# %% [markdown]
# ## Try it
#
# 1. Run the first search with `--eta 2`. How many rungs are there now, and how many trials does a
#    round take? Is the best accuracy better or worse for the same number of epochs?
# 2. Replace `--strategy hyperband` with `--strategy asha` (asynchronous successive halving, which
#    never waits for a rung to fill and so suits parallel workers: add `--n-jobs 2`). Compare the
#    schedules.
# 3. Make the full data expensive, as in JITuNE's setting: train on five shifted copies of the
#    digits (`np.roll` each 8x8 image by one pixel left, right, up and down) and give both searches
#    of section 3 `--timeout 5`. How many full-data trials fit now, and which search ends with the
#    better full-data accuracy? Try three `--seed`s before concluding.
