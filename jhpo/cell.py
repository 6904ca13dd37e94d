"""Tune a cell: what ``%%tune`` does, without IPython (the CLI demo uses it too)."""

from __future__ import annotations

import ast
import dataclasses
import math
import sys
import time
import types
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, TextIO

from .annotations import CellTemplate, parse_cell
from .direction import Direction
from .errors import UsageProblem
from .metrics import parse_constraint
from .result import TuneResult
from .runner import CellRunner
from .storage import DEFAULT_PATH
from .strategies import DEFAULT_TRIALS, SearchSize, Strategy, available, check_options, strategy_class
from .strategies import strategy_options as _declared_options
from .strategies.multi import check_multi_objective
from .study import SearchAborted, SearchExhausted, Study, StudyObserver
from .trial import Trial

__all__ = ["DEFAULT_TRIALS", "TuneOptions", "check_cell", "dry_run", "open_study", "parse_tunable", "tune_cell"]


@dataclass
class TuneOptions:
    """Every ``%%tune`` option, as the Python API sees it."""

    direction: Direction = Direction.MAXIMIZE  # "maximize" / "minimize" are read as these
    objective: str | None = None  # None: the cell's last expression
    # several objectives: (direction, variable) of each, in the line's order (the first is also above)
    objectives: tuple[tuple[str, str], ...] = ()
    strategy: str = "bayes"
    trials: int | None = None
    timeout: float | None = None
    seed: int | None = None
    study: str | None = None
    resume: bool = False
    allow_changes: bool = False
    storage: str | None = None
    apply: bool = True
    dry_run: bool = False
    quiet: bool = False
    baseline: bool = True
    grid_points: int = 5
    n_jobs: int | None = None
    executor: Any = None
    trial_timeout: float | None = None
    pruner: str | None = None
    refit: bool = True
    #: The strategy's own options (``eta``, ``sampler``, ``population``, ...), checked against
    #: what it declares (:attr:`jhpo.strategies.Strategy.options`).
    strategy_options: dict[str, Any] = field(default_factory=dict)
    #: ``--checkpoint VAR``: the runner keeps VAR for the trial promoted from each trial.
    checkpoint: str | None = None
    metrics: tuple[str, ...] = ()
    constraints: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.direction = Direction.parse(self.direction)
        if "checkpoint" in self.strategy_options:  # where it travelled before it had its own field
            self.strategy_options = dict(self.strategy_options)
            self.checkpoint = self.checkpoint or self.strategy_options.pop("checkpoint")

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]


def _strategy_options(opts: TuneOptions, template: CellTemplate | None = None) -> dict[str, Any]:
    """The search's facts (every strategy takes those it declares) and the user's strategy options.

    ``n_trials`` is the count the search will run (``opts.strategy``'s default without --trials;
    the base default without a ``template``): hyperband fits its brackets to it, genetic sizes its
    population from it. A static strategy (grid) is told only a count the user gave: its default
    is its whole list, and a count would make grid fit its levels to it.
    """
    cls = _class_of(opts.strategy)
    n_trials = opts.trials
    if n_trials is None and not cls.is_static:
        n_trials = (
            cls.default_trials(template.space, _size(opts, template))
            if template is not None
            else (None if opts.timeout is not None else DEFAULT_TRIALS)
        )
    facts = {"grid_points": opts.grid_points, "timeout": opts.timeout, "n_trials": n_trials, "baseline": opts.baseline}
    return {**facts, **opts.strategy_options}


def _class_of(name: str) -> type[Strategy]:
    """The strategy class of ``name``; the base class for a name this installation cannot build
    (the study then names the problem)."""
    try:
        return strategy_class(name)
    except UsageProblem:
        return Strategy


def _size(opts: TuneOptions, template: CellTemplate | None) -> SearchSize:
    baseline = _baseline(template) if template is not None and opts.baseline else None
    return SearchSize(opts.timeout, baseline, opts.grid_points, dict(opts.strategy_options))


def _total(opts: TuneOptions, template: CellTemplate) -> int | None:
    """Trials the search runs: ``--trials``, else the strategy's default (None: until --timeout)."""
    if opts.trials is not None:
        if opts.trials < 1:
            raise UsageProblem(f"--trials must be at least 1, but got {opts.trials}")
        return opts.trials
    return strategy_class(opts.strategy).default_trials(template.space, _size(opts, template))


def _baseline(template: CellTemplate) -> dict[str, Any]:
    return dict(template.defaults)


