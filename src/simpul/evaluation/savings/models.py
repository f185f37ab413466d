"""The savings ledger: the region's unit costs, each service's offline path, one row per
application completed online."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKeyConstraint,
    Index,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from simpul.core.models import Base, IdMixin, RegionScoped, TimestampMixin, utcnow


class SavingsRate(IdMixin, TimestampMixin, RegionScoped, Base):
    """The unit costs in rupiah a region sets; without a row the documented defaults apply.

    Entries copy the amounts at completion time, so changing a rate never rewrites history.
    """

    __tablename__ = "savings_rate"
    __table_args__ = (
        UniqueConstraint("region_id"),
        CheckConstraint(
            "sheet_rupiah >= 0 AND printed_copy_rupiah >= 0 AND courier_trip_rupiah >= 0 "
            "AND citizen_trip_rupiah >= 0",
            name="rates_not_negative",
        ),
    )

    sheet_rupiah: Mapped[int] = mapped_column(BigInteger)
    printed_copy_rupiah: Mapped[int] = mapped_column(BigInteger)
    courier_trip_rupiah: Mapped[int] = mapped_column(BigInteger)
    citizen_trip_rupiah: Mapped[int] = mapped_column(BigInteger)
    #: Where the figures come from (a price survey, the regional minimum wage decree...).
    source: Mapped[str] = mapped_column(Text, default="")


class ServiceSavingsProfile(IdMixin, TimestampMixin, RegionScoped, Base):
    """What one service's offline path takes; without a row it is derived from the service."""

    __tablename__ = "service_savings_profile"
    __table_args__ = (
        UniqueConstraint("service_id"),
        ForeignKeyConstraint(
            ["region_id", "service_id"], ["service.region_id", "service.id"], ondelete="CASCADE"
        ),
        CheckConstraint(
            "sheets >= 0 AND printed_copies >= 0 AND courier_trips >= 0 AND citizen_trips >= 0",
            name="quantities_not_negative",
        ),
    )

    service_id: Mapped[uuid.UUID]
    sheets: Mapped[int]
    printed_copies: Mapped[int]
    courier_trips: Mapped[int]
    citizen_trips: Mapped[int]
    note: Mapped[str] = mapped_column(Text, default="")


class SavingsEntry(IdMixin, RegionScoped, Base):
    """One application completed online and what its offline path would have cost then.

    Append-only: quantities and rupiah are fixed when the application completes.
    """

    __tablename__ = "savings_entry"
    __table_args__ = (
        UniqueConstraint("application_id"),
        ForeignKeyConstraint(
            ["region_id", "application_id"],
            ["application.region_id", "application.id"],
            ondelete="CASCADE",
        ),
        Index("ix_savings_entry_region_completed", "region_id", "completed_at"),
    )

    application_id: Mapped[uuid.UUID]
    #: The service and its agency at completion (kept even if the service moves later).
    service_id: Mapped[uuid.UUID]
    agency_id: Mapped[uuid.UUID]
    completed_at: Mapped[datetime]
    sheets: Mapped[int]
    printed_copies: Mapped[int]
    courier_trips: Mapped[int]
    citizen_trips: Mapped[int]
    sheet_rupiah: Mapped[int] = mapped_column(BigInteger)
    printed_copy_rupiah: Mapped[int] = mapped_column(BigInteger)
    courier_rupiah: Mapped[int] = mapped_column(BigInteger)
    citizen_trip_rupiah: Mapped[int] = mapped_column(BigInteger)
    total_rupiah: Mapped[int] = mapped_column(BigInteger)
    recorded_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
