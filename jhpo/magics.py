"""``%%tune`` and ``%tune_show``: thin glue from IPython to :func:`jhpo.cell.tune_cell`."""

from __future__ import annotations

import argparse
import os
import re
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class, no_var_expand
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from traitlets import Bool, Unicode, observe

from .cell import TuneOptions, tune_cell
from .direction import Direction
from .errors import JhpoError
from .result import TuneResult
from .storage import DEFAULT_PATH, StorageError, open_storage
from .strategies import option_takers, strategy_class
from .study import load_study
from .trial import TrialState
from .ui import make_observer

if TYPE_CHECKING:
    from .teach import TeachOptions

_ABSENT = "\0"


class _Objective(argparse.Action):
    """``--maximize`` / ``--minimize``: every one given is kept, in the order of the line."""

    def __call__(self, parser: Any, namespace: Any, values: Any, option_string: Any = None) -> None:
        setattr(namespace, self.dest, values)
        namespace.objectives = [*(getattr(namespace, "objectives", None) or []), (self.dest, values)]


def _objectives(args: argparse.Namespace) -> tuple[tuple[str, str], ...]:
    """(direction, name) of each objective when the line names several; () for one."""
    given = getattr(args, "objectives", None) or []
    if len(given) < 2:
        return ()
    unnamed = [d for d, n in given if n == _ABSENT]
    if unnamed:
        raise UsageError(
            f"with several objectives each one names its variable: write --{unnamed[0]} NAME "
            "(e.g. `%%tune --maximize accuracy --minimize fit_time`); the cell's last expression is one number"
        )
    names = [n for _, n in given]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise UsageError(f"`{twice[0]}` is named twice among --maximize/--minimize; name each objective once")
    return tuple(given)


def options_from_args(args: argparse.Namespace, defaults: TuneMagics) -> TuneOptions:
    """Turn parsed ``%%tune`` arguments into :class:`TuneOptions`, checking what argparse cannot."""
    objectives = _objectives(args)
    if objectives:  # several: the first is also `direction`/`objective` (the study's first value)
        args.maximize, args.minimize = (
            (objectives[0][1], None)
            if Direction.parse(objectives[0][0]) is Direction.MAXIMIZE
            else (None, objectives[0][1])
        )
    if args.maximize is None and args.minimize is None:
        raise UsageError(
            "say what to optimize: add --maximize NAME or --minimize NAME to the %%tune line "
            "(e.g. `%%tune --maximize score`), or leave NAME out to use the cell's last expression"
        )
    direction = Direction.MAXIMIZE if args.maximize is not None else Direction.MINIMIZE
    name = args.maximize if args.maximize is not None else args.minimize
    strategy_options = {
        k: v
        for k, v in (("eta", args.eta), ("sampler", args.sampler), ("population", args.population))
        if v is not None
    }
    chosen = args.strategy or defaults.default_strategy
    strategies = [s.strip() for s in args.race.split(",")] if args.race else [chosen]
    for given in args.option or ():
        option, value = _option(given, strategies)
        if option in strategy_options:
            raise UsageError(f"--option {given}: {option} is given twice on the line; keep one")
        strategy_options[option] = value
    return TuneOptions(
        objectives=objectives,
        direction=direction,
        objective=None if name == _ABSENT else name,
        strategy=args.strategy or defaults.default_strategy,
        trials=args.trials,
        timeout=args.timeout,
        seed=args.seed,
        study=args.study,
        resume=args.resume,
        allow_changes=args.allow_changes,
        storage=args.storage or defaults.default_storage,
        apply=not args.no_apply,
        dry_run=args.dry_run,
        quiet=args.quiet or defaults.quiet,
        baseline=not args.no_baseline,
        grid_points=args.grid_points,
        n_jobs=args.n_jobs,
        metrics=tuple(m.strip() for m in (args.metrics or "").split(",") if m.strip()),
        constraints=tuple(args.constraint or ()),
        trial_timeout=args.trial_timeout,
        pruner=args.pruner,
        refit=not args.no_refit,
        strategy_options=strategy_options,
        checkpoint=args.checkpoint,
    )


