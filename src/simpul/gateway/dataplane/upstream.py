"""The gateway's client for providers: pooled HTTP/1.1 keep-alive connections on asyncio.

Parsing is httptools (llhttp, the parser uvicorn and Node.js use); this module only keeps
connections, writes requests and hands the response over as it arrives. It exists because the
general-purpose client measured three times the CPU per forwarded request (docs/decisions/0013)
on the path every integration call takes.

What it does and does not do:
- one idle pool per origin (scheme, host, port), newest connection reused first, at most
  ``limit`` connections per origin (more requests wait for one);
- a connection is reused only after a whole response that allows keep-alive; a HEAD response
  closes its connection (the parser cannot be told that no body follows);
- a reused connection the provider closed before answering is retried once on a new one, for
  idempotent methods only (a POST is never sent twice);
- ``connect_timeout`` and ``read_timeout`` (for the status line and between body chunks) raise
  ``UpstreamTimeout``; refused connections, resets and unparseable answers ``UpstreamFailed``;
- the body is streamed with back-pressure: reading from the provider pauses while more than
  ``HIGH_WATER`` bytes wait for the client;
- bytes pass unchanged (no decompression); ``Transfer-Encoding: chunked`` is decoded, so the
  caller must not forward that header (it is hop-by-hop);
- a request head that would not be exactly the lines it was given (a CR, LF or NUL inside the
  method, target, a header name or value; a space inside the target) is never sent:
  ``UnsafeRequest``. The data plane checks what it forwards before; this is the last guard.
"""

from __future__ import annotations

import asyncio
import collections
import ssl
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import cast
from urllib.parse import urlsplit

import httptools

HIGH_WATER = 256 * 1024
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})


class UpstreamFailed(Exception):
    """The provider could not be reached or gave an answer that is not HTTP."""


class UpstreamTimeout(UpstreamFailed):
    """The provider did not connect or answer in time."""


class UnsafeRequest(ValueError):
    """The request would carry a byte that ends a line or field: nothing was sent."""


class _StaleConnection(UpstreamFailed):
    """A kept-alive connection closed before the first byte of the answer: safe to retry."""


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str
    port: int

    @property
    def host_header(self) -> bytes:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return (host if self.port == default else f"{host}:{self.port}").encode("idna")


