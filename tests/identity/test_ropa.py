"""The record of processing activities (UU PDP Pasal 31) is generated from the catalogue and
the inventory, shown to the region admin and exported as CSV/XLSX."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind
from simpul.identity import ropa
from simpul.inventory.models import DataClassification
from tests.factories import make_user, post_form
from tests.gateway.conftest import add_app
from tests.identity.closure_world import PASSWORD, ClosureWorld, build_closure_world


@pytest.fixture
def world(session: Session) -> ClosureWorld:
    world = build_closure_world(session)
    world.service.eform = {
        "schema": {
            "type": "object",
            "properties": {
                "nama_ibu": {"type": "string", "title": "Nama ibu", "x-simpul-personal": "name"},
                "alamat": {"type": "string", "title": "Alamat", "x-simpul-personal": "address"},
                "keperluan": {"type": "string", "title": "Keperluan"},
            },
        }
    }
    world.service.required_documents = [{"code": "ktp", "name": "KTP pemohon", "required": True}]
    world.service.standard = {**world.service.standard, "dasar_hukum": "Perwal 12/2024"}
    app = add_app(session, world.region, world.base.roads, "sim-kesehatan", "SIM Kesehatan")
    app.data_classification = DataClassification.PERSONAL
    make_user(session, world.region, "admin.tutup@example.org", PASSWORD, AccountKind.REGION_ADMIN)
    session.flush()
    return world


def test_each_service_lists_its_personal_data_purpose_basis_retention_and_recipients(
    session: Session, world: ClosureWorld
) -> None:
    rows = ropa.record_of_processing(session, world.region)
    service = next(r for r in rows if r.activity == f"Layanan: {world.service.name}")
    assert "Nama ibu (name)" in service.data and "Alamat (address)" in service.data
    assert "Keperluan" not in service.data
    assert "KTP pemohon" in service.data
    assert service.legal_basis == "Perwal 12/2024"
    assert service.purpose == world.service.summary
    assert "10 tahun" in service.retention
    assert service.recipients == world.base.roads.name
    app = next(r for r in rows if r.kind == "app")
    assert app.activity == "Aplikasi: SIM Kesehatan"
    assert not any(r.activity == "Aplikasi: Portal Tutup" for r in rows)  # internal data only
    client = next(r for r in rows if r.kind == "client")
    assert client.recipients == "Portal Tutup"
    assert client.data == "email, email_verified, locale, name, updated_at"


def test_the_admin_sees_and_exports_it_and_a_citizen_does_not(
    client: TestClient, world: ClosureWorld
) -> None:
    assert (
        post_form(
            client, "/kota-tutup/masuk", {"email": world.citizen.email, "password": PASSWORD}
        ).status_code
        == 303
    )
    assert client.get("/kota-tutup/admin/pdp/ropa", follow_redirects=False).status_code in (
        403,
        404,
    )
    assert client.get("/kota-tutup/admin/pdp/ropa.csv", follow_redirects=False).status_code in (
        403,
        404,
    )
    client.cookies.clear()
    assert (
        post_form(
            client, "/kota-tutup/masuk", {"email": "admin.tutup@example.org", "password": PASSWORD}
        ).status_code
        == 303
    )
    page = client.get("/kota-tutup/admin/pdp/ropa")
    assert page.status_code == 200
    assert "Perwal 12/2024" in page.text and "SIM Kesehatan" in page.text
    csv = client.get("/kota-tutup/admin/pdp/ropa.csv")
    assert csv.status_code == 200
    text = csv.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Kegiatan pemrosesan")
    assert "Nama ibu (name)" in text
    xlsx = client.get("/kota-tutup/admin/pdp/ropa.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
