"""Documents officers attach at a workflow step: room for ``step:<step code>``.

A field check's photos are kept as documents whose ``requirement_code`` is ``step:`` and the
step's code (up to 39 characters), which does not fit the 40 characters a requirement code had
(decision 0042).

Revision ID: 0024
Revises: 0023
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column(
        "document",
        "requirement_code",
        type_=sa.String(60),
        existing_type=sa.String(40),
        existing_nullable=True,
    )


def downgrade() -> None:
    # Step documents whose code is longer than 40 characters cannot go back: refuse loudly
    # rather than cut a code in half.
    op.alter_column(
        "document",
        "requirement_code",
        type_=sa.String(40),
        existing_type=sa.String(60),
        existing_nullable=True,
    )
