"""Property-based tests (hypothesis) of the annotation parser and the storage round trip.

The quick loop runs a few hundred generated inputs; the ``slow`` run over 10,000 in all
(each slow test checks how many it really ran).
"""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jhpo
from jhpo._records import trial_from_row
from jhpo.annotations import AnnotationError, parse_cell
from jhpo.capture import clean_text
from jhpo.storage import SQLiteStorage
from jhpo.trial import Trial, TrialState

QUICK, SLOW = 100, 3_600  # per property: 3,600 + 1,800 + 3,600 + 1,200 = 10,200 in the slow run


def _run(prop: Callable[..., None], strategy: st.SearchStrategy[Any], n: int) -> int:
    """Run ``prop`` on ``n`` generated inputs; return how many it saw."""
    seen = [0]

    @settings(max_examples=n, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def check(value: Any) -> None:
        seen[0] += 1
        prop(value)

    check()
    return seen[0]


# -- the annotation parser -------------------------------------------------------------

_literal = st.one_of(
    st.integers(min_value=-(10**500), max_value=10**500),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.booleans(),
    st.none(),
).map(repr)
_arg = st.one_of(_literal, _literal.map(lambda a: f"step={a}"), _literal.map(lambda a: f"log={a}"), st.text(max_size=6))
_expr = st.one_of(
    st.builds(
        lambda name, args: f"{name}({', '.join(args)})",
        st.sampled_from(["uniform", "loguniform", "integer", "choice", "resource", "normal", ""]),
        st.lists(_arg, max_size=4),
    ),
    st.lists(_literal, max_size=4).map(lambda xs: f"[{', '.join(xs)}]"),
    st.text(max_size=30),
)
_cell = st.builds(
    lambda default, expr, before, after: f"{before}\nx = {default}  # tune: {expr}\n{after}",
    _literal,
    _expr,
    st.sampled_from(["", "import math", "y = 2  # tune: integer(1, 3)", "if True:\n    pass"]),
    st.one_of(st.sampled_from(["", "score = x", "print(x)"]), st.text(max_size=20)),
)


def _parses_or_names_the_line(source: str) -> None:
    try:
        parse_cell(source)
    except AnnotationError as exc:
        assert exc.problems and all(p.line >= 1 for p in exc.problems)
    except SyntaxError:
        pass  # not Python: IPython shows the syntax error as for any cell


_dist = st.one_of(
    st.builds(
        lambda lo, width: jhpo.uniform(lo, lo + width),
        st.floats(-1e6, 1e6),
        st.floats(1e-3, 1e6),
    ),
    st.builds(lambda lo, k: jhpo.loguniform(lo, lo * k), st.floats(1e-8, 1e3), st.floats(1.5, 1e6)),
    st.builds(lambda lo, width: jhpo.integer(lo, lo + width), st.integers(-(10**9), 10**9), st.integers(1, 10**6)),
    st.lists(
        st.one_of(st.integers(-100, 100), st.text(max_size=5), st.booleans(), st.none()),
        min_size=1,
        max_size=5,
        unique_by=lambda v: (type(v).__name__, v),
    ).map(lambda vs: jhpo.choice(*vs)),
)


def _space_round_trips(dists: dict[str, Any]) -> None:
    lines = []
    for name, d in dists.items():
        j = d.to_json()
        args = (
            ", ".join(map(repr, j["choices"]))
            if j["type"] == "choice"
            else f"{j['low']!r}, {j['high']!r}{', log=True' if j.get('log') and j['type'] == 'int' else ''}"
        )
        kind = {"float": "loguniform" if j.get("log") else "uniform", "int": "integer", "choice": "choice"}[j["type"]]
        default = repr(j["choices"][0]) if j["type"] == "choice" else repr(j["low"])
        lines.append(f"{name} = {default}  # tune: {kind}({args})")
    template = parse_cell("\n".join(lines) + "\n")
    assert template.space == jhpo.Space(dists)


_spaces = st.dictionaries(st.sampled_from(["a", "b", "lr", "n_units", "kind"]), _dist, min_size=1)


# -- the storage round trip ------------------------------------------------------------

_value = st.one_of(
    st.integers(-(2**53), 2**53), st.floats(allow_nan=False, allow_infinity=False), st.text(), st.booleans(), st.none()
)
_trial = st.builds(
    lambda params, state, value, info, inter, out, err, error: Trial(
        number=0,
        params=params,
        state=state,
        value=value if state is not TrialState.COMPLETE or value is not None else 0.0,
        info=info,
        intermediate=inter,
        datetime_start=1.0,
        datetime_end=2.0,
        stdout=out,
        stderr=err,
        error=error,
    ),
    st.dictionaries(st.text(max_size=10), _value, max_size=5),
    st.sampled_from(list(TrialState)),
    st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False)),
    st.dictionaries(st.text(max_size=5), st.recursive(_value, lambda c: st.lists(c, max_size=3), max_leaves=5)),
    st.dictionaries(st.integers(0, 10**6), st.floats(allow_nan=False, allow_infinity=False), max_size=4),
    st.text(),
    st.text(max_size=20),
    st.one_of(st.none(), st.text()),
)


