"""End users' access tokens for gateway tests: a region's signing key and relying party as
committed rows, and tokens minted here the way the provider signs them (RFC 9068, RS256), or
forged in the ways an attacker would."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from sqlalchemy.orm import Session, sessionmaker

from simpul.core.models import Region
from simpul.gateway.registry import service as registry
from simpul.identity.models import OidcClient, OidcSigningKey
from simpul.inventory.models import App

#: The public URL the test gateways run with: a region's issuer is this plus its slug.
PUBLIC_URL = "https://simpul.uji.example"
ADMIN = registry.Actor("admin@uji.example")


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwk_of(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    numbers = key.public_key().public_numbers()
    return {
        "kty": "RSA",
        "use": "sig",
        "alg": "RS256",
        "kid": kid,
        "n": b64(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
        "e": b64(numbers.e.to_bytes(3, "big")),
    }


@dataclass
class SigningKey:
    kid: str
    key: rsa.RSAPrivateKey

    def public_pem(self) -> bytes:
        return self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


def new_key(kid: str | None = None) -> SigningKey:
    return SigningKey(kid or uuid.uuid4().hex[:16], rsa.generate_private_key(65537, 2048))


def publish_key(
    sessions: sessionmaker[Session], region: Region, key: SigningKey, *, retire: bool = False
) -> None:
    """The key as a row of the region's JWKS (or, ``retire``, take it out again)."""
    with sessions() as session, session.begin():
        if retire:
            row = session.query(OidcSigningKey).filter_by(region_id=region.id, kid=key.kid).one()
            row.retire_after = row.created_at  # in the past: out of the JWKS
            return
        session.add(
            OidcSigningKey(
                region_id=region.id,
                kid=key.kid,
                alg="RS256",
                private_key_encrypted="(not needed by the gateway)",
                public_jwk=jwk_of(key.key, key.kid),
            )
        )


def register_relying_party(
    sessions: sessionmaker[Session], region: Region, app: App, client_id: str
) -> uuid.UUID:
    """The app's OIDC client (a public one: no secret needed here)."""
    with sessions() as session, session.begin():
        client = OidcClient(
            region_id=region.id,
            app_id=app.id,
            client_id=client_id,
            name=app.name,
            is_public=True,
            redirect_uris=["https://app.uji.example/callback"],
            allowed_scopes=["openid", "profile"],
        )
        session.add(client)
        session.flush()
        return client.id


def ask_for_end_user(
    sessions: sessionmaker[Session],
    region: Region,
    service_id: uuid.UUID,
    mode: str,
    scopes: str = "openid",
) -> None:
    with sessions() as session, session.begin():
        registry.update_service_settings(
            session,
            session.get_one(Region, region.id),
            service_id,
            actor=ADMIN,
            end_user_identity=mode,
            end_user_scopes=scopes,
        )


def claims(region: Region, client_id: str, **changes: Any) -> dict[str, Any]:
    """RFC 9068 claims as the provider issues them; ``changes`` replace (None removes)."""
    now = int(time.time())
    values: dict[str, Any] = {
        "iss": f"{PUBLIC_URL}/{region.slug}",
        "sub": "pairwise-" + uuid.uuid4().hex,
        "aud": client_id,
        "client_id": client_id,
        "scope": "openid profile",
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + 600,
        "auth_time": now - 30,
        "sid": uuid.uuid4().hex,
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


def _encode(part: dict[str, Any]) -> str:
    return b64(json.dumps(part, separators=(",", ":")).encode())


def mint(key: SigningKey, payload: dict[str, Any], **header: Any) -> str:
    """An RS256 JWS of ``payload`` (header ``typ`` at+jwt, ``kid``; ``header`` overrides)."""
    head = {"alg": "RS256", "typ": "at+jwt", "kid": key.kid, **header}
    signing_input = f"{_encode(head)}.{_encode(payload)}"
    signature = key.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64(signature)}"


def unsigned(key: SigningKey, payload: dict[str, Any]) -> str:
    """``alg: none``: no signature at all."""
    return f"{_encode({'alg': 'none', 'typ': 'at+jwt', 'kid': key.kid})}.{_encode(payload)}."


def hs256_with_public_key(key: SigningKey, payload: dict[str, Any]) -> str:
    """The classic confusion: HMAC-SHA256 keyed with the (public) RSA key's PEM."""
    signing_input = f"{_encode({'alg': 'HS256', 'typ': 'at+jwt', 'kid': key.kid})}"
    signing_input += f".{_encode(payload)}"
    mac = hmac.new(key.public_pem(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}"
