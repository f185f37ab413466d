"""The record the upload limits keep (``upload_limits``): one row per upload request."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, LargeBinary, func
from sqlalchemy.orm import Mapped, mapped_column

from simpul.core.models import Base, IdMixin, RegionScoped, utcnow


class UploadAttempt(IdMixin, RegionScoped, Base):
    """An upload request (accepted or refused), kept for the rate limits and then deleted by
    ``simpul worker``. The source address is kept only as a keyed hash (it is personal data)."""

    __tablename__ = "upload_attempt"
    __table_args__ = (
        Index("ix_upload_attempt_account", "account_id", "at"),
        Index("ix_upload_attempt_address", "address_hash", "at"),
    )

    account_id: Mapped[uuid.UUID]
    address_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow, index=True)
