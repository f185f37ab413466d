"""Oversized requests are refused by both servers before they cost memory or time.

The attack: a request line, header block or body far larger than any real client sends, to
make the server buffer it (memory), parse it (CPU) or wait for it (a body announced as 10 MB
that never comes). Before the fix ``simpul serve`` and ``simpul gateway`` (uvicorn with
httptools) took any header block and any request line, and waited for any announced body.
Now: request line over the limit 414, header block too large or too many header fields 431,
a body over the limit 413 from its ``Content-Length`` before a byte of it is read, or as soon
as a chunked body passes the limit; each refusal closes the connection.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

from tests.security.live_http import (
    GatewayCall,
    RawResponse,
    add_gateway_call,
    address,
    database_with_region,
    exchange,
    is_gateway,
    live_server,
    read_response,
    send_all,
)
from tests.support.devserver import ServerProcess

BODY_LIMIT = 64 * 1024
ENV = {
    "SIMPUL_HTTP_MAX_BODY_BYTES": str(BODY_LIMIT),
    "SIMPUL_GATEWAY_MAX_BODY_BYTES": str(BODY_LIMIT),
}


@pytest.fixture(scope="module")
def database() -> tuple[str, str]:
    return database_with_region("oversized")


@pytest.fixture(scope="module")
def gateway_call(database: tuple[str, str]) -> GatewayCall:
    url, slug = database
    return add_gateway_call(url, slug)


@pytest.fixture(scope="module", params=["serve", "gateway"])
def server(
    request: pytest.FixtureRequest,
    database: tuple[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ServerProcess]:
    url, _slug = database
    program = str(request.param)
    with live_server(url, tmp_path_factory.mktemp(program), ENV, program) as running:
        yield running


def api_path(server: ServerProcess, database: tuple[str, str]) -> str:
    """A path the server answers JSON on: the portal's API, or the gateway's IM addressing."""
    _url, slug = database
    return "/r1/x/GOV/y/z/svc/data" if is_gateway(server) else f"/api/{slug}/services"


def assert_refused(answer: RawResponse, status: int, server: ServerProcess) -> None:
    assert answer.status == status, answer
    assert answer.headers.get("connection") == "close"
    error = json.loads(answer.body)["error"]
    assert error["code"] and error["message"]
    if is_gateway(server):
        assert answer.headers["x-request-id"] == json.loads(answer.body)["request_id"]


def test_a_request_line_too_long_is_414(server: ServerProcess, database: tuple[str, str]) -> None:
    target = api_path(server, database) + "?q=" + "a" * 9000
    answer = exchange(server, f"GET {target} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
    assert_refused(answer, 414, server)


def test_a_header_block_too_large_is_431(server: ServerProcess, database: tuple[str, str]) -> None:
    headers = "".join(f"X-Filler-{i}: {'b' * 1000}\r\n" for i in range(20))  # 20 KB
    request = f"GET {api_path(server, database)} HTTP/1.1\r\nHost: t\r\n{headers}\r\n"
    assert_refused(exchange(server, request.encode()), 431, server)


def test_too_many_header_fields_is_431(server: ServerProcess, database: tuple[str, str]) -> None:
    headers = "".join(f"X-N{i}: 1\r\n" for i in range(150))  # small, but many
    request = f"GET {api_path(server, database)} HTTP/1.1\r\nHost: t\r\n{headers}\r\n"
    assert_refused(exchange(server, request.encode()), 431, server)


def test_headers_within_the_limits_are_served(server: ServerProcess) -> None:
    headers = "".join(f"X-Filler-{i}: {'b' * 1000}\r\n" for i in range(10))  # 10 KB
    request = f"GET /healthz?q={'a' * 4000} HTTP/1.1\r\nHost: t\r\n{headers}\r\n"
    assert exchange(server, request.encode()).status == 200


def test_a_body_announced_too_large_is_413_before_it_is_sent(
    server: ServerProcess, database: tuple[str, str]
) -> None:
    """Only the head is sent: the answer must come without waiting for 10 MB."""
    _url, slug = database
    target = api_path(server, database) if is_gateway(server) else f"/{slug}/masuk"
    head = (
        f"POST {target} HTTP/1.1\r\nHost: t\r\nAccept: application/json\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {10 * 1024 * 1024}\r\n\r\n"
    )
    with socket.create_connection(address(server), timeout=10) as sock:
        assert send_all(sock, head.encode())
        answer = read_response(sock, timeout=5)
    assert answer.status == 413, answer
    assert answer.headers.get("connection") == "close"


def test_a_chunked_body_is_refused_once_it_passes_the_limit(
    server: ServerProcess, database: tuple[str, str], gateway_call: GatewayCall
) -> None:
    """No Content-Length to go by: the server counts, and stops at the limit. (Through the
    gateway, a granted call: only those get their body read.)"""
    _url, slug = database
    target, caller = (
        (gateway_call.path, gateway_call.headers) if is_gateway(server) else (f"/{slug}/masuk", "")
    )
    head = (
        f"POST {target} HTTP/1.1\r\nHost: t\r\nAccept: application/json\r\n{caller}"
        "Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"x" * 8192
    sent = 0
    with socket.create_connection(address(server), timeout=10) as sock:
        assert send_all(sock, head.encode())
        while sent < 4 * BODY_LIMIT and send_all(sock, b"2000\r\n" + chunk + b"\r\n"):
            sent += len(chunk)
        send_all(sock, b"0\r\n\r\n")
        answer = read_response(sock, timeout=5)
    assert answer.status == 413, answer
