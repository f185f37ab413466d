"""The region's OpenID Connect provider: relying parties, signing keys, codes, tokens,
consents and the log of what each app was given (decision 0057).

Every secret (client secrets, codes, refresh tokens) is stored as a SHA-256 digest only; a
signing key's private half is encrypted under the deployment's secret (``core.security``).
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from simpul.core.i18n import lazy
from simpul.core.models import Base, IdMixin, RegionScoped, TimestampMixin, utcnow, value_enum


class SubjectType(enum.StrEnum):
    """What ``sub`` a client sees: a value of its own per user (default), or the account id."""

    PAIRWISE = "pairwise"
    PUBLIC = "public"


#: The scopes a client may be allowed, in the order the consent screen lists them, with what
#: the citizen is told each one gives the app (translated at render time).
SCOPES: dict[str, Any] = {
    "openid": lazy("Tanda pengenal Anda di aplikasi ini (bukan NIK)"),
    "profile": lazy("Nama lengkap dan bahasa pilihan Anda"),
    "email": lazy("Alamat e-mail Anda"),
    "phone": lazy("Nomor telepon Anda"),
    "nik": lazy("NIK (Nomor Induk Kependudukan) Anda"),
    "offline_access": lazy("Tetap terhubung saat Anda tidak membuka aplikasi (token penyegaran)"),
}

#: The claims each scope releases (OpenID Connect Core 5.4, plus ``nik``).
SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    "openid": ("sub",),
    "profile": ("name", "locale", "updated_at"),
    "email": ("email", "email_verified"),
    "phone": ("phone_number", "phone_number_verified"),
    "nik": ("nik",),
    "offline_access": (),
}


class OidcClient(IdMixin, TimestampMixin, RegionScoped, Base):
    """A relying party: an app of the region's inventory that signs its users in through
    Simpul. One per app, so the app's OIDC client lives with its inventory entry (and its
    gateway client, when it has one)."""

    __tablename__ = "oidc_client"
    __table_args__ = (
        UniqueConstraint("region_id", "client_id"),
        UniqueConstraint("region_id", "app_id"),
        UniqueConstraint("region_id", "id"),
        ForeignKeyConstraint(
            ["region_id", "app_id"], ["app.region_id", "app.id"], ondelete="CASCADE"
        ),
        CheckConstraint(
            "is_public OR secret_hash IS NOT NULL", name="confidential_client_has_secret"
        ),
        CheckConstraint("NOT (is_public AND secret_hash IS NOT NULL)", name="public_no_secret"),
    )

    app_id: Mapped[uuid.UUID] = mapped_column(index=True)
    #: What the app sends as ``client_id`` (the inventory code by default).
    client_id: Mapped[str] = mapped_column(String(80))
    #: The name the consent screen shows (the app's name when registered).
    name: Mapped[str] = mapped_column(String(200))
    #: A public client (an app on the phone, a single-page app) has no secret and must use
    #: PKCE S256; a confidential one authenticates at the token endpoint.
    is_public: Mapped[bool] = mapped_column(default=False)
    #: SHA-256 of the client secret (shown once when made or renewed).
    secret_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    #: Exact-match redirect URIs (no wildcards, no prefix matching).
    redirect_uris: Mapped[list[str]] = mapped_column(ARRAY(String(500)), default=list)
    #: Where RP-initiated logout may send the browser afterwards (exact match).
    post_logout_redirect_uris: Mapped[list[str]] = mapped_column(ARRAY(String(500)), default=list)
    #: The scopes this app may ask for (``SCOPES`` keys); ``nik`` only where the admin allowed.
    allowed_scopes: Mapped[list[str]] = mapped_column(ARRAY(String(40)), default=list)
    subject_type: Mapped[SubjectType] = mapped_column(
        value_enum(SubjectType, "oidc_subject_type"), default=SubjectType.PAIRWISE
    )
    #: OpenID Connect Back-Channel Logout 1.0: where a logout token is POSTed; empty: none.
    backchannel_logout_uri: Mapped[str] = mapped_column(String(500), default="")
    enabled: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[uuid.UUID | None]


class OidcSigningKey(IdMixin, RegionScoped, Base):
    """A region's token-signing key (RS256). The newest active key signs; older ones stay
    published in the JWKS until ``retire_after`` (the last token they signed has expired)."""

    __tablename__ = "oidc_signing_key"
    __table_args__ = (UniqueConstraint("region_id", "kid"),)

    kid: Mapped[str] = mapped_column(String(64))
    alg: Mapped[str] = mapped_column(String(10), default="RS256")
    #: The private key as PEM (PKCS#8), encrypted with ``core.security.encrypt``.
    private_key_encrypted: Mapped[str] = mapped_column(Text)
    #: The public JWK as published (kty, n, e, kid, alg, use).
    public_jwk: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
    #: When a newer key took over signing; None while this key signs.
    superseded_at: Mapped[datetime | None]
    #: When it leaves the JWKS (superseded_at + the longest token lifetime).
    retire_after: Mapped[datetime | None]


class OidcAuthorizationCode(IdMixin, RegionScoped, Base):
    """An authorization code: single use, short-lived, bound to client, redirect URI and
    PKCE challenge."""

    __tablename__ = "oidc_authorization_code"
    __table_args__ = (
        ForeignKeyConstraint(
            ["region_id", "client_pk"],
            ["oidc_client.region_id", "oidc_client.id"],
            ondelete="CASCADE",
        ),
    )

    code_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    client_pk: Mapped[uuid.UUID] = mapped_column(index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    #: The browser session the code was issued in (``sid`` of tokens, back-channel logout).
    session_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_session.id", ondelete="SET NULL")
    )
    redirect_uri: Mapped[str] = mapped_column(String(500))
    scope: Mapped[str] = mapped_column(String(500))
    nonce: Mapped[str | None] = mapped_column(String(255))
    code_challenge: Mapped[str | None] = mapped_column(String(128))
    code_challenge_method: Mapped[str | None] = mapped_column(String(10))
    auth_time: Mapped[datetime]
    #: Authentication methods used (``pwd``, ``otp``, ``hwk``), for the ID token's ``amr``.
    amr: Mapped[list[str]] = mapped_column(ARRAY(String(10)), default=list)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class OidcToken(IdMixin, RegionScoped, Base):
    """One issue of tokens to a client for a user: the access token (a JWT, known here by its
    ``jti``) and, with ``offline_access`` or a confidential client, a refresh token.

    Refresh tokens rotate: using one makes a new row in the same ``family_id`` and marks this
    one ``rotated_at``. A rotated refresh token presented again is a reuse: the whole family
    is revoked (RFC 6819 5.2.2.3, OAuth 2.0 Security BCP 4.14)."""

    __tablename__ = "oidc_token"
    __table_args__ = (
        ForeignKeyConstraint(
            ["region_id", "client_pk"],
            ["oidc_client.region_id", "oidc_client.id"],
            ondelete="CASCADE",
        ),
        Index("ix_oidc_token_user_client", "region_id", "user_id", "client_pk"),
    )

    client_pk: Mapped[uuid.UUID] = mapped_column(index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    session_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_session.id", ondelete="SET NULL"), index=True
    )
    family_id: Mapped[uuid.UUID] = mapped_column(index=True)
    scope: Mapped[str] = mapped_column(String(500))
    access_jti: Mapped[str] = mapped_column(String(64), unique=True)
    access_expires_at: Mapped[datetime]
    refresh_token_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32), unique=True)
    refresh_expires_at: Mapped[datetime | None]
    auth_time: Mapped[datetime]
    amr: Mapped[list[str]] = mapped_column(ARRAY(String(10)), default=list)
    issued_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
    #: The refresh token was used and replaced by a newer row of the family.
    rotated_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    #: Why: "revocation" (RFC 7009), "reuse", "consent_revoked", "logout", "password", ...
    revoked_reason: Mapped[str] = mapped_column(String(40), default="")


class OidcConsent(IdMixin, RegionScoped, Base):
    """What a user allowed an app to receive. Remembered; listed under "Aplikasi terhubung";
    revoking it ends the app's tokens. A revoked consent row is kept (history); a new grant
    makes a new row."""

    __tablename__ = "oidc_consent"
    __table_args__ = (
        ForeignKeyConstraint(
            ["region_id", "client_pk"],
            ["oidc_client.region_id", "oidc_client.id"],
            ondelete="CASCADE",
        ),
        Index(
            "uq_oidc_consent_active",
            "user_id",
            "client_pk",
            unique=True,
            postgresql_where="revoked_at IS NULL",
        ),
    )

    client_pk: Mapped[uuid.UUID] = mapped_column(index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(40)), default=list)
    granted_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
    revoked_at: Mapped[datetime | None]


class ReleaseChannel(enum.StrEnum):
    """How a user's data reached an app."""

    ID_TOKEN = "id_token"  # noqa: S105 - a channel name, not a secret
    USERINFO = "userinfo"
    INTROSPECTION = "introspection"
    GATEWAY = "gateway"


