"""Checkpoints without ceremony: a promoted trial continues from its parent's training state.

The convention is one call in the cell, after the objects are built and before training::

    model = SGDClassifier(alpha=alpha, eta0=eta0, learning_rate="constant")
    done = jhpo.checkpoint(model)          # 0 in a fresh trial; the parent's budget in a promoted one
    for epoch in range(done + 1, epochs + 1):
        model.partial_fit(X_tr, y_tr, classes=classes)
        jhpo.report(model.score(X_va, y_va), step=epoch)

and for PyTorch ``done = jhpo.checkpoint(net, optimizer)`` (a scheduler too, if
any). :func:`checkpoint` registers the objects; when the trial ends jhpo keeps
their *state*, and when Hyperband, ASHA or PBT promotes that configuration
the new trial's ``jhpo.checkpoint`` loads it into the freshly built objects and
returns the budget already trained. The new trial's hyperparameters win over
the saved ones (an optimizer's learning rate and momentum are set back to
what this trial built it with; PBT relies on it). What "state" means:

* an object with ``state_dict``/``load_state_dict`` (PyTorch modules,
  optimizers, LR schedulers): a deep copy of its ``state_dict()``;
* a scikit-learn estimator: its fitted attributes (everything in ``vars()``
  that is not a constructor parameter), so ``partial_fit`` goes on where it
  stopped and a ``warm_start`` ensemble keeps its trees while the new
  trial's parameters (``n_estimators`` = the larger budget) stay;
* any other object: a deep copy of ``vars()``.

Outside a search ``jhpo.checkpoint`` returns 0 and does nothing, so the cell still
runs as plain Python; a cell that does not call it restarts at every rung.
States live in memory only (storage holds JSON, never pickle), for one search
(one ``%%tune``, one ``Study.optimize`` call): they travel
to and from worker processes and Dask workers with the trials, and a study
resumed in a new kernel restarts the configurations it promotes.
"""

from __future__ import annotations

import copy
import threading
import weakref
from typing import Any

from .trial import Trial, _current

__all__ = ["Checkpoint", "checkpoint", "after", "before", "collect", "deliver", "keep", "take"]

#: What a finished trial leaves: ``(budget, [(type name, state), ...])``.
Checkpoint = tuple[Any, list[tuple[str, Any]]]

_lock = threading.Lock()
# Per process, by trial number: the parent's checkpoint to load, and the objects the cell registered.
_inbox: dict[int, tuple[int, Checkpoint]] = {}
_registered: dict[int, tuple[Any, ...]] = {}
# Main process: a study's kept checkpoints, by trial number (dropped when the study goes).
_stores: weakref.WeakKeyDictionary[Any, dict[int, Checkpoint]] = weakref.WeakKeyDictionary()


def _state(obj: Any) -> Any:
    if callable(getattr(obj, "state_dict", None)) and callable(getattr(obj, "load_state_dict", None)):
        return copy.deepcopy(obj.state_dict())
    params = obj.get_params(deep=False) if callable(getattr(obj, "get_params", None)) else {}
    return copy.deepcopy({k: v for k, v in vars(obj).items() if k not in params})


def _load(obj: Any, state: Any) -> None:
    """Load the parent's training state, keeping this trial's hyperparameters.

    PBT changes hyperparameters between intervals, and a saved optimizer carries
    the old ones (a PyTorch optimizer's ``param_groups``, the ``_optimizer`` of a
    scikit-learn MLP): they are set back to what the fresh object was built with.
    """
    if callable(getattr(obj, "load_state_dict", None)) and callable(getattr(obj, "state_dict", None)):
        groups = getattr(obj, "param_groups", None)
        fresh = [{k: v for k, v in g.items() if k != "params"} for g in groups] if groups is not None else None
        obj.load_state_dict(state)
        for group, hyper in zip(obj.param_groups if fresh else (), fresh or ()):
            group.update(hyper)
        return
    vars(obj).update(copy.deepcopy(state))
    opt = vars(obj).get("_optimizer")
    if opt is not None and hasattr(obj, "learning_rate_init"):  # sklearn MLP's SGD/Adam state
        opt.learning_rate_init = opt.learning_rate = obj.learning_rate_init
        if hasattr(opt, "momentum") and hasattr(obj, "momentum"):
            opt.momentum = obj.momentum


