"""Run All runs every cell in order, whatever the panel did during a search (no browser).

JupyterLab's and Notebook 7's Run All send every ``execute_request`` at once;
nbclient sends one and waits, so it can never show an ordering bug. These tests
talk to a real kernel as the front ends do: all requests in flight, then clicks
(Stop, Pause, a tab change) sent as the widget messages a browser sends.

Each cell asserts what the cells before it did, so a cell run out of order fails
(and the kernel aborts the rest): the replies' statuses and execution counts show it.

Run on the kernel of this interpreter, and on ipykernel 6 when
``JHPO_IPYKERNEL6_PYTHON`` names a Python that has ``ipykernel<7`` (e.g. a venv
made with ``--system-site-packages`` and ``pip install 'ipykernel<7'``).
"""

from __future__ import annotations

import json
import os
import queue
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.notebook]

REPO = Path(__file__).resolve().parents[1]
KERNELS = ["this", "ipykernel6"]

TUNE = """%%tune --strategy random --trials {n} --maximize score --seed 0 --study {study} --storage {db} -o {out}
x = 0.5  # tune: uniform(0, 1)
import time
time.sleep(0.03)
score = x + base - base"""


def start_kernel(tmp_path: Path, which: str, monkeypatch: pytest.MonkeyPatch):
    """A real kernel that imports this checkout of jhpo: this interpreter's, or ipykernel 6's."""
    from jupyter_client.manager import start_new_kernel

    name = "python3"
    if which == "ipykernel6":
        python = os.environ.get("JHPO_IPYKERNEL6_PYTHON")
        if not python:
            pytest.skip("set JHPO_IPYKERNEL6_PYTHON to a Python with ipykernel<7 to test ipykernel 6")
        spec = tmp_path / "share" / "kernels" / "ipk6"
        spec.mkdir(parents=True)
        argv = [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        spec.joinpath("kernel.json").write_text(
            json.dumps({"argv": argv, "display_name": "ipk6", "language": "python"})
        )
        monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "share"))
        name = "ipk6"
    env = dict(os.environ, IPYTHONDIR=str(tmp_path / "ipy"))
    env["PYTHONPATH"] = os.pathsep.join(p for p in [str(REPO), env.get("PYTHONPATH", "")] if p)
    km, kc = start_new_kernel(kernel_name=name, cwd=str(tmp_path), env=env)
    import ipykernel

    major = "6" if which == "ipykernel6" else ipykernel.__version__.split(".")[0]
    # the kernel really is the one meant, and runs this checkout's jhpo
    probe = f"import ipykernel, jhpo\nassert ipykernel.__version__.split('.')[0] == {major!r}, ipykernel.__version__\n"
    probe += f"assert jhpo.__file__.startswith({str(REPO)!r}), jhpo.__file__"
    reply = kc.execute_interactive(probe, timeout=60, output_hook=lambda m: None)
    assert reply["content"]["status"] == "ok", reply["content"]
    return km, kc


@pytest.fixture(params=KERNELS)
def kernel_and_manager(request, tmp_path, monkeypatch):
    km, kc = start_kernel(tmp_path, request.param, monkeypatch)
    try:
        yield kc, km
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


@pytest.fixture
def kernel(kernel_and_manager):
    return kernel_and_manager[0]


def run_all(kc, cells, during=None, timeout=180.0):
    """Send every cell at once (as Run All does), call ``during(kc)``, and return the replies in send order."""
    ids = [kc.execute(source) for source in cells]
    if during is not None:
        during(kc)
    replies: dict[str, dict] = {}
    deadline = time.time() + timeout
    while len(replies) < len(ids):
        assert time.time() < deadline, f"only {len(replies)} of {len(ids)} cells replied"
        msg = kc.get_shell_msg(timeout=timeout)
        if msg["msg_type"] == "execute_reply" and msg["parent_header"]["msg_id"] in ids:
            replies[msg["parent_header"]["msg_id"]] = msg["content"]
    return [replies[i] for i in ids]


def assert_in_order(replies):
    """Every cell succeeded, and the kernel numbered them in the order they were sent."""
    problems = [(i, r["status"], r.get("ename"), r.get("evalue")) for i, r in enumerate(replies) if r["status"] != "ok"]
    assert not problems, problems
    counts = [r["execution_count"] for r in replies]
    assert counts == list(range(counts[0], counts[0] + len(counts))), counts


def notebook(db: str, first: int = 12) -> list[str]:
    """setup / %%tune / B / C / D / %%tune / E / F: each cell checks the ones before it ran, in order."""
    return [
        "%load_ext jhpo\nseen = []",
        "seen.append('setup'); base = 10",
        TUNE.format(n=first, study="first", db=db, out="r1"),
        "assert seen == ['setup'], seen\nassert x == r1.best_params['x'], (x, r1.best_params)\nseen.append('B'); b = 1",
        "assert seen == ['setup', 'B'], seen\nseen.append('C'); c = b + 1",
        "assert seen == ['setup', 'B', 'C'], seen\nseen.append('D'); d = c + 1",
        TUNE.format(n=6, study="second", db=db, out="r2"),
        "assert seen == ['setup', 'B', 'C', 'D'] and d == 3, seen\nassert len(r2.trials) == 6\nseen.append('E')",
        "assert seen == ['setup', 'B', 'C', 'D', 'E'], seen\nseen.append('F')",
    ]


def comms(kc, wanted, timeout=60.0):
    """Read iopub until the widgets named in ``wanted`` (button descriptions or model names) are opened."""
    found: dict[str, str] = {}
    deadline = time.time() + timeout
    while len(found) < len(wanted):
        assert time.time() < deadline, f"never opened: {set(wanted) - set(found)}"
        try:
            msg = kc.get_iopub_msg(timeout=1)
        except queue.Empty:
            continue
        if msg["msg_type"] != "comm_open":
            continue
        state = msg["content"].get("data", {}).get("state", {})
        for key in (state.get("description"), state.get("_model_name")):
            if key in wanted and key not in found:
                found[key] = msg["content"]["comm_id"]
    return found


def send_comm(kc, comm_id, data):
    kc.shell_channel.send(kc.session.msg("comm_msg", {"comm_id": comm_id, "data": data}))


def click(kc, comm_id):
    send_comm(kc, comm_id, {"method": "custom", "content": {"event": "click"}})


def trials(db, study):
    from jhpo.storage import SQLiteStorage

    return SQLiteStorage(db).load_trials(study)


def check_seen(kc, expected):
    reply = kc.execute_interactive(f"assert seen == {expected!r}, seen", timeout=60, output_hook=lambda m: None)
    assert reply["content"]["status"] == "ok", reply["content"]


def test_run_all_runs_cells_in_order_around_two_searches(kernel, tmp_path):
    db = str(tmp_path / "s.db")
    assert_in_order(run_all(kernel, notebook(db)))
    check_seen(kernel, ["setup", "B", "C", "D", "E", "F"])


def test_run_all_in_order_when_stop_is_clicked(kernel, tmp_path):
    db = str(tmp_path / "s.db")

    def stop_during_search(kc):
        found = comms(kc, {"Stop", "TabModel"})
        time.sleep(0.5)
        # a tab change is an "update" message from the front end, as a hover or a slider is
        send_comm(kc, found["TabModel"], {"method": "update", "state": {"selected_index": 1}, "buffer_paths": []})
        time.sleep(0.3)
        click(kc, found["Stop"])

    replies = run_all(kernel, notebook(db, first=400), during=stop_during_search)
    assert_in_order(replies)
    check_seen(kernel, ["setup", "B", "C", "D", "E", "F"])
    first = trials(db, "first")
    assert 3 <= len(first) < 400, len(first)  # Stop reached the search while it ran
    assert len(trials(db, "second")) == 6  # and did not stop the next search


def test_run_all_in_order_after_pause_and_resume(kernel, tmp_path):
    db = str(tmp_path / "s.db")
    paused: list[int] = []

    def pause_then_resume(kc):
        found = comms(kc, {"Pause"})
        time.sleep(0.6)
        click(kc, found["Pause"])
        time.sleep(0.8)
        paused.append(len(trials(db, "first")))
        time.sleep(1.0)
        paused.append(len(trials(db, "first")))
        click(kc, found["Pause"])  # the same button now reads Resume

    assert_in_order(run_all(kernel, notebook(db, first=60), during=pause_then_resume))
    check_seen(kernel, ["setup", "B", "C", "D", "E", "F"])
    assert paused[0] == paused[1] < 60, paused  # held while paused
    assert len(trials(db, "first")) == 60  # and resumed to the end


def test_run_all_stops_at_the_first_failing_cell_after_a_search(kernel, tmp_path):
    # as without jhpo: a cell that raises aborts the cells queued behind it, it does not run them
    db = str(tmp_path / "s.db")
    cells = notebook(db)[:4] + ["seen.append('fails'); raise ValueError('boom')"] + notebook(db)[4:6]
    replies = run_all(kernel, cells)
    assert [r["status"] for r in replies] == ["ok"] * 4 + ["error", "aborted", "aborted"], replies
    counts = [r["execution_count"] for r in replies[:5]]
    assert counts == list(range(counts[0], counts[0] + 5)), counts
    check_seen(kernel, ["setup", "B", "fails"])


