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

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import UsageProblem
from .race import Race, RaceObserver, RaceResult, load_race, race_cell

if TYPE_CHECKING:
    from ..cell import TuneOptions

__all__ = ["Race", "RaceObserver", "RaceResult", "TeachOptions", "load_race", "race_cell", "replay", "run_mode"]


@dataclass(frozen=True)
class TeachOptions:
    """What ``%%tune`` asks of a teaching mode; the search's own options are a :class:`~jhpo.cell.TuneOptions`.

    Attributes
    ----------
    manual : bool
        ``--manual``: the learner chooses each trial in a form.
    race : tuple of str or None
        ``--race LIST``: the strategies to race (None: no race).
    repeat : int or None
        ``--repeat K``: race over K seeds.
    output : str or None
        ``-o VAR``: the notebook variable that receives the form or the race result.
    """

    manual: bool = False
    race: tuple[str, ...] | None = None
    repeat: int | None = None
    output: str | None = None

    @property
    def wanted(self) -> bool:
        """Whether a teaching mode was asked for (``--repeat`` alone is refused by :func:`run_mode`)."""
        return self.manual or self.race is not None or self.repeat is not None


def replay(obj: Any, storage: str | None = None, interval: int | None = None) -> Any:
    """Replay a study, result, race result or stored study name (see :func:`jhpo.teach.replay.replay`)."""
    from .replay import replay as _replay

    return _replay(obj, storage=storage, interval=interval)


def run_mode(shell: Any, teach: TeachOptions, opts: TuneOptions, source: str, line_offset: int) -> Any:
    """``%%tune --manual`` or ``%%tune --race LIST``: the magic hands over here.

    Returns the manual form (it displays itself and runs nothing until Run is
    pressed) or the race result; ``-o VAR`` stores it in the notebook.
    """
    from ..ui import in_notebook

    if teach.manual and teach.race:
        raise UsageProblem("--manual and --race are two different modes; choose one")
    if teach.repeat is not None and not teach.race:
        raise UsageProblem("--repeat K repeats a race over K seeds; use it with --race")
    mode = "--manual" if teach.manual else "--race"
    if opts.dry_run:
        raise UsageProblem(f"--dry-run lists one strategy's configurations; it does not combine with {mode}")
    if opts.n_jobs is not None or opts.executor is not None or getattr(opts, "trial_timeout", None) is not None:
        raise UsageProblem(
            f"{mode} runs each trial in this kernel, one at a time (a race interleaves its "
            "strategies so it is fair whenever it stops); leave out --n-jobs, --executor "
            "and --trial-timeout"
        )
    if teach.manual:
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
        strategies = [s.strip() for s in teach.race or ()]
        result = race_cell(
            source,
            shell.user_ns,
            opts,
            strategies,
            repeat=teach.repeat or 1,
            line_offset=line_offset,
            observers=observers,
        )
    if teach.output:
        shell.user_ns[teach.output] = result
    return result
