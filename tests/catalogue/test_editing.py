"""A region edits the standards it publishes (its own copy); only those allowed can."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, StaffRoleName
from simpul.catalogue.repository import get_service_by_slug
from simpul.catalogue.standard import STANDARD_COMPONENTS
from simpul.core.models import AuditEvent, Region
from tests.factories import make_region, make_user, post_form, service_seed

SLUG = "izin-uji"
EDIT_PAGE = f"/kota-uji/admin/layanan/{SLUG}"


@pytest.fixture
def region(session: Session) -> Region:
    region = make_region(session, "kota-uji", "Kota Uji", [service_seed(SLUG, "Perizinan Uji")])
    make_user(session, region, "admin@example.org", "sandi-admin-1", AccountKind.REGION_ADMIN)
    make_user(
        session,
        region,
        "opd@example.org",
        "sandi-opd-12",
        AccountKind.STAFF,
        roles=[("dinas-uji", StaffRoleName.ADMIN_OPD)],
    )
    make_user(
        session,
        region,
        "verif@example.org",
        "sandi-verif-1",
        AccountKind.STAFF,
        roles=[("dinas-uji", StaffRoleName.VERIFIKATOR)],
    )
    return region


def log_in(client: TestClient, email: str, password: str) -> None:
    response = post_form(client, "/kota-uji/masuk", {"email": email, "password": password})
    assert response.status_code == 303


def form(session: Session, region: Region, **changes: str) -> dict[str, Any]:
    service = get_service_by_slug(session, region.id, SLUG)
    assert service is not None
    data = {
        "name": service.name,
        "name_en": service.name_en,
        "summary": service.summary,
        "summary_en": service.summary_en,
        "sla_working_days": str(service.sla_working_days),
        "fee_rupiah": str(service.fee_rupiah),
        "published": "ya",
        **service.standard,
    }
    return {**data, **changes}


def test_region_admin_edits_a_standard(
    client: TestClient, session: Session, region: Region
) -> None:
    log_in(client, "admin@example.org", "sandi-admin-1")
    assert client.get("/kota-uji/admin/layanan").status_code == 200
    new_basis = "- Peraturan Daerah Kota Uji Nomor 1 Tahun 2026 tentang Perizinan"
    saved = post_form(
        client,
        EDIT_PAGE,
        form(session, region, dasar_hukum=new_basis, sla_working_days="5"),
    )
    assert saved.status_code == 200 and "Perubahan disimpan." in saved.text
    page = client.get(f"/kota-uji/layanan/{SLUG}")
    assert "Peraturan Daerah Kota Uji Nomor 1 Tahun 2026" in page.text
    assert "5 hari kerja" in page.text
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "service.update")).one()
    assert set(event.details["changed"]) == {"dasar_hukum", "sla_working_days"}


def test_invalid_edit_names_the_field_and_changes_nothing(
    client: TestClient, session: Session, region: Region
) -> None:
    log_in(client, "opd@example.org", "sandi-opd-12")
    before = dict(form(session, region))
    response = post_form(
        client, EDIT_PAGE, form(session, region, persyaratan="", fee_rupiah="gratis", name="Izin")
    )
    assert response.status_code == 422
    assert 'id="e-persyaratan"' in response.text and 'id="e-fee_rupiah"' in response.text
    assert 'id="e-name"' in response.text
    session.expire_all()
    assert form(session, region) == before


def test_unpublishing_hides_the_service(
    client: TestClient, session: Session, region: Region
) -> None:
    log_in(client, "admin@example.org", "sandi-admin-1")
    data = form(session, region)
    data.pop("published")
    assert post_form(client, EDIT_PAGE, data).status_code == 200
    assert client.get(f"/kota-uji/layanan/{SLUG}").status_code == 404
    assert client.get("/api/kota-uji/services").json() == []


def test_who_may_edit(client: TestClient, session: Session, region: Region) -> None:
    log_in(client, "verif@example.org", "sandi-verif-1")
    assert client.get(EDIT_PAGE).status_code == 403
    assert client.get("/kota-uji/admin/layanan").status_code == 403
    refused = post_form(
        client,
        EDIT_PAGE,
        form(session, region, name="Diubah Verifikator"),
        page="/kota-uji/petugas",
    )
    assert refused.status_code == 403
    client.cookies.clear()
    assert client.get(EDIT_PAGE, follow_redirects=False).status_code == 303  # log in first


def test_admin_opd_edits_only_their_agencys_services(
    client: TestClient, session: Session, region: Region
) -> None:
    other = make_region(session, "kab-lain", "Kabupaten Lain", agency_slug="dinas-lain")
    assert other is not None
    log_in(client, "opd@example.org", "sandi-opd-12")
    assert client.get(EDIT_PAGE).status_code == 200
    assert (
        client.get("/kab-lain/admin/layanan/kab-lain-layanan", follow_redirects=False).status_code
        == 303
    )
    assert all(k in form(session, region) for k in STANDARD_COMPONENTS)
