"""Closing an account (UU PDP hak penghapusan): ``user_account.closed_at``.

A closed account keeps its row (the records the law keeps point at it) with its personal data
replaced by placeholders; ``closed_at`` says when, and the retention purge counts from it.

Revision ID: 0039_erasure
Revises: 0038_data_rights
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0039_erasure"
down_revision: str | None = "0038_data_rights"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("user_account", sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("user_account", "closed_at")
