"""One survey response per completed application: nine answers on the 1-4 scale."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKeyConstraint,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from simpul.core.models import Base, IdMixin, RegionScoped, utcnow
from simpul.evaluation.surveys.profile import QUESTIONS, check_constraint

#: The longest suggestion (saran) kept; the form says so and refuses longer text.
MAX_SUGGESTION = 1000
#: The longest answer an agency writes to a suggestion.
MAX_REPLY = 1000

_ANSWERS = " AND ".join(f"u{n} BETWEEN 1 AND 4" for n in range(1, 10))


class SurveyResponse(IdMixin, RegionScoped, Base):
    """A citizen's rating of one completed application (anonymous in every report).

    No name or NIK is copied in: the row points at the application, and reports only ever
    show aggregates. The service and agency are copied at submission so a service moving
    to another agency later does not rewrite past reports.
    """

    __tablename__ = "survey_response"
    __table_args__ = (
        UniqueConstraint("region_id", "application_id"),
        ForeignKeyConstraint(
            ["region_id", "application_id"],
            ["application.region_id", "application.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["region_id", "service_id"], ["service.region_id", "service.id"], ondelete="RESTRICT"
        ),
        ForeignKeyConstraint(
            ["region_id", "agency_id"], ["agency.region_id", "agency.id"], ondelete="RESTRICT"
        ),
        CheckConstraint(_ANSWERS, name="answers_between_1_and_4"),
        CheckConstraint(f"char_length(suggestion) <= {MAX_SUGGESTION}", name="suggestion_length"),
        CheckConstraint(f"char_length(reply) <= {MAX_REPLY}", name="reply_length"),
        # Published only once reviewed; what is published is the masked copy.
        CheckConstraint("NOT published OR reviewed_at IS NOT NULL", name="published_after_review"),
        ForeignKeyConstraint(
            ["region_id", "reviewed_by_id"], ["user_account.region_id", "user_account.id"]
        ),
        *(CheckConstraint(check_constraint(q), name=f"{q.column}_in_list") for q in QUESTIONS),
        Index("ix_survey_response_region_service", "region_id", "service_id"),
    )

    application_id: Mapped[uuid.UUID]
    service_id: Mapped[uuid.UUID]
    agency_id: Mapped[uuid.UUID]
    u1: Mapped[int] = mapped_column(SmallInteger)
    u2: Mapped[int] = mapped_column(SmallInteger)
    u3: Mapped[int] = mapped_column(SmallInteger)
    u4: Mapped[int] = mapped_column(SmallInteger)
    u5: Mapped[int] = mapped_column(SmallInteger)
    u6: Mapped[int] = mapped_column(SmallInteger)
    u7: Mapped[int] = mapped_column(SmallInteger)
    u8: Mapped[int] = mapped_column(SmallInteger)
    u9: Mapped[int] = mapped_column(SmallInteger)
    #: The citizen's suggestion (saran), optional.
    suggestion: Mapped[str] = mapped_column(Text, default="", server_default="")
    submitted_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
    # The respondent's profile (decision 0054): each optional, a key of its list in profile.py.
    gender: Mapped[str | None] = mapped_column(String(20))
    age_group: Mapped[str | None] = mapped_column(String(20))
    education: Mapped[str | None] = mapped_column(String(20))
    occupation: Mapped[str | None] = mapped_column(String(20))
    # The agency's review of the suggestion: who read it, its answer, and whether the
    # suggestion and answer are shown on the public IKM page (masked, never the raw text).
    reviewed_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[uuid.UUID | None]
    reply: Mapped[str] = mapped_column(Text, default="", server_default="")
    published: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    public_suggestion: Mapped[str] = mapped_column(Text, default="", server_default="")
    public_reply: Mapped[str] = mapped_column(Text, default="", server_default="")

    @property
    def answers(self) -> tuple[int, ...]:
        """u1..u9 in order."""
        return tuple(getattr(self, f"u{n}") for n in range(1, 10))
