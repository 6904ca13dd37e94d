"""Table-driven tests of the annotation language: every valid form, every malformed one."""

from __future__ import annotations

import pytest

import jhpo
from jhpo.annotations import AnnotationError, parse_cell
from jhpo.space import Choice, Float, Int, Resource

VALID = [
    ("x = 0.5  # tune: uniform(0, 1)", Float(0, 1), 0.5),
    ("x = 0.5  # tune: uniform(0, 1, step=0.25)", Float(0, 1, False, 0.25), 0.5),
    ("lr = 0.01  # tune: loguniform(1e-4, 1e-1)", Float(1e-4, 1e-1, True), 0.01),
    ("n = 3  # tune: integer(1, 10)", Int(1, 10), 3),
    ("n = 64  # tune: integer(8, 512, log=True)", Int(8, 512, True), 64),
    ("n = 32  # tune: integer(16, 256, step=16)", Int(16, 256, False, 16), 32),
    ("k = 'rbf'  # tune: choice('rbf', 'poly', 'sigmoid')", Choice(("rbf", "poly", "sigmoid")), "rbf"),
    ("k = None  # tune: choice(None, 1, 2.5, True, 'a')", Choice((None, 1, 2.5, True, "a")), None),
    ("k = 'a'  # tune: ['a', 'b', 'c']", Choice(("a", "b", "c")), "a"),
    ("d = -1  # tune: [-1, 0, 1]", Choice((-1, 0, 1)), -1),
    ("epochs = 81  # tune: resource(1, 81)", Resource(1, 81), 81),
    ("frac = 1.0  # tune: resource(0.05, 1.0)", Resource(0.05, 1.0), 1.0),
    ("x: float = 0.5  # tune: uniform(0, 1)", Float(0, 1), 0.5),
    ("x = 0.5  #tune:uniform(0,1)", Float(0, 1), 0.5),
    ('n = 3  # @param {type:"slider", min:1, max:10, step:1}', Int(1, 10), 3),
    ('x = 0.5  # @param {type:"slider", min:0, max:1, step:0.1}', Float(0, 1, False, 0.1), 0.5),
    ('k = "a"  # @param ["a", "b"]', Choice(("a", "b")), "a"),
    ('k = "a"  # @param ["a", "b"] {allow-input: true}', Choice(("a", "b")), "a"),
    ('flag = True  # @param {type:"boolean"}', Choice((True, False)), True),
]


@pytest.mark.parametrize("line, dist, default", VALID, ids=[v[0].split("#")[1].strip() for v in VALID])
def test_valid_forms(line: str, dist: object, default: object) -> None:
    t = parse_cell("import math\n" + line + "\nscore = 1\n")
    (a,) = t.annotations
    assert a.dist == dist
    assert t.defaults[a.name] == default and type(t.defaults[a.name]) is type(default)
    assert a.line == 2


def test_colab_fields_without_a_range_stay_fixed() -> None:
    t = parse_cell('n = 5  # @param {type:"number"}\ns = "x"  # @param {type:"string"}\nk = 2  # tune: integer(1, 3)\n')
    assert t.space.names == ["k"]
    assert t.fixed == {"n": 5, "s": "x"}


