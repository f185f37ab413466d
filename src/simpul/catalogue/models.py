"""Agencies (OPD), life events and services with their published standard and eForm."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Computed,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSON, JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column, relationship

from simpul.catalogue.standard import DEFAULT_WORKFLOW
from simpul.core.models import Base, IdMixin, RegionScoped, TimestampMixin

#: Words a citizen may type, weighted: the name first, then keywords, then the summary and
#: the agency. Kept in one generated column so the ranking is computed by PostgreSQL.
SEARCH_VECTOR_SQL = (
    "setweight(to_tsvector('indonesian'::regconfig, coalesce(name, '')), 'A') || "
    "setweight(to_tsvector('indonesian'::regconfig, coalesce(keywords, '')), 'A') || "
    "setweight(to_tsvector('indonesian'::regconfig, coalesce(summary, '')), 'B') || "
    "setweight(to_tsvector('indonesian'::regconfig, coalesce(agency_names, '')), 'C') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(name_en, '')), 'C')"
)
#: Lower-cased text for trigram matching, which forgives typos the stemmer cannot.
SEARCH_TEXT_SQL = (
    "lower(name || ' ' || coalesce(keywords, '') || ' ' || coalesce(agency_names, ''))"
)


class LifeEvent(IdMixin, RegionScoped, Base):
    """A moment in a citizen's life (kelahiran, pindah, usaha ...) that groups services."""

    __tablename__ = "life_event"
    __table_args__ = (
        UniqueConstraint("region_id", "slug"),
        UniqueConstraint("region_id", "id"),
    )

    slug: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)


class Agency(IdMixin, TimestampMixin, RegionScoped, Base):
    """An organisation unit of the Pemda (perangkat daerah / OPD)."""

    __tablename__ = "agency"
    __table_args__ = (
        UniqueConstraint("region_id", "slug"),
        UniqueConstraint("region_id", "id"),
    )

    slug: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str] = mapped_column(String(40))
    name_en: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str] = mapped_column(String(60), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    website: Mapped[str] = mapped_column(String(200), default="")
    #: How its documents are numbered (``documents.numbering``): tokens ``{nomor}``,
    #: ``{kode}``, ``{bulan}``, ``{bulan_romawi}``, ``{tahun}``; edited by the region admin.
    document_number_format: Mapped[str] = mapped_column(
        String(120), default="{nomor}/{kode}/{tahun}", server_default="{nomor}/{kode}/{tahun}"
    )

    services: Mapped[list[Service]] = relationship(
        back_populates="agency", order_by="Service.name", viewonly=True
    )


class Service(IdMixin, TimestampMixin, RegionScoped, Base):
    """A public service (layanan) with its standar pelayanan and eForm.

    ``agency_id`` is a composite foreign key with ``region_id``, so the database itself
    refuses a service that points at another region's agency.
    """

    __tablename__ = "service"
    __table_args__ = (
        UniqueConstraint("region_id", "slug"),
        UniqueConstraint("region_id", "id"),
        ForeignKeyConstraint(
            ["region_id", "agency_id"],
            ["agency.region_id", "agency.id"],
            ondelete="CASCADE",
            name="fk_service_agency_same_region",
        ),
        CheckConstraint(
            "standard ?& array['persyaratan', 'sistem_mekanisme_prosedur', 'jangka_waktu', "
            "'biaya_tarif', 'produk_pelayanan', 'penanganan_pengaduan', 'dasar_hukum', "
            "'sarana_prasarana', 'kompetensi_pelaksana', 'pengawasan_internal', "
            "'jumlah_pelaksana', 'jaminan_pelayanan', 'jaminan_keamanan_keselamatan', "
            "'evaluasi_kinerja_pelaksana']",
            name="standard_complete",
        ),
        CheckConstraint("sla_working_days >= 0", name="sla_not_negative"),
        CheckConstraint("fee_rupiah >= 0", name="fee_not_negative"),
        Index("ix_service_search_vector", "search_vector", postgresql_using="gin"),
        Index(
            "ix_service_search_text_trgm",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ),
    )

    agency_id: Mapped[uuid.UUID] = mapped_column(index=True)
    slug: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    summary_en: Mapped[str] = mapped_column(Text)
    #: Extra words citizens type, one per line ("akte", "surat lahir").
    keywords: Mapped[str] = mapped_column(Text, default="")
    #: The agency's names, copied here so search can match them (kept in step by the service layer).
    agency_names: Mapped[str] = mapped_column(Text, default="")
    sla_working_days: Mapped[int]
    fee_rupiah: Mapped[int] = mapped_column(default=0)
    online: Mapped[bool] = mapped_column(default=True)
    published: Mapped[bool] = mapped_column(default=True)
    standard: Mapped[dict[str, Any]]
    #: The standard's components in English, where the region wrote them (same keys).
    standard_en: Mapped[dict[str, Any]] = mapped_column(
        default=dict, server_default=text("'{}'::jsonb")
    )
    required_documents: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    #: JSON, not JSONB: JSONB reorders object keys, and the order of a form's questions matters.
    eform: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: The steps an application goes through (see ``standard.Workflow``).
    workflow: Mapped[dict[str, Any]] = mapped_column(
        default=lambda: dict(DEFAULT_WORKFLOW),
        server_default=text(f"'{json.dumps(DEFAULT_WORKFLOW)}'::jsonb"),
    )
    #: The products the service issues (``products.ProductTemplate``), in issuing order.
    products: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default=text("'[]'::jsonb")
    )
    search_vector: Mapped[str] = mapped_column(
        TSVECTOR, Computed(SEARCH_VECTOR_SQL, persisted=True), deferred=True
    )
    search_text: Mapped[str] = mapped_column(
        Text, Computed(SEARCH_TEXT_SQL, persisted=True), deferred=True
    )

    agency: Mapped[Agency] = relationship(
        back_populates="services",
        foreign_keys=[agency_id],
        primaryjoin="and_(Service.agency_id == Agency.id, Service.region_id == Agency.region_id)",
        viewonly=True,
    )
    life_events: Mapped[list[LifeEvent]] = relationship(
        secondary="service_life_event", order_by="LifeEvent.position", viewonly=True
    )


class ServiceLifeEvent(RegionScoped, Base):
    __tablename__ = "service_life_event"
    __table_args__ = (
        ForeignKeyConstraint(
            ["region_id", "service_id"], ["service.region_id", "service.id"], ondelete="CASCADE"
        ),
        ForeignKeyConstraint(
            ["region_id", "life_event_id"],
            ["life_event.region_id", "life_event.id"],
            ondelete="CASCADE",
        ),
    )

    service_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    life_event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, index=True)


class SearchSynonym(IdMixin, TimestampMixin, RegionScoped, Base):
    """A word citizens type and what it means in the catalogue's words, edited by the region:
    "imb" -> "persetujuan bangunan gedung" (a former name), "sktm" -> "surat keterangan tidak
    mampu" (a synonym). A search for the word also searches for its meaning; a former name's
    hit ranks first (decision 0052)."""

    __tablename__ = "search_synonym"
    __table_args__ = (
        UniqueConstraint("region_id", "term"),
        CheckConstraint("term = lower(term) AND length(term) >= 2", name="term_lower"),
    )

    #: Lower-case, single spaces: compared with the query's words as a whole phrase.
    term: Mapped[str] = mapped_column(String(60))
    meaning: Mapped[str] = mapped_column(String(200))
    former_name: Mapped[bool] = mapped_column(default=False)