def dry_run(
    template: CellTemplate, opts: TuneOptions, limit: int = 10, out: TextIO | None = None
) -> list[dict[str, Any]]:
    """Print the parsed space and the first configurations that would run; run nothing."""
    out = out or sys.stdout
    total = _total(opts, template)
    configs = _first_configurations(template, opts, limit if total is None else min(limit, total))
    res = template.space.resource_name
    width = max((len(a.name) for a in template.annotations), default=4)
    print(f"Search space ({len(template.space)} parameters, from the cell's annotations):", file=out)
    for note in template.notes:
        print(f"  note: {note}", file=out)
    for line in template.describe_space():
        print(f"  {line}", file=out)
    for name, value in template.fixed.items():
        print(f"  {name:<{width}}  fixed at {value!r}", file=out)
    single = opts.objective or "the cell's last expression"
    target = ", ".join(f"{d} {n}" for d, n in opts.objectives) or f"{opts.direction} {single}"
    print(
        f"Strategy {opts.strategy}, {target}, "
        f"{total if total is not None else 'unlimited'} trials"
        f"{f', timeout {opts.timeout:g} s' if opts.timeout else ''}.",
        file=out,
    )
    print(f"The first {len(configs)} configurations (dry run: nothing ran):", file=out)
    for i, c in enumerate(configs):
        if res is not None and res not in c:
            c = {**c, res: template.space[res].high}  # type: ignore[attr-defined]
        tag = "  (the cell's defaults)" if opts.baseline and i == 0 else ""
        print(f"  {i:>3}  " + ", ".join(f"{k}={show_value(v)}" for k, v in c.items()) + tag, file=out)
    return configs


def show_value(value: Any) -> str:
    """A value as a person reads it: floats to 6 significant digits, everything else as Python writes it."""
    return format(value, ".6g") if isinstance(value, float) else repr(value)


def _first_configurations(template: CellTemplate, opts: TuneOptions, n: int) -> list[dict[str, Any]]:
    """What the search would ask first, asked of the same strategy in an in-memory study, exactly as
    the search asks it (the baseline queued first, so the strategy sees it as the real run does)."""
    study = open_study(template, dataclasses.replace(opts, storage=":memory:", study=None, resume=False))
    if opts.baseline:
        study.enqueue(_baseline(template), {"baseline": True})
    try:
        return [dict(t.params) for t in study.ask_batch(n, notify=False)] if n > 0 else []
    except SearchExhausted:
        return []


def parse_tunable(source: str, line_offset: int = 0) -> CellTemplate:
    """Parse the cell and check it has something to search (AnnotationError / ValueError if not)."""
    template = parse_cell(source, line_offset)
    if len(template.space) == 0:
        raise UsageProblem(
            "the cell has no `# tune:` annotations, so there is nothing to search; annotate an assignment, "
            "e.g. `lr = 0.01  # tune: loguniform(1e-4, 1e-1)`"
        )
    if len(template.space.searched) == 0:
        raise UsageProblem("the cell tunes only a resource(...); add at least one parameter to search")
    return template


def open_study(
    template: CellTemplate,
    opts: TuneOptions,
    name: str | None = None,
    strategy: str | None = None,
    seed: int | None = None,
) -> Study:
    """The study ``opts`` describe for this cell (``name``, ``strategy``, ``seed`` override the options).

    Teaching modes (a race's per-strategy studies, the manual form) open their
    studies here, so they are stored exactly as ``%%tune`` stores its own.
    """
    chosen = strategy or opts.strategy
    # only what the strategy takes is stored; a racer (``strategy`` given) takes the options it declares
    options = _declared_options(chosen, _strategy_options(opts, template), strict=strategy is None)
    return Study(
        template.space,
        strategy=chosen,
        direction=[d for d, _ in opts.objectives] or opts.direction,
        seed=opts.seed if seed is None else seed,
        storage=opts.storage if opts.storage is not None else DEFAULT_PATH,
        name=name or opts.study,
        resume=opts.resume,
        pruner=opts.pruner,
        allow_changes=opts.allow_changes,
        meta={
            "source": template.source,
            "cell_hash": template.hash,
            "objective": opts.objective,
            **({"objectives": [n for _, n in opts.objectives]} if opts.objectives else {}),
        },
        strategy_options=options,
        checkpoint=opts.checkpoint,
    )


def check_cell(template: CellTemplate, opts: TuneOptions) -> None:
    """What cannot work, refused before anything runs (ValueError naming the fix), never a fallback."""
    _check_await(template)
    check_options(opts.strategy, opts.strategy_options)
    budgeted = strategy_class(opts.strategy).hands_out_budget
    if opts.objectives:  # before the resource check: no resource would make hyperband/asha/pbt work
        check_multi_objective(opts.strategy)
    if budgeted and template.space.resource_name is None:
        raise UsageProblem(
            f"--strategy {opts.strategy} hands each trial a training budget, but the cell has no `resource(...)` "
            "annotation to receive it; annotate the budget the cell trains for, e.g. "
            "`epochs = 27  # tune: resource(1, 27)`, or choose another strategy (e.g. --strategy random)"
        )
    if opts.checkpoint and not budgeted:
        raise UsageProblem(
            f"--checkpoint keeps a trial's state for the trial promoted from it, which only "
            f"{', '.join(sorted(_budgeted()))} do; --strategy {opts.strategy} never promotes: drop --checkpoint"
        )


