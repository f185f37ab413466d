"""A year of past applications in the demo region, so its leaders' pages have numbers.

The KPI dashboard, the IKM report, the savings ledger and the comparison between regions all
read finished applications; a fresh demo would show empty tables. This adds about 240
applications of twelve demo residents to ten services of four agencies, spread over the last
year: most completed (some late, some after a return to the citizen), some rejected, a few
still open. The ones completed recently at Disdukcapil and DPMPTSP (whose demo officers hold
signing keys) get signed documents from the worker, so "done online" rises towards today as it
would after a region starts signing. Deterministic (a fixed seed), added once.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from simpul.accounts import repository as accounts_repository
from simpul.accounts import service as accounts_service
from simpul.accounts.models import AccountKind, User
from simpul.applications import answers
from simpul.applications import repository as applications_repository
from simpul.applications.models import Application, ApplicationEvent, ApplicationStatus
from simpul.applications.sla import WorkingCalendar
from simpul.applications.submission import calendar_for, open_task, workflow_of
from simpul.catalogue import repository as catalogue_repository
from simpul.catalogue.models import Service
from simpul.core.kit.periods import today_in
from simpul.core.models import Region
from simpul.core.security import new_token
from simpul.demo.eform_sample import sample_data
from simpul.demo.signing import DEMO_SIGNERS, DEMO_SIGNING_PASSPHRASE
from simpul.documents import credentials, issuing

#: Services with past applications, and how often each is asked for.
SERVICES: Final = (
    ("akta-kelahiran", 9),
    ("kartu-keluarga", 8),
    ("kartu-identitas-anak", 5),
    ("akta-kematian", 3),
    ("izin-reklame", 3),
    ("nib-usaha-mikro-kecil", 5),
    ("sertifikat-laik-fungsi", 2),
    ("sip-tenaga-kesehatan", 3),
    ("sertifikat-pirt", 3),
    ("kartu-pencari-kerja-ak1", 6),
)
RESIDENTS: Final = (
    "Agus Setiawan",
    "Dewi Kartika",
    "Budi Hartono",
    "Sri Wahyuni",
    "Ujang Suryana",
    "Nining Rohaeni",
    "Yusuf Maulana",
    "Lina Marlina",
    "Hendra Gunawan",
    "Ratna Sari",
    "Dadang Sudrajat",
    "Euis Komariah",
)
APPLICATIONS: Final = 240
#: Completed this many days ago or later, at a signing agency: the worker signs its document.
SIGNED_SINCE_DAYS: Final = 45
_ALPHABET: Final = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def resident_email(index: int) -> str:
    return f"warga.riwayat{index + 1:02d}@example.org"


@dataclass(frozen=True)
class _Plan:
    submitted: date
    due: date
    returned: tuple[date, date] | None  # returned on, resubmitted on
    finished: date | None
    outcome: ApplicationStatus
    paused: int = 0  # working days the application waited on the resident


def _residents(session: Session, region: Region) -> list[User]:
    residents = []
    for index, name in enumerate(RESIDENTS):
        residents.append(
            accounts_service.create_user(
                session,
                region,
                email=resident_email(index),
                full_name=name,
                password=new_token(),  # nobody logs in as them
                kind=AccountKind.CITIZEN,
                # Kota Bandung (32 73 01), born 17-08-1990 (for women the day is 17 + 40).
                nik=f"327301{'57' if index % 2 else '17'}0890{index + 101:04d}",
                actor_label="demo",
            )
        )
    return residents


def _plan(rng: random.Random, calendar: WorkingCalendar, service: Service, today: date) -> _Plan:
    submitted = calendar.next_working_day(today - timedelta(days=rng.randint(2, 360)))
    due = calendar.add_working_days(submitted, service.sla_working_days)
    returned = None
    paused = 0
    if rng.random() < 0.12:
        returned_on = calendar.add_working_days(submitted, rng.randint(1, 2))
        paused = rng.randint(1, 4)
        returned = (returned_on, calendar.add_working_days(returned_on, paused))
        due = calendar.add_working_days(due, paused)
    # Most finish within the standard; some take longer.
    share = rng.choices((0.4, 0.7, 1.0, 1.4, 2.0), weights=(25, 35, 22, 12, 6))[0]
    taken = max(1, round(service.sla_working_days * share)) + paused
    finished = calendar.add_working_days(submitted, taken)
    if finished >= today or rng.random() < 0.04:
        return _Plan(submitted, due, returned, None, ApplicationStatus.SUBMITTED, paused)
    outcome = ApplicationStatus.REJECTED if rng.random() < 0.08 else ApplicationStatus.COMPLETED
    return _Plan(submitted, due, returned, finished, outcome, paused)


def _moment(day: date, hour: int, minute: int, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)


def _tracking_number(session: Session, region: Region, rng: random.Random, day: date) -> str:
    while True:
        code = "".join(rng.choice(_ALPHABET) for _ in range(8))
        number = f"{day:%y%m}-{code[:4]}-{code[4:]}"
        if not applications_repository.tracking_number_exists(session, region.id, number):
            return number


def _add(
    session: Session,
    region: Region,
    rng: random.Random,
    service: Service,
    resident: User,
    plan: _Plan,
    officer_label: str,
) -> Application:
    zone = ZoneInfo(region.timezone)
    submitted_at = _moment(plan.submitted, rng.randint(7, 20), rng.randint(0, 59), zone)
    finished_at = (
        _moment(plan.finished, rng.randint(8, 15), rng.randint(0, 59), zone)
        if plan.finished
        else None
    )
    application = Application(
        region_id=region.id,
        service_id=service.id,
        applicant_id=resident.id,
        tracking_number=_tracking_number(session, region, rng, plan.submitted),
        status=plan.outcome,
        submitted_at=submitted_at,
        due_date=plan.due,
        paused_working_days=plan.paused,
        finished_at=finished_at,
        created_at=submitted_at,
        updated_at=finished_at or submitted_at,
    )
    session.add(application)
    session.flush()
    # Through the same door as every application: personal answers masked and encrypted.
    answers.store_answers(session, application, service, sample_data(service.eform["schema"]))
    events: list[tuple[datetime, str, str | None, str, str, str]] = [
        (submitted_at - timedelta(minutes=12), "draft", None, "draft", resident.full_name, ""),
        (submitted_at, "submit", "draft", "submitted", resident.full_name, ""),
    ]
    if plan.returned:
        back = _moment(plan.returned[0], 10, 0, zone)
        again = _moment(plan.returned[1], 19, 30, zone)
        note = "Foto dokumen kurang jelas; unggah ulang."
        events += [
            (back, "return", "submitted", "returned", officer_label, note),
            (again, "resubmit", "returned", "submitted", resident.full_name, ""),
        ]
    if finished_at is not None:
        action = "complete" if plan.outcome is ApplicationStatus.COMPLETED else "reject"
        note = "" if action == "complete" else "Persyaratan tidak terpenuhi."
        events.append((finished_at, action, "submitted", plan.outcome.value, officer_label, note))
    if finished_at is None:  # still open: waiting in the agency's inbox at its first step
        task = open_task(session, application, service, workflow_of(service).steps[0])
        task.created_at = events[-1][0]
    for at, action, before, after, actor, note in events:
        session.add(
            ApplicationEvent(
                region_id=region.id,
                application_id=application.id,
                at=at,
                actor_label=actor,
                action=action,
                from_status=before,
                to_status=after,
                note=note,
            )
        )
    return application


def seed_demo_history(session: Session, region: Region, *, seed: int = 2026) -> int:
    """Add the demo's past applications (once); returns how many were added."""
    if accounts_repository.get_user_by_email(session, region.id, resident_email(0)) is not None:
        return 0
    services = []
    weights = []
    for slug, weight in SERVICES:
        service = catalogue_repository.get_service_by_slug(session, region.id, slug)
        if service is not None:
            services.append(service)
            weights.append(weight)
    if not services:
        return 0
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    residents = _residents(session, region)
    calendar = calendar_for(session, region)
    today = today_in(region)
    signers = _signers(session, region)
    added = 0
    for _ in range(APPLICATIONS):
        service = rng.choices(services, weights=weights)[0]
        plan = _plan(rng, calendar, service, today)
        signer = signers.get(service.agency_id)
        label = signer.full_name if signer else f"Petugas {service.agency.short_name}"
        application = _add(session, region, rng, service, rng.choice(residents), plan, label)
        added += 1
        recent = plan.finished is not None and (today - plan.finished).days <= SIGNED_SINCE_DAYS
        if signer is not None and recent and plan.outcome is ApplicationStatus.COMPLETED:
            issuing.queue_documents(
                session,
                region,
                application.id,
                signer=signer,
                unlocked=credentials.unlock(session, region, signer, DEMO_SIGNING_PASSPHRASE),
            )
    session.flush()
    return added


def _signers(session: Session, region: Region) -> dict[uuid.UUID, User]:
    """The demo officers who can sign, by the id of their agency."""
    found: dict[uuid.UUID, User] = {}
    for email in DEMO_SIGNERS:
        user = accounts_repository.get_user_by_email(session, region.id, email)
        if user is None or credentials.active_credential(session, region, user) is None:
            continue
        for role in user.roles:
            found.setdefault(role.agency_id, user)
    return found
