"""The public verification pages: every file and code gets a clear answer, never an error page."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.signers import SimpleSigner
from pyhanko.stamp import TextStamp, TextStampStyle
from sqlalchemy.orm import Session

from simpul.core.models import Region
from simpul.core.settings import Settings
from simpul.documents import pages
from simpul.documents.models import IssuedDocument
from simpul.documents.service import (
    new_verification_code,
    record_issued_document,
    revoke_document,
)
from tests.conftest import TEST_SECRET
from tests.documents.conftest import (
    CODE,
    OFFICER,
    Issued,
    add_application,
    content,
    fingerprint,
    flip_byte_in_signed_range,
    png,
    sign,
)
from tests.factories import csrf_from, make_region

NUMBER = "503/0007/DPMPTSP/2026"
PAGE = "/kota-bandung/verifikasi"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The test settings with a data directory of this test's own (the region CA lives there)."""
    return Settings(secret_key=TEST_SECRET, debug=True, data_dir=tmp_path)


@pytest.fixture
def region(session: Session, settings: Settings, issued: Issued) -> Region:
    """Kota Bandung with its CA published under the data directory."""
    region = make_region(session, "kota-bandung", "Kota Bandung")
    ca = settings.data_dir / "pki" / "kota-bandung" / "ca.pem"
    ca.parent.mkdir(parents=True)
    ca.write_bytes(issued.ca_pem)
    return region


@pytest.fixture
def document(session: Session, region: Region, issued: Issued) -> IssuedDocument:
    """The signed fixture document, issued by Kota Bandung under ``CODE``."""
    application = add_application(session, region, "siti.nurhaliza@example.org")
    return record_issued_document(
        session,
        region,
        application_id=application.id,
        content=issued.content,
        signed_pdf=issued.signed,
        storage_key=f"issued/{CODE}.pdf",
        signer_name=OFFICER.name,
        signer_fingerprint=fingerprint(issued.signer),
        signed_at=datetime(2026, 11, 27, 3, 5, tzinfo=UTC),
    )


def upload(client: TestClient, data: bytes, name: str = "dokumen.pdf") -> Any:
    token = csrf_from(client.get(PAGE).text)
    return client.post(
        PAGE,
        data={"csrf_token": token},
        files={"file": (name, data, "application/pdf")},
    )


def verdict_of(html: str) -> str:
    """The verdict's headline: the first bold line of the result."""
    section = html.split('id="hasil"', 1)[1]
    return section.split("<strong>", 1)[1].split("</strong>", 1)[0]


def changed_copy(signed: bytes) -> bytes:
    """The signed PDF with a stamp added in a later revision (the signature itself stays valid)."""
    writer = IncrementalPdfFileWriter(BytesIO(signed))
    TextStamp(writer, TextStampStyle(stamp_text="LUNAS"), text_params={}).apply(0, 50, 400)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def test_the_page_explains_and_offers_both_ways(client: TestClient, region: Region) -> None:
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "Untuk bank dan instansi" in page.text
    assert '<label for="f-kode">' in page.text and '<label for="f-berkas">' in page.text
    assert 'enctype="multipart/form-data"' in page.text
    assert 'href="/kota-bandung/verifikasi/ca.pem"' in page.text
    assert 'id="hasil"' not in page.text


def test_a_valid_document(client: TestClient, document: IssuedDocument, issued: Issued) -> None:
    response = upload(client, issued.signed)
    assert response.status_code == 200
    assert verdict_of(response.text) == "Dokumen sah"
    assert NUMBER in response.text
    assert OFFICER.name in response.text
    assert hashlib.sha256(issued.signed).hexdigest() in response.text
    assert " WIB</time>" in response.text  # the signing time, in the region's time zone
    assert f'href="/kota-bandung/verifikasi/{CODE}"' in response.text


def test_one_changed_byte_is_invalid(
    client: TestClient, document: IssuedDocument, issued: Issued
) -> None:
    response = upload(client, flip_byte_in_signed_range(issued.signed))
    assert response.status_code == 200
    assert verdict_of(response.text) == "Tanda tangan tidak sah"
    assert "Dokumen sah" not in response.text


def test_changed_after_signing(
    client: TestClient, document: IssuedDocument, issued: Issued
) -> None:
    response = upload(client, changed_copy(issued.signed))
    assert response.status_code == 200
    assert verdict_of(response.text) == "Dokumen diubah setelah ditandatangani"
    # What was signed is still shown: the hash of the signed revision is the issued file's.
    assert hashlib.sha256(issued.signed).hexdigest() in response.text


