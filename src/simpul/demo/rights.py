"""The demo citizen's data rights have something to show: one completed application rated
in the survey (the other stays for a visitor to rate) and an officer's read of their file, so
"Data saya" lists a staff read and the export holds every kind of record."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw
from sqlalchemy.orm import Session

from simpul.accounts import repository as accounts_repository
from simpul.applications import repository as applications_repository
from simpul.applications import workflow
from simpul.applications.models import ApplicationStatus
from simpul.complaints import service as complaints_service
from simpul.core import audit
from simpul.core.models import Region
from simpul.core.storage import Storage
from simpul.evaluation.surveys import service as surveys_service

#: The completed application of the demo citizen that the seed rates, and the officer who
#: opens it.
RATED_SERVICE = "nib-usaha-mikro-kecil"
READER = "petugas.dpmptsp@example.org"


def seed_demo_citizen_rights(session: Session, region: Region) -> int:
    """Rate the citizen's completed NIB application and have the DPMPTSP officer open it
    (each once); returns how many of the two were added."""
    citizen = accounts_repository.get_user_by_email(session, region.id, "warga@example.org")
    officer = accounts_repository.get_user_by_email(session, region.id, READER)
    if citizen is None or officer is None:
        return 0
    applications, _count = applications_repository.list_applications_of_applicant(
        session, region.id, citizen.id, limit=50, offset=0
    )
    rated = next(
        (
            a
            for a in applications
            if a.status is ApplicationStatus.COMPLETED
            and applications_repository.get_service_of(session, a).slug == RATED_SERVICE
        ),
        None,
    )
    if rated is None:
        return 0
    added = 0
    if not surveys_service.has_response(session, region.id, rated.id):
        added += surveys_service.submit_survey(
            session,
            region,
            citizen,
            rated.id,
            (4, 3, 4, 4, 3, 4, 4, 3, 4),
            "Prosesnya cepat; mohon info biaya ditulis lebih jelas.",
        )
    reads = audit.count_events_about(
        session, region, {"application": [str(rated.id)]}, ["application.read"]
    )
    if not reads:
        workflow.read_application(session, region, officer, rated.id)
        added += 1
    session.flush()
    return added


def _demo_photo() -> bytes:
    """A small JPEG standing in for a photo of the pothole."""
    image = Image.new("RGB", (320, 240), (96, 96, 96))
    ImageDraw.Draw(image).ellipse((100, 80, 220, 160), fill=(40, 40, 40))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


def seed_demo_complaint_photo(session: Session, region: Region, storage: Storage) -> int:
    """A photo on the demo citizen's oldest complaint, when none of theirs has one."""
    citizen = accounts_repository.get_user_by_email(session, region.id, "warga@example.org")
    if citizen is None:
        return 0
    own = complaints_service.own_complaints(session, region, citizen)
    if not own:
        return 0
    if any(complaints_service.photos(session, region, c) for c in own):
        return 0
    prepared = complaints_service.prepare_photo(_demo_photo(), share_location=False)
    complaints_service.store_photos(session, storage, region, own[-1], [prepared])
    session.flush()
    return 1
