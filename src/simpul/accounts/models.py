"""People and how they prove who they are: accounts, staff roles, sessions, API tokens."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Computed,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    LargeBinary,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column, relationship

from simpul.core.i18n import lazy
from simpul.core.models import Base, IdMixin, RegionScoped, TimestampMixin, utcnow, value_enum


class AccountKind(enum.StrEnum):
    CITIZEN = "citizen"
    STAFF = "staff"
    REGION_ADMIN = "region_admin"


#: How each kind of account is named to people (translated at render time).
ACCOUNT_KIND_LABELS = {
    "citizen": lazy("Warga"),
    "staff": lazy("Petugas"),
    "region_admin": lazy("Admin wilayah"),
}


class StaffRoleName(enum.StrEnum):
    """What a staff member may do for an agency."""

    VERIFIKATOR = "verifikator"
    #: Enters data in the agency's system (the register number) at a data_entry step.
    OPERATOR = "operator"
    PENYETUJU = "penyetuju"
    #: The head of the office (kepala dinas) or whom they appoint: signs the products.
    PENANDATANGAN = "penandatangan"
    ADMIN_OPD = "admin_opd"
    #: The region's complaint desk (admin pengaduan): sorts every complaint of the region to
    #: an agency, whichever agency the role is held in (decision 0056).
    ADMIN_PENGADUAN = "admin_pengaduan"


STAFF_ROLE_LABELS = {
    "verifikator": lazy("Verifikator"),
    "operator": lazy("Operator"),
    "penyetuju": lazy("Penyetuju"),
    "penandatangan": lazy("Penandatangan"),
    "admin_opd": lazy("Admin OPD"),
    "admin_pengaduan": lazy("Admin pengaduan"),
}


class User(IdMixin, TimestampMixin, RegionScoped, Base):
    """An account in one region. NIK is kept only as a keyed hash and an encrypted copy."""

    __tablename__ = "user_account"
    __table_args__ = (
        UniqueConstraint("region_id", "email"),
        UniqueConstraint("region_id", "id"),
        Index(
            "uq_user_account_region_id_nik_hash",
            "region_id",
            "nik_hash",
            unique=True,
            postgresql_where="nik_hash IS NOT NULL",
        ),
        CheckConstraint("kind <> 'citizen' OR nik_hash IS NOT NULL", name="citizen_has_nik"),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        # Registrations waiting for their activation link, oldest first (for the clean-up).
        Index(
            "ix_user_account_pending",
            "region_id",
            "created_at",
            postgresql_where="activated_at IS NULL",
        ),
        # The officers' inbox finds applications by a word of the applicant's name (0044).
        Index(
            "ix_user_account_name_words",
            "name_words",
            postgresql_using="gin",
            postgresql_where="kind = 'citizen'",
        ),
    )

    kind: Mapped[AccountKind] = mapped_column(value_enum(AccountKind, "account_kind"))
    email: Mapped[str] = mapped_column(String(254))
    full_name: Mapped[str] = mapped_column(String(200))
    #: The name's words, lower-cased, for the inbox's search by applicant name.
    name_words: Mapped[str] = mapped_column(
        TSVECTOR,
        Computed("to_tsvector('simple'::regconfig, full_name)", persisted=True),
        deferred=True,
    )
    phone: Mapped[str] = mapped_column(String(20), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    #: HMAC-SHA256 of the NIK under a key derived from the region's secret: finds duplicates
    #: without keeping the number readable.
    nik_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    #: The NIK encrypted (Fernet) for the owner and authorised officers.
    nik_encrypted: Mapped[str | None] = mapped_column(String(200))
    locale: Mapped[str] = mapped_column(String(5), default="id")
    #: An officer's civil servant number (NIP, 18 digits) and position (jabatan), printed
    #: under their signature on the products they sign; empty for everyone else.
    nip: Mapped[str] = mapped_column(String(18), default="", server_default="")
    position: Mapped[str] = mapped_column(String(200), default="", server_default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    #: When the owner opened the link sent to the e-mail address (accounts made by
    #: administrators: when made). None: a registration waiting for that link; it cannot log
    #: in, holds its NIK and e-mail only until a newer registration of them, and is deleted
    #: when the link expires.
    activated_at: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    #: When the owner proved the current e-mail address is theirs (the activation link, or
    #: the link sent to a new address); None: not verified. OIDC's ``email_verified``.
    email_verified_at: Mapped[datetime | None]
    #: When the owner entered the code sent to the current phone number; None: not verified.
    phone_verified_at: Mapped[datetime | None]
    #: When the owner closed the account (UU PDP, hak penghapusan): the name, e-mail, phone
    #: and NIK were replaced by placeholders then (``identity.closure``); it cannot log in,
    #: and the same e-mail and NIK may register again as a new account.
    closed_at: Mapped[datetime | None]

    #: Loaded when first used (citizens, most API callers, never need them).
    roles: Mapped[list[StaffRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="select"
    )


class StaffRole(IdMixin, RegionScoped, Base):
    """A role a staff member holds in one agency of the same region."""

    __tablename__ = "staff_role"
    __table_args__ = (
        UniqueConstraint("user_id", "agency_id", "role"),
        ForeignKeyConstraint(
            ["region_id", "user_id"],
            ["user_account.region_id", "user_account.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["region_id", "agency_id"], ["agency.region_id", "agency.id"], ondelete="CASCADE"
        ),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(index=True)
    agency_id: Mapped[uuid.UUID] = mapped_column(index=True)
    role: Mapped[StaffRoleName] = mapped_column(value_enum(StaffRoleName, "staff_role_name"))

    user: Mapped[User] = relationship(
        back_populates="roles",
        foreign_keys=[user_id],
        primaryjoin="StaffRole.user_id == User.id",
    )


#: Why an officer is away (``OfficerAbsence.reason``), as the agency's admin names it.
ABSENCE_REASONS = {
    "cuti": lazy("Cuti"),
    "sakit": lazy("Sakit"),
    "dinas_luar": lazy("Dinas luar"),
    "lainnya": lazy("Lainnya"),
}


class OfficerAbsence(IdMixin, RegionScoped, Base):
    """An officer away from an agency's desk (leave, sickness, travel) and who stands in.

    While it runs (``starts_on`` .. ``ends_on``, unless ``ended_at`` ended it early), tasks
    that would go to ``officer_id`` go to ``delegate_id`` (decision 0047).
    """

    __tablename__ = "officer_absence"
    __table_args__ = (
        ForeignKeyConstraint(
            ["region_id", "officer_id"],
            ["user_account.region_id", "user_account.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["region_id", "delegate_id"],
            ["user_account.region_id", "user_account.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["region_id", "agency_id"], ["agency.region_id", "agency.id"], ondelete="CASCADE"
        ),
        CheckConstraint("ends_on >= starts_on", name="absence_period"),
        CheckConstraint("officer_id <> delegate_id", name="absence_other_delegate"),
        CheckConstraint(
            "reason IN ('cuti', 'sakit', 'dinas_luar', 'lainnya')", name="absence_reason"
        ),
        Index("ix_officer_absence_officer", "region_id", "officer_id", "ends_on"),
    )

    agency_id: Mapped[uuid.UUID]
    officer_id: Mapped[uuid.UUID]
    delegate_id: Mapped[uuid.UUID]
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    reason: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(500), default="", server_default="")
    created_by_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
    #: Set when the admin ends the absence before ``ends_on`` (the officer is back).
    ended_at: Mapped[datetime | None]


class UserSession(IdMixin, RegionScoped, Base):
    """A browser login. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "user_session"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    #: The device as its browser names itself (User-Agent, cut to 300), for "Perangkat".
    user_agent: Mapped[str] = mapped_column(String(300), default="", server_default="")
    #: The address it logged in from (``core.security.client_source``).
    source: Mapped[str] = mapped_column(String(45), default="", server_default="")
    #: Last request seen with this session (updated at most every few minutes).
    last_seen_at: Mapped[datetime | None]
    #: How the login was proven (RFC 8176 values: ``pwd``, ``otp``, ``hwk``, ``mfa``); the
    #: provider copies it into ID tokens as ``amr``.
    amr: Mapped[list[str]] = mapped_column(
        ARRAY(String(10)), default=lambda: ["pwd"], server_default="{pwd}"
    )


