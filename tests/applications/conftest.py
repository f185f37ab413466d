"""A region with one online service, a citizen, and the officers who process it."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, StaffRoleName, User
from simpul.applications.files import StoredFile, receive_upload
from simpul.core.models import Region
from simpul.core.storage import LocalStorage
from tests.factories import add_agency, make_region, make_user, service_seed
from tests.samples import pdf_bytes

EFORM = {
    "schema": {
        "type": "object",
        "title": "Izin Uji",
        "properties": {
            "nama_usaha": {"type": "string", "title": "Nama usaha", "maxLength": 100},
            "jumlah_pegawai": {"type": "integer", "title": "Jumlah pegawai", "minimum": 1},
        },
        "required": ["nama_usaha", "jumlah_pegawai"],
    },
    "ui": {},
}
DOCUMENTS = [
    {"code": "ktp", "name": "KTP-el pemohon", "description": "", "required": True},
    {"code": "foto", "name": "Foto lokasi", "description": "", "required": False},
]
VALID_DATA = {"nama_usaha": "Warung Sunda Bu Siti", "jumlah_pegawai": 3}


PDF_BYTES = pdf_bytes()


@dataclass
class World:
    region: Region
    citizen: User
    other_citizen: User
    verifier: User
    approver: User
    other_agency_officer: User
    storage: LocalStorage
    service_slug: str = "izin-uji"

    def upload(self, content: bytes = PDF_BYTES) -> StoredFile:
        key = f"{self.region.slug}/test/{uuid.uuid4()}"
        return receive_upload(
            io.BytesIO(content), max_bytes=1_000_000, storage=self.storage, key=key
        )


@pytest.fixture
def world(session: Session, tmp_path: Path) -> World:
    region = make_region(
        session,
        "kota-uji",
        "Kota Uji",
        [
            service_seed(
                "izin-uji",
                "Perizinan Uji",
                sla_working_days=3,
                eform=EFORM,
                required_documents=DOCUMENTS,
            )
        ],
    )
    add_agency(
        session,
        region,
        "dinas-lain",
        "Dinas Lain Kota Uji",
        [service_seed("izin-lain", "Perizinan Lain")],
    )
    citizen = make_user(session, region, "warga@example.org", "sandi-warga-1")
    other_citizen = make_user(
        session, region, "tetangga@example.org", "sandi-warga-2", nik="3273011505900002"
    )
    verifier = make_user(
        session,
        region,
        "verif@example.org",
        "sandi-verif-1",
        AccountKind.STAFF,
        roles=[("dinas-uji", StaffRoleName.VERIFIKATOR)],
    )
    approver = make_user(
        session,
        region,
        "setuju@example.org",
        "sandi-setuju-1",
        AccountKind.STAFF,
        roles=[("dinas-uji", StaffRoleName.PENYETUJU)],
    )
    outsider = make_user(
        session,
        region,
        "luar@example.org",
        "sandi-luar-12",
        AccountKind.STAFF,
        roles=[("dinas-lain", StaffRoleName.VERIFIKATOR), ("dinas-lain", StaffRoleName.PENYETUJU)],
    )
    return World(
        region,
        citizen,
        other_citizen,
        verifier,
        approver,
        outsider,
        LocalStorage(tmp_path / "uploads"),
    )
