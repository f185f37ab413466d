"""Slow clients cannot hold connections open for ever (slowloris, slow POST).

The attack: open many connections and send nothing, or a request a byte at a time, or a body
that never finishes, so the server keeps every connection (and what it holds for it) open.
Before the fix neither server had a read timeout before or inside a request (uvicorn's only
timer is keep-alive, after a response): each such connection stayed open as long as the
attacker liked. Now the headers must be complete within ``SIMPUL_HTTP_HEADER_TIMEOUT_SECONDS``
of the connection (or of the request's first byte) and a body may not pause longer than
``SIMPUL_HTTP_BODY_TIMEOUT_SECONDS``: then 408 (when nothing was answered yet) and close.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from tests.security.live_http import (
    GatewayCall,
    add_gateway_call,
    address,
    closed_within,
    database_with_region,
    exchange,
    is_gateway,
    live_server,
    read_response,
    send_all,
)
from tests.support.devserver import ServerProcess

TIMEOUT = 2  # seconds, for both the header and the body timeout of the servers under test
MARGIN = 4  # seconds more a loaded machine may take to act on it
ENV = {
    "SIMPUL_HTTP_HEADER_TIMEOUT_SECONDS": str(TIMEOUT),
    "SIMPUL_HTTP_BODY_TIMEOUT_SECONDS": str(TIMEOUT),
}


@pytest.fixture(scope="module")
def database() -> tuple[str, str]:
    return database_with_region("slow")


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


def test_a_connection_that_sends_nothing_is_closed(server: ServerProcess) -> None:
    with socket.create_connection(address(server), timeout=10) as sock:
        assert closed_within(sock, TIMEOUT + MARGIN)


def test_headers_sent_a_byte_at_a_time_are_cut_off(server: ServerProcess) -> None:
    """Each byte comes well within any idle timeout; the headers as a whole never finish."""
    request = b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: " + b"a" * 200
    started = time.monotonic()
    with socket.create_connection(address(server), timeout=10) as sock:
        for byte in request:
            if time.monotonic() - started > TIMEOUT + MARGIN or not send_all(sock, bytes([byte])):
                break
            time.sleep(0.2)
        answer = read_response(sock, timeout=1)
        stopped = time.monotonic() - started
    assert stopped < TIMEOUT + MARGIN + 1, "the server still listened to the trickle"
    assert answer.status in (408, None), answer
    assert answer.status == 408 or answer.closed


def test_a_slow_first_request_line_after_a_served_request_is_cut_off(
    server: ServerProcess,
) -> None:
    """Keep-alive: after one answer, a second request that never completes its headers."""
    with socket.create_connection(address(server), timeout=10) as sock:
        assert send_all(sock, b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        assert read_response(sock, timeout=10).status == 200
        started = time.monotonic()
        assert send_all(sock, b"GET /healthz HTTP/1.1\r\nHost: t\r\n")
        while time.monotonic() - started < TIMEOUT + MARGIN and send_all(sock, b"X"):
            time.sleep(0.2)
        assert time.monotonic() - started < TIMEOUT + MARGIN, "still open"


def test_a_body_that_stops_coming_gets_408_and_the_connection_closed(
    server: ServerProcess, database: tuple[str, str], gateway_call: GatewayCall
) -> None:
    """A form post (portal) or a granted call (gateway) whose body stalls half way."""
    _url, slug = database
    target, caller = (
        (gateway_call.path, gateway_call.headers) if is_gateway(server) else (f"/{slug}/masuk", "")
    )
    head = (
        f"POST {target} HTTP/1.1\r\nHost: t\r\nAccept: application/json\r\n{caller}"
        "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n"
    )
    with socket.create_connection(address(server), timeout=10) as sock:
        assert send_all(sock, head.encode() + b"email=" + b"a" * 100)
        answer = read_response(sock, timeout=TIMEOUT + MARGIN)
        assert answer.status == 408, answer
        assert answer.headers.get("connection") == "close"
        assert closed_within(sock, 2)


def test_patient_clients_are_still_served(server: ServerProcess) -> None:
    """The timeouts cut off dawdlers, not an ordinary request sent in two parts."""
    with socket.create_connection(address(server), timeout=10) as sock:
        assert send_all(sock, b"GET /healthz HTTP/1.1\r\n")
        time.sleep(TIMEOUT / 2)
        assert send_all(sock, b"Host: t\r\n\r\n")
        assert read_response(sock, timeout=10).status == 200
    assert exchange(server, b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n").status == 200
