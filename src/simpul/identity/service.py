"""The identity domain's public API: relying parties, pairwise subjects, consents and the
releases of a user's data to apps. Routes and other domains import only this module (and
``identity.models``); the provider's endpoints live in ``identity.oidc``."""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlsplit

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from simpul.accounts.models import User, UserSession
from simpul.core import security
from simpul.core.audit import record_audit_event
from simpul.core.errors import InvalidInput, NotFound
from simpul.core.i18n import _
from simpul.core.models import Region, utcnow
from simpul.identity import repository
from simpul.identity.models import (
    SCOPE_CLAIMS,
    SCOPES,
    OidcClient,
    OidcConsent,
    OidcRelease,
    ReleaseChannel,
    SubjectType,
)

_PAIRWISE_PURPOSE: Final = "oidc-pairwise-subject"
CLIENT_ID: Final = re.compile(r"[a-z0-9][a-z0-9.-]{2,79}")


def subject_for(user_id: uuid.UUID, client: OidcClient) -> str:
    """The ``sub`` this client knows the user by: by default a value of the client's own
    (HMAC of client and account under the deployment's secret), so two apps cannot join
    their users by ``sub``; the account id for a client registered with public subjects."""
    if client.subject_type is SubjectType.PUBLIC:
        return str(user_id)
    digest = security.keyed_hash(_PAIRWISE_PURPOSE, f"{client.region_id}:{client.id}:{user_id}")
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def claims_for_scopes(scopes: Iterable[str]) -> list[str]:
    """The claim names the scopes release, in ``SCOPE_CLAIMS`` order, without repeats."""
    wanted = set(scopes)
    return [claim for scope, claims in SCOPE_CLAIMS.items() if scope in wanted for claim in claims]


def known_scopes(scopes: Iterable[str]) -> list[str]:
    """The scopes Simpul knows, in the consent screen's order."""
    wanted = set(scopes)
    return [scope for scope in SCOPES if scope in wanted]


# -- relying parties ---------------------------------------------------------------------


def client_by_client_id(session: Session, region: Region, client_id: str) -> OidcClient | None:
    """An enabled relying party of the region, or None."""
    client = repository.get_client_by_client_id(session, region.id, client_id)
    return client if client is not None and client.enabled else None


def client_of_app(session: Session, region: Region, app_id: uuid.UUID) -> OidcClient | None:
    return repository.get_client_of_app(session, region.id, app_id)


def list_clients(session: Session, region: Region) -> Sequence[OidcClient]:
    return repository.list_clients(session, region.id)


def secret_matches(client: OidcClient, secret: str | None) -> bool:
    """Whether ``secret`` is the confidential client's secret (constant-time on the digest)."""
    if client.is_public or client.secret_hash is None or not secret:
        return False
    return security.hmac_equal(client.secret_hash, security.token_digest(secret))


# -- consents ----------------------------------------------------------------------------


def active_consent(session: Session, user: User, client: OidcClient) -> OidcConsent | None:
    return repository.get_active_consent(session, user.region_id, user.id, client.id)


def consent_covers(consent: OidcConsent | None, scopes: Iterable[str]) -> bool:
    """Whether a remembered consent already allows every scope asked for."""
    return consent is not None and set(scopes) <= set(consent.scopes)


def grant_consent(
    session: Session, user: User, client: OidcClient, scopes: Iterable[str]
) -> OidcConsent:
    """Remember that the user allows ``scopes`` to the client (added to what was allowed)."""
    asked = known_scopes(scopes)
    now = utcnow()
    consent = active_consent(session, user, client)
    if consent is None:
        consent = OidcConsent(
            region_id=user.region_id,
            user_id=user.id,
            client_pk=client.id,
            scopes=asked,
            granted_at=now,
            updated_at=now,
        )
        repository.add(session, consent)
    else:
        consent.scopes = known_scopes([*consent.scopes, *asked])
        consent.updated_at = now
    record_audit_event(
        session,
        region_id=user.region_id,
        actor_id=user.id,
        actor_label=user.email,
        action="identity.consent_granted",
        target_type="oidc_client",
        target_id=client.client_id,
        details={"scopes": consent.scopes},
    )
    session.flush()
    return consent


@dataclass(frozen=True)
class ConnectedApp:
    """A row of "Aplikasi terhubung"."""

    consent: OidcConsent
    client: OidcClient


def connected_apps(
    session: Session, user: User, *, include_revoked: bool = False
) -> list[ConnectedApp]:
    rows = repository.list_consents_of_user(
        session, user.region_id, user.id, active_only=not include_revoked
    )
    return [ConnectedApp(consent, client) for consent, client in rows]


