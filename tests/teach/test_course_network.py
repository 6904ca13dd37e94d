"""The course's numpy network as an object (lesson 10): it trains, and jhpo.checkpoint continues it exactly."""

from __future__ import annotations

import numpy as np

import jhpo
from jhpo.teach.course import MLP
from jhpo.trial import Trial


def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 5))
    return X, (X[:, 0] + X[:, 1] > 0).astype(int)


def test_training_lowers_the_loss() -> None:
    X, y = data()
    net = MLP(5, 2, hidden=16, seed=0)
    before = net.evaluate(X, y)[0]
    for _ in range(10):
        net.train_epoch(X, y, lr=0.05)
    loss, acc = net.evaluate(X, y)
    assert loss < before / 2 and acc > 0.9 and net.epochs == 10


def test_a_pbt_search_continues_each_member_from_its_weights() -> None:
    # A member that is never exploited must end exactly where 10 uninterrupted epochs at its
    # learning rate end: the checkpoint carries the weights, the momentum and the shuffling state.
    X, y = data()

    def objective(trial: Trial) -> float:
        net = MLP(5, 2, hidden=16, seed=0)
        done = jhpo.checkpoint(net)
        for _ in range(done + 1, trial.params["epochs"] + 1):
            net.train_epoch(X, y, trial.params["lr"])
        return net.evaluate(X, y)[0]

    space = {"lr": jhpo.loguniform(1e-3, 0.1), "epochs": jhpo.resource(1, 10)}
    study = jhpo.Study(
        space,
        strategy="pbt",
        direction="minimize",
        seed=0,
        storage=":memory:",
        strategy_options={"population": 4, "intervals": 5},
    )
    study.optimize(objective, n_trials=20)
    by_number = {t.number: t for t in study.trials}
    checked = 0
    for t in study.trials:
        if t.info["interval"] != 4:
            continue
        chain = [t]
        while chain[-1].info["parent"] is not None:
            chain.append(by_number[chain[-1].info["parent"]])
        if any(c.info["exploited"] is not None for c in chain):
            continue
        net = MLP(5, 2, hidden=16, seed=0)
        for _ in range(10):
            net.train_epoch(X, y, t.params["lr"])
        assert t.value == net.evaluate(X, y)[0]
        checked += 1
    assert checked >= 1
