"""gateway providers clients grants and message log

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 20:18:31.813182
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from simpul.core.migrate import refuse_data_loss

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONFIG_TABLES = (
    "app",
    "agency",
    "gateway_service",
    "gateway_endpoint",
    "gateway_client",
    "gateway_credential",
    "gateway_client_group",
    "gateway_client_group_member",
    "gateway_grant",
)

# Every change to what the gateway serves bumps the region's version and notifies listeners:
# running gateways reload their cached configuration (see simpul.gateway.dataplane.config).
BUMP_FUNCTION = """
CREATE FUNCTION simpul_gateway_config_bump() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed uuid;
BEGIN
    IF TG_OP = 'DELETE' THEN
        changed := OLD.region_id;
    ELSE
        changed := NEW.region_id;
    END IF;
    INSERT INTO gateway_config_state (region_id, version) VALUES (changed, 1)
    ON CONFLICT (region_id) DO UPDATE SET version = gateway_config_state.version + 1;
    PERFORM pg_notify('simpul_gateway_config', changed::text);
    RETURN NULL;
END;
$$
"""


def upgrade() -> None:
    op.create_table(
        "gateway_client_group",
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
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
            name=op.f("fk_gateway_client_group_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateway_client_group")),
        sa.UniqueConstraint(
            "region_id", "code", name=op.f("uq_gateway_client_group_region_id_code")
        ),
        sa.UniqueConstraint("region_id", "id", name=op.f("uq_gateway_client_group_region_id_id")),
    )
    op.create_index(
        op.f("ix_gateway_client_group_region_id"),
        "gateway_client_group",
        ["region_id"],
        unique=False,
    )
    op.create_table(
        "gateway_config_state",
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_gateway_config_state_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("region_id", name=op.f("pk_gateway_config_state")),
    )
    op.create_table(
        "gateway_log_seal",
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("first_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("prev_seal_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kid", sa.String(length=40), nullable=False),
        sa.Column("signature", sa.LargeBinary(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_gateway_log_seal_region_id_region"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("region_id", "seq", name=op.f("pk_gateway_log_seal")),
    )
    op.create_table(
        "gateway_message",
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("client", sa.String(length=300), nullable=False),
        sa.Column("service", sa.String(length=300), nullable=False),
        sa.Column("endpoint", sa.String(length=600), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=40), nullable=False),
        sa.Column("duration_us", sa.BigInteger(), nullable=False),
        sa.Column("request_bytes", sa.BigInteger(), nullable=False),
        sa.Column("response_bytes", sa.BigInteger(), nullable=False),
        sa.Column("bodies_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("prev_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_gateway_message_region_id_region"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("region_id", "seq", name=op.f("pk_gateway_message")),
    )
    op.create_index(
        "ix_gateway_message_region_id_at", "gateway_message", ["region_id", "at"], unique=False
    )
    op.create_index(
        "ix_gateway_message_region_id_service_at",
        "gateway_message",
        ["region_id", "service", "at"],
        unique=False,
    )
    op.create_table(
        "region_key",
        sa.Column("kid", sa.String(length=40), nullable=False),
        sa.Column("algorithm", sa.String(length=20), nullable=False),
        sa.Column("public_key", sa.LargeBinary(length=32), nullable=False),
        sa.Column("private_key_encrypted", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_region_key_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_region_key")),
        sa.UniqueConstraint("region_id", "kid", name=op.f("uq_region_key_region_id_kid")),
    )
    op.create_index(op.f("ix_region_key_region_id"), "region_key", ["region_id"], unique=False)
    op.create_table(
        "gateway_client",
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column("rate_limit_per_minute", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
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
            "rate_limit_per_minute > 0", name=op.f("ck_gateway_client_rate_limit_positive")
        ),
        sa.ForeignKeyConstraint(
            ["region_id", "app_id"],
            ["app.region_id", "app.id"],
            name=op.f("fk_gateway_client_region_id_app_id_app"),
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_gateway_client_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateway_client")),
        sa.UniqueConstraint("region_id", "app_id", name=op.f("uq_gateway_client_region_id_app_id")),
        sa.UniqueConstraint("region_id", "id", name=op.f("uq_gateway_client_region_id_id")),
    )
    op.create_index(op.f("ix_gateway_client_app_id"), "gateway_client", ["app_id"], unique=False)
    op.create_index(
        op.f("ix_gateway_client_region_id"), "gateway_client", ["region_id"], unique=False
    )
    op.create_table(
        "gateway_service",
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("upstream_url", sa.String(length=500), nullable=False),
        sa.Column("openapi", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("log_bodies", sa.Boolean(), nullable=False),
        sa.Column("timeout_seconds", sa.Double(), nullable=False),
        sa.Column("max_body_bytes", sa.BigInteger(), nullable=False),
        sa.Column("first_enabled_at", sa.DateTime(timezone=True), nullable=True),
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
        sa.CheckConstraint("max_body_bytes > 0", name=op.f("ck_gateway_service_max_body_positive")),
        sa.CheckConstraint(
            "timeout_seconds > 0 AND timeout_seconds <= 600",
            name=op.f("ck_gateway_service_timeout_range"),
        ),
        sa.ForeignKeyConstraint(
            ["region_id", "app_id"],
            ["app.region_id", "app.id"],
            name=op.f("fk_gateway_service_region_id_app_id_app"),
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_gateway_service_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateway_service")),
        sa.UniqueConstraint(
            "region_id", "app_id", "code", name=op.f("uq_gateway_service_region_id_app_id_code")
        ),
        sa.UniqueConstraint("region_id", "id", name=op.f("uq_gateway_service_region_id_id")),
    )
    op.create_index(op.f("ix_gateway_service_app_id"), "gateway_service", ["app_id"], unique=False)
    op.create_index(
        op.f("ix_gateway_service_region_id"), "gateway_service", ["region_id"], unique=False
    )
    op.create_table(
        "gateway_client_group_member",
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id", "client_id"],
            ["gateway_client.region_id", "gateway_client.id"],
            name=op.f("fk_gateway_client_group_member_region_id_client_id_gateway_client"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id", "group_id"],
            ["gateway_client_group.region_id", "gateway_client_group.id"],
            name=op.f("fk_gateway_client_group_member_region_id_group_id_gateway_client_group"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_gateway_client_group_member_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "group_id", "client_id", name=op.f("pk_gateway_client_group_member")
        ),
    )
    op.create_index(
        op.f("ix_gateway_client_group_member_client_id"),
        "gateway_client_group_member",
        ["client_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_gateway_client_group_member_region_id"),
        "gateway_client_group_member",
        ["region_id"],
        unique=False,
    )
    op.create_table(
        "gateway_credential",
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("key_digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("key_hint", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id", "client_id"],
            ["gateway_client.region_id", "gateway_client.id"],
            name=op.f("fk_gateway_credential_region_id_client_id_gateway_client"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_gateway_credential_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateway_credential")),
        sa.UniqueConstraint("key_digest", name=op.f("uq_gateway_credential_key_digest")),
        sa.UniqueConstraint("region_id", "id", name=op.f("uq_gateway_credential_region_id_id")),
    )
    op.create_index(
        op.f("ix_gateway_credential_client_id"), "gateway_credential", ["client_id"], unique=False
    )
    op.create_index(
        op.f("ix_gateway_credential_region_id"), "gateway_credential", ["region_id"], unique=False
    )
    op.create_table(
        "gateway_endpoint",
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("operation_id", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.String(length=300), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id", "service_id"],
            ["gateway_service.region_id", "gateway_service.id"],
            name=op.f("fk_gateway_endpoint_region_id_service_id_gateway_service"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_gateway_endpoint_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateway_endpoint")),
        sa.UniqueConstraint("region_id", "id", name=op.f("uq_gateway_endpoint_region_id_id")),
        sa.UniqueConstraint(
            "service_id", "method", "path", name=op.f("uq_gateway_endpoint_service_id_method_path")
        ),
    )
    op.create_index(
        op.f("ix_gateway_endpoint_region_id"), "gateway_endpoint", ["region_id"], unique=False
    )
    op.create_index(
        op.f("ix_gateway_endpoint_service_id"), "gateway_endpoint", ["service_id"], unique=False
    )
    op.create_table(
        "gateway_grant",
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("endpoint_id", sa.Uuid(), nullable=True),
        sa.Column("client_id", sa.Uuid(), nullable=True),
        sa.Column("group_id", sa.Uuid(), nullable=True),
        sa.Column(
            "status",
            sa.Enum("pending", "approved", "rejected", "revoked", name="grant_status"),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
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
            "(status = 'pending') = (decided_at IS NULL)",
            name=op.f("ck_gateway_grant_decided_unless_pending"),
        ),
        sa.CheckConstraint(
            "(client_id IS NULL) <> (group_id IS NULL)", name=op.f("ck_gateway_grant_one_grantee")
        ),
        sa.ForeignKeyConstraint(
            ["region_id", "client_id"],
            ["gateway_client.region_id", "gateway_client.id"],
            name=op.f("fk_gateway_grant_region_id_client_id_gateway_client"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id", "endpoint_id"],
            ["gateway_endpoint.region_id", "gateway_endpoint.id"],
            name=op.f("fk_gateway_grant_region_id_endpoint_id_gateway_endpoint"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id", "group_id"],
            ["gateway_client_group.region_id", "gateway_client_group.id"],
            name=op.f("fk_gateway_grant_region_id_group_id_gateway_client_group"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id", "service_id"],
            ["gateway_service.region_id", "gateway_service.id"],
            name=op.f("fk_gateway_grant_region_id_service_id_gateway_service"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_gateway_grant_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateway_grant")),
    )
    op.create_index(
        op.f("ix_gateway_grant_client_id"), "gateway_grant", ["client_id"], unique=False
    )
    op.create_index(op.f("ix_gateway_grant_group_id"), "gateway_grant", ["group_id"], unique=False)
    op.create_index(
        op.f("ix_gateway_grant_region_id"), "gateway_grant", ["region_id"], unique=False
    )
    op.create_index(
        op.f("ix_gateway_grant_service_id"), "gateway_grant", ["service_id"], unique=False
    )
    op.execute(BUMP_FUNCTION)
    for table in CONFIG_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_gateway_config AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION simpul_gateway_config_bump()"
        )
    # The message log and its seals are only ever appended to.
    for table in ("gateway_message", "gateway_log_seal"):
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION simpul_forbid_change()"
        )


def downgrade() -> None:
    refuse_data_loss(
        "0005",
        "gateway_service",
        "gateway_client",
        "gateway_grant",
        "gateway_message",
        "region_key",
    )
    for table in ("gateway_message", "gateway_log_seal"):
        op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
    for table in CONFIG_TABLES:
        op.execute(f"DROP TRIGGER {table}_gateway_config ON {table}")
    op.execute("DROP FUNCTION simpul_gateway_config_bump()")
    op.drop_index(op.f("ix_gateway_grant_service_id"), table_name="gateway_grant")
    op.drop_index(op.f("ix_gateway_grant_region_id"), table_name="gateway_grant")
    op.drop_index(op.f("ix_gateway_grant_group_id"), table_name="gateway_grant")
    op.drop_index(op.f("ix_gateway_grant_client_id"), table_name="gateway_grant")
    op.drop_table("gateway_grant")
    op.drop_index(op.f("ix_gateway_endpoint_service_id"), table_name="gateway_endpoint")
    op.drop_index(op.f("ix_gateway_endpoint_region_id"), table_name="gateway_endpoint")
    op.drop_table("gateway_endpoint")
    op.drop_index(op.f("ix_gateway_credential_region_id"), table_name="gateway_credential")
    op.drop_index(op.f("ix_gateway_credential_client_id"), table_name="gateway_credential")
    op.drop_table("gateway_credential")
    op.drop_index(
        op.f("ix_gateway_client_group_member_region_id"), table_name="gateway_client_group_member"
    )
    op.drop_index(
        op.f("ix_gateway_client_group_member_client_id"), table_name="gateway_client_group_member"
    )
    op.drop_table("gateway_client_group_member")
    op.drop_index(op.f("ix_gateway_service_region_id"), table_name="gateway_service")
    op.drop_index(op.f("ix_gateway_service_app_id"), table_name="gateway_service")
    op.drop_table("gateway_service")
    op.drop_index(op.f("ix_gateway_client_region_id"), table_name="gateway_client")
    op.drop_index(op.f("ix_gateway_client_app_id"), table_name="gateway_client")
    op.drop_table("gateway_client")
    op.drop_index(op.f("ix_region_key_region_id"), table_name="region_key")
    op.drop_table("region_key")
    op.drop_index("ix_gateway_message_region_id_service_at", table_name="gateway_message")
    op.drop_index("ix_gateway_message_region_id_at", table_name="gateway_message")
    op.drop_table("gateway_message")
    op.drop_table("gateway_log_seal")
    op.drop_table("gateway_config_state")
    op.drop_index(op.f("ix_gateway_client_group_region_id"), table_name="gateway_client_group")
    op.drop_table("gateway_client_group")
    op.execute("DROP TYPE grant_status")
