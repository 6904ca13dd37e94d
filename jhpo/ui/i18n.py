"""Panel labels in English, German, Italian and Spanish (gettext catalogs under ``jhpo/locale``).

The language is ``%config TuneMagics.language = "de"`` when set, else the first of
``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES`` and ``LANG`` that names a language we
ship, else English. Only labels are translated; numbers, parameter names and
tracebacks stay as they are.
"""

from __future__ import annotations

import gettext
import os
from pathlib import Path

__all__ = ["LANGUAGES", "current_language", "gettext_for", "set_language"]

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
#: Languages with a catalog (English is the source language).
LANGUAGES = ("en", "de", "it", "es")

_chosen: str | None = None


def set_language(language: str | None) -> None:
    """Choose the panel language (``"en"``, ``"de"``, ``"it"``, ``"es"``); None or "" follows the locale."""
    global _chosen
    if language:
        code = _normalise(language)
        if code is None:
            raise ValueError(f"no panel labels for language {language!r}; choose one of {', '.join(LANGUAGES)}")
        _chosen = code
    else:
        _chosen = None


def _normalise(name: str) -> str | None:
    code = name.split(".")[0].split("@")[0].split("_")[0].split("-")[0].lower()
    return code if code in LANGUAGES else None


def current_language() -> str:
    """The language labels are shown in now."""
    if _chosen:
        return _chosen
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        for part in os.environ.get(var, "").split(":"):
            code = _normalise(part) if part else None
            if code:
                return code
    return "en"


def gettext_for(language: str | None = None) -> gettext.NullTranslations:
    """The translations for ``language`` (default: :func:`current_language`); English has none."""
    lang = language or current_language()
    return gettext.translation("jhpo", localedir=str(LOCALE_DIR), languages=[lang], fallback=True)


def _(message: str) -> str:
    """Translate one label into the current language."""
    return gettext_for().gettext(message)
