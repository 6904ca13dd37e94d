"""The panel, its plots and the saved snapshot on a tree-structured space (inactive parameters are absent)."""

from __future__ import annotations

import jhpo
from jhpo.space import Clause, Condition
from jhpo.trial import TrialState


def _tree_study(tmp_path):  # type: ignore[no-untyped-def]
    space = jhpo.Space(
        {"clf": jhpo.choice("svc", "rf"), "C": jhpo.loguniform(0.01, 100), "depth": jhpo.integer(2, 32)},
        conditions={
            "C": Condition((Clause("clf", "==", "svc"),)),
            "depth": Condition((Clause("clf", "==", "rf"),)),
        },
    )
    return jhpo.Study(space, strategy="random", seed=0, storage=str(tmp_path / "t.db"), name="tree")


def test_panel_plots_and_snapshot_of_a_conditional_study(fake_comm, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from jhpo.ui.panel import Panel, trial_detail_html
    from jhpo.ui.snapshot import snapshot_html

    panel = Panel()
    study = _tree_study(tmp_path)
    study.observers.append(panel)
    study.optimize(lambda t: t.params.get("C", 0) / 100 + t.params.get("depth", 0) / 32, n_trials=16)
    for i in range(len(panel.plots.tabs.children)):
        panel.plots.tabs.selected_index = i  # build every page
    done = [t for t in study.trials if t.state is TrialState.COMPLETE]
    assert len(done) == 16
    svc = [t.number for t in done if t.params["clf"] == "svc"]
    assert (
        sorted(panel.plots.view("params").points["C"].numbers) == svc
    )  # each parameter over the trials where it was active
    rf = next(t for t in done if t.params["clf"] == "rf")
    assert "depth" in trial_detail_html(rf, str) and ">C<" not in trial_detail_html(rf, str)
    html = snapshot_html(jhpo.load_study("tree", str(tmp_path / "t.db")))
    assert "<svg" in html and "tree" in html
