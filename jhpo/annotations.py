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
import itertools
import json
import math
import re
import tokenize
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import space as sp
from .errors import JhpoError
from .placement import Bad as _Bad
from .placement import Place, Scope, literal_default
from .space import Clause, Condition, Distribution, Space, Value
from .trial import _current

__all__ = ["Annotation", "AnnotationError", "CellTemplate", "parse_cell", "read", "start_reading"]

PARAMS = "__jhpo_params__"
#: Loops may multiply one annotation into at most this many parameters.
MAX_PER_ANNOTATION = 1000
RESULT = "__jhpo_value__"

_TUNE = re.compile(r"#\s*tune\s*(?:\[(?P<name>[^\]]*)\])?\s*:(?P<expr>.*)$")
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


class AnnotationError(JhpoError):
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
    """One ``# tune:`` (or Colab) comment and the parameters it makes.

    ``names`` lists them: ``[name]``, or one per loop iteration
    (``n_units[0]``, ``n_units[1]``, ...); ``conditions`` says when each is
    active (absent: always). ``pos`` locates the value it replaces in the cell.
    """

    name: str
    line: int
    text: str
    dist: Distribution
    default: Value
    source: str  # "tune" or "colab"
    kind: str = "assign"  # "assign", "entry" (a dict entry), "keyword" (a call's keyword argument)
    names: list[str] = field(default_factory=list)
    conditions: dict[str, Condition] = field(default_factory=dict)
    pos: tuple[int, int, int | None, int | None] = (0, 0, None, None)
    loop_vars: tuple[str, ...] = ()
    record: bool = False  # active only if the cell reads it: the read is recorded
    fallback: bool = False  # `# tune: ... if COND`: when inactive the cell gets the default


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
    notes: list[str] = field(default_factory=list)
    metrics: tuple[str, ...] = ()  # --metrics: variables stored with each trial beside the objective
    constraints: tuple[Clause, ...] = ()  # --constraint: what a feasible trial's metrics satisfy

    @property
    def written(self) -> dict[str, Value]:
        """Every parameter's default as the cell writes it, inactive ones included (``defaults``
        holds the baseline configuration: only what is active under the defaults)."""
        return {n: a.default for a in self.annotations for n in a.names}

    def tree(self, objective_name: str | None) -> ast.Module:
        tree = ast.parse(self.source)
        _Rewriter({a.pos: a for a in self.annotations}).visit(tree)
        if objective_name is None and tree.body and isinstance(tree.body[-1], ast.Expr):
            last = tree.body[-1]
            tree.body[-1] = ast.copy_location(
                ast.Assign(targets=[ast.Name(RESULT, ast.Store())], value=last.value), last
            )
        if any(a.record for a in self.annotations):
            # Start the record of what this trial reads (empty: it read none of them).
            at = next((i for i, n in enumerate(tree.body) if not _is_future(n)), len(tree.body))
            start = ast.Expr(ast.Call(ast.Attribute(_this_module(), "start_reading", ast.Load()), [], []))
            tree.body.insert(at, ast.copy_location(start, tree.body[at] if at < len(tree.body) else tree))
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

    def describe_space(self) -> list[str]:
        """The space as a tree, one line per parameter with its default and cell line."""
        line_of = {n: (a.default, a.line) for a in self.annotations for n in a.names}
        out = []
        for text in self.space.describe_tree():
            name = text.strip().split(" = ")[0]
            if name in line_of and not text.lstrip().startswith("if "):
                default, line = line_of[name]
                text = f"{text:<56} default {default!r}   (line {line})"
            out.append(text)
        return out


class _Rewriter(ast.NodeTransformer):
    """Replaces each annotated value with a read of the trial's parameter."""

    def __init__(self, at: dict[tuple[int, int, int | None, int | None], Annotation]) -> None:
        self.at = at

    def visit(self, node: ast.AST) -> Any:
        if isinstance(node, ast.expr):
            a = self.at.get((node.lineno, node.col_offset, node.end_lineno, node.end_col_offset))
            if a is not None:
                return ast.copy_location(_read(a, node), node)
        return super().visit(node)


def _key(a: Annotation) -> ast.expr:
    if not a.loop_vars:
        return ast.Constant(a.name)
    parts: list[ast.expr] = [ast.Constant(a.name + "[")]
    for i, var in enumerate(a.loop_vars):
        if i:
            parts.append(ast.Constant("]["))
        parts.append(ast.FormattedValue(ast.Name(var, ast.Load()), -1, None))
    parts.append(ast.Constant("]"))
    return ast.JoinedStr(parts)


def _is_future(node: ast.stmt) -> bool:
    return isinstance(node, ast.ImportFrom) and node.module == "__future__"


