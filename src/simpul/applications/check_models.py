"""An officer's verdict on a requirement's document or an answer of an application (0043)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, ForeignKeyConstraint, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from simpul.core.models import Base, IdMixin, RegionScoped, utcnow, value_enum


class CheckTarget(enum.StrEnum):
    DOCUMENT = "document"  # a requirement's uploaded document, by requirement code
    FIELD = "field"  # an answer of the eForm, by its path (``nama_anak``, ``anak.0``)


class Verdict(enum.StrEnum):
    SESUAI = "sesuai"
    TIDAK_SESUAI = "tidak_sesuai"


class RequirementCheck(IdMixin, RegionScoped, Base):
    """The current verdict of the officer working a task on one item; one per (task, target).

    A check belongs to one task: a resubmission opens a new task and so a fresh round, and the
    previous round's verdicts stay as they were (what the citizen was told to fix).
    """

    __tablename__ = "requirement_check"
    __table_args__ = (
        UniqueConstraint("task_id", "target_kind", "target_code"),
        ForeignKeyConstraint(
            ["region_id", "application_id"],
            ["application.region_id", "application.id"],
            ondelete="RESTRICT",
        ),
        ForeignKeyConstraint(
            ["region_id", "officer_id"],
            ["user_account.region_id", "user_account.id"],
            ondelete="RESTRICT",
        ),
    )

    application_id: Mapped[uuid.UUID] = mapped_column(index=True)
    task_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("task.id", ondelete="RESTRICT"))
    target_kind: Mapped[CheckTarget] = mapped_column(value_enum(CheckTarget, "check_target"))
    #: The requirement code (documents) or the answer's path (fields).
    target_code: Mapped[str] = mapped_column(String(200))
    #: The document the verdict is about: a newer upload is a new thing to check.
    document_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("document.id", ondelete="RESTRICT")
    )
    verdict: Mapped[Verdict] = mapped_column(value_enum(Verdict, "check_verdict"))
    note: Mapped[str] = mapped_column(Text, default="")
    officer_id: Mapped[uuid.UUID]
    at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
