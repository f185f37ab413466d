"""The rules of public tracking, the receipt and cancellation (decision 0051).

Tracking answers a tracking number plus one thing only the applicant knows (the birth date
or the last four digits of the NIK, both read from the account's encrypted NIK): "no such
number" and "wrong check" are one answer, so the page tells nobody which numbers exist. What
it shows is the status, the service, the dates, the current step and what the citizen must
do; never a name, a NIK or an answer.

Cancellation locks the open task, then the application, in the order the officers' claim and
decision lock them, so a citizen cancelling and an officer claiming at the same moment are
serialised by PostgreSQL: exactly one of them wins, the other is refused.
"""

from __future__ import annotations

import hmac
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

from sqlalchemy.orm import Session

from simpul.accounts import service as accounts_service
from simpul.accounts.models import User
from simpul.applications import repository
from simpul.applications.models import (
    Application,
    ApplicationStatus,
    Document,
    TaskStatus,
)
from simpul.applications.submission import get_own_application, record_event, workflow_of
from simpul.catalogue.models import Service
from simpul.core import ratelimit
from simpul.core.errors import Conflict, InvalidInput, NotFound, TooManyRequests
from simpul.core.i18n import _
from simpul.core.kit.periods import today_in
from simpul.core.models import Region, utcnow
from simpul.core.personal import mask_sixteen_digit_numbers
from simpul.core.ratelimit import buckets_on, limit_source
from simpul.core.text import unsafe_text_error
from simpul.documents import service as documents_service

#: Lookups a source address may make: a burst of 10, then one every 6 seconds.
LOOKUPS_PER_MINUTE_PER_SOURCE: Final = 10
#: Lookups of one tracking number, from anywhere: a burst of 10, then one every 6 minutes.
#: Four NIK digits are 10,000 guesses: about three weeks at this pace (decision 0051).
LOOKUPS_PER_HOUR_PER_NUMBER: Final = 10
MAX_REASON: Final = 500

_SOURCE_BUCKETS: Final = "tracking_lookup_source_buckets"
_NUMBER_BUCKETS: Final = "tracking_lookup_number_buckets"
_NUMBER_SHAPE: Final = re.compile(r"^[0-9A-Z]{12}$")
#: History actions that are the citizen's own; any other means an officer (or the system on
#: an officer's behalf) has touched the application.
_CITIZEN_ACTIONS: Final = frozenset({"draft", "submit"})


class TrackingRefused(TooManyRequests):
    """Too many lookups: from this address, or of this number."""


@dataclass(frozen=True)
class TrackingView:
    """What the public tracking page may show of an application: nothing personal."""

    tracking_number: str
    status: str
    service_name: str
    service_name_en: str
    submitted_at: date | None
    due_date: date | None
    finished_at: date | None
    step_name: str
    step_name_en: str


def normalise_tracking_number(raw: str) -> str | None:
    """``2611-7k3q-x9ma``, ``2611 7K3Q X9MA`` or ``26117K3QX9MA`` -> ``2611-7K3Q-X9MA``;
    None for anything that cannot be a tracking number."""
    compact = re.sub(r"[\s\-.]", "", raw or "").upper()
    if not _NUMBER_SHAPE.fullmatch(compact):
        return None
    return f"{compact[:4]}-{compact[4:8]}-{compact[8:]}"


def number_problem() -> str:
    """What is wrong with something that is not a tracking number."""
    return _("Nomor permohonan terdiri dari 12 huruf dan angka, contoh: 2611-7K3Q-X9MA.")


def parse_lookup(
    raw_number: str, birth_date: str, nik_last4: str
) -> tuple[str, date | None, str | None]:
    """The tracking number and the applicant's check as typed: a birth date (YYYY-MM-DD, as
    ``<input type=date>`` sends it, or DD-MM-YYYY), the last four NIK digits, or both; an
    InvalidInput naming each faulty field otherwise."""
    errors: list[dict[str, str]] = []
    number = normalise_tracking_number(raw_number)
    if number is None:
        errors.append({"field": "nomor", "message": number_problem()})
    day: date | None = None
    digits: str | None = None
    birth_date, nik_last4 = birth_date.strip(), nik_last4.strip()
    if birth_date:
        day = _parse_date(birth_date)
        if day is None:
            errors.append(
                {
                    "field": "tanggal_lahir",
                    "message": _("Tanggal lahir tidak valid. Contoh: 17-08-1990."),
                }
            )
    if nik_last4:
        if re.fullmatch(r"[0-9]{4}", nik_last4):
            digits = nik_last4
        else:
            errors.append(
                {"field": "nik4", "message": _("Isi tepat 4 angka terakhir NIK pemohon.")}
            )
    if not birth_date and not nik_last4:
        errors.append(
            {
                "field": "tanggal_lahir",
                "message": _("Isi tanggal lahir pemohon atau 4 angka terakhir NIK-nya."),
            }
        )
    if errors or number is None:
        raise InvalidInput(_("Periksa isian yang ditandai."), details=errors)
    return number, day, digits


