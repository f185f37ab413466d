"""documents: bind files to issued records (signer fingerprint, what the document prints)

Verification compares a file's signing certificate with the one the issued record names, and
the public verification answers say whose document a code belongs to. ``issued_document``
gains the signing certificate's SHA-256 fingerprint and what the document prints: product,
agency, date, signer's position, the holder's name masked.

Existing rows are filled in from what they were made of, with no PDF read: the fingerprint
from the credential of the job that signed them (a job has the document's code); product,
agency, position (every document so far printed the agency's name there), holder and date
from the application, its service and agency, the applicant and the job. A row whose job is
gone keeps no fingerprint: its hash, which covers the signature and its certificate, binds it.

Downgrade drops the new columns. They are copies of data the other tables keep (upgrading
again fills them in the same way), so nothing is lost.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-28 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT_COLUMNS = ("signer_position", "product", "agency_name", "holder_masked")


def upgrade() -> None:
    op.add_column(
        "issued_document", sa.Column("signer_fingerprint", sa.String(length=64), nullable=True)
    )
    for name in _TEXT_COLUMNS:
        op.add_column(
            "issued_document",
            sa.Column(name, sa.String(length=200), server_default="", nullable=False),
        )
    op.add_column(
        "issued_document",
        sa.Column("issued_on", sa.Date(), server_default=sa.text("CURRENT_DATE"), nullable=False),
    )
    op.execute(
        """
        UPDATE issued_document AS d
        SET signer_fingerprint = c.fingerprint
        FROM document_job AS j
        JOIN signing_credential AS c ON c.region_id = j.region_id AND c.id = j.credential_id
        WHERE j.region_id = d.region_id AND j.code = d.code
        """
    )
    # The holder's name masked as verification.mask_name does: each word's first letter, then
    # one star per further letter, at least three.
    op.execute(
        r"""
        UPDATE issued_document AS d
        SET agency_name = left(a.name, 200),
            signer_position = left(a.name, 200),
            holder_masked = left(coalesce((
                SELECT string_agg(
                    left(w.word, 1) || repeat('*', greatest(3, char_length(w.word) - 1)),
                    ' ' ORDER BY w.n
                )
                FROM regexp_split_to_table(btrim(u.full_name), '\s+') WITH ORDINALITY
                    AS w(word, n)
                WHERE w.word <> ''
            ), ''), 200),
            issued_on = (
                coalesce(
                    (SELECT j.created_at FROM document_job AS j
                     WHERE j.region_id = d.region_id AND j.code = d.code),
                    d.signed_at
                ) AT TIME ZONE r.timezone
            )::date
        FROM application AS ap
        JOIN service AS s ON s.region_id = ap.region_id AND s.id = ap.service_id
        JOIN agency AS a ON a.region_id = s.region_id AND a.id = s.agency_id
        JOIN user_account AS u ON u.region_id = ap.region_id AND u.id = ap.applicant_id
        JOIN region AS r ON r.id = ap.region_id
        WHERE ap.region_id = d.region_id AND ap.id = d.application_id
        """
    )
    # The product is the title the renderer took from the standard (content.product_title).
    from simpul.documents.content import product_title

    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            """
            SELECT d.id, s.name, coalesce(s.standard ->> 'produk_pelayanan', '') AS produk
            FROM issued_document AS d
            JOIN application AS ap ON ap.region_id = d.region_id AND ap.id = d.application_id
            JOIN service AS s ON s.region_id = ap.region_id AND s.id = ap.service_id
            """
        )
    ).all()
    for document_id, service_name, produk in rows:
        connection.execute(
            sa.text("UPDATE issued_document SET product = :product WHERE id = :id"),
            {"product": product_title(produk, service_name)[:200], "id": document_id},
        )


def downgrade() -> None:
    op.drop_column("issued_document", "issued_on")
    for name in reversed(_TEXT_COLUMNS):
        op.drop_column("issued_document", name)
    op.drop_column("issued_document", "signer_fingerprint")
