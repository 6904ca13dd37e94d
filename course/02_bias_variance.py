# %% [markdown]
# # Lesson 2 · Parameters, hyperparameters, bias and variance
#
# A model has two kinds of numbers:
#
# * **parameters** are what training *learns* from the data: the coefficients of a polynomial, the
#   split thresholds of a tree, the weights of a network;
# * **hyperparameters** are what *you choose* before training: the polynomial's degree, the tree's
#   depth, the strength of a regularization penalty, a learning rate.
#
# Training cannot pick hyperparameters, because on the training data the most flexible model always
# looks best. It fits the noise too. Hyperparameters are judged on data the model did not train on:
# a **validation set**. This lesson shows why, with the oldest picture in machine learning: error
# against model complexity.

# %%
# %load_ext jhpo
import numpy as np
import matplotlib.pyplot as plt
from threadpoolctl import threadpool_limits
threadpool_limits(1)
plt.rcParams["figure.figsize"] = (9, 3.5)

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


# %% [markdown]
# ## 1. Parameters are learned, hyperparameters are chosen
#
# Fit a polynomial of degree 3. `fit` finds its 4 coefficients (parameters); the degree 3 was our
# choice (a hyperparameter).

# %%
model = poly_model(3).fit(x_train, y_train)
print("hyperparameter: degree = 3")
print("parameters learned by fit:", np.round(model[-1].coef_[1:], 2), "and intercept", round(model[-1].intercept_, 2))

# %% [markdown]
# ## 2. Too simple, about right, too flexible
#
# Three degrees on the same 20 training points. Degree 1 cannot bend: it is wrong in the same way
# whatever sample you give it (**bias**, underfitting). Degree 15 bends through every training point,
# noise included: with another sample it would be a different wiggle (**variance**, overfitting).

# %%
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

# %% [markdown]
# ## 3. Error against complexity
#
# Sweep the degree and measure both errors. The training error only goes down: it always rewards
# flexibility. The validation error falls while the model gains the flexibility it needs, then rises
# again as it starts to fit noise. The best hyperparameter sits at the bottom of the validation curve.

# %%
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

# %% [markdown]
# The same shape appears for any knob of complexity. A decision tree on the breast-cancer data: a
# deeper tree memorizes the training set (100% training accuracy), while validation accuracy stops
# improving after a few levels: the extra depth only fits noise.

# %%
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

# %% [markdown]
# ## 4. Regularization strength: complexity in the other direction
#
# Keep degree 15 but penalize large coefficients: ridge regression's `alpha`. A tiny `alpha` leaves
# the wiggles (variance); a huge one flattens the curve toward a constant (bias). Here complexity
# *decreases* as the hyperparameter grows, so the U is mirrored.

# %%
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

# %% [markdown]
# ## 5. Tune both at once
#
# Degree and `alpha` interact: a high degree is fine with enough regularization. Rather than sweep
# one at a time, let `%%tune` search both. The cell is an ordinary training cell; the `# tune:`
# comments say where each value may move, and the cell's own values (degree 15, almost no penalty:
# the overfitting model) run first, as trial 0.

# %%
# %%tune --strategy random --trials 30 --minimize val_error --seed 0 --study lesson2_poly --resume -o result
degree = 15     # tune: integer(1, 15)
alpha = 1e-9    # tune: loguniform(1e-9, 1e3)
model = poly_model(degree, alpha).fit(x_train, y_train)
train_error = mean_squared_error(y_train, model.predict(x_train))
val_error = mean_squared_error(y_val, model.predict(x_val))

# %%
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

# %% [markdown]
# ## Try it
#
# 1. Shrink the training set to 10 points (`x[:10]`). Does the best degree go up or down? Why does
#    less data favour simpler models?
# 2. The validation error of the best trial is an *optimistic* estimate: we picked it because it
#    was lowest. Hold out a third set of points as a test set and compare.
