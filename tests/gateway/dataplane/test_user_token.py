"""The end user's access token at a real ``simpul gateway``: a service that asks for it gets
the verified subject; keys rotate and revocations arrive through the snapshot; every subject
passed on is recorded as a release to the app (issue 18)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx2
import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from simpul.core.models import Region
from simpul.identity.models import OidcRelease, OidcToken, ReleaseChannel
from tests.factories import make_user
from tests.gateway.conftest import GatewayWorld
from tests.gateway.upstream import OPENAPI, running_upstream
from tests.gateway.usertokens import (
    PUBLIC_URL,
    SigningKey,
    ask_for_end_user,
    claims,
    mint,
    new_key,
    publish_key,
    register_relying_party,
)
from tests.security.gateway_support import Wired, records, running_gateway, wire_service

PERSON = "/penduduk/3273010101900001"


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    with running_upstream() as url:
        yield url


@pytest.fixture(scope="module")
def gateway(committed_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_gateway(
        committed_url,
        tmp_path_factory.mktemp("gateway"),
        {"SIMPUL_PUBLIC_URL": PUBLIC_URL, "SIMPUL_GATEWAY_REFUSAL_FLUSH_SECONDS": "0.2"},
    ) as url:
        yield url


def call(gateway: str, wired: Wired, token: str | None = None, **extra: str) -> httpx2.Response:
    headers = wired.headers(**extra)
    if token is not None:
        headers["X-Simpul-User-Token"] = token
    return httpx2.get(gateway + wired.base + PERSON, headers=headers)


def eventually(gateway: str, wired: Wired, token: str | None, want: int, code: str = "") -> None:
    """Until the gateway's snapshot has caught up (it reloads on NOTIFY)."""
    deadline = time.monotonic() + 15
    answer = None
    while time.monotonic() < deadline:
        answer = call(gateway, wired, token)
        if answer.status_code == want and (
            not code or answer.json().get("error", {}).get("code") == code
        ):
            return
        time.sleep(0.1)
    assert answer is not None
    pytest.fail(f"the gateway still answers {answer.status_code} {answer.text[:200]}")


def setup(
    sessions: sessionmaker[Session], world: GatewayWorld, upstream: str, mode: str
) -> tuple[Wired, str, SigningKey]:
    wired = wire_service(sessions, world, upstream, OPENAPI, code="penduduk")
    client_id = f"portal-{uuid.uuid4().hex[:8]}"
    register_relying_party(sessions, world.region, world.consumer, client_id)
    key = new_key()
    publish_key(sessions, world.region, key)
    ask_for_end_user(sessions, world.region, wired.service_id, mode, "profile")
    return wired, client_id, key


def test_a_valid_token_passes_the_verified_subject_and_nothing_else(
    gateway: str,
    upstream: str,
    committed_sessions: sessionmaker[Session],
    gateway_world: GatewayWorld,
) -> None:
    wired, client_id, key = setup(committed_sessions, gateway_world, upstream, "required")
    eventually(gateway, wired, None, 401, "user_token_missing")
    payload = claims(gateway_world.region, client_id)
    token = mint(key, payload)

    answer = call(
        gateway,
        wired,
        token,
        **{"X-Simpul-Subject": "admin", "X-Simpul-Subject-Scope": "nik", "X-Trace": "t1"},
    )

    assert answer.status_code == 200, answer.text
    seen = answer.json()["headers"]
    assert seen["x-simpul-subject"] == payload["sub"]  # the token's, not the caller's "admin"
    assert seen["x-simpul-subject-client"] == client_id
    assert seen["x-simpul-subject-scope"] == "openid profile"
    assert seen["x-trace"] == "t1"
    assert "x-simpul-user-token" not in seen  # the raw token stays at the gateway
    assert token not in answer.text

    missing = call(gateway, wired)
    assert missing.status_code == 401
    body = missing.json()
    assert body["error"]["code"] == "user_token_missing"
    assert "X-Simpul-User-Token" in body["error"]["message"]

    logged = {str(r.request_id): r for r in records(committed_sessions, gateway_world)}
    assert logged[missing.headers["x-request-id"]].error == "user_token_missing"
    assert logged[answer.headers["x-request-id"]].status == 200
    with committed_sessions() as session:  # the token is nowhere in the message log
        dump = session.execute(
            text("SELECT string_agg(m::text, ' ') FROM gateway_message m WHERE region_id = :r"),
            {"r": gateway_world.region.id},
        ).scalar_one()
    assert token not in dump
    assert token.split(".")[2] not in dump


