"""Filing a complaint: checks naming each wrong field, the number, the deadlines, the first
history step (decision 0056)."""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, User
from simpul.applications import service as applications
from simpul.complaints import classifier, notices, repository
from simpul.complaints.models import (
    Complaint,
    ComplaintCategory,
    ComplaintKind,
    ComplaintSource,
    ComplaintStatus,
)
from simpul.complaints.rules import (
    _ALPHABET,
    ADDRESS_MAX,
    CONTACT_PURPOSE,
    DESCRIPTION_MAX,
    DESCRIPTION_MIN,
    TITLE_MAX,
    Actor,
    deadline_class_of,
    due_dates,
    new_number,
    record_step,
    text_error,
)
from simpul.core import security
from simpul.core.errors import InvalidInput, NotFound
from simpul.core.i18n import _, format_date
from simpul.core.kit.periods import today_in
from simpul.core.models import Region, utcnow

# -- filing ---------------------------------------------------------------------------------


@dataclass
class Filing:
    """What a citizen (or an app through the API) sends. Fields are named as on the form."""

    kind: str = "complaint"
    category: str = ""  # the category's code
    title: str = ""
    description: str = ""
    anonymous: bool = False
    confidential: bool = False
    latitude: float | None = None
    longitude: float | None = None
    address: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    application_id: uuid.UUID | None = None
    #: Without an account (Open311, the API): name, e-mail, phone; kept encrypted.
    contact: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Filed:
    complaint: Complaint
    #: Shown once to someone who filed without an account; None otherwise.
    access_code: str | None


def _check_place(filing: Filing, category: ComplaintCategory | None) -> list[dict[str, str]]:
    errors: list[dict[str, str]] = []
    point = (filing.latitude, filing.longitude)
    if (point[0] is None) != (point[1] is None):
        errors.append(
            {"field": "lokasi", "message": _("Titik lokasi harus berisi lintang dan bujur.")}
        )
    elif (
        point[0] is not None
        and point[1] is not None
        and not (-90 <= point[0] <= 90 and -180 <= point[1] <= 180)
    ):
        errors.append({"field": "lokasi", "message": _("Titik lokasi di luar peta.")})
    if (
        category is not None
        and category.needs_location
        and point[0] is None
        and not filing.address.strip()
    ):
        errors.append(
            {
                "field": "lokasi",
                "message": _("Tandai lokasinya di peta atau tuliskan alamatnya."),
            }
        )
    return errors


def _check_filing(
    session: Session, region: Region, filing: Filing
) -> tuple[ComplaintKind, ComplaintCategory | None, list[dict[str, str]]]:
    errors: list[dict[str, str]] = []
    try:
        kind = ComplaintKind(filing.kind)
    except ValueError:
        kind = ComplaintKind.COMPLAINT
        errors.append({"field": "jenis", "message": _("Pilih jenis laporan.")})
    category = None
    if not filing.category:
        errors.append({"field": "kategori", "message": _("Pilih kategori laporan.")})
    else:
        category = repository.get_category_by_code(session, region.id, filing.category)
        if category is None or not category.active:
            category = None
            errors.append({"field": "kategori", "message": _("Kategori ini tidak ada.")})
    title = filing.title.strip()
    if not title:
        errors.append({"field": "judul", "message": _("Tulis judul singkat laporan Anda.")})
    elif len(title) > TITLE_MAX:
        errors.append(
            {
                "field": "judul",
                "message": _("Judul paling panjang %(n)d karakter.") % {"n": TITLE_MAX},
            }
        )
    description = filing.description.strip()
    if len(description) < DESCRIPTION_MIN:
        errors.append(
            {
                "field": "isi",
                "message": _(
                    "Ceritakan apa yang terjadi, di mana dan kapan, sekurang-kurangnya %(n)d "
                    "karakter."
                )
                % {"n": DESCRIPTION_MIN},
            }
        )
    elif len(description) > DESCRIPTION_MAX:
        errors.append(
            {
                "field": "isi",
                "message": _("Isi laporan paling panjang %(n)d karakter.") % {"n": DESCRIPTION_MAX},
            }
        )
    if len(filing.address.strip()) > ADDRESS_MAX:
        errors.append(
            {
                "field": "alamat",
                "message": _("Alamat paling panjang %(n)d karakter.") % {"n": ADDRESS_MAX},
            }
        )
    for value, name, label in (
        (title, "judul", _("Judul")),
        (description, "isi", _("Isi laporan")),
        (filing.address, "alamat", _("Alamat")),
    ):
        if problem := text_error(value, name, label):
            errors.append(problem)
    errors.extend(_check_place(filing, category))
    return kind, category, errors