def revoke_consent(session: Session, user: User, consent_id: uuid.UUID) -> ConnectedApp:
    """End the user's consent to an app, and with it every token the app holds for them."""
    consent = repository.get_consent_of_user(session, user.region_id, user.id, consent_id)
    if consent is None or consent.revoked_at is not None:
        raise NotFound(_("Aplikasi terhubung ini tidak ditemukan atau sudah diputus."))
    client = repository.get_client(session, user.region_id, consent.client_pk)
    assert client is not None  # the foreign key holds it
    now = utcnow()
    consent.revoked_at = now
    ended = repository.revoke_tokens(
        session,
        user.region_id,
        user_id=user.id,
        client_pk=client.id,
        at=now,
        reason="consent_revoked",
    )
    record_audit_event(
        session,
        region_id=user.region_id,
        actor_id=user.id,
        actor_label=user.email,
        action="identity.consent_revoked",
        target_type="oidc_client",
        target_id=client.client_id,
        details={"tokens_revoked": ended},
    )
    session.flush()
    return ConnectedApp(consent, client)


def revoke_all_tokens(session: Session, user: User, *, reason: str) -> int:
    """End every token any app holds for the user (password reset, account closed, ...)."""
    return repository.revoke_tokens(
        session, user.region_id, user_id=user.id, client_pk=None, at=utcnow(), reason=reason
    )


# -- releases ----------------------------------------------------------------------------


def record_release(
    session: Session,
    *,
    region_id: uuid.UUID,
    user_id: uuid.UUID,
    client: OidcClient,
    channel: ReleaseChannel,
    claims: Iterable[str],
) -> None:
    """Log that the app was given these claims of the user (names only, never values)."""
    repository.add(
        session,
        OidcRelease(
            region_id=region_id,
            user_id=user_id,
            client_pk=client.id,
            channel=channel,
            claims=sorted(set(claims)),
            at=utcnow(),
        ),
    )


def releases_of(
    session: Session, user: User, *, limit: int | None = None
) -> Sequence[tuple[OidcRelease, OidcClient]]:
    """What apps were given of the user's data, newest first."""
    return repository.list_releases_of_user(session, user.region_id, user.id, limit=limit)


def last_release_per_client(session: Session, user: User) -> dict[uuid.UUID, datetime]:
    """When each app (by ``OidcClient.id``) last received the user's data."""
    return repository.last_release_per_client(session, user.region_id, user.id)


# -- registering relying parties -----------------------------------------------------------


@dataclass(frozen=True)
class ClientRegistration:
    """What the region admin sets for an app's OIDC client."""

    client_id: str
    name: str
    is_public: bool
    redirect_uris: list[str]
    allowed_scopes: list[str]
    post_logout_redirect_uris: list[str] = field(default_factory=list)
    backchannel_logout_uri: str = ""
    subject_type: SubjectType = SubjectType.PAIRWISE


#: How many redirect (or post-logout) addresses one client may register.
MAX_URIS: Final = 20
_LOOPBACK: Final = frozenset({"127.0.0.1", "localhost", "::1"})
#: Characters an address may not hold: whitespace and controls (which ``urlsplit`` silently
#: drops, so what is stored would not be what was checked) and backslashes (which browsers
#: read as "/", so the address would not mean what it says).
_UNSAFE_URI: Final = re.compile(r"[\x00-\x20\x7f\\]")


def redirect_uri_problem(uri: str) -> str | None:
    """Why ``uri`` cannot be a redirect URI, or None: absolute https (http only to the
    loopback address, RFC 8252 7.3), no fragment, no user info, at most 500 characters."""
    if len(uri) > 500:
        return _("Alamat paling panjang 500 karakter.")
    parsed = urlsplit(uri)
    try:
        parsed.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        parsed = urlsplit("")
    if (
        _UNSAFE_URI.search(uri)
        or not parsed.hostname
        or parsed.fragment
        or "#" in uri
        or "@" in parsed.netloc
    ):
        return _("Alamat harus lengkap (https://...), tanpa #bagian dan tanpa nama pengguna.")
    if parsed.scheme == "https":
        return None
    if parsed.scheme == "http" and parsed.hostname in _LOOPBACK:
        return None
    return _("Alamat harus memakai https (http hanya untuk 127.0.0.1 saat pengujian).")


