"""Complaints (pengaduan), aspirations and requests for information, as LAPOR! runs them.

A complaint is filed by a citizen (with or without an account), sorted by the region's complaint
desk to an agency (disposisi), answered there within deadlines in working days, and rated by
the citizen. Its history is append-only (``complaint_event``). Decision 0056.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from simpul.core.models import Base, IdMixin, RegionScoped, TimestampMixin, utcnow, value_enum


class ComplaintKind(enum.StrEnum):
    """What the citizen sends, as LAPOR! names them."""

    COMPLAINT = "complaint"  # pengaduan
    ASPIRATION = "aspiration"  # aspirasi
    INFORMATION = "information"  # permintaan informasi


class DeadlineClass(enum.StrEnum):
    """How long closing may take (LAPOR!): the category decides, the region edits the days."""

    INFORMATION = "information"  # a request for information: 5 working days
    SIMPLE = "simple"  # a simple complaint: 5
    NO_FIELD_CHECK = "no_field_check"  # needs no visit: 14
    FIELD_CHECK = "field_check"  # needs a field check: 60


#: LAPOR!'s deadlines, working days: (first answer, closing). Regions start from these.
DEFAULT_DEADLINES: Final = {
    DeadlineClass.INFORMATION: (3, 5),
    DeadlineClass.SIMPLE: (3, 5),
    DeadlineClass.NO_FIELD_CHECK: (3, 14),
    DeadlineClass.FIELD_CHECK: (3, 60),
}


class ComplaintStatus(enum.StrEnum):
    NEW = "new"  # waiting for the complaint desk to sort it (verifikasi)
    ROUTED = "routed"  # sent to an agency (disposisi), waiting for its first answer
    IN_PROGRESS = "in_progress"  # the agency answered and works on it (ditindaklanjuti)
    WAITING_CITIZEN = "waiting_citizen"  # the agency asked the citizen for more
    RESOLVED = "resolved"  # the agency's final answer (selesai): rate, or reopen once
    SPLIT = "split"  # divided into complaints for several agencies (each its own number)
    MERGED = "merged"  # a duplicate, merged into another complaint
    FORWARDED = "forwarded"  # sent out: to another region or a national channel
    REJECTED = "rejected"  # cannot be processed (no content, abuse), with the reason


#: Statuses in which the complaint is still being handled (Open311 ``open``).
OPEN_STATUSES: Final = frozenset(
    {
        ComplaintStatus.NEW,
        ComplaintStatus.ROUTED,
        ComplaintStatus.IN_PROGRESS,
        ComplaintStatus.WAITING_CITIZEN,
    }
)


class ComplaintSource(enum.StrEnum):
    WEB = "web"
    API = "api"
    OPEN311 = "open311"
    FORWARDED_IN = "forwarded_in"  # received from another region's Simpul (signed webhook)


class ComplaintCategory(IdMixin, TimestampMixin, RegionScoped, Base):
    """What a complaint is about (jalan rusak, sampah, ...): the Open311 service."""

    __tablename__ = "complaint_category"
    __table_args__ = (
        UniqueConstraint("region_id", "code"),
        UniqueConstraint("region_id", "id"),
        ForeignKeyConstraint(
            ["region_id", "default_agency_id"],
            ["agency.region_id", "agency.id"],
            ondelete="RESTRICT",
        ),
        CheckConstraint("code ~ '^[a-z0-9][a-z0-9-]*$'", name="code_slug"),
    )

    #: Open311 ``service_code``; lowercase letters, digits and dashes.
    code: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120), default="", server_default="")
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: Open311 ``group`` (Infrastruktur, Lingkungan, Layanan administrasi, ...).
    group_name: Mapped[str] = mapped_column(String(80), default="", server_default="")
    #: Open311 ``keywords``, comma separated.
    keywords: Mapped[str] = mapped_column(String(300), default="", server_default="")
    deadline_class: Mapped[DeadlineClass] = mapped_column(
        value_enum(DeadlineClass, "complaint_deadline_class")
    )
    #: Where the complaint desk usually sends it; the desk still decides.
    default_agency_id: Mapped[uuid.UUID | None]
    #: Whether a place (point or address) is asked for (a pothole: yes; a rude officer: no).
    needs_location: Mapped[bool] = mapped_column(default=True, server_default="true")
    #: Open311 attributes: ``[{"code", "datatype", "required", "description", "order",
    #: "values": [{"key", "name"}]}]`` (datatypes of GeoReport v2).
    attributes: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default=text("'[]'::jsonb")
    )
    active: Mapped[bool] = mapped_column(default=True, server_default="true")
    position: Mapped[int] = mapped_column(default=0, server_default="0")


class ComplaintDeadlineRule(Base):
    """The region's deadlines per class, in working days (LAPOR!'s by default)."""

    __tablename__ = "complaint_deadline_rule"
    __table_args__ = (
        CheckConstraint("first_response_days >= 1", name="first_response_positive"),
        CheckConstraint("resolution_days >= first_response_days", name="resolution_after_first"),
    )

    region_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("region.id", ondelete="CASCADE"), primary_key=True
    )
    deadline_class: Mapped[DeadlineClass] = mapped_column(
        value_enum(DeadlineClass, "complaint_deadline_class", create_type=False),
        primary_key=True,
    )
    first_response_days: Mapped[int]
    resolution_days: Mapped[int]


class Complaint(IdMixin, TimestampMixin, RegionScoped, Base):
    """One complaint, aspiration or request for information, from filing to rating."""

    __tablename__ = "complaint"
    __table_args__ = (
        UniqueConstraint("region_id", "number"),
        UniqueConstraint("region_id", "id"),
        UniqueConstraint("open311_token"),
        ForeignKeyConstraint(
            ["region_id", "category_id"],
            ["complaint_category.region_id", "complaint_category.id"],
            ondelete="RESTRICT",
        ),
        ForeignKeyConstraint(
            ["region_id", "agency_id"], ["agency.region_id", "agency.id"], ondelete="RESTRICT"
        ),
        ForeignKeyConstraint(
            ["region_id", "reporter_id"],
            ["user_account.region_id", "user_account.id"],
            ondelete="RESTRICT",
        ),
        ForeignKeyConstraint(
            ["region_id", "application_id"],
            ["application.region_id", "application.id"],
            ondelete="RESTRICT",
        ),
        ForeignKeyConstraint(
            ["region_id", "service_id"], ["service.region_id", "service.id"], ondelete="RESTRICT"
        ),
        ForeignKeyConstraint(
            ["region_id", "parent_id"], ["complaint.region_id", "complaint.id"], ondelete="RESTRICT"
        ),
        ForeignKeyConstraint(
            ["region_id", "merged_into_id"],
            ["complaint.region_id", "complaint.id"],
            ondelete="RESTRICT",
        ),
        CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude_range"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude_range"),
        CheckConstraint("(latitude IS NULL) = (longitude IS NULL)", name="point_whole"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        CheckConstraint("reopen_count >= 0", name="reopen_count_positive"),
        # The public list and map, newest first; the desk's and agencies' inboxes.
        Index("ix_complaint_public", "region_id", "filed_at", postgresql_where="NOT confidential"),
        Index("ix_complaint_region_status", "region_id", "status", "filed_at"),
        Index("ix_complaint_agency_status", "region_id", "agency_id", "status"),
        Index("ix_complaint_reporter", "region_id", "reporter_id", "filed_at"),
    )

    #: The tracking number the citizen gets: ``ADU-2612-7K3Q-X9MA``.
    number: Mapped[str] = mapped_column(String(24))
    kind: Mapped[ComplaintKind] = mapped_column(value_enum(ComplaintKind, "complaint_kind"))
    status: Mapped[ComplaintStatus] = mapped_column(
        value_enum(ComplaintStatus, "complaint_status"), default=ComplaintStatus.NEW
    )
    source: Mapped[ComplaintSource] = mapped_column(
        value_enum(ComplaintSource, "complaint_source"), default=ComplaintSource.WEB
    )
    category_id: Mapped[uuid.UUID] = mapped_column(index=True)
    #: The agency answering it (None until the desk routes it).
    agency_id: Mapped[uuid.UUID | None]
    #: The service it is about, when known (filed from an application's page, or routed so).
    service_id: Mapped[uuid.UUID | None]
    #: The application it is about ("Ajukan pengaduan" on an application's page).
    application_id: Mapped[uuid.UUID | None]
    #: Who filed it, when logged in (None: filed without an account, or through Open311 by
    #: someone without one). Never shown to staff when ``anonymous``.
    reporter_id: Mapped[uuid.UUID | None]
    #: Contact given without an account (Open311 first/last name, e-mail, phone), encrypted
    #: (``core.security.encrypt``, purpose ``complaint-contact``): JSON of those fields.
    contact_encrypted: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str] = mapped_column(String(150))
    description: Mapped[str] = mapped_column(Text)
    #: The agency does not see who filed it (LAPOR!'s "anonim").
    anonymous: Mapped[bool] = mapped_column(default=False, server_default="false")
    #: The public does not see it: no public page, list, map or Open311 entry ("rahasia").
    confidential: Mapped[bool] = mapped_column(default=False, server_default="false")
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    address: Mapped[str] = mapped_column(String(300), default="", server_default="")
    #: Open311 attribute answers by attribute code.
    attributes: Mapped[dict[str, Any]] = mapped_column(
        JSONB, default=dict, server_default=text("'{}'::jsonb")
    )
    #: SHA-256 of the access code shown once to someone who filed without an account: with the
    #: number it opens a confidential complaint and its owner's actions (reply, rate, reopen).
    access_code_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    #: Open311 ``token`` of a request posted through the API (``tokens/{token}``).
    open311_token: Mapped[str | None] = mapped_column(String(64))
    filed_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
    routed_at: Mapped[datetime | None]
    #: The first answer by the agency, and the date it is due (local calendar).
    first_response_due: Mapped[date]
    first_responded_at: Mapped[datetime | None]
    #: The closing answer and its due date; moved on when the citizen was asked for more (the
    #: days waited do not count) and when the complaint is reopened.
    resolution_due: Mapped[date]
    resolved_at: Mapped[datetime | None]
    #: Since when the agency waits for the citizen (the clock is paused meanwhile).
    waiting_since: Mapped[datetime | None]
    #: When the overdue first answer / closing was escalated (each once; the inbox flag).
    first_response_escalated_at: Mapped[datetime | None]
    resolution_escalated_at: Mapped[datetime | None]
    #: The routing suggestion computed for the desk (``complaints.classifier``).
    suggested_agency_id: Mapped[uuid.UUID | None]
    suggested_category_id: Mapped[uuid.UUID | None]
    suggestion_confidence: Mapped[float | None]
    #: The citizen's rating of the answer (1-5) and comment.
    rating: Mapped[int | None]
    rating_comment: Mapped[str] = mapped_column(Text, default="", server_default="")
    rated_at: Mapped[datetime | None]
    reopen_count: Mapped[int] = mapped_column(default=0, server_default="0")
    #: The complaint this one was split from, or merged into.
    parent_id: Mapped[uuid.UUID | None]
    merged_into_id: Mapped[uuid.UUID | None]
    #: How many citizens follow it (the reporter included): shown as support on public pages.
    follower_count: Mapped[int] = mapped_column(default=0, server_default="0")


class ComplaintEvent(IdMixin, RegionScoped, Base):
    """One step in a complaint's history, with who took it. Append-only (a trigger refuses
    the rest)."""

    __tablename__ = "complaint_event"
    __table_args__ = (
        ForeignKeyConstraint(
            ["region_id", "complaint_id"],
            ["complaint.region_id", "complaint.id"],
            ondelete="RESTRICT",
        ),
    )

    complaint_id: Mapped[uuid.UUID] = mapped_column(index=True)
    at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
    #: The person (None: the citizen without an account, the system or another region).
    actor_id: Mapped[uuid.UUID | None]
    #: Who, for the back office: an officer's name and agency, "Pelapor", "Sistem".
    actor_label: Mapped[str] = mapped_column(String(200))
    #: Who, for the public page: an agency's name, "Pelapor", "Admin pengaduan", "Sistem".
    public_actor: Mapped[str] = mapped_column(String(200))
    #: ``filed``, ``routed``, ``split``, ``forwarded_agency``, ``forwarded_out``, ``answered``,
    #: ``info_requested``, ``citizen_replied``, ``resolved``, ``rated``, ``reopened``,
    #: ``escalated``, ``merged``, ``merged_here``, ``rejected``, ``followed``.
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    #: The agency concerned (routed to, forwarded to, answering).
    agency_id: Mapped[uuid.UUID | None]
    #: What was said: an answer, a question, a reason. Shown publicly when ``public``.
    message: Mapped[str] = mapped_column(Text, default="", server_default="")
    public: Mapped[bool] = mapped_column(default=True, server_default="true")
    details: Mapped[dict[str, Any]] = mapped_column(
        JSONB, default=dict, server_default=text("'{}'::jsonb")
    )


class ComplaintPhoto(IdMixin, RegionScoped, Base):
    """A photo attached to a complaint, re-encoded without metadata (the location only if
    the citizen chose to share it)."""

    __tablename__ = "complaint_photo"
    __table_args__ = (
        ForeignKeyConstraint(
            ["region_id", "complaint_id"],
            ["complaint.region_id", "complaint.id"],
            ondelete="CASCADE",
        ),
        UniqueConstraint("storage_key"),
    )

    complaint_id: Mapped[uuid.UUID] = mapped_column(index=True)
    storage_key: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int]
    width: Mapped[int]
    height: Mapped[int]
    #: Whether the stored file keeps the photo's GPS position (the citizen's choice).
    location_kept: Mapped[bool] = mapped_column(default=False, server_default="false")
    position: Mapped[int] = mapped_column(default=0, server_default="0")
    #: Who added it: the reporter at filing, or the agency with its answer.
    added_by: Mapped[str] = mapped_column(String(20), default="reporter", server_default="reporter")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)


class ComplaintFollower(RegionScoped, Base):
    """A citizen told about each public step of a complaint (the reporter, and supporters)."""

    __tablename__ = "complaint_follower"
    __table_args__ = (
        ForeignKeyConstraint(
            ["region_id", "complaint_id"],
            ["complaint.region_id", "complaint.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["region_id", "user_id"],
            ["user_account.region_id", "user_account.id"],
            ondelete="CASCADE",
        ),
    )

    complaint_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)


class ForwardTargetKind(enum.StrEnum):
    REGION = "region"  # another Pemda (its Simpul, or any system taking the same webhook)
    NATIONAL = "national"  # a national channel (SP4N-LAPOR!, a ministry's)


class ComplaintForwardTarget(IdMixin, TimestampMixin, RegionScoped, Base):
    """Where the complaint desk may send a complaint outside the region, by signed webhook."""

    __tablename__ = "complaint_forward_target"
    __table_args__ = (UniqueConstraint("region_id", "code"), UniqueConstraint("region_id", "id"))

    code: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[ForwardTargetKind] = mapped_column(
        value_enum(ForwardTargetKind, "complaint_forward_target_kind")
    )
    url: Mapped[str] = mapped_column(String(500))
    #: The HMAC key both sides hold, encrypted (``core.security.encrypt``, purpose
    #: ``complaint-forward``).
    secret_encrypted: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True, server_default="true")


class ForwardStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    RETRY = "retry"
    SENT = "sent"
    FAILED = "failed"


class ComplaintForward(IdMixin, RegionScoped, Base):
    """A complaint on its way out (the outbox row the worker delivers, ``core.queue``)."""

    __tablename__ = "complaint_forward"
    __table_args__ = (
        ForeignKeyConstraint(
            ["region_id", "complaint_id"],
            ["complaint.region_id", "complaint.id"],
            ondelete="RESTRICT",
        ),
        ForeignKeyConstraint(
            ["region_id", "target_id"],
            ["complaint_forward_target.region_id", "complaint_forward_target.id"],
            ondelete="RESTRICT",
        ),
        Index(
            "ix_complaint_forward_due",
            "next_attempt_at",
            postgresql_where="status IN ('pending', 'sending', 'retry')",
        ),
    )

    complaint_id: Mapped[uuid.UUID] = mapped_column(index=True)
    target_id: Mapped[uuid.UUID]
    #: The JSON sent (no reporter identity when the complaint is anonymous).
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[ForwardStatus] = mapped_column(
        value_enum(ForwardStatus, "complaint_forward_status"), default=ForwardStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
    last_error: Mapped[str] = mapped_column(String(300), default="", server_default="")
    response_status: Mapped[int | None]
    #: The receiver's own number for it, when its answer says one.
    remote_reference: Mapped[str] = mapped_column(String(100), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
    sent_at: Mapped[datetime | None]


class Open311Key(IdMixin, RegionScoped, Base):
    """An Open311 ``api_key`` the region admin issued to an app that posts requests."""

    __tablename__ = "open311_key"
    __table_args__ = (UniqueConstraint("key_hash"),)

    name: Mapped[str] = mapped_column(String(120))
    #: The first characters, to tell keys apart on the admin page (the rest is never shown).
    key_prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
