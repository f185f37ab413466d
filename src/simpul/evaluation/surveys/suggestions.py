"""The agency's side of the survey's suggestions (saran): its staff read them, mark them
reviewed, write a reply, and publish the pair (masked) on the public IKM page."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy.orm import Session

from simpul.accounts.models import User
from simpul.core.audit import record_audit_event
from simpul.core.errors import NotFound
from simpul.core.i18n import _
from simpul.core.models import Region, utcnow
from simpul.evaluation.surveys import repository
from simpul.evaluation.surveys.masking import mask_personal_text
from simpul.evaluation.surveys.models import MAX_REPLY, SurveyResponse

#: The list's filter: key -> whether reviewed (None: every suggestion).
STATUSES: Final[dict[str, bool | None]] = {"baru": False, "ditinjau": True, "semua": None}


def parse_status(raw: str | None) -> str:
    """The filter asked for; anything unknown shows the new ones (what needs work)."""
    value = (raw or "").strip()
    return value if value in STATUSES else "baru"


def suggestions_for(
    session: Session, region: Region, scope: Collection[uuid.UUID] | None, status: str
) -> list[repository.SuggestionRow]:
    """The suggestions the reader may review: every agency's for the region admin, their own
    agencies' for an admin OPD (``scope`` from ``report_scope``)."""
    return repository.suggestions_for_review(session, region.id, scope, STATUSES[status])


@dataclass(frozen=True)
class ReviewForm:
    reply: str
    publish: bool
    errors: dict[str, str] = field(default_factory=dict)


def parse_review_form(form: Mapping[str, str]) -> ReviewForm:
    """The reply (optional, limited in length) and whether to publish; publishing needs a
    reply, since the page shows the pair."""
    reply = str(form.get("jawaban") or "").strip().replace("\r\n", "\n")
    publish = str(form.get("terbitkan") or "") == "1"
    errors: dict[str, str] = {}
    if len(reply) > MAX_REPLY:
        errors["jawaban"] = _("Jawaban paling banyak %(n)d karakter (sekarang %(count)d).") % {
            "n": MAX_REPLY,
            "count": len(reply),
        }
    elif publish and not reply:
        errors["jawaban"] = _("Tulis jawaban sebelum menerbitkan saran ini.")
    return ReviewForm(reply, publish, errors)


def response_for_review(
    session: Session,
    region: Region,
    scope: Collection[uuid.UUID] | None,
    response_id: uuid.UUID,
) -> SurveyResponse:
    """A response with a suggestion the reader may review; another region's, another
    agency's, or one without a suggestion is not found (nothing tells them apart)."""
    response = repository.get_response(session, region.id, response_id)
    if (
        response is None
        or not response.suggestion
        or (scope is not None and response.agency_id not in scope)
    ):
        raise NotFound(_("Saran tidak ditemukan."))
    return response


def review_suggestion(
    session: Session,
    region: Region,
    user: User,
    scope: Collection[uuid.UUID] | None,
    response_id: uuid.UUID,
    form: ReviewForm,
) -> SurveyResponse:
    """Mark the suggestion reviewed with the reply; when published, only masked copies of
    the suggestion and reply are stored for the public page. The form must be valid."""
    if form.errors:
        raise ValueError("review form has errors")  # parse_review_form reports them
    response = response_for_review(session, region, scope, response_id)
    response.reviewed_at = utcnow()
    response.reviewed_by_id = user.id
    response.reply = form.reply
    response.published = form.publish
    response.public_suggestion = mask_personal_text(response.suggestion) if form.publish else ""
    response.public_reply = mask_personal_text(form.reply) if form.publish else ""
    record_audit_event(
        session,
        region_id=region.id,
        actor_id=user.id,
        actor_label=user.email,
        action="ikm.suggestion_reviewed",
        target_type="survey_response",
        target_id=str(response.id),
        details={"published": form.publish, "agency_id": str(response.agency_id)},
    )
    session.flush()
    return response