def _uri_problems(field: str, label: str, uris: Sequence[str]) -> list[dict[str, str]]:
    """The problems of a list of addresses, each message starting with the field's label."""
    problems: list[dict[str, str]] = []
    if len(uris) > MAX_URIS:
        message = _("%(field)s: paling banyak %(n)d alamat.") % {"field": label, "n": MAX_URIS}
        return [{"field": field, "message": message}]
    for uri in uris:
        problem = redirect_uri_problem(uri)
        if problem:
            message = _("%(field)s: %(uri)s: %(problem)s") % {
                "field": label,
                "uri": uri[:80],
                "problem": problem,
            }
            problems.append({"field": field, "message": message})
    return problems


def registration_problems(
    session: Session,
    region: Region,
    registration: ClientRegistration,
    *,
    app_id: uuid.UUID,
    client: OidcClient | None = None,
) -> list[dict[str, str]]:
    """Everything wrong with a registration, each problem naming its field (in Indonesian):
    for a new client of the app (``client`` None) or a change of ``client``."""
    errors: list[dict[str, str]] = []
    if not registration.name.strip() or len(registration.name) > 200:
        message = _("Nama aplikasi: isi 1-200 karakter.")
        errors.append({"field": "name", "message": message})
    if not registration.redirect_uris:
        message = _("Alamat kembali: isi minimal satu alamat.")
        errors.append({"field": "redirect_uris", "message": message})
    errors += _uri_problems("redirect_uris", _("Alamat kembali"), registration.redirect_uris)
    errors += _uri_problems(
        "post_logout_redirect_uris",
        _("Alamat setelah keluar"),
        registration.post_logout_redirect_uris,
    )
    if registration.backchannel_logout_uri:
        problem = redirect_uri_problem(registration.backchannel_logout_uri)
        if problem:
            message = _("Alamat logout back-channel: %(problem)s") % {"problem": problem}
            errors.append({"field": "backchannel_logout_uri", "message": message})
    unknown = [s for s in registration.allowed_scopes if s not in SCOPES]
    if unknown or "openid" not in registration.allowed_scopes:
        message = _("Cakupan data: harus memuat openid dan hanya cakupan yang dikenal.")
        errors.append({"field": "allowed_scopes", "message": message})
    if not CLIENT_ID.fullmatch(registration.client_id):
        message = _("ID klien: 3-80 huruf kecil, angka, titik, atau tanda hubung.")
        errors.append({"field": "client_id", "message": message})
    else:
        holder = repository.get_client_by_client_id(session, region.id, registration.client_id)
        if holder is not None and (client is None or holder.id != client.id):
            message = _("ID klien: %(id)s sudah dipakai.") % {"id": registration.client_id}
            errors.append({"field": "client_id", "message": message})
    if client is None and repository.get_client_of_app(session, region.id, app_id):
        message = _("Aplikasi: aplikasi ini sudah punya klien OIDC.")
        errors.append({"field": "app_id", "message": message})
    return errors


def register_client(
    session: Session,
    region: Region,
    *,
    app_id: uuid.UUID,
    registration: ClientRegistration,
    actor: User | None,
    secret: str | None = None,
) -> tuple[OidcClient, str | None]:
    """Make the OIDC client of an inventory app. Returns it and, for a confidential client,
    its secret (shown once; ``secret`` fixes it, for the demo only). Bad input: InvalidInput
    naming each field, nothing written."""
    errors = registration_problems(session, region, registration, app_id=app_id)
    if errors:
        raise InvalidInput(_("Klien OIDC belum dibuat."), details=errors)
    secret = None if registration.is_public else (secret or security.new_token())
    client = OidcClient(
        region_id=region.id,
        app_id=app_id,
        client_id=registration.client_id,
        name=registration.name.strip(),
        is_public=registration.is_public,
        secret_hash=security.token_digest(secret) if secret else None,
        redirect_uris=list(dict.fromkeys(registration.redirect_uris)),
        post_logout_redirect_uris=list(dict.fromkeys(registration.post_logout_redirect_uris)),
        allowed_scopes=known_scopes(registration.allowed_scopes),
        subject_type=registration.subject_type,
        backchannel_logout_uri=registration.backchannel_logout_uri,
        created_by_id=actor.id if actor else None,
    )
    _add_client_or_conflict(session, client)
    _audit_client(
        session,
        region,
        actor,
        "identity.client_registered",
        client,
        {"scopes": client.allowed_scopes, "public": client.is_public},
    )
    return client, secret