def _budgeted() -> list[str]:
    """Strategies that hand out a budget through the cell's ``resource(...)`` annotation."""
    return [n for n in available() if strategy_class(n).hands_out_budget]


def _check_await(template: CellTemplate) -> None:
    # IPython runs a cell with top-level `await` as a coroutine on the kernel's event loop; a trial
    # is an ordinary synchronous run, and the kernel's loop is busy running this very cell.
    for node in _top_level(ast.parse(template.source)):
        if isinstance(node, (ast.Await, ast.AsyncFor, ast.AsyncWith)):
            line = node.lineno + template.line_offset
            raise UsageProblem(
                f"cell line {line}: top-level `await` cannot run in a %%tune cell (each trial runs the cell "
                "synchronously); await it in an earlier cell and use the result here, or call a synchronous API"
            )


def _top_level(node: ast.AST) -> Iterator[ast.AST]:
    """Every node outside function bodies (where `await` belongs to the function)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        yield child
        yield from _top_level(child)


def tune_cell(
    source: str,
    namespace: dict[str, Any],
    opts: TuneOptions,
    line_offset: int = 0,
    observers: Sequence[StudyObserver] = (),
    err: TextIO | None = None,
    ast_transform: Callable[[ast.Module], ast.Module] | None = None,
) -> TuneResult | None:
    """Parse the cell, run the search with the notebook's namespace, leave the best run's results in it.

    Each trial runs in ``namespace`` itself and puts back the names it bound
    (:meth:`CellRunner.run`); afterwards the best configuration is re-run in
    the notebook (``opts.refit``, the default), so the notebook holds what
    running the cell by hand with it holds. Returns the result, or None for a
    dry run. Raises AnnotationError (nothing ran) for a malformed annotation
    and ValueError for bad options.
    """
    template = parse_tunable(source, line_offset)
    template.metrics = tuple(opts.metrics)
    template.constraints = tuple(parse_constraint(c) for c in opts.constraints)
    template.objectives = tuple(n for _, n in opts.objectives)
    for note in template.notes if not opts.dry_run else ():
        print(f"jhpo: {note}", file=err or sys.stderr)
    check_cell(template, opts)
    if opts.dry_run:
        dry_run(template, opts)
        return None
    total = _total(opts, template)
    _check_checkpoint(opts)
    runner = CellRunner(
        template, namespace, opts.objective, opts.direction, checkpoint=opts.checkpoint, ast_transform=ast_transform
    )
    study = _start_study(template, opts, observers)
    remaining = None if total is None else max(0, total - study.n_counted())
    aborted: SearchAborted | None = None
    try:
        study.optimize(
            runner,
            n_trials=remaining,
            timeout=opts.timeout,
            n_jobs=opts.n_jobs,
            executor=opts.executor,
            trial_timeout=opts.trial_timeout,
        )
    except SearchAborted as exc:
        aborted = exc
    out = err or sys.stderr
    applied, refit = _apply_best(study, runner, opts, out)
    # modules the cell imports are not results: "Variables now hold..." names what the trial made
    made = sorted(k for k, v in applied.items() if not isinstance(v, types.ModuleType))
    result = TuneResult(study, applied=made, template=template)
    result.refit = refit  # type: ignore[attr-defined]
    if aborted is not None:
        print(f"jhpo: {aborted}", file=out)
    return result


def _check_checkpoint(opts: TuneOptions) -> None:
    if opts.checkpoint and (opts.n_jobs is not None or opts.executor is not None or opts.trial_timeout is not None):
        raise UsageProblem(
            f"--checkpoint keeps `{opts.checkpoint}` in this kernel's memory, so it cannot be combined "
            "with --n-jobs, --executor or --trial-timeout (trials in other processes); drop one of them"
        )


def _start_study(template: CellTemplate, opts: TuneOptions, observers: Sequence[StudyObserver]) -> Study:
    """The study to search in, with ``observers`` listening and the cell's defaults queued first."""
    study = open_study(template, opts)
    if opts.resume and study.created:  # never silently: say that --resume started a new study
        print(
            f"jhpo: no study named {study.name!r} was stored in {study.storage.location} yet, so --resume "
            "started it (the next --resume continues it)",
        )  # stdout: information, not a warning (a front end draws stderr in red)
    study.observers.extend(observers)
    if opts.baseline and not any(t.info.get("baseline") for t in study.trials):
        study.enqueue(_baseline(template), {"baseline": True})
    return study


