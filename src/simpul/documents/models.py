"""Issued documents: the signed PDF an approved application produces, and its revocation."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Final

from sqlalchemy import (
    CheckConstraint,
    ForeignKeyConstraint,
    Index,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from simpul.core.models import Base, IdMixin, RegionScoped, utcnow, value_enum

#: The product code of the generic letter a service with no product templates issues.
GENERIC_PRODUCT_CODE: Final = "dokumen"


class IssuedDocument(IdMixin, RegionScoped, Base):
    """A signed PDF issued for an application; revoked rows stay (verification says so).

    Besides what binds a file to it (the hash, the signer's certificate), the row keeps what
    the document prints, as the public verification page repeats it: the product, the agency,
    the date, the signer and position, and the holder's name masked.
    """

    __tablename__ = "issued_document"
    __table_args__ = (
        UniqueConstraint("region_id", "number"),
        ForeignKeyConstraint(
            ["region_id", "application_id"],
            ["application.region_id", "application.id"],
            ondelete="RESTRICT",
        ),
        # One document in force per product of an application (a re-issue follows a
        # revocation).
        Index(
            "uq_issued_document_in_force",
            "region_id",
            "application_id",
            "product_code",
            unique=True,
            postgresql_where=text("revoked_at IS NULL"),
        ),
        ForeignKeyConstraint(
            ["region_id", "revoked_by"],
            ["user_account.region_id", "user_account.id"],
            ondelete="RESTRICT",
        ),
    )

    application_id: Mapped[uuid.UUID] = mapped_column(index=True)
    #: Which of the service's products it is (``ProductTemplate.code``; ``dokumen``: the
    #: generic letter of a service that declares none).
    product_code: Mapped[str] = mapped_column(
        String(40), default=GENERIC_PRODUCT_CODE, server_default=GENERIC_PRODUCT_CODE
    )
    #: The document number printed on it, unique in the region (e.g. 503/0012/DPMPTSP/2026).
    number: Mapped[str] = mapped_column(String(80))
    #: The verification code printed under the QR code and in its URL (``codes.new_code``:
    #: ``K7QM-3XH2-9TFA-WP4D``; documents issued before carry ``secrets.token_urlsafe(16)``).
    code: Mapped[str] = mapped_column(String(40), unique=True)
    #: SHA-256 (hex) of the signed PDF as issued (it ends with the issuing signature).
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300), unique=True)
    signer_name: Mapped[str] = mapped_column(String(200))
    #: SHA-256 (hex) of the DER of the certificate that signed it. NULL only for a document
    #: issued before this was kept whose signing job is gone: its hash binds it alone.
    signer_fingerprint: Mapped[str | None] = mapped_column(String(64))
    #: The position printed above the signature (today the agency's name).
    signer_position: Mapped[str] = mapped_column(String(200), default="", server_default="")
    #: The product named in the service standard: the document's title.
    product: Mapped[str] = mapped_column(String(200), default="", server_default="")
    agency_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    #: The holder's name with all but each word's first letter hidden ("N*** A*****").
    holder_masked: Mapped[str] = mapped_column(String(200), default="", server_default="")
    #: The day printed as "Ditetapkan pada" (the last approval's day in the region).
    issued_on: Mapped[date] = mapped_column(server_default=func.current_date())
    signed_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    #: The officer who revoked it.
    revoked_by: Mapped[uuid.UUID | None]


class SigningCredential(IdMixin, RegionScoped, Base):
    """An officer's signing key and certificate: a PKCS#12 file sealed by their passphrase.

    The PKCS#12 is kept in the database (encrypted by the officer's passphrase, which Simpul
    never stores for longer than one signing job), so every worker can sign without a shared
    file system. At most one credential per officer is active; a replaced one is disabled.
    """

    __tablename__ = "signing_credential"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'pkcs12' AND pkcs12 IS NOT NULL) OR "
            "(kind = 'pkcs11' AND token_label IS NOT NULL AND key_label IS NOT NULL)",
            name="key_is_somewhere",
        ),
        ForeignKeyConstraint(
            ["region_id", "user_id"],
            ["user_account.region_id", "user_account.id"],
            ondelete="CASCADE",
        ),
        UniqueConstraint("region_id", "id"),
        Index(
            "uq_signing_credential_active",
            "region_id",
            "user_id",
            unique=True,
            postgresql_where=text("disabled_at IS NULL"),
        ),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(index=True)
    #: ``pkcs12`` (the file below) or ``pkcs11`` (a key on a token: an HSM or a smart card,
    #: reached through the server's ``SIMPUL_PKCS11_MODULE``; the passphrase is its PIN).
    kind: Mapped[str] = mapped_column(String(10), default="pkcs12", server_default="pkcs12")
    pkcs12: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: On a token: the token's label and the label of the key and its certificate.
    token_label: Mapped[str | None] = mapped_column(String(100))
    key_label: Mapped[str | None] = mapped_column(String(100))
    certificate_pem: Mapped[str] = mapped_column(Text)
    #: The certificate's subject common name: the name printed on the stamp.
    subject_name: Mapped[str] = mapped_column(String(200))
    #: SHA-256 (hex) of the certificate's DER encoding.
    fingerprint: Mapped[str] = mapped_column(String(64))
    not_after: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
    disabled_at: Mapped[datetime | None]


class DocumentJobStatus(enum.StrEnum):
    QUEUED = "queued"
    WORKING = "working"
    DONE = "done"
    DEAD = "dead"


class DocumentJob(IdMixin, RegionScoped, Base):
    """Render, sign and store the document of one approved application (a worker's job).

    Written in the approval's transaction with the number and code the document will carry,
    so the job exists only if the approval commits. The passphrase is kept encrypted with the
    server's secret only until the job is done or given up (``passphrase_encrypted`` NULL).
    """

    __tablename__ = "document_job"
    __table_args__ = (
        ForeignKeyConstraint(
            ["region_id", "application_id"],
            ["application.region_id", "application.id"],
            ondelete="RESTRICT",
        ),
        ForeignKeyConstraint(
            ["region_id", "signer_id"],
            ["user_account.region_id", "user_account.id"],
            ondelete="RESTRICT",
        ),
        ForeignKeyConstraint(
            ["region_id", "credential_id"],
            ["signing_credential.region_id", "signing_credential.id"],
            ondelete="RESTRICT",
        ),
        UniqueConstraint("region_id", "number"),
        Index("ix_document_job_due", "status", "next_attempt_at"),
        # One job in flight per product of an application.
        Index(
            "uq_document_job_in_flight",
            "region_id",
            "application_id",
            "product_code",
            unique=True,
            postgresql_where=text("status IN ('queued', 'working')"),
        ),
    )

    application_id: Mapped[uuid.UUID] = mapped_column(index=True)
    #: The product this job makes (``ProductTemplate.code``, or ``dokumen``).
    product_code: Mapped[str] = mapped_column(
        String(40), default=GENERIC_PRODUCT_CODE, server_default=GENERIC_PRODUCT_CODE
    )
    signer_id: Mapped[uuid.UUID]
    credential_id: Mapped[uuid.UUID]
    number: Mapped[str] = mapped_column(String(80))
    code: Mapped[str] = mapped_column(String(40), unique=True)
    passphrase_encrypted: Mapped[str | None] = mapped_column(Text)
    status: Mapped[DocumentJobStatus] = mapped_column(
        value_enum(DocumentJobStatus, "document_job_status"),
        default=DocumentJobStatus.QUEUED,
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
    finished_at: Mapped[datetime | None]


class DocumentNumberCounter(RegionScoped, Base):
    """The last document number given in a region and year (numbers run 1, 2, ... per year)."""

    __tablename__ = "document_number_counter"
    __table_args__ = (PrimaryKeyConstraint("region_id", "year"),)

    year: Mapped[int]
    last: Mapped[int] = mapped_column(default=0)
