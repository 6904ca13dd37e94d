"""Teaching modes: the learner as optimizer, strategy races, and replays.

- ``%%tune --manual``: a form from the cell's annotations; each Run is a trial
  (:mod:`jhpo.teach.manual`).
- ``%%tune --race random,sobol,grid,bayes --trials N [--repeat K]``: strategies race
  on the same cell, interleaved (:mod:`jhpo.teach.race`, pure; the view in
  :mod:`jhpo.teach.race_view`).
- :func:`replay`: step through a finished study or race (:mod:`jhpo.teach.replay`).
- :mod:`jhpo.teach.course`: code the course notebooks share (the numpy network of
  lessons 7 and 8); the lessons' sources are ``course/*.py``, paired with ``notebooks/``.

Importing this package loads no widgets; the widget modules load when used.
"""

from __future__ import annotations

from typing import Any

from .race import Race, RaceObserver, RaceResult, load_race, race_cell

__all__ = ["Race", "RaceObserver", "RaceResult", "load_race", "race_cell", "replay", "run_mode"]


def replay(obj: Any, storage: str | None = None, interval: int | None = None) -> Any:
    """Replay a study, result, race result or stored study name (see :func:`jhpo.teach.replay.replay`)."""
    from .replay import replay as _replay

    return _replay(obj, storage=storage, interval=interval)


def run_mode(shell: Any, args: Any, opts: Any, source: str, line_offset: int) -> Any:
    """``%%tune --manual`` or ``%%tune --race LIST``: the magic hands over here.

    Returns the manual form (it displays itself and runs nothing until Run is
    pressed) or the race result; ``-o VAR`` stores it in the notebook.
    """
    from ..ui import in_notebook

    if args.manual and args.race:
        raise ValueError("--manual and --race are two different modes; choose one")
    if args.repeat is not None and not args.race:
        raise ValueError("--repeat K repeats a race over K seeds; use it with --race")
    mode = "--manual" if args.manual else "--race"
    if opts.dry_run:
        raise ValueError(f"--dry-run lists one strategy's configurations; it does not combine with {mode}")
    if opts.n_jobs is not None or opts.executor is not None or getattr(opts, "trial_timeout", None) is not None:
        raise ValueError(
            f"{mode} runs each trial in this kernel, one at a time (a race interleaves its "
            "strategies so it is fair whenever it stops); leave out --n-jobs, --executor "
            "and --trial-timeout"
        )
    if args.manual:
        from .manual import manual_cell

        result: Any = manual_cell(source, shell.user_ns, opts, line_offset=line_offset)
    else:
        observers = []
        if not opts.quiet and in_notebook():
            try:
                from .race_view import RaceView

                observers.append(RaceView())
            except Exception:  # noqa: BLE001 - no widgets: the summary still prints at the end
                pass
        strategies = [s.strip() for s in args.race.split(",")]
        result = race_cell(
            source,
            shell.user_ns,
            opts,
            strategies,
            repeat=args.repeat or 1,
            line_offset=line_offset,
            observers=observers,
        )
    if args.output:
        shell.user_ns[args.output] = result
    return result
