"""Where an annotation lives in the cell: its target, the loops around it, the branches it is in.

``annotations.py`` reads *what* an annotation says (the distribution); this module
reads *where* it is, from the cell's ``ast`` alone (nothing is executed):

- the target: a simple assignment ``NAME = default``, a ``"key": value,`` entry of
  a multi-line dict literal, or a ``keyword=value,`` argument of a multi-line call;
- the ``for i in range(N)`` loops around it, which make one parameter per
  iteration (``n_units[0]``, ``n_units[1]``, ...), active while ``N`` reaches them;
- the ``if``/``elif``/``else`` branches around it, turned into clauses on tuned
  parameters when the test compares one (``if classifier == "SVC":``), or into a
  condition recorded from what ran otherwise.

Anything that cannot be honoured (a ``while`` loop, a loop over data, a loop
whose length is not known before the trial) raises ``Bad`` with the fix.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .space import Choice, Clause, Distribution, Int, Value

__all__ = ["Bad", "Loop", "Place", "Scope"]


class Bad(Exception):
    """A malformed annotation: ``message`` says what is wrong, ``fix`` what would be right."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.message, self.fix = message, fix


_LOOP_FIX = (
    "loop with `for i in range(N)`, N a literal or a tuned integer (`n_layers = 2  # tune: integer(1, 4)`), "
    "to tune one value per iteration; or move the annotation above the loop to tune one value shared by all"
)


@dataclass(frozen=True)
class Loop:
    """A ``for VAR in range(N)`` loop around an annotation.

    ``count`` is the tuned parameter N names (None: a fixed number), ``most`` the
    largest number of iterations, ``least`` the number that always run.
    """

    var: str
    most: int
    least: int
    count: str | None
    line: int
    runtime: bool  # a break/continue may skip iterations: activity is recorded from what ran


@dataclass
class Place:
    """Where one annotation sits: its parameter name, default, the node its value replaces."""

    name: str
    default_node: ast.expr
    kind: str  # "assign", "entry" (dict), "keyword" (call)
    var: str | None = None  # the assigned name, for "assign"
    loops: list[Loop] = field(default_factory=list)
    clauses: list[Clause] = field(default_factory=list)
    runtime: bool = False
    branch_line: int | None = None

    @property
    def pos(self) -> tuple[int, int, int | None, int | None]:
        n = self.default_node
        return (n.lineno, n.col_offset, n.end_lineno, n.end_col_offset)


_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def _pos(node: ast.AST) -> tuple[int, int, int | None, int | None]:
    return (node.lineno, node.col_offset, node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]


