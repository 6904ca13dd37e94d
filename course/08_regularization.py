# %% [markdown]
# # Lesson 8 · Regularization: weight decay, dropout, early stopping
#
# A network with more weights than training examples can memorize its training set, noise and
# all. Regularization makes memorizing harder so that the network learns what generalizes:
#
# * **weight decay** (an L2 penalty, `alpha` in scikit-learn) pulls every weight toward zero;
# * **dropout** silences a random fraction of hidden units at every step, so no unit can rely on
#   one particular partner;
# * **early stopping** watches the validation loss and stops when it no longer improves.
#
# Each comes with a hyperparameter (a strength, a rate, a patience), and tuning them is how
# regularization is used in practice. To make overfitting easy to see we train on only 300 digits
# and give a quarter of them a wrong label, as in messy real data.

# %%
# %load_ext jhpo
import numpy as np
import matplotlib.pyplot as plt
from threadpoolctl import threadpool_limits
threadpool_limits(1)
plt.rcParams["figure.figsize"] = (9, 3.5)

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

X, y = load_digits(return_X_y=True)
X = X / 16.0   # pixel intensities 0..16 -> 0..1

X_train, X_rest, y_clean, y_rest = train_test_split(X, y, train_size=300, random_state=0, stratify=y)
X_val, X_test, y_val, y_test = train_test_split(X_rest, y_rest, train_size=500, random_state=0, stratify=y_rest)
rng = np.random.default_rng(0)
wrong = rng.random(len(y_clean)) < 0.25
y_train = y_clean.copy()
y_train[wrong] = rng.integers(0, 10, wrong.sum())
print(f"{len(y_train)} training digits, {int((y_train != y_clean).sum())} with a wrong label; "
      f"{len(y_val)} for validation, {len(y_test)} for a final test")


# %%
# the numpy network of lesson 7 (lesson 7 shows its code; `train_mlp??` shows the training loop)
from jhpo.teach.course import train_mlp

# %%
# A wide network, SGD with momentum, 80 epochs: plenty of capacity to memorize 300 digits.
def fit(**kw):
    return train_mlp(X_train, y_train, X_val, y_val, hidden=128, lr=0.1, momentum=0.9, epochs=80, **kw)


# %% [markdown]
# ## 1. Overfitting, seen over time
#
# Without regularization the training accuracy climbs to 100%: the network has learned the wrong
# labels too. The validation loss reaches its minimum within a few epochs and then rises, while the
# training loss keeps falling.

# %%
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

# %% [markdown]
# ## 2. Weight decay
#
# Sweep the strength. Too little changes nothing; too much and the network cannot fit even the
# correct labels (underfitting, as in lesson 2). In between, the gap between training and validation
# accuracy closes.

# %%
decays = [0, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1]
wd_runs = [fit(weight_decay=wd) for wd in decays]
x_pos = np.arange(len(decays))
plt.plot(x_pos, [r["train_acc"] for r in wd_runs], "o-", label="training accuracy")
plt.plot(x_pos, [r["val_acc"] for r in wd_runs], "o-", label="validation accuracy")
plt.xticks(x_pos, [str(d) for d in decays]); plt.xlabel("weight decay"); plt.legend()
plt.show()
for wd, r in zip(decays, wd_runs):
    print(f"weight decay {wd:g}: train accuracy {r['train_acc']:.3f}, validation accuracy {r['val_acc']:.3f}")

# %% [markdown]
# ## 3. Dropout
#
# In training, each hidden unit is kept with probability `1 - dropout` and the survivors are scaled
# up by `1 / (1 - dropout)` so the next layer sees the same average; at prediction time every unit is
# used. Look for the two `if dropout > 0:` lines in `gradients`: that is all of it.

# %%
rates = [0.0, 0.2, 0.4, 0.6, 0.8]
dropout_runs = [fit(dropout=p) for p in rates]
plt.plot(rates, [r["train_acc"] for r in dropout_runs], "o-", label="training accuracy")
plt.plot(rates, [r["val_acc"] for r in dropout_runs], "o-", label="validation accuracy")
plt.xlabel("dropout rate"); plt.legend()
plt.show()
for p, r in zip(rates, dropout_runs):
    print(f"dropout {p:.1f}: train accuracy {r['train_acc']:.3f}, validation accuracy {r['val_acc']:.3f}")

# %% [markdown]
# ## 4. Early stopping
#
# Stop when the validation loss has not improved for `patience` epochs, and keep the weights from
# the best epoch. It is the cheapest regularizer: it *saves* training time. Its hyperparameter is the
# patience: too small stops on a random bump, too large wastes epochs (but, since the best weights
# are kept, costs little accuracy).

# %%
patiences = [1, 3, 5, 10, 20]
es_runs = [fit(patience=p) for p in patiences]
plt.plot(h["val_loss"], color="gray", label="validation loss without stopping")
for p, r in zip(patiences, es_runs):
    plt.plot(r["epochs_run"] - 1, r["history"]["val_loss"][-1], "o", label=f"patience {p} stops here")
plt.xlabel("epoch"); plt.ylabel("validation loss"); plt.legend(fontsize=8)
plt.show()
for p, r in zip(patiences, es_runs):
    print(f"patience {p}: stopped after {r['epochs_run']} of 80 epochs, validation accuracy {r['val_acc']:.3f}")

# %% [markdown]
# ## 5. Tune them together
#
# The three regularizers overlap (with strong weight decay you need less dropout), so search them
# jointly. The cell's defaults are no regularization at all. Selecting on the validation set makes
# its score optimistic, so the last cell reports accuracy on the **test** digits that no search saw.
# `patience = 0` here means "no early stopping".

# %%
# %%tune --strategy random --trials 24 --maximize val_acc --seed 0 --study lesson8_regularization --resume -o reg
weight_decay = 0.0   # tune: choice(0.0, 1e-4, 1e-3, 3e-3, 1e-2, 3e-2)
dropout = 0.0        # tune: uniform(0, 0.7)
patience = 0         # tune: integer(0, 10)
run = fit(weight_decay=weight_decay, dropout=dropout, patience=patience or None)
val_acc = run["val_acc"]

# %%
df = reg.to_dataframe()
sc = plt.scatter(df.params_dropout, df.params_patience, c=df.value, cmap="viridis", s=60)
plt.colorbar(sc, label="validation accuracy"); plt.xlabel("dropout"); plt.ylabel("patience (0: none)")
plt.show()
test_default = np.mean(plain["predict"](X_test) == y_test)
test_tuned = np.mean(run["predict"](X_test) == y_test)   # `run` now holds the best trial's network
print(f"no regularization: validation accuracy {reg.trials[0].value:.3f}, test accuracy {test_default:.3f}")
print(f"tuned ({reg.best_params}): validation accuracy {reg.best_value:.3f}, test accuracy {test_tuned:.3f}")

# %% [markdown]
# ## Try it
#
# 1. Remove the wrong labels (`y_train = y_clean`). Does regularization still help as much? What
#    does that say about when to regularize hard?
# 2. scikit-learn's `MLPClassifier` has the same three knobs: `alpha` (weight decay),
#    `early_stopping=True` with `n_iter_no_change` (patience), and no dropout. Tune `alpha` and
#    `n_iter_no_change` with `%%tune` and compare with the numpy network.
