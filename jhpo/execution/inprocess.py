"""Trials run one at a time in this process, on the loop's own thread (the default)."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import checkpoints
from ..errors import ObjectiveError
from ..trial import Trial, TrialPruned, TrialState, _current

if TYPE_CHECKING:
    from ..study import Study

__all__ = ["InProcess", "run_trial"]


def run_trial(study: Study, fn: Callable[[Trial], Any], trial: Trial) -> Trial:
    """Evaluate ``fn(trial)`` here and tell the outcome; KeyboardInterrupt marks it interrupted and re-raises."""
    token = _current.set(trial)
    checkpoints.before(study, trial)  # jhpo.checkpoint in the trial continues from its parent
    try:
        value = fn(trial)
    except TrialPruned as exc:
        last = trial.intermediate[max(trial.intermediate)] if trial.intermediate else None
        return study.tell(trial, last, TrialState.PRUNED, exc.reason)
    except ObjectiveError as exc:
        return study.tell(trial, state=TrialState.FAILED, error=str(exc))
    except KeyboardInterrupt:
        study.tell(trial, state=TrialState.INTERRUPTED, error="interrupted by the user")
        raise
    except Exception as exc:  # noqa: BLE001 - any error of the user's code fails the trial only
        tb = getattr(exc, "_jhpo_traceback", None) or "".join(traceback.format_exception(exc))
        return study.tell(trial, state=TrialState.FAILED, error=tb)
    finally:
        _current.reset(token)
        checkpoints.after(study, trial)
    return study.tell(trial, value)


class InProcess:
    """An :class:`~jhpo.execution.base.Execution` that runs each submitted trial when collected.

    Parameters
    ----------
    fn : callable
        ``fn(trial) -> value`` (a :class:`~jhpo.runner.CellRunner` for a cell).
    """

    def __init__(self, fn: Callable[[Trial], Any]) -> None:
        self.fn = fn
        self.pending: list[Trial] = []

    def free(self) -> int:
        return 0 if self.pending else 1

    def submit(self, study: Study, trials: list[Trial]) -> None:
        self.pending.extend(trials)

    def collect(self, study: Study) -> list[Trial]:
        done = []
        while self.pending:
            done.append(run_trial(study, self.fn, self.pending.pop(0)))
        return done

    def busy(self) -> bool:
        return bool(self.pending)

    def starting(self) -> bool:
        return False

    def status(self) -> str | None:
        return None

    def cancel(self, study: Study, why: str, state: TrialState) -> None:
        for trial in self.pending:
            study.tell(trial, state=state, error=why)
        self.pending.clear()

    def close(self, kill: bool) -> None:
        pass
