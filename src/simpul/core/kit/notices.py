"""The one way a page says what happened after a redirect: ``?pesan=CODE``, where CODE is a key
of the page's table of messages. The page shows the translated message for a known code and
nothing otherwise, so no one can put words in a page through its URL."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Final

from fastapi import Query

from simpul.core.i18n import _

#: The query key that carries the code.
PARAM: Final = "pesan"

#: A route's parameter for the code (codes are short slugs).
NoticeCode = Annotated[str | None, Query(alias=PARAM, max_length=40)]


def with_notice(url: str, code: str) -> str:
    """``url`` with ``?pesan=code`` added before any ``#fragment``."""
    path, hash_, fragment = url.partition("#")
    separator = "&" if "?" in path else "?"
    return f"{path}{separator}{PARAM}={code}{hash_}{fragment}"


def notice_text(messages: Mapping[str, str], code: str | None) -> str | None:
    """The translated message for ``code`` in the page's table ``messages`` (marked with
    ``lazy``), or None for no code or an unknown one."""
    return _(messages[code]) if code is not None and code in messages else None
