"""Two regions with services, a citizen, and completed applications for the savings ledger."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, User
from simpul.applications.models import Application, ApplicationStatus
from simpul.catalogue.models import Agency, Service
from simpul.core.models import Region
from simpul.documents.models import IssuedDocument
from simpul.evaluation.savings.models import SavingsEntry
from tests.factories import add_agency, make_region, make_user, service_seed


@dataclass
class World:
    region: Region
    other: Region
    ktp: Service  # dinas-uji, one required document, one question
    izin: Service  # dinas-izin, three required documents, 23 questions
    foreign: Service  # the other region's
    citizen: User
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
    questions = {f"q{i}": {"type": "string", "title": f"Pertanyaan {i}"} for i in range(23)}
    add_agency(
        session,
        region,
        "dinas-izin",
        "Dinas Perizinan",
        [
            service_seed(
                "izin-usaha",
                "Izin Usaha",
                required_documents=[
                    {"code": "ktp", "name": "KTP-el"},
                    {"code": "npwp", "name": "NPWP"},
                    {"code": "akta", "name": "Akta pendirian"},
                ],
                eform={"schema": {"type": "object", "title": "Izin", "properties": questions}},
            )
        ],
    )
    other = make_region(session, "kab-lain", "Kabupaten Lain")
    citizen = make_user(session, region, "warga@example.org", "sandi-rahasia-1")
    foreign_citizen = make_user(session, other, "warga@example.org", "sandi-rahasia-1")
    session.commit()
    return World(
        region=region,
        other=other,
        ktp=_service(session, region, "ktp-uji"),
        izin=_service(session, region, "izin-usaha"),
        foreign=_service(session, other, "kab-lain-layanan"),
        citizen=citizen,
        foreign_citizen=foreign_citizen,
    )


def completed_application(
    session: Session,
    service: Service,
    applicant: User,
    finished_at: datetime,
    *,
    issued: bool = True,
) -> Application:
    """An application that went through its workflow and is now completed; with ``issued``
    its result is a signed electronic document, so it counts as completed online."""
    application = Application(
        region_id=service.region_id,
        service_id=service.id,
        applicant_id=applicant.id,
        tracking_number=uuid.uuid4().hex[:12].upper(),
        status=ApplicationStatus.COMPLETED,
        submitted_at=finished_at,
        finished_at=finished_at,
        data={"nama": "Warga Uji"},
    )
    session.add(application)
    session.flush()
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
                signed_at=finished_at,
            )
        )
        session.flush()
    return application


def add_entry(
    session: Session,
    service: Service,
    applicant: User,
    completed_at: datetime,
    *,
    sheets: int = 0,
    printed_copies: int = 0,
    courier_trips: int = 0,
    citizen_trips: int = 0,
    rupiah: tuple[int, int, int, int] = (0, 0, 0, 0),
    issued: bool = True,
) -> SavingsEntry:
    """A ledger row with known figures, as if recorded earlier."""
    application = completed_application(session, service, applicant, completed_at, issued=issued)
    entry = SavingsEntry(
        region_id=service.region_id,
        application_id=application.id,
        service_id=service.id,
        agency_id=service.agency_id,
        completed_at=completed_at,
        sheets=sheets,
        printed_copies=printed_copies,
        courier_trips=courier_trips,
        citizen_trips=citizen_trips,
        sheet_rupiah=rupiah[0],
        printed_copy_rupiah=rupiah[1],
        courier_rupiah=rupiah[2],
        citizen_trip_rupiah=rupiah[3],
        total_rupiah=sum(rupiah),
    )
    session.add(entry)
    session.flush()
    return entry


def agency_name(session: Session, service: Service) -> str:
    return session.get_one(Agency, service.agency_id).name


ADMIN = ("admin@example.org", "sandi-rahasia-1", AccountKind.REGION_ADMIN)
