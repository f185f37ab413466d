"""gateway: counts of calls refused before their caller was identified

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 05:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from simpul.core.migrate import MigrationRefused

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "gateway_refusal",
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.Column("minute", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("refusals", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_gateway_refusal_region_id_region"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("region_id", "minute", "reason", name=op.f("pk_gateway_refusal")),
    )


def downgrade() -> None:
    counted = op.get_bind().execute(sa.text("SELECT EXISTS (SELECT 1 FROM gateway_refusal)"))
    if counted.scalar():
        raise MigrationRefused(
            "Downgrade refused: gateway_refusal holds counts of refused gateway calls that "
            "would be lost. Export them (SELECT * FROM gateway_refusal) and empty the table "
            "first if they are no longer needed."
        )
    op.drop_table("gateway_refusal")
