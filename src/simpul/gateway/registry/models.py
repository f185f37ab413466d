"""The gateway's control plane: provider services and endpoints, clients, their keys and groups,
grants, and the per-region configuration version that running gateways watch."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from simpul.core.i18n import lazy
from simpul.core.models import Base, IdMixin, RegionScoped, TimestampMixin, utcnow, value_enum

#: GovStack member class of the region's own agencies (perangkat daerah).
GOVERNMENT_MEMBER_CLASS = "GOV"


class GrantStatus(enum.StrEnum):
    PENDING = "pending"  # requested, waiting for the region admin
    APPROVED = "approved"
    REJECTED = "rejected"
    REVOKED = "revoked"


GRANT_STATUS_LABELS = {
    "pending": lazy("Menunggu persetujuan"),
    "approved": lazy("Disetujui"),
    "rejected": lazy("Ditolak"),
    "revoked": lazy("Dicabut"),
}


class EndUserIdentity(enum.StrEnum):
    """Whether a service asks for the end user's access token (decision 0057): the calling app
    still authenticates as itself; the token says on whose behalf it calls."""

    NONE = "none"  # no token looked at, no subject passed on
    OPTIONAL = "optional"  # a token, when sent, must be valid; its subject is passed on
    REQUIRED = "required"  # no call without a valid token


END_USER_IDENTITY_LABELS = {
    "none": lazy("Tidak dipakai"),
    "optional": lazy("Opsional: diteruskan bila dikirim"),
    "required": lazy("Wajib: panggilan tanpa token pengguna ditolak"),
}


class GatewayService(IdMixin, TimestampMixin, RegionScoped, Base):
    """A REST service a provider app offers through the gateway, described by OpenAPI 3."""

    __tablename__ = "gateway_service"
    __table_args__ = (
        UniqueConstraint("region_id", "app_id", "code"),
        UniqueConstraint("region_id", "id"),
        ForeignKeyConstraint(["region_id", "app_id"], ["app.region_id", "app.id"]),
        CheckConstraint("timeout_seconds > 0 AND timeout_seconds <= 600", name="timeout_range"),
        CheckConstraint("max_body_bytes > 0", name="max_body_positive"),
    )

    #: The provider: an app of the inventory.
    app_id: Mapped[uuid.UUID] = mapped_column(index=True)
    #: GovStack service code, unique per provider app (``[A-Za-z0-9._-]``).
    code: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    #: ``info.version`` of the OpenAPI document.
    version: Mapped[str] = mapped_column(String(40), default="")
    #: Base URL requests are forwarded to, e.g. ``http://10.0.3.7:8080/api``.
    upstream_url: Mapped[str] = mapped_column(String(500))
    #: The validated OpenAPI 3 document, as JSON.
    openapi: Mapped[dict[str, Any]] = mapped_column(JSONB)
    enabled: Mapped[bool] = mapped_column(default=True)
    #: Keep request and response bodies (encrypted) in the message log.
    log_bodies: Mapped[bool] = mapped_column(default=False)
    timeout_seconds: Mapped[float] = mapped_column(default=30.0)
    max_body_bytes: Mapped[int] = mapped_column(BigInteger, default=10 * 1024 * 1024)
    #: When the service was first enabled: the provider app counts as integrated from then.
    first_enabled_at: Mapped[datetime | None]
    #: Whether calls carry the end user's access token (``X-Simpul-User-Token``).
    end_user_identity: Mapped[EndUserIdentity] = mapped_column(
        value_enum(EndUserIdentity, "gateway_end_user_identity"),
        default=EndUserIdentity.NONE,
        server_default=EndUserIdentity.NONE.value,
    )
    #: The scopes such a token must carry (always including ``openid``).
    end_user_scopes: Mapped[list[str]] = mapped_column(
        ARRAY(String(40)), default=list, server_default="{}"
    )


class GatewayEndpoint(IdMixin, RegionScoped, Base):
    """One operation of a service's OpenAPI document (method + path template)."""

    __tablename__ = "gateway_endpoint"
    __table_args__ = (
        UniqueConstraint("service_id", "method", "path"),
        UniqueConstraint("region_id", "id"),
        ForeignKeyConstraint(
            ["region_id", "service_id"],
            ["gateway_service.region_id", "gateway_service.id"],
            ondelete="CASCADE",
        ),
    )

    service_id: Mapped[uuid.UUID] = mapped_column(index=True)
    #: Upper case: GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS.
    method: Mapped[str] = mapped_column(String(10))
    #: OpenAPI path template relative to the service, e.g. ``/pets/{petId}``.
    path: Mapped[str] = mapped_column(String(500))
    operation_id: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(String(300), default="")
    enabled: Mapped[bool] = mapped_column(default=True)


