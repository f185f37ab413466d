"""The end user's access token at the gateway (issue 18, decision 0057).

A service may ask for the identity of the user on whose behalf an app calls it
(``GatewayService.end_user_identity``). The app still authenticates as itself with its
gateway key; the user's access token, issued by the region's own provider, comes in
``X-Simpul-User-Token`` (not ``Authorization``: callers already send that header through to
providers that do their own authentication, and the gateway must not start reading it).

The token is checked here with no database call: an RS256 signature by a key the region
publishes (carried in the snapshot, reloaded when keys change), ``typ`` ``at+jwt``, the
region's ``iss``, ``exp``/``nbf``/``iat`` with a small leeway, the scopes the service asks for,
not revoked (revoked ``jti`` are in the snapshot), and issued to a relying party of the SAME
inventory app as the calling gateway client, so an app cannot replay a token another app
received. Anything else (``none``, ``HS256``, an unknown ``kid``, ``crit``, a JWK header) is
refused.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

#: Where the user's token comes (never forwarded to the provider).
TOKEN_HEADER: Final = b"x-simpul-user-token"
#: What the provider receives: set only by the gateway, a caller's are dropped.
SUBJECT_HEADER: Final = b"x-simpul-subject"
SUBJECT_CLIENT_HEADER: Final = b"x-simpul-subject-client"
SUBJECT_SCOPE_HEADER: Final = b"x-simpul-subject-scope"
#: Clock skew allowed on exp, nbf and iat, in seconds.
LEEWAY_SECONDS: Final = 30
#: A token longer than this is refused unread (RS256 access tokens are well under 2 KB).
MAX_TOKEN_BYTES: Final = 8192
_TYPES: Final = frozenset({"at+jwt", "application/at+jwt"})
_SMALLEST_RSA_BITS: Final = 2048


class TokenRefused(Exception):
    """The token is missing, invalid, or not enough: ``code`` names which for the log."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class VerifiedUser:
    subject: str
    client_id: str
    scope: str
    jti: str


@dataclass(frozen=True)
class IssuerConf:
    """A region's provider as the gateway knows it from the snapshot."""

    issuer: str
    #: kid -> (RSA public key, when it leaves the JWKS or None)
    keys: Mapping[str, tuple[rsa.RSAPublicKey, datetime | None]] = field(default_factory=dict)
    #: ``client_id`` -> inventory app id of the relying party
    client_apps: Mapping[str, uuid.UUID] = field(default_factory=dict)
    revoked: frozenset[str] = frozenset()


def public_key(jwk: Mapping[str, Any]) -> rsa.RSAPublicKey | None:
    """An RS256 public JWK as a key, or None when it is not one (skipped, never trusted)."""
    try:
        if jwk.get("kty") != "RSA" or jwk.get("alg", "RS256") != "RS256":
            return None
        if jwk.get("use", "sig") != "sig":
            return None
        n = int.from_bytes(_b64(str(jwk["n"])), "big")
        e = int.from_bytes(_b64(str(jwk["e"])), "big")
        key = rsa.RSAPublicNumbers(e, n).public_key()
    except (KeyError, ValueError, TokenRefused):
        return None
    return key if key.key_size >= _SMALLEST_RSA_BITS else None


def _b64(text: str) -> bytes:
    """Strict base64url without padding."""
    if not text or "=" in text:
        raise TokenRefused("user_token_invalid", "encoding")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise TokenRefused("user_token_invalid", "encoding") from None


def _object(part: str) -> dict[str, Any]:
    try:
        value = json.loads(_b64(part))
    except (ValueError, UnicodeDecodeError):
        raise TokenRefused("user_token_invalid", "json") from None
    if not isinstance(value, dict):
        raise TokenRefused("user_token_invalid", "json")
    return value


def _number(claims: Mapping[str, Any], name: str, *, required: bool) -> float | None:
    value = claims.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TokenRefused("user_token_invalid", name)
    return float(value)


