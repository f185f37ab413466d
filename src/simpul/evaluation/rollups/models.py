"""Daily rollups of applications per region, service and local day, kept exact (decision 0034).

``evaluation_daily_rollup`` holds counts per day of the region's calendar; the backlog columns
are day-by-day changes whose running sum up to a day gives the backlog at that day's start.
``evaluation_daily_duration`` is a histogram of working days to finish, so medians and
percentiles stay exact. ``evaluation_daily_decision`` counts officers' decisions.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import ForeignKeyConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from simpul.core.models import Base

#: The counted columns of a daily rollup row, in the order a share lists them.
COUNT_COLUMNS = (
    "received",
    "finished",
    "completed",
    "rejected",
    "within_sla",
    "online",
    "open_change",
    "returned_change",
    "overdue_change",
    "open_due",
)


class DailyRollup(Base):
    """Counts of one service's applications on one local day of its region."""

    __tablename__ = "evaluation_daily_rollup"
    __table_args__ = (
        ForeignKeyConstraint(["region_id"], ["region.id"], ondelete="CASCADE"),
        ForeignKeyConstraint(
            ["region_id", "service_id"], ["service.region_id", "service.id"], ondelete="CASCADE"
        ),
    )

    region_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    service_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    #: First submitted that day (any status).
    received: Mapped[int] = mapped_column(Integer, default=0)
    #: Completed or rejected that day (the monthly chart).
    finished: Mapped[int] = mapped_column(Integer, default=0)
    #: Completed / rejected that day, submitted before (the KPIs).
    completed: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    within_sla: Mapped[int] = mapped_column(Integer, default=0)
    online: Mapped[int] = mapped_column(Integer, default=0)
    #: Changes from this day on of the backlog at a day's start: open, of them returned to the
    #: citizen, and overdue (not returned, deadline before that day).
    open_change: Mapped[int] = mapped_column(Integer, default=0)
    returned_change: Mapped[int] = mapped_column(Integer, default=0)
    overdue_change: Mapped[int] = mapped_column(Integer, default=0)
    #: Applications open now, not returned, whose deadline is this day (today's overdue).
    open_due: Mapped[int] = mapped_column(Integer, default=0)


class DurationRollup(Base):
    """How many of a service's applications finished on a day took ``working_days``."""

    __tablename__ = "evaluation_daily_duration"
    __table_args__ = (
        ForeignKeyConstraint(["region_id"], ["region.id"], ondelete="CASCADE"),
        ForeignKeyConstraint(
            ["region_id", "service_id"], ["service.region_id", "service.id"], ondelete="CASCADE"
        ),
    )

    region_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    service_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    working_days: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


#: The operator of a decision no officer is named for (the primary key needs a value).
NO_OPERATOR = uuid.UUID(int=0)


class DailyDecision(Base):
    """Officers' decisions on one local day: per service, deciding officer and step role
    (the Registration API's ``/data/statistics``)."""

    __tablename__ = "evaluation_daily_decision"
    __table_args__ = (
        ForeignKeyConstraint(["region_id"], ["region.id"], ondelete="CASCADE"),
        ForeignKeyConstraint(
            ["region_id", "service_id"], ["service.region_id", "service.id"], ondelete="CASCADE"
        ),
    )

    region_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    service_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    operator_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    role: Mapped[str] = mapped_column(String(40), primary_key=True)
    returned: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    #: Approvals at the last step, that completed the application.
    approved: Mapped[int] = mapped_column(Integer, default=0)
    #: Approvals that passed it to a next step (not counted, but they list the period).
    passed: Mapped[int] = mapped_column(Integer, default=0)
