"""upload limits (attempts for the rate limits) and the record of stored files to delete

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from simpul.core.migrate import MigrationRefused

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "upload_attempt",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("address_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_upload_attempt_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_upload_attempt")),
    )
    op.create_index("ix_upload_attempt_account", "upload_attempt", ["account_id", "at"])
    op.create_index("ix_upload_attempt_address", "upload_attempt", ["address_hash", "at"])
    op.create_index(op.f("ix_upload_attempt_at"), "upload_attempt", ["at"])
    op.create_index(op.f("ix_upload_attempt_region_id"), "upload_attempt", ["region_id"])
    op.create_table(
        "stored_file_removal",
        sa.Column("storage_key", sa.String(length=300), nullable=False),
        sa.Column(
            "queued_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.String(length=300), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("storage_key", name=op.f("pk_stored_file_removal")),
    )
    op.create_index(
        op.f("ix_stored_file_removal_next_attempt_at"), "stored_file_removal", ["next_attempt_at"]
    )


def downgrade() -> None:
    # The attempts only feed rate limits and may go; files still waiting to be deleted would be
    # forgotten (and stay in the storage for good), so the downgrade refuses while there are any.
    waiting = op.get_bind().execute(sa.text("SELECT count(*) FROM stored_file_removal")).scalar()
    if waiting:
        raise MigrationRefused(
            f"stored_file_removal still lists {waiting} stored file(s) to delete; run "
            "`simpul worker --once` until it is empty, then downgrade again"
        )
    op.drop_index(op.f("ix_stored_file_removal_next_attempt_at"), table_name="stored_file_removal")
    op.drop_table("stored_file_removal")
    op.drop_index(op.f("ix_upload_attempt_region_id"), table_name="upload_attempt")
    op.drop_index(op.f("ix_upload_attempt_at"), table_name="upload_attempt")
    op.drop_index("ix_upload_attempt_address", table_name="upload_attempt")
    op.drop_index("ix_upload_attempt_account", table_name="upload_attempt")
    op.drop_table("upload_attempt")
