"""documents: several products per application, the region's letterhead, the agency's numbers

A service issues each product its standard lists (decision 0045): ``document_job`` and
``issued_document`` gain ``product_code`` (the ``ProductTemplate.code``; ``dokumen`` for the
generic letter of a service that declares no product). Existing rows are back-filled with
``dokumen``: every document issued so far was that generic letter. At most one job per
(application, product) is in flight and at most one issued document per (application,
product) is in force (partial unique indexes: a re-issue follows a failure or revocation).

``region`` gains the letterhead's first line ("PEMERINTAH KOTA BANDUNG") and the emblem (a
PNG re-encoded from the upload, so nothing but pixels is kept); ``agency`` its document
number format (``{nomor}/{kode}/{tahun}``, today's shape, by default).

Revision ID: 0027
Revises: 0026
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "region",
        sa.Column("letterhead_line", sa.String(length=200), server_default="", nullable=False),
    )
    op.add_column("region", sa.Column("emblem_png", sa.LargeBinary(), nullable=True))
    op.add_column(
        "agency",
        sa.Column(
            "document_number_format",
            sa.String(length=120),
            server_default="{nomor}/{kode}/{tahun}",
            nullable=False,
        ),
    )
    for table in ("document_job", "issued_document"):
        op.add_column(
            table,
            sa.Column(
                "product_code", sa.String(length=40), server_default="dokumen", nullable=False
            ),
        )
    op.create_index(
        "uq_document_job_in_flight",
        "document_job",
        ["region_id", "application_id", "product_code"],
        unique=True,
        postgresql_where=sa.text("status IN ('queued', 'working')"),
    )
    op.create_index(
        "uq_issued_document_in_force",
        "issued_document",
        ["region_id", "application_id", "product_code"],
        unique=True,
        postgresql_where=sa.text("revoked_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_issued_document_in_force", table_name="issued_document")
    op.drop_index("uq_document_job_in_flight", table_name="document_job")
    for table in ("issued_document", "document_job"):
        op.drop_column(table, "product_code")
    op.drop_column("agency", "document_number_format")
    op.drop_column("region", "emblem_png")
    op.drop_column("region", "letterhead_line")
