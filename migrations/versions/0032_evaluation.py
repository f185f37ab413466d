"""A region's status: active, test or inactive (only active regions are listed and compared).

The public front page and the comparison between regions leave out a training copy
(``test``) and a region that left the deployment (``inactive``); every existing region,
the demo's included, stays ``active`` (decision 0053).

Revision ID: 0032_evaluation
Revises: 0031_ikm
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0032_evaluation"
down_revision: str | None = "0031_ikm"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "region",
        sa.Column("status", sa.String(length=20), server_default="active", nullable=False),
    )
    op.create_check_constraint(
        "ck_region_status_known", "region", "status in ('active', 'test', 'inactive')"
    )


def downgrade() -> None:
    op.drop_constraint("ck_region_status_known", "region", type_="check")
    op.drop_column("region", "status")
