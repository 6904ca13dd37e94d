# %% [markdown]
# # Lesson 7 · Training a neural network: learning rate, schedules, optimizers, batches
#
# A neural network's weights are found by gradient descent, and gradient descent has hyperparameters
# of its own. They decide whether training works at all, long before the architecture matters:
#
# * the **learning rate**, the size of each step;
# * the **schedule**, how the learning rate changes during training;
# * the **optimizer**, plain SGD, SGD with momentum, or Adam;
# * the **batch size** and the number of **epochs** (passes over the data).
#
# We train a small network written in numpy (so every hyperparameter is a visible line) on the 8×8
# handwritten digits that ship with scikit-learn, and finish with scikit-learn's `MLPClassifier`.

# %%
# %load_ext jhpo
import warnings
import numpy as np
import matplotlib.pyplot as plt
from threadpoolctl import threadpool_limits
threadpool_limits(1)
plt.rcParams["figure.figsize"] = (9, 3.5)

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

X, y = load_digits(return_X_y=True)
X = X / 16.0   # pixel intensities 0..16 -> 0..1

X_train, X_val, y_train, y_val = train_test_split(X, y, train_size=1000, random_state=0, stratify=y)
print(X_train.shape, X_val.shape)


# %% [markdown]
# The network: one hidden layer of ReLU units, softmax output, cross-entropy loss. Lessons 7 and 8
# share it, so it lives in the module `jhpo.teach.course`; the next cell imports it and shows its
# code. Every hyperparameter is an argument, and each one is a line or two you can find.

# %%
import inspect
from IPython.display import Code
from jhpo.teach.course import NETWORK, train_mlp

Code("\n\n".join(inspect.getsource(f) for f in NETWORK), language="python")

# %% [markdown]
# ## 1. The learning rate: too small, about right, too large
#
# Plain SGD, 20 epochs, three learning rates. Too small, and the loss creeps down: training would
# need far more epochs. About right, and it drops fast. Too large, and each step overshoots the
# valley it aims for: the loss jumps up, units die, and the network ends no better than guessing.

# %%
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

# %% [markdown]
# Between those extremes there is a range that works. Let `%%tune` find it: the learning rate is a
# scale parameter, so it is searched on a log scale (`loguniform`). The cell is the training call;
# the live panel under it shows each trial as it finishes.

# %%
# %%tune --strategy random --trials 16 --maximize val_acc --seed 0 --study lesson7_lr --resume -o lr_search
lr = 0.001     # tune: loguniform(1e-4, 30)
run = train_mlp(X_train, y_train, X_val, y_val, hidden=32, lr=lr, epochs=20, batch_size=64)
val_acc = run["val_acc"]

# %%
df = lr_search.to_dataframe()
plt.semilogx(df.params_lr, df.value, "o")
plt.xlabel("learning rate"); plt.ylabel("validation accuracy")
plt.title("too small on the left, diverging on the right", fontsize=10)
plt.show()
print(f"best learning rate {lr_search.best_params['lr']:.3g}: validation accuracy {lr_search.best_value:.3f} "
      f"(the cell's default 0.001: {lr_search.trials[0].value:.3f})")

# %% [markdown]
# ## 2. Schedules: change the learning rate while training
#
# A large rate early makes fast progress; a small rate late settles into the minimum instead of
# bouncing around it. A schedule scales the base rate per epoch: **step** (divide by 10 at fixed
# epochs), **cosine** (glide to zero), **cyclic** (go up and down repeatedly, which can hop out of
# poor regions). Here with a high base rate (1.0) and small batches, so each step is large and noisy.

# %%
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

