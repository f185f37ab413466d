"""A service that issues several products: the last approval queues one job per product (same
transaction, same passphrase, each its own number in the agency's format and its own code),
the worker makes each from its template, the pages list every product, and a revoked product
is re-issued alone."""

from __future__ import annotations

import hashlib
import re
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from simpul.catalogue.models import Agency, Service
from simpul.core.errors import Conflict
from simpul.documents import issuing, numbering
from simpul.documents.models import DocumentJob, DocumentJobStatus
from simpul.documents.service import open_issued_document, revoke_document
from tests.applications.conftest import World
from tests.applications.conftest import world as world  # noqa: PLC0414 - the fixture
from tests.applications.test_pages import log_in
from tests.documents.test_issuing import (
    CONFIG,
    PASSPHRASE,
    approve,
    issued_of,
    jobs_of,
)
from tests.documents.test_issuing import pki as pki  # noqa: PLC0414 - the fixture
from tests.documents.test_issuing import signing as signing  # noqa: PLC0414 - the fixture
from tests.factories import post_form

PRODUCTS = [
    {
        "code": "izin_usaha",
        "title": "Surat Izin Usaha Uji",
        "layout": "surat",
        "opening": "Kepala Dinas Uji memberikan izin usaha kepada:",
        "fields": [
            {"label": "Nomor izin", "source": "step:nomor_izin"},
            {"label": "Nama usaha", "source": "form:nama_usaha"},
            {"label": "Jumlah pegawai", "source": "form:jumlah_pegawai"},
            {"label": "Pemilik", "source": "applicant:name"},
        ],
        "closing": "Izin ini berlaku selama usaha menjalankan kegiatannya.",
    },
    {
        "code": "sertifikat_uji",
        "title": "Sertifikat Standar Uji",
        "layout": "sertifikat",
        "fields": [
            {"label": "Nama usaha", "source": "form:nama_usaha"},
            {"label": "Nomor permohonan", "source": "application:tracking_number"},
            {"label": "Keterangan", "source": "text:Memenuhi standar usaha mikro"},
        ],
        "signer_position": "Kepala Dinas Uji",
    },
]
FORMAT = "503/{nomor}/{kode}/{bulan_romawi}/{tahun}"


@pytest.fixture
def two_products(session: Session, signing: World) -> World:
    service = session.scalar(
        select(Service).where(
            Service.region_id == signing.region.id, Service.slug == signing.service_slug
        )
    )
    assert service is not None
    service.products = PRODUCTS
    agency = session.get(Agency, service.agency_id)
    assert agency is not None
    agency.document_number_format = FORMAT
    signing.approver.position = "Kepala Bidang Perizinan Dinas Uji"
    signing.approver.nip = "198001012005011001"
    session.flush()
    return signing


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "d.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True)
    return " ".join(out.stdout.decode().split())


def test_one_job_per_product_in_the_agencys_number_format(
    session: Session, two_products: World
) -> None:
    application = approve(session, two_products)
    jobs = jobs_of(session, application)
    assert [j.product_code for j in jobs] == ["izin_usaha", "sertifikat_uji"]
    assert all(j.status is DocumentJobStatus.QUEUED and j.passphrase_encrypted for j in jobs)
    assert len({j.number for j in jobs}) == len({j.code for j in jobs}) == 2
    for job in jobs:
        assert re.fullmatch(r"503/\d{5}/DISUJI/[IVX]+/\d{4}", job.number), job.number
    state = issuing.document_state(session, two_products.region, application.id)
    assert state.status == "preparing"
    assert [(p.title, p.status) for p in state.products] == [
        ("Surat Izin Usaha Uji", "preparing"),
        ("Sertifikat Standar Uji", "preparing"),
    ]


def test_each_product_is_made_from_its_template_and_reissued_alone(
    session: Session,
    session_factory: sessionmaker[Session],
    two_products: World,
    tmp_path: Path,
) -> None:
    application = approve(session, two_products)
    application.officer_data = {"nomor_izin": "IZN-2026-0042"}
    session.flush()
    assert issuing.issue_due(session_factory, two_products.storage, CONFIG) == 2
    session.expire_all()
    documents = {d.product_code: d for d in issued_of(session, application)}
    assert set(documents) == {"izin_usaha", "sertifikat_uji"}
    texts = {}
    for code, document in documents.items():
        with two_products.storage.open(document.storage_key) as stream:
            texts[code] = _text(b"".join(stream), tmp_path)
    izin, sertifikat = texts["izin_usaha"], texts["sertifikat_uji"]
    assert "SURAT IZIN USAHA UJI" in izin and "IZN-2026-0042" in izin
    assert "Warung Sunda Bu Siti" in izin and "Izin ini berlaku" in izin
    assert "Kepala Bidang Perizinan Dinas Uji" in izin  # the account's position wins
    assert "NIP. 198001012005011001" in izin
    assert "SERTIFIKAT STANDAR UJI" in sertifikat and "Memenuhi standar usaha mikro" in sertifikat
    assert application.tracking_number in sertifikat
    assert "IZN-2026-0042" not in sertifikat  # each product prints only its own fields
    assert documents["sertifikat_uji"].product == "Sertifikat Standar Uji"  # verification
    state = issuing.document_state(session, two_products.region, application.id)
    assert [p.status for p in state.products] == ["issued", "issued"]
    # Each product is downloaded on its own.
    for code, document in documents.items():
        opened, stream = open_issued_document(
            session,
            two_products.region,
            two_products.storage,
            two_products.citizen,
            application.id,
            code,
        )
        stream.close()
        assert opened.id == document.id
    # The certificate is revoked: it alone is re-issued, the permit stays in force.
    revoke_document(
        session,
        two_products.region,
        documents["sertifikat_uji"],
        reason="Nama usaha tercetak keliru pada sertifikat.",
        actor_id=two_products.approver.id,
        actor_label=two_products.approver.email,
    )
    with pytest.raises(Conflict):  # the permit is in force: nothing to re-issue there
        issuing.reissue(
            session,
            two_products.region,
            two_products.approver,
            application.id,
            PASSPHRASE,
            "izin_usaha",
        )
    (job,) = issuing.reissue(
        session, two_products.region, two_products.approver, application.id, PASSPHRASE
    )
    assert job.product_code == "sertifikat_uji"
    state = issuing.document_state(session, two_products.region, application.id)
    assert [(p.product_code, p.status) for p in state.products] == [
        ("izin_usaha", "issued"),
        ("sertifikat_uji", "preparing"),
    ]


