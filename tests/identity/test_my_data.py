"""The "Data saya" page: the download (after the password again), who saw my data, the old
URL, and the audit record of an export."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from simpul.applications import workflow
from simpul.identity import rights
from simpul.identity import service as identity_service
from simpul.identity.models import OidcClient, ReleaseChannel
from simpul.inventory.models import App
from tests.factories import post_form
from tests.gateway.conftest import add_app
from tests.identity.rights_world import (
    CITIZEN_PASSWORD,
    RightsWorld,
    build_rights_world,
    data_of,
    download,
)
from tests.support.desk_world import log_in

SLUG = "kota-uji"


@pytest.fixture
def world(session: Session, client: TestClient, tmp_path: Path) -> RightsWorld:
    built = build_rights_world(session, tmp_path)
    client.app.state.storage = built.storage  # type: ignore[attr-defined]
    return built


def _portal(session: Session, world: RightsWorld) -> OidcClient:
    from simpul.catalogue.models import Agency

    agency = session.query(Agency).filter_by(region_id=world.desk.region.id, slug="dinas-uji").one()
    app: App = add_app(session, world.desk.region, agency, "portal-warga", "Portal Warga")
    client, _secret = identity_service.register_client(
        session,
        world.desk.region,
        app_id=app.id,
        registration=identity_service.ClientRegistration(
            client_id="portal-warga",
            name="Portal Warga",
            is_public=False,
            redirect_uris=["http://127.0.0.1:8765/callback"],
            allowed_scopes=["openid", "profile", "email"],
        ),
        actor=None,
    )
    return client


def test_the_archive_holds_the_citizens_records_and_their_files(
    session: Session, client: TestClient, world: RightsWorld
) -> None:
    workflow.read_application(session, world.desk.region, world.desk.officer_a, world.mine.id)
    session.commit()
    archive = download(client, SLUG, "warga@example.org", CITIZEN_PASSWORD)
    data = data_of(archive)
    assert data["version"] == rights.FORMAT_VERSION
    assert data["account"]["nik"] == "3273015708900001"
    [application] = data["applications"]
    assert application["number"] == world.mine.tracking_number
    assert application["answers"] == {"nama": "Siti Pemohon"}
    assert application["answers_readable"]
    [document] = application["documents"]
    assert document["file"].startswith(f"permohonan/{world.mine.tracking_number}/dokumen/")
    assert archive.read(document["file"]).startswith(b"%PDF")
    [complaint] = data["complaints"]
    assert complaint["relation"] == "filed"
    [photo] = complaint["photos"]
    assert photo["file"].startswith(f"pengaduan/{world.my_complaint.number}/foto/")
    assert archive.read(photo["file"]).startswith(b"\xff\xd8")  # re-encoded as JPEG
    assert data["notifications"], "submitting tells the applicant"
    [read] = data["staff_reads"]
    assert read["action"] == "application.read"
    assert read["officer"]["name"] == world.desk.officer_a.full_name
    assert len(read["officer"]["agencies"]) == 1
    assert read["target"].startswith(world.mine.tracking_number)
    recorded = (
        session.execute(
            text(
                "SELECT details->>'via' FROM audit_event WHERE action = 'account.data_export'"
                " AND actor_id = :u"
            ),
            {"u": world.citizen.id},
        )
        .scalars()
        .all()
    )
    assert recorded == ["page"]


def test_the_download_asks_for_the_password_again(
    session: Session, client: TestClient, world: RightsWorld
) -> None:
    log_in(client, SLUG, "warga@example.org", CITIZEN_PASSWORD)
    response = post_form(
        client,
        f"/{SLUG}/akun/data-saya/unduh",
        {"password": "bukan-sandinya"},
        page=f"/{SLUG}/akun/data-saya",
    )
    assert response.status_code == 400
    assert "text/html" in response.headers["content-type"]
    assert "Kata sandi salah" in response.text
    # Counted like a failed login (the same throttle guards both).
    failed = session.execute(
        text("SELECT count(*) FROM login_attempt WHERE region_id = :r AND NOT succeeded"),
        {"r": world.desk.region.id},
    ).scalar_one()
    assert failed == 1
    empty = post_form(client, f"/{SLUG}/akun/data-saya/unduh", {}, page=f"/{SLUG}/akun/data-saya")
    assert empty.status_code == 400
    exported = session.execute(
        text("SELECT count(*) FROM audit_event WHERE action = 'account.data_export'")
    ).scalar_one()
    assert exported == 0


def test_the_page_needs_a_login_and_the_old_url_leads_to_it(
    client: TestClient, world: RightsWorld
) -> None:
    anonymous = client.get(f"/{SLUG}/akun/data-saya", follow_redirects=False)
    assert anonymous.status_code in (303, 307)
    assert "/masuk" in anonymous.headers["location"]
    log_in(client, SLUG, "warga@example.org", CITIZEN_PASSWORD)
    old = client.get(f"/{SLUG}/akun/data", follow_redirects=False)
    assert old.status_code == 303
    assert old.headers["location"] == f"/{SLUG}/akun/data-saya"
    page = client.get(f"/{SLUG}/akun/data-saya")
    assert page.status_code == 200
    assert "Unduh data saya" in page.text
    assert f"/{SLUG}/akun/tutup" in page.text
    assert "Belum ada petugas atau aplikasi yang melihat data Anda." in page.text


def test_who_saw_my_data_lists_staff_reads_and_app_releases_newest_first_paginated(
    session: Session, client: TestClient, world: RightsWorld
) -> None:
    portal = _portal(session, world)
    for _ in range(rights.ACCESS_PAGE_SIZE):
        workflow.read_application(session, world.desk.region, world.desk.officer_a, world.mine.id)
    # Another citizen's file read by an officer is not mine.
    workflow.read_application(session, world.desk.region, world.desk.officer_b, world.theirs.id)
    identity_service.record_release(
        session,
        region_id=world.desk.region.id,
        user_id=world.citizen.id,
        client=portal,
        channel=ReleaseChannel.USERINFO,
        claims=["email", "name"],
    )
    session.commit()
    log_in(client, SLUG, "warga@example.org", CITIZEN_PASSWORD)
    first = client.get(f"/{SLUG}/akun/data-saya")
    assert first.status_code == 200
    # The release is the newest: first in the list.
    assert first.text.index("Portal Warga") < first.text.index("Membuka berkas permohonan")
    assert "email, name" in first.text
    assert world.desk.officer_a.full_name in first.text
    assert world.desk.officer_b.full_name not in first.text
    assert "halaman=2" in first.text
    second = client.get(f"/{SLUG}/akun/data-saya/akses?halaman=2")
    assert second.status_code == 200
    assert second.text.count("Membuka berkas permohonan") == 1
    assert "halaman=3" not in second.text
    assert client.get(f"/{SLUG}/akun/data-saya/akses?halaman=0").status_code == 422


def test_officers_internal_notes_are_left_out(
    session: Session, client: TestClient, world: RightsWorld
) -> None:
    from simpul.applications.models import ApplicationEvent

    session.add(
        ApplicationEvent(
            region_id=world.desk.region.id,
            application_id=world.mine.id,
            actor_id=world.desk.admin.id,
            actor_label="Admin OPD",
            action="assign",
            to_status="submitted",
            note="Petugas A cuti sakit; dialihkan ke petugas B",
        )
    )
    session.commit()
    data = data_of(download(client, SLUG, "warga@example.org", CITIZEN_PASSWORD))
    history = data["applications"][0]["history"]
    assign = [h for h in history if h["action"] == "assign"]
    assert assign and assign[0]["note"] == ""
    assert "cuti sakit" not in str(data)


def test_safe_names() -> None:
    assert rights.safe_name("../../etc/passwd") == "passwd"
    assert rights.safe_name("/abs/x.pdf") == "x.pdf"
    assert rights.safe_name("..\\..\\win.pdf") == "win.pdf"
    assert rights.safe_name("..") == "berkas"
    assert rights.safe_name("a..b.pdf") == "a.b.pdf"
    assert rights.safe_name("Kartu Keluarga (asli).pdf") == "Kartu_Keluarga_asli_.pdf"
    assert len(rights.safe_name("x" * 300 + ".pdf")) == 80
    assert rights.safe_name("x" * 300 + ".pdf").endswith(".pdf")