def test_cells_read_past_are_run_even_if_the_poller_is_never_closed(kernel):
    # a search that dies before its panel closes the poller must not leave the next cells waiting forever
    cells = [
        "seen = []",
        "from jhpo.ui.uipoll import UIPoller\nimport time\np = UIPoller()\ntime.sleep(1.0)\np.poll()\nseen.append('A')",
        "assert seen == ['A'], seen\nseen.append('B')",
        "assert seen == ['A', 'B'], seen\nseen.append('C')",
    ]
    assert_in_order(run_all(kernel, cells, timeout=60))
    check_seen(kernel, ["A", "B", "C"])


def test_interrupting_a_search_ends_its_cell_as_interrupted_and_aborts_the_queued_cells(kernel_and_manager, tmp_path):
    # The kernel's stop button (SIGINT, as the server sends it) during a search: the cell ends as an
    # interrupted cell does, so the front end's queued cells are aborted; what the search found is kept.
    from jhpo.trial import TrialState

    kc, km = kernel_and_manager
    db = str(tmp_path / "s.db")

    def interrupt_during_search(kc):
        deadline = time.time() + 90
        while not (os.path.exists(db) and len(trials(db, "first")) >= 4):
            assert time.time() < deadline, "the search never got going"
            time.sleep(0.1)
        km.interrupt_kernel()

    replies = run_all(kc, notebook(db, first=400), during=interrupt_during_search)
    statuses = [r["status"] for r in replies]
    assert statuses == ["ok", "ok", "error"] + ["aborted"] * 6, replies
    assert replies[2]["ename"] == "KeyboardInterrupt", replies[2]
    assert "finished trials are kept in study 'first'" in replies[2]["evalue"], replies[2]
    # the message alone, not a traceback through IPython's and jhpo's frames
    assert replies[2]["traceback"] == ["KeyboardInterrupt: " + replies[2]["evalue"]], replies[2]["traceback"]
    # the cell showed its result before it ended: the live panel, then the interruption
    shown = iopub_of(kc, replies)
    assert "display_data" in shown and shown[-1] == "error", shown

    stored = trials(db, "first")
    complete = [t for t in stored if t.state is TrialState.COMPLETE]
    assert 3 <= len(complete) < 400, len(complete)  # the interrupt reached the running search
    assert all(t.state in (TrialState.COMPLETE, TrialState.INTERRUPTED) for t in stored), stored
    assert sum(t.state is TrialState.INTERRUPTED for t in stored) <= 1
    assert not trials(db, "second")  # the next search, queued behind it, never ran
    best = max(complete, key=lambda t: t.value)
    check = (
        f"assert seen == ['setup'], seen\nassert x == {best.params['x']!r}, x\nassert score == {best.value!r}, score\n"
        f"assert r1.best_trial.number == {best.number} and r1.study.stop_reason == 'interrupted'"
    )
    reply = kc.execute_interactive(check, timeout=60, output_hook=lambda m: None)
    assert reply["content"]["status"] == "ok", reply["content"]


def iopub_of(kc, replies):
    """The iopub message types of the cell that failed, in order (read after the run)."""
    by_parent: dict[str, list[str]] = {}
    while True:
        try:
            msg = kc.get_iopub_msg(timeout=2)
        except queue.Empty:
            break
        if msg["msg_type"] in ("display_data", "error", "execute_result", "update_display_data"):
            by_parent.setdefault(msg["parent_header"].get("msg_id"), []).append(msg["msg_type"])
    failed = [types for types in by_parent.values() if "error" in types]
    assert len(failed) == 1, by_parent
    return failed[0]


def test_interrupting_a_paused_search_ends_its_cell_as_interrupted(kernel_and_manager, tmp_path):
    # Pause holds the search between trials; the kernel's stop button must still end the cell (and the run)
    from jhpo.trial import TrialState

    kc, km = kernel_and_manager
    db = str(tmp_path / "s.db")
    held: list[int] = []

    def pause_then_interrupt(kc):
        found = comms(kc, {"Pause"})
        time.sleep(0.6)
        click(kc, found["Pause"])
        time.sleep(0.8)
        held.append(len(trials(db, "first")))
        km.interrupt_kernel()

    replies = run_all(kc, notebook(db, first=60), during=pause_then_interrupt)
    assert [r["status"] for r in replies] == ["ok", "ok", "error"] + ["aborted"] * 6, replies
    assert replies[2]["ename"] == "KeyboardInterrupt", replies[2]
    stored = trials(db, "first")
    assert len(stored) == held[0] < 60  # nothing ran after the pause
    assert all(t.state is TrialState.COMPLETE for t in stored), stored  # paused between trials: none was cut
    best = max(stored, key=lambda t: t.value)
    check = f"assert seen == ['setup'], seen\nassert x == {best.params['x']!r}, x"
    reply = kc.execute_interactive(check, timeout=60, output_hook=lambda m: None)
    assert reply["content"]["status"] == "ok", reply["content"]
