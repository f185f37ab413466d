"""Second factors and the login between password and second factor (issue 18).

A TOTP secret is stored encrypted (``core.security.encrypt``); recovery codes and the
pending-login token only as keyed or SHA-256 digests.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, LargeBinary, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from simpul.core.models import Base, IdMixin, RegionScoped, utcnow


class TotpFactor(IdMixin, RegionScoped, Base):
    """A user's authenticator app (RFC 6238, 30-second steps, 6 digits). One per user; it
    counts only once confirmed with a code."""

    __tablename__ = "totp_factor"
    __table_args__ = (UniqueConstraint("user_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    #: The base32 secret, encrypted under the deployment's secret.
    secret_encrypted: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
    #: When a first code proved the user's app has the secret; None: still being set up.
    confirmed_at: Mapped[datetime | None]
    #: The last time step a code was accepted for: a code of that step or earlier is refused.
    last_used_step: Mapped[int | None] = mapped_column(BigInteger)
    #: Wrong codes (TOTP or recovery) since ``failures_since``: the throttle's counter.
    failures: Mapped[int] = mapped_column(default=0, server_default="0")
    failures_since: Mapped[datetime | None]


class RecoveryCode(IdMixin, RegionScoped, Base):
    """A single-use code for when the phone is lost; stored as a keyed hash."""

    __tablename__ = "recovery_code"
    __table_args__ = (UniqueConstraint("user_id", "code_hash"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
    used_at: Mapped[datetime | None]


class PendingLogin(IdMixin, RegionScoped, Base):
    """A correct password waiting for its second factor (or, for a user who must have one,
    for its enrolment). The cookie holds a random token; only its SHA-256 is stored. Single
    use, short-lived, bound to the user and the region."""

    __tablename__ = "pending_login"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    #: ``verify`` (ask for the code) or ``enrol`` (must set up an authenticator first).
    purpose: Mapped[str] = mapped_column(String(10))
    #: Where to go after the login (a page of the same region, checked at login).
    target: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class WebauthnCredential(IdMixin, RegionScoped, Base):
    """A passkey (WebAuthn public-key credential) of a user. Only the public key is stored;
    the private key never leaves the user's authenticator."""

    __tablename__ = "webauthn_credential"
    __table_args__ = (UniqueConstraint("region_id", "credential_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    credential_id: Mapped[bytes] = mapped_column(LargeBinary)
    #: The COSE-encoded public key (RFC 9052) the registration returned.
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    #: The authenticator's signature counter; an assertion must raise it (0 stays 0 for
    #: authenticators without a counter, e.g. synced passkeys).
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    #: What the browser said the authenticator speaks (``internal``, ``usb``, ``hybrid``...).
    transports: Mapped[list[str]] = mapped_column(ARRAY(String(20)), default=list)
    aaguid: Mapped[str] = mapped_column(String(36), default="")
    #: The name the user gave it ("Ponsel saya").
    name: Mapped[str] = mapped_column(String(60))
    #: Whether the passkey may be synced (backup eligible) and is synced now (backed up).
    backup_eligible: Mapped[bool] = mapped_column(default=False)
    backed_up: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
    last_used_at: Mapped[datetime | None]


class WebauthnChallenge(IdMixin, RegionScoped, Base):
    """A challenge given to the browser for registering a passkey or signing in with one:
    single use, short-lived, bound to the user (when known), the region and the purpose.
    Only its SHA-256 is stored (the browser sends it back inside the signed client data)."""

    __tablename__ = "webauthn_challenge"

    #: None for a sign-in with a passkey alone (the passkey names the user).
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    challenge_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    #: ``register``, ``login`` (the second step) or ``signin`` (passkey alone).
    purpose: Mapped[str] = mapped_column(String(10))
    expires_at: Mapped[datetime] = mapped_column(index=True)