RELEASE_CHANNEL_LABELS = {
    "id_token": lazy("Token identitas saat masuk"),
    "userinfo": lazy("Permintaan data pengguna (userinfo)"),
    "introspection": lazy("Pemeriksaan token"),
    "gateway": lazy("Panggilan layanan lewat gateway"),
}


class OidcRelease(IdMixin, RegionScoped, Base):
    """One release of a user's data to an app through the provider: which claims (names
    only, never values), when, how. The citizen's "Siapa yang melihat data saya" lists these
    next to the staff reads of the audit trail."""

    __tablename__ = "oidc_release"
    __table_args__ = (
        ForeignKeyConstraint(
            ["region_id", "client_pk"],
            ["oidc_client.region_id", "oidc_client.id"],
            ondelete="CASCADE",
        ),
        Index("ix_oidc_release_user_at", "region_id", "user_id", "at"),
    )

    client_pk: Mapped[uuid.UUID] = mapped_column(index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    channel: Mapped[ReleaseChannel] = mapped_column(
        value_enum(ReleaseChannel, "oidc_release_channel")
    )
    claims: Mapped[list[str]] = mapped_column(ARRAY(String(40)), default=list)
    at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)


class BackchannelLogout(IdMixin, RegionScoped, Base):
    """A logout token to deliver to a client's ``backchannel_logout_uri`` (an outbox row,
    written in the transaction that ended the session; a worker step POSTs it)."""

    __tablename__ = "oidc_backchannel_logout"
    __table_args__ = (
        ForeignKeyConstraint(
            ["region_id", "client_pk"],
            ["oidc_client.region_id", "oidc_client.id"],
            ondelete="CASCADE",
        ),
        Index(
            "ix_oidc_backchannel_logout_due",
            "next_attempt_at",
            postgresql_where="delivered_at IS NULL AND gave_up_at IS NULL",
        ),
    )

    client_pk: Mapped[uuid.UUID]
    #: The signed logout token (a JWT: iss, aud, iat, jti, sub and/or sid, events).
    logout_token: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    delivered_at: Mapped[datetime | None]
    gave_up_at: Mapped[datetime | None]
