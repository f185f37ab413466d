"""A retribusi paid for an application (step kind ``payment``, decision 0047)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKeyConstraint,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from simpul.core.models import Base, IdMixin, RegionScoped, utcnow


class ApplicationPayment(IdMixin, RegionScoped, Base):
    """One payment of an application's payment step, recorded by an officer or by the payment
    provider's signed notification. Append-only by use: a reference is never recorded twice
    in a region (a replayed notification finds it), a step is paid once."""

    __tablename__ = "application_payment"
    __table_args__ = (
        UniqueConstraint("region_id", "reference"),
        UniqueConstraint("region_id", "application_id", "step"),
        ForeignKeyConstraint(
            ["region_id", "application_id"],
            ["application.region_id", "application.id"],
            ondelete="CASCADE",
        ),
        CheckConstraint("amount > 0", name="payment_amount_positive"),
        CheckConstraint("source IN ('officer', 'provider')", name="payment_source"),
    )

    application_id: Mapped[uuid.UUID]
    #: The workflow step the payment settles.
    step: Mapped[str] = mapped_column(String(40))
    #: The provider's (or bank's) reference of the payment.
    reference: Mapped[str] = mapped_column(String(100))
    #: Whole rupiah.
    amount: Mapped[int] = mapped_column(BigInteger)
    paid_at: Mapped[datetime]
    #: ``officer`` (typed on the task page) or ``provider`` (the signed notification).
    source: Mapped[str] = mapped_column(String(10))
    recorded_by_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
