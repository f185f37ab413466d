"""The HTTP/1.1 protocol of both servers: uvicorn's httptools protocol plus the limits that
uvicorn leaves to a proxy in front (docs/decisions/0025).

uvicorn (httptools/llhttp) takes a request line and header block of any size, any number of
header fields and a body of any size, and has no timer before a response: a connection that
sends nothing, or a byte now and then, stays open for ever. This protocol refuses, before the
application sees the request:

- a request line longer than ``max_request_line_bytes``: 414;
- header fields over ``max_header_bytes`` in total, or more than ``max_headers`` of them: 431;
- a body announced (``Content-Length``) over ``max_body_bytes``: 413 before a byte of it is
  read; a chunked body is counted and refused with 413 as soon as it passes the limit;
- headers not complete ``header_timeout`` seconds after the connection opened (or after the
  first byte of a later request on it): 408; a body pausing longer than ``body_timeout``: 408.

Each refusal closes the connection. A refusal the application could have answered itself
(a body over the limit while it is already answering) only closes the connection once the
answer is out. The answer's format is the server's: ``refusal`` is overridden by the portal
(``web.protocol``) and the gateway (``gateway.protocol``).
"""

from __future__ import annotations

import asyncio
import http
import json
from dataclasses import dataclass
from typing import Any, ClassVar

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from simpul.core import i18n
from simpul.core.database import CLIENT_GONE
from simpul.core.i18n import _
from simpul.core.settings import Settings, get_settings


@dataclass(frozen=True)
class HttpLimits:
    max_request_line_bytes: int
    max_header_bytes: int
    max_headers: int
    max_body_bytes: int
    header_timeout: float
    body_timeout: float

    def head_backstop(self) -> int:
        """Raw bytes of a request head past which it is refused even before a header field
        is complete (httptools buffers a field's value until its end)."""
        return self.max_request_line_bytes + self.max_header_bytes + 4 * self.max_headers + 1024


@dataclass(frozen=True)
class Refusal:
    """A request refused by the protocol: its status, error code and message (translated)."""

    status: int
    code: str
    message: str


@dataclass(frozen=True)
class RequestHead:
    """What is known of a refused request: its target and the header fields read so far."""

    target: bytes
    headers: list[tuple[bytes, bytes]]

    def header(self, name: bytes) -> bytes | None:
        return next((value for key, value in self.headers if key == name), None)

    def path(self) -> str:
        return self.target.split(b"?", 1)[0].decode("latin-1")


@dataclass(frozen=True)
class RefusalAnswer:
    content_type: str
    body: bytes
    headers: tuple[tuple[bytes, bytes], ...] = ()


def json_error(refusal: Refusal, **extra: Any) -> bytes:
    """``{"error": {"code", "message", "details"}}``, as both servers' errors are shaped."""
    payload = {"error": {"code": refusal.code, "message": refusal.message, "details": []}}
    return json.dumps({**payload, **extra}, ensure_ascii=False).encode()


class LimitedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with ``HttpLimits`` (see the module's docstring)."""

    #: Headers added to every refusal, whatever the server.
    REFUSAL_HEADERS: ClassVar[tuple[tuple[bytes, bytes], ...]] = (
        (b"cache-control", b"no-store"),
        (b"x-content-type-options", b"nosniff"),
    )

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.limits = self.http_limits(get_settings())
        self._timer: asyncio.TimerHandle | None = None
        #: When the client must have sent what is awaited from it (the rest of the head, or the
        #: body's next bytes); None when nothing is awaited. One timer per connection checks it
        #: and re-arms itself, so a request costs no timer of its own.
        self._deadline: float | None = None
        self._timer_at = 0.0  # when the timer fires
        self._in_head = True  # the next bytes belong to a request's head
        self._raw_head_bytes = 0
        self._tail = b""  # the last bytes of the head read so far (to find its end)
        self._body_bytes = 0
        self._begun = False  # a byte of the next request has come
        self._refusal: Refusal | None = None
        self._refused = False

    # -- what subclasses decide ----------------------------------------------------------

    @classmethod
    def http_limits(cls, settings: Settings) -> HttpLimits:
        return HttpLimits(
            max_request_line_bytes=settings.http_max_request_line_bytes,
            max_header_bytes=settings.http_max_header_bytes,
            max_headers=settings.http_max_headers,
            max_body_bytes=settings.portal_max_body_bytes(),
            header_timeout=settings.http_header_timeout_seconds,
            body_timeout=settings.http_body_timeout_seconds,
        )

    def refusal(self, refusal: Refusal, head: RequestHead) -> RefusalAnswer:
        """The answer to a refused request (JSON here; subclasses may do better)."""
        return RefusalAnswer("application/json", json_error(refusal))

    def locale(self, head: RequestHead) -> str:
        """The language of a refusal's message."""
        accept = head.header(b"accept-language")
        return i18n.pick_locale(None, accept.decode("latin-1") if accept else None)

    # -- connection and parser callbacks ---------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._gone = asyncio.Event()
        self._expect(self.limits.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self._gone.set()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if self._in_head and self._head_too_large(data):
            self._refusal = self._headers_too_large()
        else:
            super().data_received(data)
        if self._refusal is not None:
            self._refuse()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._begun = True
        self._body_bytes = 0
        if self._deadline is None:  # else the connection's first request: its clock runs
            self._expect(self.limits.header_timeout)

    def on_url(self, url: bytes) -> None:
        if self._refusal is not None:
            return
        super().on_url(url)
        if len(self.url) > self.limits.max_request_line_bytes:
            self._refusal = Refusal(
                414,
                "uri_too_long",
                self._translated(
                    _("Alamat permintaan terlalu panjang (paling banyak %(n)d bita)."),
                    n=self.limits.max_request_line_bytes,
                ),
            )

    def on_headers_complete(self) -> None:
        # Counted once here rather than per field: until now the raw backstop bounds memory.
        self._deadline = None
        self._raw_head_bytes = 0
        self._tail = b""
        limits = self.limits
        size = 0
        declared: bytes | None = None
        chunked = False
        for name, value in self.headers or ():
            size += len(name) + len(value) + 4
            if name == b"content-length":
                declared = value
            elif name == b"transfer-encoding":
                chunked = True
        too_large = (
            declared is not None and declared.isdigit() and int(declared) > limits.max_body_bytes
        )
        if self._refusal is None and (
            size > limits.max_header_bytes or len(self.headers) > limits.max_headers
        ):
            self._refusal = self._headers_too_large()
        elif self._refusal is None and too_large:
            self._refusal = self._body_too_large()
        if self._refusal is not None:
            return  # refused as a head: the application never sees it
        self._in_head = False
        # Tells the application when the client has hung up, without reading from it (a
        # request waiting for its turn then leaves: core.database.SessionGate).
        self.scope.setdefault("extensions", {})[CLIENT_GONE] = {"event": self._gone}
        super().on_headers_complete()
        if chunked or declared not in (None, b"0"):
            self._expect(limits.body_timeout)  # a body is to come

    def on_body(self, body: bytes) -> None:
        if self._refusal is not None:
            return
        self._body_bytes += len(body)
        if self._body_bytes > self.limits.max_body_bytes:
            self._refusal = self._body_too_large()
            return
        self._expect(self.limits.body_timeout)
        super().on_body(body)

    def on_message_complete(self) -> None:
        if self._refusal is not None:
            return
        self._deadline = None
        self._in_head = True
        self._begun = False
        super().on_message_complete()

    # -- refusing ------------------------------------------------------------------------

    def _head_too_large(self, data: bytes) -> bool:
        """Count the bytes of the head in ``data`` (up to its blank line) and say whether the
        head is past the backstop."""
        seam = (self._tail + data[:3]).find(b"\r\n\r\n") if self._tail else -1
        if seam >= 0:  # the blank line straddles two reads
            counted = max(0, seam + 4 - len(self._tail))
        else:
            end = data.find(b"\r\n\r\n")
            counted = len(data) if end < 0 else end + 4
        self._raw_head_bytes += counted
        self._tail = data[-3:] if len(data) >= 3 else (self._tail + data)[-3:]
        return self._raw_head_bytes > self.limits.head_backstop()

    def _headers_too_large(self) -> Refusal:
        return Refusal(
            431,
            "headers_too_large",
            self._translated(
                _(
                    "Kepala permintaan terlalu besar: paling banyak %(size)d bita dalam "
                    "%(count)d baris."
                ),
                size=self.limits.max_header_bytes,
                count=self.limits.max_headers,
            ),
        )

    def _body_too_large(self) -> Refusal:
        return Refusal(
            413,
            "body_too_large",
            self._translated(
                _("Isi permintaan melebihi batas %(n)d bita."), n=self.limits.max_body_bytes
            ),
        )

    def _timed_out(self) -> Refusal:
        return Refusal(
            408,
            "request_timeout",
            self._translated(_("Permintaan tidak selesai dikirim tepat waktu; koneksi ditutup.")),
        )

    def _translated(self, message: str, **params: int) -> str:
        token = i18n.current_locale.set(self.locale(self._head()))
        try:
            return i18n.gettext(message) % params if params else i18n.gettext(message)
        finally:
            i18n.current_locale.reset(token)

    def _head(self) -> RequestHead:
        return RequestHead(getattr(self, "url", b""), self.headers or [])

    def _refuse(self) -> None:
        """Answer the refusal and close, unless an answer is under way on this connection:
        then close once it is out. Nothing more is read either way."""
        refusal = self._refusal
        assert refusal is not None
        self._refused = True
        self._disarm()
        if self.transport.is_closing():
            return
        cycle = self.cycle
        answering = cycle is not None and not cycle.response_complete
        if not self._in_head and answering and not cycle.response_started:
            # This request's body: the application is not answering yet, and now never will.
            cycle.disconnected = True
            cycle.message_event.set()
        elif answering:
            cycle.keep_alive = False  # let the answer under way finish, then hang up
            return
        elif not self._in_head:
            self.transport.close()  # answered already: nothing left to say
            return
        answer = self.refusal(refusal, self._head())
        phrase = http.HTTPStatus(refusal.status).phrase.encode()
        headers = [
            *self.server_state.default_headers,
            (b"content-type", answer.content_type.encode()),
            (b"content-length", str(len(answer.body)).encode()),
            (b"connection", b"close"),
            *self.REFUSAL_HEADERS,
            *answer.headers,
        ]
        lines = [b"HTTP/1.1 %d %s" % (refusal.status, phrase)]
        lines += [name + b": " + value for name, value in headers]
        self.transport.write(b"\r\n".join(lines) + b"\r\n\r\n" + answer.body)
        self.transport.close()

    # -- timers --------------------------------------------------------------------------

    def _expect(self, seconds: float) -> None:
        """The client has ``seconds`` from now to send what is awaited."""
        self._deadline = deadline = self.loop.time() + seconds
        if self._timer is not None and self._timer_at > deadline:
            self._timer.cancel()  # set for a longer wait (a body's): check this one sooner
            self._timer = None
        if self._timer is None:
            self._timer = self.loop.call_at(deadline, self._time_is_up)
            self._timer_at = deadline

    def _disarm(self) -> None:
        self._deadline = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _time_is_up(self) -> None:
        self._timer = None
        deadline = self._deadline
        if deadline is None or self.transport.is_closing() or self._refused:
            return  # nothing awaited from the client now; _expect arms again when needed
        if self.flow.read_paused:
            # We stopped reading (the application is busy with what came): not the client's
            # fault, so its clock starts again.
            self._expect(self.limits.header_timeout if self._in_head else self.limits.body_timeout)
            return
        if deadline > self.loop.time():
            self._timer = self.loop.call_at(deadline, self._time_is_up)
            self._timer_at = deadline
            return
        if self._in_head and not self._begun:
            # Not a byte of a request: hang up without a word, as a keep-alive timeout does.
            if self.cycle is None or self.cycle.response_complete:
                self.transport.close()
            return
        self._refusal = self._timed_out()
        self._refuse()
