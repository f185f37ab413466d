"""Translations. Messages are written in Bahasa Indonesia (the msgid) and translated to English.

The active locale lives in a context variable set per request by the locale middleware, so
services and templates translate without passing the request around.
"""

from __future__ import annotations

import gettext as _gettext
from contextvars import ContextVar
from datetime import date, datetime, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import Final

from babel import dates as babel_dates
from babel.core import negotiate_locale

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
    """Choose the locale: an explicit choice wins, then the browser's best by q-value (as Babel
    negotiates it), then Indonesian."""
    if requested in LOCALES:
        return requested
    preferred = [
        candidate
        for tag in accepted_languages(accept_language)
        for candidate in (tag, tag.split("-")[0])
    ]
    return negotiate_locale(preferred, LOCALES, sep="-") or DEFAULT_LOCALE


def accepted_languages(header: str | None) -> list[str]:
    """The language tags of an Accept-Language header, most wanted first (RFC 9110 12.5.4):
    lower-cased, ordered by q-value (the header's order among equals); ``q=0``, ``*`` and
    malformed entries dropped."""
    weighted: list[tuple[float, str]] = []
    for part in (header or "").split(","):
        tag, *params = (piece.strip() for piece in part.lower().split(";"))
        quality = 1.0
        for param in params:
            name, _sep, value = param.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and tag != "*" and 0 < quality <= 1:
            weighted.append((quality, tag))
    weighted.sort(key=lambda entry: -entry[0])  # stable: the header's order among equals
    return [tag for _quality, tag in weighted]


def format_date(value: date, locale: str | None = None) -> str:
    """A date as people read it: "20 November 2026" (Indonesian), "20 November 2026" (English
    too: the day-month-year order Indonesians expect, with the month translated)."""
    return babel_dates.format_date(value, "d MMMM y", locale=locale or current_locale.get())


def format_datetime(
    value: datetime,
    tz: tzinfo | None = None,
    locale: str | None = None,
    *,
    seconds: bool = False,
    zone: bool = False,
) -> str:
    """A moment as people read it, in ``tz`` (the region's time zone): "20 November 2026 14.05"
    in Indonesian (the dot Indonesians write between hours and minutes), "20 November 2026
    14:05" in English; ``seconds`` for logs, ``zone`` adds the zone's abbreviation (WIB)."""
    locale = locale or current_locale.get()
    moment = value.astimezone(tz) if tz is not None else value
    sep = "." if locale == "id" else ":"
    clock = sep.join(["HH", "mm", "ss"] if seconds else ["HH", "mm"])
    text = babel_dates.format_datetime(
        moment, f"d MMMM y {clock}", tzinfo=moment.tzinfo, locale=locale
    )
    return f"{text} {moment.strftime('%Z')}" if zone else text
