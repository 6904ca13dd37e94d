"""Where studies live: SQLite (durable, the default) or memory.

Only JSON goes in, never pickle, so opening someone else's study file runs no
code. SQLite runs in WAL mode; each finished trial is committed before the
next one starts, so a killed process loses at most the trials that were
running (they are marked interrupted when the study is opened again).
"""

from __future__ import annotations

import copy
import json
import os
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .trial import Trial, TrialState

__all__ = ["DEFAULT_PATH", "InMemoryStorage", "SQLiteStorage", "Storage", "open_storage"]

DEFAULT_PATH = os.path.join(".jhpo", "studies.db")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS studies (
    name TEXT PRIMARY KEY,
    created REAL NOT NULL,
    meta TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS trials (
    study TEXT NOT NULL REFERENCES studies(name) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    state TEXT NOT NULL,
    value REAL,
    params TEXT NOT NULL,
    info TEXT NOT NULL,
    intermediate TEXT NOT NULL,
    datetime_start REAL,
    datetime_end REAL,
    stdout TEXT NOT NULL DEFAULT '',
    stderr TEXT NOT NULL DEFAULT '',
    error TEXT,
    PRIMARY KEY (study, number)
);
"""
_COLUMNS = (
    "number",
    "state",
    "value",
    "params",
    "info",
    "intermediate",
    "datetime_start",
    "datetime_end",
    "stdout",
    "stderr",
    "error",
)


def _row(trial: Trial) -> tuple[Any, ...]:
    return (
        trial.number,
        trial.state.value,
        trial.value,
        json.dumps(trial.params),
        json.dumps(trial.info),
        json.dumps({str(k): v for k, v in trial.intermediate.items()}),
        trial.datetime_start,
        trial.datetime_end,
        trial.stdout,
        trial.stderr,
        trial.error,
    )


def _trial(row: Sequence[Any]) -> Trial:
    d = dict(zip(_COLUMNS, row))
    return Trial(
        number=d["number"],
        params=json.loads(d["params"]),
        state=TrialState(d["state"]),
        value=d["value"],
        info=json.loads(d["info"]),
        intermediate={int(k): v for k, v in json.loads(d["intermediate"]).items()},
        datetime_start=d["datetime_start"],
        datetime_end=d["datetime_end"],
        stdout=d["stdout"],
        stderr=d["stderr"],
        error=d["error"],
    )


class Storage:
    """Interface: a set of named studies, each with a JSON ``meta`` and its trials."""

    location = "memory"

    def create_study(self, name: str, meta: dict[str, Any]) -> None:
        raise NotImplementedError

    def load_meta(self, name: str) -> dict[str, Any] | None:
        raise NotImplementedError

    def update_meta(self, name: str, meta: dict[str, Any]) -> None:
        raise NotImplementedError

    def study_names(self) -> list[str]:
        raise NotImplementedError

    def delete_study(self, name: str) -> None:
        raise NotImplementedError

    def save_trial(self, name: str, trial: Trial) -> None:
        """Insert or replace the trial; durable when this returns."""
        raise NotImplementedError

    def save_trials(self, name: str, trials: Sequence[Trial]) -> None:
        for t in trials:
            self.save_trial(name, t)

    def load_trials(self, name: str) -> list[Trial]:
        raise NotImplementedError

    def close(self) -> None:
        pass


class InMemoryStorage(Storage):
    """Keeps studies in this process only (gone when it ends)."""

    def __init__(self) -> None:
        self._meta: dict[str, dict[str, Any]] = {}
        self._trials: dict[str, dict[int, Trial]] = {}

    def create_study(self, name: str, meta: dict[str, Any]) -> None:
        if name in self._meta:
            raise KeyError(name)
        self._meta[name] = copy.deepcopy(meta)
        self._trials[name] = {}

    def load_meta(self, name: str) -> dict[str, Any] | None:
        meta = self._meta.get(name)
        return copy.deepcopy(meta) if meta is not None else None

    def update_meta(self, name: str, meta: dict[str, Any]) -> None:
        self._meta[name] = copy.deepcopy(meta)

    def study_names(self) -> list[str]:
        return list(self._meta)

    def delete_study(self, name: str) -> None:
        self._meta.pop(name, None)
        self._trials.pop(name, None)

    def save_trial(self, name: str, trial: Trial) -> None:
        self._trials[name][trial.number] = _trial(_row(trial))  # a detached copy, as SQLite would give

    def load_trials(self, name: str) -> list[Trial]:
        return [_trial(_row(t)) for _, t in sorted(self._trials.get(name, {}).items())]


class SQLiteStorage(Storage):
    """A SQLite file in WAL mode; safe to share between threads of one process.

    Parameters
    ----------
    path : str or Path
        The file; its folder is created if needed.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode: a commit survives the process being killed (what
        # we promise); only a power loss may lose the last commits.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(_SCHEMA)

    def _exec(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def create_study(self, name: str, meta: dict[str, Any]) -> None:
        try:
            self._exec(
                "INSERT INTO studies (name, created, meta) VALUES (?, ?, ?)", (name, time.time(), json.dumps(meta))
            )
        except sqlite3.IntegrityError:
            raise KeyError(name) from None

    def load_meta(self, name: str) -> dict[str, Any] | None:
        rows = self._exec("SELECT meta FROM studies WHERE name = ?", (name,))
        return json.loads(rows[0][0]) if rows else None

    def update_meta(self, name: str, meta: dict[str, Any]) -> None:
        self._exec("UPDATE studies SET meta = ? WHERE name = ?", (json.dumps(meta), name))

    def study_names(self) -> list[str]:
        return [r[0] for r in self._exec("SELECT name FROM studies ORDER BY created")]

    def delete_study(self, name: str) -> None:
        with self._lock:
            self._db.execute("BEGIN")
            self._db.execute("DELETE FROM trials WHERE study = ?", (name,))
            self._db.execute("DELETE FROM studies WHERE name = ?", (name,))
            self._db.execute("COMMIT")

    def save_trial(self, name: str, trial: Trial) -> None:
        self._exec(
            f"INSERT OR REPLACE INTO trials (study, {', '.join(_COLUMNS)}) VALUES ({', '.join('?' * 12)})",
            (name, *_row(trial)),
        )

    def save_trials(self, name: str, trials: Sequence[Trial]) -> None:
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany(
                f"INSERT OR REPLACE INTO trials (study, {', '.join(_COLUMNS)}) VALUES ({', '.join('?' * 12)})",
                [(name, *_row(t)) for t in trials],
            )
            self._db.execute("COMMIT")

    def load_trials(self, name: str) -> list[Trial]:
        rows = self._exec(f"SELECT {', '.join(_COLUMNS)} FROM trials WHERE study = ? ORDER BY number", (name,))
        return [_trial(r) for r in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()


def open_storage(storage: str | os.PathLike[str] | Storage | None) -> Storage:
    """``None`` -> the default SQLite file, ``":memory:"`` -> memory, a path -> SQLite there."""
    if isinstance(storage, Storage):
        return storage
    if storage == ":memory:":
        return InMemoryStorage()
    return SQLiteStorage(storage if storage is not None else DEFAULT_PATH)
