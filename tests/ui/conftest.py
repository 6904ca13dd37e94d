"""A fake comm for widget tests (as ipywidgets' own tests install one): it counts messages."""

from __future__ import annotations

import itertools

import pytest


class FakeComm:
    """Stands in for a kernel comm: records every message a widget sends."""

    log: list[dict] = []
    _ids = itertools.count()

    def __init__(self, *args, **kwargs) -> None:
        self.comm_id = f"fake-{next(self._ids)}"
        self.kernel = "fake"

    def open(self, *args, **kwargs) -> None: ...
    def on_msg(self, *args, **kwargs) -> None: ...
    def on_close(self, *args, **kwargs) -> None: ...
    def close(self, *args, **kwargs) -> None: ...

    def send(self, data=None, metadata=None, buffers=None) -> None:
        FakeComm.log.append({"comm": self.comm_id, "data": data})


@pytest.fixture
def fake_comm(monkeypatch):
    """Route every widget's comm to :class:`FakeComm`; yields the message log."""
    import comm
    import ipywidgets.comm

    monkeypatch.setattr(comm, "create_comm", lambda *a, **k: FakeComm())
    monkeypatch.setattr(ipywidgets.comm, "create_comm", lambda *a, **k: FakeComm())
    FakeComm.log = []
    yield FakeComm.log
