"""Passkeys (issue 18): a user's WebAuthn credentials and the single-use challenges given to
the browser for registering one or signing in with one.

Revision ID: 0041_passkeys
Revises: 0040_gateway_end_user
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0041_passkeys"
down_revision: str | None = "0040_gateway_end_user"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webauthn_challenge",
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("challenge_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("purpose", sa.String(length=10), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_webauthn_challenge_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_webauthn_challenge_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webauthn_challenge")),
        sa.UniqueConstraint("challenge_hash", name=op.f("uq_webauthn_challenge_challenge_hash")),
    )
    op.create_index(
        op.f("ix_webauthn_challenge_expires_at"), "webauthn_challenge", ["expires_at"], unique=False
    )
    op.create_index(
        op.f("ix_webauthn_challenge_region_id"), "webauthn_challenge", ["region_id"], unique=False
    )
    op.create_index(
        op.f("ix_webauthn_challenge_user_id"), "webauthn_challenge", ["user_id"], unique=False
    )
    op.create_table(
        "webauthn_credential",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("credential_id", sa.LargeBinary(), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sign_count", sa.BigInteger(), nullable=False),
        sa.Column("transports", postgresql.ARRAY(sa.String(length=20)), nullable=False),
        sa.Column("aaguid", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("backup_eligible", sa.Boolean(), nullable=False),
        sa.Column("backed_up", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_webauthn_credential_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_webauthn_credential_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webauthn_credential")),
        sa.UniqueConstraint(
            "region_id",
            "credential_id",
            name=op.f("uq_webauthn_credential_region_id_credential_id"),
        ),
    )
    op.create_index(
        op.f("ix_webauthn_credential_region_id"), "webauthn_credential", ["region_id"], unique=False
    )
    op.create_index(
        op.f("ix_webauthn_credential_user_id"), "webauthn_credential", ["user_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_webauthn_credential_user_id"), table_name="webauthn_credential")
    op.drop_index(op.f("ix_webauthn_credential_region_id"), table_name="webauthn_credential")
    op.drop_table("webauthn_credential")
    op.drop_index(op.f("ix_webauthn_challenge_user_id"), table_name="webauthn_challenge")
    op.drop_index(op.f("ix_webauthn_challenge_region_id"), table_name="webauthn_challenge")
    op.drop_index(op.f("ix_webauthn_challenge_expires_at"), table_name="webauthn_challenge")
    op.drop_table("webauthn_challenge")