# %% [markdown]
# With a constant rate the loss keeps jumping, even late in training (a single unlucky step can
# undo several epochs). The decaying schedules (step, cosine) settle and stay put; cyclic jumps while
# its rate is high and settles at the bottom of each cycle. On this small problem the final
# accuracies end up within a percent or two of each other; the point of a schedule is that you can
# *stop at any time after the decay* and get a settled model, instead of wherever the last bounce
# left you.
#
# ## 3. SGD, SGD with momentum, Adam
#
# Momentum keeps a running velocity, so steps build up along directions the gradient keeps pointing
# to and cancel where it oscillates. Adam also divides each weight's step by the size of its recent
# gradients, which makes it forgiving about the learning rate (its usual default is 0.001). Each
# optimizer gets its own sensible learning rate here; comparing them at one shared rate would be unfair.

# %%
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

# %% [markdown]
# ## 4. Batch size and epochs, tuned together with the rest
#
# Small batches give noisy but many updates per epoch; large batches give few, accurate ones (and
# want a larger learning rate). Epochs trade time for fit. These hyperparameters interact, which is
# exactly when a joint search pays off. The cell's defaults are a reasonable hand-picked setting.

# %%
# %%tune --strategy sobol --trials 20 --maximize val_acc --seed 0 --study lesson7_joint --resume --quiet -o joint
lr = 0.05            # tune: loguniform(1e-3, 1)
optimizer = "sgd"    # tune: choice("sgd", "adam")
momentum = 0.0       # tune: uniform(0, 0.95)
schedule = "constant"  # tune: choice("constant", "step", "cosine", "cyclic")
batch_size = 64      # tune: choice(16, 64, 256)
epochs = 10          # tune: integer(5, 30)
run = train_mlp(X_train, y_train, X_val, y_val, hidden=32, lr=lr, epochs=epochs, batch_size=batch_size,
                optimizer=optimizer, momentum=momentum, schedule=schedule)
val_acc = run["val_acc"]

# %%
df = joint.to_dataframe()
fig, axes = plt.subplots(1, 3, sharey=True, figsize=(11, 3.5))
for ax, name in zip(axes, ("batch_size", "epochs", "optimizer")):
    ax.scatter(df[f"params_{name}"].astype(str) if name == "optimizer" else df[f"params_{name}"], df.value)
    ax.set_xlabel(name)
axes[0].set_xscale("log"); axes[0].set_ylabel("validation accuracy")
plt.show()
print(f"defaults: validation accuracy {joint.trials[0].value:.3f}")
print(f"tuned: validation accuracy {joint.best_value:.3f} with {joint.best_params}")

# %% [markdown]
# ## 5. The same knobs in scikit-learn
#
# `MLPClassifier` names them `learning_rate_init`, `solver` (`"sgd"` or `"adam"`), `momentum`,
# `batch_size` and `max_iter` (epochs). Its defaults (Adam at 0.001) are safe but slow: in 15 epochs
# they do not get far. Tuning fixes that.

# %%
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
warnings.filterwarnings("ignore", category=ConvergenceWarning)   # short training on purpose

# %%
# %%tune --strategy random --trials 12 --maximize score --seed 1 --study lesson7_sklearn --resume --quiet -o sk
learning_rate_init = 0.001   # tune: loguniform(1e-4, 0.3)
solver = "adam"              # tune: choice("sgd", "adam")
momentum = 0.9               # tune: uniform(0.5, 0.99)
batch_size = 200             # tune: choice(32, 64, 200)
clf = MLPClassifier(hidden_layer_sizes=(32,), learning_rate_init=learning_rate_init, solver=solver,
                    momentum=momentum, batch_size=batch_size, max_iter=15, random_state=0)
score = clf.fit(X_train, y_train).score(X_val, y_val)

# %%
print(f"MLPClassifier defaults: validation accuracy {sk.trials[0].value:.3f}")
print(f"MLPClassifier tuned: validation accuracy {sk.best_value:.3f} with {sk.best_params}")

# %% [markdown]
# ## Try it
#
# 1. Rerun section 1 with `optimizer="adam"`. Which of the three learning rates works now, and
#    where does Adam diverge?
# 2. In section 4, was the best batch size small or large? Fix `epochs = 5` (remove its annotation)
#    and search again: does the answer change when time is short?
