"""issued documents: the signed PDFs of approved applications, and their revocation

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 21:33:14.570775
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from simpul.core.migrate import refuse_data_loss

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "issued_document",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=80), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=300), nullable=False),
        sa.Column("signer_name", sa.String(length=200), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.Text(), nullable=True),
        sa.Column("revoked_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id", "application_id"],
            ["application.region_id", "application.id"],
            name=op.f("fk_issued_document_region_id_application_id_application"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["region_id", "revoked_by"],
            ["user_account.region_id", "user_account.id"],
            name=op.f("fk_issued_document_region_id_revoked_by_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_issued_document_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issued_document")),
        sa.UniqueConstraint("code", name=op.f("uq_issued_document_code")),
        sa.UniqueConstraint(
            "region_id", "number", name=op.f("uq_issued_document_region_id_number")
        ),
        sa.UniqueConstraint("storage_key", name=op.f("uq_issued_document_storage_key")),
    )
    op.create_index(
        op.f("ix_issued_document_application_id"),
        "issued_document",
        ["application_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_issued_document_region_id"), "issued_document", ["region_id"], unique=False
    )


def downgrade() -> None:
    refuse_data_loss("0006", "issued_document")
    op.drop_index(op.f("ix_issued_document_region_id"), table_name="issued_document")
    op.drop_index(op.f("ix_issued_document_application_id"), table_name="issued_document")
    op.drop_table("issued_document")