def _parse_date(text: str) -> date | None:
    for pattern in (r"(\d{4})-(\d{1,2})-(\d{1,2})", r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})"):
        match = re.fullmatch(pattern, text)
        if match:
            parts = [int(p) for p in match.groups()]
            year, month, day = parts if len(match.group(1)) == 4 else parts[::-1]
            try:
                return date(year, month, day)
            except ValueError:
                return None
    return None


def limit_lookups(state: object, region: Region, source: str, tracking_number: str) -> None:
    """Take one lookup from the address's allowance and one from the number's (in this
    region); refuse with 429 when either is spent (before anything is looked up)."""

    def message(seconds: int) -> str:
        return _("Terlalu banyak percobaan pelacakan. Coba lagi dalam %(seconds)d detik.") % {
            "seconds": seconds
        }

    limit_source(state, _SOURCE_BUCKETS, source, LOOKUPS_PER_MINUTE_PER_SOURCE, message)
    # The buckets count per minute; given the time in minutes, they count per hour.
    wait_minutes = buckets_on(state, _NUMBER_BUCKETS).take(
        f"{region.id}/{tracking_number}", LOOKUPS_PER_HOUR_PER_NUMBER, ratelimit.monotonic() / 60.0
    )
    if wait_minutes is not None:
        seconds = max(1, int(wait_minutes * 60) + 1)
        raise TrackingRefused(message(seconds), retry_after_seconds=seconds)


def _not_found() -> NotFound:
    # One answer for an unknown number, a draft, and a wrong birth date or NIK digits.
    return NotFound(
        _(
            "Permohonan tidak ditemukan, atau tanggal lahir / 4 angka terakhir NIK tidak "
            "cocok. Periksa kembali nomor permohonan dan data pemohon."
        )
    )


def _birth_date_matches(nik: str, day: date) -> bool:
    """Digits 7-12 of a NIK are the birth date DDMMYY (40 added to the day for women)."""
    if len(nik) != 16 or not nik.isdigit():
        return False
    encoded = int(nik[6:8]) % 40, int(nik[8:10]), int(nik[10:12])
    return encoded == (day.day, day.month, day.year % 100)


def _check_matches(nik: str | None, day: date | None, digits: str | None) -> bool:
    # Compared whether or not the number exists, so an unknown number costs the same work.
    value = nik or "0" * 16
    matches = nik is not None
    if digits is not None:
        matches = hmac.compare_digest(value[-4:].encode(), digits.encode()) and matches
    if day is not None:
        matches = _birth_date_matches(value, day) and matches
    return matches


def track(
    session: Session,
    region: Region,
    tracking_number: str,
    birth_date: date | None,
    nik_last4: str | None,
) -> TrackingView:
    """The public view of the region's application ``tracking_number`` when the check
    matches its applicant; the one NotFound otherwise (the caller limits lookups first)."""
    application = repository.get_application_by_tracking_number(session, region.id, tracking_number)
    applicant: User | None = None
    if application is not None and application.status is not ApplicationStatus.DRAFT:
        applicant = accounts_service.user_by_id(session, region, application.applicant_id)
    nik = accounts_service.nik_of(applicant) if applicant is not None else None
    if not _check_matches(nik, birth_date, nik_last4) or application is None:
        raise _not_found()
    service = repository.get_service_of(session, application)
    return _view_of(region, application, service)


def _view_of(region: Region, application: Application, service: Service) -> TrackingView:
    step = workflow_of(service).step(application.current_step or "")
    waiting = application.status in (ApplicationStatus.SUBMITTED, ApplicationStatus.RETURNED)
    return TrackingView(
        tracking_number=application.tracking_number,
        status=application.status.value,
        service_name=service.name,
        service_name_en=service.name_en or service.name,
        # Days on the region's wall clock: 01.58 WIB on the 8th is the 8th, not UTC's 7th.
        submitted_at=today_in(region, application.submitted_at)
        if application.submitted_at
        else None,
        due_date=application.due_date,
        finished_at=today_in(region, application.finished_at) if application.finished_at else None,
        step_name=step.name if step and waiting else "",
        step_name_en=step.name_en if step and waiting else "",
    )


