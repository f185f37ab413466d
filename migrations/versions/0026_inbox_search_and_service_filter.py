"""applications: the inbox's search and filters (task.service_id, search keys, indexes)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 15:00:00.000000

``task.service_id`` (the application's service, set when the task is opened) lets the inbox's
service filter read an index range per (service, role) instead of checking every task of the
agency (decision 0044). ``application.tracking_key`` is the tracking number without dashes
(a prefix search over a C-collated b-tree), ``user_account.name_words`` the words of a name
(a GIN index for "a word of the applicant's name"). Returned applications waiting on the
citizen have their own small partial index.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("task", sa.Column("service_id", sa.Uuid(), nullable=True))
    op.execute(
        "UPDATE task SET service_id = a.service_id FROM application a"
        " WHERE a.id = task.application_id AND a.region_id = task.region_id"
    )
    op.alter_column("task", "service_id", nullable=False)
    op.create_foreign_key(
        "fk_task_region_id_service_id_service",
        "task",
        "service",
        ["region_id", "service_id"],
        ["region_id", "id"],
        ondelete="RESTRICT",
    )
    op.create_index(
        "ix_task_open_by_service",
        "task",
        ["region_id", "service_id", "role", "due_date", "created_at", "id"],
        postgresql_where="status = 'open'",
    )
    op.create_index(
        "ix_task_completed_by_service",
        "task",
        ["region_id", "service_id", "role", "completed_at", "id"],
        postgresql_where="status = 'completed'",
    )
    op.create_index(
        "ix_task_returned",
        "task",
        ["region_id", "agency_id", "role", "completed_at", "id"],
        postgresql_where="status = 'completed' AND outcome = 'return'",
    )
    op.add_column(
        "application",
        sa.Column(
            "tracking_key",
            sa.String(20, collation="C"),
            sa.Computed("replace(tracking_number, '-', '')", persisted=True),
            nullable=False,
        ),
    )
    op.create_index("ix_application_tracking_key", "application", ["region_id", "tracking_key"])
    op.add_column(
        "user_account",
        sa.Column(
            "name_words",
            postgresql.TSVECTOR(),
            sa.Computed("to_tsvector('simple'::regconfig, full_name)", persisted=True),
            nullable=False,
        ),
    )
    op.create_index(
        "ix_user_account_name_words",
        "user_account",
        ["name_words"],
        postgresql_using="gin",
        postgresql_where="kind = 'citizen'",
    )


def downgrade() -> None:
    op.drop_index("ix_user_account_name_words", table_name="user_account")
    op.drop_column("user_account", "name_words")
    op.drop_index("ix_application_tracking_key", table_name="application")
    op.drop_column("application", "tracking_key")
    for name in ("ix_task_returned", "ix_task_completed_by_service", "ix_task_open_by_service"):
        op.drop_index(name, table_name="task")
    op.drop_constraint("fk_task_region_id_service_id_service", "task", type_="foreignkey")
    op.drop_column("task", "service_id")
