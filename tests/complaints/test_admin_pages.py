"""The region admin's complaint settings: categories, the deadline table, forward targets."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, User
from simpul.complaints import service as complaints
from simpul.complaints.models import DeadlineClass
from tests.complaints.conftest import PASSWORD, ComplaintWorld, pothole_filing
from tests.factories import make_user, post_form

ADMIN = "/kota-aduan/admin/pengaduan"
MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.fixture
def admin(session: Session, world: ComplaintWorld) -> User:
    user = make_user(
        session, world.region, "admin.aduan@example.org", PASSWORD, AccountKind.REGION_ADMIN
    )
    session.flush()
    return user


def log_in(client: TestClient, email: str) -> None:
    response = post_form(client, "/kota-aduan/masuk", {"email": email, "password": PASSWORD})
    assert response.status_code == 303


def test_the_admin_menu_links_the_complaint_settings(
    client: TestClient, admin: User, world: ComplaintWorld
) -> None:
    log_in(client, admin.email)
    assert f'href="{ADMIN}"' in client.get("/kota-aduan/admin").text
    page = client.get(ADMIN)
    assert page.status_code == 200
    for name in ("Jalan rusak", "Sampah menumpuk", "Pelayanan petugas"):
        assert name in page.text


def test_the_admin_adds_and_edits_a_category_whose_code_stays(
    client: TestClient, session: Session, admin: User, world: ComplaintWorld
) -> None:
    log_in(client, admin.email)
    response = post_form(
        client,
        f"{ADMIN}/kategori",
        {
            "kode": "lampu-jalan",
            "nama": "Lampu jalan padam",
            "nama_en": "Street light out",
            "kelompok": "Infrastruktur",
            "kata_kunci": "lampu,pju",
            "kelas_batas": "no_field_check",
            "instansi": str(world.roads.id),
            "perlu_lokasi": "1",
            "aktif": "1",
            "urutan": "5",
        },
        page=f"{ADMIN}/kategori/baru",
    )
    assert response.status_code == 303
    assert "Lampu jalan padam" in client.get(ADMIN).text
    category = complaints.category_by_code(session, world.region, "lampu-jalan")
    assert category.default_agency_id == world.roads.id
    assert category.deadline_class is DeadlineClass.NO_FIELD_CHECK

    edit = f"{ADMIN}/kategori/{category.id}"
    response = post_form(
        client,
        edit,
        {
            "kode": "dicoba-diubah",
            "nama": "Penerangan jalan umum padam",
            "kelas_batas": "simple",
            "urutan": "1",
        },
    )
    assert response.status_code == 303
    session.expire_all()
    category = complaints.category_of(session, world.region, category.id)
    assert category.code == "lampu-jalan"
    assert category.name == "Penerangan jalan umum padam"
    assert category.active is False  # unticked: citizens no longer see it
    assert category.default_agency_id is None


def test_category_errors_name_their_fields(
    client: TestClient, admin: User, world: ComplaintWorld
) -> None:
    log_in(client, admin.email)
    response = post_form(
        client,
        f"{ADMIN}/kategori",
        {"kode": "Jalan Rusak!", "nama": "", "kelas_batas": "besok", "urutan": "x"},
        page=f"{ADMIN}/kategori/baru",
    )
    assert response.status_code == 422
    for field in ("kode", "nama", "kelas_batas", "urutan"):
        assert f'href="#f-{field}"' in response.text
        assert f'id="e-{field}"' in response.text
    # A code already used is refused by name.
    response = post_form(
        client,
        f"{ADMIN}/kategori",
        {"kode": "sampah", "nama": "Sampah lagi", "kelas_batas": "simple"},
        page=f"{ADMIN}/kategori/baru",
    )
    assert response.status_code == 422 and "sampah sudah dipakai" in response.text


def test_a_changed_deadline_sets_the_due_dates_of_new_complaints(
    client: TestClient, session: Session, admin: User, world: ComplaintWorld
) -> None:
    log_in(client, admin.email)
    page = client.get(ADMIN).text
    assert "LAPOR!: tanggapan pertama 3, penyelesaian 60 hari kerja." in page
    before = complaints.file_complaint(
        session, world.region, pothole_filing(), reporter=world.citizen, now=MONDAY
    ).complaint
    response = post_form(
        client,
        f"{ADMIN}/batas-waktu",
        {"kelas": "field_check", "tanggapan_pertama": "1", "penyelesaian": "20"},
        page=ADMIN,
    )
    assert response.status_code == 303
    after = complaints.file_complaint(
        session, world.region, pothole_filing(), reporter=world.citizen, now=MONDAY
    ).complaint
    assert (before.first_response_due.day, after.first_response_due.day) == (26, 24)
    assert after.resolution_due < before.resolution_due
    # Filed earlier: its dates stay.
    session.refresh(before)
    assert before.first_response_due.day == 26

    refused = post_form(
        client,
        f"{ADMIN}/batas-waktu",
        {"kelas": "simple", "tanggapan_pertama": "0", "penyelesaian": "dua"},
        page=ADMIN,
    )
    assert refused.status_code == 422
    assert 'id="f-penyelesaian"' in refused.text or 'id="f-tanggapan_pertama"' in refused.text
    assert complaints.deadline_table(session, world.region)[DeadlineClass.SIMPLE] == (3, 5)


def test_the_admin_adds_a_target_and_changes_it_without_retyping_the_secret(
    client: TestClient, session: Session, admin: User, world: ComplaintWorld
) -> None:
    log_in(client, admin.email)
    response = post_form(
        client,
        f"{ADMIN}/tujuan",
        {
            "kode": "sp4n-lapor",
            "nama": "SP4N-LAPOR!",
            "jenis": "national",
            "url": "https://lapor.example.go.id/api/inbound",
            "rahasia": "s" * 40,
            "aktif": "1",
        },
        page=f"{ADMIN}/tujuan/baru",
    )
    assert response.status_code == 303
    [target] = complaints.forward_targets(session, world.region)
    secret = target.secret_encrypted
    edit = f"{ADMIN}/tujuan/{target.id}"
    response = post_form(
        client,
        edit,
        {"nama": "SP4N-LAPOR! (KemenPAN-RB)", "jenis": "national", "url": target.url, "aktif": ""},
    )
    assert response.status_code == 303
    session.expire_all()
    target = complaints.forward_target(session, world.region, target.id)
    assert target.name == "SP4N-LAPOR! (KemenPAN-RB)"
    assert target.secret_encrypted == secret
    assert target.active is False
    assert complaints.forward_targets(session, world.region) == []  # the desk no longer sees it


@pytest.mark.parametrize(
    "path",
    [ADMIN, f"{ADMIN}/kategori/baru", f"{ADMIN}/tujuan/baru"],
)
def test_only_the_region_admin_opens_the_settings(
    client: TestClient, world: ComplaintWorld, path: str
) -> None:
    assert client.get(path, follow_redirects=False).status_code in (303, 401)
    log_in(client, world.desk.email)  # the complaint desk is not the region admin
    assert client.get(path).status_code == 403


def test_a_desk_officer_cannot_post_settings(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    log_in(client, world.desk.email)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/kota-aduan/petugas").text)
    assert token
    response = client.post(
        f"{ADMIN}/batas-waktu",
        data={
            "kelas": "simple",
            "tanggapan_pertama": "10",
            "penyelesaian": "20",
            "csrf_token": token.group(1),
        },
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert complaints.deadline_table(session, world.region)[DeadlineClass.SIMPLE] == (3, 5)
