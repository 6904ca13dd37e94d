"""Stop and Pause reach a search while its cell runs, in a real kernel (no browser).

A client talks to ipykernel the way JupyterLab does: it runs a ``%%tune`` cell,
finds the panel's buttons among the ``comm_open`` messages, and sends the same
``comm_msg`` a click sends. Another cell sent during the search must wait for the
search to end (held back, then run in order), never run inside it. Run on ipykernel 7
and, with ``JHPO_IPYKERNEL6_PYTHON`` set, on ipykernel 6 (see ``tests/test_run_all.py``).
"""

from __future__ import annotations

import queue
import time

import pytest

from tests.test_run_all import KERNELS, start_kernel

pytestmark = [pytest.mark.slow, pytest.mark.notebook]

CELL = """%%tune --strategy random --trials 400 --maximize score --seed 0 --study s --storage {db} --no-apply
x = 0.5  # tune: uniform(0, 1)
import time
time.sleep(0.03)
score = x"""


@pytest.fixture(params=KERNELS)
def kernel(request, tmp_path, monkeypatch):
    km, kc = start_kernel(tmp_path, request.param, monkeypatch)
    try:
        kc.execute_interactive("%load_ext jhpo", timeout=60)
        yield kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def _button(kc, description, timeout=60.0):
    """Read iopub until the panel's button ``description`` is opened; count finished trials on the way."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            msg = kc.get_iopub_msg(timeout=1)
        except queue.Empty:
            continue
        c = msg["content"]
        if msg["msg_type"] == "comm_open" and c.get("data", {}).get("state", {}).get("description") == description:
            return c["comm_id"]
    raise AssertionError(f"no {description!r} button was displayed")


def _click(kc, comm_id):
    kc.shell_channel.send(
        kc.session.msg("comm_msg", {"comm_id": comm_id, "data": {"method": "custom", "content": {"event": "click"}}})
    )


def _reply(kc, msg_id, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        reply = kc.get_shell_msg(timeout=timeout)
        if reply["parent_header"].get("msg_id") == msg_id:
            return reply
    raise AssertionError("no reply")


def _trials(db):
    from jhpo.storage import SQLiteStorage

    return SQLiteStorage(db).load_trials("s")


def test_stop_click_reaches_the_running_search(kernel, tmp_path):
    db = str(tmp_path / "s.db")
    run = kernel.execute(CELL.format(db=db))
    stop = _button(kernel, "Stop")
    time.sleep(1.0)
    other = kernel.execute(
        f"from jhpo.storage import SQLiteStorage; after = len(SQLiteStorage({db!r}).load_trials('s'))"
    )
    _click(kernel, stop)
    first = _reply(kernel, run)
    assert first["content"]["status"] == "ok"
    second = _reply(kernel, other)  # held back during the search, run after it, in order
    assert second["content"]["status"] == "ok"
    trials = _trials(db)
    assert 5 <= len(trials) < 400
    assert all(t.state.value != "running" for t in trials)
    check = kernel.execute_interactive(f"assert after == {len(trials)}, after", timeout=30)
    assert check["content"]["status"] == "ok"


def test_pause_holds_and_resume_continues(kernel, tmp_path):
    db = str(tmp_path / "s.db")
    run = kernel.execute(CELL.format(db=db))
    pause = _button(kernel, "Pause")
    stop = _button(kernel, "Stop")
    time.sleep(0.8)
    _click(kernel, pause)
    time.sleep(0.8)
    held = len(_trials(db))
    time.sleep(1.0)
    assert len(_trials(db)) == held, "trials ran while paused"
    _click(kernel, pause)  # the same button now reads Resume
    time.sleep(1.0)
    assert len(_trials(db)) > held + 3
    _click(kernel, stop)
    assert _reply(kernel, run)["content"]["status"] == "ok"
    assert len(_trials(db)) < 400
