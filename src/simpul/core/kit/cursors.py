"""Opaque, tamper-checked cursors for keyset pagination (decision 0035).

A cursor carries the sort key of the last row a page showed, and the name of the list it
belongs to, as base64url JSON followed by an HMAC of both (key derived from the server's
secret). A cursor that was changed, cut, made for another list or is not one at all is
refused as invalid input naming the parameter, so a query never sees values a client invented.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Sequence
from typing import Final

from simpul.core.errors import InvalidInput
from simpul.core.i18n import _
from simpul.core.security import derived_key

#: Longer than any cursor this module makes (a few sort keys); anything longer is refused
#: before it is decoded.
MAX_CURSOR_LENGTH: Final = 400
_TAG_BYTES: Final = 16


class InvalidCursor(InvalidInput):
    """A cursor parameter that is not one this server made for this list (invalid input:
    422 in Simpul's API and pages, 400 in the GovStack Registration API)."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _tag(body: str) -> bytes:
    return hmac.new(derived_key("list-cursor"), body.encode("ascii"), hashlib.sha256).digest()[
        :_TAG_BYTES
    ]


def encode_cursor(kind: str, values: Sequence[str]) -> str:
    """The cursor for list ``kind`` continuing after the row whose sort key is ``values``."""
    body = _b64(json.dumps([kind, *values], separators=(",", ":")).encode())
    return f"{body}.{_b64(_tag(body))}"


def decode_cursor(kind: str, cursor: str, *, field: str, size: int) -> list[str]:
    """The sort key a cursor of list ``kind`` carries (``size`` values); ``InvalidCursor``
    naming ``field`` for anything else."""
    refused = InvalidCursor(
        _("Penanda halaman tidak valid. Mulai lagi dari halaman pertama."),
        details=[
            {
                "field": field,
                "message": _("Gunakan penanda dari halaman sebelumnya tanpa mengubahnya."),
            }
        ],
    )
    if len(cursor) > MAX_CURSOR_LENGTH or cursor.count(".") != 1:
        raise refused
    body, tag = cursor.split(".")
    try:
        if not body.isascii() or not tag.isascii():
            raise refused
        if not hmac.compare_digest(_unb64(tag), _tag(body)):
            raise refused
        decoded = json.loads(_unb64(body))
    except (binascii.Error, ValueError):
        raise refused from None
    if (
        not isinstance(decoded, list)
        or len(decoded) != size + 1
        or decoded[0] != kind
        or not all(isinstance(v, str) for v in decoded[1:])
    ):
        raise refused
    return [str(v) for v in decoded[1:]]
