"""The region's application inventory (the first part of the integration layer)."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from simpul.core.i18n import lazy
from simpul.core.models import Base, IdMixin, RegionScoped, TimestampMixin, utcnow, value_enum


class AppStatus(enum.StrEnum):
    OPERATING = "operating"
    IN_DEVELOPMENT = "in_development"
    RETIRED = "retired"


class AppUsers(enum.StrEnum):
    CITIZENS = "citizens"
    STAFF = "staff"
    BOTH = "both"


class Hosting(enum.StrEnum):
    NATIONAL_DATA_CENTRE = "national_data_centre"  # Pusat Data Nasional (PDN)
    REGIONAL_DATA_CENTRE = "regional_data_centre"  # pusat data daerah
    CLOUD = "cloud"
    VENDOR = "vendor"


class DataClassification(enum.StrEnum):
    """Kinds of information the app holds (UU 14/2008 KIP and UU 27/2022 PDP)."""

    PUBLIC = "public"  # terbuka
    INTERNAL = "internal"  # internal pemerintah
    PERSONAL = "personal"  # memuat data pribadi
    SECRET = "secret"  # noqa: S105 - a classification, not a password (rahasia)


class IntegrationState(enum.StrEnum):
    NOT_PLANNED = "not_planned"
    PLANNED = "planned"  # for ``planned_year``
    INTEGRATED = "integrated"


#: SPBE service areas (Perpres 95/2018): government administration, then public services.
SPBE_AREAS = {
    "perencanaan": lazy("Perencanaan"),
    "penganggaran": lazy("Penganggaran"),
    "keuangan": lazy("Keuangan"),
    "pengadaan": lazy("Pengadaan barang dan jasa"),
    "kepegawaian": lazy("Kepegawaian"),
    "kearsipan": lazy("Kearsipan"),
    "barang_milik_daerah": lazy("Pengelolaan barang milik daerah"),
    "pengawasan": lazy("Pengawasan internal"),
    "akuntabilitas_kinerja": lazy("Akuntabilitas kinerja"),
    "administrasi_lainnya": lazy("Administrasi pemerintahan lainnya"),
    "layanan_publik": lazy("Layanan publik"),
}

STATUS_LABELS = {
    "operating": lazy("Beroperasi"),
    "in_development": lazy("Dalam pengembangan"),
    "retired": lazy("Tidak beroperasi"),
}
USERS_LABELS = {
    "citizens": lazy("Warga"),
    "staff": lazy("Pegawai"),
    "both": lazy("Warga dan pegawai"),
}
HOSTING_LABELS = {
    "national_data_centre": lazy("Pusat Data Nasional"),
    "regional_data_centre": lazy("Pusat data daerah"),
    "cloud": lazy("Komputasi awan"),
    "vendor": lazy("Server penyedia"),
}
CLASSIFICATION_LABELS = {
    "public": lazy("Terbuka"),
    "internal": lazy("Internal"),
    "personal": lazy("Memuat data pribadi"),
    "secret": lazy("Rahasia"),
}
INTEGRATION_LABELS = {
    "not_planned": lazy("Belum direncanakan"),
    "planned": lazy("Direncanakan"),
    "integrated": lazy("Terintegrasi"),
}


class App(IdMixin, TimestampMixin, RegionScoped, Base):
    """An application the region runs or builds, with its owner agency and integration state."""

    __tablename__ = "app"
    __table_args__ = (
        UniqueConstraint("region_id", "code"),
        UniqueConstraint("region_id", "id"),
        ForeignKeyConstraint(
            ["region_id", "agency_id"], ["agency.region_id", "agency.id"], ondelete="RESTRICT"
        ),
        CheckConstraint(
            "(integration_state = 'planned') = (planned_year IS NOT NULL)",
            name="planned_has_year",
        ),
    )

    #: Short identifier, unique in the region (also the GovStack application code later).
    code: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(200))
    agency_id: Mapped[uuid.UUID] = mapped_column(index=True)
    purpose: Mapped[str] = mapped_column(Text, default="")
    users: Mapped[AppUsers] = mapped_column(value_enum(AppUsers, "app_users"))
    url: Mapped[str] = mapped_column(String(300), default="")
    hosting: Mapped[Hosting] = mapped_column(value_enum(Hosting, "app_hosting"))
    status: Mapped[AppStatus] = mapped_column(value_enum(AppStatus, "app_status"), index=True)
    spbe_area: Mapped[str] = mapped_column(String(40))
    data_classification: Mapped[DataClassification] = mapped_column(
        value_enum(DataClassification, "data_classification")
    )
    integration_state: Mapped[IntegrationState] = mapped_column(
        value_enum(IntegrationState, "integration_state"), default=IntegrationState.NOT_PLANNED
    )
    planned_year: Mapped[int | None]
    integrated_on: Mapped[date | None]


class RoadmapTarget(IdMixin, RegionScoped, Base):
    """How many apps the region plans to integrate in a year (Kota Bandung: 10)."""

    __tablename__ = "roadmap_target"
    __table_args__ = (
        UniqueConstraint("region_id", "year"),
        CheckConstraint("target >= 0", name="target_not_negative"),
    )

    year: Mapped[int]
    target: Mapped[int] = mapped_column(default=10)


# --- The integration gateway: providers, services, clients, grants, message log -------------

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


class RegionKey(IdMixin, RegionScoped, Base):
    """The region's Ed25519 signing key (seals of the message log). Private half encrypted."""

    __tablename__ = "region_key"
    __table_args__ = (UniqueConstraint("region_id", "kid"),)

    kid: Mapped[str] = mapped_column(String(40))
    algorithm: Mapped[str] = mapped_column(String(20), default="ed25519")
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    #: Fernet ciphertext of the raw private key, under a key derived from the secret key.
    private_key_encrypted: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
    retired_at: Mapped[datetime | None]


