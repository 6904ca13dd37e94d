"""Cell source -> search space + a template that runs the cell with given parameters.

The annotation text is parsed with ``ast`` and ``tokenize`` and is never
executed. Every mistake is collected first and reported at once, each with
the cell line, the line itself, and what would be right; nothing runs before
the whole cell has parsed.
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import io
import json
import re
import tokenize
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import space as sp
from .space import Distribution, Space, Value

__all__ = ["Annotation", "AnnotationError", "CellTemplate", "parse_cell"]

PARAMS = "__jhpo_params__"
RESULT = "__jhpo_value__"

_TUNE = re.compile(r"#\s*tune\s*:(?P<expr>.*)$")
_COLAB = re.compile(r"#\s*@param\b(?P<rest>.*)$")

_FUNCS: dict[str, tuple[Callable[..., Distribution], set[str], str]] = {
    "uniform": (sp.uniform, {"step"}, "uniform(lo, hi) or uniform(lo, hi, step=q)"),
    "loguniform": (sp.loguniform, set(), "loguniform(lo, hi) with 0 < lo < hi"),
    "integer": (sp.integer, {"log", "step"}, "integer(lo, hi), integer(lo, hi, log=True) or integer(lo, hi, step=k)"),
    "choice": (sp.choice, set(), 'choice("a", "b", ...) or a list ["a", "b"]'),
    "resource": (sp.resource, set(), "resource(1, 81) for epochs or resource(0.05, 1.0) for a data fraction"),
}


@dataclass
class Problem:
    line: int
    text: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"cell line {self.line}: {self.text.strip()}\n    {self.message}\n    fix: {self.fix}"


class AnnotationError(ValueError):
    """One or more malformed annotations; nothing has run.

    Attributes
    ----------
    problems : list of Problem
        Each with ``line`` (the cell's line number), ``text``, ``message`` and ``fix``.
    """

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        head = (
            "the cell's search space has a mistake"
            if len(problems) == 1
            else (f"the cell's search space has {len(problems)} mistakes")
        )
        super().__init__(head + ":\n" + "\n".join(str(p) for p in problems))

    @property
    def line(self) -> int:
        return self.problems[0].line


@dataclass
class Annotation:
    name: str
    line: int
    text: str
    dist: Distribution
    default: Value
    source: str  # "tune" or "colab"


@dataclass
class CellTemplate:
    """What a runner needs to execute the cell with chosen parameters (picklable).

    ``source`` is the cell as written; the annotated assignments are rewritten
    to read ``__jhpo_params__[NAME]`` and, when the objective is the last
    expression, that expression is assigned to ``__jhpo_value__``. Line
    numbers are kept so tracebacks point at the user's line.
    """

    source: str
    space: Space
    defaults: dict[str, Value]
    annotations: list[Annotation]
    fixed: dict[str, Value] = field(default_factory=dict)
    uses_last_expression: bool = False
    line_offset: int = 0
    assigned: frozenset[str] = frozenset()
    loaded: frozenset[str] = frozenset()

    def tree(self, objective_name: str | None) -> ast.Module:
        tree = ast.parse(self.source)
        names = {a.name for a in self.annotations}
        _Rewriter(names).visit(tree)
        if objective_name is None and tree.body and isinstance(tree.body[-1], ast.Expr):
            last = tree.body[-1]
            tree.body[-1] = ast.copy_location(
                ast.Assign(targets=[ast.Name(RESULT, ast.Store())], value=last.value), last
            )
        ast.fix_missing_locations(tree)
        if self.line_offset:
            ast.increment_lineno(tree, self.line_offset)
        return tree

    @property
    def hash(self) -> str:
        """Identifies the cell and its space (stored with a study, compared on resume)."""
        blob = json.dumps({"source": self.source.strip(), "space": self.space.to_json()}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    @property
    def free_names(self) -> frozenset[str]:
        """Names the cell reads that it may take from the notebook (for shipping to workers)."""
        return self.loaded


class _Rewriter(ast.NodeTransformer):
    def __init__(self, names: set[str]) -> None:
        self.names = names

    def _value(self, name: str, node: ast.AST) -> ast.expr:
        sub = ast.Subscript(value=ast.Name(PARAMS, ast.Load()), slice=ast.Constant(name), ctx=ast.Load())
        return ast.copy_location(sub, node)

    def visit_Assign(self, node: ast.Assign) -> ast.AST:
        if len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) and node.targets[0].id in self.names:
            node.value = self._value(node.targets[0].id, node.value)
        return node

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:
        if isinstance(node.target, ast.Name) and node.target.id in self.names and node.value is not None:
            node.value = self._value(node.target.id, node.value)
        return node


def _comments(source: str) -> list[tuple[int, str]]:
    out = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                out.append((tok.start[0], tok.string))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass  # ast.parse reports the syntax error with a better message
    return out


def _statements(tree: ast.AST) -> dict[int, list[ast.stmt]]:
    """Every statement by the line it ends on (innermost last)."""
    by_line: dict[int, list[ast.stmt]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and node.end_lineno is not None:
            by_line.setdefault(node.end_lineno, []).append(node)
    for nodes in by_line.values():
        nodes.sort(key=lambda n: (n.lineno, n.col_offset))
    return by_line


def _literal(node: ast.AST) -> Any:
    return ast.literal_eval(node)


class _Bad(Exception):
    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.message, self.fix = message, fix


def _parse_tune(expr: str) -> Distribution:
    text = expr.strip()
    if not text:
        raise _Bad("the annotation is empty", "write a distribution after `tune:`, e.g. `# tune: uniform(0, 1)`")
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        raise _Bad(
            f"cannot read `{text}` as a distribution",
            "use uniform(lo, hi), loguniform(lo, hi), integer(lo, hi), choice(a, b) or [a, b]",
        ) from None
    if isinstance(node, (ast.List, ast.Tuple)):
        return _build("choice", [_arg(e, "choice") for e in node.elts], {})
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        raise _Bad(
            f"`{text}` is not a distribution",
            "use uniform(lo, hi), loguniform(lo, hi), integer(lo, hi), choice(a, b) or [a, b]",
        )
    fname = node.func.id
    if fname not in _FUNCS:
        close = difflib.get_close_matches(fname, _FUNCS, n=1)
        hint = f"did you mean {close[0]}(...)? " if close else ""
        raise _Bad(f"unknown distribution `{fname}`", hint + "known: " + ", ".join(_FUNCS))
    args = [_arg(a, fname) for a in node.args]
    kwargs = {}
    for kw in node.keywords:
        if kw.arg not in _FUNCS[fname][1]:
            raise _Bad(f"{fname}(...) takes no option `{kw.arg}`", f"write {_FUNCS[fname][2]}")
        kwargs[kw.arg] = _arg(kw.value, fname)
    return _build(fname, args, kwargs)


def _arg(node: ast.AST, fname: str) -> Any:
    try:
        return _literal(node)
    except (ValueError, TypeError, SyntaxError):
        raise _Bad(
            f"{fname}(...) takes literal values only, but got `{ast.unparse(node)}`",
            "write the value itself (a number, a quoted string, True, False or None); annotations are never executed",
        ) from None


def _build(fname: str, args: list[Any], kwargs: dict[str, Any]) -> Distribution:
    factory, _, usage = _FUNCS[fname]
    if fname == "choice" and len(args) == 1 and isinstance(args[0], (list, tuple)):
        args = list(args[0])
    try:
        return factory(*args, **kwargs)
    except (TypeError, ValueError) as exc:
        raise _Bad(str(exc).replace("__init__() ", "").replace("<lambda>() ", ""), f"write {usage}") from None


def _colab_options(text: str) -> dict[str, Any]:
    js = re.sub(r"([{,]\s*)([A-Za-z_][\w-]*)\s*:", r'\1"\2":', text)
    js = re.sub(r"\btrue\b", "True", re.sub(r"\bfalse\b", "False", js))
    try:
        opts = ast.literal_eval(js)
    except (ValueError, SyntaxError):
        opts = None
    if not isinstance(opts, dict):
        raise _Bad(
            f"cannot read the Colab options `{text}`",
            'write them as {type:"slider", min:0, max:10, step:1} or a list ["a", "b"]',
        )
    return opts


def _parse_colab(rest: str, default: Value) -> Distribution | None:
    """A Colab form comment; None when it declares a fixed value (no range)."""
    rest = rest.strip()
    if rest.startswith("["):
        end = rest.find("]")
        try:
            values = ast.literal_eval(rest[: end + 1])
        except (ValueError, SyntaxError):
            raise _Bad(
                f"cannot read the Colab list `{rest}`", 'write a list of literals, e.g. ["rbf", "poly"]'
            ) from None
        return _build("choice", [values], {})
    if not rest:
        return None
    opts = _colab_options(rest)
    kind = opts.get("type", "")
    if kind == "slider":
        if "min" not in opts or "max" not in opts:
            raise _Bad("a Colab slider needs min and max", 'write {type:"slider", min:0, max:10, step:1}')
        lo, hi, step = opts["min"], opts["max"], opts.get("step", 1)
        if all(isinstance(v, int) and not isinstance(v, bool) for v in (lo, hi, step)):
            return _build("integer", [lo, hi], {"step": step})
        return _build("uniform", [lo, hi], {"step": step})
    if kind == "boolean":
        return _build("choice", [True, False], {})
    return None  # number, integer, string, date, raw: a fixed form field


def _refuse_surrogates(lines: list[str], line_offset: int) -> None:
    # A lone surrogate (surrogateescape output pasted in) makes ast.parse raise UnicodeEncodeError.
    for i, text in enumerate(lines, 1):
        bad = [c for c in text if "\ud800" <= c <= "\udfff"]
        if bad:
            shown = text.encode("utf-8", "backslashreplace").decode("utf-8")
            fix = "retype or delete that character; Python cannot compile it"
            raise AnnotationError([Problem(i + line_offset, shown, f"undecodable character {ascii(bad[0])}", fix)])


def parse_cell(source: str, line_offset: int = 0) -> CellTemplate:
    """Read the search space out of a cell's annotations.

    Parameters
    ----------
    source : str
        The cell body (without the ``%%tune`` line).
    line_offset : int
        Added to line numbers in messages and tracebacks (1 when a magic line
        sits above the body, so numbers match what the notebook shows).

    Raises
    ------
    AnnotationError
        Listing every malformed annotation with its line and a fix.
    SyntaxError
        When the cell is not valid Python.
    """
    lines = source.splitlines()
    _refuse_surrogates(lines, line_offset)
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        if exc.lineno is not None:
            exc.lineno += line_offset
        raise
    stmts = _statements(tree)
    problems: list[Problem] = []
    annotations: list[Annotation] = []
    fixed: dict[str, Value] = {}
    seen: dict[str, int] = {}

    for row, comment in _comments(source):
        tune, colab = _TUNE.match(comment), _COLAB.match(comment)
        if not (tune or colab):
            continue
        text = lines[row - 1]
        shown = row + line_offset
        try:
            name, default = _target(stmts.get(row, []), row)
            if tune:
                dist: Distribution | None = _parse_tune(tune.group("expr"))
            else:
                dist = _parse_colab(colab.group("rest"), default)  # type: ignore[union-attr]
            if dist is None:
                fixed[name] = default
                continue
            if not dist.contains(default):
                raise _Bad(
                    f"the default {default!r} lies outside {dist.describe()}",
                    "make the default one of the allowed values, or widen the range",
                )
            if name in seen:
                raise _Bad(
                    f"`{name}` is already tuned on cell line {seen[name]}",
                    "annotate each name once, or give this one another name",
                )
            seen[name] = shown
            annotations.append(Annotation(name, shown, text, dist, default, "tune" if tune else "colab"))
        except _Bad as bad:
            problems.append(Problem(shown, text, bad.message, bad.fix))
    resources = [a for a in annotations if isinstance(a.dist, sp.Resource)]
    if len(resources) > 1:
        problems.append(
            Problem(
                resources[1].line,
                resources[1].text,
                "a cell can name only one resource",
                "keep one resource(...) and derive the others from it in code",
            )
        )
    if problems:
        raise AnnotationError(problems)

    assigned, loaded = _names(tree)
    return CellTemplate(
        source=source,
        space=Space({a.name: a.dist for a in annotations}),
        defaults={a.name: a.default for a in annotations},
        annotations=annotations,
        fixed=fixed,
        uses_last_expression=bool(tree.body) and isinstance(tree.body[-1], ast.Expr),
        line_offset=line_offset,
        assigned=frozenset(assigned),
        loaded=frozenset(loaded),
    )


def _target(nodes: list[ast.stmt], row: int) -> tuple[str, Value]:
    if not nodes:
        raise _Bad(
            "this annotation is not on an assignment",
            "put it at the end of the assignment it tunes: `lr = 0.01  # tune: loguniform(1e-4, 1e-1)`",
        )
    node = nodes[-1]
    value_node: ast.expr | None
    if isinstance(node, ast.Assign):
        if len(node.targets) != 1 or not isinstance(node.targets[0], ast.Name):
            raise _Bad(
                "an annotation needs a simple assignment `NAME = default`, not "
                f"`{ast.unparse(node).split('=')[0].strip()} = ...`",
                "assign the tuned value to one plain name on its own line, then use that name",
            )
        name, value_node = node.targets[0].id, node.value
    elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
        name, value_node = node.target.id, node.value
    else:
        outer = next((n for n in nodes if n.lineno == row), node)
        kind = {
            "For": "for-loop",
            "If": "if",
            "While": "while-loop",
            "With": "with",
            "Expr": "bare expression",
            "AugAssign": "augmented assignment (+=)",
            "FunctionDef": "def",
        }.get(type(outer).__name__, type(outer).__name__.lower())
        raise _Bad(
            f"an annotation needs a simple assignment `NAME = default`, but this line is a {kind} statement",
            "move the annotation to a line of the form `NAME = default  # tune: ...`",
        )
    try:
        default = _literal(value_node)
    except (ValueError, TypeError, SyntaxError):
        raise _Bad(
            f"the default `{ast.unparse(value_node)}` is not a literal",
            'write the default as a plain value (e.g. 0.01, 3, "rbf", True); annotations are never executed',
        ) from None
    if default is not None and not isinstance(default, (int, float, str, bool)):
        raise _Bad(f"the default {default!r} is not a number, string, boolean or None", "tune one scalar per name")
    return name, default


def _names(tree: ast.AST) -> tuple[set[str], set[str]]:
    assigned: set[str] = set()
    loaded: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else assigned).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            assigned.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            assigned.update((a.asname or a.name).split(".")[0] for a in node.names)
    return assigned, loaded
