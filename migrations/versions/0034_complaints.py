"""Complaints (pengaduan): categories, the region's deadline table, complaints with their
append-only history, photos, followers, forwarding targets and their outbox, Open311 keys;
the staff role ``admin_pengaduan`` (the region's complaint desk). Decision 0056.

Revision ID: 0034_complaints
Revises: 0033_catalogue
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0034_complaints"
down_revision: str | None = "0033_catalogue"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "complaint_forward_target",
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("region", "national", name="complaint_forward_target_kind"),
            nullable=False,
        ),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("secret_encrypted", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
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
            name=op.f("fk_complaint_forward_target_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_forward_target")),
        sa.UniqueConstraint(
            "region_id", "code", name=op.f("uq_complaint_forward_target_region_id_code")
        ),
        sa.UniqueConstraint(
            "region_id", "id", name=op.f("uq_complaint_forward_target_region_id_id")
        ),
    )
    op.create_index(
        op.f("ix_complaint_forward_target_region_id"),
        "complaint_forward_target",
        ["region_id"],
        unique=False,
    )
    op.create_table(
        "open311_key",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("key_prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
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
            name=op.f("fk_open311_key_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open311_key")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_open311_key_key_hash")),
    )
    op.create_index(op.f("ix_open311_key_region_id"), "open311_key", ["region_id"], unique=False)
    op.create_table(
        "complaint_category",
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("name_en", sa.String(length=120), server_default="", nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("group_name", sa.String(length=80), server_default="", nullable=False),
        sa.Column("keywords", sa.String(length=300), server_default="", nullable=False),
        sa.Column(
            "deadline_class",
            sa.Enum(
                "information",
                "simple",
                "no_field_check",
                "field_check",
                name="complaint_deadline_class",
            ),
            nullable=False,
        ),
        sa.Column("default_agency_id", sa.Uuid(), nullable=True),
        sa.Column("needs_location", sa.Boolean(), server_default="true", nullable=False),
        sa.Column(
            "attributes",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
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
            "code ~ '^[a-z0-9][a-z0-9-]*$'", name=op.f("ck_complaint_category_code_slug")
        ),
        sa.ForeignKeyConstraint(
            ["region_id", "default_agency_id"],
            ["agency.region_id", "agency.id"],
            name=op.f("fk_complaint_category_region_id_default_agency_id_agency"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_complaint_category_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_category")),
        sa.UniqueConstraint("region_id", "code", name=op.f("uq_complaint_category_region_id_code")),
        sa.UniqueConstraint("region_id", "id", name=op.f("uq_complaint_category_region_id_id")),
    )
    op.create_index(
        op.f("ix_complaint_category_region_id"), "complaint_category", ["region_id"], unique=False
    )
    op.create_table(
        "complaint_deadline_rule",
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.Column(
            "deadline_class",
            sa.Enum(
                "information",
                "simple",
                "no_field_check",
                "field_check",
                name="complaint_deadline_class",
            ),
            nullable=False,
        ),
        sa.Column("first_response_days", sa.Integer(), nullable=False),
        sa.Column("resolution_days", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "first_response_days >= 1",
            name=op.f("ck_complaint_deadline_rule_first_response_positive"),
        ),
        sa.CheckConstraint(
            "resolution_days >= first_response_days",
            name=op.f("ck_complaint_deadline_rule_resolution_after_first"),
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_complaint_deadline_rule_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "region_id", "deadline_class", name=op.f("pk_complaint_deadline_rule")
        ),
    )
    op.create_table(
        "complaint",
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("complaint", "aspiration", "information", name="complaint_kind"),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "new",
                "routed",
                "in_progress",
                "waiting_citizen",
                "resolved",
                "split",
                "merged",
                "forwarded",
                "rejected",
                name="complaint_status",
            ),
            nullable=False,
        ),
        sa.Column(
            "source",
            sa.Enum("web", "api", "open311", "forwarded_in", name="complaint_source"),
            nullable=False,
        ),
        sa.Column("category_id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=True),
        sa.Column("service_id", sa.Uuid(), nullable=True),
        sa.Column("application_id", sa.Uuid(), nullable=True),
        sa.Column("reporter_id", sa.Uuid(), nullable=True),
        sa.Column("contact_encrypted", sa.Text(), nullable=True),
        sa.Column("title", sa.String(length=150), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("anonymous", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("confidential", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("latitude", sa.Double(), nullable=True),
        sa.Column("longitude", sa.Double(), nullable=True),
        sa.Column("address", sa.String(length=300), server_default="", nullable=False),
        sa.Column(
            "attributes",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("access_code_hash", sa.LargeBinary(length=32), nullable=True),
        sa.Column("open311_token", sa.String(length=64), nullable=True),
        sa.Column(
            "filed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("routed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_response_due", sa.Date(), nullable=False),
        sa.Column("first_responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution_due", sa.Date(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("waiting_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_response_escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution_escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("suggested_agency_id", sa.Uuid(), nullable=True),
        sa.Column("suggested_category_id", sa.Uuid(), nullable=True),
        sa.Column("suggestion_confidence", sa.Double(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("rating_comment", sa.Text(), server_default="", nullable=False),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reopen_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("merged_into_id", sa.Uuid(), nullable=True),
        sa.Column("follower_count", sa.Integer(), server_default="0", nullable=False),
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
            "(latitude IS NULL) = (longitude IS NULL)", name=op.f("ck_complaint_point_whole")
        ),
        sa.CheckConstraint("latitude BETWEEN -90 AND 90", name=op.f("ck_complaint_latitude_range")),
        sa.CheckConstraint(
            "longitude BETWEEN -180 AND 180", name=op.f("ck_complaint_longitude_range")
        ),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_complaint_rating_range")),
        sa.CheckConstraint("reopen_count >= 0", name=op.f("ck_complaint_reopen_count_positive")),
        sa.ForeignKeyConstraint(
            ["region_id", "agency_id"],
            ["agency.region_id", "agency.id"],
            name=op.f("fk_complaint_region_id_agency_id_agency"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["region_id", "application_id"],
            ["application.region_id", "application.id"],
            name=op.f("fk_complaint_region_id_application_id_application"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["region_id", "category_id"],
            ["complaint_category.region_id", "complaint_category.id"],
            name=op.f("fk_complaint_region_id_category_id_complaint_category"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["region_id", "merged_into_id"],
            ["complaint.region_id", "complaint.id"],
            name=op.f("fk_complaint_region_id_merged_into_id_complaint"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["region_id", "parent_id"],
            ["complaint.region_id", "complaint.id"],
            name=op.f("fk_complaint_region_id_parent_id_complaint"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["region_id", "reporter_id"],
            ["user_account.region_id", "user_account.id"],
            name=op.f("fk_complaint_region_id_reporter_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["region_id", "service_id"],
            ["service.region_id", "service.id"],
            name=op.f("fk_complaint_region_id_service_id_service"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_complaint_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint")),
        sa.UniqueConstraint("open311_token", name=op.f("uq_complaint_open311_token")),
        sa.UniqueConstraint("region_id", "id", name=op.f("uq_complaint_region_id_id")),
        sa.UniqueConstraint("region_id", "number", name=op.f("uq_complaint_region_id_number")),
    )
    op.create_index(
        "ix_complaint_agency_status",
        "complaint",
        ["region_id", "agency_id", "status"],
        unique=False,
    )
    op.create_index(op.f("ix_complaint_category_id"), "complaint", ["category_id"], unique=False)
    op.create_index(
        "ix_complaint_public",
        "complaint",
        ["region_id", "filed_at"],
        unique=False,
        postgresql_where="NOT confidential",
    )
    op.create_index(op.f("ix_complaint_region_id"), "complaint", ["region_id"], unique=False)
    op.create_index(
        "ix_complaint_region_status", "complaint", ["region_id", "status", "filed_at"], unique=False
    )
    op.create_index(
        "ix_complaint_reporter", "complaint", ["region_id", "reporter_id", "filed_at"], unique=False
    )
    op.create_table(
        "complaint_event",
        sa.Column("complaint_id", sa.Uuid(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor_label", sa.String(length=200), nullable=False),
        sa.Column("public_actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=True),
        sa.Column("message", sa.Text(), server_default="", nullable=False),
        sa.Column("public", sa.Boolean(), server_default="true", nullable=False),
        sa.Column(
            "details",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id", "complaint_id"],
            ["complaint.region_id", "complaint.id"],
            name=op.f("fk_complaint_event_region_id_complaint_id_complaint"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_complaint_event_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_event")),
    )
    op.create_index(
        op.f("ix_complaint_event_complaint_id"), "complaint_event", ["complaint_id"], unique=False
    )
    op.create_index(
        op.f("ix_complaint_event_region_id"), "complaint_event", ["region_id"], unique=False
    )
    op.create_table(
        "complaint_follower",
        sa.Column("complaint_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id", "complaint_id"],
            ["complaint.region_id", "complaint.id"],
            name=op.f("fk_complaint_follower_region_id_complaint_id_complaint"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id", "user_id"],
            ["user_account.region_id", "user_account.id"],
            name=op.f("fk_complaint_follower_region_id_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_complaint_follower_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("complaint_id", "user_id", name=op.f("pk_complaint_follower")),
    )
    op.create_index(
        op.f("ix_complaint_follower_region_id"), "complaint_follower", ["region_id"], unique=False
    )
    op.create_index(
        op.f("ix_complaint_follower_user_id"), "complaint_follower", ["user_id"], unique=False
    )
    op.create_table(
        "complaint_forward",
        sa.Column("complaint_id", sa.Uuid(), nullable=False),
        sa.Column("target_id", sa.Uuid(), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending", "sending", "retry", "sent", "failed", name="complaint_forward_status"
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("last_error", sa.String(length=300), server_default="", nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("remote_reference", sa.String(length=100), server_default="", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id", "complaint_id"],
            ["complaint.region_id", "complaint.id"],
            name=op.f("fk_complaint_forward_region_id_complaint_id_complaint"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["region_id", "target_id"],
            ["complaint_forward_target.region_id", "complaint_forward_target.id"],
            name=op.f("fk_complaint_forward_region_id_target_id_complaint_forward_target"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_complaint_forward_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_forward")),
    )
    op.create_index(
        op.f("ix_complaint_forward_complaint_id"),
        "complaint_forward",
        ["complaint_id"],
        unique=False,
    )
    op.create_index(
        "ix_complaint_forward_due",
        "complaint_forward",
        ["next_attempt_at"],
        unique=False,
        postgresql_where="status IN ('pending', 'sending', 'retry')",
    )
    op.create_index(
        op.f("ix_complaint_forward_region_id"), "complaint_forward", ["region_id"], unique=False
    )
    op.create_table(
        "complaint_photo",
        sa.Column("complaint_id", sa.Uuid(), nullable=False),
        sa.Column("storage_key", sa.String(length=300), nullable=False),
        sa.Column("content_type", sa.String(length=60), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("location_kept", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.Column("added_by", sa.String(length=20), server_default="reporter", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id", "complaint_id"],
            ["complaint.region_id", "complaint.id"],
            name=op.f("fk_complaint_photo_region_id_complaint_id_complaint"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_complaint_photo_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_photo")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_complaint_photo_storage_key")),
    )
    op.create_index(
        op.f("ix_complaint_photo_complaint_id"), "complaint_photo", ["complaint_id"], unique=False
    )
    op.create_index(
        op.f("ix_complaint_photo_region_id"), "complaint_photo", ["region_id"], unique=False
    )
    op.execute(
        "CREATE TRIGGER complaint_event_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
        "ON complaint_event FOR EACH STATEMENT EXECUTE FUNCTION simpul_forbid_change()"
    )
    op.execute("ALTER TYPE staff_role_name ADD VALUE IF NOT EXISTS 'admin_pengaduan'")


def downgrade() -> None:
    op.drop_index(op.f("ix_complaint_photo_region_id"), table_name="complaint_photo")
    op.drop_index(op.f("ix_complaint_photo_complaint_id"), table_name="complaint_photo")
    op.drop_table("complaint_photo")
    op.drop_index(op.f("ix_complaint_forward_region_id"), table_name="complaint_forward")
    op.drop_index(
        "ix_complaint_forward_due",
        table_name="complaint_forward",
        postgresql_where="status IN ('pending', 'sending', 'retry')",
    )
    op.drop_index(op.f("ix_complaint_forward_complaint_id"), table_name="complaint_forward")
    op.drop_table("complaint_forward")
    op.drop_index(op.f("ix_complaint_follower_user_id"), table_name="complaint_follower")
    op.drop_index(op.f("ix_complaint_follower_region_id"), table_name="complaint_follower")
    op.drop_table("complaint_follower")
    op.drop_index(op.f("ix_complaint_event_region_id"), table_name="complaint_event")
    op.drop_index(op.f("ix_complaint_event_complaint_id"), table_name="complaint_event")
    op.execute("DROP TRIGGER complaint_event_append_only ON complaint_event")
    op.drop_table("complaint_event")
    op.drop_index("ix_complaint_reporter", table_name="complaint")
    op.drop_index("ix_complaint_region_status", table_name="complaint")
    op.drop_index(op.f("ix_complaint_region_id"), table_name="complaint")
    op.drop_index(
        "ix_complaint_public", table_name="complaint", postgresql_where="NOT confidential"
    )
    op.drop_index(op.f("ix_complaint_category_id"), table_name="complaint")
    op.drop_index("ix_complaint_agency_status", table_name="complaint")
    op.drop_table("complaint")
    op.drop_index(op.f("ix_complaint_category_region_id"), table_name="complaint_category")
    op.drop_table("complaint_category")
    op.drop_index(op.f("ix_open311_key_region_id"), table_name="open311_key")
    op.drop_table("open311_key")
    op.drop_index(
        op.f("ix_complaint_forward_target_region_id"), table_name="complaint_forward_target"
    )
    op.drop_table("complaint_forward_target")
    op.drop_table("complaint_deadline_rule")
    for type_name in (
        "complaint_kind",
        "complaint_status",
        "complaint_source",
        "complaint_deadline_class",
        "complaint_forward_target_kind",
        "complaint_forward_status",
    ):
        op.execute(f"DROP TYPE IF EXISTS {type_name}")
    # PostgreSQL cannot drop an enum value: 'admin_pengaduan' stays (unused) in
    # staff_role_name once its holders are gone.
    op.execute("DELETE FROM staff_role WHERE role = 'admin_pengaduan'")
