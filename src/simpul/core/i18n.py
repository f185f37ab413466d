"""Translations. Messages are written in Bahasa Indonesia (the msgid) and translated to English.

The active locale lives in a context variable set per request by the locale middleware, so
services and templates translate without passing the request around.
"""

from __future__ import annotations

import gettext as _gettext
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Final

LOCALES: Final = ("id", "en")
DEFAULT_LOCALE: Final = "id"
LOCALE_DIR: Final = Path(__file__).resolve().parent.parent / "locale"
DOMAIN: Final = "messages"

current_locale: ContextVar[str] = ContextVar("current_locale", default=DEFAULT_LOCALE)


@lru_cache
def translations(locale: str) -> _gettext.NullTranslations:
    if locale == DEFAULT_LOCALE:
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, LOCALE_DIR, languages=[locale], fallback=True)


def gettext(message: str) -> str:
    """Translate ``message`` (Indonesian) into the current locale."""
    return translations(current_locale.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_locale.get()).ngettext(singular, plural, n)


_ = gettext


def lazy(message: str) -> str:
    """Mark a message for extraction where it is translated later (e.g. at render time)."""
    return message


def pick_locale(requested: str | None, accept_language: str | None) -> str:
    """Choose the locale: an explicit choice wins, then the browser's, then Indonesian."""
    if requested in LOCALES:
        return requested
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LOCALES:
            return tag
    return DEFAULT_LOCALE
