"""Executes a cell template as one trial: in the notebook's namespace, output captured, the objective read."""

from __future__ import annotations

import ast
import contextlib
import copy
import itertools
import linecache
import math
import traceback
from collections.abc import Callable, Mapping, MutableMapping
from types import CodeType
from typing import Any

from .annotations import PARAMS, RESULT, CellTemplate
from .budget import outranks
from .capture import BoundedWriter
from .direction import Direction
from .errors import ObjectiveError
from .metrics import record as record_metrics
from .space import Value
from .trial import Trial

__all__ = ["CellRunner"]

_counter = itertools.count()


_MISSING = object()


def _produced(ns: Mapping[str, Any], before: Mapping[str, Any], assigned: frozenset[str]) -> dict[str, Any]:
    """The names a run bound or rebound, without jhpo's own.

    A name the cell assigns counts even when it holds the very object it held
    before (a small int, an interned string): identity alone would miss it.
    """
    return {
        k: v
        for k, v in ns.items()
        if k not in (PARAMS, "__builtins__") and (k in assigned or before.get(k, _MISSING) is not v)
    }


def _restore(ns: MutableMapping[str, Any], before: Mapping[str, Any]) -> None:
    """Put every name back as it was in ``before`` (new names removed, deleted ones restored)."""
    for k in [k for k in ns if k not in before]:
        del ns[k]
    for k, v in before.items():
        if ns.get(k, _MISSING) is not v:
            ns[k] = v


