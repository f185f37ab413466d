"""Attack: a client granted one endpoint reaches another one, or writes into the upstream request.

The client may call ``GET /{tenant}/items`` of a service whose provider also has
``/{tenant}/items/{item}`` and ``/admin/secrets``, below the base path ``/svc``. It sends dot
segments (plain, percent-encoded in any case, double-encoded, Tomcat's ``..;``), backslashes,
encoded slashes, ``?`` and ``#``, NUL and control characters, CR/LF meant to start a header
line, and headers that make frameworks rewrite the method or the path. The provider records
the exact bytes it receives; a raw socket sends what an HTTP library would refuse to.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.gateway.conftest import GatewayWorld
from tests.gateway.upstream import Recorder
from tests.security.gateway_support import (
    Wired,
    header_lines,
    raw_call,
    request_line,
    request_target,
    values_of,
    wait_until_served,
    wire_service,
)

TENANT = {"name": "tenant", "in": "path", "required": True, "schema": {"type": "string"}}
OPENAPI = {
    "openapi": "3.0.3",
    "info": {"title": "Barang (uji)", "version": "1.0.0"},
    "paths": {
        "/{tenant}/items": {
            "parameters": [TENANT],
            "get": {"responses": {"200": {"description": "Daftar barang"}}},
        },
        "/{tenant}/items/{item}": {
            "parameters": [
                TENANT,
                {"name": "item", "in": "path", "required": True, "schema": {"type": "string"}},
            ],
            "get": {"responses": {"200": {"description": "Satu barang"}}},
            "delete": {"responses": {"204": {"description": "Dihapus"}}},
        },
        "/admin/secrets": {"get": {"responses": {"200": {"description": "Rahasia"}}}},
        # A literal path the template /{tenant}/items also matches: the more specific wins.
        "/admin/items": {"get": {"responses": {"200": {"description": "Semua barang"}}}},
    },
}

#: Paths (below the service's address) that must be refused with 400 before any matching.
REFUSED = [
    b"/../items",
    b"/./items",
    b"/%2e%2e/items",
    b"/%2E%2e/items",
    b"/.%2e/items",
    b"/%2e./items",
    b"/%2e/items",
    b"/..;/items",
    b"/%2e%2e;x/items",
    b"/%252e%252e/items",
    b"/%252E./items",
    b"/acme%2F..%2Fother/items",
    b"/acme%2f%2e%2e%2fother/items",
    b"/..\\admin/items",
    b"/acme\\items/items",
    b"/acme%5citems/items",
    b"/acme%5C..%5Cadmin/items",
    b"/acme%255c/items",
    b"/acme%00/items",
    b"/acme%0d%0aX-Injected:%20yes/items",
    b"/acme%0D%0AX-Injected:%20yes%0D%0A%0D%0AGET%20/svc/admin/secrets/items",
    b"/acme%0aX-Injected:%20yes/items",
    b"/acme%0d/items",
    b"/acme%09/items",
    b"/acme%1b/items",
    b"/acme%7f/items",
    b"/acme%250d%250a/items",
    b"/acme%zz/items",
    b"/acme%2/items",
    # Refused before matching: no endpoint has these templates, yet the answer is 400, not 404.
    b"/../admin/secrets",
    b"/%2e%2e/%2e%2e/admin/secrets",
    b"/acme/items/..",
]


@pytest.fixture
def wired(
    gateway: str,
    recorder: tuple[str, Recorder],
    committed_sessions: sessionmaker[Session],
    gateway_world: GatewayWorld,
) -> Wired:
    wired = wire_service(
        committed_sessions,
        gateway_world,
        recorder[0] + "/svc",
        OPENAPI,
        granted=("GET", "/{tenant}/items"),
    )
    wait_until_served(gateway, wired, "/acme/items")
    recorder[1].clear()
    return wired


def call(gateway: str, wired: Wired, path: bytes, *extra: tuple[bytes, bytes]) -> int:
    answer = raw_call(
        gateway,
        wired.base.encode() + path,
        [
            (b"Information-Mediator-Client", wired.client_id.encode()),
            (b"X-API-Key", wired.key.encode()),
            *extra,
        ],
    )
    return answer.status


def test_dot_segments_backslashes_and_control_characters_are_refused_before_matching(
    gateway: str, recorder: tuple[str, Recorder], wired: Wired
) -> None:
    for path in REFUSED:
        answer = raw_call(
            gateway,
            wired.base.encode() + path,
            [
                (b"Information-Mediator-Client", wired.client_id.encode()),
                (b"X-API-Key", wired.key.encode()),
            ],
        )
        assert answer.status == 400, path
        error = answer.json()["error"]
        assert error["code"] == "path_invalid", path
        assert error["message"], path
    assert recorder[1].received() == []


def test_no_byte_a_client_sends_adds_a_header_or_a_line_upstream(
    gateway: str, recorder: tuple[str, Recorder], wired: Wired
) -> None:
    injected = [
        b"/acme/items?q=%0d%0aX-Injected:%20yes",
        b"/acme/items?q=a%0aX-Injected:%20yes&r=%00",
        b"/acme%250d%250aX-Injected:%20yes/items",
        b"/acme%0d%0aX-Injected:%20yes/items",
    ]
    for path in injected:
        call(gateway, wired, path, (b"X-Trace", b"a%0d%0aX-Injected: yes"))
    for received in recorder[1].received():
        head = received.split(b"\r\n\r\n", 1)[0]
        assert b"\n" not in head.replace(b"\r\n", b""), received  # no bare line ends
        assert b"\r" not in head.replace(b"\r\n", b""), received
        assert b"\x00" not in received, received
        assert values_of(received, "X-Injected") == [], received
        assert len(request_line(received).split(b" ")) == 3, received
    # What went through went as sent: the query string untouched, still percent-encoded.
    targets = [request_target(r) for r in recorder[1].received()]
    assert b"/svc/acme/items?q=%0d%0aX-Injected:%20yes" in targets


def test_parameters_are_forwarded_encoded_and_slashes_inside_them_stay_inside(
    gateway: str, recorder: tuple[str, Recorder], wired: Wired
) -> None:
    expected = {
        b"/acme%2Fitems/items": b"/svc/acme%2Fitems/items",
        b"/acme%2fx/items": b"/svc/acme%2Fx/items",
        b"/a%20b/items": b"/svc/a%20b/items",
        b"/admin%3F/items": b"/svc/admin%3F/items",
        b"/admin%23/items": b"/svc/admin%23/items",
        b'/a"b{c}|d/items': b"/svc/a%22b%7Bc%7D%7Cd/items",
        b"/%61cme/items": b"/svc/acme/items",
        b"/caf%C3%A9/items": b"/svc/caf%C3%A9/items",
        b"/100%25/items": b"/svc/100%25/items",
        b"/a.b..c/items": b"/svc/a.b..c/items",
    }
    for path, target in expected.items():
        recorder[1].clear()
        assert call(gateway, wired, path) == 200, path
        (received,) = recorder[1].received()
        assert request_target(received) == target, path


def test_a_literal_endpoint_is_not_reached_through_a_template_granted_for_others(
    gateway: str, recorder: tuple[str, Recorder], wired: Wired
) -> None:
    """``/admin/items`` is its own endpoint, not granted: ``/{tenant}/items`` does not cover it."""
    answer = raw_call(
        gateway,
        wired.base.encode() + b"/admin/items",
        [
            (b"Information-Mediator-Client", wired.client_id.encode()),
            (b"X-API-Key", wired.key.encode()),
        ],
    )
    assert answer.status == 403
    assert answer.json()["error"]["code"] == "no_grant"
    assert recorder[1].received() == []
    assert call(gateway, wired, b"/acme/items") == 200


def test_a_grant_for_one_endpoint_never_reaches_anything_else(
    gateway: str, recorder: tuple[str, Recorder], wired: Wired
) -> None:
    tries = [
        *REFUSED,
        b"/acme/items/1",
        b"/admin/secrets",
        b"/admin/items",
        b"/%61dmin/items",
        b"/acme%2Fitems%2F1/items",
        b"/acme/items%2F1",
        b"/acme/items%3F/1",
        b"/admin%2Fsecrets%3F/items",
        b"/admin%2Fsecrets%23/items",
        b"/admin/secrets%3Fx=/items",
        b"/acme/items/",
        b"/acme/ITEMS",
        b"//items",
        b"/acme//items",
    ]
    for path in tries:
        call(gateway, wired, path)
    for name, value in [
        (b"X-HTTP-Method-Override", b"DELETE"),
        (b"X-HTTP-Method", b"DELETE"),
        (b"X-Method-Override", b"DELETE"),
        (b"X-Original-URL", b"/svc/admin/secrets"),
        (b"X-Rewrite-URL", b"/svc/admin/secrets"),
    ]:
        assert call(gateway, wired, b"/acme/items", (name, value)) == 200
    allowed = re.compile(rb"/svc/([^/?#]+)/items/?")
    admin = re.compile(rb"/svc/admin/items/?")
    for received in recorder[1].received():
        method, target, _version = request_line(received).split(b" ")
        assert method == b"GET", received
        matched = allowed.fullmatch(target)
        assert matched is not None, target
        assert admin.fullmatch(target) is None, target
        tenant = unquote_to_bytes(matched.group(1))
        assert not any(piece in {b".", b".."} for piece in re.split(rb"[/\\;]", tenant)), target
        sent = {name.lower() for name, _value in header_lines(received)}
        for name in (
            b"x-http-method-override",
            b"x-http-method",
            b"x-method-override",
            b"x-original-url",
            b"x-rewrite-url",
        ):
            assert name not in sent, received
