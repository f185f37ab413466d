"""A small region to file and handle complaints in: two agencies, three categories, a citizen,
the complaint desk and an officer of each agency."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, StaffRoleName, User
from simpul.catalogue.models import Agency
from simpul.catalogue.service import get_agency
from simpul.complaints import service as complaints
from simpul.complaints.models import ComplaintCategory, DeadlineClass
from simpul.core.models import Region
from tests.factories import add_agency, make_region, make_user, service_seed

PASSWORD = "rahasia-uji-123"


@dataclass
class ComplaintWorld:
    region: Region
    roads: Agency  # "dinas-uji": roads and drains
    waste: Agency  # "dlh-uji": waste
    pothole: ComplaintCategory  # field check, default agency: roads
    garbage: ComplaintCategory  # no field check, default agency: waste
    rude: ComplaintCategory  # simple, needs no place
    citizen: User
    other_citizen: User
    desk: User  # admin_pengaduan (held in the roads agency)
    roads_officer: User
    waste_officer: User
    roads_head: User  # penandatangan of the roads agency: told of escalations


def build_world(session: Session, slug: str = "kota-aduan") -> ComplaintWorld:
    region = make_region(session, slug, "Kota Aduan")
    add_agency(
        session,
        region,
        "dlh-uji",
        "Dinas Lingkungan Uji",
        [service_seed(f"{slug}-sampah", "Angkut Sampah")],
    )
    roads = get_agency(session, region, "dinas-uji")
    waste = get_agency(session, region, "dlh-uji")
    pothole = complaints.create_category(
        session,
        region,
        code="jalan-rusak",
        name="Jalan rusak",
        name_en="Damaged road",
        group_name="Infrastruktur",
        deadline_class=DeadlineClass.FIELD_CHECK,
        default_agency_id=roads.id,
        keywords="jalan,lubang,aspal",
    )
    garbage = complaints.create_category(
        session,
        region,
        code="sampah",
        name="Sampah menumpuk",
        name_en="Uncollected waste",
        group_name="Lingkungan",
        deadline_class=DeadlineClass.NO_FIELD_CHECK,
        default_agency_id=waste.id,
    )
    rude = complaints.create_category(
        session,
        region,
        code="pelayanan-petugas",
        name="Pelayanan petugas",
        name_en="Officer conduct",
        group_name="Pelayanan",
        deadline_class=DeadlineClass.SIMPLE,
        needs_location=False,
    )
    world = ComplaintWorld(
        region=region,
        roads=roads,
        waste=waste,
        pothole=pothole,
        garbage=garbage,
        rude=rude,
        citizen=make_user(session, region, "warga.aduan@example.org", PASSWORD),
        other_citizen=make_user(
            session, region, "tetangga.aduan@example.org", PASSWORD, nik="3273015708900002"
        ),
        desk=make_user(
            session,
            region,
            "meja.aduan@example.org",
            PASSWORD,
            AccountKind.STAFF,
            roles=[("dinas-uji", StaffRoleName.ADMIN_PENGADUAN)],
        ),
        roads_officer=make_user(
            session,
            region,
            "petugas.jalan@example.org",
            PASSWORD,
            AccountKind.STAFF,
            roles=[("dinas-uji", StaffRoleName.VERIFIKATOR)],
        ),
        waste_officer=make_user(
            session,
            region,
            "petugas.sampah@example.org",
            PASSWORD,
            AccountKind.STAFF,
            roles=[("dlh-uji", StaffRoleName.VERIFIKATOR)],
        ),
        roads_head=make_user(
            session,
            region,
            "kepala.jalan@example.org",
            PASSWORD,
            AccountKind.STAFF,
            roles=[("dinas-uji", StaffRoleName.PENANDATANGAN)],
        ),
    )
    session.flush()
    return world


@pytest.fixture
def world(session: Session) -> ComplaintWorld:
    return build_world(session)


def pothole_filing(**changes: object) -> complaints.Filing:
    """A valid complaint about a pothole in Kota Aduan, with ``changes`` applied."""
    filing = complaints.Filing(
        kind="complaint",
        category="jalan-rusak",
        title="Lubang besar di Jalan Dago",
        description="Ada lubang besar di depan nomor 45, sudah dua minggu dan membahayakan motor.",
        latitude=-6.8876,
        longitude=107.6133,
        address="Jl. Ir. H. Juanda No. 45",
    )
    for name, value in changes.items():
        setattr(filing, name, value)
    return filing
