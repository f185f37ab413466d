"""The OpenID Connect provider's rules: the authorization request, codes, tokens (issue,
refresh with rotation and reuse detection, revocation, introspection), userinfo and logout.

Written against the specifications directly (OpenID Connect Core 1.0, RFC 6749, RFC 7636
PKCE S256 only, RFC 7009, RFC 7662, RFC 9068 access tokens, RP-Initiated and Back-Channel
Logout 1.0); the JOSE parts are joserfc's (the library Authlib builds on). Routes
(``identity.oidc.pages`` and ``identity.oidc.api``) turn the results into responses.

Token formats:

* access token: a JWT (``typ: at+jwt``, RS256) with ``iss sub aud client_id scope jti iat exp
  auth_time sid``; its ``jti`` names an ``OidcToken`` row, so revocation is seen by userinfo
  and introspection (a resource server that only checks the signature sees it at ``exp``);
* refresh token: an opaque random string (``spr_...``) stored as SHA-256, issued only when
  the ``offline_access`` scope was granted (the consent screen tells the citizen);
* ID token: a JWT (RS256) with ``iss sub aud exp iat auth_time nonce at_hash sid amr azp`` and
  the claims of the granted scopes.
"""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from urllib.parse import urlencode

from joserfc import jwt
from joserfc.errors import JoseError
from sqlalchemy.orm import Session

from simpul.accounts import service as accounts
from simpul.accounts.models import User, UserSession
from simpul.core import security
from simpul.core.audit import record_audit_event
from simpul.core.i18n import _
from simpul.core.models import Region, utcnow
from simpul.core.settings import get_settings
from simpul.identity import service as identity
from simpul.identity.models import (
    SCOPE_CLAIMS,
    SCOPES,
    BackchannelLogout,
    OidcAuthorizationCode,
    OidcClient,
    OidcToken,
    ReleaseChannel,
)
from simpul.identity.oidc import keys, repository

PKCE_VERIFIER: Final = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
PKCE_S256_CHALLENGE: Final = re.compile(r"[A-Za-z0-9\-_]{43}")
PROMPTS: Final = frozenset({"none", "login", "consent", "select_account"})
BACKCHANNEL_EVENT: Final = "http://schemas.openid.net/event/backchannel-logout"
#: Longest value accepted for each authorization request parameter.
_LIMITS: Final = {
    "client_id": 80,
    "redirect_uri": 500,
    "response_type": 40,
    "scope": 500,
    "state": 500,
    "nonce": 255,
    "code_challenge": 128,
    "code_challenge_method": 10,
    "prompt": 60,
    "max_age": 10,
}
_SID_PURPOSE: Final = "oidc-session-id"


# -- errors ------------------------------------------------------------------------------


class HumanError(Exception):
    """The request cannot go back to the client (unknown client, unregistered redirect URI):
    an error page for the person, never a redirect."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RedirectError(Exception):
    """An error the client is told about on its verified redirect URI (RFC 6749 4.1.2.1)."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


@dataclass
class OAuthError(Exception):
    """An error answer of the token, revocation, introspection or userinfo endpoint."""

    error: str
    description: str = ""
    status: int = 400
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, str]:
        body = {"error": self.error}
        if self.description:
            body["error_description"] = self.description
        return body


# -- small helpers -----------------------------------------------------------------------


def issuer(region: Region) -> str:
    """The region's issuer: the portal's public address and the region's path."""
    return f"{get_settings().public_url.rstrip('/')}/{region.slug}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of a verifier (RFC 7636 4.2)."""
    return _b64(hashlib.sha256(verifier.encode()).digest())


def session_sid(session_id: uuid.UUID) -> str:
    """The ``sid`` relying parties see for a browser session (not its database id)."""
    return _b64(security.keyed_hash(_SID_PURPOSE, str(session_id))[:18])


def _with_query(uri: str, params: Mapping[str, str | None]) -> str:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return f"{uri}{'&' if '?' in uri else '?'}{query}"


