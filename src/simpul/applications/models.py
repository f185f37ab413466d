"""Applications (permohonan), their workflow tasks, history, documents and notifications."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Computed,
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
from sqlalchemy.orm import Mapped, mapped_column, relationship

from simpul.accounts.models import StaffRoleName
from simpul.core.models import Base, IdMixin, RegionScoped, TimestampMixin, utcnow, value_enum


class ApplicationStatus(enum.StrEnum):
    DRAFT = "draft"  # the citizen is still filling it in
    SUBMITTED = "submitted"  # at a workflow step, the agency's clock runs
    RETURNED = "returned"  # sent back for revision: waiting on the citizen, clock paused
    COMPLETED = "completed"  # every step approved: "Selesai"
    REJECTED = "rejected"
    #: Withdrawn by the citizen before any officer took it (decision 0051).
    CANCELLED = "cancelled"


class TaskStatus(enum.StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class TaskOutcome(enum.StrEnum):
    APPROVE = "approve"
    RETURN = "return"
    REJECT = "reject"


class Application(IdMixin, TimestampMixin, RegionScoped, Base):
    """A citizen's application for a service, from draft to completion."""

    __tablename__ = "application"
    __table_args__ = (
        UniqueConstraint("region_id", "tracking_number"),
        UniqueConstraint("region_id", "id"),
        UniqueConstraint("applicant_id", "idempotency_key"),
        ForeignKeyConstraint(
            ["region_id", "service_id"], ["service.region_id", "service.id"], ondelete="RESTRICT"
        ),
        ForeignKeyConstraint(
            ["region_id", "applicant_id"],
            ["user_account.region_id", "user_account.id"],
            ondelete="RESTRICT",
        ),
        Index("ix_application_region_status_due", "region_id", "status", "due_date"),
        # The officers' and applicants' lists, newest or oldest first (decision 0035).
        Index(
            "ix_application_list_by_service",
            "region_id",
            "service_id",
            "created_at",
            "id",
            postgresql_where="status <> 'draft'",
        ),
        Index(
            "ix_application_list_by_applicant",
            "region_id",
            "applicant_id",
            "created_at",
            "id",
            postgresql_where="status <> 'draft'",
        ),
        # The inbox's search by a prefix of the tracking number (decision 0044).
        Index("ix_application_tracking_key", "region_id", "tracking_key"),
    )

    service_id: Mapped[uuid.UUID] = mapped_column(index=True)
    applicant_id: Mapped[uuid.UUID] = mapped_column(index=True)
    tracking_number: Mapped[str] = mapped_column(String(20))
    #: The tracking number without its dashes, byte-ordered: officers may type a prefix of it
    #: with or without dashes, and a range of this column's index finds it.
    tracking_key: Mapped[str] = mapped_column(
        String(20, collation="C"),
        Computed("replace(tracking_number, '-', '')", persisted=True),
        deferred=True,
    )
    status: Mapped[ApplicationStatus] = mapped_column(
        value_enum(ApplicationStatus, "application_status"), default=ApplicationStatus.DRAFT
    )
    #: Code of the workflow step the application waits at (while submitted or returned).
    current_step: Mapped[str | None] = mapped_column(String(40))
    #: The eForm answers with every personal value masked (decision 0022); read them through
    #: ``applications.answers``, which knows who may see them whole.
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: The whole answers, encrypted with a key derived from the server secret; None when the
    #: service's eForm marks nothing personal (then ``data`` is the whole answers).
    data_encrypted: Mapped[str | None] = mapped_column(Text)
    application_name: Mapped[str] = mapped_column(String(200), default="")
    #: What officers entered at the workflow's steps: a data_entry step's fields by code (the
    #: register number), a field check's visit and a payment's reference under the step's
    #: code (decision 0041). Products print it through ``step:<code>``.
    officer_data: Mapped[dict[str, Any]] = mapped_column(
        JSONB, default=dict, server_default=text("'{}'::jsonb")
    )
    submitted_at: Mapped[datetime | None]
    #: The date by which the agency must finish, in the region's local calendar.
    due_date: Mapped[date | None]
    #: When the application was returned to the citizen (the clock is paused since then).
    paused_at: Mapped[datetime | None]
    paused_working_days: Mapped[int] = mapped_column(default=0)
    finished_at: Mapped[datetime | None]
    #: A client's retry key: the same key from the same applicant returns the first result.
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    #: Where it came from: "web", or "api" with the caller's Information Mediator identity.
    channel: Mapped[str] = mapped_column(String(10), default="web")
    client_identity: Mapped[str | None] = mapped_column(String(300))

    tasks: Mapped[list[Task]] = relationship(
        back_populates="application",
        order_by="Task.created_at",
        foreign_keys="Task.application_id",
        primaryjoin="Task.application_id == Application.id",
        viewonly=True,
    )


class ApplicationIdentifier(IdMixin, RegionScoped, Base):
    """A keyed hash of a personal answer that can be looked up (a NIK, a KK number, a phone).

    Rewritten with the answers; a NIK's hash equals the account NIK's (``user_account.nik_hash``).
    """

    __tablename__ = "application_identifier"
    __table_args__ = (
        ForeignKeyConstraint(
            ["region_id", "application_id"],
            ["application.region_id", "application.id"],
            ondelete="CASCADE",
        ),
        Index("ix_application_identifier_lookup", "region_id", "kind", "value_hash"),
    )

    application_id: Mapped[uuid.UUID] = mapped_column(index=True)
    #: The answer's path in the data (``nik_ayah``, ``anak.0.nik``).
    field: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    value_hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class ApplicationEvent(IdMixin, RegionScoped, Base):
    """One step in an application's history. Append-only (a trigger refuses the rest)."""

    __tablename__ = "application_event"
    __table_args__ = (
        ForeignKeyConstraint(
            ["region_id", "application_id"],
            ["application.region_id", "application.id"],
            ondelete="RESTRICT",
        ),
    )

    application_id: Mapped[uuid.UUID] = mapped_column(index=True)
    at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
    actor_id: Mapped[uuid.UUID | None]
    actor_label: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    step: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(Text, default="")


