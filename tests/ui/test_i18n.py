"""Panel labels in English, German, Italian and Spanish."""

from __future__ import annotations

import ast
import gettext
from pathlib import Path

import pytest

from jhpo.ui import i18n

UI = Path(i18n.__file__).resolve().parent
LABEL_MODULES = ["panel.py", "plots.py", "snapshot.py", *sorted(f"views/{p.name}" for p in (UI / "views").glob("*.py"))]
STATES = [
    "running",
    "paused",
    "done",
    "exhausted",
    "timeout",
    "stopped",
    "interrupted",
    "aborted",
    "finished",
    "complete",
    "failed",
    "pruned",
    "stopping",
]


def _labels() -> set[str]:
    """Every literal passed to ``_(...)`` in the panel's modules, and the state names it translates."""
    found = set(STATES)
    for name in LABEL_MODULES:
        for node in ast.walk(ast.parse((UI / name).read_text())):
            if (
                isinstance(node, ast.Call)
                and (getattr(node.func, "id", None) == "_" or getattr(node.func, "attr", None) == "_")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.add(node.args[0].value)
    return found


@pytest.mark.parametrize("lang", ["de", "it", "es"])
def test_every_label_is_translated(lang):
    mo = i18n.LOCALE_DIR / lang / "LC_MESSAGES" / "jhpo.mo"
    po = mo.with_suffix(".po")
    assert mo.exists() and po.exists()
    assert mo.stat().st_mtime >= po.stat().st_mtime - 1, "recompile the catalog: pybabel compile -d jhpo/locale -D jhpo"
    t = gettext.GNUTranslations(open(mo, "rb"))
    labels = _labels()
    assert len(labels) > 40
    missing = sorted(m for m in labels if m not in t._catalog)
    assert not missing, f"{lang}: no translation for {missing}"


def test_language_from_config_then_locale(monkeypatch):
    monkeypatch.setenv("LANGUAGE", "")
    monkeypatch.setenv("LC_ALL", "")
    monkeypatch.setenv("LC_MESSAGES", "")
    monkeypatch.setenv("LANG", "it_IT.UTF-8")
    i18n.set_language(None)
    assert i18n.current_language() == "it" and i18n.gettext_for().gettext("Pause") == "Pausa"
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    assert i18n.current_language() == "en" and i18n.gettext_for().gettext("Pause") == "Pause"
    i18n.set_language("de-CH")
    try:
        assert i18n.current_language() == "de" and i18n.gettext_for().gettext("Resume") == "Fortsetzen"
    finally:
        i18n.set_language(None)
    with pytest.raises(ValueError, match="choose one of"):
        i18n.set_language("fr")


def test_config_magic_sets_the_language():
    from IPython import get_ipython
    from IPython.testing.globalipapp import start_ipython

    ip = start_ipython() or get_ipython()
    ip.run_line_magic("load_ext", "jhpo")
    try:
        ip.run_line_magic("config", 'TuneMagics.language = "es"')
        assert i18n.current_language() == "es"
    finally:
        ip.run_line_magic("config", 'TuneMagics.language = ""')
    assert i18n._chosen is None
