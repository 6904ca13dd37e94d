from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_demo_tunes_a_real_model_and_prints_the_table(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "jhpo", "demo", "--trials", "6", "--strategy", "random", "--study", "d"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert "Best value" in out.stdout and "Top " in out.stdout
    assert "6/6" in out.stderr  # the progress bar ran to the end
    best = float(out.stdout.split("Best value ")[1].split()[0])
    assert 0.5 < best <= 1.0  # cross-validated accuracy on digits
    assert (tmp_path / ".jhpo" / "studies.db").exists()
    shown = subprocess.run(
        [sys.executable, "-m", "jhpo", "show", "d"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert shown.returncode == 0 and "params_C" in shown.stdout
    listed = subprocess.run([sys.executable, "-m", "jhpo", "list"], cwd=tmp_path, capture_output=True, text=True)
    assert listed.stdout.splitlines()[0].split() == [
        "study",
        "strategy",
        "trials",
        "(done/failed)",
        "best",
        "last",
        "change",
    ]
    assert listed.stdout.splitlines()[1].startswith("d ")


def _two_studies(db: Path) -> None:
    import jhpo

    space = {"x": jhpo.uniform(0, 1), "k": jhpo.choice("a", "b")}
    s = jhpo.Study(space, strategy="random", seed=0, storage=str(db), name="named", direction="minimize")
    s.enqueue({"x": 5.0, "k": "a"}, {"baseline": True})
    s.optimize(lambda t: t.params["x"] if t.number != 2 else 1 / 0, n_trials=5)
    jhpo.Study(space, strategy="grid", storage=str(db), meta={"objective": "acc"}).optimize(lambda t: 1.0, n_trials=2)


def test_list_shows_a_header_counts_best_and_last_change(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from jhpo.cli import main

    db = tmp_path / "s.db"
    _two_studies(db)
    assert main(["list", "--storage", str(db)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["study", "strategy", "trials"] and "last change" in lines[0]
    named = lines[1].split()
    assert named[:3] == ["named", "random", "5/1"]  # 5 finished, 1 of them failed
    assert float(named[3]) < 1 and named[4] == "(min)"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", named[5])
    # an unnamed study gets a readable name from its objective and first parameters
    assert re.fullmatch(r"acc-x-k-[0-9a-f]{4}", lines[2].split()[0])
    assert lines[2].split()[1:3] == ["grid", "2/0"]


def test_list_says_when_there_are_no_studies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import jhpo
    from jhpo.cli import main

    db = tmp_path / "s.db"
    jhpo.storage.SQLiteStorage(db).close()
    assert main(["list", "--storage", str(db)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("no studies in") and str(db) in out


def test_show_marks_the_baseline_yes_or_blank(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from jhpo.cli import main

    db = tmp_path / "s.db"
    _two_studies(db)
    assert main(["show", "named", "--storage", str(db)]) == 0
    out = capsys.readouterr().out
    table = out[out.index(" number ") :]
    assert "True" not in table and "NaN" not in table
    rows = table.splitlines()
    assert rows[0].split()[-2:] == ["baseline", "error"]
    assert rows[1].split()[-1] == "yes"  # the baseline
    assert "ZeroDivisionError" in rows[3]
    assert not rows[2].rstrip().endswith("yes")
