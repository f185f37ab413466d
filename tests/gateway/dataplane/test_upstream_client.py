"""The gateway's HTTP/1.1 client against scripted providers speaking raw HTTP on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
import uvloop

from simpul.gateway.dataplane.upstream import (
    Origin,
    UnsafeRequest,
    UpstreamClient,
    UpstreamFailed,
    UpstreamTimeout,
)

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def read_request(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    """The request head, and its body when it declares a Content-Length."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    body = await reader.readexactly(length) if length else b""
    return head, body


def run(handler: Handler, scenario: Callable[[UpstreamClient, Origin], Awaitable[None]]) -> None:
    """Serve ``handler`` on a free loopback port and run ``scenario`` against it (uvloop)."""

    async def main() -> None:
        handlers: set[asyncio.Task[None]] = set()

        async def tracked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            handlers.add(task)
            try:
                await handler(reader, writer)
            finally:
                writer.close()

        server = await asyncio.start_server(tracked, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = UpstreamClient(limit=4)
        try:
            await scenario(client, Origin("http", "127.0.0.1", port))
        finally:
            await client.close()
            server.close()
            for task in handlers:
                task.cancel()
            await asyncio.gather(*handlers, return_exceptions=True)
            await server.wait_closed()

    uvloop.run(main())


async def fetch(
    client: UpstreamClient, origin: Origin, method: str = "GET", body: bytes = b""
) -> tuple[int, bytes]:
    response = await client.request(
        method, origin, "/x?y=1", [(b"accept", b"*/*")], body, connect_timeout=2, read_timeout=1
    )
    data = b"".join([chunk async for chunk in response.chunks(1)])
    return response.status, data


def test_keep_alive_connections_are_reused_and_requests_are_well_formed() -> None:
    seen: list[bytes] = []
    connections = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        while True:
            try:
                head, body = await read_request(reader)
            except asyncio.IncompleteReadError:
                break
            seen.append(head + body)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            await writer.drain()
        writer.close()

    async def scenario(client: UpstreamClient, origin: Origin) -> None:
        assert await fetch(client, origin) == (200, b"ok")
        assert await fetch(client, origin, "POST", b'{"a":1}') == (200, b"ok")
        assert await fetch(client, origin) == (200, b"ok")

    run(handler, scenario)
    assert connections == 1
    assert seen[0].startswith(b"GET /x?y=1 HTTP/1.1\r\nHost: 127.0.0.1:")
    assert b"accept: */*\r\n" in seen[0]
    assert seen[1].endswith(b'Content-Length: 7\r\n\r\n{"a":1}')


def test_a_request_that_would_gain_a_line_is_never_sent() -> None:
    """The last guard: whatever the caller of the client lets through, no byte adds a line."""
    seen: list[bytes] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                head, _body = await read_request(reader)
            except asyncio.IncompleteReadError:
                break
            seen.append(head)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            await writer.drain()

    async def scenario(client: UpstreamClient, origin: Origin) -> None:
        unsafe = [
            ("/x\r\nX-Injected: 1", [(b"accept", b"*/*")]),
            ("/x\nX-Injected: 1", [(b"accept", b"*/*")]),
            ("/x y", [(b"accept", b"*/*")]),
            ("/x\x00", [(b"accept", b"*/*")]),
            ("/x", [(b"accept", b"a\r\nX-Injected: 1")]),
            ("/x", [(b"accept", b"a\rb")]),
            ("/x", [(b"x-injected: 1\r\naccept", b"*/*")]),
        ]
        for target, headers in unsafe:
            with pytest.raises(UnsafeRequest):
                await client.request(
                    "GET", origin, target, headers, b"", connect_timeout=2, read_timeout=1
                )
        assert await fetch(client, origin) == (200, b"ok")  # the connection pool is unharmed

    run(handler, scenario)
    assert len(seen) == 1
    assert b"X-Injected" not in seen[0]


def test_chunked_and_close_delimited_bodies_arrive_whole() -> None:
    answers = [
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end",
    ]

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(answers.pop(0))
        await writer.drain()
        writer.close()

    async def scenario(client: UpstreamClient, origin: Origin) -> None:
        assert await fetch(client, origin) == (200, b"abcde")
        assert await fetch(client, origin) == (200, b"until the end")

    run(handler, scenario)


def test_head_and_informational_answers() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head, _body = await read_request(reader)
        if head.startswith(b"HEAD"):
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")
        else:
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n")
        await writer.drain()
        await asyncio.sleep(0.2)
        writer.close()

    async def scenario(client: UpstreamClient, origin: Origin) -> None:
        assert await fetch(client, origin, "HEAD") == (200, b"")
        assert await fetch(client, origin, "POST", b"x") == (204, b"")

    run(handler, scenario)


def test_a_stale_kept_alive_connection_is_retried_for_get_but_not_for_post() -> None:
    """The provider answers one request per connection, then drops the next one unanswered
    (as an idle timeout racing a new request does)."""
    served = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal served
        await read_request(reader)
        served += 1
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        await read_request(reader)  # the next request on this connection: hang up on it

    async def scenario(client: UpstreamClient, origin: Origin) -> None:
        assert await fetch(client, origin) == (200, b"ok")
        assert await fetch(client, origin) == (200, b"ok")  # dropped, then retried anew
        with pytest.raises(UpstreamFailed):
            await fetch(client, origin, "POST", b"once")  # dropped: never sent twice

    run(handler, scenario)
    assert served == 2


def test_refused_slow_and_broken_providers() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head, _body = await read_request(reader)
        if b"/x?y=1" in head and b"slow-body" in head:
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf")
            await writer.drain()
            await asyncio.sleep(3)
        elif b"garbage" in head:
            writer.write(b"NOT HTTP AT ALL\r\n\r\n")
            await writer.drain()
        else:
            await asyncio.sleep(3)  # never answers in time
        writer.close()

    async def scenario(client: UpstreamClient, origin: Origin) -> None:
        with pytest.raises(UpstreamTimeout):
            await fetch(client, origin)
        response = await client.request(
            "GET",
            origin,
            "/x?y=1",
            [(b"x-case", b"slow-body")],
            b"",
            connect_timeout=2,
            read_timeout=1,
        )
        with pytest.raises(UpstreamTimeout):
            _ = [chunk async for chunk in response.chunks(0.5)]
        with pytest.raises(UpstreamFailed):
            await client.request(
                "GET",
                origin,
                "/",
                [(b"x-case", b"garbage")],
                b"",
                connect_timeout=2,
                read_timeout=1,
            )
        closed = Origin("http", "127.0.0.1", 9)  # discard port: nothing listens
        with pytest.raises(UpstreamFailed):
            await fetch(client, closed)

    run(handler, scenario)


def test_large_bodies_stream_with_back_pressure() -> None:
    size = 3 * 1024 * 1024

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(f"HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n".encode())
        block = bytes(range(256)) * 4096
        for _ in range(size // len(block)):
            writer.write(block)
            await writer.drain()
        writer.close()

    async def scenario(client: UpstreamClient, origin: Origin) -> None:
        response = await client.request(
            "GET", origin, "/", [], b"", connect_timeout=2, read_timeout=2
        )
        received = 0
        async for chunk in response.chunks(2):
            received += len(chunk)
            await asyncio.sleep(0)  # a slow reader
        assert received == size

    run(handler, scenario)