class ApiToken(IdMixin, RegionScoped, Base):
    """A personal API token for scripts (``Authorization: Bearer``). Shown once, stored hashed."""

    __tablename__ = "api_token"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    #: The first characters of the token, shown in lists so the owner can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class LoginAttempt(IdMixin, RegionScoped, Base):
    """One try to log in, kept for throttling. The e-mail is stored as a keyed hash only;
    ``ip`` is the source as ``core.security.client_source`` gives it."""

    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_lookup", "region_id", "email_hash", "at"),)

    email_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    ip: Mapped[str] = mapped_column(String(45), index=True)
    succeeded: Mapped[bool]
    at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)


class RegistrationAttempt(IdMixin, RegionScoped, Base):
    """One well-formed registration, kept for throttling. NIK and e-mail as keyed hashes only."""

    __tablename__ = "registration_attempt"
    __table_args__ = (
        Index("ix_registration_attempt_nik", "region_id", "nik_hash", "at"),
        Index("ix_registration_attempt_email", "region_id", "email_hash", "at"),
        Index("ix_registration_attempt_source", "source", "at"),
    )

    #: The client's address (IPv6: its /64), see ``core.security.client_source``.
    source: Mapped[str] = mapped_column(String(45))
    nik_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    email_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow, index=True)


class AccountLinkPurpose(enum.StrEnum):
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a purpose, not a secret
    EMAIL_CHANGE = "email_change"


class AccountLink(IdMixin, RegionScoped, Base):
    """A single-use link sent by e-mail: a password reset, or the proof that a new e-mail
    address is the owner's (``accounts.recovery``). Only the token's digest is stored."""

    __tablename__ = "account_link"
    __table_args__ = (Index("ix_account_link_user", "user_id", "purpose"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    purpose: Mapped[AccountLinkPurpose] = mapped_column(
        value_enum(AccountLinkPurpose, "account_link_purpose")
    )
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    #: The address an e-mail change goes to (empty for a password reset).
    new_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class PhoneVerification(IdMixin, RegionScoped, Base):
    """A one-time code sent to a phone number the owner wants on their account; the code is
    stored as a keyed hash, tried at most ``phone_code_max_tries`` times."""

    __tablename__ = "phone_verification"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    phone: Mapped[str] = mapped_column(String(20))
    code_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
    expires_at: Mapped[datetime]
    tries: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None]


class RecoveryAttempt(IdMixin, RegionScoped, Base):
    """One request that sends a message (a reset link, a change link, a phone code), kept for
    throttling: per source address and per subject (a keyed hash of the e-mail or the account)."""

    __tablename__ = "recovery_attempt"
    __table_args__ = (
        Index("ix_recovery_attempt_subject", "region_id", "action", "subject_hash", "at"),
        Index("ix_recovery_attempt_source", "action", "source", "at"),
    )

    action: Mapped[str] = mapped_column(String(30))
    source: Mapped[str] = mapped_column(String(45))
    subject_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow, index=True)
