"""No function in jhpo/ is longer than a reader takes in at once (issue 17: at most 60 lines)."""

from __future__ import annotations

import ast
from pathlib import Path

import jhpo

LIMIT = 60
PACKAGE = Path(jhpo.__file__).parent


def long_functions(root: Path, limit: int = LIMIT) -> list[str]:
    """``path:line name (n lines)`` for every function or method in ``root`` longer than ``limit``,
    counted from its ``def`` line to its last line (decorators left out, docstring included)."""
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > limit:
                    found.append(f"{path.relative_to(root.parent)}:{node.lineno} {node.name} ({length} lines)")
    return found


def test_the_counter_sees_a_long_function(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(LIMIT))
    (tmp_path / "m.py").write_text(f"def short():\n    return 1\n\n\ndef long():\n{body}\n")
    assert long_functions(tmp_path) == [f"{tmp_path.name}/m.py:5 long ({LIMIT + 1} lines)"]


def test_no_function_in_jhpo_is_over_60_lines() -> None:
    assert long_functions(PACKAGE) == []
