from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# Keep Jupyter/IPython from writing into the home directory during tests.
_TMP = Path(tempfile.mkdtemp(prefix="jhpo-test-home-"))
for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
    os.environ.setdefault(var, str(_TMP / var.lower()))
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def ip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """A real IPython shell with jhpo loaded, working in a temp folder (so .jhpo/ lands there)."""
    from IPython.testing.globalipapp import get_ipython, start_ipython

    monkeypatch.chdir(tmp_path)
    shell = start_ipython() or get_ipython()
    shell.run_line_magic("load_ext", "jhpo")
    saved = dict(shell.user_ns)
    yield shell
    shell.user_ns.clear()
    shell.user_ns.update(saved)
