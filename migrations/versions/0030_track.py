"""A citizen may cancel an application no officer has taken yet: status ``cancelled``.

The application's history records the cancellation (action ``cancel``) and its open task is
closed as ``cancelled`` (a value ``task_status`` already has). Decision 0051.

Revision ID: 0030_track
Revises: 0029_notify
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0030_track"
down_revision: str | None = "0029_notify"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ADD VALUE runs in the migration's transaction (PostgreSQL 12+); the value is not used
    # before it commits.
    op.execute("ALTER TYPE application_status ADD VALUE IF NOT EXISTS 'cancelled'")


def downgrade() -> None:
    # PostgreSQL cannot drop an enum value; it stays (unused) in the type. Cancelled
    # applications would mean nothing to the older code, so they stop the downgrade.
    cancelled = (
        op.get_bind()
        .execute(sa.text("SELECT count(*) FROM application WHERE status = 'cancelled'"))
        .scalar_one()
    )
    if cancelled:
        raise RuntimeError(f"{cancelled} cancelled applications: downgrade refused")
