"""signing keys on tokens

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27 23:36:28.753678
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from simpul.core.migrate import refuse_data_loss

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "signing_credential",
        sa.Column("kind", sa.String(length=10), server_default="pkcs12", nullable=False),
    )
    op.add_column(
        "signing_credential", sa.Column("token_label", sa.String(length=100), nullable=True)
    )
    op.add_column(
        "signing_credential", sa.Column("key_label", sa.String(length=100), nullable=True)
    )
    op.alter_column("signing_credential", "pkcs12", existing_type=postgresql.BYTEA(), nullable=True)
    op.create_check_constraint(
        "key_is_somewhere",
        "signing_credential",
        "(kind = 'pkcs12' AND pkcs12 IS NOT NULL) OR "
        "(kind = 'pkcs11' AND token_label IS NOT NULL AND key_label IS NOT NULL)",
    )


def downgrade() -> None:
    # Before 0012 every key was a PKCS#12 file in the row; keys on tokens cannot be kept.
    refuse_data_loss(
        "0012",
        "signing_credential",
        where="kind = 'pkcs11'",
        what="the signing keys held on PKCS#11 tokens:",
    )
    op.execute("DELETE FROM signing_credential WHERE kind = 'pkcs11'")
    op.drop_constraint(
        op.f("ck_signing_credential_key_is_somewhere"), "signing_credential", type_="check"
    )
    op.alter_column(
        "signing_credential", "pkcs12", existing_type=postgresql.BYTEA(), nullable=False
    )
    op.drop_column("signing_credential", "key_label")
    op.drop_column("signing_credential", "token_label")
    op.drop_column("signing_credential", "kind")