class Scope:
    """The cell's tree, indexed for the questions annotations ask."""

    def __init__(self, tree: ast.Module, line_offset: int = 0) -> None:
        self.tree = tree
        self.offset = line_offset  # messages name the lines the notebook shows
        self.parent: dict[ast.AST, ast.AST] = {}
        self.stores: dict[str, list[ast.AST]] = {}
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                self.parent[child] = node
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                self.stores.setdefault(node.id, []).append(node)
        self.by_end: dict[int, list[ast.stmt]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.stmt) and node.end_lineno is not None:
                self.by_end.setdefault(node.end_lineno, []).append(node)
        for nodes in self.by_end.values():
            nodes.sort(key=lambda n: (n.lineno, n.col_offset))
        #: tuned names a test may compare: variable -> (distribution, cell row, parameter name);
        #: filled in as annotations are read
        self.tuned: dict[str, tuple[Distribution, int, str]] = {}

    # -- the target ----------------------------------------------------------------

    def place(self, row: int, explicit: str | None) -> Place:
        """The annotated target on cell line ``row`` (``explicit``: a ``# tune[name]:`` name)."""
        entry = self._entry(row, explicit)
        if entry is not None:
            return entry
        name, value = _assignment(self.by_end.get(row, []), row)
        return Place(explicit or name, value, "assign", var=name)

    def _entry(self, row: int, explicit: str | None) -> Place | None:
        """A dict entry or keyword argument whose value ends on ``row`` of a multi-line literal or call."""
        stmts = self.by_end.get(row, [])
        if stmts and stmts[-1].lineno == row and isinstance(stmts[-1], (ast.Assign, ast.AnnAssign)):
            return None  # a one-line assignment: the annotation tunes its name
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Dict) and node.lineno != node.end_lineno:
                for key, value in zip(node.keys, node.values):
                    if value.end_lineno == row and (key is None or key.lineno == value.lineno):
                        return Place(_entry_name(key, explicit, row), value, "entry")
            elif isinstance(node, ast.Call) and node.lineno != node.end_lineno:
                for kw in node.keywords:
                    if kw.value.end_lineno == row and kw.lineno == kw.value.lineno:
                        if kw.arg is None:
                            raise Bad(
                                "a `**mapping` argument cannot be tuned",
                                "put the annotation on a `keyword=value,` line, or on an entry of the mapping",
                            )
                        return Place(explicit or kw.arg, kw.value, "keyword")
                for arg in node.args:
                    if arg.end_lineno == row and arg.lineno == row:
                        raise Bad(
                            "a positional argument cannot be tuned",
                            "pass it as `keyword=value,` on its own line, or assign it to a name first",
                        )
        return None

    # -- loops and branches ----------------------------------------------------------

    def ancestors(self, node: ast.AST) -> Iterator[tuple[ast.AST, ast.AST]]:
        """(ancestor, the child of it on the way to ``node``), innermost first."""
        child = node
        while child in self.parent:
            up = self.parent[child]
            yield up, child
            child = up

    def context(self, place: Place) -> None:
        """Fill in the loops and branch clauses around ``place`` (outermost first)."""
        chain = list(self.ancestors(place.default_node))
        # A function may be called any number of times, or never: what it reads is recorded when it runs.
        in_function = any(isinstance(up, _FUNCTIONS) for up, _ in chain)
        place.runtime = in_function
        for up, child in chain:
            if isinstance(up, (ast.While, ast.AsyncFor)) or (isinstance(up, ast.For) and child in up.body):
                if in_function or not isinstance(up, ast.For):
                    raise Bad(_loop_message(up, self.offset), _LOOP_FIX)
                place.loops.insert(0, self._loop(up))
            elif isinstance(up, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
                raise Bad("an annotation inside a comprehension would be one value shared by every item", _LOOP_FIX)
            elif isinstance(up, ast.If) and not in_function:
                got = self._branch(up, child in up.body)
                if got is None:
                    place.runtime = True
                else:
                    place.clauses[:0] = got
                place.branch_line = up.lineno
            elif isinstance(up, (ast.ExceptHandler, ast.match_case, ast.IfExp, ast.BoolOp)):
                place.runtime = True
        place.runtime = place.runtime or any(lp.runtime for lp in place.loops)

    def _loop(self, node: ast.For) -> Loop:
        it = node.iter
        ok = (
            isinstance(node.target, ast.Name)
            and isinstance(it, ast.Call)
            and isinstance(it.func, ast.Name)
            and it.func.id == "range"
            and not it.keywords
            and (len(it.args) == 1 or (len(it.args) == 2 and _is_zero(it.args[0])))
        )
        if not ok:
            raise Bad(_loop_message(node, self.offset), _LOOP_FIX)
        assert isinstance(node.target, ast.Name) and isinstance(it, ast.Call)
        var = node.target.id
        if any(self._inside(s, node) for s in self.stores.get(var, []) if s is not node.target):
            raise Bad(
                f"the loop on cell line {node.lineno + self.offset} assigns its counter `{var}` inside its body",
                f"keep `{var}` as the loop's counter only, so that iteration k reads parameter [k]",
            )
        most, least, count = self._bound(it.args[-1], node.lineno)
        jumps = any(isinstance(n, (ast.Break, ast.Continue)) for n in _walk_loop_body(node))
        return Loop(var, most, least, count, node.lineno, jumps)

    def _bound(self, node: ast.expr, line: int) -> tuple[int, int, str | None]:
        if isinstance(node, ast.Constant) and type(node.value) is int:
            return node.value, node.value, None
        if isinstance(node, ast.Name):
            tuned = self.tuned.get(node.id)
            if tuned is not None and tuned[1] < line and self.assigned_once(node.id):
                dist = tuned[0]
                if isinstance(dist, Int):
                    return dist.high, dist.low, tuned[2]
                if isinstance(dist, Choice) and all(type(c) is int for c in dist.choices):
                    return max(dist.choices), min(dist.choices), tuned[2]  # type: ignore[type-var,return-value]
            fixed = self._int_constant(node.id)
            if fixed is not None:
                return fixed, fixed, None
        raise Bad(
            f"the loop on cell line {line + self.offset} runs `range({ast.unparse(node)})` times, "
            "which is not known before the trial",
            _LOOP_FIX,
        )

    def _int_constant(self, name: str) -> int | None:
        stores = self.stores.get(name, [])
        if len(stores) != 1:
            return None
        up = self.parent.get(stores[0])
        if isinstance(up, ast.Assign) and self.parent.get(up) is self.tree and len(up.targets) == 1:
            if isinstance(up.value, ast.Constant) and type(up.value.value) is int:
                return up.value.value
        return None

    def assigned_once(self, name: str) -> bool:
        return len(self.stores.get(name, [])) == 1

    def _inside(self, node: ast.AST, outer: ast.AST) -> bool:
        return any(up is outer for up, _ in self.ancestors(node))

    def _branch(self, node: ast.If, body: bool) -> list[Clause] | None:
        """The clauses under which this branch runs, or None when they depend on more than tuned values."""
        tests = (
            node.test.values if isinstance(node.test, ast.BoolOp) and isinstance(node.test.op, ast.And) else [node.test]
        )
        clauses = [self.clause(t, node.lineno) for t in tests]
        if any(c is None for c in clauses):
            return None
        known = [c for c in clauses if c is not None]
        if body:
            return known
        return [self._plain(known[0].negated())] if len(known) == 1 else None

    def _plain(self, clause: Clause) -> Clause:
        """An ``else`` of a test on a choice, as the choices it leaves (``k == 'rf'``, not ``k != 'svc'``)."""
        dist = next((d for d, _, p in self.tuned.values() if p == clause.param), None)
        if not isinstance(dist, Choice) or clause.op not in ("!=", "not in"):
            return clause
        out = clause.value if clause.op == "not in" else (clause.value,)
        left = tuple(c for c in dist.choices if not Clause(clause.param, "in", out).holds(c))
        if not left:
            return clause
        return Clause(clause.param, "==", left[0]) if len(left) == 1 else Clause(clause.param, "in", left)

    def clause(self, test: ast.expr, line: int) -> Clause | None:
        """``test`` as a clause on a tuned parameter assigned once before ``line``, or None."""
        name, op, value = _comparison(test)
        if name is None or op is None:
            return None
        tuned = self.tuned.get(name)
        if tuned is None or tuned[1] >= line or not self.assigned_once(name):
            return None
        dist = tuned[0]
        if isinstance(dist, Choice) and op in ("==", "in"):
            wanted = value if op == "in" else (value,)
            missing = [v for v in wanted if not dist.contains(v)]
            if missing:
                raise Bad(
                    f"the test `{ast.unparse(test)}` on cell line {line + self.offset} compares `{name}` with "
                    f"{missing[0]!r}, which is not among its choices {list(dist.choices)!r}, "
                    "so the branch would never run in a trial",
                    f"compare `{name}` with one of {list(dist.choices)!r}, or add the value to its choices",
                )
        return Clause(tuned[2], op, value)


def _comparison(test: ast.expr) -> tuple[str | None, str | None, Any]:
    if isinstance(test, ast.Name):
        return test.id, "truthy", True
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and isinstance(test.operand, ast.Name):
        return test.operand.id, "truthy", False
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return None, None, None
    ops = {ast.Eq: "==", ast.NotEq: "!=", ast.In: "in", ast.NotIn: "not in", ast.Lt: "<", ast.LtE: "<="}
    ops.update({ast.Gt: ">", ast.GtE: ">=", ast.Is: "==", ast.IsNot: "!="})
    op = ops.get(type(test.ops[0]))
    left, right = test.left, test.comparators[0]
    flip = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
    if not isinstance(left, ast.Name) and isinstance(right, ast.Name) and op in flip:
        left, right, op = right, left, flip[op]  # "SVC" == classifier
    if op is None or not isinstance(left, ast.Name):
        return None, None, None
    try:
        value = ast.literal_eval(right)
    except (ValueError, TypeError, SyntaxError):
        return None, None, None
    if op in ("in", "not in") and not isinstance(value, (tuple, list, set, frozenset)):
        return None, None, None
    return left.id, op, value


def _is_zero(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int and node.value == 0


def _walk_loop_body(loop: ast.For) -> Iterator[ast.AST]:
    """The loop's body, without nested loops and functions (their break/continue are their own)."""
    stack: list[ast.AST] = list(loop.body)
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.For, ast.While, ast.AsyncFor, ast.FunctionDef, ast.AsyncFunctionDef)):
            stack.extend(ast.iter_child_nodes(node))