def _epoch(moment: datetime) -> int:
    return int(moment.replace(tzinfo=moment.tzinfo or UTC).timestamp())


def _sign(session: Session, region: Region, claims: dict[str, Any], typ: str) -> str:
    row, key = keys.signing_key(session, region)
    return jwt.encode({"alg": "RS256", "kid": row.kid, "typ": typ}, claims, key)


def verify_jwt(
    session: Session, region: Region, token: str, *, typ: str | None, check_exp: bool = True
) -> dict[str, Any] | None:
    """The claims of a JWT this region signed (RS256, a published key, our issuer), or None."""
    if not token or len(token) > 8000:
        return None
    try:
        decoded = jwt.decode(token, keys.verification_keys(session, region), algorithms=["RS256"])
    except (JoseError, ValueError, TypeError, KeyError):
        return None
    if typ is not None and str(decoded.header.get("typ", "")).lower() != typ:
        return None
    claims = dict(decoded.claims)
    if claims.get("iss") != issuer(region):
        return None
    if check_exp:
        expires = claims.get("exp")
        if not isinstance(expires, int) or expires <= _epoch(utcnow()):
            return None
    return claims


# -- the authorization request -----------------------------------------------------------


@dataclass(frozen=True)
class AuthorizationRequest:
    """A checked authorization request: every field is safe to act on."""

    client: OidcClient
    redirect_uri: str
    scopes: list[str]
    state: str | None
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    prompt: frozenset[str]
    max_age: int | None

    def params(self) -> dict[str, str]:
        """The request as form fields (the consent form carries them)."""
        values = {
            "client_id": self.client.client_id,
            "redirect_uri": self.redirect_uri,
            "response_type": "code",
            "scope": " ".join(self.scopes),
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": self.code_challenge,
            "code_challenge_method": self.code_challenge_method,
        }
        return {k: v for k, v in values.items() if v is not None}

    def error(self, region: Region, error: str, description: str) -> RedirectError:
        return RedirectError(
            _with_query(
                self.redirect_uri,
                {
                    "error": error,
                    "error_description": description,
                    "state": self.state,
                    "iss": issuer(region),
                },
            )
        )


def check_authorization_request(  # noqa: PLR0912 - one check per parameter, in order
    session: Session, region: Region, params: Mapping[str, str]
) -> AuthorizationRequest:
    """Check an authorization request. Raises HumanError while the client or its redirect
    URI is not verified, then RedirectError for everything the client must hear about."""
    client_id = params.get("client_id", "")
    redirect_uri = params.get("redirect_uri", "")
    if len(client_id) > _LIMITS["client_id"] or len(redirect_uri) > _LIMITS["redirect_uri"]:
        raise HumanError(_("Permintaan masuk ini tidak sah: nilainya terlalu panjang."))
    client = identity.client_by_client_id(session, region, client_id) if client_id else None
    if client is None:
        raise HumanError(
            _("Aplikasi yang meminta Anda masuk tidak terdaftar di wilayah ini (client_id).")
        )
    if redirect_uri not in client.redirect_uris:
        raise HumanError(
            _(
                "Alamat kembali (redirect_uri) tidak terdaftar untuk aplikasi ini. Anda tidak "
                "dialihkan ke sana demi keamanan."
            )
        )
    state = params.get("state") or None

    def fail(error: str, description: str) -> RedirectError:
        return RedirectError(
            _with_query(
                redirect_uri,
                {
                    "error": error,
                    "error_description": description,
                    "state": state if state and len(state) <= _LIMITS["state"] else None,
                    "iss": issuer(region),
                },
            )
        )

    for name, limit in _LIMITS.items():
        if len(params.get(name, "")) > limit:
            raise fail("invalid_request", f"{name} is too long")
    if params.get("request") or params.get("request_uri"):
        raise fail("request_not_supported", "request objects are not supported")
    if params.get("response_type") != "code":
        raise fail("unsupported_response_type", "only response_type=code is supported")
    if params.get("response_mode") not in (None, "", "query"):
        raise fail("invalid_request", "only response_mode=query is supported")
    asked = params.get("scope", "").split()
    if "openid" not in asked:
        raise fail("invalid_scope", "the openid scope is required")
    # Scopes Simpul does not know, or the admin did not allow this client, are dropped
    # (OpenID Connect Core 3.1.2.1: unrecognised scopes are ignored).
    scopes = [s for s in SCOPES if s in asked and s in client.allowed_scopes]
    challenge = params.get("code_challenge") or None
    method = params.get("code_challenge_method") or None
    if challenge is None:
        if client.is_public:
            raise fail("invalid_request", "PKCE (code_challenge, S256) is required")
        if method is not None:
            raise fail("invalid_request", "code_challenge_method without code_challenge")
    else:
        if method != "S256":
            raise fail("invalid_request", "only code_challenge_method=S256 is supported")
        if not PKCE_S256_CHALLENGE.fullmatch(challenge):
            raise fail("invalid_request", "code_challenge is not an S256 challenge")
    prompt = frozenset(params.get("prompt", "").split())
    if not prompt <= PROMPTS or ("none" in prompt and len(prompt) > 1):
        raise fail("invalid_request", "unsupported prompt value")
    max_age = None
    if params.get("max_age"):
        raw = params["max_age"]
        if not raw.isdigit():
            raise fail("invalid_request", "max_age must be a number of seconds")
        max_age = int(raw)
    return AuthorizationRequest(
        client=client,
        redirect_uri=redirect_uri,
        scopes=scopes,
        state=state,
        nonce=params.get("nonce") or None,
        code_challenge=challenge,
        code_challenge_method=method,
        prompt=prompt,
        max_age=max_age,
    )