def _this_module() -> ast.expr:
    # Reached through __import__ so the template adds no name to the trial's namespace.
    return ast.Call(
        ast.Name("__import__", ast.Load()),
        [ast.Constant(__name__)],
        [ast.keyword("fromlist", ast.List([ast.Constant("read")], ast.Load()))],
    )


def _read(a: Annotation, default: ast.expr) -> ast.expr:
    params = ast.Name(PARAMS, ast.Load())
    extra = [default] if a.fallback else []
    if a.record:
        return ast.Call(ast.Attribute(_this_module(), "read", ast.Load()), [params, _key(a), *extra], [])
    if a.fallback:
        return ast.Call(ast.Attribute(params, "get", ast.Load()), [_key(a), *extra], [])
    return ast.Subscript(params, _key(a), ast.Load())


def start_reading() -> None:
    """Called first by a template with parameters known only from what ran: the record starts empty."""
    trial = _current.get()
    if trial is not None:
        trial.info["read"] = []


def read(params: dict[str, Value], key: str, *default: Value) -> Value:
    """The trial's value of ``key``, noting on the running trial that the cell read it.

    The template calls this for a parameter whose activity is known only from
    what ran (a branch on an untuned value, a function body); the study then
    keeps the parameters the cell read and stores the others as inactive.
    """
    trial = _current.get()
    if key in params:
        if trial is not None:
            seen = trial.info.setdefault("read", [])
            if key not in seen:
                seen.append(key)
        return params[key]
    if default:
        return default[0]
    raise KeyError(key)


def _comments(source: str) -> list[tuple[int, str]]:
    out = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                out.append((tok.start[0], tok.string))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass  # ast.parse reports the syntax error with a better message
    return out


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
        return ast.literal_eval(node)
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


def _split_condition(expr: str) -> tuple[str, str | None]:
    """``uniform(0, 1) if kernel == "rbf"`` -> the distribution and the condition (None: no `if`)."""
    depth = 0
    try:
        for tok in tokenize.generate_tokens(io.StringIO(expr).readline):
            if tok.type == tokenize.OP and tok.string in "([{":
                depth += 1
            elif tok.type == tokenize.OP and tok.string in ")]}":
                depth -= 1
            elif tok.type == tokenize.NAME and tok.string == "if" and depth == 0:
                col = tok.start[1]
                return expr[:col], expr[col + 2 :]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass  # _parse_tune reports the unreadable text
    return expr, None


def _trailing(scope: Scope, text: str, row: int) -> list[Clause]:
    """The clauses of a trailing ``if COND``; each must compare a tuned parameter assigned above."""
    fix = 'compare a parameter tuned above this line with literals, e.g. `# tune: uniform(0, 1) if kernel == "rbf"`'
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        raise _Bad(f"cannot read the condition `{text.strip()}`", fix) from None
    tests = node.values if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And) else [node]
    clauses = []
    for test in tests:
        clause = scope.clause(test, row)
        if clause is None:
            raise _Bad(f"the condition `{ast.unparse(test)}` does not compare a tuned parameter assigned above", fix)
        clauses.append(clause)
    return clauses


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or any(c in name for c in "[]'\"\n"):
        raise _Bad(f"`{name}` cannot name a parameter", "write a plain name in the brackets: `# tune[alpha_l1]: ...`")
    return name


def _note_or_error(dist: Distribution, default: Value, name: str, shown: int) -> str | None:
    """A default outside the domain runs as the baseline (a note); one of the wrong kind is an error."""
    if dist.contains(default):
        return None
    numeric = isinstance(default, (int, float)) and not isinstance(default, bool)
    if isinstance(dist, sp.Resource) or (not isinstance(dist, sp.Choice) and not numeric):
        raise _Bad(
            f"the default {default!r} lies outside {dist.describe()}",
            "make the default one of the allowed values, or widen the range",
        )
    return (
        f"cell line {shown}: the default {default!r} of `{name}` lies outside {dist.describe()}; "
        "the baseline trial runs it as written, the search explores the declared range"
    )


