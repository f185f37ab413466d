"""eForms keep the order of their questions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 18:52:35.654309
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # JSONB sorts object keys, which reorders a form's questions. Rows written before this
    # migration keep the sorted order; re-import a catalogue to restore its order.
    op.alter_column(
        "service",
        "eform",
        existing_type=postgresql.JSONB(astext_type=sa.Text()),
        type_=postgresql.JSON(astext_type=sa.Text()),
        existing_nullable=False,
        postgresql_using="eform::text::json",
    )


def downgrade() -> None:
    op.alter_column(
        "service",
        "eform",
        existing_type=postgresql.JSON(astext_type=sa.Text()),
        type_=postgresql.JSONB(astext_type=sa.Text()),
        existing_nullable=False,
        postgresql_using="eform::jsonb",
    )