@dataclass(frozen=True)
class Outcome:
    """What the authorization endpoint does next: redirect (``location``), send the person
    to log in (``login``: the browser session ends first when ``reauthenticate``), or show
    the consent screen (``consent``)."""

    location: str | None = None
    login: bool = False
    reauthenticate: bool = False
    consent: bool = False


def decide(
    session: Session,
    region: Region,
    request: AuthorizationRequest,
    user: User | None,
    user_session: UserSession | None,
) -> Outcome:
    """The authorization endpoint's answer to a checked request (GET)."""
    if user is None or user_session is None:
        if "none" in request.prompt:
            raise request.error(region, "login_required", "the user is not logged in")
        return Outcome(login=True)
    too_old = request.max_age is not None and utcnow() - user_session.created_at > timedelta(
        seconds=request.max_age
    )
    if "login" in request.prompt or too_old:
        if "none" in request.prompt:
            raise request.error(region, "login_required", "a fresh login is required")
        return Outcome(login=True, reauthenticate=True)
    consent = identity.active_consent(session, user, request.client)
    if "consent" not in request.prompt and identity.consent_covers(consent, request.scopes):
        return Outcome(location=issue_code(session, region, request, user, user_session))
    if "none" in request.prompt:
        raise request.error(region, "consent_required", "the user has not consented")
    return Outcome(consent=True)


def consent_choices(request: AuthorizationRequest) -> list[dict[str, Any]]:
    """The consent screen's rows: each scope asked for, what it gives, whether sensitive."""
    return [
        {"scope": scope, "text": SCOPES[scope], "sensitive": scope == "nik"}
        for scope in request.scopes
    ]


def agency_of(session: Session, client: OidcClient) -> str | None:
    """The agency that runs the client's app (from the inventory)."""
    return repository.agency_name_of_app(session, client.region_id, client.app_id)


