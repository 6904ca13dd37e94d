"""Issue 16: ``jhpo.checkpoint(...)`` - a promoted trial continues from its parent (scikit-learn, PyTorch)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

import jhpo

SETUP = """\
import jhpo
from sklearn.datasets import load_digits
from sklearn.linear_model import SGDClassifier
from sklearn.ensemble import RandomForestClassifier
X, y = load_digits(return_X_y=True)
X = X / 16.0
X_tr, y_tr, X_va, y_va = X[:1200], y[:1200], X[1200:], y[1200:]
classes = sorted(set(y))
"""

# An earlier cell: the model is built by a function the tuned cell calls.
BUILD = """\
def build_sgd(alpha, eta0):
    return SGDClassifier(alpha=alpha, eta0=eta0, learning_rate="constant", random_state=0)
"""

PARTIAL_FIT = """\
alpha = 1e-4       # tune: loguniform(1e-6, 1e-1)
eta0 = 0.01        # tune: loguniform(1e-4, 1.0)
epochs = 27        # tune: resource(1, 27)
model = build_sgd(alpha, eta0)
done = jhpo.checkpoint(model)
for epoch in range(done + 1, epochs + 1):
    model.partial_fit(X_tr, y_tr, classes=classes)
    score = model.score(X_va, y_va)
    jhpo.report(score, step=epoch)
"""

WARM_START = """\
depth = 8          # tune: integer(2, 12)
trees = 9          # tune: resource(1, 9)
forest = RandomForestClassifier(n_estimators=trees, max_depth=depth, warm_start=True, random_state=0)
jhpo.checkpoint(forest)
before = len(getattr(forest, "estimators_", []))
forest.fit(X_tr, y_tr)
print("grew", len(forest.estimators_) - before)
score = forest.score(X_va, y_va)
"""


@pytest.fixture
def shell(ip):  # type: ignore[no-untyped-def]
    ip.run_cell(SETUP).raise_error()
    ip.run_cell(BUILD).raise_error()
    return ip


def _promoted(res: Any) -> list[Any]:
    return [t for t in res.trials if t.info.get("parent") is not None]


@pytest.mark.slow
@pytest.mark.parametrize("jobs", ["", "--n-jobs 2"])
def test_partial_fit_continues_from_the_parent(shell, tmp_path: Path, jobs: str) -> None:  # type: ignore[no-untyped-def]
    line = f"--strategy hyperband --trials 40 --seed 0 --maximize score --quiet --storage {tmp_path / 'c.db'} -o res"
    shell.run_cell_magic("tune", f"{line} {jobs}", PARTIAL_FIT)
    res = shell.user_ns["res"]
    trials = {t.number: t for t in res.trials}
    promoted = _promoted(res)
    assert len(promoted) == 13
    for t in promoted:
        parent = trials[t.info["parent"]]
        assert t.info["checkpoint_from"] == parent.number and t.info["resumed_budget"] == parent.info["budget"]
        # it trained only the epochs its parent had not
        assert min(t.intermediate) == parent.info["budget"] + 1 and max(t.intermediate) <= t.info["budget"]
    for t in res.trials:
        if t.info.get("parent") is None:
            assert min(t.intermediate) == 1 and "checkpoint_from" not in t.info
    # continuing 1 -> 3 -> 9 -> 27 epochs gives what 27 epochs in one go give
    top = next(t for t in res.trials if t.info["budget"] == 27)
    shell.run_cell(f"alpha, eta0, epochs = {top.params['alpha']!r}, {top.params['eta0']!r}, 27").raise_error()
    shell.run_cell(PARTIAL_FIT.split("\n", 3)[3]).raise_error()  # plain Python: jhpo.checkpoint returns 0
    assert shell.user_ns["done"] == 0 and shell.user_ns["score"] == pytest.approx(top.value)


@pytest.mark.slow
def test_warm_start_forest_keeps_its_trees(shell, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    line = f"--strategy hyperband --trials 13 --seed 0 --maximize score --quiet --storage {tmp_path / 'f.db'} -o res"
    shell.run_cell_magic("tune", line, WARM_START)
    res = shell.user_ns["res"]
    trials = {t.number: t for t in res.trials}
    promoted = [t for t in _promoted(res) if t.state.value == "complete"]
    assert promoted
    for t in promoted:
        grown = t.info["budget"] - trials[t.info["parent"]].info["budget"]
        assert t.stdout == f"grew {grown}\n"
    for t in res.trials:
        if t.info.get("parent") is None:
            assert t.stdout == f"grew {t.info['budget']}\n"


def test_checkpoint_outside_a_search_and_a_mismatch() -> None:
    from sklearn.linear_model import SGDClassifier

    assert jhpo.checkpoint(SGDClassifier()) == 0
    space = {"a": jhpo.uniform(0, 1), "epochs": jhpo.resource(1, 9)}
    study = jhpo.Study(space, strategy="hyperband", storage=":memory:", seed=0)
    calls = []

    def objective(t: jhpo.Trial) -> float:
        objs = (SGDClassifier(),) if t.info["rung"] == 0 else (SGDClassifier(), SGDClassifier())
        calls.append(jhpo.checkpoint(*objs))
        return float(t.params["a"])

    study.optimize(objective, n_trials=13)
    promoted = [t for t in study.trials if t.info.get("parent") is not None]
    assert promoted and all(t.state.value == "failed" for t in promoted)
    assert "cannot continue from trial" in (promoted[0].error or "")
    assert "pass the same objects in the same order" in (promoted[0].error or "")


TORCH = """\
import torch
torch.manual_seed(0)
Xt = torch.tensor(X_tr, dtype=torch.float32); yt = torch.tensor(y_tr)
Xv = torch.tensor(X_va, dtype=torch.float32); yv = torch.tensor(y_va)
"""

TORCH_CELL = """\
lr = 0.05          # tune: loguniform(1e-3, 0.5)
epochs = 9         # tune: resource(1, 9)
torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9)
done = jhpo.checkpoint(net, opt)
for epoch in range(done + 1, epochs + 1):
    for i in range(0, len(Xt), 100):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(Xt[i:i + 100]), yt[i:i + 100]).backward()
        opt.step()
    with torch.no_grad():
        score = (net(Xv).argmax(1) == yv).float().mean().item()
    jhpo.report(score, step=epoch)