INVALID = [
    ("lr = 0.1  # tune: logunform(1e-4, 1)", "unknown distribution `logunform`", "did you mean loguniform"),
    ("x = 0.5  # tune: uniform(1, 0)", "`low < high` must hold", "uniform(lo, hi)"),
    ("x = 0.5  # tune: uniform(1, 1)", "`low < high` must hold", "uniform(lo, hi)"),
    ("lr = 0.1  # tune: loguniform(0, 1)", "log scale needs positive bounds", "0 < lo < hi"),
    ("n = 4  # tune: integer(0, 10, log=True)", "log scale needs positive bounds", "integer(lo, hi"),
    ("n = 'many'  # tune: integer(1, 10)", "default 'many' lies outside integer(1, 10)", "widen the range"),
    ("e = 100  # tune: resource(1, 81)", "default 100 lies outside", "allowed values"),
    ("for i in range(3): pass  # tune: uniform(0, 1)", "for-loop", "NAME = default"),
    ("a, b = 1, 2  # tune: integer(0, 3)", "simple assignment", "one plain name"),
    ("obj.x = 1  # tune: integer(0, 3)", "simple assignment", "one plain name"),
    ("a = b = 1  # tune: integer(0, 3)", "simple assignment", "one plain name"),
    ("a += 1  # tune: integer(0, 3)", "augmented assignment", "NAME = default"),
    ("# tune: uniform(0, 1)", "not on an assignment", "put it at the end"),
    ('a = 1  # @param {type:"slider", min:0 max:3}', "cannot read the Colab options", 'type:"slider"'),
    ('a = 1  # @param {type:"slider", max:3}', "needs min and max", 'type:"slider"'),
    ("a = 'x'  # tune: choice('x', y)", "literal values only, but got `y`", "never executed"),
    ("a = 1  # tune: integer(0.5, 3)", "whole numbers", "integer(lo, hi)"),
    ("a = 1.0  # tune: uniform(0, 3, log=True)", "takes no option `log`", "uniform(lo, hi)"),
    ("a = 1.0  # tune: uniform(0, 3) +", "cannot read", "uniform(lo, hi)"),
    ("a = 1.0  # tune:", "empty", "tune: uniform(0, 1)"),
    ("a = 1.0  # tune: 3", "not a distribution", "uniform(lo, hi)"),
    ("a = f(2)  # tune: uniform(0, 3)", "default `f(2)` is not a literal", "plain value"),
    ("a = 1  # tune: choice()", "at least one value", "choice"),
    ("a = 1  # tune: choice(1, 1)", "lists a value twice", "choice"),
    ("e = 5  # tune: resource(0, 10)", "0 < lo < hi", "resource(1, 81)"),
]


@pytest.mark.parametrize("line, message, fix", INVALID, ids=[v[1][:40] for v in INVALID])
def test_malformed_forms_name_line_and_fix(line: str, message: str, fix: str) -> None:
    cell = "import math\nscore = 1\n" + line + "\nprint(score)\n"
    with pytest.raises(AnnotationError) as info:
        parse_cell(cell, line_offset=1)
    (p,) = info.value.problems
    assert p.line == 4  # line 3 of the body + the %%tune line
    assert message in p.message
    assert fix in p.fix
    text = str(info.value)
    assert "cell line 4:" in text and line.strip() in text


def test_default_outside_the_domain_is_the_baseline_with_a_note() -> None:
    # issue 15: the user's own default always runs (it used to be refused)
    t = parse_cell("n = 50  # tune: integer(1, 10)\nk = 'z'  # tune: ['a', 'b']\nx = 0.5  # tune: uniform(0, 1)\n", 1)
    assert t.defaults == {"n": 50, "k": "z", "x": 0.5}
    assert t.space.names == ["n", "k", "x"]
    assert [n.split(":")[0] for n in t.notes] == ["cell line 2", "cell line 3"]
    assert "the default 50 of `n` lies outside integer(1, 10)" in t.notes[0]


def test_duplicate_name_and_every_mistake_reported_at_once() -> None:
    cell = "a = 1  # tune: integer(0, 3)\nb = 0.1  # tune: loguniform(0, 1)\na = 2  # tune: integer(0, 3)\n"
    with pytest.raises(AnnotationError) as info:
        parse_cell(cell)
    assert [p.line for p in info.value.problems] == [2, 3]
    assert "already tuned on cell line 1" in info.value.problems[1].message


def test_two_resources_are_refused() -> None:
    with pytest.raises(AnnotationError, match="only one resource"):
        parse_cell("e = 9  # tune: resource(1, 9)\nf = 1.0  # tune: resource(0.1, 1.0)\n")


def test_annotation_text_is_never_executed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    marker = tmp_path / "ran"
    cell = f"a = 1  # tune: choice(__import__('pathlib').Path({str(marker)!r}).touch())\n"
    with pytest.raises(AnnotationError):
        parse_cell(cell)
    assert not marker.exists()


