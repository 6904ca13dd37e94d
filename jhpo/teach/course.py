"""Code the course lessons share: the small numpy network of lessons 7 and 8.

The network is written out in numpy so that every hyperparameter the lessons discuss is an argument,
and dropout, weight decay and early stopping are a few visible lines each. Lesson 7 prints this code
(``inspect.getsource``); a lesson imports it rather than pasting it, so there is one copy to edit.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "MLP",
    "NETWORK",
    "evaluate",
    "forward",
    "gradients",
    "init_weights",
    "lr_factor",
    "outcome",
    "run_epoch",
    "train_mlp",
    "update",
]


def lr_factor(schedule: str, epoch: int, epochs: int) -> float:
    """The fraction of the base learning rate that epoch `epoch` of `epochs` uses."""
    if schedule == "step":  # divide by 10 at half and again at three quarters of training
        return 0.1 ** ((epoch >= epochs // 2) + (epoch >= 3 * epochs // 4))
    if schedule == "cosine":  # glide from 1 down to 0 along half a cosine
        return float(0.5 * (1 + np.cos(np.pi * epoch / epochs)))
    if schedule == "cyclic":  # triangles between 0.1 and 1, three of them
        period = max(2, epochs // 3)
        return 0.1 + 0.9 * (1 - abs(2 * (epoch % period) / period - 1))
    return 1.0  # "constant"


def init_weights(rng: np.random.Generator, n_in: int, hidden: int, n_out: int) -> list[np.ndarray]:
    """He-initialized input weights, small output weights, zero biases: ``[W1, b1, W2, b2]``."""
    return [
        rng.normal(0, np.sqrt(2 / n_in), (n_in, hidden)),
        np.zeros(hidden),
        rng.normal(0, np.sqrt(1 / hidden), (hidden, n_out)),
        np.zeros(n_out),
    ]


def forward(X: np.ndarray, params: list[np.ndarray]) -> np.ndarray:
    """Class probabilities: ReLU hidden layer, softmax output (no dropout: this is prediction)."""
    z = np.maximum(X @ params[0] + params[1], 0) @ params[2] + params[3]
    e = np.exp(z - z.max(axis=1, keepdims=True))
    prob: np.ndarray = e / e.sum(axis=1, keepdims=True)
    return prob


def evaluate(X: np.ndarray, y: np.ndarray, params: list[np.ndarray]) -> tuple[float, float]:
    """Cross-entropy loss and accuracy on ``(X, y)``."""
    prob = forward(X, params)
    loss = -np.mean(np.log(np.clip(prob[np.arange(len(y)), y], 1e-12, None)))
    return float(loss), float(np.mean(prob.argmax(axis=1) == y))


def gradients(
    params: list[np.ndarray],
    Xb: np.ndarray,
    Yb: np.ndarray,
    dropout: float,
    weight_decay: float,
    rng: np.random.Generator,
) -> list[np.ndarray]:
    """The gradient of the minibatch's mean cross-entropy (one-hot targets ``Yb``) for each weight."""
    z1 = Xb @ params[0] + params[1]
    h = np.maximum(z1, 0)
    if dropout > 0:  # inverted dropout: silence hidden units at random, scale the rest up
        mask = (rng.random(h.shape) >= dropout) / (1 - dropout)
        h = h * mask
    z = h @ params[2] + params[3]
    prob = np.exp(z - z.max(axis=1, keepdims=True))
    prob /= prob.sum(axis=1, keepdims=True)
    d2 = (prob - Yb) / len(Xb)
    dh = (d2 @ params[2].T) * (z1 > 0)
    if dropout > 0:
        dh = dh * mask
    # weight decay: the gradient of (weight_decay / 2) * ||W||^2 pulls every weight toward 0
    return [Xb.T @ dh + weight_decay * params[0], dh.sum(0), h.T @ d2 + weight_decay * params[2], d2.sum(0)]


def update(
    params: list[np.ndarray], grads: list[np.ndarray], state: tuple[list[Any], list[Any]], t: int, **how: Any
) -> None:
    """One step of the optimizer (``how``: ``lr``, ``optimizer``, ``momentum``) on every weight, in place.

    ``state`` is ``(m, v)``: SGD's velocity (or Adam's running mean of gradients) and Adam's running
    mean of squared gradients; ``t`` counts the steps so far, this one included.
    """
    m, v = state
    lr = how["lr"]
    for k, (p, g) in enumerate(zip(params, grads)):
        if how["optimizer"] == "adam":  # a step per weight, scaled by its own gradient history
            m[k] = 0.9 * m[k] + 0.1 * g
            v[k] = 0.999 * v[k] + 0.001 * g * g
            p -= lr * (m[k] / (1 - 0.9**t)) / (np.sqrt(v[k] / (1 - 0.999**t)) + 1e-8)
        else:  # SGD; momentum > 0 keeps a velocity of past gradients
            m[k] = how["momentum"] * m[k] - lr * g
            p += m[k]


def run_epoch(
    params: list[np.ndarray],
    state: tuple[list[Any], list[Any]],
    data: tuple[np.ndarray, np.ndarray],
    rng: np.random.Generator,
    t: int,
    batch_size: int,
    dropout: float,
    weight_decay: float,
    **how: Any,
) -> int:
    """One pass over the training set ``data`` (inputs, one-hot targets) in shuffled minibatches;
    returns the optimizer's step count after it."""
    X, Y = data
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        i = order[start : start + batch_size]
        t += 1
        update(params, gradients(params, X[i], Y[i], dropout, weight_decay, rng), state, t, **how)
    return t


