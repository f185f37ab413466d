"""applications, tasks, documents, notifications

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 18:21:20.731397
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from simpul.core.migrate import refuse_data_loss

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "collective_leave_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_collective_leave_day_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collective_leave_day")),
        sa.UniqueConstraint("region_id", "day", name=op.f("uq_collective_leave_day_region_id_day")),
    )
    op.create_index(
        op.f("ix_collective_leave_day_region_id"),
        "collective_leave_day",
        ["region_id"],
        unique=False,
    )
    op.create_table(
        "document_access",
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=True),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_document_access_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_access")),
    )
    op.create_index(
        op.f("ix_document_access_application_id"),
        "document_access",
        ["application_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_document_access_document_id"), "document_access", ["document_id"], unique=False
    )
    op.create_index(
        op.f("ix_document_access_region_id"), "document_access", ["region_id"], unique=False
    )
    op.create_index(
        op.f("ix_document_access_user_id"), "document_access", ["user_id"], unique=False
    )
    op.create_table(
        "notification",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("params", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_notification_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    op.create_index(op.f("ix_notification_region_id"), "notification", ["region_id"], unique=False)
    op.create_index(
        "ix_notification_user_unread", "notification", ["user_id", "read_at"], unique=False
    )
    op.create_table(
        "application",
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("applicant_id", sa.Uuid(), nullable=False),
        sa.Column("tracking_number", sa.String(length=20), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft", "submitted", "returned", "completed", "rejected", name="application_status"
            ),
            nullable=False,
        ),
        sa.Column("current_step", sa.String(length=40), nullable=True),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("application_name", sa.String(length=200), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paused_working_days", sa.Integer(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("client_identity", sa.String(length=300), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id", "applicant_id"],
            ["user_account.region_id", "user_account.id"],
            name=op.f("fk_application_region_id_applicant_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["region_id", "service_id"],
            ["service.region_id", "service.id"],
            name=op.f("fk_application_region_id_service_id_service"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_application_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application")),
        sa.UniqueConstraint(
            "applicant_id",
            "idempotency_key",
            name=op.f("uq_application_applicant_id_idempotency_key"),
        ),
        sa.UniqueConstraint("region_id", "id", name=op.f("uq_application_region_id_id")),
        sa.UniqueConstraint(
            "region_id", "tracking_number", name=op.f("uq_application_region_id_tracking_number")
        ),
    )
    op.create_index(
        op.f("ix_application_applicant_id"), "application", ["applicant_id"], unique=False
    )
    op.create_index(op.f("ix_application_region_id"), "application", ["region_id"], unique=False)
    op.create_index(
        "ix_application_region_status_due",
        "application",
        ["region_id", "status", "due_date"],
        unique=False,
    )
    op.create_index(op.f("ix_application_service_id"), "application", ["service_id"], unique=False)
    op.create_table(
        "application_event",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor_label", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("step", sa.String(length=40), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id", "application_id"],
            ["application.region_id", "application.id"],
            name=op.f("fk_application_event_region_id_application_id_application"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_application_event_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_event")),
    )
    op.create_index(
        op.f("ix_application_event_application_id"),
        "application_event",
        ["application_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_application_event_region_id"), "application_event", ["region_id"], unique=False
    )
    op.create_table(
        "document",
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=True),
        sa.Column("requirement_code", sa.String(length=40), nullable=True),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=60), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=300), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id", "application_id"],
            ["application.region_id", "application.id"],
            name=op.f("fk_document_region_id_application_id_application"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["region_id", "owner_id"],
            ["user_account.region_id", "user_account.id"],
            name=op.f("fk_document_region_id_owner_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_document_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_document_storage_key")),
    )
    op.create_index(
        op.f("ix_document_application_id"), "document", ["application_id"], unique=False
    )
    op.create_index(op.f("ix_document_owner_id"), "document", ["owner_id"], unique=False)
    op.create_index(op.f("ix_document_region_id"), "document", ["region_id"], unique=False)
    op.create_table(
        "task",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("step", sa.String(length=40), nullable=False),
        sa.Column("step_name", sa.String(length=120), nullable=False),
        sa.Column(
            "role",
            postgresql.ENUM(
                "verifikator", "penyetuju", "admin_opd", name="staff_role_name", create_type=False
            ),
            nullable=False,
        ),
        sa.Column(
            "status", sa.Enum("open", "completed", "cancelled", name="task_status"), nullable=False
        ),
        sa.Column("assignee_id", sa.Uuid(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "outcome", sa.Enum("approve", "return", "reject", name="task_outcome"), nullable=True
        ),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id", "agency_id"],
            ["agency.region_id", "agency.id"],
            name=op.f("fk_task_region_id_agency_id_agency"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["region_id", "application_id"],
            ["application.region_id", "application.id"],
            name=op.f("fk_task_region_id_application_id_application"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"], ["region.id"], name=op.f("fk_task_region_id_region"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task")),
    )
    op.create_index(op.f("ix_task_application_id"), "task", ["application_id"], unique=False)
    op.create_index(op.f("ix_task_assignee_id"), "task", ["assignee_id"], unique=False)
    op.create_index("ix_task_inbox", "task", ["region_id", "agency_id", "status"], unique=False)
    op.create_index(op.f("ix_task_region_id"), "task", ["region_id"], unique=False)
    op.create_index(
        "uq_task_one_open_per_application",
        "task",
        ["application_id"],
        unique=True,
        postgresql_where="status = 'open'",
    )
    op.add_column(
        "region",
        sa.Column("timezone", sa.String(length=40), server_default="Asia/Jakarta", nullable=False),
    )
    op.add_column(
        "service",
        sa.Column(
            "workflow",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text(
                '\'{"steps": [{"code": "verifikasi", "name": "Verifikasi berkas", "name_en": "Document verification", "role": "verifikator", "actions": ["approve", "return", "reject"]}, {"code": "persetujuan", "name": "Persetujuan", "name_en": "Approval", "role": "penyetuju", "actions": ["approve", "return", "reject"]}]}\'::jsonb'
            ),
            nullable=False,
        ),
    )
    # History and officers' reads of citizens' documents are never changed or removed.
    for table in ("application_event", "document_access"):
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION simpul_forbid_change()"
        )


def downgrade() -> None:
    refuse_data_loss("0002", "application", "document", "notification", "collective_leave_day")
    op.drop_column("service", "workflow")
    op.drop_column("region", "timezone")
    op.drop_index(
        "uq_task_one_open_per_application", table_name="task", postgresql_where="status = 'open'"
    )
    op.drop_index(op.f("ix_task_region_id"), table_name="task")
    op.drop_index("ix_task_inbox", table_name="task")
    op.drop_index(op.f("ix_task_assignee_id"), table_name="task")
    op.drop_index(op.f("ix_task_application_id"), table_name="task")
    op.drop_table("task")
    op.drop_index(op.f("ix_document_region_id"), table_name="document")
    op.drop_index(op.f("ix_document_owner_id"), table_name="document")
    op.drop_index(op.f("ix_document_application_id"), table_name="document")
    op.drop_table("document")
    op.drop_index(op.f("ix_application_event_region_id"), table_name="application_event")
    op.drop_index(op.f("ix_application_event_application_id"), table_name="application_event")
    op.drop_table("application_event")
    op.drop_index(op.f("ix_application_service_id"), table_name="application")
    op.drop_index("ix_application_region_status_due", table_name="application")
    op.drop_index(op.f("ix_application_region_id"), table_name="application")
    op.drop_index(op.f("ix_application_applicant_id"), table_name="application")
    op.drop_table("application")
    op.drop_index("ix_notification_user_unread", table_name="notification")
    op.drop_index(op.f("ix_notification_region_id"), table_name="notification")
    op.drop_table("notification")
    op.drop_index(op.f("ix_document_access_user_id"), table_name="document_access")
    op.drop_index(op.f("ix_document_access_region_id"), table_name="document_access")
    op.drop_index(op.f("ix_document_access_document_id"), table_name="document_access")
    op.drop_index(op.f("ix_document_access_application_id"), table_name="document_access")
    op.drop_table("document_access")
    op.drop_index(op.f("ix_collective_leave_day_region_id"), table_name="collective_leave_day")
    op.drop_table("collective_leave_day")
    for type_name in ("application_status", "task_status", "task_outcome"):
        op.execute(f"DROP TYPE IF EXISTS {type_name}")
