"""``usertoken.verify`` rule by rule, without a gateway process, and the snapshot's issuers
built from identity rows (the JWKS a gateway trusts)."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.catalogue.models import Agency
from simpul.gateway.dataplane.config import identity_problems, issuers, load_snapshot
from simpul.gateway.dataplane.usertoken import IssuerConf, TokenRefused, public_key, verify
from simpul.gateway.registry import service as registry
from simpul.identity.models import OidcClient, OidcSigningKey, OidcToken
from tests.factories import make_region, make_user
from tests.gateway.conftest import add_app
from tests.gateway.upstream import openapi_text
from tests.gateway.usertokens import (
    ADMIN,
    PUBLIC_URL,
    claims,
    hs256_with_public_key,
    jwk_of,
    mint,
    new_key,
    unsigned,
)

APP = uuid.uuid4()
KEY = new_key("k1")


class _Region:
    slug = "kota-uji"


ISSUER = IssuerConf(
    issuer=f"{PUBLIC_URL}/kota-uji",
    keys={"k1": (public_key(jwk_of(KEY.key, "k1")), None)},  # type: ignore[dict-item]
    client_apps={"portal": APP, "lain": uuid.uuid4()},
    revoked=frozenset({"dicabut"}),
)
NEEDS = frozenset({"openid", "profile"})


def token(**changes: object) -> str:
    return mint(KEY, claims(_Region(), "portal", **changes))  # type: ignore[arg-type]


def code_of(value: str, issuer: IssuerConf | None = ISSUER, app: uuid.UUID = APP) -> str:
    with pytest.raises(TokenRefused) as refused:
        verify(value, issuer, caller_app=app, required_scopes=NEEDS)
    return refused.value.code


def test_a_genuine_token_gives_its_user() -> None:
    payload = claims(_Region(), "portal", aud=["portal", "lain"])  # type: ignore[arg-type]
    user = verify(mint(KEY, payload), ISSUER, caller_app=APP, required_scopes=NEEDS)
    assert (user.subject, user.client_id, user.scope) == (
        payload["sub"],
        "portal",
        "openid profile",
    )
    assert user.jti == payload["jti"]


def test_each_rule_refuses() -> None:
    now = int(time.time())
    payload = claims(_Region(), "portal")  # type: ignore[arg-type]
    assert code_of(token(exp=now - 31)) == "user_token_expired"
    verify(token(exp=now - 5), ISSUER, caller_app=APP, required_scopes=NEEDS)  # leeway
    assert code_of(token(iat=now + 3600)) == "user_token_invalid"
    assert code_of(token(nbf=now + 3600)) == "user_token_invalid"
    assert code_of(token(iss=f"{PUBLIC_URL}/kota-lain")) == "user_token_invalid"
    assert code_of(token(scope="openid")) == "user_token_scope"
    assert code_of(token(scope=None)) == "user_token_scope"
    assert code_of(token(jti="dicabut")) == "user_token_revoked"
    assert code_of(token(), app=uuid.uuid4()) == "user_token_invalid"  # another app calls
    assert code_of(token(aud="lain")) == "user_token_invalid"
    assert code_of(token(sub="")) == "user_token_invalid"
    assert code_of(token(exp="besok")) == "user_token_invalid"
    assert code_of(token(exp=True)) == "user_token_invalid"
    assert code_of(mint(KEY, payload, typ="JWT")) == "user_token_invalid"
    assert code_of(mint(KEY, payload, crit=["exp"])) == "user_token_invalid"
    assert code_of(mint(KEY, payload, alg="RS512")) == "user_token_invalid"
    assert code_of(unsigned(KEY, payload)) == "user_token_invalid"
    assert code_of(hs256_with_public_key(KEY, payload)) == "user_token_invalid"
    assert code_of(mint(new_key("k1"), payload)) == "user_token_invalid"
    assert code_of(token() + "=") == "user_token_invalid"
    assert code_of("a.b") == "user_token_invalid"
    assert code_of(token(), issuer=None) == "user_token_invalid"
    retired = IssuerConf(
        issuer=ISSUER.issuer,
        keys={"k1": (ISSUER.keys["k1"][0], datetime.now(UTC) - timedelta(seconds=1))},
        client_apps=ISSUER.client_apps,
    )
    assert code_of(token(), issuer=retired) == "user_token_invalid"


def test_only_rsa_signing_keys_of_2048_bits_or_more_are_trusted() -> None:
    jwk = jwk_of(KEY.key, "k1")
    assert public_key(jwk) is not None
    assert public_key({**jwk, "alg": "HS256"}) is None
    assert public_key({**jwk, "use": "enc"}) is None
    assert public_key({"kty": "oct", "k": "c2VjcmV0"}) is None
    assert public_key(jwk_of(rsa.generate_private_key(65537, 1024), "k2")) is None


def test_the_snapshot_carries_published_keys_clients_and_live_revocations(
    session: Session,
) -> None:
    region = make_region(session, "kota-snap", "Kota Snap")
    now = datetime.now(UTC)
    live, retired = new_key("live"), new_key("gone")
    for key, retire_after in ((live, None), (retired, now - timedelta(minutes=1))):
        session.add(
            OidcSigningKey(
                region_id=region.id,
                kid=key.kid,
                private_key_encrypted="-",
                public_jwk=jwk_of(key.key, key.kid),
                retire_after=retire_after,
            )
        )
    agency = session.scalars(select(Agency).where(Agency.region_id == region.id)).first()
    assert agency is not None
    app = add_app(session, region, agency, "portal", "Portal")
    client = OidcClient(
        region_id=region.id, app_id=app.id, client_id="portal", name="Portal", is_public=True
    )
    session.add(client)
    session.flush()
    user = make_user(session, region, "warga@snap.example", "rahasia-123456")
    for jti, expires in (("masih", now + timedelta(minutes=5)), ("lewat", now - timedelta(1))):
        session.add(
            OidcToken(
                region_id=region.id,
                client_pk=client.id,
                user_id=user.id,
                family_id=uuid.uuid4(),
                scope="openid",
                access_jti=jti,
                access_expires_at=expires,
                auth_time=now,
                revoked_at=now,
            )
        )
    session.flush()

    conf = issuers(session, [region], "https://simpul.example/")[region.id]
    assert conf.issuer == "https://simpul.example/kota-snap"
    assert set(conf.keys) == {"live"}
    assert conf.client_apps == {"portal": app.id}
    assert conf.revoked == frozenset({"masih"})
    assert not identity_problems(load_snapshot(session, "https://simpul.example"))


def test_a_service_asking_for_tokens_in_a_region_without_keys_is_reported(
    session: Session,
) -> None:
    region = make_region(session, "kota-tanpa-kunci", "Kota Tanpa Kunci")
    agency = session.scalars(select(Agency).where(Agency.region_id == region.id)).first()
    assert agency is not None
    provider = add_app(session, region, agency, "sidata", "Sidata")
    service = registry.register_service(
        session,
        region,
        app_code=provider.code,
        code="data",
        upstream_url="http://10.0.3.7/api",
        openapi_text=openapi_text(),
        actor=ADMIN,
    )
    assert not identity_problems(load_snapshot(session, PUBLIC_URL))
    registry.update_service_settings(
        session, region, service.id, actor=ADMIN, end_user_identity="optional"
    )
    session.flush()
    assert identity_problems(load_snapshot(session, PUBLIC_URL)) == [
        f"kota-tanpa-kunci/GOV/{agency.slug}/sidata/data"
    ]