class GatewayMessage(Base):
    """One exchange through the gateway. Hash-chained per region, append-only (trigger).

    ``hash = SHA-256(prev_hash || canonical bytes of the record)``; see ``gateway.msglog``.
    """

    __tablename__ = "gateway_message"
    __table_args__ = (
        Index("ix_gateway_message_region_id_at", "region_id", "at"),
        Index("ix_gateway_message_region_id_service_at", "region_id", "service", "at"),
    )

    region_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("region.id", ondelete="RESTRICT"), primary_key=True
    )
    #: 1, 2, 3 ... per region with no gaps: a missing number is a removed record.
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime]
    request_id: Mapped[uuid.UUID]
    #: The caller as it identified itself: ``INSTANCE/CLASS/MEMBER/APPLICATION`` ("" if none).
    client: Mapped[str] = mapped_column(String(300))
    #: ``INSTANCE/CLASS/MEMBER/APPLICATION/SERVICE`` ("" when the address named none).
    service: Mapped[str] = mapped_column(String(300))
    #: The matched endpoint, ``METHOD /template`` ("" when none matched).
    endpoint: Mapped[str] = mapped_column(String(600))
    method: Mapped[str] = mapped_column(String(10))
    #: Path below the service, without the query string (it may hold personal data).
    path: Mapped[str] = mapped_column(Text)
    status: Mapped[int]
    #: Why the gateway answered itself ("" when the provider answered), e.g. ``no_grant``.
    error: Mapped[str] = mapped_column(String(40))
    duration_us: Mapped[int] = mapped_column(BigInteger)
    request_bytes: Mapped[int] = mapped_column(BigInteger)
    response_bytes: Mapped[int] = mapped_column(BigInteger)
    #: Request and response bodies, encrypted, only for services that ask for it.
    bodies_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    prev_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class GatewayLogSeal(Base):
    """A signed statement that a region's records ``first_seq..last_seq`` ended in ``last_hash``.

    Seals are chained too (``prev_seal_hash``), so removing a seal is noticed.
    """

    __tablename__ = "gateway_log_seal"

    region_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("region.id", ondelete="RESTRICT"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    first_seq: Mapped[int] = mapped_column(BigInteger)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    prev_seal_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    sealed_at: Mapped[datetime]
    kid: Mapped[str] = mapped_column(String(40))
    signature: Mapped[bytes] = mapped_column(LargeBinary(64))


class GatewayRefusal(Base):
    """Calls refused before their caller was identified, counted per region, minute and reason.

    Beside the message log, not in it: such calls are not logged one by one, so junk traffic
    cannot fill the log (``gateway.msglog.refusals``). Gateway processes add to the counts.
    """

    __tablename__ = "gateway_refusal"

    region_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("region.id", ondelete="RESTRICT"), primary_key=True
    )
    #: The minute (UTC) the calls were refused in.
    minute: Mapped[datetime] = mapped_column(primary_key=True)
    #: The error code the callers got, e.g. ``key_invalid`` or ``too_many_refusals``.
    reason: Mapped[str] = mapped_column(String(40), primary_key=True)
    refusals: Mapped[int] = mapped_column(BigInteger)