def _add_client_or_conflict(session: Session, client: OidcClient) -> None:
    """Insert the client; another request that took the same client_id (or app) between the
    check and the insert makes the unique constraint refuse it: a field error, not a 500."""
    try:
        with session.begin_nested():
            repository.add(session, client)
    except IntegrityError as exc:
        message = _("ID klien: %(id)s sudah dipakai.") % {"id": client.client_id}
        raise InvalidInput(
            _("Klien OIDC belum dibuat."), details=[{"field": "client_id", "message": message}]
        ) from exc


def _audit_client(
    session: Session,
    region: Region,
    actor: User | None,
    action: str,
    client: OidcClient,
    details: dict[str, object],
) -> None:
    record_audit_event(
        session,
        region_id=region.id,
        actor_id=actor.id if actor else None,
        actor_label=actor.email if actor else "cli",
        action=action,
        target_type="oidc_client",
        target_id=client.client_id,
        details=details,
    )


def update_client(
    session: Session,
    region: Region,
    client: OidcClient,
    *,
    registration: ClientRegistration,
    actor: User | None,
) -> tuple[OidcClient, str | None]:
    """Change an app's OIDC client (the same checks as ``register_client``; bad input:
    InvalidInput naming each field, nothing written). A public client made confidential gets
    a secret, returned to be shown once; a confidential one made public loses its secret."""
    _require_own(region, client)
    errors = registration_problems(
        session, region, registration, app_id=client.app_id, client=client
    )
    if errors:
        raise InvalidInput(_("Perubahan klien OIDC belum disimpan."), details=errors)
    secret: str | None = None
    if registration.is_public:
        client.secret_hash = None
    elif client.is_public:
        secret = security.new_token()
        client.secret_hash = security.token_digest(secret)
    old_id = client.client_id
    client.client_id = registration.client_id
    client.name = registration.name.strip()
    client.is_public = registration.is_public
    client.redirect_uris = list(dict.fromkeys(registration.redirect_uris))
    client.post_logout_redirect_uris = list(dict.fromkeys(registration.post_logout_redirect_uris))
    client.allowed_scopes = known_scopes(registration.allowed_scopes)
    client.subject_type = registration.subject_type
    client.backchannel_logout_uri = registration.backchannel_logout_uri
    client.updated_at = utcnow()
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        message = _("ID klien: %(id)s sudah dipakai.") % {"id": registration.client_id}
        raise InvalidInput(
            _("Perubahan klien OIDC belum disimpan."),
            details=[{"field": "client_id", "message": message}],
        ) from exc
    details: dict[str, object] = {"scopes": client.allowed_scopes, "public": client.is_public}
    if old_id != client.client_id:
        details["previous_client_id"] = old_id
    _audit_client(session, region, actor, "identity.client_changed", client, details)
    return client, secret


def renew_client_secret(
    session: Session, region: Region, client: OidcClient, *, actor: User | None
) -> str:
    """A new secret for a confidential client, returned to be shown once; the old one stops
    working at once."""
    _require_own(region, client)
    if client.is_public:
        message = _("Jenis klien: klien publik tidak memakai rahasia.")
        raise InvalidInput(message, details=[{"field": "is_public", "message": message}])
    secret = security.new_token()
    client.secret_hash = security.token_digest(secret)
    client.updated_at = utcnow()
    session.flush()
    _audit_client(session, region, actor, "identity.client_secret_renewed", client, {})
    return secret


def set_client_enabled(
    session: Session, region: Region, client: OidcClient, *, enabled: bool, actor: User | None
) -> int:
    """Switch a client on or off. Switching off ends every token it holds (returns how
    many); a switched-off client cannot sign anyone in (``client_by_client_id``)."""
    _require_own(region, client)
    ended = 0
    client.enabled = enabled
    client.updated_at = utcnow()
    if not enabled:
        ended = repository.revoke_client_tokens(
            session, region.id, client.id, at=utcnow(), reason="client_disabled"
        )
    session.flush()
    action = "identity.client_enabled" if enabled else "identity.client_disabled"
    _audit_client(session, region, actor, action, client, {"tokens_revoked": ended})
    return ended


def _require_own(region: Region, client: OidcClient) -> None:
    if client.region_id != region.id:
        raise NotFound(_("Klien OIDC tidak ditemukan di wilayah ini."))


# -- the gateway's view of the provider (gateway.dataplane, issue 18) -----------------------


@dataclass(frozen=True)
class GatewayIssuer:
    """What a gateway needs to check a region's access tokens without asking the database."""

    region_id: uuid.UUID
    #: ``{public URL}/{region slug}``, as tokens carry it in ``iss``.
    issuer: str
    #: kid -> (public JWK, when it leaves the JWKS or None)
    keys: dict[str, tuple[dict[str, Any], datetime | None]] = field(default_factory=dict)
    #: ``client_id`` -> (inventory app id, OIDC client pk) of the enabled relying parties
    clients: dict[str, tuple[uuid.UUID, uuid.UUID]] = field(default_factory=dict)
    #: ``jti`` of access tokens revoked before they expire
    revoked: frozenset[str] = frozenset()


