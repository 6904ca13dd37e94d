"""Hand-edited and hostile study files are data: bad fields are named, the rest is shown, nothing runs."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest

import jhpo
from jhpo.cli import main
from jhpo.trial import TrialState

SPACE = {"x": jhpo.uniform(0, 1), "k": jhpo.choice("a", "b")}

# (column, stored value, the field named in the warning)
BAD_TRIAL_FIELDS = [
    ("params", "[1, 2, 3]", "params"),
    ("params", '{"x": [1, 2], "k": "a"}', "params"),
    ("params", json.dumps({"x": 0.5, "k": "z" * 50_000}), "params"),
    ("params", "{not json", "params"),
    ("params", "[" * 100_000 + "]" * 100_000, "params"),
    ("info", '"a string"', "info"),
    ("intermediate", '{"one": "two"}', "intermediate"),
    ("state", "exploded", "state"),
    ("value", "not a number", "value"),
    ("datetime_start", "yesterday", "datetime_start"),
    ("stdout", b"\xff\xfe", "stdout"),
    ("error", b"\x00\xff", "error"),
]


def _stored(tmp_path: Path, n: int = 4) -> Path:
    db = tmp_path / "s.db"
    s = jhpo.Study(SPACE, strategy="random", seed=0, storage=str(db), name="s")
    s.optimize(lambda t: t.params["x"], n_trials=n)
    s.storage.close()
    return db


@pytest.mark.parametrize(
    ("column", "value", "field"), BAD_TRIAL_FIELDS, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(BAD_TRIAL_FIELDS)]
)
def test_a_bad_trial_field_is_named_and_the_rest_is_shown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], column: str, value: object, field: str
) -> None:
    db = _stored(tmp_path)
    with sqlite3.connect(db) as con:
        con.execute(f"UPDATE trials SET {column} = ? WHERE number = 2", (value,))
    assert main(["show", "s", "--storage", str(db)]) == 0
    captured = capsys.readouterr()
    assert f"study 's', trial 2, field '{field}'" in captured.err
    assert "Traceback" not in captured.err
    for n in (0, 1, 3):  # the other trials are still shown
        assert re.search(rf"^\s*{n}\s+complete\s", captured.out, re.M), captured.out
    assert main(["list", "--storage", str(db)]) == 0
    # resuming continues the study; the bad trial stays as it was read
    again = jhpo.Study(SPACE, strategy="random", seed=1, storage=str(db), name="s", resume=True)
    again.optimize(lambda t: t.params["x"], n_trials=2)
    assert len(again.trials) == 6 and again.best_value is not None


@pytest.mark.parametrize(
    ("meta", "field"),
    [
        ("[1, 2]", "meta"),
        ("{{{", "meta"),
        (json.dumps({"direction": 7, "space": {}, "strategy": "random"}), "direction"),
        (json.dumps({"direction": "maximize", "space": [1], "strategy": "random"}), "space"),
        (
            json.dumps({"direction": "maximize", "space": {"x": {"type": "float", "low": 1, "high": 0}}}),
            "space",
        ),
        (json.dumps({"direction": "maximize", "space": {}, "strategy": ["x"], "seed": "s"}), "strategy"),
        (
            json.dumps({"direction": "maximize", "space": {}, "strategy": "bayes", "strategy_options": 3}),
            "strategy_options",
        ),
    ],
)
def test_a_bad_study_field_is_named_and_the_trials_are_still_shown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], meta: str, field: str
) -> None:
    db = _stored(tmp_path)
    with sqlite3.connect(db) as con:
        con.execute("UPDATE studies SET meta = ? WHERE name = 's'", (meta,))
    assert main(["list", "--storage", str(db)]) == 0
    assert main(["show", "s", "--storage", str(db)]) == 0
    captured = capsys.readouterr()
    assert f"study 's', field '{field}'" in captured.err
    assert captured.out.count("complete") >= 4


def test_a_row_without_a_usable_number_is_skipped_and_said(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = _stored(tmp_path)
    with sqlite3.connect(db) as con:
        con.execute("UPDATE trials SET number = 'seven' WHERE number = 1")
    assert main(["show", "s", "--storage", str(db)]) == 0
    captured = capsys.readouterr()
    assert "field 'number'" in captured.err and "row skipped" in captured.err
    assert len(jhpo.load_study("s", str(db)).trials) == 3


def test_nothing_in_a_study_file_is_ever_executed(tmp_path: Path) -> None:
    db = _stored(tmp_path)
    marker = tmp_path / "ran"
    payload = f"__import__('pathlib').Path({str(marker)!r}).write_text('x')"
    with sqlite3.connect(db) as con:
        con.execute("UPDATE trials SET params = ?, info = ?, error = ? WHERE number = 0", (payload, payload, payload))
        con.execute("UPDATE studies SET meta = json_set(meta, '$.strategy', ?)", (payload,))
    study = jhpo.load_study("s", str(db))
    study.to_dataframe()
    assert not marker.exists()
    assert study.trials[0].params == {}


def test_a_complete_trial_without_a_value_is_shown_as_failed(tmp_path: Path) -> None:
    db = _stored(tmp_path)
    with sqlite3.connect(db) as con:
        con.execute("UPDATE trials SET value = NULL WHERE number = 1")
    study = jhpo.load_study("s", str(db))
    assert study.trials[1].state is TrialState.FAILED
    assert any(p.field == "value" and p.trial == 1 for p in study.storage.problems)
