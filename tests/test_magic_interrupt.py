"""An interrupted ``%%tune`` cell ends as interrupted, after showing and keeping what it found.

Python raises KeyboardInterrupt in the code that runs when SIGINT arrives; here
the cell raises it itself in its fourth trial, which is what the kernel's stop
button does at that moment, without a race against the timing. The real kernel,
with Run All's requests in flight and a real SIGINT, is in tests/test_run_all.py.
"""

from __future__ import annotations

from IPython.utils.capture import capture_output

from jhpo.storage import SQLiteStorage
from jhpo.trial import TrialState

CELL = """\
x = 0.5  # tune: uniform(0, 1)
calls.append(x)
if len(calls) == 4:
    raise KeyboardInterrupt
score = scorer()
"""


def _search(ip, options: str = ""):  # type: ignore[no-untyped-def]
    # an earlier cell: a function reading the tuned name, and a list the cell appends to
    ip.run_cell("base = 10\ncalls = []\ndef scorer():\n    return x + base - base")
    line = f"--strategy random --trials 10 --maximize score --seed 0 --storage s.db --study first {options}"
    with capture_output() as shown:
        res = ip.run_cell(f"%%tune {line}\n{CELL}")
    return res, shown


def test_interrupted_search_ends_the_cell_as_interrupted_keeping_the_best(ip) -> None:  # type: ignore[no-untyped-def]
    res, shown = _search(ip, "-o r")
    assert isinstance(res.error_in_exec, KeyboardInterrupt)  # the kernel replies "error": queued cells abort
    assert not res.success
    message = str(res.error_in_exec)
    assert "3 finished trials are kept in study 'first' (s.db)" in message and "`r` holds the result" in message
    stored = SQLiteStorage("s.db").load_trials("first")
    assert [t.state for t in stored] == [TrialState.COMPLETE] * 3 + [TrialState.INTERRUPTED]
    best = max(stored[:3], key=lambda t: t.value)
    assert ip.user_ns["x"] == best.params["x"] and ip.user_ns["score"] == best.value
    assert ip.user_ns["r"].best_trial.number == best.number
    assert len(ip.user_ns["calls"]) == 4  # nothing was re-run after the interrupt
    # the result was shown before the cell ended (in a terminal: the summary)
    assert any("Best value" in o.data.get("text/plain", "") for o in shown.outputs), shown.outputs


def test_interrupted_search_without_o_still_shows_the_result(ip) -> None:  # type: ignore[no-untyped-def]
    res, shown = _search(ip, "--quiet")
    assert isinstance(res.error_in_exec, KeyboardInterrupt)
    assert "`%tune_show first s.db` shows it again" in str(res.error_in_exec)
    assert any("Best value" in o.data.get("text/plain", "") for o in shown.outputs), shown.outputs
    assert ip.run_line_magic("tune_show", "first s.db").best_params == {"x": ip.user_ns["x"]}


def test_a_search_that_ends_by_itself_ends_its_cell_normally(ip) -> None:  # type: ignore[no-untyped-def]
    ip.run_cell("base = 10\ncalls = [0] * 4\ndef scorer():\n    return x + base - base")  # never 4 calls
    res = ip.run_cell(f"%%tune --strategy random --trials 3 --maximize score --seed 0 --storage s.db\n{CELL}")
    assert res.success and res.result.study.stop_reason == "done"