"""


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="PyTorch is not installed")
def test_torch_module_and_optimizer_continue(shell, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    shell.run_cell(TORCH).raise_error()
    line = f"--strategy hyperband --trials 13 --seed 0 --maximize score --quiet --storage {tmp_path / 't.db'} -o res"
    shell.run_cell_magic("tune", line, TORCH_CELL)
    res = shell.user_ns["res"]
    trials = {t.number: t for t in res.trials}
    promoted = _promoted(res)
    assert len(promoted) == 4
    for t in promoted:
        assert min(t.intermediate) == trials[t.info["parent"]].info["budget"] + 1
    top = next(t for t in res.trials if t.info["budget"] == 9)
    assert top.info["resumed_budget"] == 3
    # 1 -> 3 -> 9 epochs continued (weights and momentum) equals 9 epochs straight
    shell.run_cell(f"lr, epochs = {top.params['lr']!r}, 9").raise_error()
    shell.run_cell(TORCH_CELL.split("\n", 2)[2]).raise_error()
    assert shell.user_ns["score"] == pytest.approx(top.value, abs=1e-6)


def test_loaded_state_keeps_the_new_trials_hyperparameters() -> None:
    # PBT: a member copies its donor's weights and optimizer state but trains with its own new lr.
    import numpy as np
    from sklearn.neural_network import MLPClassifier

    from jhpo.checkpoints import _load, _state

    X, y = np.random.default_rng(0).normal(size=(60, 4)), np.arange(60) % 3
    old = MLPClassifier(hidden_layer_sizes=(5,), solver="sgd", learning_rate_init=0.1, momentum=0.9, random_state=0)
    old.partial_fit(X, y, classes=[0, 1, 2])
    new = MLPClassifier(hidden_layer_sizes=(5,), solver="sgd", learning_rate_init=0.01, momentum=0.5, random_state=0)
    _load(new, _state(old))
    assert [w.tolist() for w in new.coefs_] == [w.tolist() for w in old.coefs_]
    assert new._optimizer.learning_rate == 0.01 and new._optimizer.momentum == 0.5
    if importlib.util.find_spec("torch") is None:
        return
    import torch

    net = torch.nn.Linear(3, 2)
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    net(torch.ones(1, 3)).sum().backward()
    opt.step()
    net2 = torch.nn.Linear(3, 2)
    opt2 = torch.optim.SGD(net2.parameters(), lr=0.01, momentum=0.5)
    _load(net2, _state(net))
    _load(opt2, _state(opt))
    assert torch.equal(net2.weight, net.weight)
    assert opt2.param_groups[0]["lr"] == 0.01 and opt2.param_groups[0]["momentum"] == 0.5
    assert torch.equal(
        next(iter(opt2.state.values()))["momentum_buffer"], next(iter(opt.state.values()))["momentum_buffer"]
    )