def checkpoint(*objects: Any) -> Any:
    """Continue training from the parent trial's state; returns the budget already trained (0 if none).

    Parameters
    ----------
    *objects
        The freshly built training objects: scikit-learn estimators, PyTorch
        modules, optimizers, schedulers (the same ones, in the same order, in every trial).

    Returns
    -------
    int or float
        The parent's budget (e.g. epochs already done) when this trial was
        promoted from a trial that called ``checkpoint``; else 0 (also outside a search).

    Raises
    ------
    ValueError
        When the parent saved a different set of objects (the cell passes others now).

    Examples
    --------
    >>> import jhpo
    >>> from sklearn.linear_model import SGDClassifier
    >>> jhpo.checkpoint(SGDClassifier())   # outside a search: nothing to continue
    0
    """
    trial = _current.get()
    if trial is None:
        return 0
    with _lock:
        _registered[trial.number] = objects
        parent = _inbox.pop(trial.number, None)
    if parent is None:
        return 0
    number, (budget, states) = parent
    kinds = [type(o).__name__ for o in objects]
    if kinds != [k for k, _ in states]:
        raise ValueError(
            f"jhpo.checkpoint({', '.join(kinds)}) cannot continue from trial {number}, which saved "
            f"({', '.join(k for k, _ in states)}); pass the same objects in the same order in every trial"
        )
    for obj, (_, state) in zip(objects, states):
        _load(obj, state)
    trial.info["checkpoint_from"], trial.info["resumed_budget"] = number, budget
    return budget


def deliver(trial: Trial, checkpoint: tuple[int, Checkpoint] | None) -> None:
    """Before ``trial`` runs here: the parent's ``(number, checkpoint)`` for :func:`checkpoint` to load."""
    with _lock:
        _registered.pop(trial.number, None)
        if checkpoint is not None:
            _inbox[trial.number] = checkpoint
        else:
            _inbox.pop(trial.number, None)


def collect(trial: Trial) -> Checkpoint | None:
    """After ``trial`` ran here: the state of the objects it passed to :func:`checkpoint` (None if it did not)."""
    with _lock:
        objects = _registered.pop(trial.number, None)
        _inbox.pop(trial.number, None)
    if objects is None:
        return None
    return trial.info.get("budget"), [(type(o).__name__, _state(o)) for o in objects]


def take(study: Any, trial: Trial) -> tuple[int, Checkpoint] | None:
    """Main process: the checkpoint ``trial`` continues from (its parent's).

    A Hyperband/ASHA rung trial is promoted once, so its state is handed over and
    dropped; a PBT member's state may seed several members (exploit), so it stays.
    """
    parent = trial.info.get("parent")
    store = _stores.get(study)
    if parent is None or store is None or parent not in store:
        return None
    return int(parent), store.pop(parent) if "rung" in trial.info else store[parent]


class _Forget:
    """Observer that drops a study's kept states when its search ends (nothing is promoted after)."""

    def on_search_end(self, study: Any, reason: str) -> None:
        _stores.pop(study, None)
        if self in study.observers:
            study.observers.remove(self)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("on_"):
            return lambda *args: None
        raise AttributeError(name)


def before(study: Any, trial: Trial) -> None:
    """In process, before ``trial`` runs: hand it its parent's state."""
    deliver(trial, take(study, trial))


def after(study: Any, trial: Trial) -> None:
    """In process, after ``trial`` ran: keep the state of what it passed to :func:`checkpoint`."""
    try:
        state = collect(trial)
    except Exception:  # noqa: BLE001 - a state that cannot be copied: its promoted trial restarts
        state = None
    if state is not None:
        keep(study, trial, state)


def keep(study: Any, trial: Trial, checkpoint: Checkpoint | None) -> None:
    """Main process: keep what ``trial`` left, for the trial that will be promoted from it."""
    if checkpoint is None:
        return
    if study not in _stores and not any(isinstance(o, _Forget) for o in study.observers):
        study.observers.append(_Forget())
    store = _stores.setdefault(study, {})
    store[trial.number] = checkpoint
    k = trial.info.get("interval")
    if isinstance(k, int) and k >= 2:  # PBT: interval k-2 seeded k-1, which has all started; nobody needs it now
        trials = study.trials
        for n in [n for n in store if n < len(trials) and trials[n].info.get("interval", k) < k - 1]:
            del store[n]
