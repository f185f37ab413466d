"""The verification API: a code's public record and a PDF's verdict, as JSON."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from pyhanko.sign.signers import SimpleSigner
from sqlalchemy.orm import Session

from simpul.core.models import Region
from simpul.documents.models import IssuedDocument
from simpul.documents.service import revoke_document
from simpul.documents.verification import MAX_UPLOAD_BYTES
from tests.documents.conftest import CODE, OFFICER, Issued, content, png, sign
from tests.documents.test_pages import NUMBER
from tests.documents.test_pages import document as document  # noqa: PLC0414 - the fixture
from tests.documents.test_pages import region as region  # noqa: PLC0414 - the fixture
from tests.documents.test_pages import settings as settings  # noqa: PLC0414 - the fixture
from tests.factories import make_region

API = "/api/kota-bandung/documents"
MISMATCH = "Tanda tangan sah, tetapi berkas ini bukan dokumen yang diterbitkan dengan kode ini"


def post(client: TestClient, data: bytes, **headers: str) -> Any:
    return client.post(
        f"{API}/verify", files={"file": ("dokumen.pdf", data, "application/pdf")}, headers=headers
    )


def test_a_codes_public_record(client: TestClient, document: IssuedDocument) -> None:
    response = client.get(f"{API}/{CODE}")
    assert response.status_code == 200
    record = response.json()
    assert record == {
        "code": CODE,
        "number": NUMBER,
        "product": "Surat Izin Usaha Mikro",
        "issued_on": "2026-11-27",
        "agency": "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu",
        "signer": OFFICER.name,
        "signer_position": "Kepala Dinas",
        "holder": "S*** N********",
        "signed_at": "2026-11-27T03:05:00Z",
        "sha256": document.sha256,
        "status": "in_force",
        "revoked_at": None,
        "revoked_reason": None,
    }
    assert "Siti Nurhaliza" not in response.text


def test_an_unknown_code_is_404_in_json(
    client: TestClient, session: Session, document: IssuedDocument
) -> None:
    # A first-format code is case-sensitive; another region's code is unknown here.
    make_region(session, "kota-asing", "Kota Asing")
    for path in (
        f"{API}/AAAA-BBBB-CCCC-DDDD",
        f"{API}/{CODE.lower()}",
        f"/api/kota-asing/documents/{CODE}",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found"


def test_a_revoked_documents_record(
    client: TestClient, session: Session, region: Region, document: IssuedDocument, issued: Issued
) -> None:
    revoke_document(
        session, region, document, reason="Nama usaha salah ketik", actor_id=None, actor_label="cli"
    )
    record = client.get(f"{API}/{CODE}").json()
    assert record["status"] == "revoked"
    assert record["revoked_reason"] == "Nama usaha salah ketik"
    verdict = post(client, issued.signed).json()
    assert verdict["status"] == "revoked" and verdict["accepted"] is False
    assert verdict["document"]["revoked_reason"] == "Nama usaha salah ketik"


def test_the_issued_file_is_valid(
    client: TestClient, document: IssuedDocument, issued: Issued
) -> None:
    response = post(client, issued.signed)
    assert response.status_code == 200
    verdict = response.json()
    assert verdict["status"] == "valid" and verdict["accepted"] is True
    assert verdict["title"] == "Dokumen sah"
    assert verdict["number"] == NUMBER and verdict["code"] == CODE
    assert verdict["signer"] == OFFICER.name
    assert verdict["sha256"] == document.sha256
    assert verdict["document"]["holder"] == "S*** N********"
    english = post(client, issued.signed, **{"Accept-Language": "en"}).json()
    assert english["status"] == "valid" and english["title"] == "Valid document"


def test_another_file_with_the_same_code_is_not_the_issued_document(
    client: TestClient, document: IssuedDocument, issued: Issued
) -> None:
    other = sign(content(), issued.signer)  # same code, number, signer: another file
    verdict = post(client, other).json()
    assert verdict["status"] == "mismatch" and verdict["accepted"] is False
    assert verdict["title"] == MISMATCH
    # What the code really belongs to, so the reader can see it is not this file.
    assert verdict["document"]["number"] == NUMBER
    assert verdict["document"]["sha256"] != verdict["sha256"]


@pytest.mark.usefixtures("region")
def test_any_file_gets_a_verdict(client: TestClient, foreign_signer: SimpleSigner) -> None:
    not_pdf = post(client, png()).json()
    assert (not_pdf["status"], not_pdf["accepted"], not_pdf["document"]) == (
        "not_pdf",
        False,
        None,
    )
    foreign = post(client, sign(content(), foreign_signer)).json()
    assert foreign["status"] == "foreign" and foreign["document"] is None


@pytest.mark.usefixtures("region")
def test_bad_uploads_are_refused_with_a_reason(client: TestClient) -> None:
    empty = post(client, b"")
    assert empty.status_code == 422
    assert empty.json()["error"]["details"][0]["field"] == "file"
    missing = client.post(f"{API}/verify")
    assert missing.status_code == 422
    big = post(client, b"%PDF-1.7\n" + b"0" * MAX_UPLOAD_BYTES)
    assert big.status_code == 413 and big.json()["error"]["code"] == "file_too_large"


def test_a_region_without_a_ca_cannot_check_files(
    client: TestClient, session: Session, issued: Issued
) -> None:
    make_region(session, "kota-baru", "Kota Baru")
    response = client.post(
        "/api/kota-baru/documents/verify",
        files={"file": ("dokumen.pdf", issued.signed, "application/pdf")},
    )
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "verification_not_ready"


def test_the_openapi_document_describes_both(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    assert "get" in paths["/api/{region}/documents/{code}"]
    verify = paths["/api/{region}/documents/verify"]["post"]
    assert "multipart/form-data" in verify["requestBody"]["content"]
