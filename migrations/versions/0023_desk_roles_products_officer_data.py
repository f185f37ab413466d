"""The service desk's shared shapes: two staff roles, a service's products, officers' entries.

``staff_role_name`` gains ``operator`` (data entry in the agency's system) and
``penandatangan`` (the head of the office who signs); ``service.products`` holds the product
templates a service issues; ``application.officer_data`` what officers entered at its steps
(decision 0041); ``user_account.nip`` and ``position`` what prints under an officer's signature.

Revision ID: 0023
Revises: 0022
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ADD VALUE runs in the migration's transaction (PostgreSQL 12+); the values are not used
    # before it commits.
    op.execute("ALTER TYPE staff_role_name ADD VALUE IF NOT EXISTS 'operator' BEFORE 'penyetuju'")
    op.execute(
        "ALTER TYPE staff_role_name ADD VALUE IF NOT EXISTS 'penandatangan' AFTER 'penyetuju'"
    )
    op.add_column(
        "user_account", sa.Column("nip", sa.String(18), nullable=False, server_default="")
    )
    op.add_column(
        "user_account", sa.Column("position", sa.String(200), nullable=False, server_default="")
    )
    op.add_column(
        "service",
        sa.Column(
            "products",
            postgresql.JSONB(),
            nullable=False,
            server_default=sa.text("'[]'::jsonb"),
        ),
    )
    op.add_column(
        "application",
        sa.Column(
            "officer_data",
            postgresql.JSONB(),
            nullable=False,
            server_default=sa.text("'{}'::jsonb"),
        ),
    )


def downgrade() -> None:
    op.drop_column("application", "officer_data")
    op.drop_column("service", "products")
    op.drop_column("user_account", "position")
    op.drop_column("user_account", "nip")
    # PostgreSQL cannot drop an enum value; the two roles stay (unused) in the type.
