"""Attack: read a provider's directory (``listMethods``, ``allowedMethods``, ``getOpenAPI``)
without naming oneself properly in ``X-GovStack-Client``, which the GovStack IM spec requires.

An attacker sends the header empty or blank, twice with two different identities (so one
component reads the first and another the last), in the other spelling, or with a ``/`` of the
identity percent-encoded (so a component that decodes it sees another caller than the gateway
judged). Each is refused with 400 over a raw socket (no HTTP library tidying the bytes), says
nothing of the provider's services or of what was sent, reaches no provider, and is counted per
minute and reason like every refusal of an unidentified caller.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.gateway.conftest import GatewayWorld, refusal_count, wait_for_refusals
from tests.gateway.upstream import Recorder
from tests.security.gateway_support import (
    RawAnswer,
    Wired,
    raw_call,
    records,
    wait_until_served,
    wire_service,
)

METASERVICES = ("listMethods", "allowedMethods", "getOpenAPI")
#: The provider's service: its code, path and upstream must not appear in any refusal.
OPENAPI = {
    "openapi": "3.0.3",
    "info": {"title": "Data rahasia (uji)", "version": "1.0.0"},
    "paths": {"/arsip-rahasia": {"get": {"responses": {"200": {"description": "Arsip"}}}}},
}


@pytest.fixture
def wired(
    gateway: str,
    recorder: tuple[str, Recorder],
    committed_sessions: sessionmaker[Session],
    gateway_world: GatewayWorld,
) -> Wired:
    wired = wire_service(committed_sessions, gateway_world, recorder[0], OPENAPI, code="rahasia")
    wait_until_served(gateway, wired, "/arsip-rahasia")
    recorder[1].clear()
    return wired


def target(wired: Wired, method: str) -> bytes:
    provider = wired.base.rsplit("/", 1)[0]
    query = "?serviceCode=rahasia" if method == "getOpenAPI" else ""
    return f"{provider}/{method}{query}".encode()


def assert_refused_quietly(answer: RawAnswer, code: str, sent: list[bytes], label: str) -> None:
    """400 with ``code``, the error body and nothing else: no service, no path, no upstream,
    none of the values sent."""
    assert answer.status == 400, (label, answer.body)
    body = answer.json()
    assert set(body) == {"error", "request_id"}, label
    assert body["error"]["code"] == code, (label, body)
    assert body["error"]["details"] == [], label
    assert body["request_id"] == answer.header("x-request-id"), label
    text = answer.body.decode()
    for secret in ("rahasia", "arsip", "127.0.0.1", "endpointList", "openapi"):
        assert secret not in text.lower(), (label, secret, text)
    for value in sent:
        if value.strip():
            assert value.decode("latin-1") not in text, (label, value)


def test_an_empty_caller_header_is_refused(
    gateway: str,
    recorder: tuple[str, Recorder],
    wired: Wired,
    committed_sessions: sessionmaker[Session],
    gateway_world: GatewayWorld,
) -> None:
    attempts = {
        "no header": [],
        "empty": [(b"X-GovStack-Client", b"")],
        "blank": [(b"X-GovStack-Client", b"  \t ")],
        "empty, the other name": [(b"Information-Mediator-Client", b"")],
        # A key does not stand in for the name (nor does it get a 401 for a missing one).
        "empty, with a key": [(b"X-GovStack-Client", b""), (b"X-API-Key", wired.key.encode())],
    }
    request_ids = set()
    for method in METASERVICES:
        for label, headers in attempts.items():
            answer = raw_call(gateway, target(wired, method), headers)
            assert_refused_quietly(answer, "client_missing", [], f"{method}: {label}")
            assert "X-GovStack-Client" in answer.json()["error"]["message"]
            request_ids.add(answer.json()["request_id"])
    assert recorder[1].received() == []
    refused = len(METASERVICES) * len(attempts)
    wait_for_refusals(committed_sessions, gateway_world, {"client_missing": refused})
    assert refusal_count(committed_sessions, gateway_world, "client_missing") == refused
    # No caller was identified: counted per minute and reason, not written to the message log.
    logged = {str(r.request_id) for r in records(committed_sessions, gateway_world)}
    assert not logged & request_ids


def test_two_different_identities_are_refused(
    gateway: str,
    recorder: tuple[str, Recorder],
    wired: Wired,
    committed_sessions: sessionmaker[Session],
    gateway_world: GatewayWorld,
) -> None:
    me = wired.client_id.encode()
    victim = wired.client_id.rsplit("/", 1)[0].encode() + b"/sipenduduk"
    attempts = {
        "the same header twice": [(b"X-GovStack-Client", victim), (b"X-GovStack-Client", me)],
        "another case": [(b"X-GovStack-Client", me), (b"x-govstack-client", victim)],
        "underscore spelling": [(b"X_GovStack_Client", victim), (b"X-GovStack-Client", me)],
        "the two names disagree": [
            (b"X-GovStack-Client", me),
            (b"Information-Mediator-Client", victim),
        ],
        "one empty, one set": [(b"X-GovStack-Client", b""), (b"X-GovStack-Client", me)],
    }
    for method in METASERVICES:
        for label, headers in attempts.items():
            answer = raw_call(gateway, target(wired, method), headers)
            sent = [value for _name, value in headers]
            assert_refused_quietly(answer, "identity_ambiguous", sent, f"{method}: {label}")
    assert recorder[1].received() == []
    refused = len(METASERVICES) * len(attempts)
    wait_for_refusals(committed_sessions, gateway_world, {"identity_ambiguous": refused})
    assert refusal_count(committed_sessions, gateway_world, "identity_ambiguous") == refused


def test_an_encoded_slash_in_the_identity_is_refused(
    gateway: str,
    recorder: tuple[str, Recorder],
    wired: Wired,
    committed_sessions: sessionmaker[Session],
    gateway_world: GatewayWorld,
) -> None:
    me = wired.client_id
    instance, member_class, member, app = me.split("/")
    values = {
        "every slash encoded": me.replace("/", "%2F"),
        "lower-case escape": me.replace("/", "%2f"),
        "one part smuggles a fifth": f"{instance}/{member_class}/{member}/{app}%2Fx",
        "the app hides in the member": f"{instance}/{member_class}/{member}%2F{app}/{app}",
        "double-encoded": me.replace("/", "%252F"),
        "a backslash": me.replace("/", "\\"),
        "NUL": me + "%00",
    }
    for method in METASERVICES:
        for label, value in values.items():
            for name in (b"X-GovStack-Client", b"Information-Mediator-Client"):
                headers = [(name, value.encode())]
                answer = raw_call(gateway, target(wired, method), headers)
                assert_refused_quietly(answer, "invalid_client_id", [], f"{method}: {label}")
                assert value not in json.dumps(answer.json()), label
    assert recorder[1].received() == []
    refused = len(METASERVICES) * len(values) * 2
    wait_for_refusals(committed_sessions, gateway_world, {"invalid_client_id": refused})
    assert refusal_count(committed_sessions, gateway_world, "invalid_client_id") == refused
    # The real identity, unencoded, is answered: the refusals above are for the encoding.
    for method in METASERVICES:
        answer = raw_call(gateway, target(wired, method), [(b"X-GovStack-Client", me.encode())])
        assert answer.status == 200, (method, answer.body)