def _expand(place: Place, extra: list[Clause]) -> tuple[list[str], dict[str, Condition]]:
    """The parameter names an annotation makes (one per loop iteration) and when each is active."""
    if any(lp.most < 1 for lp in place.loops):
        raise _Bad("the loop around this annotation never runs (range of 0)", "loop at least once, or drop it")
    if math.prod(lp.most for lp in place.loops) > MAX_PER_ANNOTATION:
        raise _Bad(
            f"the loops around this annotation make more than {MAX_PER_ANNOTATION} parameters",
            "tune fewer iterations (a smaller range), or one value shared by all: move it above the loop",
        )
    names, conditions = [], {}
    for idx in itertools.product(*(range(lp.most) for lp in place.loops)):
        name = place.name + "".join(f"[{k}]" for k in idx)
        clauses = [*place.clauses, *extra]
        clauses += [Clause(lp.count, ">", k) for lp, k in zip(place.loops, idx) if lp.count and k >= lp.least]
        names.append(name)
        if clauses or place.runtime:
            conditions[name] = Condition(tuple(clauses), place.runtime)
    return names, conditions


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
    reader = _Reader(Scope(tree, line_offset), lines, line_offset)
    for row, comment in _comments(source):
        reader.read(row, comment)
    reader.check_resources()
    if reader.problems:
        raise AnnotationError(reader.problems)
    annotations = reader.annotations
    space = Space(
        {n: a.dist for a in annotations for n in a.names},
        {n: c for a in annotations for n, c in a.conditions.items()},
    )
    assigned, loaded = _names(tree)
    return CellTemplate(
        source=source,
        space=space,
        defaults=space.prune({n: a.default for a in annotations for n in a.names}),
        annotations=annotations,
        fixed=reader.fixed,
        uses_last_expression=bool(tree.body) and isinstance(tree.body[-1], ast.Expr),
        line_offset=line_offset,
        assigned=frozenset(assigned),
        loaded=frozenset(loaded),
        notes=reader.notes,
    )


@dataclass
class _Reader:
    """What :func:`parse_cell` has read so far: every annotation, or the problems with them."""

    scope: Scope
    lines: list[str]
    line_offset: int
    annotations: list[Annotation] = field(default_factory=list)
    fixed: dict[str, Value] = field(default_factory=dict)  # Colab parameters without a range
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    seen: dict[str, tuple[int, str]] = field(default_factory=dict)  # name -> (line, kind of place)

    def read(self, row: int, comment: str) -> None:
        """Read the comment on cell row ``row``, if it is an annotation; a mistake becomes a problem."""
        tune, colab = _TUNE.match(comment), _COLAB.match(comment)
        if not (tune or colab):
            return
        try:
            self._read(row, tune, colab)
        except _Bad as bad:
            self.problems.append(Problem(row + self.line_offset, self.lines[row - 1], bad.message, bad.fix))

    def _read(self, row: int, tune: re.Match[str] | None, colab: re.Match[str] | None) -> None:
        scope, shown = self.scope, row + self.line_offset
        explicit = tune.group("name") if tune else None
        place = scope.place(row, _check_name(explicit) if explicit is not None else None)
        default = literal_default(place.default_node)
        cond_text = None
        if tune:
            dist_text, cond_text = _split_condition(tune.group("expr"))
            dist: Distribution | None = _parse_tune(dist_text)
        else:
            dist = _parse_colab(colab.group("rest"), default)  # type: ignore[union-attr]
        if dist is None:
            self.fixed[place.name] = default
            return
        scope.context(place)
        extra = _trailing(scope, cond_text, row) if cond_text is not None else []
        if isinstance(dist, sp.Resource) and (place.loops or place.clauses or extra or place.runtime):
            raise _Bad(
                "a resource(...) cannot sit in a loop, a branch or a function",
                "assign the resource once at the top of the cell",
            )
        note = _note_or_error(dist, default, place.name, shown)
        names, conditions = _expand(place, extra)
        self._claim(names, place, shown)
        if note:
            self.notes.append(note)
        a = Annotation(place.name, shown, self.lines[row - 1], dist, default, "tune" if tune else "colab", place.kind)
        a.names, a.conditions, a.pos = names, conditions, place.pos
        a.loop_vars = tuple(lp.var for lp in place.loops)
        a.record, a.fallback = place.runtime, bool(extra)
        # A test may compare this name (a budget is handed out by schedulers, not a branch condition).
        if place.var is not None and not (place.loops or place.runtime or extra or isinstance(dist, sp.Resource)):
            scope.tuned[place.var] = (dist, row, place.name)
        self.annotations.append(a)

    def _claim(self, names: list[str], place: Place, shown: int) -> None:
        """Each parameter name is tuned once."""
        for name in names:
            if name in self.seen:
                raise _Bad(
                    f"`{name}` is already tuned on cell line {self.seen[name][0]}",
                    "annotate each name once, or give this one another name"
                    + ("" if place.kind == "assign" and self.seen[name][1] == "assign" else ": `# tune[other]: ...`"),
                )
        for name in names:
            self.seen[name] = (shown, place.kind)

    def check_resources(self) -> None:
        resources = [a for a in self.annotations if isinstance(a.dist, sp.Resource)]
        if len(resources) > 1:
            self.problems.append(
                Problem(
                    resources[1].line,
                    resources[1].text,
                    "a cell can name only one resource",
                    "keep one resource(...) and derive the others from it in code",
                )
            )


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
