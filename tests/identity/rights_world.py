"""A region with two citizens who each have an application (with an uploaded file), a
complaint with a photo and notifications, and officers; for the data-rights tests
(``tests/identity/test_my_data.py``, ``tests/security/test_data_export_*.py``)."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from simpul.accounts.models import User
from simpul.applications import submission
from simpul.applications.files import receive_upload
from simpul.applications.models import Application
from simpul.catalogue.models import Agency
from simpul.complaints import service as complaints
from simpul.complaints.models import Complaint, DeadlineClass
from simpul.core.storage import LocalStorage
from tests.factories import make_user, post_form
from tests.samples import pdf_bytes, png_bytes
from tests.support.desk_world import DeskWorld, build_desk_world, log_in

CITIZEN_PASSWORD = "sandi-warga-1"
OTHER_PASSWORD = "sandi-warga-2"
OTHER_NIK = "3273015708900002"


@dataclass
class RightsWorld:
    desk: DeskWorld
    other: User
    mine: Application
    theirs: Application
    my_complaint: Complaint
    their_complaint: Complaint

    @property
    def citizen(self) -> User:
        return self.desk.citizen

    @property
    def storage(self) -> LocalStorage:
        return self.desk.storage


def submit_as(
    session: Session,
    desk: DeskWorld,
    user: User,
    *,
    filename: str = "ktp.pdf",
    name: str = "Siti",
    body: bytes | None = None,
) -> Application:
    """A submitted application of ``user`` with one uploaded PDF named ``filename``."""
    draft = submission.start_draft(session, desk.region, user, "izin-bayar")
    submission.save_draft(session, desk.region, user, draft.id, {"nama": name})
    stored = receive_upload(
        io.BytesIO(body or pdf_bytes(name)),
        max_bytes=1_000_000,
        storage=desk.storage,
        key=f"{desk.region.slug}/test/{uuid.uuid4()}",
    )
    submission.attach_document(session, desk.region, user, draft.id, "ktp", stored, filename)
    return submission.submit(session, desk.region, user, draft.id)


def file_complaint(session: Session, desk: DeskWorld, user: User, title: str) -> Complaint:
    filing = complaints.Filing(
        kind="complaint",
        category="jalan-rusak",
        title=title,
        description="Ada lubang besar di depan nomor 45, sudah dua minggu dan membahayakan motor.",
        latitude=-6.8876,
        longitude=107.6133,
        address="Jl. Ir. H. Juanda No. 45",
    )
    filed = complaints.file_with_photos(
        session,
        desk.storage,
        desk.region,
        filing,
        [png_bytes()],
        share_location=False,
        reporter=user,
    )
    return filed.complaint


def build_rights_world(session: Session, tmp_path: Path, slug: str = "kota-uji") -> RightsWorld:
    desk = build_desk_world(session, tmp_path, slug)
    agency = session.query(Agency).filter_by(region_id=desk.region.id, slug="dinas-uji").one()
    complaints.create_category(
        session,
        desk.region,
        code="jalan-rusak",
        name="Jalan rusak",
        name_en="Damaged road",
        group_name="Infrastruktur",
        deadline_class=DeadlineClass.FIELD_CHECK,
        default_agency_id=agency.id,
    )
    other = make_user(session, desk.region, "tetangga@example.org", OTHER_PASSWORD, nik=OTHER_NIK)
    other.full_name = "Budi Tetangga"
    mine = submit_as(session, desk, desk.citizen, name="Siti Pemohon")
    theirs = submit_as(session, desk, other, name="Budi Tetangga")
    my_complaint = file_complaint(session, desk, desk.citizen, "Lubang di Jalan Dago")
    their_complaint = file_complaint(session, desk, other, "Lubang di Jalan Riau milik Budi")
    session.flush()
    return RightsWorld(desk, other, mine, theirs, my_complaint, their_complaint)


def download(client: TestClient, slug: str, email: str, password: str) -> zipfile.ZipFile:
    """Log in and download the archive through the page."""
    log_in(client, slug, email, password)
    response = post_form(
        client,
        f"/{slug}/akun/data-saya/unduh",
        {"password": password},
        page=f"/{slug}/akun/data-saya",
    )
    assert response.status_code == 200, response.text[:400]
    assert response.headers["content-type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(response.content))


def data_of(archive: zipfile.ZipFile) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(archive.read("data.json"))
    return data


def everything(archive: zipfile.ZipFile) -> bytes:
    """Every byte of every member, for looking for what must not be there."""
    return b"\n".join(archive.read(name) for name in archive.namelist())