def test_an_optional_service_passes_calls_without_a_token_but_never_a_callers_subject(
    gateway: str,
    upstream: str,
    committed_sessions: sessionmaker[Session],
    gateway_world: GatewayWorld,
) -> None:
    wired, client_id, key = setup(committed_sessions, gateway_world, upstream, "optional")
    bad = mint(key, claims(gateway_world.region, client_id, exp=int(time.time()) - 3600))
    eventually(gateway, wired, bad, 401, "user_token_expired")  # a sent token is still checked

    answer = call(
        gateway,
        wired,
        None,
        **{
            "X-Simpul-Subject": "admin",
            "X-Simpul-Subject-Client": "x",
            "X-Simpul-Subject-Scope": "nik",
        },
    )
    assert answer.status_code == 200
    seen = answer.json()["headers"]
    assert not {h for h in seen if h.startswith("x-simpul-")}

    good = call(gateway, wired, mint(key, claims(gateway_world.region, client_id)))
    assert good.status_code == 200
    assert good.json()["headers"]["x-simpul-subject"].startswith("pairwise-")


def test_keys_rotate_through_the_snapshot(
    gateway: str,
    upstream: str,
    committed_sessions: sessionmaker[Session],
    gateway_world: GatewayWorld,
) -> None:
    wired, client_id, old = setup(committed_sessions, gateway_world, upstream, "required")
    eventually(gateway, wired, None, 401, "user_token_missing")
    region = gateway_world.region
    assert call(gateway, wired, mint(old, claims(region, client_id))).status_code == 200

    new = new_key()
    by_new = mint(new, claims(region, client_id))
    assert call(gateway, wired, by_new).status_code == 401  # not published yet
    publish_key(committed_sessions, region, new)
    eventually(gateway, wired, by_new, 200)  # published: the next reload knows it

    publish_key(committed_sessions, region, old, retire=True)
    eventually(gateway, wired, mint(old, claims(region, client_id)), 401, "user_token_invalid")
    assert call(gateway, wired, mint(new, claims(region, client_id))).status_code == 200


def test_a_revoked_token_is_refused_after_the_next_reload_and_releases_are_recorded(
    gateway: str,
    upstream: str,
    committed_sessions: sessionmaker[Session],
    gateway_world: GatewayWorld,
) -> None:
    wired, client_id, key = setup(committed_sessions, gateway_world, upstream, "required")
    region = gateway_world.region
    jti = uuid.uuid4().hex
    now = datetime.now(UTC)
    with committed_sessions() as session, session.begin():
        user = make_user(
            session,
            session.get_one(Region, region.id),
            f"warga-{jti[:8]}@uji.example",
            "rahasia-123456",
        )
        client_pk = session.execute(
            text("SELECT id FROM oidc_client WHERE region_id = :r AND client_id = :c"),
            {"r": region.id, "c": client_id},
        ).scalar_one()
        session.add(
            OidcToken(
                region_id=region.id,
                client_pk=client_pk,
                user_id=user.id,
                family_id=uuid.uuid4(),
                scope="openid profile",
                access_jti=jti,
                access_expires_at=now + timedelta(minutes=10),
                auth_time=now,
            )
        )
        user_id = user.id
    token = mint(key, claims(region, client_id, jti=jti))
    eventually(gateway, wired, None, 401, "user_token_missing")
    eventually(gateway, wired, token, 200)
    for _ in range(3):  # one release per token, however many calls
        assert call(gateway, wired, token).status_code == 200

    deadline = time.monotonic() + 10
    releases: list[OidcRelease] = []
    while time.monotonic() < deadline and not releases:
        with committed_sessions() as session:
            releases = list(
                session.scalars(select(OidcRelease).where(OidcRelease.user_id == user_id))
            )
        time.sleep(0.1)
    assert len(releases) == 1
    assert releases[0].channel is ReleaseChannel.GATEWAY
    assert releases[0].claims == ["sub"]
    assert releases[0].client_pk == client_pk

    with committed_sessions() as session, session.begin():
        row = session.scalars(select(OidcToken).where(OidcToken.access_jti == jti)).one()
        row.revoked_at = datetime.now(UTC)
        row.revoked_reason = "revocation"
    eventually(gateway, wired, token, 401, "user_token_revoked")