def answer_consent(
    session: Session,
    region: Region,
    request: AuthorizationRequest,
    user: User,
    user_session: UserSession,
    *,
    allow: bool,
    nik: bool,
) -> str:
    """The person answered the consent screen: where the browser goes next."""
    if not allow:
        record_audit_event(
            session,
            region_id=region.id,
            actor_id=user.id,
            actor_label=user.email,
            action="identity.consent_denied",
            target_type="oidc_client",
            target_id=request.client.client_id,
            details={},
        )
        raise request.error(region, "access_denied", "the user refused")
    # The NIK only with its own explicit tick, and only where the admin allowed it.
    scopes = [
        s for s in request.scopes if s != "nik" or (nik and "nik" in request.client.allowed_scopes)
    ]
    identity.grant_consent(session, user, request.client, scopes)
    granted = AuthorizationRequest(**{**request.__dict__, "scopes": scopes})
    return issue_code(session, region, granted, user, user_session)


def issue_code(
    session: Session,
    region: Region,
    request: AuthorizationRequest,
    user: User,
    user_session: UserSession,
) -> str:
    """Make a single-use code and return the redirect that carries it."""
    code = security.new_token()
    now = utcnow()
    repository.add(
        session,
        OidcAuthorizationCode(
            region_id=region.id,
            code_hash=security.token_digest(code),
            client_pk=request.client.id,
            user_id=user.id,
            session_id=user_session.id,
            redirect_uri=request.redirect_uri,
            scope=" ".join(request.scopes),
            nonce=request.nonce,
            code_challenge=request.code_challenge,
            code_challenge_method=request.code_challenge_method,
            auth_time=user_session.created_at,
            amr=list(user_session.amr or ["pwd"]),
            created_at=now,
            expires_at=now + timedelta(seconds=get_settings().oidc_code_seconds),
        ),
    )
    return _with_query(
        request.redirect_uri, {"code": code, "state": request.state, "iss": issuer(region)}
    )


# -- client authentication ----------------------------------------------------------------


@dataclass(frozen=True)
class ClientCredentials:
    """What the request says about the client: from HTTP Basic or the form."""

    client_id: str | None
    secret: str | None
    method: str  # client_secret_basic, client_secret_post, none


def authenticate_client(
    session: Session, region: Region, credentials: ClientCredentials, *, public_allowed: bool
) -> OidcClient:
    """The authenticated client, or OAuthError invalid_client (401)."""
    refused = OAuthError(
        "invalid_client",
        "client authentication failed",
        401,
        {"WWW-Authenticate": 'Basic realm="simpul"'},
    )
    if not credentials.client_id or len(credentials.client_id) > 80:
        raise refused
    client = identity.client_by_client_id(session, region, credentials.client_id)
    if client is None:
        raise refused
    if client.is_public:
        if not public_allowed or credentials.method != "none":
            raise refused
        return client
    if credentials.method == "none" or not identity.secret_matches(client, credentials.secret):
        raise refused
    return client


# -- tokens ------------------------------------------------------------------------------


def user_claims(
    session: Session, region: Region, user: User, client: OidcClient, scopes: list[str]
) -> dict[str, Any]:
    """The claims of the granted scopes (``sub`` always)."""
    claims: dict[str, Any] = {"sub": identity.subject_for(user.id, client)}
    if "profile" in scopes:
        claims.update(name=user.full_name, locale=user.locale, updated_at=_epoch(user.updated_at))
    if "email" in scopes:
        claims.update(email=user.email, email_verified=user.email_verified_at is not None)
    if "phone" in scopes and user.phone:
        claims.update(
            phone_number=user.phone, phone_number_verified=user.phone_verified_at is not None
        )
    if "nik" in scopes and "nik" in client.allowed_scopes:
        nik = accounts.nik_of(user)
        if nik:
            claims["nik"] = nik
    return claims


def _scope_claim_names(claims: Mapping[str, Any]) -> list[str]:
    known = {c for names in SCOPE_CLAIMS.values() for c in names}
    return [c for c in claims if c in known]


def _live_user(session: Session, region: Region, user_id: uuid.UUID) -> User | None:
    user = accounts.user_by_id(session, region, user_id)
    return user if user is not None and user.is_active else None


