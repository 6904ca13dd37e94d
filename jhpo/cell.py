"""Tune a cell: what ``%%tune`` does, without IPython (the CLI demo uses it too)."""

from __future__ import annotations

import sys
import types
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any, TextIO

from .annotations import CellTemplate, parse_cell
from .result import TuneResult
from .runner import CellRunner
from .storage import DEFAULT_PATH
from .strategies import make_strategy
from .study import SearchAborted, Study, StudyObserver

__all__ = ["TuneOptions", "dry_run", "open_study", "parse_tunable", "tune_cell"]

#: Trials when neither --trials nor --timeout is given (grid: the whole grid).
DEFAULT_TRIALS = 20


@dataclass
class TuneOptions:
    """Every ``%%tune`` option, as the Python API sees it."""

    direction: str = "maximize"
    objective: str | None = None  # None: the cell's last expression
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
    strategy_options: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]


def _strategy_options(opts: TuneOptions) -> dict[str, Any]:
    # hyperband sizes its brackets to fit --timeout; genetic sizes its population from the trial budget
    n_trials = opts.trials if opts.trials is not None else (None if opts.timeout is not None else DEFAULT_TRIALS)
    return {"grid_points": opts.grid_points, "timeout": opts.timeout, "n_trials": n_trials, **opts.strategy_options}


def _total(opts: TuneOptions, template: CellTemplate) -> int | None:
    if opts.trials is not None:
        if opts.trials < 1:
            raise ValueError(f"--trials must be at least 1, but got {opts.trials}")
        return opts.trials
    if opts.strategy == "grid":
        size = template.space.searched.grid_size(opts.grid_points)
        on_grid = template.defaults in list(template.space.searched.grid(opts.grid_points)) if size < 10_000 else False
        return size + (1 if opts.baseline and not on_grid else 0)
    if opts.strategy == "hyperband" and template.space.resource_name is not None and opts.timeout is None:
        # 20 trials would not even fill the first rung: run the first bracket, up to the full budget
        from .strategies.hyperband import HyperbandStrategy

        hb = HyperbandStrategy(template.space, eta=opts.strategy_options.get("eta", 3))
        return sum(n for n, _ in hb.rungs(hb.s_max)) + (1 if opts.baseline else 0)
    return None if opts.timeout is not None else DEFAULT_TRIALS


def _baseline(template: CellTemplate) -> dict[str, Any]:
    return dict(template.defaults)


def dry_run(
    template: CellTemplate, opts: TuneOptions, limit: int = 10, out: TextIO | None = None
) -> list[dict[str, Any]]:
    """Print the parsed space and the first configurations that would run; run nothing."""
    out = out or sys.stdout
    total = _total(opts, template)
    strategy = make_strategy(
        opts.strategy, template.space, seed=opts.seed, direction=opts.direction, **_strategy_options(opts)
    )
    configs: list[dict[str, Any]] = [_baseline(template)] if opts.baseline else []
    if len(configs) < limit:
        budget = template.space.resource_name or ""  # hyperband/asha hand out a budget per trial
        configs += [
            {**s.params, **({budget: s.info["budget"]} if budget and "budget" in s.info else {})}
            for s in strategy.suggest([], limit - len(configs))
        ]
    res = template.space.resource_name
    width = max((len(a.name) for a in template.annotations), default=4)
    print(f"Search space ({len(template.space)} parameters, from the cell's annotations):", file=out)
    for a in template.annotations:
        print(f"  {a.name:<{width}}  {a.dist.describe():<36} default {a.default!r}   (line {a.line})", file=out)
    for name, value in template.fixed.items():
        print(f"  {name:<{width}}  fixed at {value!r}", file=out)
    target = opts.objective or "the cell's last expression"
    print(
        f"Strategy {opts.strategy}, {opts.direction} {target}, "
        f"{total if total is not None else 'unlimited'} trials"
        f"{f', timeout {opts.timeout:g} s' if opts.timeout else ''}.",
        file=out,
    )
    print(f"The first {len(configs)} configurations (dry run: nothing ran):", file=out)
    for i, c in enumerate(configs):
        if res is not None and res not in c:
            c = {**c, res: template.space[res].high}  # type: ignore[attr-defined]
        tag = "  (the cell's defaults)" if opts.baseline and i == 0 else ""
        print(f"  {i:>3}  " + ", ".join(f"{k}={v!r}" for k, v in c.items()) + tag, file=out)
    return configs


def parse_tunable(source: str, line_offset: int = 0) -> CellTemplate:
    """Parse the cell and check it has something to search (AnnotationError / ValueError if not)."""
    template = parse_cell(source, line_offset)
    if len(template.space) == 0:
        raise ValueError(
            "the cell has no `# tune:` annotations, so there is nothing to search; annotate an assignment, "
            "e.g. `lr = 0.01  # tune: loguniform(1e-4, 1e-1)`"
        )
    if len(template.space.searched) == 0:
        raise ValueError("the cell tunes only a resource(...); add at least one parameter to search")
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
    return Study(
        template.space,
        strategy=strategy or opts.strategy,
        direction=opts.direction,
        seed=opts.seed if seed is None else seed,
        storage=opts.storage if opts.storage is not None else DEFAULT_PATH,
        name=name or opts.study,
        resume=opts.resume,
        pruner=opts.pruner,
        allow_changes=opts.allow_changes,
        meta={"source": template.source, "cell_hash": template.hash, "objective": opts.objective},
        strategy_options=_strategy_options(opts),
    )


def tune_cell(
    source: str,
    namespace: dict[str, Any],
    opts: TuneOptions,
    line_offset: int = 0,
    observers: Sequence[StudyObserver] = (),
    err: TextIO | None = None,
) -> TuneResult | None:
    """Parse the cell, run the search in copies of ``namespace``, apply the best trial's names.

    Returns the result, or None for a dry run. Raises AnnotationError (nothing
    ran) for a malformed annotation and ValueError for bad options.
    """
    template = parse_tunable(source, line_offset)
    if opts.dry_run:
        dry_run(template, opts)
        return None
    total = _total(opts, template)
    checkpoint = opts.strategy_options.get("checkpoint")
    if checkpoint and (opts.n_jobs is not None or opts.executor is not None or opts.trial_timeout is not None):
        raise ValueError(
            f"--checkpoint keeps `{checkpoint}` in this kernel's memory, so it cannot be combined "
            "with --n-jobs, --executor or --trial-timeout (trials in other processes); drop one of them"
        )
    runner = CellRunner(template, namespace, opts.objective, opts.direction, checkpoint=checkpoint)
    study = open_study(template, opts)
    study.observers.extend(observers)
    if opts.baseline and not any(t.info.get("baseline") for t in study.trials):
        study.enqueue(_baseline(template), {"baseline": True})
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
    applied: dict[str, Any] = {}
    best = study.best_trial
    if opts.apply and best is not None:
        try:
            applied = runner.best_namespace(best)
            namespace.update(applied)
        except Exception as exc:  # noqa: BLE001 - re-running the best config can fail like any trial
            print(f"jhpo: could not restore the best trial's variables: {exc}", file=err or sys.stderr)
    # modules the cell imports are not results: "Variables now hold..." names what the trial made
    made = sorted(k for k, v in applied.items() if not isinstance(v, types.ModuleType))
    result = TuneResult(study, applied=made, template=template)
    if aborted is not None:
        print(f"jhpo: {aborted}", file=err or sys.stderr)
    return result
