"""Pairs the course sources course/NN_*.py with the notebooks notebooks/NN_*.ipynb (jupytext).

The lessons are written as jupytext "percent" files: ``# %%`` starts a code cell, ``# %% [markdown]``
a prose cell, and IPython magics are commented (``# %%tune ...``, ``# %load_ext jhpo``) so that the
source is plain Python an editor highlights and ruff can read. The notebooks are what learners open;
they are committed without outputs, with stable cell ids, and tests/test_course.py fails when a
notebook and its source differ.

    python tools/make_notebooks.py              # every source -> its notebook
    python tools/make_notebooks.py 03 09        # only the lessons whose name starts with 03 or 09
    python tools/make_notebooks.py --from-notebooks 07   # a notebook edited in JupyterLab -> its source

With jupytext installed in JupyterLab (``pip install jupytext``), jupytext.toml pairs the two and
saving a notebook writes its source too; this script is for editing without it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "course"
NOTEBOOKS = ROOT / "notebooks"
#: The source format and filters of jupytext.toml: no header, no cell metadata in the sources.
FORMAT = "py:percent"
FILTERS = {"notebook_metadata_filter": "-all", "cell_metadata_filter": "-all"}
METADATA = {
    "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
    "language_info": {"name": "python"},
}


def pairs(prefixes: list[str] | None = None) -> list[tuple[Path, Path]]:
    """The (source, notebook) paths of the course, optionally only those whose name starts with a prefix."""
    names = sorted({p.stem for p in SOURCES.glob("[0-9][0-9]_*.py")} | {p.stem for p in NOTEBOOKS.glob("*.ipynb")})
    chosen = [n for n in names if not prefixes or any(n.startswith(p) for p in prefixes)]
    return [(SOURCES / f"{n}.py", NOTEBOOKS / f"{n}.ipynb") for n in chosen]


def notebook_of(source: Path) -> nbformat.NotebookNode:
    """The notebook a course source stands for: its cells, no outputs, ids ``NN-ii``, Python kernel."""
    nb = jupytext.read(source, fmt=FORMAT)
    for i, cell in enumerate(nb.cells):
        cell.metadata = {}
        # stable ids: regenerating leaves an unchanged lesson byte-for-byte unchanged
        cell.id = f"{source.stem[:2]}-{i:02d}"
    nb.metadata = dict(METADATA)
    nbformat.validate(nb)
    return nb


def source_of(notebook: Path) -> str:
    """The percent-format text of a notebook (outputs and metadata left out)."""
    nb = nbformat.read(notebook, as_version=4)
    nb.metadata = {"jupytext": dict(FILTERS)}
    return jupytext.writes(nb, fmt=FORMAT)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefixes", nargs="*", help="only lessons whose file name starts with one of these")
    parser.add_argument("--from-notebooks", action="store_true", help="write the sources from the notebooks")
    args = parser.parse_args(argv)
    for source, notebook in pairs(args.prefixes):
        if args.from_notebooks:
            source.write_text(source_of(notebook))
            print("wrote", source.relative_to(ROOT))
        else:
            nbformat.write(notebook_of(source), notebook)
            print("wrote", notebook.relative_to(ROOT))


if __name__ == "__main__":
    main()
