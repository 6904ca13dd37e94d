"""Benchmark problems: scikit-learn models on bundled datasets, and classic synthetic functions.

Each :class:`Problem` has a jhpo search space, a direction, the "cell defaults" every method
gets as its first trial (scikit-learn's own defaults, or the box centre), and ``evaluate(params)``.
The scikit-learn problems are kept cheap (subsets of the data, 3-fold CV, few estimators) and
deterministic (fixed folds and ``random_state``), so equal parameters give equal scores.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

import jhpo

__all__ = ["PROBLEMS", "Problem"]


@dataclass(frozen=True)
class Problem:
    name: str
    space: dict[str, Any]
    direction: str
    defaults: dict[str, Any]
    fn: Callable[[dict[str, Any]], float]
    kind: str  # "sklearn" or "synthetic"

    def evaluate(self, params: dict[str, Any]) -> float:
        return float(self.fn(params))


# -- data (loaded once per process) -------------------------------------------------------


@cache
def _data(name: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn import datasets

    loader = {
        "digits": datasets.load_digits,
        "breast_cancer": datasets.load_breast_cancer,
        "wine": datasets.load_wine,
        "diabetes": datasets.load_diabetes,
    }[name]
    X, y = loader(return_X_y=True)
    idx = np.random.default_rng(0).permutation(len(y))[:n]
    return X[idx], y[idx]


def _cv(model: Any, data: str, n: int, regression: bool = False) -> float:
    from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score

    X, y = _data(data, n)
    folds = (KFold if regression else StratifiedKFold)(3, shuffle=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning etc.: part of the landscape
        scores = cross_val_score(model, X, y, cv=folds, scoring="r2" if regression else "accuracy")
    return float(np.mean(scores))


def _svc(p: dict[str, Any]) -> float:
    from sklearn.svm import SVC

    return _cv(SVC(C=p["C"], gamma=p["gamma"], kernel=p["kernel"]), "digits", 400)


def _tree(p: dict[str, Any]) -> float:
    from sklearn.tree import DecisionTreeClassifier

    m = DecisionTreeClassifier(
        max_depth=p["max_depth"],
        min_samples_split=p["min_samples_split"],
        min_samples_leaf=p["min_samples_leaf"],
        max_features=p["max_features"],
        criterion=p["criterion"],
        random_state=0,
    )
    return _cv(m, "digits", 800)


def _forest(p: dict[str, Any]) -> float:
    from sklearn.ensemble import RandomForestClassifier

    m = RandomForestClassifier(
        n_estimators=20,
        max_depth=p["max_depth"],
        max_features=p["max_features"],
        min_samples_leaf=p["min_samples_leaf"],
        criterion=p["criterion"],
        bootstrap=p["bootstrap"],
        random_state=0,
        n_jobs=1,
    )
    return _cv(m, "breast_cancer", 569)


def _knn(p: dict[str, Any]) -> float:
    from sklearn.neighbors import KNeighborsClassifier

    return _cv(KNeighborsClassifier(n_neighbors=p["n_neighbors"], weights=p["weights"], p=p["p"]), "wine", 178)


def _mlp(p: dict[str, Any]) -> float:
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    m = MLPClassifier(
        hidden_layer_sizes=(p["units"],),
        alpha=p["alpha"],
        learning_rate_init=p["lr"],
        activation=p["activation"],
        max_iter=30,
        random_state=0,
    )
    return _cv(make_pipeline(StandardScaler(), m), "breast_cancer", 400)


def _elasticnet(p: dict[str, Any]) -> float:
    from sklearn.linear_model import ElasticNet
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import PolynomialFeatures, StandardScaler

    m = make_pipeline(
        PolynomialFeatures(2), StandardScaler(), ElasticNet(alpha=p["alpha"], l1_ratio=p["l1_ratio"], max_iter=3000)
    )
    return _cv(m, "diabetes", 442, regression=True)


def _gbm(p: dict[str, Any]) -> float:
    from sklearn.ensemble import GradientBoostingClassifier

    m = GradientBoostingClassifier(
        n_estimators=p["n_estimators"],
        learning_rate=p["learning_rate"],
        max_depth=p["max_depth"],
        subsample=p["subsample"],
        random_state=0,
    )
    return _cv(m, "breast_cancer", 300)


# -- synthetic functions --------------------------------------------------------------------


def _branin(p: dict[str, Any]) -> float:
    x1, x2 = p["x1"], p["x2"]
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


_H6_A = np.array(
    [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
)
_H6_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)
_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def _hartmann6(p: dict[str, Any]) -> float:
    x = np.array([p[f"x{i}"] for i in range(6)])
    return float(-np.sum(_H6_ALPHA * np.exp(-np.sum(_H6_A * (x - _H6_P) ** 2, axis=1))))


def _sparse8(p: dict[str, Any]) -> float:
    return _branin({"x1": -5.0 + 15.0 * p["x2"], "x2": 15.0 * p["x5"]})


_MIXED_OPT = {"adam": (0.25, 3e-3, 4, 0.0), "sgd": (0.7, 3e-2, 9, 0.25), "rmsprop": (0.5, 1e-3, 14, 0.4)}


def _mixed(p: dict[str, Any]) -> float:
    """A loss-like function: each optimizer has its own optimum in (x, lr, depth)."""
    x0, lr0, k0, offset = _MIXED_OPT[p["optimizer"]]
    v = (
        6 * (p["x"] - x0) ** 2
        + 0.5 * (math.log10(p["lr"]) - math.log10(lr0)) ** 2
        + ((p["depth"] - k0) / 6) ** 2
        + offset
        + 0.15 * (not p["augment"])
        + 0.05 * math.sin(12 * p["x"])
    )
    return v


def _problems() -> dict[str, Problem]:
    u, lu, i, c = jhpo.uniform, jhpo.loguniform, jhpo.integer, jhpo.choice
    ps = [
        Problem(
            "svc",
            {"C": lu(1e-3, 1e3), "gamma": lu(1e-6, 1e0), "kernel": c("rbf", "poly", "sigmoid")},
            "maximize",
            {"C": 1.0, "gamma": 1e-3, "kernel": "rbf"},
            _svc,
            "sklearn",
        ),
        Problem(
            "decision_tree",
            {
                "max_depth": i(1, 30),
                "min_samples_split": i(2, 40),
                "min_samples_leaf": i(1, 20),
                "max_features": u(0.05, 1.0),
                "criterion": c("gini", "entropy"),
            },
            "maximize",
            {"max_depth": 30, "min_samples_split": 2, "min_samples_leaf": 1, "max_features": 1.0, "criterion": "gini"},
            _tree,
            "sklearn",
        ),
        Problem(
            "random_forest",
            {
                "max_depth": i(1, 20),
                "max_features": u(0.05, 1.0),
                "min_samples_leaf": i(1, 30),
                "criterion": c("gini", "entropy"),
                "bootstrap": c(True, False),
            },
            "maximize",
            {"max_depth": 20, "max_features": 0.2, "min_samples_leaf": 1, "criterion": "gini", "bootstrap": True},
            _forest,
            "sklearn",
        ),
        Problem(
            "knn",
            {"n_neighbors": i(1, 60), "weights": c("uniform", "distance"), "p": c(1, 2)},
            "maximize",
            {"n_neighbors": 5, "weights": "uniform", "p": 2},
            _knn,
            "sklearn",
        ),
        Problem(
            "mlp",
            {
                "units": i(4, 256, log=True),
                "alpha": lu(1e-6, 1e1),
                "lr": lu(1e-4, 1.0),
                "activation": c("relu", "tanh", "logistic"),
            },
            "maximize",
            {"units": 100, "alpha": 1e-4, "lr": 1e-3, "activation": "relu"},
            _mlp,
            "sklearn",
        ),
        Problem(
            "elasticnet",
            {"alpha": lu(1e-4, 1e2), "l1_ratio": u(0.0, 1.0)},
            "maximize",
            {"alpha": 1.0, "l1_ratio": 0.5},
            _elasticnet,
            "sklearn",
        ),
        Problem(
            "gradient_boosting",
            {
                "n_estimators": i(5, 60, log=True),
                "learning_rate": lu(1e-3, 1.0),
                "max_depth": i(1, 6),
                "subsample": u(0.3, 1.0),
            },
            "maximize",
            {"n_estimators": 60, "learning_rate": 0.1, "max_depth": 3, "subsample": 1.0},
            _gbm,
            "sklearn",
        ),
        Problem(
            "branin",
            {"x1": u(-5.0, 10.0), "x2": u(0.0, 15.0)},
            "minimize",
            {"x1": 2.5, "x2": 7.5},
            _branin,
            "synthetic",
        ),
        Problem(
            "hartmann6",
            {f"x{k}": u(0.0, 1.0) for k in range(6)},
            "minimize",
            {f"x{k}": 0.5 for k in range(6)},
            _hartmann6,
            "synthetic",
        ),
        Problem(
            "sparse8",  # Branin in 2 of 8 parameters: most of the space does not matter
            {f"x{k}": u(0.0, 1.0) for k in range(8)},
            "minimize",
            {f"x{k}": 0.5 for k in range(8)},
            _sparse8,
            "synthetic",
        ),
        Problem(
            "mixed",
            {
                "optimizer": c("adam", "sgd", "rmsprop"),
                "x": u(0.0, 1.0),
                "lr": lu(1e-5, 1e0),
                "depth": i(1, 20),
                "augment": c(True, False),
            },
            "minimize",
            {"optimizer": "sgd", "x": 0.5, "lr": 1e-3, "depth": 10, "augment": False},
            _mixed,
            "synthetic",
        ),
    ]
    return {p.name: p for p in ps}


PROBLEMS = _problems()
