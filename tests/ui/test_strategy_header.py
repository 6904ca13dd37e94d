"""The panel's header and the saved snapshot name the strategy that chooses the trials now and,
for a study resumed under other strategies, which chose the earlier trials."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jhpo

SPACE = {"x": jhpo.uniform(0.0, 1.0)}


def _x(t: jhpo.Trial) -> float:
    return float(t.params["x"])


def test_the_panel_and_snapshot_say_which_strategy_chose_which_trials(tmp_path: Path, fake_comm: Any) -> None:
    from jhpo.ui.panel import Panel
    from jhpo.ui.plotdata import strategy_history
    from jhpo.ui.snapshot import snapshot_html

    db = str(tmp_path / "s.db")
    jhpo.Study(SPACE, strategy="random", storage=db, name="s", seed=0).optimize(_x, n_trials=3)
    jhpo.Study(SPACE, strategy="sobol", storage=db, name="s", resume=True).optimize(_x, n_trials=2)
    resumed = jhpo.Study(SPACE, strategy="bayes", storage=db, name="s", resume=True)
    panel = Panel()
    resumed.observers.append(panel)
    resumed.optimize(_x, n_trials=2)
    assert strategy_history(resumed.meta) == ("bayes", "random: trials 0–2; sobol: trials 3–4")
    assert "<b>bayes</b> <span class='jhpo-muted'>(random: trials 0–2; sobol: trials 3–4)</span>" in panel.header.value
    assert "<b>bayes</b> (random: trials 0–2; sobol: trials 3–4)" in snapshot_html(resumed)
    # one strategy throughout: nothing more than its name
    plain = jhpo.Study(SPACE, strategy="random", storage=":memory:")
    assert strategy_history(plain.meta) == ("random", "")
