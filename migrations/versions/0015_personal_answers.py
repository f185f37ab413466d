"""personal answers: encrypted answers and keyed hashes of identifiers in applications

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 10:00:00

Only the schema: moving the answers already stored out of clear text needs the server secret,
which a migration does not have, so ``simpul migrate`` does it right after upgrading (and
``simpul protect-personal-data`` on its own; decision 0022).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from simpul.core.migrate import MigrationRefused

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("application", sa.Column("data_encrypted", sa.Text(), nullable=True))
    op.create_table(
        "application_identifier",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("field", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("value_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id", "application_id"],
            ["application.region_id", "application.id"],
            name=op.f("fk_application_identifier_region_id_application_id_application"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_application_identifier_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_identifier")),
    )
    op.create_index(
        op.f("ix_application_identifier_application_id"),
        "application_identifier",
        ["application_id"],
        unique=False,
    )
    op.create_index(
        "ix_application_identifier_lookup",
        "application_identifier",
        ["region_id", "kind", "value_hash"],
        unique=False,
    )
    op.create_index(
        op.f("ix_application_identifier_region_id"),
        "application_identifier",
        ["region_id"],
        unique=False,
    )


def downgrade() -> None:
    protected = op.get_bind().scalar(
        sa.text("SELECT count(*) FROM application WHERE data_encrypted IS NOT NULL")
    )
    if protected:
        raise MigrationRefused(
            f"Refusing to downgrade: {protected} application(s) keep their personal answers "
            "only in application.data_encrypted, which this downgrade drops. Run "
            "`simpul protect-personal-data --undo` first (it needs SIMPUL_SECRET_KEY and "
            "writes the answers back in clear), then downgrade again."
        )
    op.drop_index(op.f("ix_application_identifier_region_id"), table_name="application_identifier")
    op.drop_index("ix_application_identifier_lookup", table_name="application_identifier")
    op.drop_index(
        op.f("ix_application_identifier_application_id"), table_name="application_identifier"
    )
    op.drop_table("application_identifier")
    op.drop_column("application", "data_encrypted")