def _issue(
    session: Session,
    region: Region,
    client: OidcClient,
    user: User,
    *,
    scopes: list[str],
    family_id: uuid.UUID,
    session_id: uuid.UUID | None,
    auth_time: datetime,
    amr: list[str],
    nonce: str | None,
) -> dict[str, Any]:
    settings = get_settings()
    now = utcnow()
    lifetime = timedelta(minutes=settings.oidc_access_token_minutes)
    jti = uuid.uuid4().hex
    refresh = security.new_token("spr_") if "offline_access" in scopes else None
    row = OidcToken(
        region_id=region.id,
        client_pk=client.id,
        user_id=user.id,
        session_id=session_id,
        family_id=family_id,
        scope=" ".join(scopes),
        access_jti=jti,
        access_expires_at=now + lifetime,
        refresh_token_hash=security.token_digest(refresh) if refresh else None,
        refresh_expires_at=(now + timedelta(days=settings.oidc_refresh_token_days))
        if refresh
        else None,
        auth_time=auth_time,
        amr=amr,
        issued_at=now,
    )
    repository.add(session, row)
    iss = issuer(region)
    sub = identity.subject_for(user.id, client)
    common: dict[str, Any] = {
        "iss": iss,
        "sub": sub,
        "aud": client.client_id,
        "iat": _epoch(now),
        "exp": _epoch(now + lifetime),
        "auth_time": _epoch(auth_time),
    }
    if session_id is not None:
        common["sid"] = session_sid(session_id)
    access = _sign(
        session,
        region,
        {**common, "client_id": client.client_id, "scope": " ".join(scopes), "jti": jti},
        "at+jwt",
    )
    released = user_claims(session, region, user, client, scopes)
    id_claims: dict[str, Any] = {
        **released,
        **common,
        "azp": client.client_id,
        "amr": amr,
        "at_hash": _b64(hashlib.sha256(access.encode()).digest()[:16]),
        "jti": uuid.uuid4().hex,
    }
    if nonce:
        id_claims["nonce"] = nonce
    id_token = _sign(session, region, id_claims, "JWT")
    identity.record_release(
        session,
        region_id=region.id,
        user_id=user.id,
        client=client,
        channel=ReleaseChannel.ID_TOKEN,
        claims=_scope_claim_names(released),
    )
    body: dict[str, Any] = {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": int(lifetime.total_seconds()),
        "scope": " ".join(scopes),
        "id_token": id_token,
    }
    if refresh:
        body["refresh_token"] = refresh
    return body


def redeem_code(
    session: Session,
    region: Region,
    client: OidcClient,
    *,
    code: str,
    redirect_uri: str,
    code_verifier: str | None,
) -> dict[str, Any]:
    """The authorization_code grant. A code presented twice revokes what it gave."""
    invalid = OAuthError("invalid_grant", "the code is invalid, expired or already used")
    if not code or len(code) > 200:
        raise invalid
    row = repository.lock_code(session, region.id, security.token_digest(code))
    if row is None or row.client_pk != client.id:
        raise invalid
    now = utcnow()
    if row.used_at is not None:
        # RFC 6749 4.1.2: a code used twice, the tokens issued from it are revoked.
        ended = repository.revoke_family(session, region.id, row.id, now, "code_reuse")
        record_audit_event(
            session,
            region_id=region.id,
            actor_id=None,
            actor_label=client.client_id,
            action="identity.code_reused",
            target_type="oidc_client",
            target_id=client.client_id,
            details={"tokens_revoked": ended},
        )
        raise OAuthError("invalid_grant", "the code was already used")
    row.used_at = now
    if row.expires_at <= now:
        raise invalid
    if redirect_uri != row.redirect_uri:
        raise OAuthError("invalid_grant", "redirect_uri does not match the authorization request")
    if row.code_challenge:
        if not code_verifier or not PKCE_VERIFIER.fullmatch(code_verifier):
            raise OAuthError("invalid_grant", "a valid code_verifier is required")
        if not security.hmac_equal(s256(code_verifier).encode(), row.code_challenge.encode()):
            raise OAuthError("invalid_grant", "code_verifier does not match the code_challenge")
    elif code_verifier:
        raise OAuthError("invalid_grant", "code_verifier without a code_challenge")
    user = _live_user(session, region, row.user_id)
    scopes = row.scope.split()
    consent = identity.active_consent(session, user, client) if user else None
    if user is None or not identity.consent_covers(consent, scopes):
        raise OAuthError("invalid_grant", "the user's consent is no longer active")
    return _issue(
        session,
        region,
        client,
        user,
        scopes=scopes,
        family_id=row.id,
        session_id=row.session_id,
        auth_time=row.auth_time,
        amr=list(row.amr),
        nonce=row.nonce,
    )