@pytest.mark.parametrize(
    ("name", "data"),
    [("foto.png", png()), ("kosong.pdf", b"bukan pdf sama sekali")],
)
def test_not_a_pdf(client: TestClient, region: Region, name: str, data: bytes) -> None:
    response = upload(client, data, name)
    assert response.status_code == 200
    assert verdict_of(response.text) == "Berkas ini bukan PDF."
    assert name in response.text


def test_an_unsigned_pdf(client: TestClient, region: Region, issued: Issued) -> None:
    response = upload(client, issued.rendered)
    assert response.status_code == 200
    assert verdict_of(response.text) == "PDF ini tidak bertanda tangan elektronik."


def test_signed_by_another_ca(
    client: TestClient, document: IssuedDocument, foreign_signer: SimpleSigner
) -> None:
    response = upload(client, sign(content(), foreign_signer))
    assert response.status_code == 200
    assert verdict_of(response.text) == "Ditandatangani pihak lain"
    assert "bukan terbitan Kota Bandung" in response.text


def test_a_signed_pdf_the_region_did_not_record_is_unknown(
    client: TestClient, region: Region, issued: Issued
) -> None:
    response = upload(client, issued.signed)
    assert response.status_code == 200
    assert verdict_of(response.text) == "Dokumen tidak dikenal"


def test_a_revoked_document_says_so_with_the_reason(
    client: TestClient, session: Session, region: Region, document: IssuedDocument, issued: Issued
) -> None:
    revoke_document(
        session,
        region,
        document,
        reason="Nama usaha salah ketik",
        actor_id=None,
        actor_label="cli",
    )
    response = upload(client, issued.signed)
    assert response.status_code == 200
    assert verdict_of(response.text) == "Dokumen sudah dicabut"
    assert "Nama usaha salah ketik" in response.text

    page = client.get(f"{PAGE}/{CODE}")
    assert page.status_code == 200
    assert "Dokumen sudah dicabut" in page.text and "Dokumen sah" not in page.text
    assert "Nama usaha salah ketik" in page.text
    assert "Dicabut pada" in page.text


def test_the_qr_page_says_whose_document_it_is_and_nothing_personal(
    client: TestClient, document: IssuedDocument, issued: Issued
) -> None:
    page = client.get(f"{PAGE}/{CODE}")
    assert page.status_code == 200
    main = page.text.split("<main", 1)[1]
    # What the code proves: the document is on record and in force, to compare with the paper.
    assert "Dokumen tercatat dan masih berlaku" in main and "Cocokkan data" in main
    assert "Dokumen sah" not in main  # the paper in the reader's hand was not checked
    # What the document prints, as the record kept it.
    assert "Surat Izin Usaha Mikro" in main  # the product
    assert NUMBER in main
    assert "27 November 2026" in main  # the record says when it was issued, as people read it
    assert "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu" in main
    assert OFFICER.name in main and "Kepala Dinas" in main  # the signer and position
    assert "S*** N********" in main  # Siti Nurhaliza, masked
    assert "27 November 2026 10.05 WIB" in main  # signed at 03:05 UTC, in Asia/Jakarta
    assert document.sha256 == hashlib.sha256(issued.signed).hexdigest()
    assert document.sha256 in main
    # The QR is public: no applicant's name, NIK or application data.
    assert "Siti Nurhaliza" not in page.text
    assert "3273015708900001" not in page.text
    assert "Warung Kopi Sejahtera" not in main and "T-" not in main


def test_an_unknown_code_is_a_friendly_404(client: TestClient, region: Region) -> None:
    for code in ("AAAAAAAAAAAAAAAAAAAAAA", "bukan kode!", "x" * 200):
        page = client.get(f"{PAGE}/{code}")
        assert page.status_code == 404
        assert "Kode tidak dikenal" in page.text
        assert '<label for="f-kode">' in page.text  # and a way to try again


def test_another_regions_code_is_unknown_here(
    client: TestClient, session: Session, document: IssuedDocument
) -> None:
    make_region(session, "kota-asing", "Kota Asing")
    page = client.get(f"/kota-asing/verifikasi/{CODE}")
    assert page.status_code == 404
    assert "Kode tidak dikenal" in page.text
    assert NUMBER not in page.text


