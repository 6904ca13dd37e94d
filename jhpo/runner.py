"""Executes a cell template as one trial: a namespace copy, captured output, the objective."""

from __future__ import annotations

import contextlib
import copy
import io
import itertools
import linecache
import math
import traceback
from collections.abc import Mapping
from types import CodeType
from typing import Any

from .annotations import PARAMS, RESULT, CellTemplate
from .metrics import record as record_metrics
from .space import Value
from .study import ObjectiveError
from .trial import Trial

__all__ = ["CellRunner"]

_counter = itertools.count()


class CellRunner:
    """Runs the cell for a trial and returns its objective.

    Each trial executes in a shallow copy of ``namespace`` (the notebook's
    names stay untouched); stdout and stderr go to the trial. The names the
    best trial produced are kept so they can be applied to the notebook.

    Parameters
    ----------
    template : CellTemplate
    namespace : dict
        The notebook's user namespace (read, never written by a trial).
    objective : str or None
        The variable holding the objective, or None for the cell's last expression.
    direction : {"maximize", "minimize"}
    checkpoint : str, optional
        ``--checkpoint VAR``: keep the object each finished trial left in ``VAR``
        (in memory, inline runs only) and hand it to the trial promoted from it
        (``info["parent"]``), so the cell can continue training instead of
        restarting. A trial without a kept object starts without ``VAR`` in its
        namespace. The cell tells the two apart itself, e.g.
        ``state = globals().get("state") or {"model": make_model(), "epoch": 0}``
        and then trains from ``state["epoch"]`` up to its budget.
    """

    def __init__(
        self,
        template: CellTemplate,
        namespace: Mapping[str, Any],
        objective: str | None,
        direction: str = "maximize",
        filename: str | None = None,
        checkpoint: str | None = None,
    ) -> None:
        self.checkpoint = checkpoint
        self.checkpoints: dict[int, tuple[Any, Any]] = {}  # trial number -> (object in VAR, its budget)
        if objective is None and not template.uses_last_expression:
            raise ObjectiveError(
                "the cell does not end with an expression, so there is no objective to read; "
                "name the variable (e.g. --maximize score) or end the cell with the objective"
            )
        self.template = template
        self.namespace = namespace
        self.objective = objective
        self.direction = direction
        self.filename = filename or f"<tune-cell-{next(_counter)}>"
        self.code = self._compile()
        self.best: tuple[int, float, dict[str, Any]] | None = None

    def _compile(self) -> CodeType:
        shown = "\n" * self.template.line_offset + self.template.source
        # Register the source so tracebacks show the user's lines.
        linecache.cache[self.filename] = (len(shown), None, shown.splitlines(True), self.filename)
        return compile(self.template.tree(self.objective), self.filename, "exec")

    def run(
        self, params: Mapping[str, Value], extra: Mapping[str, Any] | None = None
    ) -> tuple[dict[str, Any], str, str]:
        """Execute once with ``params`` (and ``extra`` names); returns the namespace and the captured output."""
        ns = dict(self.namespace)
        # Stale notebook values must not pass for this trial's: a kept checkpoint, or an
        # objective the cell failed to set this time (it would silently reuse the old score).
        for name in (self.checkpoint, self.objective, RESULT):
            if name is not None:
                ns.pop(name, None)
        ns.update(extra or {})
        ns[PARAMS] = dict(params)
        out, err = io.StringIO(), io.StringIO()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                exec(self.code, ns)
        except BaseException as exc:
            exc._jhpo_output = (out.getvalue(), err.getvalue())  # type: ignore[attr-defined]
            raise
        return ns, out.getvalue(), err.getvalue()

    def read_objective(self, ns: Mapping[str, Any]) -> Any:
        record_metrics(ns, self.template.metrics)  # --metrics: stored with the running trial
        if self.objective is None:
            return ns.get(RESULT)
        if self.objective not in ns:
            raise ObjectiveError(
                f"the cell did not set `{self.objective}`, the objective named in "
                f"--{self.direction}; assign it in the cell or name another variable"
            )
        return ns[self.objective]

    def __call__(self, trial: Trial) -> float:
        try:
            ns, trial.stdout, trial.stderr = self.run(trial.params, self._resume(trial))
        except BaseException as exc:
            trial.stdout, trial.stderr = getattr(exc, "_jhpo_output", ("", ""))
            if isinstance(exc, Exception):
                exc._jhpo_traceback = self.format_error(exc)  # type: ignore[attr-defined]
            raise
        value = self.read_objective(ns)
        if self.checkpoint is not None and self.checkpoint in ns:
            self.checkpoints[trial.number] = (ns[self.checkpoint], trial.info.get("budget"))
        try:
            self._keep(trial.number, float(value), ns)
        except (TypeError, ValueError):
            pass  # not a number: the study fails the trial and says why
        return value  # type: ignore[no-any-return]

    def _resume(self, trial: Trial) -> dict[str, Any]:
        """The kept object of the trial this one was promoted from, as ``{VAR: object}``."""
        parent = trial.info.get("parent")
        if self.checkpoint is None or parent not in self.checkpoints:
            return {}
        # A trial is promoted once: hand the object over (a copy, so the parent's result stays intact).
        obj, budget = self.checkpoints.pop(parent)
        try:
            obj = copy.deepcopy(obj)
        except Exception:  # noqa: BLE001 - an object that cannot be copied is handed over as it is
            pass
        trial.info["checkpoint_from"], trial.info["resumed_budget"] = parent, budget
        return {self.checkpoint: obj}

    def _keep(self, number: int, value: float, ns: dict[str, Any]) -> None:
        if math.isnan(value):
            return
        better = self.best is None or (value > self.best[1] if self.direction == "maximize" else value < self.best[1])
        if better:
            base = self.namespace
            diff = {
                k: v
                for k, v in ns.items()
                if k not in (PARAMS, RESULT, "__builtins__") and (k not in base or base[k] is not v)
            }
            self.best = (number, value, diff)

    def format_error(self, exc: BaseException) -> str:
        """The traceback from the user's cell down, without jhpo's own frames."""
        tb = exc.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename != self.filename:
            tb = tb.tb_next
        return "".join(traceback.format_exception(type(exc), exc, tb if tb is not None else exc.__traceback__))

    def best_namespace(self, trial: Trial) -> dict[str, Any]:
        """The names ``trial`` produced; re-runs it when it ran in an earlier session or process."""
        if self.best is not None and self.best[0] == trial.number:
            return self.best[2]
        ns, _, _ = self.run(trial.params)
        base = self.namespace
        return {
            k: v
            for k, v in ns.items()
            if k not in (PARAMS, RESULT, "__builtins__") and (k not in base or base[k] is not v)
        }
