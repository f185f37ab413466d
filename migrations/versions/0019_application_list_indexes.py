"""applications: keyset lists for officers (inbox, task and application lists)

Revision ID: 0019
Revises: 0017
Create Date: 2026-12-07 12:00:00.000000

Every officer list is read in the order of an index that matches its filter and sort, a page
at a time after the last row shown (decision 0035): ``task.due_date`` (the application's
deadline when the task was opened, which cannot change while it is open) lets the inbox order
open tasks without joining their applications; partial indexes serve the open and decided
inbox views, the task lists and the application lists by service and by applicant.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("task", sa.Column("due_date", sa.Date(), nullable=True))
    # A task exists only once its application entered the workflow, which sets the deadline;
    # the creation day is a fallback for rows made by hand without one.
    op.execute(
        "UPDATE task SET due_date = coalesce(a.due_date, (task.created_at AT TIME ZONE 'UTC')::date)"
        " FROM application a WHERE a.id = task.application_id"
    )
    op.alter_column("task", "due_date", nullable=False)
    op.create_index(
        "ix_task_open_by_deadline",
        "task",
        ["region_id", "agency_id", "role", "due_date", "created_at", "id"],
        postgresql_where="status = 'open'",
    )
    op.create_index(
        "ix_task_open_of_assignee",
        "task",
        ["region_id", "assignee_id", "due_date", "created_at", "id"],
        postgresql_where="status = 'open'",
    )
    op.create_index(
        "ix_task_completed_by_time",
        "task",
        ["region_id", "agency_id", "role", "completed_at", "id"],
        postgresql_where="status = 'completed'",
    )
    op.create_index(
        "ix_task_by_created", "task", ["region_id", "agency_id", "role", "created_at", "id"]
    )
    op.create_index(
        "ix_task_of_assignee_by_created", "task", ["region_id", "assignee_id", "created_at", "id"]
    )
    op.create_index(
        "ix_application_list_by_service",
        "application",
        ["region_id", "service_id", "created_at", "id"],
        postgresql_where="status <> 'draft'",
    )
    op.create_index(
        "ix_application_list_by_applicant",
        "application",
        ["region_id", "applicant_id", "created_at", "id"],
        postgresql_where="status <> 'draft'",
    )


def downgrade() -> None:
    for table, name in (
        ("application", "ix_application_list_by_applicant"),
        ("application", "ix_application_list_by_service"),
        ("task", "ix_task_of_assignee_by_created"),
        ("task", "ix_task_by_created"),
        ("task", "ix_task_completed_by_time"),
        ("task", "ix_task_open_of_assignee"),
        ("task", "ix_task_open_by_deadline"),
    ):
        op.drop_index(name, table_name=table)
    op.drop_column("task", "due_date")