def test_a_second_job_in_flight_for_the_same_product_is_refused(
    session: Session, two_products: World
) -> None:
    application = approve(session, two_products)
    first = jobs_of(session, application)[0]
    nested = session.begin_nested()
    session.add(
        DocumentJob(
            region_id=first.region_id,
            application_id=first.application_id,
            product_code=first.product_code,
            signer_id=first.signer_id,
            credential_id=first.credential_id,
            number="99999/X/2026",
            code="ZZZZ-ZZZZ-ZZZZ-ZZZZ",
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()
    nested.rollback()


@pytest.mark.parametrize(
    ("number_format", "problem"),
    [
        ("{nomor}/{kode}/{tahun}", None),
        ("474.1/{nomor}/{kode}/{bulan_romawi}/{tahun}", None),
        ("{kode}/{tahun}", "{nomor}"),
        ("{nomor}/{kode}", "{tahun}"),
        ("{nomor}/{nama}/{tahun}", "{nama}"),
        ("{0.__class__}/{nomor}/{tahun}", "{0.__class__}"),
        ("{nomor}/{tahun}/%s", "huruf"),
        ("{nomor}/{tahun}/" + "X" * 80, "80"),
        ("", "Isi format"),
    ],
)
def test_number_formats_are_checked(number_format: str, problem: str | None) -> None:
    found = numbering.format_problem(number_format)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found, found


def test_numbers_in_the_agency_format() -> None:
    parts = numbering.NumberParts(12, numbering.agency_code("Dinas Uji"), 11, 2026)
    assert (
        numbering.render_number("474.1/{nomor}/{kode}/{bulan_romawi}/{bulan}/{tahun}", parts)
        == "474.1/00012/DINASUJI/XI/11/2026"
    )
    assert numbering.render_number("{0.__class__}", parts) == "00012/DINASUJI/2026"
    assert issuing.document_number(7, "Dinas Uji", 2026) == "00007/DINASUJI/2026"


def test_the_pages_list_every_product_and_revoke_the_one_named(
    client: TestClient,
    session: Session,
    session_factory: sessionmaker[Session],
    two_products: World,
) -> None:
    client.app.state.storage = two_products.storage  # type: ignore[attr-defined]
    application = approve(session, two_products)
    assert issuing.issue_due(session_factory, two_products.storage, CONFIG) == 2
    session.expire_all()
    documents = {d.product_code: d for d in issued_of(session, application)}
    log_in(client, "warga@example.org", "sandi-warga-1")
    mine = client.get(f"/kota-uji/permohonan/{application.id}").text
    download = f"/kota-uji/permohonan/{application.id}/dokumen-hasil"
    for code, document in documents.items():
        assert f"{download}?produk={code}" in mine
        assert document.product in mine and f"/kota-uji/verifikasi/{document.code}" in mine
        pdf = client.get(f"{download}?produk={code}")
        assert pdf.status_code == 200
        assert hashlib.sha256(pdf.content).hexdigest() == document.sha256
    assert client.get(f"{download}?produk=tidak_ada").status_code == 404
    log_in(client, "setuju@example.org", "sandi-setuju-1")
    officer_page = f"/kota-uji/petugas/permohonan/{application.id}"
    page = client.get(officer_page).text
    assert all(d.number in page for d in documents.values())
    assert page.count('name="produk"') == 2
    revoked = post_form(
        client,
        f"{officer_page}/dokumen-hasil/cabut",
        {"reason": "Sertifikat dicetak dengan data keliru.", "produk": "sertifikat_uji"},
        page=officer_page,
    )
    assert revoked.status_code == 303
    session.expire_all()
    assert documents["sertifikat_uji"].revoked_at is not None
    assert documents["izin_usaha"].revoked_at is None
    reissued = post_form(
        client,
        f"{officer_page}/dokumen-hasil/terbitkan",
        {"passphrase": PASSPHRASE, "produk": "sertifikat_uji"},
        page=officer_page,
    )
    assert reissued.status_code == 303
    session.expire_all()
    queued = [j for j in jobs_of(session, application) if j.status is DocumentJobStatus.QUEUED]
    assert [j.product_code for j in queued] == ["sertifikat_uji"]