class CellRunner:
    """Runs the cell for a trial and returns its objective.

    Each trial executes in ``namespace`` itself, as the cell does when run by
    hand, so functions and classes from earlier cells see the trial's values;
    the names a trial binds are put back afterwards (:meth:`run`), and
    :meth:`refit` re-runs the best configuration so the notebook holds what it
    makes. stdout and stderr go to the trial.

    Parameters
    ----------
    template : CellTemplate
    namespace : dict
        The notebook's user namespace (trials run in it and put back the names they bind).
    objective : str or None
        The variable holding the objective, or None for the cell's last expression.
    direction : {"maximize", "minimize"} or Direction
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
        namespace: dict[str, Any],
        objective: str | None,
        direction: str = "maximize",
        filename: str | None = None,
        checkpoint: str | None = None,
        ast_transform: Callable[[ast.Module], ast.Module] | None = None,
    ) -> None:
        self.ast_transform = ast_transform
        self._assigned = frozenset(template.assigned) | {RESULT} | ({objective} if objective else set())
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
        self.direction = Direction.parse(direction)
        self.filename = filename or f"<tune-cell-{next(_counter)}>"
        self.code = self._compile()
        self.best: tuple[int, float, dict[str, Any]] | None = None
        self.best_budget: Any = None

    def _compile(self) -> CodeType:
        shown = "\n" * self.template.line_offset + self.template.source
        # Register the source so tracebacks show the user's lines.
        linecache.cache[self.filename] = (len(shown), None, shown.splitlines(True), self.filename)
        tree = self.template.tree(self.objective)
        if self.ast_transform is not None:
            # The shell's own AST transformers, as IPython applies them to a cell run by hand.
            tree = ast.fix_missing_locations(self.ast_transform(tree))
        return compile(tree, self.filename, "exec")

    def run(
        self, params: Mapping[str, Value], extra: Mapping[str, Any] | None = None, keep: bool = False
    ) -> tuple[dict[str, Any], str, str]:
        """Execute once with ``params`` (and ``extra`` names) in the notebook's own namespace.

        Returns the names the run bound or rebound (its *produced* names) and the
        captured output. The run happens in ``self.namespace`` itself, not in a
        copy, so functions, lambdas and classes from earlier cells (whose globals
        are that namespace) see the trial's values, exactly as when the cell is
        run by hand. Afterwards every name the run bound, rebound or deleted is
        put back as it was, unless ``keep`` (the final re-run of the best
        configuration). Objects the cell changes in place cannot be put back:
        that is why the best configuration is re-run at the end (:meth:`refit`).
        """
        ns = self.namespace
        before = dict(ns)
        # Stale notebook values must not pass for this trial's: a kept checkpoint, or an
        # objective the cell failed to set this time (it would silently reuse the old score).
        for name in (self.checkpoint, self.objective, *self.template.objectives, RESULT):
            if name is not None:
                ns.pop(name, None)
        ns.update(extra or {})
        ns[PARAMS] = dict(params)
        out, err = BoundedWriter(), BoundedWriter()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                exec(self.code, ns)  # noqa: S102 - the user's own cell, as they would run it by hand
        except BaseException as exc:
            exc._jhpo_output = (out.getvalue(), err.getvalue())  # type: ignore[attr-defined]
            _restore(ns, before)
            raise
        produced = _produced(ns, before, self._assigned)
        if keep:
            ns.pop(PARAMS, None)
            ns.pop(RESULT, None)
        else:
            _restore(ns, before)
        return produced, out.getvalue(), err.getvalue()

    def read_objective(self, ns: Mapping[str, Any]) -> Any:
        record_metrics(ns, self.template.metrics, self.template.constraints)  # --metrics, --constraint
        if self.objective is None:
            return ns.get(RESULT)
        for name in self.template.objectives or (self.objective,):
            if name not in ns:
                raise ObjectiveError(
                    f"the cell did not set `{name}`, an objective named in "
                    f"--maximize/--minimize; assign it in the cell or name another variable"
                )
        if self.template.objectives:  # several objectives: one value each, in the line's order
            return [ns[name] for name in self.template.objectives]
        return ns[self.objective]

    def __call__(self, trial: Trial) -> float:
        try:
            ns, trial.stdout, trial.stderr = self.run(trial.params, self._resume(trial))
        except BaseException as exc:
            trial.stdout, trial.stderr = getattr(exc, "_jhpo_output", ("", ""))
            if isinstance(exc, Exception):
                exc._jhpo_traceback = self.format_error(exc)  # type: ignore[attr-defined]
                trial._fatal = self.fatal(exc)  # type: ignore[attr-defined]
            raise
        try:
            value = self.read_objective(ns)
        except ObjectiveError as exc:
            trial._fatal = self.fatal(exc)  # type: ignore[attr-defined]
            raise
        if self.checkpoint is not None and self.checkpoint in ns:
            self.checkpoints[trial.number] = (ns[self.checkpoint], trial.info.get("budget"))
        try:
            self._keep(trial.number, float(value), ns, trial.info.get("budget"))
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

    def _keep(self, number: int, value: float, produced: dict[str, Any], budget: Any = None) -> None:
        if math.isnan(value):
            return
        # compared at equal budget, as Study.best_trial does: a higher budget wins whatever its value
        if outranks(budget, value, self.best_budget, self.best[1] if self.best else None, self.direction):
            self.best_budget = budget
            self.best = (number, value, {k: v for k, v in produced.items() if k != RESULT})

    def format_error(self, exc: BaseException) -> str:
        """The traceback from the user's cell down, without jhpo's own frames."""
        tb = exc.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename != self.filename:
            tb = tb.tb_next
        return "".join(traceback.format_exception(type(exc), exc, tb if tb is not None else exc.__traceback__))

    def fatal(self, exc: BaseException) -> str | None:
        """Why ``exc`` fails every trial whatever the configuration (None if it may depend on it).

        Such a failure stops the search after the first trial that shows it,
        instead of paying for more trials that must fail the same way.
        """
        assigned = self.template.assigned | set(self.template.space.names)
        never = [n for n in self.template.objectives or (self.objective,) if n is not None and n not in assigned]
        if isinstance(exc, ObjectiveError) and never:
            flag = "--maximize/--minimize" if self.template.objectives else f"--{self.direction}"
            return f"the cell never assigns `{never[0]}`, the objective named in {flag}"
        name = getattr(exc, "name", None)
        if type(exc) is NameError and isinstance(name, str) and name not in assigned:
            return (
                f"`{name}` is not defined: the notebook has no such name and the cell does not assign it; "
                f"define it in an earlier cell and run that cell first, or fix the name"
            )
        return None

    def refit(self, params: Mapping[str, Value]) -> tuple[dict[str, Any], Any, str, str]:
        """Run the cell with ``params`` in the notebook and leave what it made there.

        This is scikit-learn's ``refit=True``: afterwards the notebook holds
        exactly what running the cell by hand with ``params`` holds, objects from
        earlier cells that the cell changes in place included. Returns the
        produced names, the objective's value (None if unreadable) and the output.
        """
        produced, out, err = self.run(params, keep=True)
        try:
            value = self.read_objective(produced)
        except ObjectiveError:
            value = None
        return {k: v for k, v in produced.items() if k != RESULT}, value, out, err

    def best_namespace(self, trial: Trial) -> dict[str, Any]:
        """The names ``trial`` produced, as kept in memory (no re-run); empty if it ran elsewhere."""
        if self.best is not None and self.best[0] == trial.number:
            return self.best[2]
        return {}