def refresh(
    session: Session, region: Region, client: OidcClient, *, token: str, scope: str | None
) -> dict[str, Any]:
    """The refresh_token grant with rotation; a rotated token used again ends its family."""
    invalid = OAuthError("invalid_grant", "the refresh token is invalid, expired or revoked")
    if not token or len(token) > 200:
        raise invalid
    row = repository.lock_token_by_refresh(session, region.id, security.token_digest(token))
    if row is None or row.client_pk != client.id or row.revoked_at is not None:
        raise invalid
    now = utcnow()
    if row.rotated_at is not None:
        ended = repository.revoke_family(session, region.id, row.family_id, now, "reuse")
        record_audit_event(
            session,
            region_id=region.id,
            actor_id=None,
            actor_label=client.client_id,
            action="identity.refresh_token_reused",
            target_type="oidc_client",
            target_id=client.client_id,
            details={"tokens_revoked": ended},
        )
        raise OAuthError("invalid_grant", "the refresh token was already used")
    if row.refresh_expires_at is None or row.refresh_expires_at <= now:
        raise invalid
    granted = row.scope.split()
    scopes = granted
    if scope:
        scopes = [s for s in granted if s in set(scope.split())]
        if not set(scope.split()) <= set(granted) or "openid" not in scopes:
            raise OAuthError("invalid_scope", "a refresh may only narrow the granted scope")
    user = _live_user(session, region, row.user_id)
    consent = identity.active_consent(session, user, client) if user else None
    if user is None or not identity.consent_covers(consent, scopes):
        repository.revoke_family(session, region.id, row.family_id, now, "consent_revoked")
        raise OAuthError("invalid_grant", "the user's consent is no longer active")
    row.rotated_at = now
    body = _issue(
        session,
        region,
        client,
        user,
        scopes=scopes,
        family_id=row.family_id,
        session_id=row.session_id,
        auth_time=row.auth_time,
        amr=list(row.amr),
        nonce=None,
    )
    if "refresh_token" not in body:  # narrowed without offline_access: the grant ends here
        row.revoked_at, row.revoked_reason = now, "narrowed"
    return body


@dataclass(frozen=True)
class FoundToken:
    row: OidcToken
    kind: str  # "access_token" or "refresh_token"
    claims: dict[str, Any] | None


def _find_token(
    session: Session, region: Region, token: str, *, check_exp: bool
) -> FoundToken | None:
    if not token or len(token) > 8000:
        return None
    if token.startswith("spr_"):
        row = repository.lock_token_by_refresh(session, region.id, security.token_digest(token))
        return FoundToken(row, "refresh_token", None) if row else None
    claims = verify_jwt(session, region, token, typ="at+jwt", check_exp=check_exp)
    if claims is None or not isinstance(claims.get("jti"), str):
        return None
    row = repository.get_token_by_jti(session, region.id, claims["jti"])
    return FoundToken(row, "access_token", claims) if row else None


