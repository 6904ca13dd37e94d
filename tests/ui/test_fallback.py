"""Outside a notebook: a text progress line and a final table; nothing with --quiet."""

from __future__ import annotations

from IPython import get_ipython
from IPython.testing.globalipapp import start_ipython
from IPython.utils.capture import capture_output

from jhpo.ui import make_observer
from jhpo.ui.text import TextProgress


def test_observer_choice_in_a_terminal():
    assert make_observer(quiet=True) is None
    assert isinstance(make_observer(), TextProgress)


def test_result_displays_as_text_in_a_terminal(tmp_path):
    ip = start_ipython() or get_ipython()
    ip.run_line_magic("load_ext", "jhpo")
    cell = "x = 0.5  # tune: uniform(0, 1)\nscore = -(x - 0.3) ** 2\n"
    with capture_output() as cap:
        ip.run_cell_magic(
            "tune",
            f"--strategy random --trials 5 --maximize score --seed 0 --study t --storage {tmp_path / 's.db'} -o res",
            cell,
        )
    res = ip.user_ns["res"]
    assert not getattr(res, "_shown_live", False)  # no widget panel was shown
    with capture_output() as cap:
        ip.run_cell("res")
    shown = "".join(o.data.get("text/plain", "") for o in cap.outputs) + cap.stdout
    assert "Best value" in shown and "Top" in shown
    with capture_output() as cap:
        ip.run_cell(f"%tune_show t {tmp_path / 's.db'}")
    assert "Study 't'" in "".join(o.data.get("text/plain", "") for o in cap.outputs) + cap.stdout
