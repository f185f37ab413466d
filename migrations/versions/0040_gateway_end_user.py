"""The end user's identity at the gateway (issue 18): a service may ask for the caller's
user's access token; running gateways reload when a region's signing keys, relying parties or
revoked access tokens change.

Revision ID: 0040_gateway_end_user
Revises: 0039_erasure
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0040_gateway_end_user"
down_revision: str | None = "0039_erasure"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

END_USER_IDENTITY = postgresql.ENUM(
    "none", "optional", "required", name="gateway_end_user_identity", create_type=False
)

#: Tables whose changes reach the gateway's snapshot through ``simpul_gateway_config_bump``
#: (migration 0005): the published keys and the relying parties, on any change.
IDENTITY_TABLES = ("oidc_signing_key", "oidc_client")


def upgrade() -> None:
    END_USER_IDENTITY.create(op.get_bind(), checkfirst=False)
    op.add_column(
        "gateway_service",
        sa.Column("end_user_identity", END_USER_IDENTITY, server_default="none", nullable=False),
    )
    op.add_column(
        "gateway_service",
        sa.Column(
            "end_user_scopes",
            postgresql.ARRAY(sa.String(length=40)),
            server_default="{}",
            nullable=False,
        ),
    )
    for table in IDENTITY_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_gateway_config AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION simpul_gateway_config_bump()"
        )
    # An access token revoked before it expires: the gateway refuses its jti from the next
    # reload on (a rotation or a refresh does not concern it).
    op.execute(
        "CREATE TRIGGER oidc_token_gateway_config AFTER UPDATE OF revoked_at ON oidc_token "
        "FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL "
        "AND NEW.access_expires_at > now()) "
        "EXECUTE FUNCTION simpul_gateway_config_bump()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER oidc_token_gateway_config ON oidc_token")
    for table in IDENTITY_TABLES:
        op.execute(f"DROP TRIGGER {table}_gateway_config ON {table}")
    op.drop_column("gateway_service", "end_user_scopes")
    op.drop_column("gateway_service", "end_user_identity")
    END_USER_IDENTITY.drop(op.get_bind(), checkfirst=False)
