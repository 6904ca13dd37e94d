"""Where studies live: SQLite (durable, the default, shareable) or memory.

Only JSON goes in, never pickle, so opening someone else's study file runs no
code; every field read back is validated (:mod:`jhpo._records`), so a
hand-edited file is shown with its bad fields named instead of crashing.

Several writers (kernels, processes, :class:`~jhpo.Study` objects) may share a
study. A writer asks for new trials inside :meth:`Storage.exclusive` (SQLite's
``BEGIN IMMEDIATE``): it reads what the others wrote since it last looked,
lets its strategy propose, and takes the next trial numbers, all under one
database lock, so numbers are unique and a grid point is never handed out
twice. Every write bumps the study's ``revision`` so a writer reads only what
changed (:meth:`Storage.changes`).

A running trial belongs to a writer that keeps a **heartbeat** (its row in
``writers`` is refreshed every :data:`HEARTBEAT` seconds while it has trials
running). Another writer marks the trial interrupted when the owner's process
is gone (same host: its pid no longer runs) or its heartbeat is older than
:data:`LEASE` seconds (any host).
"""

from __future__ import annotations

import bisect
import contextlib
import copy
import json
import math
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ._records import RecordProblem, meta_from_json, trial_from_row
from .capture import bound_text, clean_text
from .direction import Direction
from .storage_errors import StorageError, StorageFull, StorageReadOnly, fault
from .trial import RunFacts, Trial, TrialState

__all__ = [
    "DEFAULT_PATH",
    "HEARTBEAT",
    "LEASE",
    "InMemoryStorage",
    "SQLiteStorage",
    "Storage",
    "StorageError",
    "StorageFull",
    "StorageReadOnly",
    "StudySummary",
    "open_storage",
]

DEFAULT_PATH = os.path.join(".jhpo", "studies.db")
#: Seconds between two heartbeats of a writer with trials running.
HEARTBEAT = 5.0
#: A writer silent for this long is taken for dead and its running trials for interrupted.
LEASE = 60.0
_HOST = socket.gethostname()
# Writers of this process with trials running: a writer of this pid not in here is gone
# (its Study was dropped or its search stopped without telling), whatever its pid says.
_LIVE: set[str] = set()

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
CREATE TABLE IF NOT EXISTS writers (
    id TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    heartbeat REAL NOT NULL
);
"""
# Added after the first release; old files get them on their first read-write open.
_ADDED = {"writer": "TEXT", "revision": "INTEGER NOT NULL DEFAULT 0", "metrics": "TEXT"}
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
    "metrics",  # the user's numbers (jhpo.log); older files kept them in info["metrics"]
)


_NEXT_REVISION = "(SELECT COALESCE(MAX(revision), 0) + 1 FROM trials WHERE study = ?)"
_INSERT = (
    f"INSERT INTO trials (study, writer, revision, {', '.join(_COLUMNS)}) "
    f"VALUES (?, ?, {_NEXT_REVISION}, {', '.join('?' * len(_COLUMNS))})"
)
_UPDATE = (
    f"UPDATE trials SET revision = {_NEXT_REVISION}, {', '.join(f'{c} = ?' for c in _COLUMNS[1:])} "
    "WHERE study = ? AND number = ?"
)


def _text(text: str) -> str:
    return bound_text(clean_text(text))


def _info_json(trial: Trial) -> dict[str, Any]:
    info = dict(trial.info)
    if trial.values is not None:
        info["values"] = trial.values
    if trial.run is not None:
        info[RunFacts.KEY] = trial.run.to_json()
    return info


def _row(trial: Trial) -> tuple[Any, ...]:
    return (
        trial.number,
        trial.state.value,
        trial.value,
        json.dumps(trial.params),
        # several objectives and the execution facts ride in the info JSON under reserved keys
        # (no new column: old files and readers stay as they are)
        json.dumps(_info_json(trial)),
        json.dumps({str(k): v for k, v in trial.intermediate.items()}),
        trial.datetime_start,
        trial.datetime_end,
        _text(trial.stdout),
        _text(trial.stderr),
        _text(trial.error) if trial.error is not None else None,
        json.dumps(trial.metrics),
    )


@dataclass(frozen=True)
class StudySummary:
    """What ``jhpo list`` shows of a study without reading every trial's output."""

    done: int
    failed: int
    best: float | None
    last_change: float | None


