"""Captured output is bounded in memory and on disk: head and tail kept, the dropped amount said."""

from __future__ import annotations

import os
import sqlite3
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from jhpo import capture
from jhpo.capture import BoundedWriter, bound_text


@pytest.fixture
def limit() -> Iterator[None]:
    yield
    capture.set_limit(None)


def test_the_writer_keeps_head_and_tail_and_counts_the_rest() -> None:
    w = BoundedWriter(limit=100)
    text = "".join(f"line {i}\n" for i in range(1000))
    for line in text.splitlines(keepends=True):  # many small writes, as print makes them
        w.write(line)
    value = w.getvalue()
    assert value.startswith(text[:50]) and value.endswith(text[-50:])
    assert w.dropped == len(text) - 100
    assert f"dropped {len(text) - 100:,} characters" in value
    big = BoundedWriter(limit=100)
    big.write("a" * 30)
    big.write("b" * 10_000)  # one write larger than the whole limit
    big.write("c" * 20)
    assert big.getvalue().startswith("a" * 30 + "b" * 20) and big.getvalue().endswith("b" * 30 + "c" * 20)
    assert big.dropped == 30 + 10_000 + 20 - 100


def test_short_output_is_kept_whole() -> None:
    w = BoundedWriter(limit=100)
    w.write("hello\n")
    assert w.getvalue() == "hello\n" and not w.truncated
    assert bound_text("x" * 100, 100) == "x" * 100


def test_the_limit_is_configurable_and_reaches_worker_processes(limit: None) -> None:
    capture.set_limit(1234)
    assert BoundedWriter().limit == 1234 and os.environ["JHPO_OUTPUT_LIMIT"] == "1234"
    capture.set_limit(None)
    assert BoundedWriter().limit == capture.DEFAULT_LIMIT
    with pytest.raises(ValueError):
        capture.set_limit(0)


CELL = "x = 0.5  # tune: uniform(0, 1)\nfor i in range(20_000):\n    print('y' * 999)\nscore = x\n"


def test_a_loud_cell_stores_one_megabyte_per_trial_not_twenty(ip: object, tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    tracemalloc.start()
    r = ip.run_cell_magic(  # type: ignore[attr-defined]
        "tune", f"--strategy random --trials 3 --maximize score --seed 0 --storage {db} --quiet", CELL
    )
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(r.trials) == 3
    assert peak < 12 * 2**20, f"peak {peak / 2**20:.1f} MB while the cell printed 20 MB per trial"
    for t in r.trials:
        assert len(t.stdout) < capture.DEFAULT_LIMIT + 200
        assert t.stdout.startswith("y" * 999 + "\n") and t.stdout.endswith("y" * 999 + "\n")
        assert "jhpo dropped 19,000,000 characters" in t.stdout
    with sqlite3.connect(db) as con:
        stored = con.execute("SELECT SUM(LENGTH(stdout)) FROM trials").fetchone()[0]
    assert stored < 3 * (capture.DEFAULT_LIMIT + 200)
    assert os.path.getsize(db) + os.path.getsize(str(db) + "-wal") < 8 * 2**20


@pytest.mark.slow
def test_output_of_worker_processes_is_bounded_too(ip: object, tmp_path: Path, limit: None) -> None:
    capture.set_limit(10_000)
    r = ip.run_cell_magic(  # type: ignore[attr-defined]
        "tune",
        f"--strategy random --trials 2 --maximize score --seed 0 --storage {tmp_path / 's.db'} --quiet --n-jobs 2",
        CELL,
    )
    assert all(len(t.stdout) < 10_200 and "jhpo dropped" in t.stdout for t in r.trials)
