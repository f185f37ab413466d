"""Attack: a client of the gateway makes a provider believe it is someone else.

The provider trusts the gateway to tell it who is calling (``Information-Mediator-Client``)
and from where (``X-Forwarded-*``). A caller with a key of its own adds a second identity
header (in any case or ``_`` spelling: a CGI/WSGI provider merges them), forged forwarding
headers, its own request id, or hop-by-hop headers meant to reach the provider. Each test runs
a real ``simpul gateway`` in front of a provider that records the exact bytes it receives.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from sqlalchemy.orm import Session, sessionmaker

from simpul.core.models import Region
from simpul.gateway.registry import service as registry
from tests.gateway.conftest import GatewayWorld, add_app, refusal_count, wait_for_refusals
from tests.gateway.upstream import Recorder
from tests.security.gateway_support import (
    ADMIN,
    Wired,
    raw_call,
    records,
    values_of,
    wait_until_served,
    wire_service,
)

OPENAPI = {
    "openapi": "3.0.3",
    "info": {"title": "Data (uji)", "version": "1.0.0"},
    "paths": {"/status": {"get": {"responses": {"200": {"description": "Sehat"}}}}},
}


@pytest.fixture
def wired(
    gateway: str,
    recorder: tuple[str, Recorder],
    committed_sessions: sessionmaker[Session],
    gateway_world: GatewayWorld,
) -> Wired:
    wired = wire_service(committed_sessions, gateway_world, recorder[0], OPENAPI)
    wait_until_served(gateway, wired, "/status")
    recorder[1].clear()
    return wired


def other_client(sessions: sessionmaker[Session], world: GatewayWorld) -> tuple[str, str]:
    """A second registered client of the region, with a key: the identity an attacker wants."""
    with sessions() as session, session.begin():
        region = session.get_one(Region, world.region.id)
        app = add_app(session, region, world.agency, "simpeg", "Simpeg")
        client = registry.register_client(session, region, app_code=app.code, actor=ADMIN)
        _credential, key = registry.issue_key(session, region, client.id, ADMIN)
    return f"{world.region.slug}/GOV/{world.agency.slug}/simpeg", key


def test_a_second_identity_header_is_refused_and_never_reaches_the_provider(
    gateway: str,
    recorder: tuple[str, Recorder],
    wired: Wired,
    committed_sessions: sessionmaker[Session],
    gateway_world: GatewayWorld,
) -> None:
    victim, victim_key = other_client(committed_sessions, gateway_world)
    me, key = wired.client_id.encode(), wired.key.encode()
    target = (wired.base + "/status").encode()
    attempts = {
        "two client headers, mine last": [
            (b"Information-Mediator-Client", victim.encode()),
            (b"Information-Mediator-Client", me),
            (b"X-API-Key", key),
        ],
        "mine first": [
            (b"Information-Mediator-Client", me),
            (b"information-mediator-client", victim.encode()),
            (b"X-API-Key", key),
        ],
        "other spelling": [
            (b"Information_Mediator_Client", victim.encode()),
            (b"Information-Mediator-Client", me),
            (b"X-API-Key", key),
        ],
        "the GovStack header names someone else": [
            (b"Information-Mediator-Client", me),
            (b"X-GovStack-Client", victim.encode()),
            (b"X-API-Key", key),
        ],
        "two keys": [
            (b"Information-Mediator-Client", me),
            (b"X-API-Key", victim_key.encode()),
            (b"X-API-Key", key),
        ],
        "two GovStack headers": [
            (b"Information-Mediator-Client", me),
            (b"X-GovStack-Client", me),
            (b"X-GOVSTACK-CLIENT", victim.encode()),
            (b"X-API-Key", key),
        ],
    }
    for label, headers in attempts.items():
        answer = raw_call(gateway, target, headers)
        assert answer.status == 400, label
        assert answer.header("content-type") == "application/json", label
        error = answer.json()["error"]
        assert error["code"] == "identity_ambiguous", label
        assert "Information-Mediator-Client" in error["message"], label
        assert answer.header("x-request-id"), label
    assert recorder[1].received() == []
    # Logged: refused before a client was identified, so counted per minute and reason.
    wait_for_refusals(committed_sessions, gateway_world, {"identity_ambiguous": len(attempts)})
    assert refusal_count(committed_sessions, gateway_world, "identity_ambiguous") == len(attempts)


def test_the_provider_receives_exactly_one_client_header_the_authenticated_one(
    gateway: str,
    recorder: tuple[str, Recorder],
    wired: Wired,
) -> None:
    answer = raw_call(
        gateway,
        (wired.base + "/status").encode(),
        [
            (b"information-mediator-client", b"  " + wired.client_id.encode() + b" "),
            (b"X-GovStack-Client", wired.client_id.encode()),  # the same caller: allowed
            (b"X-API-Key", wired.key.encode()),
        ],
    )
    assert answer.status == 200, answer.body
    (received,) = recorder[1].received()
    assert values_of(received, "Information-Mediator-Client") == [wired.client_id.encode()]
    assert values_of(received, "X-GovStack-Client") == []
    assert values_of(received, "X-API-Key") == []


def test_forged_forwarding_headers_and_hop_by_hop_headers_do_not_reach_the_provider(
    gateway: str,
    recorder: tuple[str, Recorder],
    wired: Wired,
    committed_sessions: sessionmaker[Session],
    gateway_world: GatewayWorld,
) -> None:
    answer = raw_call(
        gateway,
        (wired.base + "/status").encode(),
        [
            (b"Information-Mediator-Client", wired.client_id.encode()),
            (b"X-API-Key", wired.key.encode()),
            (b"X-Forwarded-For", b"10.9.9.9"),
            (b"X_Forwarded_For", b"10.8.8.8"),
            (b"X-Forwarded-Proto", b"https"),
            (b"X-Forwarded-Host", b"bank.example"),
            (b"Forwarded", b"for=10.7.7.7;proto=https;host=bank.example"),
            (b"X-Real-IP", b"10.6.6.6"),
            (b"X-Request-Id", b"saya-yang-pilih"),
            (b"X-Request-Id", b"dua-kali"),
            (b"Keep-Alive", b"timeout=600"),
            (b"TE", b"trailers"),
            (b"Trailer", b"X-Checksum"),
            (b"Upgrade", b"websocket"),
            (b"Proxy", b"http://10.5.5.5:3128"),  # "httpoxy": CGI turns it into HTTP_PROXY
            (b"Proxy-Authorization", b"Basic YTpi"),
            (b"X-Rahasia", b"hanya-untuk-gateway"),
            (b"Connection", b"X-Rahasia"),
            (b"X-Lain", b"juga-untuk-gateway"),
            (b"Connection", b"keep-alive, X-Lain"),
            (b"X-Trace", b"boleh-lewat"),
        ],
    )
    assert answer.status == 200, answer.body
    (received,) = recorder[1].received()
    gateway_address = urlsplit(gateway).netloc.encode()
    assert values_of(received, "X-Forwarded-For") == [b"127.0.0.1"]  # the peer, nothing else
    assert values_of(received, "X-Forwarded-Proto") == [b"http"]
    assert values_of(received, "X-Forwarded-Host") == [gateway_address]
    assert values_of(received, "X-Request-Id") == [answer.header("x-request-id").encode()]
    for name in (
        "Forwarded",
        "X-Real-IP",
        "Keep-Alive",
        "TE",
        "Trailer",
        "Upgrade",
        "Proxy",
        "Proxy-Authorization",
        "X-Rahasia",
        "X-Lain",
        "Connection",
    ):
        assert values_of(received, name) == [], name
    assert values_of(received, "X-Trace") == [b"boleh-lewat"]  # end-to-end headers pass
    # The request id the provider saw is the one the message log keeps.
    logged = {str(r.request_id) for r in records(committed_sessions, gateway_world)}
    assert answer.header("x-request-id") in logged


def test_the_directory_refuses_a_second_identity_too(gateway: str, wired: Wired) -> None:
    provider = wired.base.rsplit("/", 1)[0]
    answer = raw_call(
        gateway,
        (provider + "/allowedMethods").encode(),
        [
            (b"X-GovStack-Client", wired.client_id.encode()),
            (b"X-GovStack-Client", b"x/GOV/y/z"),
        ],
    )
    assert answer.status == 400
    assert answer.json()["error"]["code"] == "identity_ambiguous"