# Options with their own flag on the line: --option would be a second spelling of them.
_OWN_FLAGS = {
    "eta": "--eta VALUE",
    "sampler": "--sampler VALUE",
    "population": "--population VALUE",
    "n_trials": "--trials VALUE",
    "timeout": "--timeout VALUE",
    "grid_points": "--grid-points VALUE",
    "checkpoint": "--checkpoint VALUE",
    "baseline": "--no-baseline (or nothing)",
}


def _option(given: str, strategies: list[str]) -> tuple[str, Any]:
    """``--option NAME=VALUE`` as (name, value), the value converted to the type the strategy
    declares for it (:attr:`jhpo.strategies.Strategy.options`): ``int``, ``float``, ``bool``
    (true/false) or ``str``. A name no strategy on the line takes is refused, naming those that do."""
    name, eq, text = given.partition("=")
    name, text = name.strip(), text.strip()
    if not eq or not name or not text:
        raise UsageError(f"--option {given}: write NAME=VALUE, e.g. `--option prior_mean=mean`")
    if name in _OWN_FLAGS:
        flag = _OWN_FLAGS[name].replace("VALUE", text)
        raise UsageError(f"--option {given}: {name} has its own flag; write `{flag}` instead")
    kinds: list[type] = []
    for strategy in strategies:
        try:
            declared = strategy_class(strategy).options
        except JhpoError:
            continue  # an unknown strategy is named by the search itself
        if name in declared:
            kind = declared[name]
            kinds.extend(kind if isinstance(kind, tuple) else (kind,))
    if not kinds:
        takers = option_takers(name)
        where = f"it is an option of {', '.join(takers)}" if takers else "no strategy takes it"
        fix = f"use --strategy {takers[0]} or drop it" if takers else "drop it"
        raise UsageError(f"--option {given}: --strategy {'/'.join(strategies)} does not take {name} ({where}); {fix}")
    return name, _convert(given, text, kinds)


def _convert(given: str, text: str, kinds: list[type]) -> Any:
    """``text`` as the first of ``kinds`` it reads as (bool before int: both accept "1")."""
    lowered = text.lower()
    if bool in kinds and lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float, str):
        if kind in kinds:
            try:
                return kind(text)
            except ValueError:
                continue
    wanted = " or ".join(sorted({k.__name__ for k in kinds}))
    raise UsageError(f"--option {given}: the value must be {wanted}, but got {text!r}")


def _teach_options(args: argparse.Namespace) -> TeachOptions | None:
    """The teaching mode the arguments ask for, or None."""
    if not (args.manual or args.race or args.repeat is not None):
        return None
    from .teach import TeachOptions

    race = tuple(args.race.split(",")) if args.race else None
    return TeachOptions(manual=args.manual, race=race, repeat=args.repeat, output=args.output)


def _refuse_shell_lines(cell: str, source: str) -> None:
    """Trials in other processes have no IPython: refuse the cell's %magic and !cmd lines, naming them."""
    if "get_ipython()" not in source or "get_ipython()" in cell:
        return
    lines = [i for i, line in enumerate(cell.splitlines(), 1) if line.lstrip().startswith(("%", "!"))]
    where = f"cell line {lines[0]}" if lines else "the cell"
    raise UsageError(
        f"{where} uses a %magic or !command, which needs this kernel's IPython; trials in --n-jobs, --executor "
        "or --trial-timeout workers run without it. Move that line to another cell, or run without those options"
    )