def _summarize(trials: Sequence[Trial], direction: str, created: float | None) -> StudySummary:
    values = [t.value for t in trials if t.state is TrialState.COMPLETE and t.value is not None]
    times = [x for t in trials for x in (t.datetime_start, t.datetime_end) if x is not None]
    return StudySummary(
        done=sum(t.state.is_finished and t.state is not TrialState.INTERRUPTED for t in trials),
        failed=sum(t.state is TrialState.FAILED for t in trials),
        best=Direction.parse(direction).best(values),
        last_change=max(times, default=created),
    )


class Storage:
    """Interface: a set of named studies, each with a JSON ``meta`` and its trials.

    ``problems`` collects what was wrong in the fields read so far (a
    hand-edited or hostile file): each names the study, the trial and the field.
    """

    location = "memory"
    readonly = False

    def __init__(self) -> None:
        self.problems: list[RecordProblem] = []
        self.writer = f"{_HOST}:{os.getpid()}:{id(self):x}"

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

    def exclusive(self) -> contextlib.AbstractContextManager[None]:
        """Hold the study file's write lock: what is read inside stays true until it ends."""
        raise NotImplementedError

    def next_number(self, name: str) -> int:
        """The number the next new trial of ``name`` gets (call inside :meth:`exclusive`)."""
        raise NotImplementedError

    def add_trials(self, name: str, trials: Sequence[Trial]) -> None:
        """Insert new trials of this writer (inside :meth:`exclusive`); a taken number is an error."""
        raise NotImplementedError

    def save_trial(self, name: str, trial: Trial) -> None:
        """Store the trial's new state; durable when this returns."""
        self.save_trials(name, [trial])

    def save_trials(self, name: str, trials: Sequence[Trial]) -> None:
        raise NotImplementedError

    def load_trials(self, name: str) -> list[Trial]:
        return self.changes(name, -1)[0]

    def changes(self, name: str, since: int, skip: Collection[int] = ()) -> tuple[list[Trial], int]:
        """Trials written after revision ``since`` (any writer), but those numbered in ``skip``
        (the caller's own: not read back), and the latest revision."""
        raise NotImplementedError

    def summary(self, name: str, direction: str = "maximize") -> StudySummary:
        """Counts, best value and the time of the last change of ``name``."""
        return _summarize(self.load_trials(name), direction, None)

    def interrupt_lost(self, name: str) -> list[int]:
        """Mark running trials whose writer died as interrupted; returns their numbers."""
        return []

    def trial_finished(self) -> None:
        """This writer has one running trial fewer (its heartbeat stops at none)."""

    def close(self) -> None:
        pass


class InMemoryStorage(Storage):
    """Keeps studies in this process only (gone when it ends); Study objects sharing it see each other."""

    def __init__(self) -> None:
        super().__init__()
        self._meta: dict[str, dict[str, Any]] = {}
        self._trials: dict[str, dict[int, tuple[int, tuple[Any, ...]]]] = {}
        self._revision = 0
        self._log: dict[str, list[tuple[int, int]]] = {}  # (revision, number), in revision order
        self._lock = threading.RLock()

    def create_study(self, name: str, meta: dict[str, Any]) -> None:
        with self._lock:
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

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._lock:
            yield

    def next_number(self, name: str) -> int:
        return max(self._trials[name], default=-1) + 1

    def add_trials(self, name: str, trials: Sequence[Trial]) -> None:
        with self._lock:
            if any(t.number in self._trials[name] for t in trials):
                raise KeyError(f"trial number taken in study {name!r}")
            self.save_trials(name, trials)

    def save_trials(self, name: str, trials: Sequence[Trial]) -> None:
        with self._lock:
            for t in trials:
                self._revision += 1
                self._trials[name][t.number] = (self._revision, _row(t))  # a detached copy, as SQLite gives
                self._log.setdefault(name, []).append((self._revision, t.number))

    def changes(self, name: str, since: int, skip: Collection[int] = ()) -> tuple[list[Trial], int]:
        with self._lock:
            log = self._log.get(name, [])
            numbers = {n for _, n in log[bisect.bisect_right(log, (since, math.inf)) :] if n not in skip}
            stored = self._trials.get(name, {})
            rows = [stored[n][1] for n in sorted(numbers) if stored[n][0] > since]
            return _usable(trial_from_row(name, r, self.problems) for r in rows), self._revision


