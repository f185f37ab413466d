"""Two regions, services of two agencies, citizens and their completed applications, and
the survey answers the tests compute by hand."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, StaffRoleName, User
from simpul.applications.models import Application, ApplicationStatus
from simpul.catalogue.models import Service
from simpul.core.models import Region
from simpul.evaluation.surveys.models import SurveyResponse
from tests.factories import add_agency, csrf_from, make_region, make_user, service_seed

#: Three respondents of "KTP Uji" in 2026. Element means 11/3, 10/3, 8/3, 4, 10/3, 11/3, 4,
#: 3, 8/3; their sum is 91/3, so IKM = 91/3 / 9 * 25 = 84.259... -> 84.26, grade B (Baik).
#: The lowest elements are U3 and U9 (2.67): U3 comes first.
KTP_ANSWERS = (
    (4, 3, 3, 4, 3, 3, 4, 3, 3),
    (3, 3, 2, 4, 3, 4, 4, 3, 3),
    (4, 4, 3, 4, 4, 4, 4, 3, 2),
)
IN_2026 = datetime(2026, 5, 12, 3, 0, tzinfo=UTC)
PASSWORD = "sandi-rahasia-1"


@dataclass
class World:
    region: Region
    other: Region
    ktp: Service  # dinas-uji
    izin: Service  # dinas-izin
    foreign: Service  # the other region's
    citizen: User
    neighbour: User
    foreign_citizen: User


def _service(session: Session, region: Region, slug: str) -> Service:
    return session.scalars(
        select(Service).where(Service.region_id == region.id, Service.slug == slug)
    ).one()


@pytest.fixture
def world(session: Session) -> World:
    region = make_region(
        session, "kota-uji", "Kota Uji", services=[service_seed("ktp-uji", "KTP Uji")]
    )
    add_agency(
        session, region, "dinas-izin", "Dinas Perizinan", [service_seed("izin-usaha", "Izin Usaha")]
    )
    other = make_region(session, "kab-lain", "Kabupaten Lain")
    citizen = make_user(session, region, "warga@example.org", PASSWORD)
    neighbour = make_user(session, region, "tetangga@example.org", PASSWORD, nik="3273011505900002")
    foreign_citizen = make_user(session, other, "warga@example.org", PASSWORD)
    session.commit()
    return World(
        region=region,
        other=other,
        ktp=_service(session, region, "ktp-uji"),
        izin=_service(session, region, "izin-usaha"),
        foreign=_service(session, other, "kab-lain-layanan"),
        citizen=citizen,
        neighbour=neighbour,
        foreign_citizen=foreign_citizen,
    )


def application(
    session: Session,
    service: Service,
    applicant: User,
    finished_at: datetime = IN_2026,
    status: ApplicationStatus = ApplicationStatus.COMPLETED,
) -> Application:
    """An application in ``status`` (completed at ``finished_at`` when completed)."""
    done = status is ApplicationStatus.COMPLETED
    item = Application(
        region_id=service.region_id,
        service_id=service.id,
        applicant_id=applicant.id,
        tracking_number=uuid.uuid4().hex[:12].upper(),
        status=status,
        submitted_at=finished_at,
        finished_at=finished_at if done else None,
        data={"nama": "Warga Uji"},
    )
    session.add(item)
    session.flush()
    return item


def rate(session: Session, item: Application, answers: tuple[int, ...]) -> SurveyResponse:
    """A stored response, as if the applicant had sent the form."""
    service = session.get_one(Service, item.service_id)
    response = SurveyResponse(
        region_id=item.region_id,
        application_id=item.id,
        service_id=service.id,
        agency_id=service.agency_id,
        **{f"u{n}": answer for n, answer in enumerate(answers, start=1)},
    )
    session.add(response)
    session.flush()
    return response


def responses_of(session: Session, region: Region) -> int:
    return (
        session.scalar(
            select(func.count(SurveyResponse.id)).where(SurveyResponse.region_id == region.id)
        )
        or 0
    )


@pytest.fixture
def rated(session: Session, world: World) -> World:
    """KTP Uji: five completed in 2026, three rated (KTP_ANSWERS); one rated in 2025; one
    still in process. Izin Usaha: one completed, rated all 4. The other region: one rated 1s."""
    for answers in KTP_ANSWERS:
        rate(session, application(session, world.ktp, world.citizen), answers)
    application(session, world.ktp, world.neighbour)
    application(session, world.ktp, world.neighbour)
    old = application(session, world.ktp, world.citizen, datetime(2025, 6, 1, tzinfo=UTC))
    rate(session, old, (1,) * 9)
    application(session, world.ktp, world.citizen, status=ApplicationStatus.SUBMITTED)
    rate(session, application(session, world.izin, world.neighbour), (4,) * 9)
    foreign = application(session, world.foreign, world.foreign_citizen)
    rate(session, foreign, (1,) * 9)
    session.commit()
    return world


def log_in(
    client: TestClient,
    session: Session,
    region: Region,
    email: str,
    kind: AccountKind = AccountKind.CITIZEN,
    roles: list[tuple[str, StaffRoleName]] | None = None,
) -> None:
    """Log in through the login form, creating the account first unless it is a citizen."""
    if kind is not AccountKind.CITIZEN:
        make_user(session, region, email, PASSWORD, kind, roles=roles)
        session.commit()
    token = csrf_from(client.get(f"/{region.slug}/masuk").text)
    response = client.post(
        f"/{region.slug}/masuk",
        data={"email": email, "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