def _interrupted(result: TuneResult, output: str | None) -> KeyboardInterrupt:
    """Show what an interrupted search found; returns the error that ends its cell as interrupted.

    The kernel's stop button means "stop this cell": Jupyter aborts the cells queued
    behind an interrupted cell (Run All), so a search must not end its cell normally and
    let them run on. The panel's Stop button is different ("stop searching, keep going",
    ``stop_reason == "stopped"``) and never comes here. Finished trials are already in
    storage and the best trial's names in the notebook (:func:`jhpo.cell.tune_cell`).
    """
    from IPython.display import display

    display(result)  # right after a live panel this adds nothing: the panel is the result (ui.show_result)
    study = result.study
    done = sum(t.state.is_finished and t.state is not TrialState.INTERRUPTED for t in study.trials)
    where = study.storage.location
    message = f"the search was interrupted: its {done} finished trials are kept in study {study.name!r} ({where})"
    if result.applied and study.best_trial is not None:
        message += f"; the notebook holds what trial {study.best_trial.number} (the best) set"
    if output:
        message += f"; `{output}` holds the result"
    if where != "memory":
        message += f"; `%tune_show {study.name} {where}` shows it again"
    exc = KeyboardInterrupt(message)
    # IPython shows what this returns instead of a traceback through its own frames and jhpo's
    exc._render_traceback_ = lambda: [f"KeyboardInterrupt: {message}"]  # type: ignore[attr-defined]
    return exc


