"""The public catalogue pages for anonymous readers: an ETag, a short max-age, 304 Not Modified,
and an in-process cache of the rendered pages (decision 0039).

A page is cached only for a visitor without a login session, and only when it holds no CSRF
token: what is cached must be the same for every anonymous reader. Its ETag is a hash of the
region's catalogue fingerprint (``catalogue.service.catalogue_fingerprint``: one small query
that changes whenever a service, agency or life event of the region changes, however it was
changed and in whichever process), the page's address, locale and htmx flag, and the
templates of this installation. So a page published or edited is shown at once: a stale
entry simply no longer matches. Logged-in visitors get ``Cache-Control: no-store``.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Final

from fastapi import Request, Response
from fastapi.responses import HTMLResponse

from simpul.web.csrf import csrf_token
from simpul.web.middleware import SESSION_COOKIE

#: How long a browser may show its copy without asking again (seconds).
MAX_AGE: Final = 60
#: Rendered pages kept per process, at most this many bytes (least recently used go first).
BUDGET_BYTES: Final = 32 * 1024 * 1024
CACHE_CONTROL: Final = f"private, max-age={MAX_AGE}"
#: The locale comes from a cookie and a login changes the page: a browser keys on both.
VARY: Final = "Cookie, HX-Request"


def _build_fingerprint() -> str:
    """The installed version and the templates' sizes and times: a deploy changes every ETag."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    try:
        digest.update(metadata.version("simpul").encode())
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        digest.update(b"unversioned")
    for path in sorted(root.rglob("*.html")):
        stat = path.stat()
        digest.update(f"{path.relative_to(root)}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()


_BUILD: Final = _build_fingerprint()


class PageCache:
    """Rendered pages by key, each with the ETag it was rendered for; bounded in bytes."""

    def __init__(self, budget_bytes: int = BUDGET_BYTES) -> None:
        self._budget = budget_bytes
        self._used = 0
        self._pages: OrderedDict[str, tuple[str, bytes]] = OrderedDict()
        self._lock = threading.Lock()  # sync routes run in a thread pool

    def get(self, key: str, etag: str) -> bytes | None:
        with self._lock:
            found = self._pages.get(key)
            if found is None or found[0] != etag:
                return None
            self._pages.move_to_end(key)
            return found[1]

    def put(self, key: str, etag: str, body: bytes) -> None:
        if len(body) > self._budget // 8:
            return
        with self._lock:
            old = self._pages.pop(key, None)
            if old is not None:
                self._used -= len(old[1])
            self._pages[key] = (etag, body)
            self._used += len(body)
            while self._used > self._budget:
                _key, (_etag, evicted) = self._pages.popitem(last=False)
                self._used -= len(evicted)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()
            self._used = 0


pages = PageCache()


def is_anonymous(request: Request, user: object) -> bool:
    """No logged-in user and no session cookie at all (an expired one counts as a login)."""
    return user is None and SESSION_COOKIE not in request.cookies


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag.removeprefix("W/") in tags


def cached_page(
    request: Request,
    user: object,
    fingerprint: Callable[[], str],
    render_page: Callable[[], HTMLResponse],
) -> Response:
    """``render_page()``, or for an anonymous reader: 304 when their copy is current, else the
    cached rendering of the same catalogue, else a new rendering that is cached."""
    if not is_anonymous(request, user):
        response = render_page()
        response.headers["Cache-Control"] = "no-store"
        return response
    locale = str(getattr(request.state, "locale", ""))
    htmx = request.headers.get("HX-Request") == "true"
    key = f"{request.url.path}?{request.url.query}|{locale}|{htmx}"
    digest = hashlib.sha256(f"{_BUILD}|{fingerprint()}|{key}".encode()).hexdigest()[:32]
    etag = f'W/"{digest}"'
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, "Vary": VARY}
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    body = pages.get(key, etag)
    if body is not None:
        return HTMLResponse(body, headers=headers)
    response = render_page()
    token = csrf_token(request)
    if response.status_code != 200 or (token and token.encode() in response.body):
        response.headers["Cache-Control"] = "no-store"  # bound to this visitor: never shared
        return response
    pages.put(key, etag, bytes(response.body))
    response.headers.update(headers)
    return response
