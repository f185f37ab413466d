"""document jobs and signing credentials

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 22:51:02.328880
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from simpul.core.migrate import refuse_data_loss

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "document_number_counter",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_document_number_counter_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("region_id", "year", name=op.f("pk_document_number_counter")),
    )
    op.create_index(
        op.f("ix_document_number_counter_region_id"),
        "document_number_counter",
        ["region_id"],
        unique=False,
    )
    op.create_table(
        "signing_credential",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("pkcs12", sa.LargeBinary(), nullable=False),
        sa.Column("certificate_pem", sa.Text(), nullable=False),
        sa.Column("subject_name", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id", "user_id"],
            ["user_account.region_id", "user_account.id"],
            name=op.f("fk_signing_credential_region_id_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_signing_credential_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signing_credential")),
        sa.UniqueConstraint("region_id", "id", name=op.f("uq_signing_credential_region_id_id")),
    )
    op.create_index(
        op.f("ix_signing_credential_region_id"), "signing_credential", ["region_id"], unique=False
    )
    op.create_index(
        op.f("ix_signing_credential_user_id"), "signing_credential", ["user_id"], unique=False
    )
    op.create_index(
        "uq_signing_credential_active",
        "signing_credential",
        ["region_id", "user_id"],
        unique=True,
        postgresql_where=sa.text("disabled_at IS NULL"),
    )
    op.create_table(
        "document_job",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("signer_id", sa.Uuid(), nullable=False),
        sa.Column("credential_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=80), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("passphrase_encrypted", sa.Text(), nullable=True),
        sa.Column(
            "status",
            sa.Enum("queued", "working", "done", "dead", name="document_job_status"),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id", "application_id"],
            ["application.region_id", "application.id"],
            name=op.f("fk_document_job_region_id_application_id_application"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["region_id", "credential_id"],
            ["signing_credential.region_id", "signing_credential.id"],
            name=op.f("fk_document_job_region_id_credential_id_signing_credential"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["region_id", "signer_id"],
            ["user_account.region_id", "user_account.id"],
            name=op.f("fk_document_job_region_id_signer_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_document_job_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_job")),
        sa.UniqueConstraint("code", name=op.f("uq_document_job_code")),
        sa.UniqueConstraint("region_id", "number", name=op.f("uq_document_job_region_id_number")),
    )
    op.create_index(
        op.f("ix_document_job_application_id"), "document_job", ["application_id"], unique=False
    )
    op.create_index(
        "ix_document_job_due", "document_job", ["status", "next_attempt_at"], unique=False
    )
    op.create_index(op.f("ix_document_job_region_id"), "document_job", ["region_id"], unique=False)


def downgrade() -> None:
    refuse_data_loss("0009", "signing_credential", "document_job", "document_number_counter")
    op.drop_index(op.f("ix_document_job_region_id"), table_name="document_job")
    op.drop_index("ix_document_job_due", table_name="document_job")
    op.drop_index(op.f("ix_document_job_application_id"), table_name="document_job")
    op.drop_table("document_job")
    op.drop_index(
        "uq_signing_credential_active",
        table_name="signing_credential",
        postgresql_where=sa.text("disabled_at IS NULL"),
    )
    op.drop_index(op.f("ix_signing_credential_user_id"), table_name="signing_credential")
    op.drop_index(op.f("ix_signing_credential_region_id"), table_name="signing_credential")
    op.drop_table("signing_credential")
    op.drop_index(
        op.f("ix_document_number_counter_region_id"), table_name="document_number_counter"
    )
    op.drop_table("document_number_counter")
    op.execute("DROP TYPE IF EXISTS document_job_status")
