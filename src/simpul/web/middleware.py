"""Pure ASGI middleware: request id, locale, CSRF cookie and security headers on every
response."""

from __future__ import annotations

import secrets
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from simpul.core.database import CLIENT_GONE
from simpul.core.i18n import current_locale, pick_locale
from simpul.core.requestid import HEADER, STATE_KEY, current_request_id, new_request_id

LOCALE_COOKIE = "simpul_lang"
#: The login session (``accounts``), path ``/{region}``.
SESSION_COOKIE = "simpul_session"
#: The CSRF cookie before login, in debug (plain http).
CSRF_COOKIE = "simpul_csrf"
#: ... and outside debug: browsers accept a ``__Host-`` cookie only from this very host, over
#: HTTPS, with ``Path=/`` and no ``Domain``, so a sibling subdomain cannot plant one.
SECURE_CSRF_COOKIE = "__Host-simpul_csrf"

#: Paths no browser form is ever on: no CSRF cookie is made for them (a load balancer polling
#: ``/healthz`` would get a new one with every answer).
NO_CSRF_COOKIE_PATHS = frozenset({"/healthz"})

#: Pages use only their own scripts and styles; the API docs need Swagger UI's inline script.
#: Images may also come from the map's tile server (``SIMPUL_MAP_TILE_URL``), when one is set.
CSP_TEMPLATE = (
    "default-src 'self'; img-src 'self' data:{tiles}; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'self'; object-src 'none'"
)
CSP = CSP_TEMPLATE.format(tiles="")


def page_csp(tile_url: str) -> str:
    """The pages' policy, letting images come from the tile server's origin too."""
    parts = urlsplit(tile_url.replace("{s}", "a")) if tile_url else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        return CSP
    host = tile_url.split("://", 1)[1].split("/", 1)[0]  # keeps a {s} subdomain as a wildcard
    return CSP_TEMPLATE.format(tiles=f" {parts.scheme}://{host.replace('{s}', '*')}")


DOCS_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline'; frame-ancestors 'none'; object-src 'none'"
)


def _cookies(scope: Scope) -> SimpleCookie:
    jar: SimpleCookie = SimpleCookie()
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # noqa: BLE001, S112 - a malformed cookie header is ignored, not fatal
                continue
    return jar


class WebMiddleware:
    """Sets the locale for the request, makes sure a CSRF cookie exists, adds headers."""

    def __init__(self, app: ASGIApp, *, secure_cookies: bool, tile_url: str = "") -> None:
        self.app = app
        self.csp = page_csp(tile_url)
        self.secure_cookies = secure_cookies
        self.csrf_cookie = SECURE_CSRF_COOKIE if secure_cookies else CSRF_COOKIE

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        jar = _cookies(scope)
        path: str = scope.get("path", "")
        is_api = path.startswith("/api/")
        accept = None
        if is_api:
            for name, value in scope.get("headers", []):
                if name == b"accept-language":
                    accept = value.decode("latin-1")
        chosen = jar[LOCALE_COOKIE].value if LOCALE_COOKIE in jar else None
        locale = pick_locale(chosen, accept)
        token = current_locale.set(locale)
        state = scope.setdefault("state", {})
        state["locale"] = locale
        new_csrf = None
        if self.csrf_cookie in jar and len(jar[self.csrf_cookie].value) >= 32:
            state["csrf_cookie"] = jar[self.csrf_cookie].value
        elif not is_api and path not in NO_CSRF_COOKIE_PATHS:
            new_csrf = secrets.token_urlsafe(32)
            state["csrf_cookie"] = new_csrf

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                headers.setdefault("X-Frame-Options", "DENY")
                # The complaint form may ask for the citizen's position ("use my location").
                headers.setdefault(
                    "Permissions-Policy", "camera=(), microphone=(), geolocation=(self)"
                )
                headers.setdefault(
                    "Content-Security-Policy",
                    DOCS_CSP if path.startswith("/api/docs") else self.csp,
                )
                if new_csrf:
                    secure = "; Secure" if self.secure_cookies else ""
                    headers.append(
                        "Set-Cookie",
                        f"{self.csrf_cookie}={new_csrf}; Path=/; HttpOnly; SameSite=Lax{secure}",
                    )
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            current_locale.reset(token)


class DropAbandoned:
    """Does nothing for a request whose client has already hung up (``simpul serve`` says so
    through the ``simpul.client_gone`` extension): after a burst, the server's queue of
    accepted connections holds many requests of clients that gave up, and routing each
    of them would delay those still waiting."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        extension = scope.get("extensions", {}).get(CLIENT_GONE)
        if extension and extension["event"].is_set():
            return
        await self.app(scope, receive, send)


class RequestId:
    """Gives the request its id (``core.requestid``): on ``scope["state"]``, in the context
    the logs read, and as ``X-Request-Id`` on the answer (replacing one a handler set)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = new_request_id()
        scope.setdefault("state", {})[STATE_KEY] = request_id
        token = current_request_id.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            current_request_id.reset(token)


class HeadAsGet:
    """Answers ``HEAD`` wherever ``GET`` is answered: the request goes in as a GET and the
    answer goes out with the GET's status and headers (``Content-Length`` included) but no
    body, as RFC 9110 asks. FastAPI routes list only GET, which made every HEAD a 405;
    doing it here covers every route, mount and error page alike."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        finished = False

        async def send_without_body(message: Message) -> None:
            nonlocal finished
            if message["type"] == "http.response.body":
                if finished or message.get("more_body", False):
                    return
                finished = True
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_without_body)
