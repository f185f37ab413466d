"""CSRF protection for every page form (decisions 0004 and 0021).

Two checks on every unsafe request:

1. Where the form comes from. Browsers say it: ``Sec-Fetch-Site`` (anything but
   ``same-origin`` or ``none`` is refused, a sibling subdomain's ``same-site`` included), or,
   in browsers without Fetch Metadata, ``Origin`` (refused unless it is this host or the
   portal's public address). A request with neither is not from a browser's cross-site form.
2. The token, an HMAC of what the request is bound to: the login session when there is one,
   else the CSRF cookie. A planted (cookie, token) pair therefore never passes for a logged-in
   visitor, and before login the first check and the ``__Host-`` cookie (production) keep
   another site's forms out.

The token travels in the form's ``csrf_token`` field (works without JavaScript) or, for htmx,
in the ``X-CSRF-Token`` header.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request

from simpul.core.errors import Forbidden
from simpul.core.i18n import _
from simpul.core.security import csrf_token_for, csrf_token_matches
from simpul.web.middleware import SESSION_COOKIE

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
#: ``Sec-Fetch-Site`` values of requests the site itself made (or the person typed).
_OWN_SITE = frozenset({"same-origin", "none"})


def csrf_binding(request: Request) -> str | None:
    """What this visitor's token is bound to: their session, else their CSRF cookie.

    Read from ``request.cookies``, as the login is (``accounts.auth``), so both see the same
    session even when a planted cookie of the same name is sent too.
    """
    session_token = request.cookies.get(SESSION_COOKIE)
    if session_token:
        return f"session:{session_token}"
    cookie = getattr(request.state, "csrf_cookie", None)
    return f"cookie:{cookie}" if cookie else None


def csrf_token(request: Request) -> str:
    """The token forms of this page carry ("" when the visitor has nothing to bind it to)."""
    binding = csrf_binding(request)
    return csrf_token_for(binding) if binding else ""


def _from_another_site(request: Request) -> bool:
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site not in _OWN_SITE
    origin = request.headers.get("origin")
    if origin is None:
        return False
    own = {request.headers.get("host", "")}
    settings = getattr(request.app.state, "settings", None)
    if settings is not None:
        own.add(urlsplit(settings.public_url).netloc)
    return origin == "null" or urlsplit(origin).netloc not in own


async def csrf_protect(request: Request) -> None:
    """Refuse an unsafe request from another site, or whose form (or htmx header) lacks the
    token bound to this visitor."""
    if request.method in SAFE_METHODS:
        return
    refused = Forbidden(
        _("Formulir ini kedaluwarsa atau tidak sah. Muat ulang halaman lalu kirim lagi.")
    )
    if _from_another_site(request):
        raise refused
    submitted = request.headers.get(HEADER)
    if submitted is None:
        form = await request.form()
        value = form.get(FIELD)
        submitted = value if isinstance(value, str) else None
    if not csrf_token_matches(csrf_binding(request), submitted):
        raise refused
