"""One login (identity): the region's OpenID Connect relying parties, signing keys,
authorization codes, tokens (refresh families), consents, the log of releases to apps, and
the back-channel logout outbox; accounts learn when their e-mail and phone were verified, and
sessions their device, address, last use and how the login was proven. Decision 0057.

Revision ID: 0035_identity
Revises: 0034_complaints
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0035_identity"
down_revision: str | None = "0034_complaints"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "oidc_signing_key",
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("alg", sa.String(length=10), nullable=False),
        sa.Column("private_key_encrypted", sa.Text(), nullable=False),
        sa.Column("public_jwk", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retire_after", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_oidc_signing_key_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_signing_key")),
        sa.UniqueConstraint("region_id", "kid", name=op.f("uq_oidc_signing_key_region_id_kid")),
    )
    op.create_index(
        op.f("ix_oidc_signing_key_region_id"), "oidc_signing_key", ["region_id"], unique=False
    )
    op.create_table(
        "oidc_client",
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("is_public", sa.Boolean(), nullable=False),
        sa.Column("secret_hash", sa.LargeBinary(length=32), nullable=True),
        sa.Column("redirect_uris", postgresql.ARRAY(sa.String(length=500)), nullable=False),
        sa.Column(
            "post_logout_redirect_uris", postgresql.ARRAY(sa.String(length=500)), nullable=False
        ),
        sa.Column("allowed_scopes", postgresql.ARRAY(sa.String(length=40)), nullable=False),
        sa.Column(
            "subject_type", sa.Enum("pairwise", "public", name="oidc_subject_type"), nullable=False
        ),
        sa.Column("backchannel_logout_uri", sa.String(length=500), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
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
            "NOT (is_public AND secret_hash IS NOT NULL)",
            name=op.f("ck_oidc_client_public_no_secret"),
        ),
        sa.CheckConstraint(
            "is_public OR secret_hash IS NOT NULL",
            name=op.f("ck_oidc_client_confidential_client_has_secret"),
        ),
        sa.ForeignKeyConstraint(
            ["region_id", "app_id"],
            ["app.region_id", "app.id"],
            name=op.f("fk_oidc_client_region_id_app_id_app"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_oidc_client_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_client")),
        sa.UniqueConstraint("region_id", "app_id", name=op.f("uq_oidc_client_region_id_app_id")),
        sa.UniqueConstraint(
            "region_id", "client_id", name=op.f("uq_oidc_client_region_id_client_id")
        ),
        sa.UniqueConstraint("region_id", "id", name=op.f("uq_oidc_client_region_id_id")),
    )
    op.create_index(op.f("ix_oidc_client_app_id"), "oidc_client", ["app_id"], unique=False)
    op.create_index(op.f("ix_oidc_client_region_id"), "oidc_client", ["region_id"], unique=False)
    op.create_table(
        "oidc_authorization_code",
        sa.Column("code_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("client_pk", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=True),
        sa.Column("redirect_uri", sa.String(length=500), nullable=False),
        sa.Column("scope", sa.String(length=500), nullable=False),
        sa.Column("nonce", sa.String(length=255), nullable=True),
        sa.Column("code_challenge", sa.String(length=128), nullable=True),
        sa.Column("code_challenge_method", sa.String(length=10), nullable=True),
        sa.Column("auth_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("amr", postgresql.ARRAY(sa.String(length=10)), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id", "client_pk"],
            ["oidc_client.region_id", "oidc_client.id"],
            name=op.f("fk_oidc_authorization_code_region_id_client_pk_oidc_client"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_oidc_authorization_code_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["user_session.id"],
            name=op.f("fk_oidc_authorization_code_session_id_user_session"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_oidc_authorization_code_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_authorization_code")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_oidc_authorization_code_code_hash")),
    )
    op.create_index(
        op.f("ix_oidc_authorization_code_client_pk"),
        "oidc_authorization_code",
        ["client_pk"],
        unique=False,
    )
    op.create_index(
        op.f("ix_oidc_authorization_code_region_id"),
        "oidc_authorization_code",
        ["region_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_oidc_authorization_code_user_id"),
        "oidc_authorization_code",
        ["user_id"],
        unique=False,
    )
    op.create_table(
        "oidc_backchannel_logout",
        sa.Column("client_pk", sa.Uuid(), nullable=False),
        sa.Column("logout_token", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("gave_up_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id", "client_pk"],
            ["oidc_client.region_id", "oidc_client.id"],
            name=op.f("fk_oidc_backchannel_logout_region_id_client_pk_oidc_client"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_oidc_backchannel_logout_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_backchannel_logout")),
    )
    op.create_index(
        "ix_oidc_backchannel_logout_due",
        "oidc_backchannel_logout",
        ["next_attempt_at"],
        unique=False,
        postgresql_where="delivered_at IS NULL AND gave_up_at IS NULL",
    )
    op.create_index(
        op.f("ix_oidc_backchannel_logout_region_id"),
        "oidc_backchannel_logout",
        ["region_id"],
        unique=False,
    )
    op.create_table(
        "oidc_consent",
        sa.Column("client_pk", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("scopes", postgresql.ARRAY(sa.String(length=40)), nullable=False),
        sa.Column(
            "granted_at",
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
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id", "client_pk"],
            ["oidc_client.region_id", "oidc_client.id"],
            name=op.f("fk_oidc_consent_region_id_client_pk_oidc_client"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_oidc_consent_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_oidc_consent_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_consent")),
    )
    op.create_index(op.f("ix_oidc_consent_client_pk"), "oidc_consent", ["client_pk"], unique=False)
    op.create_index(op.f("ix_oidc_consent_region_id"), "oidc_consent", ["region_id"], unique=False)
    op.create_index(op.f("ix_oidc_consent_user_id"), "oidc_consent", ["user_id"], unique=False)
    op.create_index(
        "uq_oidc_consent_active",
        "oidc_consent",
        ["user_id", "client_pk"],
        unique=True,
        postgresql_where="revoked_at IS NULL",
    )
    op.create_table(
        "oidc_release",
        sa.Column("client_pk", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "id_token", "userinfo", "introspection", "gateway", name="oidc_release_channel"
            ),
            nullable=False,
        ),
        sa.Column("claims", postgresql.ARRAY(sa.String(length=40)), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id", "client_pk"],
            ["oidc_client.region_id", "oidc_client.id"],
            name=op.f("fk_oidc_release_region_id_client_pk_oidc_client"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_oidc_release_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_oidc_release_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_release")),
    )
    op.create_index(op.f("ix_oidc_release_client_pk"), "oidc_release", ["client_pk"], unique=False)
    op.create_index(op.f("ix_oidc_release_region_id"), "oidc_release", ["region_id"], unique=False)
    op.create_index(
        "ix_oidc_release_user_at", "oidc_release", ["region_id", "user_id", "at"], unique=False
    )
    op.create_table(
        "oidc_token",
        sa.Column("client_pk", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=True),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("scope", sa.String(length=500), nullable=False),
        sa.Column("access_jti", sa.String(length=64), nullable=False),
        sa.Column("access_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refresh_token_hash", sa.LargeBinary(length=32), nullable=True),
        sa.Column("refresh_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("auth_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("amr", postgresql.ARRAY(sa.String(length=10)), nullable=False),
        sa.Column(
            "issued_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(length=40), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id", "client_pk"],
            ["oidc_client.region_id", "oidc_client.id"],
            name=op.f("fk_oidc_token_region_id_client_pk_oidc_client"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_oidc_token_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["user_session.id"],
            name=op.f("fk_oidc_token_session_id_user_session"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_oidc_token_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_token")),
        sa.UniqueConstraint("access_jti", name=op.f("uq_oidc_token_access_jti")),
        sa.UniqueConstraint("refresh_token_hash", name=op.f("uq_oidc_token_refresh_token_hash")),
    )
    op.create_index(op.f("ix_oidc_token_client_pk"), "oidc_token", ["client_pk"], unique=False)
    op.create_index(op.f("ix_oidc_token_family_id"), "oidc_token", ["family_id"], unique=False)
    op.create_index(op.f("ix_oidc_token_region_id"), "oidc_token", ["region_id"], unique=False)
    op.create_index(op.f("ix_oidc_token_session_id"), "oidc_token", ["session_id"], unique=False)
    op.create_index(
        "ix_oidc_token_user_client",
        "oidc_token",
        ["region_id", "user_id", "client_pk"],
        unique=False,
    )
    op.create_index(op.f("ix_oidc_token_user_id"), "oidc_token", ["user_id"], unique=False)
    op.add_column(
        "user_account", sa.Column("email_verified_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "user_account", sa.Column("phone_verified_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "user_session",
        sa.Column("user_agent", sa.String(length=300), server_default="", nullable=False),
    )
    op.add_column(
        "user_session", sa.Column("source", sa.String(length=45), server_default="", nullable=False)
    )
    op.add_column(
        "user_session", sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "user_session",
        sa.Column(
            "amr", postgresql.ARRAY(sa.String(length=10)), server_default="{pwd}", nullable=False
        ),
    )
    # An activated account proved its address with the activation link.
    op.execute(
        "UPDATE user_account SET email_verified_at = activated_at WHERE activated_at IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_column("user_session", "amr")
    op.drop_column("user_session", "last_seen_at")
    op.drop_column("user_session", "source")
    op.drop_column("user_session", "user_agent")
    op.drop_column("user_account", "phone_verified_at")
    op.drop_column("user_account", "email_verified_at")
    op.drop_index(op.f("ix_oidc_token_user_id"), table_name="oidc_token")
    op.drop_index("ix_oidc_token_user_client", table_name="oidc_token")
    op.drop_index(op.f("ix_oidc_token_session_id"), table_name="oidc_token")
    op.drop_index(op.f("ix_oidc_token_region_id"), table_name="oidc_token")
    op.drop_index(op.f("ix_oidc_token_family_id"), table_name="oidc_token")
    op.drop_index(op.f("ix_oidc_token_client_pk"), table_name="oidc_token")
    op.drop_table("oidc_token")
    op.drop_index("ix_oidc_release_user_at", table_name="oidc_release")
    op.drop_index(op.f("ix_oidc_release_region_id"), table_name="oidc_release")
    op.drop_index(op.f("ix_oidc_release_client_pk"), table_name="oidc_release")
    op.drop_table("oidc_release")
    op.drop_index(
        "uq_oidc_consent_active", table_name="oidc_consent", postgresql_where="revoked_at IS NULL"
    )
    op.drop_index(op.f("ix_oidc_consent_user_id"), table_name="oidc_consent")
    op.drop_index(op.f("ix_oidc_consent_region_id"), table_name="oidc_consent")
    op.drop_index(op.f("ix_oidc_consent_client_pk"), table_name="oidc_consent")
    op.drop_table("oidc_consent")
    op.drop_index(
        op.f("ix_oidc_backchannel_logout_region_id"), table_name="oidc_backchannel_logout"
    )
    op.drop_index(
        "ix_oidc_backchannel_logout_due",
        table_name="oidc_backchannel_logout",
        postgresql_where="delivered_at IS NULL AND gave_up_at IS NULL",
    )
    op.drop_table("oidc_backchannel_logout")
    op.drop_index(op.f("ix_oidc_authorization_code_user_id"), table_name="oidc_authorization_code")
    op.drop_index(
        op.f("ix_oidc_authorization_code_region_id"), table_name="oidc_authorization_code"
    )
    op.drop_index(
        op.f("ix_oidc_authorization_code_client_pk"), table_name="oidc_authorization_code"
    )
    op.drop_table("oidc_authorization_code")
    op.drop_index(op.f("ix_oidc_client_region_id"), table_name="oidc_client")
    op.drop_index(op.f("ix_oidc_client_app_id"), table_name="oidc_client")
    op.drop_table("oidc_client")
    op.drop_index(op.f("ix_oidc_signing_key_region_id"), table_name="oidc_signing_key")
    op.drop_table("oidc_signing_key")
    for type_name in ("oidc_subject_type", "oidc_release_channel"):
        op.execute(f"DROP TYPE IF EXISTS {type_name}")