def _loop_message(node: ast.AST, offset: int) -> str:
    if isinstance(node, ast.While):
        head = "a while-loop"
    elif isinstance(node, ast.For) and isinstance(node.iter, ast.Call) and ast.unparse(node.iter.func) == "range":
        head = f"a for-loop over `{ast.unparse(node.iter)}`"
    elif isinstance(node, (ast.For, ast.AsyncFor)):
        head = f"a for-loop over `{ast.unparse(node.iter)}`"
    else:
        head = "a loop"
    line = getattr(node, "lineno", 0) + offset
    return (
        f"this annotation is inside {head} (cell line {line}), whose number of iterations is not known "
        "before the trial, so it cannot make one parameter per iteration (and one value silently shared "
        "by every iteration is not what the loop says)"
    )


def _entry_name(key: ast.expr | None, explicit: str | None, row: int) -> str:
    if explicit:
        return explicit
    if isinstance(key, ast.Constant) and isinstance(key.value, str) and key.value:
        return key.value
    shown = "**mapping" if key is None else ast.unparse(key)
    raise Bad(
        f"the dict entry's key `{shown}` is not a string, so it cannot name the parameter",
        "name the parameter in the annotation: `# tune[name]: uniform(0, 1)`",
    )


def _assignment(nodes: list[ast.stmt], row: int) -> tuple[str, ast.expr]:
    if not nodes:
        raise Bad(
            "this annotation is not on an assignment",
            "put it at the end of the assignment it tunes: `lr = 0.01  # tune: loguniform(1e-4, 1e-1)`",
        )
    node = nodes[-1]
    if isinstance(node, ast.Assign):
        if len(node.targets) != 1 or not isinstance(node.targets[0], ast.Name):
            raise Bad(
                "an annotation needs a simple assignment `NAME = default`, not "
                f"`{ast.unparse(node).split('=')[0].strip()} = ...`",
                "assign the tuned value to one plain name on its own line, then use that name",
            )
        return node.targets[0].id, node.value
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
        return node.target.id, node.value
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
    raise Bad(
        f"an annotation needs a simple assignment `NAME = default`, but this line is a {kind} statement",
        "move the annotation to a line of the form `NAME = default  # tune: ...`",
    )


def literal_default(node: ast.expr) -> Value:
    """The default written in the cell, which must be a scalar literal."""
    try:
        default = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError):
        if isinstance(node, ast.Call) and node.keywords and node.lineno == node.end_lineno:
            kw = next((k for k in node.keywords if k.arg is not None), None)
            example = f"{kw.arg}={ast.unparse(kw.value)}," if kw is not None else "keyword=value,"
            raise Bad(
                f"the default `{ast.unparse(node)}` is a call, not a literal",
                f"to tune one of its arguments, spread the call over lines and annotate that argument's "
                f"line: `{ast.unparse(node.func)}(\n    {example}  # tune: ...\n)`",
            ) from None
        raise Bad(
            f"the default `{ast.unparse(node)}` is not a literal",
            'write the default as a plain value (e.g. 0.01, 3, "rbf", True); annotations are never executed',
        ) from None
    if default is not None and not isinstance(default, (int, float, str, bool)):
        raise Bad(f"the default {default!r} is not a number, string, boolean or None", "tune one scalar per name")
    return default
