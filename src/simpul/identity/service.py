"""The identity domain's public API: relying parties, pairwise subjects, consents and the
releases of a user's data to apps. Routes and other domains import only this module (and
``identity.models``); the provider's endpoints live in ``identity.oidc``."""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from simpul.accounts.models import User
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


def redirect_uri_problem(uri: str) -> str | None:
    """Why ``uri`` cannot be a redirect URI, or None: absolute https (http only to the
    loopback address, RFC 8252 7.3), no fragment, no user info, at most 500 characters."""
    parsed = urlsplit(uri)
    if len(uri) > 500 or not parsed.netloc or parsed.fragment or "@" in parsed.netloc:
        return _("Alamat harus lengkap (https://...), tanpa #bagian dan tanpa nama pengguna.")
    if parsed.scheme == "https":
        return None
    if parsed.scheme == "http" and parsed.hostname in {"127.0.0.1", "localhost", "::1"}:
        return None
    return _("Alamat harus memakai https (http hanya untuk 127.0.0.1 saat pengujian).")


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
    errors: list[dict[str, str]] = []
    if not registration.redirect_uris:
        errors.append({"field": "redirect_uris", "message": _("Isi minimal satu alamat kembali.")})
    for uri in [*registration.redirect_uris, *registration.post_logout_redirect_uris]:
        problem = redirect_uri_problem(uri)
        if problem:
            errors.append({"field": "redirect_uris", "message": f"{uri[:80]}: {problem}"})
    if registration.backchannel_logout_uri:
        problem = redirect_uri_problem(registration.backchannel_logout_uri)
        if problem:
            errors.append({"field": "backchannel_logout_uri", "message": problem})
    unknown = [s for s in registration.allowed_scopes if s not in SCOPES]
    if unknown or "openid" not in registration.allowed_scopes:
        errors.append(
            {
                "field": "allowed_scopes",
                "message": _("Cakupan harus memuat openid dan hanya cakupan yang dikenal."),
            }
        )
    if not CLIENT_ID.fullmatch(registration.client_id):
        errors.append(
            {
                "field": "client_id",
                "message": _("ID klien: 3-80 huruf kecil, angka, titik, atau tanda hubung."),
            }
        )
    elif repository.get_client_by_client_id(session, region.id, registration.client_id):
        errors.append({"field": "client_id", "message": _("ID klien ini sudah dipakai.")})
    if repository.get_client_of_app(session, region.id, app_id):
        errors.append({"field": "app_id", "message": _("Aplikasi ini sudah punya klien OIDC.")})
    if errors:
        raise InvalidInput(_("Klien OIDC belum dibuat."), details=errors)
    secret = None if registration.is_public else (secret or security.new_token())
    client = OidcClient(
        region_id=region.id,
        app_id=app_id,
        client_id=registration.client_id,
        name=registration.name,
        is_public=registration.is_public,
        secret_hash=security.token_digest(secret) if secret else None,
        redirect_uris=list(dict.fromkeys(registration.redirect_uris)),
        post_logout_redirect_uris=list(dict.fromkeys(registration.post_logout_redirect_uris)),
        allowed_scopes=known_scopes(registration.allowed_scopes),
        subject_type=registration.subject_type,
        backchannel_logout_uri=registration.backchannel_logout_uri,
        created_by_id=actor.id if actor else None,
    )
    repository.add(session, client)
    record_audit_event(
        session,
        region_id=region.id,
        actor_id=actor.id if actor else None,
        actor_label=actor.email if actor else "cli",
        action="identity.client_registered",
        target_type="oidc_client",
        target_id=client.client_id,
        details={"scopes": client.allowed_scopes, "public": client.is_public},
    )
    return client, secret


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
