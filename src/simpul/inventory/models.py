"""The region's application inventory (the register of apps) and its yearly integration roadmap."""

from __future__ import annotations

import enum
import uuid
from datetime import date

from sqlalchemy import (
    CheckConstraint,
    ForeignKeyConstraint,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from simpul.core.i18n import lazy
from simpul.core.models import Base, IdMixin, RegionScoped, TimestampMixin, value_enum


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