def test_template_rewrites_only_annotated_assignments_and_keeps_lines() -> None:
    import ast

    t = parse_cell("x = 0.5  # tune: uniform(0, 1)\ny = 2\nx * y\n", line_offset=1)
    tree = t.tree(objective_name=None)
    code = ast.unparse(tree)
    assert "x = __jhpo_params__['x']" in code and "y = 2" in code
    assert "__jhpo_value__ = x * y" in code
    assert tree.body[2].lineno == 4
    assert t.uses_last_expression
    assert {"x", "y"} <= t.assigned


def test_syntax_error_keeps_cell_line() -> None:
    with pytest.raises(SyntaxError) as info:
        parse_cell("a = 1\nb = (\n", line_offset=1)
    assert info.value.lineno is not None and info.value.lineno >= 2


def test_public_factories_match_annotations() -> None:
    t = parse_cell("lr = 0.01  # tune: loguniform(1e-4, 1e-1)\n")
    assert t.space == jhpo.Space({"lr": jhpo.loguniform(1e-4, 1e-1)})


def test_loop_template_reads_one_parameter_per_iteration() -> None:
    import ast

    t = parse_cell("n = 2  # tune: integer(1, 3)\nfor i in range(n):\n    u = 8  # tune: integer(4, 64)\n", 1)
    assert t.space.names == ["n", "u[0]", "u[1]", "u[2]"]
    assert t.space.conditions["u[1]"].describe() == "n > 1"
    assert "u[0]" not in t.space.conditions  # integer(1, 3): the first iteration always runs
    assert "u = __jhpo_params__[f'u[{i}]']" in ast.unparse(t.tree("x"))
    assert t.defaults == {"n": 2, "u[0]": 8, "u[1]": 8}


def test_branch_clauses_elif_else_and_nesting() -> None:
    cell = (
        "m = 'a'  # tune: ['a', 'b', 'c']\n"
        "flag = True  # tune: [True, False]\n"
        "if m == 'a':\n"
        "    x = 1.0  # tune: uniform(0, 2)\n"
        "    if flag:\n"
        "        y = 1  # tune: integer(0, 3)\n"
        "elif m in ('b',) and flag:\n"
        "    z = 1  # tune: integer(0, 3)\n"
        "else:\n"
        "    w = 1  # tune: integer(0, 3)\n"
        "    if unknown(m):\n"
        "        v = 1  # tune: integer(0, 3)\n"
    )
    t = parse_cell(cell)
    c = {n: t.space.conditions[n].describe() for n in t.space.conditions}
    assert c["x"] == "m == 'a'" and c["y"] == "m == 'a' and flag"
    assert c["z"] == "m in ['b', 'c'] and m in ['b'] and flag"
    assert "w" not in t.space.conditions or t.space.conditions["w"].runtime  # else of an and-test: from what ran
    assert t.space.conditions["v"].runtime
    assert t.space.prune({"m": "a", "flag": False, "x": 1.0, "y": 2, "z": 1}) == {"m": "a", "flag": False, "x": 1.0}


def test_tune_name_renames_and_dict_entries_rewrite_in_place() -> None:
    import ast

    cell = 'p = {\n    "a": 1.0,  # tune: uniform(0, 2)\n    "b": 2,  # tune[bee]: integer(0, 3)\n}\n'
    t = parse_cell(cell)
    assert t.space.names == ["a", "bee"] and [a.kind for a in t.annotations] == ["entry", "entry"]
    code = ast.unparse(t.tree("p"))
    assert "p = {'a': __jhpo_params__['a'], 'b': __jhpo_params__['bee']}" in code


def test_a_one_line_call_says_how_to_tune_its_arguments() -> None:
    with pytest.raises(AnnotationError) as info:
        parse_cell("model = SVC(C=1.0, kernel='rbf')  # tune: loguniform(0.1, 10)\n")
    (p,) = info.value.problems
    assert "is a call, not a literal" in p.message and "SVC(\n    C=1.0,  # tune: ...\n)" in p.fix


def test_a_branch_on_the_resource_is_recorded_from_what_ran() -> None:
    t = parse_cell("epochs = 9  # tune: resource(1, 9)\nif epochs > 3:\n    lr = 0.1  # tune: uniform(0, 1)\n")
    assert t.space.conditions["lr"].runtime and not t.space.conditions["lr"].clauses
    assert t.space.searched.names == ["lr"]