def file_complaint(
    session: Session,
    region: Region,
    filing: Filing,
    *,
    reporter: User | None,
    source: ComplaintSource = ComplaintSource.WEB,
    now: datetime | None = None,
) -> Filed:
    """Check and record a complaint; it waits for the complaint desk. Raises ``InvalidInput``
    naming every wrong field (nothing is written then)."""
    kind, category, errors = _check_filing(session, region, filing)
    service_id = None
    agency_id = None
    if filing.application_id is not None:
        if reporter is None:
            errors.append(
                {"field": "permohonan", "message": _("Masuk dulu untuk mengadukan permohonan.")}
            )
        else:
            try:
                application, service = applications.readable_application(
                    session, region, reporter, filing.application_id
                )
            except NotFound:
                errors.append({"field": "permohonan", "message": _("Permohonan tidak ditemukan.")})
            else:
                if application.applicant_id != reporter.id:
                    errors.append(
                        {"field": "permohonan", "message": _("Permohonan tidak ditemukan.")}
                    )
                service_id, agency_id = service.id, service.agency_id
    if reporter is not None and reporter.kind is not AccountKind.CITIZEN:
        errors.append(
            {"field": "akun", "message": _("Pengaduan dikirim oleh warga, bukan akun petugas.")}
        )
    if errors:
        raise InvalidInput(errors[0]["message"], details=errors)
    assert category is not None
    moment = now or utcnow()
    deadline_class = deadline_class_of(kind, category)
    first_due, resolution_due = due_dates(session, region, deadline_class, today_in(region, moment))
    access_code = None
    if reporter is None:
        access_code = "".join(secrets.choice(_ALPHABET) for _ in range(10))
    contact = {k: v.strip() for k, v in filing.contact.items() if v and v.strip()}
    complaint = Complaint(
        id=uuid.uuid4(),
        region_id=region.id,
        number=new_number(session, region, moment),
        kind=kind,
        status=ComplaintStatus.NEW,
        source=source,
        category_id=category.id,
        agency_id=None,
        service_id=service_id,
        application_id=filing.application_id if service_id else None,
        reporter_id=reporter.id if reporter else None,
        contact_encrypted=security.encrypt(CONTACT_PURPOSE, json.dumps(contact))
        if contact
        else None,
        title=filing.title.strip(),
        description=filing.description.strip(),
        anonymous=filing.anonymous,
        confidential=filing.confidential,
        latitude=filing.latitude,
        longitude=filing.longitude,
        address=filing.address.strip(),
        attributes=dict(filing.attributes),
        access_code_hash=security.token_digest(access_code) if access_code else None,
        filed_at=moment,
        first_response_due=first_due,
        resolution_due=resolution_due,
        # Filed about an application: its agency is known, the desk need only confirm.
        suggested_agency_id=agency_id,
    )
    repository.add(session, complaint)
    session.flush()
    classifier.suggest_at_filing(session, region, complaint)
    record_step(
        session,
        complaint,
        "filed",
        None,
        ComplaintStatus.NEW,
        Actor.reporter(reporter, complaint),
        details={"source": source.value},
        now=moment,
    )
    if reporter is not None:
        repository.add_follower(session, region.id, complaint.id, reporter.id)
        notices.tell_users(
            session, complaint, [reporter.id], "complaint_filed", due=format_date(first_due)
        )
    session.flush()
    return Filed(complaint, access_code)


def contact_of(complaint: Complaint) -> dict[str, str]:
    """The contact given without an account (for the desk; never when anonymous)."""
    if complaint.anonymous or not complaint.contact_encrypted:
        return {}
    plain = security.decrypt(CONTACT_PURPOSE, complaint.contact_encrypted)
    return json.loads(plain) if plain else {}
