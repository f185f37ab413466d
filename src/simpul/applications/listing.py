"""Keyset paging of the officer lists (decision 0035): cursors to and from sort keys.

A list page ends with a cursor for the next one (``core.kit.cursors``: opaque and
tamper-checked); the cursor names its list and order, so one list's cursor is refused by
another. Totals are bounded (``repository.COUNT_BOUND``): past it a list says "more".
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Final

from simpul.applications.repository import COUNT_BOUND, Keyset, SortKey
from simpul.core.i18n import _
from simpul.core.kit.cursors import InvalidCursor, decode_cursor, encode_cursor

__all__ = ["COUNT_BOUND", "MAX_LIST_OFFSET", "cursor_after", "keyset", "shown_count"]

#: The deepest offset (``firstResult``, ``offset``) a list serves: reading and skipping that
#: many index entries stays cheap; deeper pages are reached with the cursor.
MAX_LIST_OFFSET: Final = 10_000

#: Each list's sort key, as the types its values are read back into.
_KEY_TYPES: Final[dict[str, tuple[Callable[[str], Any], ...]]] = {
    "inbox-open": (date.fromisoformat, datetime.fromisoformat, uuid.UUID),
    "inbox-done": (datetime.fromisoformat, uuid.UUID),
    "tasks": (datetime.fromisoformat, uuid.UUID),
    "files": (datetime.fromisoformat, uuid.UUID),
}


def _list_name(kind: str, descending: bool, scope: str = "") -> str:
    name = f"{kind}:{'desc' if descending else 'asc'}"
    return f"{name}:{scope}" if scope else name


def cursor_after(
    kind: str, key: SortKey | None, *, descending: bool, scope: str = ""
) -> str | None:
    """The cursor of the page after the row with sort key ``key`` (None: no next page).

    ``scope`` narrows the list the cursor belongs to (the inbox's view and filters): a
    cursor is refused by a list of another scope.
    """
    if key is None:
        return None
    text = [v.isoformat() if isinstance(v, date | datetime) else str(v) for v in key]
    return encode_cursor(_list_name(kind, descending, scope), text)


def keyset(
    kind: str,
    cursor: str | None,
    *,
    field: str,
    limit: int,
    offset: int = 0,
    descending: bool = False,
    scope: str = "",
) -> Keyset:
    """The slice a request asks for: after the cursor's row (if any), ``offset`` further."""
    if not cursor:
        return Keyset(limit=limit, offset=offset, descending=descending)
    types = _KEY_TYPES[kind]
    values = decode_cursor(
        _list_name(kind, descending, scope), cursor, field=field, size=len(types)
    )
    try:
        after = tuple(read(v) for read, v in zip(types, values, strict=True))
    except ValueError:  # signed by this server, so only after a change of key types
        raise InvalidCursor(
            _("Penanda halaman tidak valid. Mulai lagi dari halaman pertama."),
            details=[{"field": field, "message": _("Penanda halaman ini sudah tidak berlaku.")}],
        ) from None
    return Keyset(limit=limit, after=after, offset=offset, descending=descending)


def shown_count(count: int) -> str:
    """A bounded count as a list shows it: ``"1000+"`` past the bound."""
    return f"{COUNT_BOUND}+" if count > COUNT_BOUND else str(count)
