"""CSRF protection for every page form (double-submit cookie bound to the token by HMAC)."""

from __future__ import annotations

from fastapi import Request

from simpul.core.errors import Forbidden
from simpul.core.i18n import _
from simpul.core.security import csrf_token_matches

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FIELD = "csrf_token"
HEADER = "X-CSRF-Token"


async def csrf_protect(request: Request) -> None:
    """Refuse an unsafe request whose form (or htmx header) lacks the matching token."""
    if request.method in SAFE_METHODS:
        return
    submitted = request.headers.get(HEADER)
    if submitted is None:
        form = await request.form()
        value = form.get(FIELD)
        submitted = value if isinstance(value, str) else None
    if not csrf_token_matches(getattr(request.state, "csrf_cookie", None), submitted):
        raise Forbidden(
            _("Formulir ini kedaluwarsa atau tidak sah. Muat ulang halaman lalu kirim lagi.")
        )