class GatewayClient(IdMixin, TimestampMixin, RegionScoped, Base):
    """An app of the inventory that may call services through the gateway."""

    __tablename__ = "gateway_client"
    __table_args__ = (
        UniqueConstraint("region_id", "app_id"),
        UniqueConstraint("region_id", "id"),
        ForeignKeyConstraint(["region_id", "app_id"], ["app.region_id", "app.id"]),
        CheckConstraint("rate_limit_per_minute > 0", name="rate_limit_positive"),
    )

    app_id: Mapped[uuid.UUID] = mapped_column(index=True)
    #: Requests per minute across all services (a token bucket, bursts up to this many).
    rate_limit_per_minute: Mapped[int] = mapped_column(default=600)
    enabled: Mapped[bool] = mapped_column(default=True)


class GatewayCredential(IdMixin, RegionScoped, Base):
    """An API key of a client. Only the SHA-256 of the key is kept; the key is shown once."""

    __tablename__ = "gateway_credential"
    __table_args__ = (
        UniqueConstraint("region_id", "id"),
        ForeignKeyConstraint(
            ["region_id", "client_id"],
            ["gateway_client.region_id", "gateway_client.id"],
            ondelete="CASCADE",
        ),
    )

    client_id: Mapped[uuid.UUID] = mapped_column(index=True)
    key_digest: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    #: The first characters of the key, so people can tell keys apart.
    key_hint: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    #: After rotation the old key keeps working until then (a grace period), then never.
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str] = mapped_column(Text, default="")


class GatewayClientGroup(IdMixin, TimestampMixin, RegionScoped, Base):
    """A named set of clients that can be granted access together."""

    __tablename__ = "gateway_client_group"
    __table_args__ = (
        UniqueConstraint("region_id", "code"),
        UniqueConstraint("region_id", "id"),
    )

    code: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(200))


class GatewayClientGroupMember(RegionScoped, Base):
    __tablename__ = "gateway_client_group_member"
    __table_args__ = (
        ForeignKeyConstraint(
            ["region_id", "group_id"],
            ["gateway_client_group.region_id", "gateway_client_group.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["region_id", "client_id"],
            ["gateway_client.region_id", "gateway_client.id"],
            ondelete="CASCADE",
        ),
    )

    group_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, index=True)


class GatewayGrant(IdMixin, TimestampMixin, RegionScoped, Base):
    """Permission for a client (or a group) to call a service, or one endpoint of it.

    Access is denied unless an approved grant exists; the region admin approves.
    """

    __tablename__ = "gateway_grant"
    __table_args__ = (
        ForeignKeyConstraint(
            ["region_id", "service_id"],
            ["gateway_service.region_id", "gateway_service.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["region_id", "endpoint_id"],
            ["gateway_endpoint.region_id", "gateway_endpoint.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["region_id", "client_id"],
            ["gateway_client.region_id", "gateway_client.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["region_id", "group_id"],
            ["gateway_client_group.region_id", "gateway_client_group.id"],
            ondelete="CASCADE",
        ),
        CheckConstraint("(client_id IS NULL) <> (group_id IS NULL)", name="one_grantee"),
        CheckConstraint(
            "(status = 'pending') = (decided_at IS NULL)", name="decided_unless_pending"
        ),
    )

    service_id: Mapped[uuid.UUID] = mapped_column(index=True)
    #: None: every endpoint of the service.
    endpoint_id: Mapped[uuid.UUID | None]
    client_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    group_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    status: Mapped[GrantStatus] = mapped_column(
        value_enum(GrantStatus, "grant_status"), default=GrantStatus.PENDING
    )
    reason: Mapped[str] = mapped_column(Text, default="")
    requested_by: Mapped[str] = mapped_column(String(200))
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str] = mapped_column(Text, default="")


class GatewayConfigState(Base):
    """One row per region, bumped by triggers on every gateway table: gateways reload on change."""

    __tablename__ = "gateway_config_state"

    region_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("region.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(BigInteger, default=0)
