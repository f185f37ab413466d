"""Officers' per-item checks on an application: ``requirement_check`` (decision 0043).

One row per (task, target kind, target code): the verdict (sesuai / tidak sesuai) and note of
the officer working the task on a requirement's document or an answer of the form. A return
lists the items marked tidak sesuai; the citizen sees each note next to its item.

Revision ID: 0025
Revises: 0024
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "requirement_check",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("target_kind", sa.Enum("document", "field", name="check_target"), nullable=False),
        sa.Column("target_code", sa.String(200), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=True),
        sa.Column(
            "verdict", sa.Enum("sesuai", "tidak_sesuai", name="check_verdict"), nullable=False
        ),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("officer_id", sa.Uuid(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name="pk_requirement_check"),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name="fk_requirement_check_region_id_region",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id", "application_id"],
            ["application.region_id", "application.id"],
            name="fk_requirement_check_region_id_application_id_application",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["region_id", "officer_id"],
            ["user_account.region_id", "user_account.id"],
            name="fk_requirement_check_region_id_officer_id_user_account",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["task.id"],
            name="fk_requirement_check_task_id_task",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["document.id"],
            name="fk_requirement_check_document_id_document",
            ondelete="RESTRICT",
        ),
        sa.UniqueConstraint(
            "task_id",
            "target_kind",
            "target_code",
            name="uq_requirement_check_task_id_target_kind_target_code",
        ),
    )
    op.create_index(
        "ix_requirement_check_region_id", "requirement_check", ["region_id"], unique=False
    )
    op.create_index(
        "ix_requirement_check_application_id",
        "requirement_check",
        ["application_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("requirement_check")
    op.execute("DROP TYPE check_verdict")
    op.execute("DROP TYPE check_target")
