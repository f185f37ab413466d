"""Attack: an app makes a provider believe it calls on behalf of a user it has no valid token
for (issue 18).

A service asks for the end user's access token. The attacker holds a real gateway key (it is
a registered client) and tries: forged or altered tokens (``alg: none``, HS256 keyed with the
published RSA key, an unknown ``kid``, a key of its own in the header, a changed payload),
tokens that are genuine but not for this call (expired, another region's issuer, another
app's relying party, too few scopes, an ID token's ``typ``), two token headers, and claiming
a subject directly in the headers the gateway sets. Every refusal is a JSON 401 (403 for a
missing scope) in the message log, which never holds the token; the provider never receives
a subject the gateway did not verify.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from simpul.catalogue.models import Agency
from simpul.core.models import Region
from tests.factories import make_region
from tests.gateway.conftest import GatewayWorld, add_app
from tests.gateway.upstream import Recorder
from tests.gateway.usertokens import (
    PUBLIC_URL,
    SigningKey,
    ask_for_end_user,
    claims,
    hs256_with_public_key,
    jwk_of,
    mint,
    new_key,
    publish_key,
    register_relying_party,
    unsigned,
)
from tests.security.gateway_support import (
    RawAnswer,
    Wired,
    raw_call,
    records,
    running_gateway,
    values_of,
    wire_service,
)

OPENAPI = {
    "openapi": "3.0.3",
    "info": {"title": "Data (uji)", "version": "1.0.0"},
    "paths": {"/status": {"get": {"responses": {"200": {"description": "Sehat"}}}}},
}


@pytest.fixture(scope="module")
def gateway(committed_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_gateway(
        committed_url,
        tmp_path_factory.mktemp("gateway"),
        {"SIMPUL_PUBLIC_URL": PUBLIC_URL, "SIMPUL_GATEWAY_REFUSAL_FLUSH_SECONDS": "0.2"},
    ) as url:
        yield url


@dataclass
class Scene:
    wired: Wired
    key: SigningKey
    client_id: str
    #: The relying party of another app of the same region.
    other_app_client: str
    #: Another region, its own key and its relying party of an app with the same code.
    other_region: Region
    other_key: SigningKey
    other_region_client: str


@pytest.fixture
def scene(
    gateway: str,
    recorder: tuple[str, Recorder],
    committed_sessions: sessionmaker[Session],
    gateway_world: GatewayWorld,
) -> Scene:
    sessions, world = committed_sessions, gateway_world
    wired = wire_service(sessions, world, recorder[0], OPENAPI)
    client_id = f"portal-{uuid.uuid4().hex[:8]}"
    register_relying_party(sessions, world.region, world.consumer, client_id)
    key = new_key()
    publish_key(sessions, world.region, key)
    with sessions() as session, session.begin():
        other_app = add_app(
            session, session.get_one(Region, world.region.id), world.agency, "lain", "Lain"
        )
        slug = f"gw-{uuid.uuid4().hex[:10]}"
        other_region = make_region(session, slug, f"Kota Lain {slug}")
        other_agency_id = session.execute(
            text("SELECT id FROM agency WHERE region_id = :r LIMIT 1"), {"r": other_region.id}
        ).scalar_one()
    other_app_client = f"lain-{uuid.uuid4().hex[:8]}"
    register_relying_party(sessions, world.region, other_app, other_app_client)
    with sessions() as session, session.begin():
        agency = session.get_one(Agency, other_agency_id)
        twin = add_app(
            session, session.get_one(Region, other_region.id), agency, "portal", "Portal"
        )
    other_region_client = f"portal-{uuid.uuid4().hex[:8]}"
    register_relying_party(sessions, other_region, twin, other_region_client)
    other_key = new_key()
    publish_key(sessions, other_region, other_key)
    ask_for_end_user(sessions, world.region, wired.service_id, "required", "profile")
    scene = Scene(
        wired, key, client_id, other_app_client, other_region, other_key, other_region_client
    )
    good = mint(key, claims(world.region, client_id))
    deadline = time.monotonic() + 15
    while call(gateway, scene).status != 401 or call(gateway, scene, good).status != 200:
        assert time.monotonic() < deadline, "the gateway never served the new configuration"
        time.sleep(0.1)
    recorder[1].clear()
    return scene


def call(
    gateway: str, scene: Scene, *tokens: str, extra: tuple[tuple[bytes, bytes], ...] = ()
) -> RawAnswer:
    headers = [
        (b"Information-Mediator-Client", scene.wired.client_id.encode()),
        (b"X-API-Key", scene.wired.key.encode()),
        *((b"X-Simpul-User-Token", t.encode()) for t in tokens),
        *extra,
    ]
    return raw_call(gateway, (scene.wired.base + "/status").encode(), headers)


def _b64(part: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()


def forgeries(scene: Scene, region: Region) -> dict[str, tuple[str, int, str]]:
    """name -> (token, expected status, expected error code)"""
    mine = claims(region, scene.client_id)
    now = int(time.time())
    impostor = new_key(scene.key.kid)  # same kid, a key the attacker made
    good = mint(scene.key, mine)
    head, payload, signature = good.split(".")
    altered = dict(mine, sub="korban")
    return {
        "expired": (
            mint(scene.key, claims(region, scene.client_id, iat=now - 1200, exp=now - 600)),
            401,
            "user_token_expired",
        ),
        "another region's issuer, our key": (
            mint(
                scene.key,
                claims(region, scene.client_id, iss=f"{PUBLIC_URL}/{scene.other_region.slug}"),
            ),
            401,
            "user_token_invalid",
        ),
        "another region's genuine token": (
            mint(scene.other_key, claims(scene.other_region, scene.other_region_client)),
            401,
            "user_token_invalid",
        ),
        "issuer over http": (
            mint(
                scene.key,
                claims(
                    region,
                    scene.client_id,
                    iss=f"{PUBLIC_URL.replace('https', 'http')}/{region.slug}",
                ),
            ),
            401,
            "user_token_invalid",
        ),
        "wrong signature (attacker's key, our kid)": (
            mint(impostor, mine),
            401,
            "user_token_invalid",
        ),
        "payload changed after signing": (
            f"{head}.{_b64(altered)}.{signature}",
            401,
            "user_token_invalid",
        ),
        "signature cut off": (f"{head}.{payload}.", 401, "user_token_invalid"),
        "alg none": (unsigned(scene.key, mine), 401, "user_token_invalid"),
        "HS256 keyed with the public key": (
            hs256_with_public_key(scene.key, mine),
            401,
            "user_token_invalid",
        ),
        "unknown kid": (mint(scene.key, mine, kid="nope"), 401, "user_token_invalid"),
        "attacker's key embedded as jwk": (
            mint(impostor, mine, jwk=jwk_of(impostor.key, impostor.kid)),
            401,
            "user_token_invalid",
        ),
        "an ID token (typ JWT)": (mint(scene.key, mine, typ="JWT"), 401, "user_token_invalid"),
        "not yet valid": (
            mint(scene.key, claims(region, scene.client_id, nbf=now + 3600)),
            401,
            "user_token_invalid",
        ),
        "too few scopes": (
            mint(scene.key, claims(region, scene.client_id, scope="openid")),
            403,
            "user_token_scope",
        ),
        "another app's relying party": (
            mint(scene.key, claims(region, scene.other_app_client)),
            401,
            "user_token_invalid",
        ),
        "audience of another app": (
            mint(scene.key, claims(region, scene.client_id, aud=scene.other_app_client)),
            401,
            "user_token_invalid",
        ),
        "no exp": (
            mint(scene.key, claims(region, scene.client_id, exp=None)),
            401,
            "user_token_invalid",
        ),
        "garbage": ("not.a.token", 401, "user_token_invalid"),
        "oversized": (good + "A" * 9000, 401, "user_token_invalid"),
    }


def test_forged_and_misdirected_tokens_are_refused_and_reach_no_provider(
    gateway: str,
    recorder: tuple[str, Recorder],
    scene: Scene,
    committed_sessions: sessionmaker[Session],
    gateway_world: GatewayWorld,
) -> None:
    cases = forgeries(scene, gateway_world.region)
    answered = {}
    for name, (token, status, code) in cases.items():
        answer = call(gateway, scene, token)
        answered[name] = (answer.status, answer.json()["error"]["code"])
        assert answered[name] == (status, code), name
        assert token not in answer.body.decode()
    assert recorder[1].received() == []

    logged = records(committed_sessions, gateway_world)
    assert sum(r.error.startswith("user_token_") for r in logged) >= len(cases)
    with committed_sessions() as session:
        dump = session.execute(
            text("SELECT string_agg(m::text, ' ') FROM gateway_message m WHERE region_id = :r"),
            {"r": gateway_world.region.id},
        ).scalar_one()
    for token, _status, _code in cases.values():
        assert token not in dump
        signature = token.split(".")[-1]
        assert len(signature) < 20 or signature not in dump


def test_two_token_headers_in_any_spelling_are_refused(
    gateway: str, recorder: tuple[str, Recorder], scene: Scene, gateway_world: GatewayWorld
) -> None:
    mine = mint(scene.key, claims(gateway_world.region, scene.client_id))
    other = mint(scene.key, claims(gateway_world.region, scene.client_id))
    assert call(gateway, scene, mine, other).status == 400
    spelled = call(gateway, scene, mine, extra=((b"X_Simpul_User_Token", other.encode()),))
    assert spelled.status == 400
    assert spelled.json()["error"]["code"] == "identity_ambiguous"
    assert recorder[1].received() == []


def test_the_provider_receives_only_the_subject_the_gateway_verified(
    gateway: str, recorder: tuple[str, Recorder], scene: Scene, gateway_world: GatewayWorld
) -> None:
    payload = claims(gateway_world.region, scene.client_id)
    token = mint(scene.key, payload)
    spoofed = (
        (b"X-Simpul-Subject", b"admin"),
        (b"x-simpul-subject", b"admin2"),
        (b"X_Simpul_Subject", b"admin3"),
        (b"X-Simpul-Subject-Client", b"simpul-admin"),
        (b"X_SIMPUL_SUBJECT_SCOPE", b"nik"),
    )
    answer = call(gateway, scene, token, extra=spoofed)
    assert answer.status == 200
    (raw,) = recorder[1].received()
    assert values_of(raw, "X-Simpul-Subject") == [payload["sub"].encode()]
    assert values_of(raw, "X-Simpul-Subject-Client") == [scene.client_id.encode()]
    assert values_of(raw, "X-Simpul-Subject-Scope") == [b"openid profile"]
    assert values_of(raw, "X-Simpul-User-Token") == []
    assert token.encode() not in raw

    recorder[1].clear()
    refused = call(gateway, scene, extra=spoofed)  # no token, only claims: refused
    assert refused.status == 401
    assert recorder[1].received() == []
