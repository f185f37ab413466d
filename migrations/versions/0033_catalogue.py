"""Search synonyms and former names a region edits; the standard's English texts.

``search_synonym``: a word citizens type ("imb", "kartu kuning") and what it means in the
catalogue's words; searched along with the query (decision 0052). ``service.standard_en``:
the 14 components in English where the region wrote them.

Revision ID: 0033_catalogue
Revises: 0032_evaluation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0033_catalogue"
down_revision: str | None = "0032_evaluation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_synonym",
        sa.Column("term", sa.String(length=60), nullable=False),
        sa.Column("meaning", sa.String(length=200), nullable=False),
        sa.Column("former_name", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "term = lower(term) AND length(term) >= 2", name="ck_search_synonym_term_lower"
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name="fk_search_synonym_region_id_region",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_search_synonym"),
        sa.UniqueConstraint("region_id", "term", name="uq_search_synonym_region_id_term"),
    )
    op.create_index("ix_search_synonym_region_id", "search_synonym", ["region_id"])
    op.add_column(
        "service",
        sa.Column(
            "standard_en",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
    )


def downgrade() -> None:
    op.drop_column("service", "standard_en")
    op.drop_index("ix_search_synonym_region_id", table_name="search_synonym")
    op.drop_table("search_synonym")