def split_url(url: str) -> tuple[Origin, str]:
    """``http://h:8080/api`` -> (origin, ``/api``). Raises ValueError for other schemes."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return Origin(parts.scheme, parts.hostname, port), parts.path.rstrip("/")


class _Connection(asyncio.Protocol):
    """One TCP (or TLS) connection and the response being read from it."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.reused = False
        self.closed = False
        self._reset()

    def _reset(self) -> None:
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: collections.deque[bytes] = collections.deque()
        self.buffered = 0
        self.headers_done: asyncio.Future[None] = self.loop.create_future()
        self.waiter: asyncio.Future[None] | None = None
        self.complete = False
        self.keep_alive = False
        self.error: UpstreamFailed | None = None
        self.got_bytes = False
        self.informational = False
        self.paused = False
        self.until_close = False

    # -- asyncio.Protocol --------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not subclass asyncio.Transport, but behave as one.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.got_bytes = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(UpstreamFailed(f"invalid HTTP from provider: {exc}"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.transport = None
        if self.complete:
            return
        if self.headers_done.done() and self.until_close:
            self.on_message_complete()  # a body delimited by the end of the connection
        elif not self.got_bytes and self.reused:
            self._fail(_StaleConnection("kept-alive connection closed by the provider"))
        else:
            self._fail(UpstreamFailed("the provider closed the connection mid-answer"))

    def pause_writing(self) -> None:  # the client is slow to read: nothing to do, bodies are small
        pass

    def resume_writing(self) -> None:
        pass

    # -- httptools callbacks -----------------------------------------------------------------

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        if 100 <= status < 200 and status != 101:
            self.informational = True  # 100 Continue and friends: wait for the real answer
            self.headers = []
            return
        self.status = status
        lowered = {name.lower() for name, _value in self.headers}
        self.until_close = b"content-length" not in lowered and b"transfer-encoding" not in lowered
        if not self.headers_done.done():
            self.headers_done.set_result(None)

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)
        self.buffered += len(body)
        if self.buffered > HIGH_WATER and self.transport is not None and not self.paused:
            self.transport.pause_reading()
            self.paused = True
        self._wake()

    def on_message_complete(self) -> None:
        if self.informational:
            self.informational = False
            return
        self.complete = True
        self.keep_alive = self.parser.should_keep_alive()
        self._wake()

    # -- used by the pool and the response ---------------------------------------------------

    def _wake(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    def _fail(self, error: UpstreamFailed) -> None:
        if self.error is None:
            self.error = error
        if not self.headers_done.done():
            self.headers_done.set_exception(error)
            self.headers_done.exception()  # retrieved here, so never "never retrieved"
        self._wake()

    def take(self) -> bytes:
        chunk = self.chunks.popleft()
        self.buffered -= len(chunk)
        if self.paused and self.buffered < HIGH_WATER // 2 and self.transport is not None:
            self.transport.resume_reading()
            self.paused = False
        return chunk

    def send(self, head: bytes, body: bytes) -> None:
        assert self.transport is not None
        self._reset()
        if body:
            self.transport.writelines((head, body))
        else:
            self.transport.write(head)

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def can_be_reused(self) -> bool:
        return (
            not self.closed
            and self.transport is not None
            and not self.transport.is_closing()
            and self.complete
            and not self.chunks
            and self.keep_alive
        )


async def _within(future: asyncio.Future[None], seconds: float, message: str) -> None:
    """Await ``future``, failing it with ``UpstreamTimeout`` after ``seconds``.

    A timer on the future itself: cheaper than ``asyncio.wait_for`` on every request.
    """

    def expire() -> None:
        if not future.done():
            future.set_exception(UpstreamTimeout(message))

    timer = future.get_loop().call_later(seconds, expire)
    try:
        await future
    finally:
        timer.cancel()


@dataclass
class _Pool:
    idle: list[_Connection] = field(default_factory=list)
    open: int = 0
    waiting: collections.deque[asyncio.Future[None]] = field(default_factory=collections.deque)


class UpstreamResponse:
    """Status and headers as soon as they arrive; the body through ``chunks()``."""

    def __init__(
        self, client: UpstreamClient, origin: Origin, conn: _Connection, *, head_only: bool
    ) -> None:
        self._client = client
        self._origin = origin
        self._conn: _Connection | None = conn
        self._head_only = head_only
        self.status = conn.status
        self.headers = conn.headers

    async def chunks(self, read_timeout: float) -> AsyncIterator[bytes]:
        """The body as it arrives; raises ``UpstreamTimeout``/``UpstreamFailed`` midway."""
        conn = self._conn
        assert conn is not None
        if self._head_only:
            self.release()
            return
        while True:
            if conn.chunks:
                yield conn.take()
            elif conn.complete:
                break
            elif conn.error is not None:
                self.release()
                raise conn.error
            else:
                conn.waiter = conn.loop.create_future()
                try:
                    await _within(conn.waiter, read_timeout, "the provider stopped sending")
                except UpstreamTimeout:
                    conn.close()
                    self.release()
                    raise
        self.release()

    def release(self) -> None:
        """Give the connection back (or close it when it cannot be reused). Idempotent."""
        conn, self._conn = self._conn, None
        if conn is not None:
            self._client.release(self._origin, conn, reusable=not self._head_only)


class UpstreamClient:
    """Pools of keep-alive connections to providers, one pool per origin."""

    def __init__(self, *, limit: int = 100, ssl_context: ssl.SSLContext | None = None) -> None:
        self._limit = limit
        self._ssl = ssl_context or ssl.create_default_context()
        self._pools: dict[Origin, _Pool] = {}

    async def request(
        self,
        method: str,
        origin: Origin,
        target: str,
        headers: Iterable[tuple[bytes, bytes]],
        body: bytes,
        *,
        connect_timeout: float,
        read_timeout: float,
    ) -> UpstreamResponse:
        """Send ``method target`` to ``origin`` and wait for the status line and headers.

        ``headers`` must not hold Host, Content-Length or hop-by-hop headers: they are set here.
        Raises ``UnsafeRequest`` (having sent nothing) when a CR, LF or NUL would change the
        request's lines.
        """
        request_line = method.encode("latin-1") + b" " + target.encode("latin-1")
        head = bytearray(request_line)
        head += b" HTTP/1.1\r\nHost: " + origin.host_header + b"\r\n"
        lines = 3  # the request line, Host and the blank line
        for name, value in headers:
            head += name + b": " + value + b"\r\n"
            lines += 1
        if body or method in {"POST", "PUT", "PATCH"}:
            head += b"Content-Length: " + str(len(body)).encode() + b"\r\n"
            lines += 1
        head += b"\r\n"
        if (
            head.count(b"\n") != lines
            or head.count(b"\r") != lines
            or b"\x00" in head
            or request_line.count(b" ") != 1
        ):
            raise UnsafeRequest("a line break, NUL or space where none may be")
        attempts = 2 if method in IDEMPOTENT else 1
        for attempt in range(attempts):
            conn = await self._acquire(origin, connect_timeout)
            conn.send(bytes(head), body)
            try:
                await _within(
                    conn.headers_done, read_timeout, "the provider did not answer in time"
                )
            except _StaleConnection:
                self.release(origin, conn, reusable=False)
                if attempt + 1 < attempts:
                    continue
                raise UpstreamFailed("the provider closed the connection") from None
            except UpstreamTimeout:
                conn.close()
                self.release(origin, conn, reusable=False)
                raise
            except UpstreamFailed:
                self.release(origin, conn, reusable=False)
                raise
            return UpstreamResponse(self, origin, conn, head_only=method == "HEAD")
        raise AssertionError("unreachable")  # pragma: no cover

    async def _acquire(self, origin: Origin, connect_timeout: float) -> _Connection:
        pool = self._pools.setdefault(origin, _Pool())
        while True:
            while pool.idle:
                conn = pool.idle.pop()
                if conn.transport is not None and not conn.transport.is_closing():
                    conn.reused = True
                    return conn
                pool.open -= 1
            if pool.open < self._limit:
                break
            waiter = asyncio.get_running_loop().create_future()
            pool.waiting.append(waiter)
            await waiter
        pool.open += 1
        loop = asyncio.get_running_loop()
        try:
            _transport, conn = await asyncio.wait_for(
                loop.create_connection(
                    lambda: _Connection(loop),
                    origin.host,
                    origin.port,
                    ssl=self._ssl if origin.scheme == "https" else None,
                ),
                connect_timeout,
            )
        except TimeoutError:
            self._forget(pool)
            raise UpstreamTimeout("could not connect to the provider in time") from None
        except OSError as exc:
            self._forget(pool)
            raise UpstreamFailed(f"could not connect to the provider: {exc.strerror}") from None
        except BaseException:
            self._forget(pool)
            raise
        return conn

    def _forget(self, pool: _Pool) -> None:
        pool.open -= 1
        self._wake_one(pool)

    def _wake_one(self, pool: _Pool) -> None:
        while pool.waiting:
            waiter = pool.waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def release(self, origin: Origin, conn: _Connection, *, reusable: bool) -> None:
        pool = self._pools[origin]
        if reusable and conn.can_be_reused():
            conn.reused = True
            pool.idle.append(conn)
        else:
            conn.close()
            pool.open -= 1
        self._wake_one(pool)

    async def close(self) -> None:
        for pool in self._pools.values():
            for conn in pool.idle:
                conn.close()
            pool.idle.clear()
        self._pools.clear()
