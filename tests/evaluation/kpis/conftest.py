"""Applications with known submission, return, decision and deadline dates, for the KPIs.

February 2026 in Asia/Jakarta: the 16th (Monday) is the region's cuti bersama, the 17th
(Tuesday) is Tahun Baru Imlek, weekends are off. Every timestamp is 10:00 WIB (03:00 UTC).

Kota Uji, "KTP Uji" (Dinas Uji Kota Uji, SLA 3):
  a1  submitted Mon 2, completed Thu 5, due Thu 5          3 days, on time, signed PDF
  a2  submitted Wed 11, completed Thu 19, due Wed 18       4 days (12, 13, 18, 19), late
  a3  submitted Fri 6, returned Mon 9, back Wed 11 (2 working days paused), due Fri 13,
      completed Fri 13                                     5 - 2 = 3 days, on time, signed
  a4  submitted Tue 24, rejected Tue 24, due Fri 27        0 days, on time
  b1  submitted Wed 25, still open, due Mon 2 March        backlog, not overdue
  b2  submitted Tue 20 January, due Fri 23 January, completed Tue 3 March
                                                           backlog at end of Feb, overdue
"Izin Usaha" (Dinas Perizinan, SLA 5):
  c1  submitted Mon 9, completed Fri 20, due Wed 18        7 days, late, signed
  b3  submitted Wed 18, returned Fri 20 (still)            backlog, returned
  b4  submitted Tue 3, returned Wed 4, back Mon 2 March (due Fri 6 March)
                                                           backlog, returned at end of Feb
Kabupaten Lain: one application submitted and completed on 10 February, signed.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, User
from simpul.applications.models import (
    Application,
    ApplicationEvent,
    ApplicationStatus,
    CollectiveLeaveDay,
)
from simpul.catalogue.models import Service
from simpul.core.models import Region
from simpul.documents.models import IssuedDocument
from tests.factories import add_agency, make_region, make_user, service_seed

ADMIN = ("admin@example.org", "sandi-rahasia-1", AccountKind.REGION_ADMIN)
PERIOD = "dari=2026-02-01&sampai=2026-02-28"


def at(day: date) -> datetime:
    """10:00 WIB on ``day``."""
    return datetime(day.year, day.month, day.day, 3, 0, tzinfo=UTC)


@dataclass
class World:
    region: Region
    other: Region
    ktp: Service
    izin: Service
    foreign: Service
    citizen: User
    foreign_citizen: User


def _service(session: Session, region: Region, slug: str) -> Service:
    return session.scalars(
        select(Service).where(Service.region_id == region.id, Service.slug == slug)
    ).one()


def make_application(
    session: Session,
    service: Service,
    applicant: User,
    *,
    submitted: date,
    due: date,
    history: Sequence[tuple[date, str, str]] = (),
    paused_days: int = 0,
    issued: bool = False,
) -> Application:
    """An application with its history; its status and finish come from the last event."""
    status = ApplicationStatus.SUBMITTED
    finished_at = None
    events = [(submitted, "submit", "submitted"), *history]
    for day, _action, to_status in events:
        status = ApplicationStatus(to_status)
        finished_at = at(day) if to_status in ("completed", "rejected") else None
    application = Application(
        region_id=service.region_id,
        service_id=service.id,
        applicant_id=applicant.id,
        tracking_number=uuid.uuid4().hex[:12].upper(),
        status=status,
        submitted_at=at(submitted),
        due_date=due,
        paused_working_days=paused_days,
        paused_at=at(events[-1][0]) if status is ApplicationStatus.RETURNED else None,
        finished_at=finished_at,
        data={"nama": "Warga Uji"},
    )
    session.add(application)
    session.flush()
    before: str | None = "draft"
    for day, action, to_status in events:
        session.add(
            ApplicationEvent(
                region_id=service.region_id,
                application_id=application.id,
                at=at(day),
                actor_label="uji",
                action=action,
                from_status=before,
                to_status=to_status,
            )
        )
        before = to_status
    if issued:
        session.add(
            IssuedDocument(
                region_id=service.region_id,
                application_id=application.id,
                number=f"503/{uuid.uuid4().hex[:8]}",
                code=uuid.uuid4().hex[:22],
                sha256="0" * 64,
                storage_key=f"uji/{uuid.uuid4()}",
                signer_name="Kepala Dinas",
                signed_at=finished_at or at(submitted),
            )
        )
    session.flush()
    return application


def feb(day: int) -> date:
    return date(2026, 2, day)


@pytest.fixture
def world(session: Session) -> World:
    region = make_region(
        session,
        "kota-uji",
        "Kota Uji",
        services=[service_seed("ktp-uji", "KTP Uji", sla_working_days=3)],
    )
    add_agency(
        session,
        region,
        "dinas-izin",
        "Dinas Perizinan",
        [service_seed("izin-usaha", "Izin Usaha", sla_working_days=5)],
    )
    other = make_region(session, "kab-lain", "Kabupaten Lain")
    session.add(CollectiveLeaveDay(region_id=region.id, day=feb(16), description="Cuti bersama"))
    citizen = make_user(session, region, "warga@example.org", "sandi-rahasia-1")
    foreign_citizen = make_user(session, other, "warga@example.org", "sandi-rahasia-1")
    session.flush()
    return World(
        region=region,
        other=other,
        ktp=_service(session, region, "ktp-uji"),
        izin=_service(session, region, "izin-usaha"),
        foreign=_service(session, other, "kab-lain-layanan"),
        citizen=citizen,
        foreign_citizen=foreign_citizen,
    )


@pytest.fixture
def data(session: Session, world: World) -> World:
    """The applications of the module docstring, committed (to the test's savepoint)."""
    ktp, izin, who = world.ktp, world.izin, world.citizen
    done, rejected = ("complete", "completed"), ("reject", "rejected")
    back, resubmit = ("return", "returned"), ("resubmit", "submitted")
    make_application(
        session, ktp, who, submitted=feb(2), due=feb(5), history=[(feb(5), *done)], issued=True
    )
    make_application(session, ktp, who, submitted=feb(11), due=feb(18), history=[(feb(19), *done)])
    make_application(
        session,
        ktp,
        who,
        submitted=feb(6),
        due=feb(13),
        history=[(feb(9), *back), (feb(11), *resubmit), (feb(13), *done)],
        paused_days=2,
        issued=True,
    )
    make_application(
        session, ktp, who, submitted=feb(24), due=feb(27), history=[(feb(24), *rejected)]
    )
    make_application(session, ktp, who, submitted=feb(25), due=date(2026, 3, 2))
    make_application(
        session,
        ktp,
        who,
        submitted=date(2026, 1, 20),
        due=date(2026, 1, 23),
        history=[(date(2026, 3, 3), *done)],
    )
    make_application(
        session, izin, who, submitted=feb(9), due=feb(18), history=[(feb(20), *done)], issued=True
    )
    make_application(session, izin, who, submitted=feb(18), due=feb(25), history=[(feb(20), *back)])
    make_application(
        session,
        izin,
        who,
        submitted=feb(3),
        due=date(2026, 3, 6),
        history=[(feb(4), *back), (date(2026, 3, 2), *resubmit)],
        paused_days=16,
    )
    make_application(
        session,
        world.foreign,
        world.foreign_citizen,
        submitted=feb(10),
        due=feb(13),
        history=[(feb(10), *done)],
        issued=True,
    )
    session.commit()
    return world
