"""Figures as people read them, in the page's language: one helper for every percentage.

Indonesian writes ``12,5%`` and ``1.234``; English ``12.5%`` and ``1,234``. Every percentage
has one decimal, whatever page shows it (the KPI and savings dashboards, the comparison):
before, each template had its own macro and the pages disagreed.
"""

from __future__ import annotations

from typing import Final

from simpul.core.i18n import current_locale

#: Indonesian swaps English's separators: 1,234.5 -> 1.234,5.
_SWAP: Final = str.maketrans({",": ".", ".": ","})
#: What a figure that does not exist shows (no finished application: no share).
MISSING: Final = "—"


def _localised(text: str, locale: str | None) -> str:
    return text if (locale or current_locale.get()) == "en" else text.translate(_SWAP)


def format_number(value: float | None, decimals: int = 0, locale: str | None = None) -> str:
    """``1.234`` or ``4,5`` (Indonesian), ``1,234`` or ``4.5`` (English); a dash for None."""
    if value is None:
        return MISSING
    return _localised(f"{value:,.{decimals}f}", locale)


def format_percent(ratio: float | None, locale: str | None = None) -> str:
    """A share (0..1) as ``12,5%`` (Indonesian) or ``12.5%`` (English), one decimal; a dash
    for None."""
    if ratio is None:
        return MISSING
    return _localised(f"{ratio * 100:,.1f}", locale) + "%"
