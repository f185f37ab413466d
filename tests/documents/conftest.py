"""A region's PKI, a rendered document and its signed copy, made once per module."""

from __future__ import annotations

import hashlib
import struct
import subprocess
import uuid
import zlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from pyhanko.sign.signers import SimpleSigner
from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.applications.models import Application, ApplicationStatus
from simpul.catalogue.models import Service
from simpul.core.models import Region
from simpul.documents.pki import OfficerSpec, RegionPki, init_region_pki, load_signer
from simpul.documents.render import DocumentContent, render_document, verification_url
from simpul.documents.signing import sign_pdf
from tests.factories import make_user

PASSPHRASE = b"kata-sandi-uji"
OFFICER = OfficerSpec("Dr. Budi Santoso, M.Si.", "budi.santoso@bandung.go.id")
CODE = "Xq3-kT9_vB2mN8pL5rW1zA"


@dataclass(frozen=True)
class Issued:
    pki: RegionPki
    signer: SimpleSigner
    content: DocumentContent
    rendered: bytes
    signed: bytes

    @property
    def ca_pem(self) -> bytes:
        return self.pki.ca_path.read_bytes()


def content(code: str = CODE, number: str = "503/0007/DPMPTSP/2026") -> DocumentContent:
    return DocumentContent(
        region_name="Kota Bandung",
        agency_name="Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu",
        title="Surat Izin Usaha Mikro",
        number=number,
        code=code,
        applicant_name="Siti Nurhaliza",
        issued_on=date(2026, 11, 27),
        verification_url=verification_url("https://simpul.example", "kota-bandung", code),
        service_name="Izin Usaha Mikro",
        rows=[("Nama usaha", "Warung Kopi Sejahtera"), ("Alamat usaha", "Jl. Braga No. 7")],
        signer_position="Kepala Dinas",
    )


def fingerprint(signer: SimpleSigner) -> str:
    """SHA-256 of the signer's certificate (what an issued record names)."""
    assert signer.signing_cert is not None
    return hashlib.sha256(signer.signing_cert.dump()).hexdigest()


def sign(document: DocumentContent, signer: SimpleSigner) -> bytes:
    return sign_pdf(
        render_document(document),
        signer,
        reason="Penerbitan dokumen layanan",
        location="Kota Bandung",
        qr_url=document.verification_url,
    )


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> Issued:
    directory = tmp_path_factory.mktemp("pki")
    pki = init_region_pki(directory, "kota-bandung", "Kota Bandung", [OFFICER], PASSPHRASE)
    signer = load_signer(pki.officer_paths[OFFICER.email], PASSPHRASE)
    document = content()
    return Issued(pki, signer, document, render_document(document), sign(document, signer))


@pytest.fixture(scope="module")
def foreign_signer(tmp_path_factory: pytest.TempPathFactory) -> SimpleSigner:
    """An officer of another CA (same names: only the chain differs)."""
    directory = tmp_path_factory.mktemp("other-pki")
    pki = init_region_pki(directory, "kota-bandung", "Kota Bandung", [OFFICER], PASSPHRASE)
    return load_signer(pki.officer_paths[OFFICER.email], PASSPHRASE)


def flip_byte_in_signed_range(pdf: bytes) -> bytes:
    """A copy with one byte changed inside the first page's content stream (signed bytes)."""
    position = pdf.index(b"stream\n") + len(b"stream\n") + 20
    assert position < pdf.index(b"/ByteRange")
    changed = bytearray(pdf)
    changed[position] ^= 0x01
    return bytes(changed)


@pytest.fixture(scope="module")
def nss_dir(issued: Issued, tmp_path_factory: pytest.TempPathFactory) -> str:
    """An NSS database trusting the region CA, for Poppler's pdfsig."""
    directory = tmp_path_factory.mktemp("nss")
    database = f"sql:{directory}"
    subprocess.run(["certutil", "-N", "-d", database, "--empty-password"], check=True)
    subprocess.run(
        [
            "certutil",
            "-A",
            "-d",
            database,
            "-n",
            "simpul-ca",
            "-t",
            "CT,C,C",
            "-i",
            str(issued.pki.ca_path),
        ],
        check=True,
    )
    return database


def pdfsig(pdf: bytes, nss: str, tmp_path: Path) -> str:
    path = tmp_path / "document.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(
        ["pdfsig", "-nssdir", nss, str(path)], capture_output=True, text=True, check=False
    )
    return result.stdout + result.stderr


@dataclass
class World:
    region: Region
    application: Application


def add_application(session: Session, region: Region, email: str) -> Application:
    service = session.scalars(select(Service).where(Service.region_id == region.id)).first()
    assert service is not None
    citizen = make_user(session, region, email, "kata-sandi-panjang-1")
    application = Application(
        region_id=region.id,
        service_id=service.id,
        applicant_id=citizen.id,
        tracking_number=f"T-{uuid.uuid4().hex[:8]}",
        status=ApplicationStatus.COMPLETED,
    )
    session.add(application)
    session.flush()
    return application


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png() -> bytes:
    """A real 1x1 PNG: what a citizen might upload instead of the PDF."""
    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    chunk = _png_chunk
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )
