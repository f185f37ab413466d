"""Bounds every value taken from a request shares, so that no input can crash the server.

Each bound sits where a value would otherwise go past what Python or PostgreSQL can hold:

- text: PostgreSQL cannot store or compare NUL (U+0000) in text, so no text from a request
  may contain it (``contains_nul``; the web app refuses it for every parameter and field in
  ``simpul.web.inputs``);
- paging: ``OFFSET`` takes a bigint; offsets are bounded far below it by ``MAX_OFFSET`` and
  declared on the parameters, so the API documents the bound and FastAPI refuses the rest;
- dates: a report or filter date lies in ``[EARLIEST_DATE, LATEST_DATE]``, so adding a day,
  a week or a month to it, or counting months back from it, stays inside Python's years 1
  to 9999 and PostgreSQL's range.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any, Final

from simpul.core.i18n import _

#: The largest offset a list accepts: past every row a region will ever have, far inside
#: PostgreSQL's bigint (2**63 - 1), and small enough for any arithmetic done on it.
MAX_OFFSET: Final = 2**31 - 1
#: Page numbers of the pages' lists (the offset is (page - 1) x page size).
MAX_PAGE_NUMBER: Final = 100_000
EARLIEST_DATE: Final = dt.date(1900, 1, 1)
LATEST_DATE: Final = dt.date(2999, 12, 31)
NUL: Final = "\x00"


def date_in_range(value: dt.date) -> bool:
    return EARLIEST_DATE <= value <= LATEST_DATE


def date_range_message() -> str:
    """What to tell someone whose date is outside the accepted range."""
    return _("Tanggal harus antara %(first)s dan %(last)s.") % {
        "first": EARLIEST_DATE.isoformat(),
        "last": LATEST_DATE.isoformat(),
    }


def nul_message() -> str:
    return _("Tidak boleh berisi karakter NUL (kode 0).")


def contains_nul(value: str) -> bool:
    return NUL in value


def fields_with_nul(value: Any, field: str = "") -> Iterator[str]:
    """The dotted names of the strings (keys included) inside a JSON value that hold a NUL."""
    if isinstance(value, str):
        if NUL in value:
            yield field
    elif isinstance(value, Mapping):
        for key, item in value.items():
            name = f"{field}.{key}" if field else str(key)
            if isinstance(key, str) and NUL in key:
                yield name
            yield from fields_with_nul(item, name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from fields_with_nul(item, f"{field}.{index}" if field else str(index))