def _escaped(x: Any) -> Any:
    """What storage gives back: JSON keeps surrogates as \\u escapes, text columns escape them."""
    return json.loads(json.dumps(x))


def _store_and_read(storage: SQLiteStorage) -> Callable[[Trial], None]:
    counter = [0]

    def prop(trial: Trial) -> None:
        counter[0] += 1
        trial.number = counter[0]
        storage.save_trials("fuzz", [trial])
        back = storage.changes("fuzz", counter[0] - 1)[0][-1]  # the row just written
        assert back.number == trial.number and back.state is trial.state
        assert back.params == _escaped(trial.params)
        assert back.info == _escaped(trial.info)
        assert back.intermediate == trial.intermediate
        assert back.value == trial.value or (back.value is not None and math.isclose(back.value, trial.value or 0))
        assert back.stdout == clean_text(trial.stdout) and back.stderr == clean_text(trial.stderr)
        assert back.error == (clean_text(trial.error) if trial.error is not None else None)

    return prop


_hostile_row = st.tuples(
    st.one_of(st.integers(-5, 10**6), st.text(max_size=3), st.none(), st.floats()),
    *[
        st.one_of(st.text(max_size=40), st.binary(max_size=10), st.integers(), st.floats(), st.none())
        for _ in range(10)
    ],
)


def _hostile_row_is_read_or_skipped(row: tuple[Any, ...]) -> None:
    problems: list[Any] = []
    trial = trial_from_row("h", row, problems)
    if trial is not None:
        assert isinstance(trial.params, dict) and isinstance(trial.info, dict)
        assert trial.value is None or math.isfinite(trial.value)
        assert isinstance(trial.stdout, str)


def _storage_prop(n: int) -> int:
    with tempfile.TemporaryDirectory() as folder:
        st_ = SQLiteStorage(Path(folder) / "f.db")
        st_.create_study("fuzz", {"direction": "maximize", "space": {}, "strategy": "random"})
        seen = _run(_store_and_read(st_), _trial, n)
        seen += _run(_hostile_row_is_read_or_skipped, _hostile_row, n // 3)
        st_.close()
    return seen


def test_the_parser_and_storage_hold_on_generated_inputs() -> None:
    assert _run(_parses_or_names_the_line, _cell, QUICK) >= QUICK * 0.9
    _run(_space_round_trips, _spaces, QUICK)
    _storage_prop(QUICK)


@pytest.mark.slow
def test_ten_thousand_generated_inputs() -> None:
    seen = _run(_parses_or_names_the_line, _cell, SLOW)
    seen += _run(_space_round_trips, _spaces, SLOW // 2)
    seen += _storage_prop(SLOW)
    print(f"fuzzed inputs: {seen}")
    assert seen >= 10_000