def issuer_url(public_url: str, region_slug: str) -> str:
    """A region's issuer identifier (decision 0057)."""
    return f"{public_url.rstrip('/')}/{region_slug}"


def gateway_identity_snapshot(
    session: Session, regions: Iterable[Region], public_url: str
) -> dict[uuid.UUID, GatewayIssuer]:
    """Per region: its issuer, published public keys, relying parties and revoked access
    tokens not yet expired (a handful of whole-table reads; the gateway reloads it whenever a
    key, a relying party or a revocation bumps the region's gateway config version)."""
    now = utcnow()
    keys: dict[uuid.UUID, dict[str, tuple[dict[str, Any], datetime | None]]] = {}
    for key in repository.published_signing_keys(session, now):
        keys.setdefault(key.region_id, {})[key.kid] = (dict(key.public_jwk), key.retire_after)
    clients: dict[uuid.UUID, dict[str, tuple[uuid.UUID, uuid.UUID]]] = {}
    for client in repository.enabled_clients(session):
        clients.setdefault(client.region_id, {})[client.client_id] = (client.app_id, client.id)
    revoked: dict[uuid.UUID, set[str]] = {}
    for region_id, jti in repository.revoked_live_access_tokens(session, now):
        revoked.setdefault(region_id, set()).add(jti)
    return {
        region.id: GatewayIssuer(
            region_id=region.id,
            issuer=issuer_url(public_url, region.slug),
            keys=keys.get(region.id, {}),
            clients=clients.get(region.id, {}),
            revoked=frozenset(revoked.get(region.id, ())),
        )
        for region in regions
    }


def record_gateway_releases(session: Session, seen: Iterable[tuple[str, datetime]]) -> int:
    """Log that the gateway passed the subject of these access tokens (by ``jti``, when it was
    first passed) to a provider: one ``GATEWAY`` release of ``sub`` per token, to the relying
    party the token was issued to. Unknown ``jti`` are skipped. Returns the rows added."""
    first: dict[str, datetime] = {}
    for jti, at in seen:
        if jti not in first or at < first[jti]:
            first[jti] = at
    rows = [
        OidcRelease(
            region_id=region_id,
            user_id=user_id,
            client_pk=client_pk,
            channel=ReleaseChannel.GATEWAY,
            claims=["sub"],
            at=first[jti],
        )
        for region_id, jti, user_id, client_pk in repository.tokens_by_access_jti(session, first)
    ]
    repository.add_all(session, rows)
    session.flush()
    return len(rows)


def forget_user(session: Session, user: User) -> tuple[int, int]:
    """Closing an account: revoke every consent and every token apps hold, and delete
    pending authorization codes. Returns (consents revoked, tokens revoked)."""
    now = utcnow()
    consents = repository.revoke_consents_of_user(session, user.region_id, user.id, now)
    tokens = revoke_all_tokens(session, user, reason="account_closed")
    repository.delete_codes_of_user(session, user.region_id, user.id)
    return consents, tokens


# -- browser logout ------------------------------------------------------------------------


def end_app_sessions(session: Session, region: Region, session_token: str) -> int:
    """The browser session of this cookie token ends: the apps that signed in through it and
    registered a back-channel logout URI are told (and their tokens of it revoked). Call
    before ``accounts.service.end_session``. Returns how many apps are told."""
    from simpul.accounts import service as accounts
    from simpul.identity.oidc import service as provider

    user_session = accounts.session_for_token(session, region, session_token)
    if user_session is None:
        return 0
    return provider.session_ended(session, region, user_session)


def devices_ended(session: Session, region: Region, user_sessions: Sequence[UserSession]) -> int:
    """The owner ended these browser sessions (a lost phone, "keluar dari perangkat lain"):
    apps with a back-channel logout URI are told, and every token an app got through these
    sessions is revoked, refresh tokens too. Call before the sessions are deleted (the
    tokens' link to them is cleared then). Returns how many tokens were revoked."""
    from simpul.identity.oidc import service as provider

    for user_session in user_sessions:
        provider.session_ended(session, region, user_session)
    return repository.revoke_tokens_of_sessions(
        session, region.id, [s.id for s in user_sessions], at=utcnow(), reason="device_revoked"
    )
