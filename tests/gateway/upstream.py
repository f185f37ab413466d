"""A real HTTP provider for gateway tests: an aiohttp server in a thread on a free port."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.support.devserver import free_port

#: An OpenAPI 3.0 document for the routes below (the gateway matches calls against it).
OPENAPI: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Data Penduduk (uji)", "version": "1.2.0"},
    "paths": {
        "/penduduk/{nik}": {
            "get": {
                "operationId": "bacaPenduduk",
                "summary": "Data satu penduduk",
                "parameters": [
                    {"name": "nik", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {"200": {"description": "Data penduduk"}},
            }
        },
        "/penduduk/{nik}/verifikasi": {
            "post": {
                "operationId": "verifikasi",
                "parameters": [
                    {"name": "nik", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {"200": {"description": "Hasil verifikasi"}},
            }
        },
        "/status": {"get": {"responses": {"200": {"description": "Sehat"}}}},
        "/lambat": {"get": {"responses": {"200": {"description": "Jawaban lambat"}}}},
        "/besar": {"get": {"responses": {"200": {"description": "Jawaban besar"}}}},
    },
}

BIG_BODY_BYTES = 1024 * 1024


async def _person(request: web.Request) -> web.Response:
    return web.json_response(
        {
            "nik": request.match_info["nik"],
            "query": dict(request.query),
            "headers": {k.lower(): v for k, v in request.headers.items()},
        }
    )


async def _verify(request: web.Request) -> web.Response:
    body = await request.read()
    return web.json_response(
        {"received": len(body), "content_type": request.headers.get("Content-Type", "")}
    )


async def _status(_request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def _slow(_request: web.Request) -> web.Response:
    await asyncio.sleep(5)
    return web.json_response({"late": True})


async def _big(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
    await response.prepare(request)
    chunk = bytes(range(256)) * 256  # 64 KiB
    for _ in range(BIG_BODY_BYTES // len(chunk)):
        await response.write(chunk)
    await response.write_eof()
    return response


def make_app() -> web.Application:
    app = web.Application()
    app.router.add_get("/penduduk/{nik}", _person)
    app.router.add_post("/penduduk/{nik}/verifikasi", _verify)
    app.router.add_get("/status", _status)
    app.router.add_get("/lambat", _slow)
    app.router.add_get("/besar", _big)
    return app


@contextmanager
def running_upstream() -> Iterator[str]:
    """Serve ``make_app()`` on 127.0.0.1 in a background thread; yield its base URL."""
    port = free_port()
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    runner = web.AppRunner(make_app(), access_log=None)

    async def start() -> None:
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        ready.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=10)
    ready.wait(10)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


def openapi_text() -> str:
    return json.dumps(OPENAPI)


@dataclass
class Recorder:
    """What a recording provider received: each request's raw bytes (head and body) in order."""

    requests: list[bytes] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def received(self) -> list[bytes]:
        with self.lock:
            return list(self.requests)

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()


RECORDER_ANSWER = b'{"recorded": true}'


@contextmanager
def running_recorder() -> Iterator[tuple[str, Recorder]]:
    """A provider on 127.0.0.1 that keeps exactly the bytes of every request it receives.

    It parses nothing beyond what it needs to find the end of a request (the blank line, then a
    Content-Length body), so a header or line smuggled into the request is seen as it arrived.
    Every request is answered 200 with ``RECORDER_ANSWER`` on a kept-alive connection.
    """
    recorder = Recorder()
    loop = asyncio.new_event_loop()
    writers: set[asyncio.StreamWriter] = set()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.add(writer)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                    break
                length = 0
                for line in head.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length" and value.strip().isdigit():
                        length = int(value)
                body = await reader.readexactly(length) if length else b""
                with recorder.lock:
                    recorder.requests.append(head + body)
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                    + str(len(RECORDER_ANSWER)).encode()
                    + b"\r\n\r\n"
                    + RECORDER_ANSWER
                )
                await writer.drain()
        finally:
            writers.discard(writer)
            writer.close()

    async def start() -> asyncio.Server:
        return await asyncio.start_server(serve, "127.0.0.1", 0)

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    server = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=10)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", recorder
    finally:

        async def stop() -> None:
            server.close()
            for writer in list(writers):  # kept-alive connections end with the provider
                writer.close()
            await server.wait_closed()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
