"""The errors a study file can give, each one line naming the file and the fix.

sqlite3 and the OS report faults as bare messages ("database or disk is full",
"file is not a database") without the file's name; :func:`fault` turns them
into the errors below, which ``%%tune`` and ``jhpo`` show as one line.
"""

from __future__ import annotations

__all__ = ["StorageError", "StorageFull", "StorageReadOnly", "fault"]


class StorageError(ValueError):
    """The study file cannot be used; the message is one line naming the file and the fix.

    A ``ValueError`` so that ``%%tune`` reports it as one line, like its other usage errors.
    """

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.path = path


class StorageFull(StorageError):
    """No space left on the device holding the study file (finished trials are kept)."""


class StorageReadOnly(StorageError):
    """The study file or its folder cannot be written; reading still works."""


def fault(exc: BaseException, path: str) -> StorageError:
    """Translate a sqlite3/OS error into one line naming ``path`` and the fix."""
    text = str(exc).lower()
    if "disk is full" in text or getattr(exc, "errno", None) == 28:
        return StorageFull(
            f"no space left on the device holding {path}: the search stopped; every finished trial is kept. "
            "Free some space and run again with --resume to continue",
            path,
        )
    if "readonly" in text or "read-only" in text or getattr(exc, "errno", None) in (1, 13, 30):
        return StorageReadOnly(
            f"cannot write to {path} (read-only file or folder); reading it works. To continue the study, "
            "copy the file to a writable folder and pass that copy as --storage",
            path,
        )
    if "not a database" in text:
        return StorageError(
            f"{path} is not a jhpo study file (not a SQLite database); pass another --storage path or move it away",
            path,
        )
    if "malformed" in text or "corrupt" in text:
        return StorageError(
            f"{path} is damaged ({exc}); restore it from a backup, or recover what is left with "
            f"`sqlite3 {path} .recover | sqlite3 recovered.db`, or pass another --storage path",
            path,
        )
    if "locked" in text or "busy" in text:
        return StorageError(f"{path} stayed locked by another process for 30 s; retry when that process is done", path)
    return StorageError(f"cannot use the study file {path}: {exc}; pass another --storage path", path)
