"""Storage faults end in one line naming the file and the fix, on real broken files and file systems."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from IPython.core.error import UsageError

import jhpo
from jhpo.cli import main
from jhpo.storage import SQLiteStorage, StorageError, StorageFull, StorageReadOnly
from jhpo.trial import TrialState

SPACE = {"x": jhpo.uniform(0, 1)}


def _study(db: Path, n: int = 3, name: str = "s") -> None:
    s = jhpo.Study(SPACE, strategy="random", seed=0, storage=str(db), name=name)
    s.optimize(lambda t: t.params["x"], n_trials=n)
    s.storage.close()


def _one_line(message: str, path: Path) -> None:
    assert "\n" not in message and str(path) in message and "Traceback" not in message


def test_a_file_that_is_not_a_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "notes.db"
    db.write_text("these are my notes, not a database\n" * 100)
    with pytest.raises(StorageError, match="not a jhpo study file") as exc:
        jhpo.Study(SPACE, storage=str(db))
    _one_line(str(exc.value), db)
    assert main(["list", "--storage", str(db)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a jhpo study file" in err
    assert db.read_text().startswith("these are my notes")  # left as it was


@pytest.mark.parametrize("damage", ["truncated", "garbled"])
def test_a_damaged_file(tmp_path: Path, damage: str, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "s.db"
    _study(db, n=40)
    data = db.read_bytes()
    assert len(data) > 8192
    if damage == "truncated":
        db.write_bytes(data[: len(data) // 2 + 100])
    else:
        db.write_bytes(data[:4096] + os.urandom(len(data) - 4096))
    with pytest.raises(StorageError) as exc:
        jhpo.load_study("s", str(db)).to_dataframe()
    _one_line(str(exc.value), db)
    assert "damaged" in str(exc.value) or "not a jhpo study file" in str(exc.value)
    assert main(["show", "s", "--storage", str(db)]) == 1
    assert capsys.readouterr().err.count("\n") == 1


def test_a_folder_given_as_the_storage(tmp_path: Path, ip: object) -> None:
    with pytest.raises(StorageError, match="is a folder") as exc:
        jhpo.Study(SPACE, storage=str(tmp_path))
    _one_line(str(exc.value), tmp_path)
    with pytest.raises(UsageError, match="is a folder"):
        ip.run_cell_magic("tune", f"--maximize x --storage {tmp_path} --quiet", "x = 0.5  # tune: uniform(0, 1)\n")  # type: ignore[attr-defined]


def test_list_and_show_of_a_missing_file_create_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "missing" / "new.db"
    assert main(["list", "--storage", str(db)]) == 1
    assert main(["show", "s", "--storage", str(db)]) == 1
    err = capsys.readouterr().err
    assert err.count("there is no study file at") == 2
    assert not (tmp_path / "missing").exists()


@contextlib.contextmanager
def _immutable(folder: Path) -> Iterator[None]:
    """Make ``folder`` read-only even for root (chattr +i); skip where the file system refuses."""
    if shutil.which("chattr") is None:
        pytest.skip("chattr is not installed: cannot make a folder read-only for root")
    done = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"chattr +i is refused here: {done.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_a_study_in_a_read_only_folder_can_be_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "studies.db"
    _study(db, n=4)
    assert not (folder / "studies.db-shm").exists()  # closed cleanly: WAL would need to create its -shm
    with _immutable(folder):
        with pytest.raises(OSError):
            (folder / "probe").write_text("x")  # really read-only, even for root
        assert main(["list", "--storage", str(db)]) == 0
        assert main(["show", "s", "--storage", str(db)]) == 0
        out = capsys.readouterr().out
        assert "s " in out and "4/0" in out and "params_x" in out
        study = jhpo.load_study("s", str(db))
        assert study.storage.readonly and len(study.trials) == 4
        with pytest.raises(StorageReadOnly) as exc:
            study.optimize(lambda t: 1.0, n_trials=1)
        _one_line(str(exc.value), db)
        assert "copy the file" in str(exc.value)
        with pytest.raises(StorageReadOnly):
            jhpo.Study(SPACE, storage=str(db), name="new")
    assert len(jhpo.load_study("s", str(db)).trials) == 4


def test_a_read_only_folder_still_shows_trials_left_in_the_write_ahead_log(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "studies.db"
    # A process that never closed its file (killed): the last trials live in the -wal file.
    script = (
        "import os, jhpo, sys\n"
        "s = jhpo.Study({'x': jhpo.uniform(0, 1)}, strategy='random', seed=0, storage=sys.argv[1], name='s')\n"
        "s.optimize(lambda t: t.params['x'], n_trials=5)\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", script, str(db)], check=True, env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert (folder / "studies.db-wal").exists()
    with _immutable(folder):
        assert len(jhpo.load_study("s", str(db)).trials) == 5


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 1 MB file system (tmpfs), mounted for the test; skipped where mounting is not allowed."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)], capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {done.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


CELL = "x = 0.5  # tune: uniform(0, 1)\nprint('o' * 40_000)\nscore = x\n"


def test_a_full_disk_stops_the_search_cleanly_and_it_resumes_later(small_disk: Path, ip: object) -> None:
    db = small_disk / "studies.db"
    filler = small_disk / "filler"
    filler.write_bytes(b"\0" * 400_000)
    opts = f"--strategy random --trials 60 --maximize score --seed 0 --study full --storage {db} --quiet"
    with pytest.raises(UsageError) as exc:
        ip.run_cell_magic("tune", opts, CELL)  # type: ignore[attr-defined]
    message = str(exc.value)
    _one_line(message, db)
    assert "no space left" in message and "--resume" in message
    filler.unlink()  # room again
    kept = jhpo.load_study("full", str(db))
    done = [t for t in kept.trials if t.state is TrialState.COMPLETE]
    assert 3 <= len(done) < 60
    assert all(t.stdout.startswith("o" * 100) for t in done)
    kept.storage.close()
    r = ip.run_cell_magic("tune", opts.replace("--trials 60", f"--trials {len(done) + 3}") + " --resume", CELL)  # type: ignore[attr-defined]
    states = [t.state for t in r.trials]
    assert states.count(TrialState.COMPLETE) == len(done) + 3
    assert [t.params for t in r.trials[: len(done)]] == [t.params for t in done]


def test_the_full_disk_error_names_the_file(tmp_path: Path) -> None:
    exc = sqlite3.OperationalError("database or disk is full")
    from jhpo.storage_errors import fault

    error = fault(exc, "/data/s.db")
    assert isinstance(error, StorageFull) and "/data/s.db" in str(error)


def test_storage_opened_read_write_is_not_read_only(tmp_path: Path) -> None:
    st = SQLiteStorage(tmp_path / "s.db")
    assert not st.readonly
    st.close()


OLD_SCHEMA = """
CREATE TABLE studies (name TEXT PRIMARY KEY, created REAL NOT NULL, meta TEXT NOT NULL);
CREATE TABLE trials (
    study TEXT NOT NULL REFERENCES studies(name) ON DELETE CASCADE, number INTEGER NOT NULL,
    state TEXT NOT NULL, value REAL, params TEXT NOT NULL, info TEXT NOT NULL, intermediate TEXT NOT NULL,
    datetime_start REAL, datetime_end REAL, stdout TEXT NOT NULL DEFAULT '', stderr TEXT NOT NULL DEFAULT '',
    error TEXT, PRIMARY KEY (study, number)
);
"""


@pytest.mark.parametrize("readonly", [False, True])
def test_a_file_from_before_shared_studies_opens_and_continues(tmp_path: Path, readonly: bool) -> None:
    folder = tmp_path / "old"
    folder.mkdir()
    db = folder / "studies.db"
    meta = {"direction": "maximize", "space": jhpo.Space(SPACE).to_json(), "strategy": "random", "seed": 0}
    with sqlite3.connect(db) as con:
        con.executescript(OLD_SCHEMA)
        con.execute("INSERT INTO studies VALUES ('s', 1.0, ?)", (json.dumps(meta),))
        for n, state, value in ((0, "complete", 0.3), (1, "complete", 0.7), (2, "running", None)):
            con.execute(
                "INSERT INTO trials (study, number, state, value, params, info, intermediate)"
                " VALUES ('s', ?, ?, ?, ?, '{}', '{}')",
                (n, state, value, json.dumps({"x": value or 0.5})),
            )
    con.close()
    if readonly:
        with _immutable(folder):
            study = jhpo.load_study("s", str(db))
            assert study.storage.readonly and [t.state.value for t in study.trials] == [
                "complete",
                "complete",
                "running",
            ]
        return
    study = jhpo.Study(SPACE, strategy="random", seed=0, storage=str(db), name="s", resume=True)
    assert [t.state for t in study.trials][2] is TrialState.INTERRUPTED  # left running by an old version
    study.optimize(lambda t: t.params["x"], n_trials=2)
    assert [t.number for t in jhpo.load_study("s", str(db)).trials] == [0, 1, 2, 3, 4]
