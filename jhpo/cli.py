"""``jhpo demo``, ``jhpo list``, ``jhpo show``: the terminal side of jhpo."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .direction import Direction
from .storage import DEFAULT_PATH as DEFAULT_STORAGE
from .storage import Storage, StorageError

DEMO_SETUP = """
from sklearn.datasets import load_digits
from sklearn.model_selection import cross_val_score
from sklearn.svm import SVC
X, y = load_digits(return_X_y=True)
"""

#: The demo's training cell, annotated exactly as a notebook user would.
DEMO_CELL = """\
C = 1.0            # tune: loguniform(1e-2, 1e3)
gamma = 0.01       # tune: loguniform(1e-5, 1e-1)
kernel = "rbf"     # tune: choice("rbf", "poly", "sigmoid")
model = SVC(C=C, gamma=gamma, kernel=kernel)
score = cross_val_score(model, X, y, cv=3).mean()
"""


def demo(args: argparse.Namespace) -> int:
    from .cell import TuneOptions, tune_cell
    from .ui.text import TextProgress

    strategy = args.strategy  # an unknown name is an error naming the strategies there are (no fallback)
    print("jhpo demo: tuning an SVC on scikit-learn's digits (1,797 images of handwritten digits),")
    print("3-fold cross-validated accuracy. The training cell, with its annotations:\n")
    print("    " + DEMO_CELL.replace("\n", "\n    "))
    namespace: dict[str, object] = {}
    exec(compile(DEMO_SETUP, "<demo-setup>", "exec"), namespace)
    opts = TuneOptions(
        direction=Direction.MAXIMIZE,
        objective="score",
        strategy=strategy,
        trials=args.trials,
        seed=args.seed,
        storage=args.storage,
        study=args.study,
        quiet=args.quiet,
        apply=False,  # a terminal has no notebook to hold the best trial's variables
    )
    result = tune_cell(DEMO_CELL, namespace, opts, observers=[] if args.quiet else [TextProgress()])
    assert result is not None
    print()
    print(result.summary(top=10))
    print(f"\nAll trials are stored in {result.study.storage.location} as study {result.study.name!r};")
    print(f"`jhpo show {result.study.name}` prints them again.")
    return 0


def problem_lines(found: Sequence[object]) -> list[str]:
    """The storage's warnings as lines: each distinct problem once, at most 20 and a count of the rest."""
    problems = list(dict.fromkeys(map(str, found)))  # a field read twice is reported once
    lines = [f"jhpo: warning: {p}" for p in problems[:20]]
    if len(problems) > 20:
        lines.append(f"jhpo: warning: ... and {len(problems) - 20} more bad fields")
    return lines


def _warn_problems(found: Sequence[object]) -> None:
    for line in problem_lines(found):
        print(line, file=sys.stderr)


def _when(t: float | None) -> str:
    import datetime

    return datetime.datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M") if t is not None else "-"


def studies_table(st: Storage) -> str:
    """The table ``jhpo list`` and ``%tune_show`` print: one row per study in ``st``.

    Parameters
    ----------
    st : Storage
        An open storage.

    Returns
    -------
    str
        A header and one line per study (name, strategy, trials done/failed, best, last change),
        or one sentence saying there are none yet.
    """
    names = st.study_names()
    if not names:
        return f"no studies in {st.location} yet; a %%tune cell or `jhpo demo` stores one there"
    rows = [("study", "strategy", "trials (done/failed)", "best", "last change")]
    for name in names:
        meta = st.load_meta(name) or {}
        direction = Direction.parse(meta.get("direction", "maximize"))  # load_meta checked it
        s = st.summary(name, direction)
        best = "-" if s.best is None else f"{s.best:.6g} ({direction.value[:3]})"
        rows.append((name, str(meta.get("strategy")), f"{s.done}/{s.failed}", best, _when(s.last_change)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows)


def list_studies(args: argparse.Namespace) -> int:
    from .storage import open_storage

    st = open_storage(args.storage or DEFAULT_STORAGE, create=False)
    print(studies_table(st))
    _warn_problems(st.problems)
    return 0


def show(args: argparse.Namespace) -> int:
    import pandas as pd

    from .result import TuneResult
    from .storage import open_storage
    from .study import load_study

    st = open_storage(args.storage or DEFAULT_STORAGE, create=False)
    try:
        study = load_study(args.name, st)
    except KeyError as exc:
        print(f"jhpo: {exc.args[0]}", file=sys.stderr)
        return 1
    print(TuneResult(study).summary(top=10))
    df = study.to_dataframe().drop(columns=["datetime_start", "datetime_end"])
    if "baseline" in df:  # the baseline is marked on its own row only: "yes", not True/NaN
        df["baseline"] = ["yes" if v is True else "" for v in df["baseline"]]
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(df.to_string(index=False, na_rep=""))  # a failed trial has no value: blank, not NaN
    _warn_problems(st.problems)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    from .strategies import available

    parser = argparse.ArgumentParser(prog="jhpo", description="hyperparameter search for notebook cells")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="tune an SVC on the digits dataset, in the terminal")
    p.add_argument("--strategy", default="bayes", choices=available())
    p.add_argument("--trials", type=int, default=25)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--storage", default=None, help="SQLite file (default .jhpo/studies.db)")
    p.add_argument("--study", default=None)
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=demo)
    p = sub.add_parser("list", help="list the stored studies")
    p.add_argument("--storage", default=None)
    p.set_defaults(func=list_studies)
    p = sub.add_parser("show", help="print a stored study")
    p.add_argument("name")
    p.add_argument("--storage", default=None)
    p.set_defaults(func=show)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except StorageError as exc:  # a missing, damaged, full or read-only file: one line, no traceback
        print(f"jhpo: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