def revoke(session: Session, region: Region, client: OidcClient, token: str) -> None:
    """RFC 7009: end a refresh token (and its whole family) or an access token of this
    client. Unknown tokens and other clients' tokens are ignored (the answer is 200 either
    way, and tells nothing)."""
    found = _find_token(session, region, token, check_exp=False)
    if found is None or found.row.client_pk != client.id:
        return
    now = utcnow()
    if found.kind == "refresh_token":
        repository.revoke_family(session, region.id, found.row.family_id, now, "revocation")
    elif found.row.revoked_at is None:
        found.row.revoked_at, found.row.revoked_reason = now, "revocation"
    session.flush()


def introspect(session: Session, region: Region, caller: OidcClient, token: str) -> dict[str, Any]:
    """RFC 7662 for a confidential client of the region (the gateway, a resource server)."""
    found = _find_token(session, region, token, check_exp=True)
    if found is None or found.row.revoked_at is not None:
        return {"active": False}
    row, now = found.row, utcnow()
    if found.kind == "refresh_token" and (
        row.rotated_at is not None
        or row.refresh_expires_at is None
        or row.refresh_expires_at <= now
    ):
        return {"active": False}
    if found.kind == "access_token" and row.access_expires_at <= now:
        return {"active": False}
    client = repository.get_client(session, region.id, row.client_pk)
    user = _live_user(session, region, row.user_id)
    if client is None or not client.enabled or user is None:
        return {"active": False}
    if not identity.consent_covers(
        identity.active_consent(session, user, client), row.scope.split()
    ):
        return {"active": False}
    expires = row.access_expires_at if found.kind == "access_token" else row.refresh_expires_at
    identity.record_release(
        session,
        region_id=region.id,
        user_id=user.id,
        client=caller,
        channel=ReleaseChannel.INTROSPECTION,
        claims=["sub"],
    )
    answer: dict[str, Any] = {
        "active": True,
        "sub": identity.subject_for(user.id, client),
        "client_id": client.client_id,
        "aud": client.client_id,
        "scope": row.scope,
        "iss": issuer(region),
        "iat": _epoch(row.issued_at),
        "exp": _epoch(expires) if expires else None,
        "token_type": "Bearer" if found.kind == "access_token" else "refresh_token",
        "auth_time": _epoch(row.auth_time),
    }
    if found.claims and "jti" in found.claims:
        answer["jti"] = found.claims["jti"]
    return answer


def userinfo(session: Session, region: Region, token: str) -> dict[str, Any]:
    """OpenID Connect Core 5.3: the claims a live access token's scopes give."""
    refused = OAuthError(
        "invalid_token",
        "the access token is invalid, expired or revoked",
        401,
        {"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )
    found = _find_token(session, region, token, check_exp=True)
    if found is None or found.kind != "access_token" or found.row.revoked_at is not None:
        raise refused
    row = found.row
    client = repository.get_client(session, region.id, row.client_pk)
    user = _live_user(session, region, row.user_id)
    scopes = row.scope.split()
    if client is None or not client.enabled or user is None or "openid" not in scopes:
        raise refused
    if not identity.consent_covers(identity.active_consent(session, user, client), scopes):
        raise refused
    claims = user_claims(session, region, user, client, scopes)
    identity.record_release(
        session,
        region_id=region.id,
        user_id=user.id,
        client=client,
        channel=ReleaseChannel.USERINFO,
        claims=_scope_claim_names(claims),
    )
    return claims


# -- discovery -----------------------------------------------------------------------------


def discovery(region: Region) -> dict[str, Any]:
    """The OpenID Provider Metadata of the region (OpenID Connect Discovery 1.0, RFC 8414)."""
    iss = issuer(region)
    claims = ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "amr", "azp", "sid"]
    claims += [c for names in SCOPE_CLAIMS.values() for c in names if c not in claims]
    return {
        "issuer": iss,
        "authorization_endpoint": f"{iss}/oidc/authorize",
        "token_endpoint": f"{iss}/oidc/token",
        "userinfo_endpoint": f"{iss}/oidc/userinfo",
        "jwks_uri": f"{iss}/oidc/jwks",
        "end_session_endpoint": f"{iss}/oidc/logout",
        "revocation_endpoint": f"{iss}/oidc/revoke",
        "introspection_endpoint": f"{iss}/oidc/introspect",
        "scopes_supported": list(SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "subject_types_supported": ["pairwise", "public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "none",
        ],
        "revocation_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "none",
        ],
        "introspection_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
        ],
        "claims_supported": claims,
        "prompt_values_supported": sorted(PROMPTS),
        "ui_locales_supported": ["id", "en"],
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "authorization_response_iss_parameter_supported": True,
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "frontchannel_logout_supported": False,
    }


