"""Bounded capture of a trial's stdout/stderr: the head and the tail, never all of it.

A cell printing 50 MB per trial must not hold 50 MB per trial in memory nor on
disk. :class:`BoundedWriter` keeps the first and the last part of what was
written (half the limit each) and counts what it dropped between them, so the
start (set-up messages) and the end (the final score, the traceback's context)
both stay readable. ``io.StringIO`` has no limit, hence a writer of our own.

The limit is ``JHPO_OUTPUT_LIMIT`` (characters, default 1,000,000) read when a
writer is made, so worker processes started with that environment variable use
it too; :func:`set_limit` changes it for this process.
"""

from __future__ import annotations

import collections
import io
import os

__all__ = ["DEFAULT_LIMIT", "BoundedWriter", "bound_text", "clean_text", "output_limit", "set_limit"]

#: Characters kept per stream and trial unless ``JHPO_OUTPUT_LIMIT`` says otherwise.
DEFAULT_LIMIT = 1_000_000

_limit: int | None = None


def output_limit() -> int:
    """The number of characters kept per captured stream (head plus tail)."""
    if _limit is not None:
        return _limit
    try:
        return max(2, int(os.environ.get("JHPO_OUTPUT_LIMIT", DEFAULT_LIMIT)))
    except ValueError:
        return DEFAULT_LIMIT


def set_limit(chars: int | None) -> None:
    """Keep at most ``chars`` characters per captured stream (``None``: back to the default).

    Also sets ``JHPO_OUTPUT_LIMIT`` so worker processes started afterwards agree.
    """
    global _limit
    if chars is not None and chars < 2:
        raise ValueError(f"the output limit must be at least 2 characters, but got {chars}")
    _limit = chars
    if chars is None:
        os.environ.pop("JHPO_OUTPUT_LIMIT", None)
    else:
        os.environ["JHPO_OUTPUT_LIMIT"] = str(chars)


def _marker(dropped: int) -> str:
    return f"\n[... jhpo dropped {dropped:,} characters of output here (limit {output_limit():,}) ...]\n"


def clean_text(text: str) -> str:
    """``text`` with lone surrogates escaped (``\\udcff``), so UTF-8 storage and JSON accept it."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def bound_text(text: str, limit: int | None = None) -> str:
    """``text`` cut to its head and tail when longer than ``limit``, saying how much was dropped."""
    if len(text) <= 2:  # the common empty stream: no limit to look up
        return text
    limit = output_limit() if limit is None else limit
    if len(text) <= limit:
        return text
    head = limit - limit // 2
    return text[:head] + _marker(len(text) - limit) + text[len(text) - limit // 2 :]


class BoundedWriter(io.TextIOBase):
    """A text stream like ``io.StringIO`` that keeps at most ``limit`` characters.

    Parameters
    ----------
    limit : int, optional
        Characters kept; defaults to :func:`output_limit`.

    Examples
    --------
    >>> w = BoundedWriter(limit=10)
    >>> _ = w.write("0123456789abcdef")
    >>> w.dropped
    6
    >>> w.getvalue().startswith("01234") and w.getvalue().endswith("bcdef")
    True
    """

    def __init__(self, limit: int | None = None) -> None:
        super().__init__()
        self.limit = output_limit() if limit is None else limit
        self._head_room = self.limit - self.limit // 2
        self._tail_room = self.limit // 2
        self._head: list[str] = []
        self._head_len = 0
        self._tail: collections.deque[str] = collections.deque()
        self._tail_len = 0
        self.dropped = 0

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        n = len(s)
        if self._head_len < self._head_room:
            take = s[: self._head_room - self._head_len]
            self._head.append(take)
            self._head_len += len(take)
            s = s[len(take) :]
        if s:
            self._push_tail(s)
        return n

    def _push_tail(self, s: str) -> None:
        if len(s) >= self._tail_room:  # the new text alone fills the tail
            self.dropped += self._tail_len + len(s) - self._tail_room
            self._tail.clear()
            s = s[len(s) - self._tail_room :] if self._tail_room else ""
            self._tail_len = 0
        self._tail.append(s)
        self._tail_len += len(s)
        while self._tail_len > self._tail_room:
            extra = self._tail_len - self._tail_room
            first = self._tail[0]
            if len(first) <= extra:
                self._tail.popleft()
                self._tail_len -= len(first)
                self.dropped += len(first)
            else:
                self._tail[0] = first[extra:]
                self._tail_len -= extra
                self.dropped += extra

    @property
    def truncated(self) -> bool:
        return self.dropped > 0

    def getvalue(self) -> str:
        """Head, a line saying how much was dropped (if anything), then the tail; surrogates escaped."""
        head, tail = "".join(self._head), "".join(self._tail)
        middle = _marker(self.dropped) if self.dropped else ""
        return clean_text(head + middle + tail)