class SQLiteStorage(Storage):
    """A SQLite file in WAL mode, shared by threads, processes and kernels.

    Parameters
    ----------
    path : str or Path
        The file; its folder is created if needed.
    create : bool, default True
        With ``False`` a missing file is a :class:`StorageError` and nothing is
        created (``jhpo list`` / ``jhpo show``).

    Raises
    ------
    StorageError
        The path is a folder, is not a SQLite file, is damaged, or (with
        ``create=False``) does not exist. A file in a read-only place opens
        read-only (``readonly`` is then True and writing raises
        :class:`StorageReadOnly`).
    """

    def __init__(self, path: str | os.PathLike[str], create: bool = True) -> None:
        super().__init__()
        self.path = Path(path)
        self.location = str(self.path)
        self._lock = threading.RLock()
        self._depth = 0
        self._running = 0
        self._beat: threading.Thread | None = None
        self._columns: set[str] | None = None
        self._registered = 0.0
        if self.path.is_dir():
            raise StorageError(
                f"{path} is a folder, not a study file; give a file path such as {self.path / 'studies.db'}",
                self.location,
            )
        if not self.path.exists() and not create:
            raise StorageError(
                f"there is no study file at {path} (nothing was created); check --storage", self.location
            )
        try:
            self._db = self._open_writable()
        except sqlite3.Error as exc:
            problem = fault(exc, self.location)
            if not self.path.is_file() or "not a jhpo" in str(problem) or "damaged" in str(problem):
                raise problem from None
            self._db = self._open_readonly(problem)  # a read-only place: reading must still work
        except OSError as exc:
            raise fault(exc, self.location) from None

    def _open_writable(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode: a commit survives the process being killed (what
            # we promise); only a power loss may lose the last commits.
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=ON")
            db.executescript(_SCHEMA)
            have = {r[1] for r in db.execute("PRAGMA table_info(trials)")}
            for col, decl in _ADDED.items():
                if col not in have:
                    db.execute(f"ALTER TABLE trials ADD COLUMN {col} {decl}")
            db.execute("CREATE INDEX IF NOT EXISTS trials_revision ON trials(study, revision)")
        except BaseException:
            db.close()
            raise
        return db

    def _open_readonly(self, problem: StorageError) -> sqlite3.Connection:
        # mode=ro reads a write-ahead log left by a killed writer when its -shm file exists;
        # without one WAL cannot start in a read-only folder, and immutable=1 reads the
        # file as it is (nothing can have been left in a log that does not exist).
        path = quote(str(self.path.resolve()))
        for uri in (f"file:{path}?mode=ro", f"file:{path}?immutable=1"):
            try:
                db = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
            except sqlite3.Error:
                continue
            try:
                db.execute("SELECT name FROM studies LIMIT 1").fetchall()
            except sqlite3.Error as exc:
                db.close()
                problem = fault(exc, self.location)
                continue
            self.readonly = True
            return db
        raise problem

    # -- plumbing --------------------------------------------------------------------

    def _exec(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            try:
                return self._db.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise fault(exc, self.location) from None

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._writable()
            self._exec("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
                self._exec("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")
                raise
            finally:
                self._depth = 0

    def _writable(self) -> None:
        if self.readonly:
            raise fault(PermissionError(13, "read-only"), self.location)

    def _has(self, column: str) -> bool:
        if self._columns is None:
            self._columns = {r[1] for r in self._exec("PRAGMA table_info(trials)")}
        return column in self._columns

    # -- studies ---------------------------------------------------------------------

    def create_study(self, name: str, meta: dict[str, Any]) -> None:
        self._writable()
        try:
            with self.exclusive():
                if self._exec("SELECT 1 FROM studies WHERE name = ?", (name,)):
                    raise KeyError(name)
                self._exec(
                    "INSERT INTO studies (name, created, meta) VALUES (?, ?, ?)", (name, time.time(), json.dumps(meta))
                )
        except sqlite3.IntegrityError:
            raise KeyError(name) from None

    def load_meta(self, name: str) -> dict[str, Any] | None:
        rows = self._exec("SELECT meta FROM studies WHERE name = ?", (name,))
        return meta_from_json(name, rows[0][0], self.problems) if rows else None

    def update_meta(self, name: str, meta: dict[str, Any]) -> None:
        with self.exclusive():
            self._exec("UPDATE studies SET meta = ? WHERE name = ?", (json.dumps(meta), name))

    def study_names(self) -> list[str]:
        return [str(r[0]) for r in self._exec("SELECT name FROM studies ORDER BY created")]

    def delete_study(self, name: str) -> None:
        with self.exclusive():
            self._exec("DELETE FROM trials WHERE study = ?", (name,))
            self._exec("DELETE FROM studies WHERE name = ?", (name,))

    def summary(self, name: str, direction: str = "maximize") -> StudySummary:
        # Only the small columns: a study's outputs may weigh megabytes per trial.
        cols = "number, state, value, '{}', '{}', '{}', datetime_start, datetime_end, '', '', NULL, NULL"
        rows = self._exec(f"SELECT {cols} FROM trials WHERE study = ?", (name,))
        created = self._exec("SELECT created FROM studies WHERE name = ?", (name,))
        c = created[0][0] if created and isinstance(created[0][0], (int, float)) else None
        return _summarize(_usable(trial_from_row(name, r, self.problems) for r in rows), direction, c)

    # -- trials ----------------------------------------------------------------------

    def next_number(self, name: str) -> int:
        (n,) = self._exec("SELECT COALESCE(MAX(number), -1) + 1 FROM trials WHERE study = ?", (name,))[0]
        return int(n)

    def _revision(self, name: str) -> int:
        return int(self._exec("SELECT COALESCE(MAX(revision), 0) FROM trials WHERE study = ?", (name,))[0][0])

    def add_trials(self, name: str, trials: Sequence[Trial]) -> None:
        with self.exclusive():
            if time.time() - self._registered > HEARTBEAT:  # a fresh writer row, not one per trial
                self._beat_register()
            for t in trials:
                self._exec(_INSERT, (name, self.writer, name, *_row(t)))
            self._running += sum(t.state is TrialState.RUNNING for t in trials)
            if self._running:
                _LIVE.add(self.writer)
        self._beat_start()

    def save_trials(self, name: str, trials: Sequence[Trial]) -> None:
        # One statement per trial, each atomic with its revision (a subquery): no
        # BEGIN/COMMIT round trip for the common case of one told trial.
        with self._lock:
            self._writable()
            for t in trials:
                row = _row(t)
                try:
                    updated = self._db.execute(_UPDATE, (name, *row[1:], name, t.number)).rowcount
                    if not updated:  # a trial not yet stored (a caller that skipped add_trials)
                        self._db.execute(_INSERT, (name, self.writer, name, *row))
                except sqlite3.Error as exc:
                    raise fault(exc, self.location) from None

    def changes(self, name: str, since: int, skip: Collection[int] = ()) -> tuple[list[Trial], int]:
        # an older file opened read-only lacks the columns added since: read them as NULL
        cols = ", ".join(c if c not in _ADDED or self._has(c) else "NULL" for c in _COLUMNS)
        if not self._has("revision"):  # an old file opened read-only
            rows = self._exec(f"SELECT {cols} FROM trials WHERE study = ? ORDER BY number", (name,))
            return _usable(trial_from_row(name, r, self.problems) for r in rows), 0
        # Numbers first: a writer's own trials (usually all of them) are not read back.
        if since < 0:  # a first look: every row, whatever its revision (0 in files from before revisions)
            fresh = self._exec("SELECT number, revision FROM trials WHERE study = ?", (name,))
        else:
            fresh = self._exec("SELECT number, revision FROM trials WHERE study = ? AND revision > ?", (name, since))
        latest = max((r for _, r in fresh if isinstance(r, int)), default=max(since, 0))
        wanted = sorted((n for n, _ in fresh if n not in skip), key=str)
        if not wanted:
            return [], latest
        if len(wanted) == len(fresh):
            where, args = ("", (name,)) if since < 0 else (" AND revision > ?", (name, since))
            rows = self._exec(f"SELECT {cols} FROM trials WHERE study = ?{where}", args)
        else:
            rows = []
            for i in range(0, len(wanted), 500):  # SQLite's limit on bound parameters
                chunk = wanted[i : i + 500]
                rows += self._exec(
                    f"SELECT {cols} FROM trials WHERE study = ? AND number IN ({', '.join('?' * len(chunk))})",
                    (name, *chunk),
                )
        trials = _usable(trial_from_row(name, r, self.problems) for r in rows)
        return sorted(trials, key=lambda t: t.number), latest

    # -- heartbeat and lost trials ---------------------------------------------------

    def _beat_register(self) -> None:
        self._registered = time.time()
        self._exec(
            "INSERT OR REPLACE INTO writers (id, host, pid, heartbeat) VALUES (?, ?, ?, ?)",
            (self.writer, _HOST, os.getpid(), time.time()),
        )

    def _beat_start(self) -> None:
        with self._lock:
            if self._running > 0 and (self._beat is None or not self._beat.is_alive()):
                self._beat = threading.Thread(target=self._beat_loop, name="jhpo-heartbeat", daemon=True)
                self._beat.start()

    def _beat_loop(self) -> None:
        while True:
            time.sleep(HEARTBEAT)
            with self._lock:
                if self._running <= 0:
                    self._beat = None
                    return
                # A failed beat (disk full, locked) is retried next time; a long silence only risks
                # another writer marking our trial interrupted, which our tell then overwrites.
                with contextlib.suppress(StorageError, sqlite3.Error):
                    self._exec("UPDATE writers SET heartbeat = ? WHERE id = ?", (time.time(), self.writer))

    def trial_finished(self) -> None:
        with self._lock:
            self._running = max(0, self._running - 1)
            if not self._running:
                _LIVE.discard(self.writer)

    def interrupt_lost(self, name: str) -> list[int]:
        if self.readonly or not self._has("writer"):
            return []
        with self.exclusive():
            running = self._exec(
                "SELECT t.number, t.writer, w.host, w.pid, w.heartbeat FROM trials t "
                "LEFT JOIN writers w ON w.id = t.writer WHERE t.study = ? AND t.state = 'running'",
                (name,),
            )
            lost = [(n, writer, host, pid) for n, writer, host, pid, beat in running if _dead(writer, host, pid, beat)]
            if not lost:
                return []
            rev = self._revision(name)
            for i, (n, _, host, pid) in enumerate(lost, 1):
                who = f"pid {pid} on {host}" if pid is not None else "an earlier session"
                self._exec(
                    "UPDATE trials SET state = 'interrupted', error = ?, datetime_end = ?, revision = ? "
                    "WHERE study = ? AND number = ? AND state = 'running'",
                    (f"the process running this trial ({who}) stopped", time.time(), rev + i, name, n),
                )
        return [int(n) for n, *_ in lost]

    def close(self) -> None:
        with self._lock:
            self._running = 0
            _LIVE.discard(self.writer)
            self._db.close()


def _usable(trials: Iterable[Trial | None]) -> list[Trial]:
    return [t for t in trials if t is not None]


def _dead(writer: Any, host: Any, pid: Any, beat: Any) -> bool:
    if writer is None or host is None or not isinstance(pid, int) or not isinstance(beat, (int, float)):
        return True  # written by a version without heartbeats, or a writer row that is gone
    if host == _HOST and pid == os.getpid():
        return writer not in _LIVE
    if host == _HOST and not _pid_runs(pid):
        return True
    return time.time() - beat > LEASE


def _pid_runs(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed but not yet reaped child still answers kill(0): read its state
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return True


def open_storage(storage: str | os.PathLike[str] | Storage | None, create: bool = True) -> Storage:
    """``None`` -> the default SQLite file, ``":memory:"`` -> memory, a path -> SQLite there.

    With ``create=False`` a missing file raises :class:`StorageError` and nothing is created.
    """
    if isinstance(storage, Storage):
        return storage
    if storage == ":memory:":
        return InMemoryStorage()
    return SQLiteStorage(storage if storage is not None else DEFAULT_PATH, create=create)
