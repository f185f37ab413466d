"""``simpul gateway`` as a real process: authentication, grants, limits, forwarding, errors,
and a message log record for every exchange."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from simpul.core.models import Region
from simpul.gateway.msglog import verify_region
from simpul.gateway.msglog.models import GatewayMessage
from simpul.gateway.registry import repository as registry_repository
from simpul.gateway.registry import service as registry
from tests.conftest import TEST_SECRET
from tests.gateway.conftest import GatewayWorld, add_app, wait_for_refusals
from tests.gateway.upstream import BIG_BODY_BYTES, openapi_text, running_upstream
from tests.support.devserver import server_process

ADMIN = registry.Actor("admin@uji.example")


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    with running_upstream() as url:
        yield url


@pytest.fixture(scope="module")
def gateway(committed_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("gateway")
    with server_process(
        committed_url,
        secret_key=TEST_SECRET,
        data_dir=data_dir,
        program="gateway",
        env={
            "SIMPUL_GATEWAY_REFRESH_SECONDS": "0.5",
            "SIMPUL_GATEWAY_REFUSAL_FLUSH_SECONDS": "0.2",
            # The tests poll until a change is served; the 401s meanwhile must not use up
            # this address's allowance of refusals (tests/security checks that limit).
            "SIMPUL_GATEWAY_UNIDENTIFIED_PER_MINUTE": "100000",
        },
    ) as server:
        yield server.base_url


@dataclass
class Wired:
    world: GatewayWorld
    base: str  # the service's address on the gateway
    client_id: str  # Information-Mediator-Client of the consumer
    key: str
    service_id: uuid.UUID
    consumer_client_id: uuid.UUID

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Information-Mediator-Client": self.client_id, "X-API-Key": self.key, **extra}


def wire(
    sessions: sessionmaker[Session],
    world: GatewayWorld,
    upstream_url: str,
    *,
    rate_limit: int = 6000,
    timeout: float = 30.0,
    max_body_bytes: int | None = None,
    log_bodies: bool = False,
    grant: bool = True,
) -> Wired:
    """Provider service, consumer client with a key, and (optionally) an approved grant."""
    with sessions() as session, session.begin():
        region = session.get_one(Region, world.region.id)
        service = registry.register_service(
            session,
            region,
            app_code=world.provider.code,
            code="penduduk",
            upstream_url=upstream_url,
            openapi_text=openapi_text(),
            actor=ADMIN,
            timeout_seconds=timeout,
            max_body_bytes=max_body_bytes,
            log_bodies=log_bodies,
        )
        client = registry.register_client(
            session,
            region,
            app_code=world.consumer.code,
            actor=ADMIN,
            rate_limit_per_minute=rate_limit,
        )
        _cred, key = registry.issue_key(session, region, client.id, ADMIN)
        if grant:
            requested = registry.request_grant(
                session,
                region,
                service_id=service.id,
                client_id=client.id,
                actor=ADMIN,
                reason="uji",
            )
            registry.approve_grant(session, region, requested.id, ADMIN)
    slug = world.region.slug
    agency = world.agency.slug
    return Wired(
        world=world,
        base=f"/r1/{slug}/GOV/{agency}/{world.provider.code}/penduduk",
        client_id=f"{slug}/GOV/{agency}/{world.consumer.code}",
        key=key,
        service_id=service.id,
        consumer_client_id=client.id,
    )


def wait_for(gateway: str, wired: Wired, path: str = "/status", want: int = 200) -> None:
    """The gateway reloads on NOTIFY; wait until it serves the new configuration."""
    deadline = time.monotonic() + 15
    status = 0
    while time.monotonic() < deadline:
        status = httpx2.get(gateway + wired.base + path, headers=wired.headers()).status_code
        if status == want:
            return
        time.sleep(0.1)
    pytest.fail(f"the gateway still answers {status} for {path}")


def records(sessions: sessionmaker[Session], world: GatewayWorld) -> list[GatewayMessage]:
    with sessions() as session:
        return list(
            session.scalars(
                select(GatewayMessage)
                .where(GatewayMessage.region_id == world.region.id)
                .order_by(GatewayMessage.seq)
            )
        )


def test_a_granted_call_is_forwarded_and_logged(
    gateway: str,
    upstream: str,
    committed_sessions: sessionmaker[Session],
    gateway_world: GatewayWorld,
) -> None:
    wired = wire(committed_sessions, gateway_world, upstream)
    wait_for(gateway, wired)

    response = httpx2.get(
        gateway + wired.base + "/penduduk/3273010101900001?cari=ya&halaman=2",
        headers=wired.headers(
            Connection="keep-alive, X-Hop-Only",
            **{"X-Hop-Only": "rahasia", "X-Trace": "abc", "Accept": "application/json"},
        ),
    )
    assert response.status_code == 200
    request_id = response.headers["x-request-id"]
    seen = response.json()
    assert seen["nik"] == "3273010101900001"
    assert seen["query"] == {"cari": "ya", "halaman": "2"}
    forwarded = seen["headers"]
    assert forwarded["information-mediator-client"] == wired.client_id
    assert forwarded["x-request-id"] == request_id
    assert forwarded["x-trace"] == "abc"
    assert "x-api-key" not in forwarded  # the gateway's credential stays at the gateway
    assert "x-hop-only" not in forwarded  # named in Connection: hop-by-hop

    posted = httpx2.post(
        gateway + wired.base + "/penduduk/3273010101900001/verifikasi",
        headers=wired.headers(**{"Content-Type": "application/json"}),
        content=b'{"nama": "Siti"}',
    )
    assert posted.json() == {"received": 16, "content_type": "application/json"}

    logged = {str(r.request_id): r for r in records(committed_sessions, gateway_world)}
    record = logged[request_id]
    assert record.status == 200
    assert record.error == ""
    assert record.client == wired.client_id
    assert record.endpoint == "GET /penduduk/{nik}"
    assert record.path == "/penduduk/3273010101900001"  # the query string is not kept
    assert record.response_bytes == len(response.content)
    assert record.bodies_encrypted is None
    posted_record = logged[posted.headers["x-request-id"]]
    assert (posted_record.method, posted_record.request_bytes) == ("POST", 16)


def test_bad_calls_get_a_clear_json_error_and_are_logged(
    gateway: str,
    upstream: str,
    committed_sessions: sessionmaker[Session],
    gateway_world: GatewayWorld,
) -> None:
    wired = wire(committed_sessions, gateway_world, upstream, max_body_bytes=2048)
    with committed_sessions() as session, session.begin():
        region = session.get_one(Region, gateway_world.region.id)
        stranger_app = add_app(session, region, gateway_world.agency, "sipd", "SIPD")
        stranger = registry.register_client(
            session, region, app_code=stranger_app.code, actor=ADMIN
        )
        _cred, stranger_key = registry.issue_key(session, region, stranger.id, ADMIN)
    wait_for(gateway, wired)
    url = gateway + wired.base
    stranger_id = wired.client_id.rsplit("/", 1)[0] + "/sipd"

    cases = [
        ("no client header", url + "/status", {"X-API-Key": wired.key}, 401, "client_missing"),
        (
            "no key",
            url + "/status",
            {"Information-Mediator-Client": wired.client_id},
            401,
            "key_missing",
        ),
        (
            "wrong key",
            url + "/status",
            wired.headers(**{"X-API-Key": "sgw_salah"}),
            401,
            "key_invalid",
        ),
        (
            "someone else's key",
            url + "/status",
            wired.headers(**{"X-API-Key": stranger_key}),
            401,
            "key_invalid",
        ),
        (
            "no grant",
            url + "/status",
            {"Information-Mediator-Client": stranger_id, "X-API-Key": stranger_key},
            403,
            "no_grant",
        ),
        ("unknown service", url + "-tidak-ada/status", wired.headers(), 404, "unknown_service"),
        ("unknown endpoint", url + "/tidak/ada", wired.headers(), 404, "unknown_endpoint"),
    ]
    seen_ids = {}
    for label, target, headers, status, code in cases:
        response = httpx2.get(target, headers=headers)
        assert response.status_code == status, label
        body = response.json()
        assert body["error"]["code"] == code, label
        assert body["error"]["message"], label
        seen_ids[response.headers["x-request-id"]] = (status, code)

    too_big = httpx2.post(
        url + "/penduduk/1/verifikasi", headers=wired.headers(), content=b"x" * 4096
    )
    assert too_big.status_code == 413
    assert too_big.json()["error"]["code"] == "body_too_large"
    seen_ids[too_big.headers["x-request-id"]] = (413, "body_too_large")

    logged = {
        str(r.request_id): (r.status, r.error) for r in records(committed_sessions, gateway_world)
    }
    unidentified = {"client_missing", "key_missing", "key_invalid"}
    for request_id, outcome in seen_ids.items():
        if outcome[1] in unidentified:
            # Refused before the caller was known: counted per minute, not a record each.
            assert request_id not in logged
        else:
            assert logged[request_id] == outcome
    wait_for_refusals(
        committed_sessions,
        gateway_world,
        {"client_missing": 1, "key_missing": 1, "key_invalid": 2},
    )


def test_endpoints_can_be_disabled_and_keys_revoked(
    gateway: str,
    upstream: str,
    committed_sessions: sessionmaker[Session],
    gateway_world: GatewayWorld,
) -> None:
    wired = wire(committed_sessions, gateway_world, upstream)
    wait_for(gateway, wired)
    with committed_sessions() as session, session.begin():
        region = session.get_one(Region, gateway_world.region.id)
        service = registry.update_service_settings(session, region, wired.service_id, actor=ADMIN)
        endpoint = next(
            e
            for e in registry_repository.list_endpoints(session, region.id, service.id)
            if e.path == "/status"
        )
        registry.set_endpoint_enabled(session, region, endpoint.id, enabled=False, actor=ADMIN)
    wait_for(gateway, wired, want=403)
    assert (
        httpx2.get(gateway + wired.base + "/status", headers=wired.headers()).json()["error"][
            "code"
        ]
        == "disabled"
    )

    with committed_sessions() as session, session.begin():
        region = session.get_one(Region, gateway_world.region.id)
        credential = registry_repository.list_credentials(
            session, region.id, wired.consumer_client_id
        )[0]
        registry.revoke_key(session, region, credential.id, ADMIN, reason="bocor")
    wait_for(gateway, wired, path="/penduduk/1", want=401)


def test_upstream_failures_become_502_and_504(
    gateway: str,
    committed_sessions: sessionmaker[Session],
    gateway_world: GatewayWorld,
) -> None:
    with running_upstream() as slow_upstream:
        wired = wire(committed_sessions, gateway_world, slow_upstream, timeout=0.5)
        wait_for(gateway, wired)
        started = time.monotonic()
        slow = httpx2.get(gateway + wired.base + "/lambat", headers=wired.headers(), timeout=10)
        assert slow.status_code == 504
        assert slow.json()["error"]["code"] == "upstream_timeout"
        assert time.monotonic() - started < 4  # the service's 0.5 s, not the provider's 5 s
    # That provider is gone now: nothing listens on its port.
    refused = httpx2.get(gateway + wired.base + "/status", headers=wired.headers())
    assert refused.status_code == 502
    assert refused.json()["error"]["code"] == "upstream_unreachable"
    logged = {str(r.request_id): r.status for r in records(committed_sessions, gateway_world)}
    assert logged[slow.headers["x-request-id"]] == 504
    assert logged[refused.headers["x-request-id"]] == 502


def test_rate_limit_answers_429_with_retry_after(
    gateway: str,
    upstream: str,
    committed_sessions: sessionmaker[Session],
    gateway_world: GatewayWorld,
) -> None:
    wired = wire(committed_sessions, gateway_world, upstream, rate_limit=5)
    wait_for(gateway, wired)  # uses one request of the five
    statuses = [
        httpx2.get(gateway + wired.base + "/status", headers=wired.headers()) for _ in range(6)
    ]
    assert [r.status_code for r in statuses].count(429) >= 2
    limited = next(r for r in statuses if r.status_code == 429)
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.json()["error"]["code"] == "rate_limited"


def test_large_responses_stream_through_whole(
    gateway: str,
    upstream: str,
    committed_sessions: sessionmaker[Session],
    gateway_world: GatewayWorld,
) -> None:
    wired = wire(committed_sessions, gateway_world, upstream)
    wait_for(gateway, wired)
    with httpx2.stream("GET", gateway + wired.base + "/besar", headers=wired.headers()) as response:
        received = b"".join(response.iter_bytes())
    assert len(received) == BIG_BODY_BYTES
    assert received[:256] == bytes(range(256))
    logged = {str(r.request_id): r for r in records(committed_sessions, gateway_world)}
    assert logged[response.headers["x-request-id"]].response_bytes == BIG_BODY_BYTES


def test_services_that_ask_get_their_bodies_logged_encrypted(
    gateway: str,
    upstream: str,
    committed_sessions: sessionmaker[Session],
    gateway_world: GatewayWorld,
) -> None:
    wired = wire(committed_sessions, gateway_world, upstream, log_bodies=True)
    wait_for(gateway, wired)
    response = httpx2.post(
        gateway + wired.base + "/penduduk/1/verifikasi",
        headers=wired.headers(),
        content=b"NAMA-RAHASIA-SITI",
    )
    assert response.status_code == 200
    record = next(
        r
        for r in records(committed_sessions, gateway_world)
        if str(r.request_id) == response.headers["x-request-id"]
    )
    assert record.bodies_encrypted
    assert b"NAMA-RAHASIA-SITI" not in record.bodies_encrypted


def test_directory_metrics_and_health(
    gateway: str,
    upstream: str,
    committed_sessions: sessionmaker[Session],
    gateway_world: GatewayWorld,
) -> None:
    wired = wire(committed_sessions, gateway_world, upstream)
    wait_for(gateway, wired)
    provider = wired.base.rsplit("/", 1)[0]
    caller = {"X-GovStack-Client": wired.client_id}
    clients = httpx2.get(gateway + "/listClients", params={"instanceId": gateway_world.region.slug})
    assert clients.status_code == 200
    codes = {m["id"].get("applicationCode") for m in clients.json()["member"]}
    assert {gateway_world.provider.code, gateway_world.consumer.code} <= codes
    methods = httpx2.get(gateway + provider + "/listMethods", headers=caller).json()["member"]
    assert [m["serviceCode"] for m in methods] == ["penduduk"]
    allowed = httpx2.get(gateway + provider + "/allowedMethods", headers=caller).json()["member"]
    assert [m["serviceCode"] for m in allowed] == ["penduduk"]
    document = httpx2.get(
        gateway + provider + "/getOpenAPI", params={"serviceCode": "penduduk"}, headers=caller
    )
    assert document.status_code == 200
    assert "/penduduk/{nik}" in document.json()["paths"]

    intruder = {"Information-Mediator-Client": "x/GOV/y/penyusup-acak", "X-API-Key": "sgw_x"}
    assert httpx2.get(gateway + wired.base + "/status", headers=intruder).status_code == 401
    metrics = httpx2.get(gateway + "/metrics").text
    assert "simpul_gateway_requests_total" in metrics
    assert wired.client_id in metrics  # resolved callers are labelled ...
    assert "penyusup-acak" not in metrics  # ... unauthenticated names never become series
    health = httpx2.get(gateway + "/healthz")
    assert health.status_code == 200
    assert health.json()["database"]["ok"] is True


def test_the_log_of_a_busy_gateway_verifies(
    gateway: str,
    upstream: str,
    committed_sessions: sessionmaker[Session],
    gateway_world: GatewayWorld,
) -> None:
    wired = wire(committed_sessions, gateway_world, upstream)
    wait_for(gateway, wired)
    with httpx2.Client(base_url=gateway, headers=wired.headers()) as client:
        for _ in range(50):
            assert client.get(wired.base + "/status").status_code == 200
    with committed_sessions() as session:
        report = verify_region(session, gateway_world.region.id)
    assert report.ok, report


def test_sigkill_loses_no_record_of_an_answered_request(
    committed_url: str,
    upstream: str,
    committed_sessions: sessionmaker[Session],
    gateway_world: GatewayWorld,
    tmp_path: Path,
) -> None:
    """Answered means the whole response arrived; every one of them must be in the log."""
    import signal
    import threading

    wired = wire(committed_sessions, gateway_world, upstream)
    answered: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    with server_process(
        committed_url, secret_key=TEST_SECRET, data_dir=tmp_path, program="gateway"
    ) as server:
        wait_for(server.base_url, wired)

        def hammer() -> None:
            with httpx2.Client(base_url=server.base_url, headers=wired.headers(), timeout=5) as c:
                while not stop.is_set():
                    try:
                        response = c.get(wired.base + "/penduduk/1")
                        body = response.read()
                    except httpx2.HTTPError:
                        continue
                    if response.status_code == 200 and body:
                        with lock:
                            answered.append(response.headers["x-request-id"])

        threads = [threading.Thread(target=hammer) for _ in range(8)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with lock:
                if len(answered) >= 300:
                    break
            time.sleep(0.05)
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()
        time.sleep(0.3)
        stop.set()
        for thread in threads:
            thread.join()

    assert len(answered) >= 100
    logged = {str(r.request_id) for r in records(committed_sessions, gateway_world)}
    missing = [request_id for request_id in answered if request_id not in logged]
    assert missing == []
    with committed_sessions() as session:
        assert verify_region(session, gateway_world.region.id).ok
