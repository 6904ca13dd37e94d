from __future__ import annotations

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
    assert listed.stdout.startswith("d\t")
