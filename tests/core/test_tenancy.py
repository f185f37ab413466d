"""One region never sees or changes another's data, through pages, the API or the database."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from simpul.accounts.auth import SESSION_COOKIE
from simpul.accounts.models import AccountKind
from simpul.accounts.service import create_api_token, create_user, start_session
from simpul.catalogue import repository as catalogue_repository
from simpul.catalogue.models import Service
from simpul.catalogue.service import copy_catalogue, find_services
from simpul.core.kit.queries import get_in_region
from simpul.core.models import Region
from tests.factories import make_region, service_seed


@pytest.fixture
def bandung(session: Session) -> Region:
    return make_region(
        session, "kota-a", "Kota A", [service_seed("rahasia-a", "Layanan Pengolahan Durian")]
    )


@pytest.fixture
def semarang(session: Session) -> Region:
    return make_region(
        session, "kab-b", "Kabupaten B", [service_seed("milik-b", "Layanan Sertifikat Kopi")]
    )


def test_pages_of_one_region_do_not_show_another_regions_services(
    client: TestClient, bandung: Region, semarang: Region
) -> None:
    assert client.get("/kota-a/layanan/rahasia-a").status_code == 200
    assert client.get("/kab-b/layanan/rahasia-a").status_code == 404
    listing = client.get("/kab-b/layanan")
    assert "Durian" not in listing.text and "Kopi" in listing.text
    assert "Durian" not in client.get("/kab-b/layanan", params={"q": "durian"}).text
    assert client.get("/kab-b/instansi/dinas-uji").status_code == 200  # its own agency
    assert "Durian" not in client.get("/kab-b/instansi/dinas-uji").text


def test_api_of_one_region_does_not_return_another_regions_services(
    client: TestClient, bandung: Region, semarang: Region
) -> None:
    assert client.get("/api/kab-b/services/rahasia-a").status_code == 404
    slugs = [s["slug"] for s in client.get("/api/kab-b/services").json()]
    assert slugs == ["milik-b"]
    assert client.get("/api/kab-b/services", params={"q": "durian"}).json() == []
    agencies = client.get("/api/kab-b/agencies").json()
    assert [a["name"] for a in agencies] == ["Dinas Uji Kabupaten B"]


def test_accounts_sessions_and_tokens_work_only_in_their_region(
    client: TestClient, session: Session, bandung: Region, semarang: Region
) -> None:
    user = create_user(
        session,
        bandung,
        email="petugas@example.org",
        full_name="Petugas A",
        password="kata-sandi-a",
        kind=AccountKind.REGION_ADMIN,
    )
    _token, raw = create_api_token(session, user, "skrip")
    cookie, _expires = start_session(session, user)
    session.flush()
    headers = {"Authorization": f"Bearer {raw}"}
    assert client.get("/api/kota-a/me", headers=headers).status_code == 200
    refused = client.get("/api/kab-b/me", headers=headers)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unauthorized"
    # The same browser session is not a login in the other region.
    client.cookies.set(SESSION_COOKIE, cookie)
    assert client.get("/kota-a/admin", follow_redirects=False).status_code == 200
    assert client.get("/kab-b/admin", follow_redirects=False).status_code == 303
    # Logging in at B with A's credentials fails.
    login = client.post(
        "/kab-b/masuk",
        data={"email": "petugas@example.org", "password": "kata-sandi-a"},
        follow_redirects=False,
    )
    assert login.status_code in (401, 403)


def test_database_refuses_a_service_pointing_at_another_regions_agency(
    session: Session, bandung: Region, semarang: Region
) -> None:
    agency_a = catalogue_repository.get_agency_by_slug(session, bandung.id, "dinas-uji")
    assert agency_a is not None
    template = find_services(session, semarang).items[0]
    intruder = Service(
        id=uuid.uuid4(),
        region_id=semarang.id,
        agency_id=agency_a.id,
        slug="penyusup",
        name="Penyusup",
        name_en="Intruder",
        summary="x" * 30,
        summary_en="x" * 30,
        sla_working_days=1,
        standard=template.standard,
        required_documents=[],
        eform=template.eform,
    )
    session.add(intruder)
    with pytest.raises(IntegrityError):
        session.flush()


def test_copied_catalogue_is_the_target_regions_own(
    session: Session, bandung: Region, semarang: Region
) -> None:
    report = copy_catalogue(session, bandung, semarang)
    assert report.services == 1 and report.skipped_services == 0
    copy = catalogue_repository.get_service_by_slug(session, semarang.id, "rahasia-a")
    original = catalogue_repository.get_service_by_slug(session, bandung.id, "rahasia-a")
    assert copy is not None and original is not None and copy.id != original.id
    assert copy.agency.region_id == semarang.id
    copy.name = "Layanan Pengolahan Durian Kabupaten B"
    session.flush()
    session.refresh(original)
    assert original.name == "Layanan Pengolahan Durian"
    # Copying again adds nothing and keeps the edit.
    again = copy_catalogue(session, bandung, semarang)
    assert again.services == 0 and again.skipped_services == 1
    session.refresh(copy)
    assert copy.name == "Layanan Pengolahan Durian Kabupaten B"


def test_get_in_region_finds_a_row_only_in_its_own_region(
    session: Session, bandung: Region, semarang: Region
) -> None:
    service = catalogue_repository.get_service_by_slug(session, bandung.id, "rahasia-a")
    assert service is not None
    assert get_in_region(session, Service, bandung.id, service.id) is service
    assert get_in_region(session, Service, semarang.id, service.id) is None
    assert get_in_region(session, Service, bandung.id, uuid.uuid4()) is None