def _apply_best(
    study: Study, runner: CellRunner, opts: TuneOptions, out: TextIO
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Leave the best configuration's results in the notebook; returns the names and what the re-run did."""
    best = study.best_trial
    in_place = _changed_in_place(runner)
    if study.is_multi and opts.apply and study.best_trials:  # never pick one of the front silently
        print(
            "jhpo: several objectives have no single best trial, so nothing was re-run and the notebook's names are "
            "as they were; choose a trial from result.pareto_front and run the cell with its parameters "
            "(result.params_of(NUMBER))",
            file=out,
        )
    if not opts.apply or best is None:
        if in_place and opts.n_jobs is None and opts.executor is None and opts.trial_timeout is None and study.trials:
            print(
                f"jhpo: names are as they were, but objects the cell may change in place ({', '.join(in_place)}) "
                "hold what the last trial left in them; re-run the cell to rebuild them",
                file=out,
            )
        return {}, None
    interrupted = study.stop_reason == "interrupted"
    if not opts.refit or interrupted:
        return _keep_best_names(study, best, runner, in_place, interrupted, out), None
    return _refit(study, best, runner, out)


def _keep_best_names(
    study: Study, best: Trial, runner: CellRunner, in_place: list[str], interrupted: bool, out: TextIO
) -> dict[str, Any]:
    """No re-run (--no-refit, or an interrupted search that must stop now): the best trial's own names."""
    names = runner.best_namespace(best)
    runner.namespace.update(names)
    lost = "" if names else " (it ran in another process or session, so its names are not here)"
    if in_place or not names:
        why = "the search was interrupted, so nothing was re-run" if interrupted else "--no-refit"
        print(
            f"jhpo: {why}: the notebook holds the names trial {best.number} (the best) set{lost}; objects "
            f"from earlier cells that the cell changes in place ({', '.join(in_place) or 'none seen'}) were not "
            "brought to its state. Re-run the cell with the best parameters to get them.",
            file=out,
        )
    return names


def _refit(study: Study, best: Trial, runner: CellRunner, out: TextIO) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Re-run the best configuration in the notebook (scikit-learn's ``refit=True``)."""
    started = time.perf_counter()
    study.notify_status(f"re-running the best configuration (trial {best.number}) in the notebook")
    try:
        names, value, _, _ = runner.refit(best.params)
    except Exception as exc:  # noqa: BLE001 - re-running the best config can fail like any trial
        study.notify_status(f"re-running the best configuration (trial {best.number}) failed: {type(exc).__name__}")
        print(
            f"jhpo: re-running the best configuration (trial {best.number}) in the notebook failed, so its "
            f"variables hold the cell's state before the search: {type(exc).__name__}: {exc}",
            file=out,
        )
        return {}, {"trial": best.number, "seconds": time.perf_counter() - started, "error": str(exc)}
    refit = {"trial": best.number, "seconds": round(time.perf_counter() - started, 4), "value": _number(value)}
    study.notify_status(
        f"re-ran the best configuration (trial {best.number}, {refit['seconds']:.2g} s): the notebook holds its "
        "results (--no-refit skips this)",
    )
    if (
        refit["value"] is not None
        and best.value is not None
        and not math.isclose(refit["value"], best.value, rel_tol=1e-9, abs_tol=1e-12)
    ):
        print(
            f"jhpo: the re-run of the best configuration (trial {best.number}) gave {refit['value']:.6g}, the trial "
            f"gave {best.value:.6g}: the cell is not deterministic (set its random seeds to make it so). The "
            "notebook holds the re-run's results.",
            file=out,
        )
    return names, refit


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


_IMMUTABLE = (int, float, complex, str, bytes, bool, type(None), tuple, frozenset, range)


def _changed_in_place(runner: CellRunner) -> list[str]:
    """Notebook objects the cell reads but does not assign and visibly changes in place: it calls a
    method on them (``clf.set_params(...)``, ``log.append(x)``) or assigns into them (``box.v = 1``,
    ``d[k] = v``). Passing an object to a function (``fit(X_train)``) is not counted."""
    ns, template = runner.namespace, runner.template
    touched: set[str] = set()
    for node in ast.walk(ast.parse(template.source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            touched.add(_root(node.func.value))
        elif isinstance(node, (ast.Assign, ast.Delete)):
            touched.update(_root(t.value) for t in node.targets if isinstance(t, (ast.Attribute, ast.Subscript)))
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, (ast.Attribute, ast.Subscript)):
            touched.add(_root(node.target.value))
    return sorted(
        name
        for name in (touched & template.free_names) - template.assigned
        if name in ns
        and not name.startswith("_")
        and not isinstance(
            ns[name], (*_IMMUTABLE, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, type)
        )
    )


def _root(node: ast.AST) -> str:
    """The name an attribute/subscript chain starts from (``a`` of ``a.b[0].c``), or ""."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else ""
