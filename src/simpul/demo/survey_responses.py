"""The demo region's survey responses: plausible, deterministic ratings of its completed
applications, for the IKM report."""

from __future__ import annotations

import random
import uuid
from typing import Final

from sqlalchemy.orm import Session

from simpul.core.models import Region
from simpul.evaluation.surveys import repository
from simpul.evaluation.surveys.service import ANSWER_FIELDS, service_of

#: How likely each answer 1-4 is in the demo: mostly satisfied, a few complaints.
_DEMO_WEIGHTS: Final = (0.04, 0.14, 0.52, 0.30)
#: Elements that do a little worse in the demo, so "what to improve" has an answer.
_DEMO_WEAKER: Final = {"u3": (0.10, 0.30, 0.45, 0.15), "u9": (0.06, 0.24, 0.50, 0.20)}
_DEMO_WEIGHTS_FOR: Final = {code: _DEMO_WEAKER.get(code, _DEMO_WEIGHTS) for code in ANSWER_FIELDS}
_DEMO_SUGGESTIONS: Final = (
    "",
    "",
    "",
    "Mohon status permohonan diperbarui lebih cepat.",
    "Pelayanan daring sangat membantu, tidak perlu antre.",
    "Petugas ramah, terima kasih.",
)


def seed_demo_responses(
    session: Session, region: Region, *, skip_applicants: frozenset[uuid.UUID] = frozenset()
) -> int:
    """Rate the region's completed applications that have no response yet with plausible,
    deterministic answers (for the demo's report); returns how many were added.

    ``skip_applicants``: residents who answer themselves (the demo citizen a visitor logs in as).
    """
    added = 0
    for application in repository.completed_applications_without_response(session, region.id):
        if application.applicant_id in skip_applicants:
            continue
        # Seeded by the application: the same answers however often it runs (not for secrets).
        rng = random.Random(application.id.int)  # noqa: S311
        answers = tuple(
            rng.choices((1, 2, 3, 4), weights=_DEMO_WEIGHTS_FOR[code])[0] for code in ANSWER_FIELDS
        )
        service = service_of(session, application)
        added += repository.insert_response_once(
            session,
            {
                "region_id": region.id,
                "application_id": application.id,
                "service_id": service.id,
                "agency_id": service.agency_id,
                "suggestion": rng.choice(_DEMO_SUGGESTIONS),
                "submitted_at": application.finished_at or application.updated_at,
                **dict(zip(ANSWER_FIELDS, answers, strict=True)),
            },
        )
    session.flush()
    return added