# -- the receipt -------------------------------------------------------------------------------


def tracking_url(base_url: str, region: Region, tracking_number: str) -> str:
    """The tracking page with the number filled in: what the receipt's QR code opens."""
    return f"{base_url.rstrip('/')}/{region.slug}/lacak?nomor={tracking_number}"


def receipt_pdf(
    session: Session, region: Region, applicant: User, application_id: uuid.UUID, base_url: str
) -> tuple[Application, bytes]:
    """The receipt (bukti pendaftaran) of the applicant's own submitted application."""
    application = get_own_application(session, region, applicant, application_id)
    if application.status is ApplicationStatus.DRAFT or application.submitted_at is None:
        raise Conflict(_("Bukti pendaftaran tersedia setelah permohonan diajukan."))
    service = repository.get_service_of(session, application)
    sent: Sequence[Document] = repository.current_documents(session, application.id)
    names = {r["code"]: r["name"] for r in service.required_documents}
    documents = [
        f"{names.get(d.requirement_code or '', d.requirement_code or '')}: {d.filename}"
        for d in sent
    ]
    pdf = documents_service.render_receipt(
        region,
        service,
        tracking_number=application.tracking_number,
        submitted_at=application.submitted_at,
        due_date=application.due_date,
        documents=documents,
        tracking_url=tracking_url(base_url, region, application.tracking_number),
    )
    return application, pdf


# -- cancellation ------------------------------------------------------------------------------


def cancellable(session: Session, application: Application) -> bool:
    """Whether the citizen may still cancel: submitted, its task open and nobody's, and no
    officer has acted on it (no claim, assignment, return or decision in its history)."""
    if application.status is not ApplicationStatus.SUBMITTED:
        return False
    task = repository.open_task_of(session, application.id)
    if task is None or task.assignee_id is not None:
        return False
    events = repository.list_events(session, application.id)
    return all(e.action in _CITIZEN_ACTIONS for e in events)


def _clean_reason(reason: str) -> str:
    hidden = unsafe_text_error(reason, field="alasan", label=_("Alasan pembatalan"))
    if hidden:
        raise InvalidInput(hidden["message"], details=[hidden])
    cleaned = mask_sixteen_digit_numbers(" ".join(reason.split()))
    if len(cleaned) > MAX_REASON:
        raise InvalidInput(
            _("Alasan terlalu panjang (paling banyak %(n)d karakter).") % {"n": MAX_REASON},
            details=[
                {
                    "field": "alasan",
                    "message": _("Paling banyak %(n)d karakter.") % {"n": MAX_REASON},
                }
            ],
        )
    return cleaned


def cancel_application(
    session: Session, region: Region, applicant: User, application_id: uuid.UUID, reason: str = ""
) -> Application:
    """Withdraw the applicant's own application while no officer has taken it: its task is
    closed as cancelled and the history says so; refused (409) once an officer has it."""
    note = _clean_reason(reason)
    application = get_own_application(session, region, applicant, application_id)
    # The task first, then the application: the order claim_task and act_on_task lock them
    # in, so a concurrent claim waits for us (or we for it) instead of deadlocking.
    task = repository.open_task_of(session, application.id, for_update=True)
    application = get_own_application(session, region, applicant, application_id, for_update=True)
    session.refresh(application)
    if application.status is not ApplicationStatus.SUBMITTED or task is None:
        raise Conflict(
            _("Permohonan ini tidak bisa dibatalkan lagi: sudah diproses atau sudah selesai.")
        )
    session.refresh(task)
    if (
        task.status is not TaskStatus.OPEN
        or task.assignee_id is not None
        or not all(
            e.action in _CITIZEN_ACTIONS for e in repository.list_events(session, application.id)
        )
    ):
        raise Conflict(
            _("Permohonan ini tidak bisa dibatalkan lagi: petugas sudah mulai memprosesnya.")
        )
    now = utcnow()
    before = application.status
    task.status = TaskStatus.CANCELLED
    task.completed_at = now
    task.note = note
    application.status = ApplicationStatus.CANCELLED
    application.finished_at = now
    record_event(
        session, application, actor=applicant, action="cancel", from_status=before, note=note
    )
    session.flush()
    return application