def test_the_code_form_opens_the_codes_page(client: TestClient, region: Region) -> None:
    typed = client.get(PAGE, params={"kode": f"  {CODE} "}, follow_redirects=False)
    assert typed.status_code == 303
    assert typed.headers["location"] == f"{PAGE}/{CODE}"
    url = f"https://simpul.example/kota-bandung/verifikasi/{CODE}"
    pasted = client.get(PAGE, params={"kode": url}, follow_redirects=False)
    assert pasted.headers["location"] == f"{PAGE}/{CODE}"
    wrong = client.get(PAGE, params={"kode": "kode salah!"})
    assert wrong.status_code == 422
    assert 'aria-invalid="true"' in wrong.text and "kode salah!" in wrong.text


def test_the_ca_certificate_is_published(
    client: TestClient, region: Region, issued: Issued
) -> None:
    response = client.get(f"{PAGE}/ca.pem")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-pem-file"
    assert response.content == issued.ca_pem


def test_a_region_without_a_ca_says_verification_is_not_set_up(
    client: TestClient, session: Session, region: Region, issued: Issued
) -> None:
    make_region(session, "kota-baru", "Kota Baru")
    certificate = client.get("/kota-baru/verifikasi/ca.pem")
    assert certificate.status_code == 404
    assert certificate.headers["content-type"].startswith("text/plain")
    assert "belum" in certificate.text
    page = client.get("/kota-baru/verifikasi")
    assert page.status_code == 200 and "ca.pem" not in page.text
    assert "belum disiapkan" in page.text and 'name="file"' not in page.text
    token = csrf_from(client.get(PAGE).text)  # a form of this browser session, as if reloaded
    response = client.post(
        "/kota-baru/verifikasi",
        data={"csrf_token": token},
        files={"file": ("dokumen.pdf", issued.signed, "application/pdf")},
    )
    assert response.status_code == 503
    assert "Verifikasi berkas belum disiapkan" in response.text


def test_an_empty_or_oversized_upload_is_refused_with_a_reason(
    client: TestClient, region: Region
) -> None:
    empty = upload(client, b"")
    assert empty.status_code == 422
    assert "Pilih berkas PDF" in empty.text
    big = upload(client, b"%PDF-1.7\n" + b"0" * pages.MAX_UPLOAD_BYTES)
    assert big.status_code == 413
    assert "maksimal 10 MB" in big.text


def test_an_upload_without_its_csrf_token_is_refused(
    client: TestClient, region: Region, issued: Issued
) -> None:
    client.get(PAGE)
    response = client.post(PAGE, files={"file": ("dokumen.pdf", issued.signed, "application/pdf")})
    assert response.status_code == 403


def test_a_file_that_is_not_the_issued_one_says_so_and_what_the_code_belongs_to(
    client: TestClient, document: IssuedDocument, issued: Issued
) -> None:
    other = sign(content(), issued.signer)  # same code, number and signer; another file
    response = upload(client, other)
    assert response.status_code == 200
    assert verdict_of(response.text) == (
        "Tanda tangan sah, tetapi berkas ini bukan dokumen yang diterbitkan dengan kode ini"
    )
    result = response.text.split('id="hasil"', 1)[1]
    assert "S*** N********" in result and "Surat Izin Usaha Mikro" in result  # the record
    assert document.sha256 in result and hashlib.sha256(other).hexdigest() in result


def test_a_code_opens_its_page_however_it_is_typed(
    client: TestClient, session: Session, region: Region, issued: Issued
) -> None:
    code = new_verification_code()
    record_issued_document(
        session,
        region,
        application_id=add_application(session, region, "nur.aisyah@example.org").id,
        content=content(code=code, number="503/0008/DPMPTSP/2026"),
        signed_pdf=b"%PDF-1.7 signed",
        storage_key=f"issued/{code}.pdf",
        signer_name=OFFICER.name,
        signer_fingerprint=fingerprint(issued.signer),
        signed_at=datetime(2026, 11, 27, 3, 5, tzinfo=UTC),
    )
    typed = code.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    opened = client.get(PAGE, params={"kode": typed}, follow_redirects=False)
    assert opened.status_code == 303
    assert opened.headers["location"] == f"{PAGE}/{code}"
    for path in (code, code.lower(), code.replace("-", "")):
        page = client.get(f"{PAGE}/{path}")
        assert page.status_code == 200, path
        assert "503/0008/DPMPTSP/2026" in page.text and f"<code>{code}</code>" in page.text
