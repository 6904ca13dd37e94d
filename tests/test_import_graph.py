"""jhpo's modules import each other without cycles, and the core never reaches the UI.

Imports are read with ``ast`` from the source (top-level ones and those inside
functions alike, relative and absolute), so a lazy ``from .ui import x`` inside
a function counts: it is a dependency all the same, only a hidden one. Only
imports under ``if TYPE_CHECKING:`` are left out: they never run (mypy reads them).
"""

from __future__ import annotations

import ast
from pathlib import Path

import jhpo

ROOT = Path(jhpo.__file__).parent
#: The search core: plain Python that a worker process or a script runs without a notebook.
CORE = (
    "jhpo.space",
    "jhpo.annotations",
    "jhpo.trial",
    "jhpo.study",
    "jhpo.storage",
    "jhpo.strategies",
    "jhpo.execution",
    "jhpo.runner",
    "jhpo.worker",
    "jhpo.budget",
    "jhpo.direction",
    "jhpo.errors",
    "jhpo.pareto",
)
UI = ("jhpo.ui", "IPython", "ipywidgets", "bqplot", "ipykernel")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _type_checking(node: ast.AST) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(node: ast.AST) -> list[ast.AST]:
    """Every node under ``node``, except the bodies of ``if TYPE_CHECKING:`` (their ``else`` runs)."""
    out = [node]
    for child in ast.iter_child_nodes(node):
        if _type_checking(child):
            assert isinstance(child, ast.If)
            for other in child.orelse:
                out += _walk(other)
            continue
        out += _walk(child)
    return out


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Every module ``name`` imports (anywhere in its source), as full dotted names."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            # `from . import x` and `from .pkg import mod` import the submodule x / mod; a name
            # that is no submodule comes from the package's own __init__
            subs = {f"{base}.{alias.name}" for alias in node.names} & known
            found.update(subs)
            if len(subs) < len(node.names):
                found.add(base)
    return found


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    known = set(mods)
    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        deps = set()
        for imp in _imports(name, path, known):
            # importing a.b.c runs a.b's __init__ too: a dependency, unless it is a package that
            # holds this module (its __init__ already runs first; jhpo itself is the root)
            parts = imp.split(".")
            for i in range(2, len(parts) + 1):
                dotted = ".".join(parts[:i])
                holds = name.startswith(dotted + ".")
                if dotted in known and dotted != name and (dotted == imp or not holds):
                    deps.add(dotted)
        graph[name] = deps
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _path(graph: dict[str, set[str]], comp: list[str]) -> str:
    """One cycle inside a component, as `a -> b -> a`, so the failure shows which import to cut."""
    start = comp[0]
    inside = set(comp)
    trail, seen = [start], {start}
    while True:
        nxt = sorted(graph[trail[-1]] & inside)
        back = [n for n in nxt if n == start]
        if back and len(trail) > 1:
            return " -> ".join([*trail, start])
        fresh = [n for n in nxt if n not in seen]
        if not fresh:
            return " <-> ".join(comp)
        trail.append(fresh[0])
        seen.add(fresh[0])


def _in(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def test_the_walk_sees_lazy_and_relative_imports() -> None:
    graph = _graph()
    assert "jhpo.study" in graph and "jhpo.space" in graph["jhpo.study"]
    assert "jhpo.strategies.base" in graph
    assert "jhpo.trial" in graph["jhpo.strategies.base"]
    # magics imports the executors inside a function (for --executor): the walk must see it
    assert any(d.startswith(("jhpo.executors", "jhpo.execution")) for d in graph["jhpo.magics"])


def test_type_checking_imports_are_left_out() -> None:
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import a\nelse:\n    import b\n")
    names = {n.names[0].name for n in _walk(tree) if isinstance(n, ast.Import)}
    assert names == {"b"}


def test_a_cycle_is_found() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles() -> None:
    graph = _graph()
    cycles = [_path(graph, c) for c in _cycles(graph)]
    assert not cycles, "import cycles among jhpo's modules:\n  " + "\n  ".join(cycles)


def test_core_never_imports_the_ui() -> None:
    mods = _modules()
    known = set(mods)
    bad = []
    for name, path in mods.items():
        if not _in(name, CORE):
            continue
        for imp in sorted(_imports(name, path, known)):
            if _in(imp, UI):
                bad.append(f"{name} imports {imp}")
    assert not bad, "the core must not import the UI, even inside a function:\n  " + "\n  ".join(bad)
