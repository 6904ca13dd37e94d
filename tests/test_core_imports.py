"""The search core must not load IPython, ipywidgets or bqplot."""

from __future__ import annotations

import subprocess
import sys


def test_core_imports_no_ui() -> None:
    code = (
        "import sys, jhpo, jhpo.study, jhpo.runner, jhpo.cell, jhpo.storage, jhpo.strategies\n"
        "import jhpo.strategies.grid, jhpo.strategies.random, jhpo.strategies.sobol\n"
        "s = jhpo.Study({'x': jhpo.uniform(0, 1)}, strategy='random', storage=':memory:')\n"
        "s.optimize(lambda t: t.params['x'], n_trials=3)\n"
        "bad = [m for m in ('IPython', 'ipywidgets', 'bqplot', 'ipykernel') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"the core imported {out.stdout.strip()}"


def test_optional_strategies_import_cleanly_too() -> None:
    code = (
        "import sys, importlib\n"
        "for m in ('bayes', 'genetic', 'hyperband', 'pruners'):\n"
        "    try:\n"
        "        importlib.import_module('jhpo.strategies.' + m)\n"
        "    except ImportError:\n"
        "        pass\n"
        "print(','.join(m for m in ('IPython', 'ipywidgets', 'bqplot') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