class Task(IdMixin, RegionScoped, Base):
    """Work for an agency role at one workflow step of an application."""

    __tablename__ = "task"
    __table_args__ = (
        ForeignKeyConstraint(
            ["region_id", "application_id"],
            ["application.region_id", "application.id"],
            ondelete="RESTRICT",
        ),
        ForeignKeyConstraint(
            ["region_id", "agency_id"], ["agency.region_id", "agency.id"], ondelete="RESTRICT"
        ),
        ForeignKeyConstraint(
            ["region_id", "service_id"], ["service.region_id", "service.id"], ondelete="RESTRICT"
        ),
        Index(
            "uq_task_one_open_per_application",
            "application_id",
            unique=True,
            postgresql_where="status = 'open'",
        ),
        Index("ix_task_inbox", "region_id", "agency_id", "status"),
        # The inbox's views and the task list, each read in its order (decision 0035).
        Index(
            "ix_task_open_by_deadline",
            "region_id",
            "agency_id",
            "role",
            "due_date",
            "created_at",
            "id",
            postgresql_where="status = 'open'",
        ),
        Index(
            "ix_task_open_of_assignee",
            "region_id",
            "assignee_id",
            "due_date",
            "created_at",
            "id",
            postgresql_where="status = 'open'",
        ),
        Index(
            "ix_task_completed_by_time",
            "region_id",
            "agency_id",
            "role",
            "completed_at",
            "id",
            postgresql_where="status = 'completed'",
        ),
        Index("ix_task_by_created", "region_id", "agency_id", "role", "created_at", "id"),
        Index("ix_task_of_assignee_by_created", "region_id", "assignee_id", "created_at", "id"),
        # The inbox's service filter and its "dikembalikan" view (decision 0044).
        Index(
            "ix_task_open_by_service",
            "region_id",
            "service_id",
            "role",
            "due_date",
            "created_at",
            "id",
            postgresql_where="status = 'open'",
        ),
        Index(
            "ix_task_completed_by_service",
            "region_id",
            "service_id",
            "role",
            "completed_at",
            "id",
            postgresql_where="status = 'completed'",
        ),
        Index(
            "ix_task_returned",
            "region_id",
            "agency_id",
            "role",
            "completed_at",
            "id",
            postgresql_where="status = 'completed' AND outcome = 'return'",
        ),
    )

    application_id: Mapped[uuid.UUID] = mapped_column(index=True)
    agency_id: Mapped[uuid.UUID]
    #: The application's service (it never changes), so the inbox filters by service through
    #: an index of its own instead of looking at every task's application.
    service_id: Mapped[uuid.UUID]
    step: Mapped[str] = mapped_column(String(40))
    step_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[StaffRoleName] = mapped_column(
        value_enum(StaffRoleName, "staff_role_name", create_type=False)
    )
    status: Mapped[TaskStatus] = mapped_column(
        value_enum(TaskStatus, "task_status"), default=TaskStatus.OPEN
    )
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    claimed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
    #: The application's deadline when the task was opened. It cannot change while the task is
    #: open (only a resubmission moves it, and that opens a new task), so the inbox orders
    #: open tasks by it through an index instead of joining every application.
    due_date: Mapped[date]
    completed_at: Mapped[datetime | None]
    outcome: Mapped[TaskOutcome | None] = mapped_column(value_enum(TaskOutcome, "task_outcome"))
    note: Mapped[str] = mapped_column(Text, default="")

    application: Mapped[Application] = relationship(
        back_populates="tasks",
        foreign_keys=[application_id],
        primaryjoin="Task.application_id == Application.id",
        viewonly=True,
    )


class Document(IdMixin, RegionScoped, Base):
    """A file a citizen uploaded (PDF, JPEG, PNG), kept in the storage backend."""

    __tablename__ = "document"
    __table_args__ = (
        ForeignKeyConstraint(
            ["region_id", "owner_id"],
            ["user_account.region_id", "user_account.id"],
            ondelete="RESTRICT",
        ),
        ForeignKeyConstraint(
            ["region_id", "application_id"],
            ["application.region_id", "application.id"],
            ondelete="RESTRICT",
        ),
    )

    owner_id: Mapped[uuid.UUID] = mapped_column(index=True)
    #: None while uploaded through the API and not yet attached to an application.
    application_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    #: A requirement of the service, or ``step:<step code>`` for what an officer attached at a
    #: workflow step (a field check's photos; step codes run to 39 characters).
    requirement_code: Mapped[str | None] = mapped_column(String(60))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300), unique=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
    #: A newer upload for the same requirement replaces this one (kept for the history).
    replaced_at: Mapped[datetime | None]


class DocumentAccess(IdMixin, RegionScoped, Base):
    """An officer opened a citizen's document. Append-only (UU PDP accountability)."""

    __tablename__ = "document_access"

    document_id: Mapped[uuid.UUID] = mapped_column(index=True)
    application_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(index=True)
    at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)


class Notification(IdMixin, RegionScoped, Base):
    """An in-app message to a user about one of their applications."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_unread", "user_id", "read_at"),)

    user_id: Mapped[uuid.UUID]
    application_id: Mapped[uuid.UUID | None]
    #: What happened (e.g. "returned"); the text is made from it in the reader's language.
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
    read_at: Mapped[datetime | None]


class CollectiveLeaveDay(IdMixin, RegionScoped, Base):
    """A day off the region adds to the national holidays (cuti bersama)."""

    __tablename__ = "collective_leave_day"
    __table_args__ = (UniqueConstraint("region_id", "day"),)

    day: Mapped[date]
    description: Mapped[str] = mapped_column(String(200), default="")
