"""Account recovery and verification: single-use links (password reset, e-mail change; the
token as a digest only), phone verification codes (a keyed hash only) and the counts that
throttle the requests sending them.

Revision ID: 0037_account_recovery
Revises: 0036_second_factors
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0037_account_recovery"
down_revision: str | None = "0036_second_factors"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recovery_attempt",
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("source", sa.String(length=45), nullable=False),
        sa.Column("subject_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_recovery_attempt_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_attempt")),
    )
    op.create_index(op.f("ix_recovery_attempt_at"), "recovery_attempt", ["at"], unique=False)
    op.create_index(
        op.f("ix_recovery_attempt_region_id"), "recovery_attempt", ["region_id"], unique=False
    )
    op.create_index(
        "ix_recovery_attempt_source", "recovery_attempt", ["action", "source", "at"], unique=False
    )
    op.create_index(
        "ix_recovery_attempt_subject",
        "recovery_attempt",
        ["region_id", "action", "subject_hash", "at"],
        unique=False,
    )
    op.create_table(
        "account_link",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column(
            "purpose",
            sa.Enum("password_reset", "email_change", name="account_link_purpose"),
            nullable=False,
        ),
        sa.Column("token_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("new_email", sa.String(length=254), server_default="", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_account_link_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_account_link_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_link")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_account_link_token_hash")),
    )
    op.create_index(op.f("ix_account_link_region_id"), "account_link", ["region_id"], unique=False)
    op.create_index("ix_account_link_user", "account_link", ["user_id", "purpose"], unique=False)
    op.create_table(
        "phone_verification",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("code_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_phone_verification_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_phone_verification_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phone_verification")),
    )
    op.create_index(
        op.f("ix_phone_verification_region_id"), "phone_verification", ["region_id"], unique=False
    )
    op.create_index(
        op.f("ix_phone_verification_user_id"), "phone_verification", ["user_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_phone_verification_user_id"), table_name="phone_verification")
    op.drop_index(op.f("ix_phone_verification_region_id"), table_name="phone_verification")
    op.drop_table("phone_verification")
    op.drop_index("ix_account_link_user", table_name="account_link")
    op.drop_index(op.f("ix_account_link_region_id"), table_name="account_link")
    op.drop_table("account_link")
    op.drop_index("ix_recovery_attempt_subject", table_name="recovery_attempt")
    op.drop_index("ix_recovery_attempt_source", table_name="recovery_attempt")
    op.drop_index(op.f("ix_recovery_attempt_region_id"), table_name="recovery_attempt")
    op.drop_index(op.f("ix_recovery_attempt_at"), table_name="recovery_attempt")
    op.drop_table("recovery_attempt")
    sa.Enum(name="account_link_purpose").drop(op.get_bind(), checkfirst=True)
