"""evaluation: exact daily rollups behind the KPI dashboards

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 12:00:00.000000

``evaluation_daily_rollup`` (counts per region, service and local day),
``evaluation_daily_duration`` (a histogram of working days to finish),
``evaluation_daily_decision`` (officers' decisions per day, for ``/data/statistics``).
The backfill is the one ``simpul rollups rebuild`` runs (decision 0034).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COUNTS = (
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

_DECISIONS = ("returned", "rejected", "approved", "passed")


def _keys() -> list[sa.Column[object]]:
    return [
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
    ]


def _foreign_keys() -> list[sa.ForeignKeyConstraint]:
    return [
        sa.ForeignKeyConstraint(["region_id"], ["region.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["region_id", "service_id"], ["service.region_id", "service.id"], ondelete="CASCADE"
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "evaluation_daily_rollup",
        *_keys(),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in _COUNTS],
        *_foreign_keys(),
        sa.PrimaryKeyConstraint("region_id", "day", "service_id"),
    )
    op.create_table(
        "evaluation_daily_duration",
        *_keys(),
        sa.Column("working_days", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        *_foreign_keys(),
        sa.PrimaryKeyConstraint("region_id", "day", "service_id", "working_days"),
    )
    op.create_table(
        "evaluation_daily_decision",
        *_keys(),
        sa.Column("operator_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in _DECISIONS],
        *_foreign_keys(),
        sa.PrimaryKeyConstraint("region_id", "day", "service_id", "operator_id", "role"),
    )
    # The backfill: the rebuild `simpul rollups rebuild` runs, in the migration's transaction.
    from simpul.evaluation.rollups import service

    session = Session(bind=op.get_bind())
    for region_id, _slug in service.list_regions(session):
        service.rebuild_region(session, region_id)
    session.flush()


def downgrade() -> None:
    op.drop_table("evaluation_daily_decision")
    op.drop_table("evaluation_daily_duration")
    op.drop_table("evaluation_daily_rollup")