def outcome(
    params: list[np.ndarray],
    train: tuple[np.ndarray, np.ndarray],
    val: tuple[np.ndarray, np.ndarray],
    hist: dict[str, list[float]],
    diverged: bool,
) -> dict[str, Any]:
    """What :func:`train_mlp` returns: the history and the final weights' scores."""
    loss, acc = evaluate(*train, params)
    val_loss, val_acc = evaluate(*val, params)
    # "diverged": the loss blew up, or training ended worse than guessing uniformly (log of the classes)
    diverged = diverged or not np.isfinite(loss) or loss > np.log(params[3].shape[0])
    return {
        "history": hist,
        "diverged": diverged,
        "epochs_run": len(hist["loss"]),
        "loss": loss,
        "train_acc": acc,
        "val_acc": val_acc if np.isfinite(val_loss) else 0.0,
        "val_loss": val_loss,
        "predict": lambda Xn: forward(Xn, params).argmax(axis=1),
    }


def train_mlp(
    X: np.ndarray,
    y: np.ndarray,
    X_val: np.ndarray,
    y_val: np.ndarray,
    *,
    hidden: int = 64,
    lr: float = 0.1,
    epochs: int = 20,
    batch_size: int = 32,
    optimizer: str = "sgd",
    momentum: float = 0.0,
    schedule: str = "constant",
    weight_decay: float = 0.0,
    dropout: float = 0.0,
    patience: int | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Train a one-hidden-layer ReLU network with a softmax output by minibatch gradient descent.

    The weights are the *parameters* (learned); every argument after `y_val` is a *hyperparameter*.
    Returns the per-epoch history (lr, loss, train_acc, val_loss, val_acc) and the final scores.
    """
    rng = np.random.default_rng(seed)
    n_out = int(max(y.max(), y_val.max())) + 1
    params = init_weights(rng, X.shape[1], hidden, n_out)
    state = ([np.zeros_like(p) for p in params], [np.zeros_like(p) for p in params])
    Y = np.eye(n_out)[y]
    hist: dict[str, list[float]] = {k: [] for k in ("lr", "loss", "train_acc", "val_loss", "val_acc")}
    best_loss, best_params, waited, t, diverged = np.inf, [p.copy() for p in params], 0, 0, False
    with np.errstate(all="ignore"):
        for epoch in range(epochs):
            step_lr = lr * lr_factor(schedule, epoch, epochs)
            how = {"lr": step_lr, "optimizer": optimizer, "momentum": momentum}
            t = run_epoch(params, state, (X, Y), rng, t, batch_size, dropout, weight_decay, **how)
            loss, acc = evaluate(X, y, params)
            val_loss, val_acc = evaluate(X_val, y_val, params)
            for key, value in zip(hist, (step_lr, loss, acc, val_loss, val_acc)):
                hist[key].append(value)
            if not np.isfinite(loss) or loss > 1e3:
                diverged = True
                break
            if val_loss < best_loss:
                best_loss, best_params, waited = val_loss, [p.copy() for p in params], 0
            else:
                waited += 1
                if patience is not None and waited >= patience:
                    break  # early stopping: no better validation loss for `patience` epochs
    if patience is not None:
        params = best_params  # ... and keep the weights of the best epoch
    return outcome(params, (X, y), (X_val, y_val), hist, diverged)


#: The network's code in the order lesson 7 shows it (``inspect.getsource`` of each).
NETWORK = (lr_factor, init_weights, forward, gradients, update, run_epoch, evaluate, outcome, train_mlp)


class MLP:
    """The network of :func:`train_mlp` as an object that keeps its weights between calls.

    Population-based training (lesson 10) trains a member for a few epochs, hands its weights to
    ``jhpo.checkpoint`` and goes on later, perhaps with another learning rate; ``train_mlp`` trains
    in one call and cannot be continued. Plain SGD with momentum, the same layers and initialization.

    Parameters
    ----------
    n_in, n_out : int
        Input features and classes.
    hidden : int, default 64
        Hidden ReLU units.
    seed : int, default 0
        Seeds the initial weights and the order of the minibatches.
    """

    def __init__(self, n_in: int, n_out: int, hidden: int = 64, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)
        self.params = init_weights(self.rng, n_in, hidden, n_out)
        self.velocity = [np.zeros_like(p) for p in self.params]
        self.epochs = 0

    def proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities (softmax of the output layer)."""
        return forward(X, self.params)

    def evaluate(self, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        """Cross-entropy loss and accuracy on ``(X, y)``."""
        return evaluate(X, y, self.params)

    def train_epoch(self, X: np.ndarray, y: np.ndarray, lr: float, momentum: float = 0.9, batch_size: int = 32) -> None:
        """One pass over ``(X, y)`` in shuffled minibatches with learning rate ``lr``."""
        p = self.params
        Y = np.eye(p[3].shape[0])[y]
        order = self.rng.permutation(len(X))
        with np.errstate(all="ignore"):
            for start in range(0, len(X), batch_size):
                i = order[start : start + batch_size]
                z1 = X[i] @ p[0] + p[1]
                h = np.maximum(z1, 0)
                z = h @ p[2] + p[3]
                prob = np.exp(z - z.max(axis=1, keepdims=True))
                d2 = (prob / prob.sum(axis=1, keepdims=True) - Y[i]) / len(i)
                dh = (d2 @ p[2].T) * (z1 > 0)
                for k, g in enumerate((X[i].T @ dh, dh.sum(0), h.T @ d2, d2.sum(0))):
                    self.velocity[k] = momentum * self.velocity[k] - lr * g
                    p[k] += self.velocity[k]
        self.epochs += 1
