"""Issued documents: the signed PDF an approved application produces, and its revocation."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from simpul.core.models import Base, IdMixin, RegionScoped, utcnow

#: Length of a verification code: 16 random bytes as URL-safe base64 (22 characters).
CODE_LENGTH = 22


class IssuedDocument(IdMixin, RegionScoped, Base):
    """A signed PDF issued for an application; revoked rows stay (verification says so)."""

    __tablename__ = "issued_document"
    __table_args__ = (
        UniqueConstraint("region_id", "number"),
        ForeignKeyConstraint(
            ["region_id", "application_id"],
            ["application.region_id", "application.id"],
            ondelete="RESTRICT",
        ),
        ForeignKeyConstraint(
            ["region_id", "revoked_by"],
            ["user_account.region_id", "user_account.id"],
            ondelete="RESTRICT",
        ),
    )

    application_id: Mapped[uuid.UUID] = mapped_column(index=True)
    #: The document number printed on it, unique in the region (e.g. 503/0012/DPMPTSP/2026).
    number: Mapped[str] = mapped_column(String(80))
    #: The random verification code in the QR code's URL (``secrets.token_urlsafe(16)``).
    code: Mapped[str] = mapped_column(String(40), unique=True)
    #: SHA-256 (hex) of the signed PDF as issued.
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300), unique=True)
    signer_name: Mapped[str] = mapped_column(String(200))
    signed_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    #: The officer who revoked it.
    revoked_by: Mapped[uuid.UUID | None]
