"""Attack: fill the gateway's message log (and its disk) with calls that cannot succeed.

Anyone who can reach the gateway can send calls without a key, with a made-up key or naming a
client that does not exist. Each used to become a record of the region's hash-chained log, one
per call, written before the answer. Now such refusals are limited per source address (429
with ``Retry-After``) and counted per minute and reason beside the log; identified callers are
still logged one by one, and are never held back by the junk from their address.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx2
import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.gateway.conftest import GatewayWorld, refusal_count, wait_for_refusals
from tests.gateway.upstream import Recorder
from tests.security.gateway_support import (
    Wired,
    records,
    running_gateway,
    wire_service,
)

PER_MINUTE = 20
OPENAPI = {
    "openapi": "3.0.3",
    "info": {"title": "Data (uji)", "version": "1.0.0"},
    "paths": {"/status": {"get": {"responses": {"200": {"description": "Sehat"}}}}},
}


@pytest.fixture
def wired(
    recorder: tuple[str, Recorder],
    committed_sessions: sessionmaker[Session],
    gateway_world: GatewayWorld,
) -> Wired:
    return wire_service(committed_sessions, gateway_world, recorder[0], OPENAPI)


@pytest.fixture
def gateway(
    committed_url: str, tmp_path_factory: pytest.TempPathFactory, wired: Wired
) -> Iterator[str]:
    """A gateway of its own per test, started after the service is wired, so that it never
    refused a call of this test's client: the address's allowance starts full."""
    with running_gateway(
        committed_url,
        tmp_path_factory.mktemp("gateway"),
        {
            "SIMPUL_GATEWAY_UNIDENTIFIED_PER_MINUTE": str(PER_MINUTE),
            "SIMPUL_GATEWAY_REFUSAL_FLUSH_SECONDS": "0.2",
        },
    ) as url:
        response = httpx2.get(url + wired.base + "/status", headers=wired.headers())
        assert response.status_code == 200
        yield url


def test_junk_calls_are_counted_not_logged_one_by_one_and_limited_per_address(
    gateway: str,
    wired: Wired,
    committed_sessions: sessionmaker[Session],
    gateway_world: GatewayWorld,
) -> None:
    before = len(records(committed_sessions, gateway_world))
    junk = [
        {},  # no client, no key
        {"Information-Mediator-Client": wired.client_id},  # no key
        {"Information-Mediator-Client": wired.client_id, "X-API-Key": "sgw_tebakan"},
        {"Information-Mediator-Client": "x/GOV/tidak/ada", "X-API-Key": wired.key},
    ]
    statuses: list[int] = []
    with httpx2.Client(base_url=gateway) as client:
        for number in range(200):
            response = client.get(wired.base + "/status", headers=junk[number % len(junk)])
            statuses.append(response.status_code)
            assert response.json()["error"]["code"], number
            if response.status_code == 429:
                assert int(response.headers["retry-after"]) >= 1
                assert response.json()["error"]["code"] == "too_many_refusals"
        # An identified caller from the same address still gets through, and is logged.
        good = client.get(wired.base + "/status", headers=wired.headers())
    assert statuses[:PER_MINUTE] == [401] * PER_MINUTE
    assert statuses[PER_MINUTE:] == [429] * (200 - PER_MINUTE)
    assert good.status_code == 200

    # The log has one record for the identified call and none for the 200 junk calls ...
    logged = records(committed_sessions, gateway_world)[before:]
    assert [str(r.request_id) for r in logged] == [good.headers["x-request-id"]]
    # ... which are counted per minute and reason instead.
    wait_for_refusals(
        committed_sessions,
        gateway_world,
        {"too_many_refusals": 200 - PER_MINUTE},
    )
    counted = {
        reason: refusal_count(committed_sessions, gateway_world, reason)
        for reason in ("client_missing", "key_missing", "key_invalid", "too_many_refusals")
    }
    assert counted == {
        "client_missing": PER_MINUTE // 4,
        "key_missing": PER_MINUTE // 4,
        "key_invalid": PER_MINUTE // 2,
        "too_many_refusals": 200 - PER_MINUTE,
    }


def test_identified_refusals_are_still_logged_one_by_one(
    gateway: str,
    wired: Wired,
    committed_sessions: sessionmaker[Session],
    gateway_world: GatewayWorld,
) -> None:
    before = len(records(committed_sessions, gateway_world))
    with httpx2.Client(base_url=gateway, headers=wired.headers()) as client:
        answers = [client.get(wired.base + "/tidak-ada") for _ in range(PER_MINUTE + 5)]
    assert {a.status_code for a in answers} == {404}  # never 429: the caller is known
    logged = records(committed_sessions, gateway_world)[before:]
    assert sorted(str(r.request_id) for r in logged) == sorted(
        a.headers["x-request-id"] for a in answers
    )
    assert {(r.client, r.error) for r in logged} == {(wired.client_id, "unknown_endpoint")}
