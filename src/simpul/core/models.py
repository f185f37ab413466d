"""The declarative base, shared column types and the tables every domain uses."""

from __future__ import annotations

import enum
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    LargeBinary,
    MetaData,
    String,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


#: Monthly partitions of the partitioned log tables (``gateway_message_y2026m12``): made by
#: ``simpul_log_ensure_partitions`` at run time, not by the models (migration 0020).
LOG_PARTITION_NAME = re.compile(r"^(gateway_message|audit_event)_y\d{4}m\d{2}$")


def is_log_partition(name: str | None) -> bool:
    """Whether a table is a monthly partition: schema comparisons leave those out."""
    return name is not None and LOG_PARTITION_NAME.match(name) is not None


def include_in_schema_comparison(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic's ``include_object``: everything except the partitions and their indexes."""
    table = getattr(obj, "table", None)
    if type_ == "table":
        return not is_log_partition(name)
    return not is_log_partition(getattr(table, "name", None))


def value_enum(cls: type[enum.Enum], name: str, *, create_type: bool = True) -> Enum:
    """A PostgreSQL enum type named ``name`` storing the members' values (not their names)."""
    return Enum(
        cls, name=name, create_type=create_type, values_callable=lambda e: [m.value for m in e]
    )


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        datetime: DateTime(timezone=True),
        dict[str, Any]: JSONB,
    }


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        server_default=func.now(), default=utcnow, onupdate=utcnow
    )


class RegionScoped:
    """A row that belongs to one region. Repositories always filter by ``region_id``."""

    region_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("region.id", ondelete="CASCADE"), index=True
    )


class Region(IdMixin, TimestampMixin, Base):
    """A Pemda hosted by this deployment: a kota, kabupaten or provinsi."""

    __tablename__ = "region"

    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    #: Kemendagri / BPS code, e.g. "32.73" for Kota Bandung.
    code: Mapped[str | None] = mapped_column(String(20))
    #: The region's local time zone (WIB, WITA or WIT), for deadlines in working days.
    timezone: Mapped[str] = mapped_column(
        String(40), default="Asia/Jakarta", server_default="Asia/Jakarta"
    )
    #: Months of the gateway's message log kept live; older months go to signed archives
    #: (``simpul audit archive``, decision 0037).
    log_retention_months: Mapped[int] = mapped_column(default=12, server_default="12")
    #: The letterhead's first line ("PEMERINTAH KOTA BANDUNG"); empty: "PEMERINTAH" and the
    #: region's name.
    letterhead_line: Mapped[str] = mapped_column(String(200), default="", server_default="")
    #: The region's emblem printed at the letterhead's left: a PNG re-encoded from the admin's
    #: upload (``documents.letterhead``). Deferred: the region is loaded on every request.
    emblem_png: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    #: ``active``, ``test`` (a training or staging copy) or ``inactive`` (left the deployment):
    #: only active regions are listed on the public front page and in the comparison between
    #: regions (``simpul region status``, decision 0053).
    status: Mapped[str] = mapped_column(String(20), default="active", server_default="active")

    __table_args__ = (
        CheckConstraint("log_retention_months >= 1", name="log_retention_months_positive"),
        CheckConstraint("status in ('active', 'test', 'inactive')", name="status_known"),
    )


class AuditEvent(Base):
    """Append-only trail of what people did (a trigger forbids UPDATE and DELETE).

    Partitioned by month of ``at`` (migration 0020, decision 0037), hence ``at`` in the key.
    """

    __tablename__ = "audit_event"
    __table_args__ = (
        # The gateway's audit page (``action LIKE 'gateway.%'``, newest first): under a non-C
        # collation the index on ``action`` cannot serve a prefix match (migration 0021).
        Index(
            "ix_audit_event_gateway_region_id_at",
            "region_id",
            "at",
            postgresql_where=text("action LIKE 'gateway.%'"),
        ),
        # A data subject's "who saw my data": the reads of their applications, documents and
        # complaints, newest first (migration 0038).
        Index("ix_audit_event_target", "region_id", "target_type", "target_id", "at"),
        {"postgresql_partition_by": "RANGE (at)"},
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)

    region_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("region.id", ondelete="RESTRICT"), index=True
    )
    at: Mapped[datetime] = mapped_column(
        primary_key=True, server_default=func.now(), default=utcnow, index=True
    )
    actor_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    actor_label: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(80), index=True)
    target_type: Mapped[str] = mapped_column(String(60))
    target_id: Mapped[str | None] = mapped_column(String(80))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class StoredFileRemoval(Base):
    """A stored file whose row is gone and that must be deleted from the storage.

    Written in the transaction that deletes the row, so a crash can leave a file without a row
    but never a row without its file; ``simpul worker`` deletes the file, then this record
    (``core/file_removals.py``).
    """

    __tablename__ = "stored_file_removal"

    storage_key: Mapped[str] = mapped_column(String(300), primary_key=True)
    queued_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
    #: When the worker may (next) try; a claim pushes it forward by a lease.
    next_attempt_at: Mapped[datetime] = mapped_column(
        server_default=func.now(), default=utcnow, index=True
    )
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    last_error: Mapped[str] = mapped_column(String(300), default="", server_default="")
