"""Attacks on "Unduh data saya": another citizen's or another region's data in my archive,
file names that try to leave the archive's folder (zip slip), a staff account's export,
a session from another region, and an archive of many files."""

from __future__ import annotations

import io
import uuid
from pathlib import Path, PurePosixPath

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from simpul.applications import workflow
from simpul.applications.models import Document
from simpul.complaints import service as complaints
from tests.identity.rights_world import (
    CITIZEN_PASSWORD,
    OTHER_NIK,
    RightsWorld,
    build_rights_world,
    data_of,
    download,
    everything,
    submit_as,
)
from tests.support.desk_world import PASSWORD, log_in

SLUG = "kota-uji"


@pytest.fixture
def world(session: Session, client: TestClient, tmp_path: Path) -> RightsWorld:
    built = build_rights_world(session, tmp_path)
    client.app.state.storage = built.storage  # type: ignore[attr-defined]
    return built


def _safe_member(name: str) -> bool:
    path = PurePosixPath(name)
    return (
        not path.is_absolute()
        and ".." not in path.parts
        and "\\" not in name
        and (
            name in {"data.json", "BACA-SAYA.txt"}
            or path.parts[0]
            in {
                "permohonan",
                "pengaduan",
                "unggahan-lain",
            }
        )
    )


def test_another_citizens_data_is_never_in_my_archive(
    session: Session, client: TestClient, world: RightsWorld
) -> None:
    # The neighbour follows my complaint and I follow theirs: still, only public faces.
    complaints.follow(session, world.desk.region, world.my_complaint, world.other)
    complaints.follow(session, world.desk.region, world.their_complaint, world.citizen)
    workflow.read_application(session, world.desk.region, world.desk.officer_a, world.theirs.id)
    session.commit()
    archive = download(client, SLUG, "warga@example.org", CITIZEN_PASSWORD)
    data = data_of(archive)
    blob = everything(archive)
    for secret in (
        OTHER_NIK,
        "tetangga@example.org",
        "Budi Tetangga",
        world.theirs.tracking_number,
        str(world.theirs.id),
        str(world.other.id),
    ):
        assert secret.encode() not in blob, secret
    followed = [c for c in data["complaints"] if c["relation"] == "followed"]
    assert [c["number"] for c in followed] == [world.their_complaint.number]
    assert "description" not in followed[0]
    assert "photos" not in followed[0]
    assert "contact" not in followed[0]
    assert data["staff_reads"] == []  # the read of the neighbour's file is not about me
    assert len(data["applications"]) == 1
    assert all(_safe_member(name) for name in archive.namelist())


def test_another_regions_data_is_not_in_the_archive_and_its_session_opens_nothing(
    session: Session, client: TestClient, world: RightsWorld, tmp_path: Path
) -> None:
    elsewhere = build_rights_world(session, tmp_path / "lain", slug="kota-lain")
    # The same person holds an account there (same e-mail, same NIK) with their own data.
    elsewhere_app = submit_as(session, elsewhere.desk, elsewhere.citizen, name="Siti di Kota Lain")
    session.commit()
    archive = download(client, SLUG, "warga@example.org", CITIZEN_PASSWORD)
    data = data_of(archive)
    blob = everything(archive)
    assert data["region"]["slug"] == SLUG
    for other_region in (
        elsewhere_app.tracking_number,
        elsewhere.mine.tracking_number,
        elsewhere.my_complaint.number,
        str(elsewhere.desk.region.id),
        "Siti di Kota Lain",
    ):
        assert other_region.encode() not in blob, other_region
    # Logged in at kota-lain, the kota-uji page is not mine to see.
    log_in(client, "kota-lain", "warga@example.org", CITIZEN_PASSWORD)
    page = client.get(f"/{SLUG}/akun/data-saya", follow_redirects=False)
    assert page.status_code in (303, 307)
    assert "/masuk" in page.headers["location"]


@pytest.mark.parametrize(
    "filename",
    [
        "../../../../etc/passwd.pdf",
        "/etc/shadow.pdf",
        "..\\..\\Windows\\win.ini.pdf",
        "C:\\boot.pdf",
        "....//....//x.pdf",
        "\u202efdp.exe",
        "..",
    ],
)
def test_uploaded_file_names_cannot_leave_the_archive_folder(
    session: Session, client: TestClient, world: RightsWorld, filename: str
) -> None:
    application = submit_as(session, world.desk, world.citizen)
    # The upload cleans names already; the archive must not rely on it (rows written before
    # that rule, or by another path), so the stored name is set as an attacker would want.
    session.execute(
        text("UPDATE document SET filename = :f WHERE application_id = :a"),
        {"f": filename, "a": application.id},
    )
    session.commit()
    archive = download(client, SLUG, "warga@example.org", CITIZEN_PASSWORD)
    data = data_of(archive)
    names = archive.namelist()
    assert all(_safe_member(name) for name in names), names
    [entry] = next(
        a["documents"] for a in data["applications"] if a["number"] == application.tracking_number
    )
    assert entry["original_name"] == filename  # told as it was, filed safely
    folder = f"permohonan/{application.tracking_number}/dokumen/"
    assert entry["file"].startswith(folder)
    assert "/" not in entry["file"][len(folder) :]
    assert entry["file"] in names
    # Extracting it lands inside the target folder.
    target = Path("/tmp") / f"ekstrak-{uuid.uuid4().hex}"
    archive.extractall(target)
    for path in target.rglob("*"):
        assert path.resolve().is_relative_to(target.resolve())


def test_a_staff_accounts_export_holds_their_account_not_the_citizens_they_served(
    session: Session, client: TestClient, world: RightsWorld
) -> None:
    workflow.read_application(session, world.desk.region, world.desk.officer_a, world.mine.id)
    session.commit()
    archive = download(client, SLUG, "petugas.a@example.org", PASSWORD)
    data = data_of(archive)
    assert data["account"]["kind"] == "staff"
    assert data["staff_roles"]
    assert data["applications"] == []
    reads = [a for a in data["activity"] if a["action"] == "application.read"]
    assert reads and set(reads[0]) == {"at", "action", "target_type"}
    blob = everything(archive)
    for citizen in (
        "3273015708900001",
        "warga@example.org",
        world.mine.tracking_number,
        str(world.mine.id),
        "Siti Pemohon",
    ):
        assert citizen.encode() not in blob, citizen


def test_an_archive_of_many_files_is_complete(
    session: Session, client: TestClient, world: RightsWorld
) -> None:
    many = 300
    for n in range(many):
        key = f"{SLUG}/banyak/{uuid.uuid4()}"
        body = f"%PDF-1.4 berkas {n}\n".encode() * 50
        world.storage.put(key, io.BytesIO(body), content_type="application/pdf")
        session.add(
            Document(
                region_id=world.desk.region.id,
                owner_id=world.citizen.id,
                application_id=None,
                filename="sama.pdf",  # the same name each time: each gets its own path
                content_type="application/pdf",
                size=len(body),
                sha256="0" * 64,
                storage_key=key,
            )
        )
    session.commit()
    archive = download(client, SLUG, "warga@example.org", CITIZEN_PASSWORD)
    data = data_of(archive)
    assert len(data["other_uploads"]) == many
    files = {d["file"] for d in data["other_uploads"]}
    assert len(files) == many
    assert files <= set(archive.namelist())
    assert archive.read(data["other_uploads"][-1]["file"]).startswith(b"%PDF-1.4 berkas 299")
    assert archive.testzip() is None
