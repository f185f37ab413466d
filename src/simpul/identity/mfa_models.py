"""Second factors and the login between password and second factor (issue 18).

A TOTP secret is stored encrypted (``core.security.encrypt``); recovery codes and the
pending-login token only as keyed or SHA-256 digests.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, LargeBinary, String, Text, UniqueConstraint, func
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
