"""accounts: activation of registrations, registration throttling

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 10:00:00.000000

A citizen's registration opens the account only once the link sent to the e-mail address
given is used (``user_account.activated_at``; existing accounts count as activated when they
were made). ``registration_attempt`` keeps well-formed registrations for throttling per source
address, NIK and e-mail (both as keyed hashes).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from simpul.core.migrate import MigrationRefused

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "user_account", sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.execute("UPDATE user_account SET activated_at = created_at")
    op.create_index(
        "ix_user_account_pending",
        "user_account",
        ["region_id", "created_at"],
        unique=False,
        postgresql_where="activated_at IS NULL",
    )
    op.create_table(
        "registration_attempt",
        sa.Column("source", sa.String(length=45), nullable=False),
        sa.Column("nik_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("email_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_registration_attempt_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration_attempt")),
    )
    op.create_index(
        op.f("ix_registration_attempt_at"), "registration_attempt", ["at"], unique=False
    )
    op.create_index(
        "ix_registration_attempt_email",
        "registration_attempt",
        ["region_id", "email_hash", "at"],
        unique=False,
    )
    op.create_index(
        "ix_registration_attempt_nik",
        "registration_attempt",
        ["region_id", "nik_hash", "at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_registration_attempt_region_id"),
        "registration_attempt",
        ["region_id"],
        unique=False,
    )
    op.create_index(
        "ix_registration_attempt_source", "registration_attempt", ["source", "at"], unique=False
    )


#: What an operator runs to drop unused registrations before a downgrade.
_DELETE_PENDING = "DELETE FROM user_account WHERE activated_at IS NULL"


def downgrade() -> None:
    pending = op.get_bind().scalar(
        sa.text("SELECT count(*) FROM user_account WHERE activated_at IS NULL")
    )
    if pending:
        # Without the column these would become accounts that log in with an e-mail address
        # nobody proved is theirs; deleting them would lose what people typed.
        raise MigrationRefused(
            f"{pending} registration(s) still wait for their activation link; the schema "
            "before 0017 cannot tell them from accounts. Wait until they are activated or "
            f"expire (SIMPUL_REGISTRATION_ACTIVATION_HOURS), or delete them knowingly "
            f"({_DELETE_PENDING}), then downgrade again."
        )
    op.drop_index("ix_registration_attempt_source", table_name="registration_attempt")
    op.drop_index(op.f("ix_registration_attempt_region_id"), table_name="registration_attempt")
    op.drop_index("ix_registration_attempt_nik", table_name="registration_attempt")
    op.drop_index("ix_registration_attempt_email", table_name="registration_attempt")
    op.drop_index(op.f("ix_registration_attempt_at"), table_name="registration_attempt")
    # Throttling records of the last hour only: nothing a person would miss.
    op.drop_table("registration_attempt")
    op.drop_index(
        "ix_user_account_pending",
        table_name="user_account",
        postgresql_where="activated_at IS NULL",
    )
    op.drop_column("user_account", "activated_at")