# -- logout ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogoutRequest:
    """A checked RP-initiated logout request."""

    client: OidcClient | None
    hint_valid: bool
    hint_sub: str | None
    post_logout_redirect_uri: str | None
    state: str | None


def check_logout_request(
    session: Session, region: Region, params: Mapping[str, str]
) -> LogoutRequest:
    """RP-Initiated Logout 1.0: who asks (``id_token_hint`` or ``client_id``) and whether
    its ``post_logout_redirect_uri`` is registered (exact match; otherwise it is dropped)."""
    hint = params.get("id_token_hint", "")
    claims = verify_jwt(session, region, hint, typ=None, check_exp=False) if hint else None
    client_id = params.get("client_id", "")[:80] or None
    client = None
    if claims is not None:
        aud = claims.get("aud")
        hinted = (
            aud if isinstance(aud, str) else (aud[0] if isinstance(aud, list) and aud else None)
        )
        if client_id is not None and hinted != client_id:
            claims = None
        else:
            client_id = hinted
    if client_id:
        client = identity.client_by_client_id(session, region, client_id)
    uri = params.get("post_logout_redirect_uri") or None
    if uri is not None and (client is None or uri not in client.post_logout_redirect_uris):
        uri = None
    state = (params.get("state") or None) if uri else None
    if state is not None and len(state) > 500:
        state = None
    return LogoutRequest(
        client=client,
        hint_valid=claims is not None and client is not None,
        hint_sub=str(claims.get("sub")) if claims else None,
        post_logout_redirect_uri=uri,
        state=state,
    )


def hint_names(user: User | None, request: LogoutRequest) -> bool:
    """Whether the valid hint is about the person logged in here (or nobody is)."""
    if not request.hint_valid or request.client is None:
        return False
    return user is None or identity.subject_for(user.id, request.client) == request.hint_sub


def after_logout(request: LogoutRequest) -> str | None:
    """Where the browser goes after logging out: the registered URI with ``state``."""
    if request.post_logout_redirect_uri is None:
        return None
    return _with_query(request.post_logout_redirect_uri, {"state": request.state})


def session_ended(session: Session, region: Region, user_session: UserSession) -> int:
    """A browser session ends (logout here or from an app): every client with a
    back-channel logout URI that holds tokens of this session gets a logout token (queued
    for ``simpul worker``), and those tokens are revoked. Returns how many were queued."""
    rows = repository.live_tokens_of_session(session, region.id, user_session.id)
    now = utcnow()
    by_client: dict[uuid.UUID, OidcClient] = {}
    for token, client in rows:
        if client.backchannel_logout_uri:
            token.revoked_at, token.revoked_reason = now, "logout"
            by_client[client.id] = client
    for client in by_client.values():
        claims = {
            "iss": issuer(region),
            "aud": client.client_id,
            "iat": _epoch(now),
            "exp": _epoch(now + timedelta(minutes=2)),
            "jti": uuid.uuid4().hex,
            "sub": identity.subject_for(user_session.user_id, client),
            "sid": session_sid(user_session.id),
            "events": {BACKCHANNEL_EVENT: {}},
        }
        repository.add(
            session,
            BackchannelLogout(
                region_id=region.id,
                client_pk=client.id,
                logout_token=_sign(session, region, claims, "logout+jwt"),
                created_at=now,
                next_attempt_at=now,
            ),
        )
    if by_client:
        repository.wake_backchannel(session)
    session.flush()
    return len(by_client)