def _text(claims: Mapping[str, Any], name: str) -> str:
    value = claims.get(name)
    if not isinstance(value, str) or not value or not value.isprintable():
        raise TokenRefused("user_token_invalid", name)
    return value


def verify(
    token: str,
    issuer: IssuerConf | None,
    *,
    caller_app: uuid.UUID,
    required_scopes: frozenset[str],
    now: float | None = None,
) -> VerifiedUser:
    """The token's user, or ``TokenRefused``."""
    moment = time.time() if now is None else now
    claims = _signed_claims(token, issuer, moment)
    assert issuer is not None
    return _user(claims, issuer, moment, caller_app, required_scopes)


def _signed_claims(token: str, issuer: IssuerConf | None, moment: float) -> dict[str, Any]:
    """The payload of a JWS the region's provider signed with a published key (RS256)."""
    if issuer is None or not issuer.keys:
        raise TokenRefused("user_token_invalid", "no keys")
    if len(token) > MAX_TOKEN_BYTES:
        raise TokenRefused("user_token_invalid", "size")
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenRefused("user_token_invalid", "shape")
    header = _object(parts[0])
    if header.get("alg") != "RS256":
        raise TokenRefused("user_token_invalid", "alg")
    typ = header.get("typ")
    if not isinstance(typ, str) or typ.lower() not in _TYPES:
        raise TokenRefused("user_token_invalid", "typ")
    if set(header) - {"alg", "typ", "kid"}:  # crit, jku, jwk, x5u...: nothing else is trusted
        raise TokenRefused("user_token_invalid", "header")
    kid = header.get("kid")
    known = issuer.keys.get(kid) if isinstance(kid, str) else None
    if known is None:
        raise TokenRefused("user_token_invalid", "kid")
    key, retire_after = known
    if retire_after is not None and retire_after.timestamp() <= moment:
        raise TokenRefused("user_token_invalid", "kid retired")
    try:
        key.verify(
            _b64(parts[2]),
            f"{parts[0]}.{parts[1]}".encode("ascii"),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except (InvalidSignature, UnicodeEncodeError):
        raise TokenRefused("user_token_invalid", "signature") from None
    return _object(parts[1])


def _user(
    claims: Mapping[str, Any],
    issuer: IssuerConf,
    moment: float,
    caller_app: uuid.UUID,
    required_scopes: frozenset[str],
) -> VerifiedUser:
    """The signed claims checked against the issuer, the clock, the caller and the service."""
    if claims.get("iss") != issuer.issuer:
        raise TokenRefused("user_token_invalid", "iss")
    exp = _number(claims, "exp", required=True) or 0.0
    if exp <= moment - LEEWAY_SECONDS:
        raise TokenRefused("user_token_expired", "exp")
    nbf = _number(claims, "nbf", required=False) or 0.0
    iat = _number(claims, "iat", required=True) or 0.0
    if max(nbf, iat) > moment + LEEWAY_SECONDS:
        raise TokenRefused("user_token_invalid", "not yet valid")
    subject, client_id, jti = _text(claims, "sub"), _text(claims, "client_id"), _text(claims, "jti")
    audience = claims.get("aud")
    if client_id not in (audience if isinstance(audience, list) else [audience]):
        raise TokenRefused("user_token_invalid", "aud")
    if issuer.client_apps.get(client_id) != caller_app:
        raise TokenRefused("user_token_invalid", "another app")
    if jti in issuer.revoked:
        raise TokenRefused("user_token_revoked", "revoked")
    scope = claims.get("scope")
    scopes = frozenset(scope.split()) if isinstance(scope, str) else frozenset()
    if not required_scopes <= scopes:
        raise TokenRefused("user_token_scope", "scope")
    return VerifiedUser(
        subject=subject, client_id=client_id, scope=" ".join(sorted(scopes)), jti=jti
    )
