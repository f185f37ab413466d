"""foundation: regions, catalogue, accounts

Revision ID: 0001
Revises:
Create Date: 2026-11-27 17:50:18.715289
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from simpul.core.migrate import refuse_data_loss

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


APPEND_ONLY_FUNCTION = """
CREATE FUNCTION simpul_forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP;
END;
$$
"""


def upgrade() -> None:
    # pg_trgm gives typo-tolerant search; the indonesian text search configuration is built in.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(APPEND_ONLY_FUNCTION)
    op.create_table(
        "region",
        sa.Column("slug", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=True),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_region")),
        sa.UniqueConstraint("slug", name=op.f("uq_region_slug")),
    )
    op.create_table(
        "agency",
        sa.Column("slug", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("short_name", sa.String(length=40), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("phone", sa.String(length=60), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.Column("website", sa.String(length=200), nullable=False),
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
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_agency_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency")),
        sa.UniqueConstraint("region_id", "id", name=op.f("uq_agency_region_id_id")),
        sa.UniqueConstraint("region_id", "slug", name=op.f("uq_agency_region_id_slug")),
    )
    op.create_index(op.f("ix_agency_region_id"), "agency", ["region_id"], unique=False)
    op.create_table(
        "audit_event",
        sa.Column("region_id", sa.Uuid(), nullable=True),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor_label", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("target_type", sa.String(length=60), nullable=False),
        sa.Column("target_id", sa.String(length=80), nullable=True),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_audit_event_region_id_region"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    op.create_index(op.f("ix_audit_event_action"), "audit_event", ["action"], unique=False)
    op.create_index(op.f("ix_audit_event_actor_id"), "audit_event", ["actor_id"], unique=False)
    op.create_index(op.f("ix_audit_event_at"), "audit_event", ["at"], unique=False)
    op.create_index(op.f("ix_audit_event_region_id"), "audit_event", ["region_id"], unique=False)
    op.create_table(
        "life_event",
        sa.Column("slug", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_life_event_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_life_event")),
        sa.UniqueConstraint("region_id", "id", name=op.f("uq_life_event_region_id_id")),
        sa.UniqueConstraint("region_id", "slug", name=op.f("uq_life_event_region_id_slug")),
    )
    op.create_index(op.f("ix_life_event_region_id"), "life_event", ["region_id"], unique=False)
    op.create_table(
        "login_attempt",
        sa.Column("email_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_login_attempt_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempt")),
    )
    op.create_index(op.f("ix_login_attempt_ip"), "login_attempt", ["ip"], unique=False)
    op.create_index(
        "ix_login_attempt_lookup", "login_attempt", ["region_id", "email_hash", "at"], unique=False
    )
    op.create_index(
        op.f("ix_login_attempt_region_id"), "login_attempt", ["region_id"], unique=False
    )
    op.create_table(
        "user_account",
        sa.Column(
            "kind", sa.Enum("citizen", "staff", "region_admin", name="account_kind"), nullable=False
        ),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("nik_hash", sa.LargeBinary(length=32), nullable=True),
        sa.Column("nik_encrypted", sa.String(length=200), nullable=True),
        sa.Column("locale", sa.String(length=5), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
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
            "kind <> 'citizen' OR nik_hash IS NOT NULL",
            name=op.f("ck_user_account_citizen_has_nik"),
        ),
        sa.CheckConstraint("email = lower(email)", name=op.f("ck_user_account_email_lowercase")),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_user_account_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_account")),
        sa.UniqueConstraint("region_id", "email", name=op.f("uq_user_account_region_id_email")),
        sa.UniqueConstraint("region_id", "id", name=op.f("uq_user_account_region_id_id")),
    )
    op.create_index(op.f("ix_user_account_region_id"), "user_account", ["region_id"], unique=False)
    op.create_index(
        "uq_user_account_region_id_nik_hash",
        "user_account",
        ["region_id", "nik_hash"],
        unique=True,
        postgresql_where="nik_hash IS NOT NULL",
    )
    op.create_table(
        "api_token",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_api_token_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_api_token_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    op.create_index(op.f("ix_api_token_region_id"), "api_token", ["region_id"], unique=False)
    op.create_index(op.f("ix_api_token_user_id"), "api_token", ["user_id"], unique=False)
    op.create_table(
        "service",
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("summary_en", sa.Text(), nullable=False),
        sa.Column("keywords", sa.Text(), nullable=False),
        sa.Column("agency_names", sa.Text(), nullable=False),
        sa.Column("sla_working_days", sa.Integer(), nullable=False),
        sa.Column("fee_rupiah", sa.Integer(), nullable=False),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("standard", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("required_documents", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("eform", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "search_vector",
            postgresql.TSVECTOR(),
            sa.Computed(
                "setweight(to_tsvector('indonesian'::regconfig, coalesce(name, '')), 'A') || setweight(to_tsvector('indonesian'::regconfig, coalesce(keywords, '')), 'A') || setweight(to_tsvector('indonesian'::regconfig, coalesce(summary, '')), 'B') || setweight(to_tsvector('indonesian'::regconfig, coalesce(agency_names, '')), 'C') || setweight(to_tsvector('english'::regconfig, coalesce(name_en, '')), 'C')",
                persisted=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "search_text",
            sa.Text(),
            sa.Computed(
                "lower(name || ' ' || coalesce(keywords, '') || ' ' || coalesce(agency_names, ''))",
                persisted=True,
            ),
            nullable=False,
        ),
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
            "standard ?& array['persyaratan', 'sistem_mekanisme_prosedur', 'jangka_waktu', 'biaya_tarif', 'produk_pelayanan', 'penanganan_pengaduan', 'dasar_hukum', 'sarana_prasarana', 'kompetensi_pelaksana', 'pengawasan_internal', 'jumlah_pelaksana', 'jaminan_pelayanan', 'jaminan_keamanan_keselamatan', 'evaluasi_kinerja_pelaksana']",
            name=op.f("ck_service_standard_complete"),
        ),
        sa.CheckConstraint("fee_rupiah >= 0", name=op.f("ck_service_fee_not_negative")),
        sa.CheckConstraint("sla_working_days >= 0", name=op.f("ck_service_sla_not_negative")),
        sa.ForeignKeyConstraint(
            ["region_id", "agency_id"],
            ["agency.region_id", "agency.id"],
            name="fk_service_agency_same_region",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_service_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service")),
        sa.UniqueConstraint("region_id", "id", name=op.f("uq_service_region_id_id")),
        sa.UniqueConstraint("region_id", "slug", name=op.f("uq_service_region_id_slug")),
    )
    op.create_index(op.f("ix_service_agency_id"), "service", ["agency_id"], unique=False)
    op.create_index(op.f("ix_service_region_id"), "service", ["region_id"], unique=False)
    op.create_index(
        "ix_service_search_text_trgm",
        "service",
        ["search_text"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"search_text": "gin_trgm_ops"},
    )
    op.create_index(
        "ix_service_search_vector",
        "service",
        ["search_vector"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_table(
        "staff_role",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column(
            "role",
            sa.Enum("verifikator", "penyetuju", "admin_opd", name="staff_role_name"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id", "agency_id"],
            ["agency.region_id", "agency.id"],
            name=op.f("fk_staff_role_region_id_agency_id_agency"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id", "user_id"],
            ["user_account.region_id", "user_account.id"],
            name=op.f("fk_staff_role_region_id_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_staff_role_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_role")),
        sa.UniqueConstraint(
            "user_id", "agency_id", "role", name=op.f("uq_staff_role_user_id_agency_id_role")
        ),
    )
    op.create_index(op.f("ix_staff_role_agency_id"), "staff_role", ["agency_id"], unique=False)
    op.create_index(op.f("ix_staff_role_region_id"), "staff_role", ["region_id"], unique=False)
    op.create_index(op.f("ix_staff_role_user_id"), "staff_role", ["user_id"], unique=False)
    op.create_table(
        "user_session",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_user_session_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_user_session_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_session_token_hash")),
    )
    op.create_index(
        op.f("ix_user_session_expires_at"), "user_session", ["expires_at"], unique=False
    )
    op.create_index(op.f("ix_user_session_region_id"), "user_session", ["region_id"], unique=False)
    op.create_index(op.f("ix_user_session_user_id"), "user_session", ["user_id"], unique=False)
    op.create_table(
        "service_life_event",
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("life_event_id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id", "life_event_id"],
            ["life_event.region_id", "life_event.id"],
            name=op.f("fk_service_life_event_region_id_life_event_id_life_event"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id", "service_id"],
            ["service.region_id", "service.id"],
            name=op.f("fk_service_life_event_region_id_service_id_service"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_service_life_event_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("service_id", "life_event_id", name=op.f("pk_service_life_event")),
    )
    op.create_index(
        op.f("ix_service_life_event_life_event_id"),
        "service_life_event",
        ["life_event_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_service_life_event_region_id"), "service_life_event", ["region_id"], unique=False
    )
    op.execute(
        "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_event "
        "FOR EACH STATEMENT EXECUTE FUNCTION simpul_forbid_change()"
    )


def downgrade() -> None:
    refuse_data_loss("0001", "region", "agency", "service", "user_account", "audit_event")
    op.drop_index(op.f("ix_service_life_event_region_id"), table_name="service_life_event")
    op.drop_index(op.f("ix_service_life_event_life_event_id"), table_name="service_life_event")
    op.drop_table("service_life_event")
    op.drop_index(op.f("ix_user_session_user_id"), table_name="user_session")
    op.drop_index(op.f("ix_user_session_region_id"), table_name="user_session")
    op.drop_index(op.f("ix_user_session_expires_at"), table_name="user_session")
    op.drop_table("user_session")
    op.drop_index(op.f("ix_staff_role_user_id"), table_name="staff_role")
    op.drop_index(op.f("ix_staff_role_region_id"), table_name="staff_role")
    op.drop_index(op.f("ix_staff_role_agency_id"), table_name="staff_role")
    op.drop_table("staff_role")
    op.drop_index("ix_service_search_vector", table_name="service", postgresql_using="gin")
    op.drop_index(
        "ix_service_search_text_trgm",
        table_name="service",
        postgresql_using="gin",
        postgresql_ops={"search_text": "gin_trgm_ops"},
    )
    op.drop_index(op.f("ix_service_region_id"), table_name="service")
    op.drop_index(op.f("ix_service_agency_id"), table_name="service")
    op.drop_table("service")
    op.drop_index(op.f("ix_api_token_user_id"), table_name="api_token")
    op.drop_index(op.f("ix_api_token_region_id"), table_name="api_token")
    op.drop_table("api_token")
    op.drop_index(
        "uq_user_account_region_id_nik_hash",
        table_name="user_account",
        postgresql_where="nik_hash IS NOT NULL",
    )
    op.drop_index(op.f("ix_user_account_region_id"), table_name="user_account")
    op.drop_table("user_account")
    op.drop_index(op.f("ix_login_attempt_region_id"), table_name="login_attempt")
    op.drop_index("ix_login_attempt_lookup", table_name="login_attempt")
    op.drop_index(op.f("ix_login_attempt_ip"), table_name="login_attempt")
    op.drop_table("login_attempt")
    op.drop_index(op.f("ix_life_event_region_id"), table_name="life_event")
    op.drop_table("life_event")
    op.drop_index(op.f("ix_audit_event_region_id"), table_name="audit_event")
    op.drop_index(op.f("ix_audit_event_at"), table_name="audit_event")
    op.drop_index(op.f("ix_audit_event_actor_id"), table_name="audit_event")
    op.drop_index(op.f("ix_audit_event_action"), table_name="audit_event")
    op.drop_table("audit_event")
    op.drop_index(op.f("ix_agency_region_id"), table_name="agency")
    op.drop_table("agency")
    op.drop_table("region")
    op.execute("DROP FUNCTION IF EXISTS simpul_forbid_change()")
    op.execute("DROP TYPE IF EXISTS account_kind")
    op.execute("DROP TYPE IF EXISTS staff_role_name")