@magics_class
class TuneMagics(Magics):
    """The jhpo magics. Defaults are configurable: ``%config TuneMagics.default_strategy = "random"``."""

    default_strategy = Unicode("bayes", help="strategy when --strategy is not given").tag(config=True)
    default_storage = Unicode(DEFAULT_PATH, help="SQLite file when --storage is not given").tag(config=True)
    quiet = Bool(False, help="never show progress").tag(config=True)
    language = Unicode("", help="panel language: en, de, it or es (empty: from the locale)").tag(config=True)

    @observe("language")
    def _language_changed(self, change: Any) -> None:
        from .ui.i18n import set_language

        set_language(change["new"])

    @no_var_expand
    @cell_magic
    @magic_arguments()
    @argument(
        "--maximize",
        nargs="?",
        const=_ABSENT,
        action=_Objective,
        metavar="NAME",
        help="maximize variable NAME after the cell ran (or the cell's last expression without NAME)",
    )
    @argument(
        "--minimize",
        nargs="?",
        const=_ABSENT,
        action=_Objective,
        metavar="NAME",
        help="minimize NAME (see --maximize); give several of both for a multi-objective search",
    )
    @argument("-s", "--strategy", help="grid, random, sobol, bayes (default), genetic, hyperband, asha, pbt")
    @argument("-n", "--trials", type=int, help="trials in the study (grid: the whole grid; else 20)")
    @argument("--timeout", type=float, metavar="SECONDS", help="stop starting trials after this long")
    @argument("--seed", type=int, help="make the whole search repeatable")
    @argument("--grid-points", type=int, default=5, metavar="K", help="levels per float parameter for grid")
    @argument("--study", metavar="NAME", help="the study's name in storage")
    @argument("--resume", action="store_true", help="continue the stored study --study NAME")
    @argument("--allow-changes", action="store_true", help="resume although the cell or its space changed")
    @argument("--storage", metavar="PATH", help="SQLite file (default .jhpo/studies.db)")
    @argument("--no-apply", action="store_true", help="leave the notebook's variables as they were")
    @argument(
        "--no-refit",
        action="store_true",
        help="do not re-run the best configuration at the end (keep the names the best trial set, when known)",
    )
    @argument("--no-baseline", action="store_true", help="do not run the cell's own defaults as trial 0")
    @argument("--dry-run", action="store_true", help="show the space and the first configurations; run nothing")
    @argument("--quiet", action="store_true", help="no progress, no panel")
    @argument("-o", dest="output", metavar="VAR", help="store the result object in VAR")
    @argument("--n-jobs", type=int, metavar="N", help="run trials in N local processes")
    @argument(
        "--executor", metavar="VAR", help="run trials on the Dask Client (or concurrent.futures.Executor) held in VAR"
    )
    @argument(
        "--trial-timeout",
        type=float,
        metavar="SECONDS",
        help="fail a trial that runs longer and replace its worker (alone: one worker process)",
    )
    @argument(
        "--constraint",
        action="append",
        metavar="EXPR",
        help='a feasible trial satisfies METRIC OP NUMBER, e.g. "size_mb < 5" (repeatable)',
    )
    @argument("--metrics", metavar="A,B", help="also store these variables with each trial (e.g. precision,fit_time)")
    @argument("--pruner", help="median: stop trials whose reports trail the median")
    @argument("--eta", type=int, help="hyperband/asha: keep 1/eta of the trials at each rung")
    @argument("--sampler", help="hyperband/asha: random or bayes")
    @argument("--population", type=int, metavar="N", help="genetic: individuals per generation; pbt: members")
    @argument(
        "--option",
        action="append",
        metavar="NAME=VALUE",
        help="a strategy option without a flag of its own, e.g. --option prior_mean=mean (bayes); repeatable",
    )
    @argument("--checkpoint", metavar="VAR", help="hyperband/asha: keep VAR between rungs so trials continue")
    @argument("--manual", action="store_true", help="you are the optimizer: a form with Run and Suggest (--strategy)")
    @argument("--race", metavar="LIST", help="race strategies on this cell, interleaved: e.g. random,sobol,grid,bayes")
    @argument("--repeat", type=int, metavar="K", help="--race: repeat over K seeds and show the spread")
    def tune(self, line: str, cell: str) -> Any:
        """Turn this cell into a hyperparameter search.

        Annotate the cell's assignments with the values to try, then put
        ``%%tune`` on top::

            %%tune --strategy random --trials 20 --maximize score
            C = 1.0          # tune: loguniform(1e-3, 1e3)
            kernel = "rbf"   # tune: choice("rbf", "poly")
            score = SVC(C=C, kernel=kernel).fit(X_tr, y_tr).score(X_va, y_va)

        Annotations: ``uniform(lo, hi[, step=q])``, ``loguniform(lo, hi)``,
        ``integer(lo, hi[, log=True | step=k])``, ``choice(a, b, ...)`` or ``[a, b]``,
        ``resource(lo, hi)``; Colab ``# @param`` forms work too. The cell's
        defaults run first; afterwards the notebook holds what the best
        trial made, and the cell's value is the result.

        Teaching modes: ``--manual`` shows a form (you choose each trial; Suggest
        asks ``--strategy``); ``--race random,sobol,grid,bayes --trials N --repeat K``
        races strategies on this cell and ranks them; ``%tune_show NAME --replay``
        steps through a finished study.
        """
        args = parse_argstring(self.tune, line)
        opts = options_from_args(args, self)
        if args.executor:
            opts.executor = self._executor(args.executor, args.n_jobs)
        teach = _teach_options(args)
        observer = make_observer(quiet=opts.quiet or opts.dry_run or bool(args.manual or args.race))  # teach: own views
        source, offset = self._source(cell, args)
        if opts.objectives and teach is not None:
            raise UsageError(
                "--manual, --race and --repeat compare trials by one number; keep one objective "
                "(--maximize or --minimize once) for them, or drop them to search several objectives"
            )
        try:
            if teach is not None:  # teaching modes (jhpo.teach) take over
                from .teach import run_mode

                return run_mode(self.shell, teach, opts, source, max(1, offset))
            result = tune_cell(
                source,
                self.shell.user_ns,
                opts,
                line_offset=max(1, offset),
                observers=[observer] if observer else [],
                ast_transform=self.shell.transform_ast,  # the user's AST transformers, as for a cell run by hand
            )
        except JhpoError as exc:  # a mistake the user can fix; anything else is a bug and keeps its traceback
            # the core names both spellings ("--resume (resume=True)"); a magic user needs the option only
            raise UsageError(re.sub(r" \(\w+=True\)", "", str(exc))) from None
        if result is not None and getattr(observer, "displayed", False):
            # the live panel is this cell's display of the result (ui.show_result checks the cell)
            result._shown_live = self.shell.execution_count  # type: ignore[attr-defined]
        if result is not None and args.output:
            self.shell.user_ns[args.output] = result
        if result is not None and result.study.stop_reason == "interrupted":
            raise _interrupted(result, args.output)  # the queued cells are aborted, as after any interrupted cell
        return result

    def _source(self, cell: str, args: Any) -> tuple[str, int]:
        """The cell as IPython would run it by hand (``%magic`` and ``!cmd`` lines transformed), and
        the notebook line of its first line (IPython drops leading blank lines; messages count them)."""
        source = self.shell.transform_cell(cell)
        if args.executor or args.n_jobs is not None or args.trial_timeout is not None:
            _refuse_shell_lines(cell, source)
        return source, 1 + (len(cell.splitlines()) - len(source.splitlines()) if not source.strip() == "" else 0)

    def _executor(self, var: str, n_jobs: int | None) -> Any:
        """The executor held in the notebook variable ``var``, checked before anything runs."""
        from .executors import ExecutorError, check_executor

        if n_jobs is not None:
            raise UsageError("give --n-jobs N (local processes) or --executor VAR, not both")
        if var not in self.shell.user_ns:
            raise UsageError(
                f"--executor {var}: the notebook has no variable `{var}`; create the executor first, "
                f"e.g. `from dask.distributed import Client; {var} = Client()` (pip install "
                f"'jhpo[dask]') or `{var} = concurrent.futures.ProcessPoolExecutor()`"
            )
        value = self.shell.user_ns[var]
        try:
            check_executor(value)
        except ExecutorError as exc:
            raise UsageError(f"--executor {var}: {exc}") from None
        return value

    @line_magic
    def tune_show(self, line: str) -> Any:
        """``%tune_show VAR`` or ``%tune_show STUDY [PATH]``: show a finished or stored study.

        ``%tune_show`` alone lists the studies stored in ``TuneMagics.default_storage`` (the
        table ``jhpo list`` prints). ``--replay`` steps through a study's trials with a play
        slider instead.
        """
        parts = line.split()
        if "--replay" in parts:
            from .teach import replay

            parts.remove("--replay")
            target: Any = self.shell.user_ns.get(parts[0]) if parts else None
            try:
                return replay(
                    target if target is not None else (parts[0] if parts else ""),
                    storage=parts[1] if len(parts) > 1 else self.default_storage,
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise UsageError(str(exc.args[0])) from None
        if not parts:
            self._list_studies()
            return None
        value = self.shell.user_ns.get(parts[0])
        if isinstance(value, TuneResult):
            return value
        try:
            study = load_study(parts[0], parts[1] if len(parts) > 1 else self.default_storage)
        except KeyError as exc:
            raise UsageError(str(exc.args[0])) from None
        return TuneResult(study)

    def _list_studies(self) -> None:
        from .cli import problem_lines, studies_table

        path = self.default_storage
        if path != ":memory:" and not os.path.exists(path):  # listing must not leave an empty file behind
            print(f"no study file at {path} yet (nothing was created); a %%tune cell stores its studies there")
            return
        try:
            st = open_storage(path, create=False)
        except StorageError as exc:  # damaged or unreadable: its own one-line reason
            print(f"jhpo: {exc}")
            return
        try:
            print("\n".join([studies_table(st), *problem_lines(st.problems)]))
        finally:
            st.close()


# magic_arguments writes the usage of a line magic ("%tune ..."); this one is a cell magic
TuneMagics.tune.parser.prog = "%%tune"
TuneMagics.tune.__doc__ = (TuneMagics.tune.__doc__ or "").replace("%tune [", "%%tune [", 1)
