"""Forged documents: a file that is not what the region issued is never answered "valid".

The region issues a real document (approval, the worker, the officer's key), then an attacker
who holds a certificate the same region CA issued (in production: any BSrE certificate)
makes a different PDF that carries the real document's number and verification code. Every
way of checking a file (the page's upload, the JSON API, ``simpul doc verify``) must say
that the signature is good but the file is not the issued document; files with something
appended after signing that is not long-term validation data must be "changed"; the page
the QR code opens must say whose document the code belongs to (masked) so a printed forgery
can be told apart; and code lookups are rate-limited per source address.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from io import BytesIO
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509 import Certificate
from fastapi.testclient import TestClient
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.signers import SimpleSigner
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from simpul import cli
from simpul.accounts.models import User
from simpul.applications import submission, workflow
from simpul.applications.models import TaskOutcome
from simpul.core.settings import Settings
from simpul.documents import credentials, issuing
from simpul.documents.cli import doc_app
from simpul.documents.models import IssuedDocument
from simpul.documents.pki import OfficerSpec, make_ca, make_officer_certificate
from simpul.documents.render import DocumentContent, render_document, verification_url
from simpul.documents.signing import sign_pdf
from tests.applications.conftest import VALID_DATA, World
from tests.applications.conftest import world as world  # noqa: PLC0414 - the fixture
from tests.conftest import TEST_SECRET
from tests.factories import csrf_from, make_user

PASSPHRASE = "frasa-sandi-uji-ttd"
PUBLIC_URL = "https://layanan.example.go.id"
APPROVER = OfficerSpec("Setuju Pejabat", "setuju@example.org")
SECOND_OFFICER = OfficerSpec("Kedua Pejabat", "kedua@example.org")
HOLDER_EMAIL = "nur.aisyah@example.org"  # her account's name is "Nur Aisyah"
MISMATCH = "Tanda tangan sah, tetapi berkas ini bukan dokumen yang diterbitkan dengan kode ini"
CHANGED = "Dokumen diubah setelah ditandatangani"
LOOKUPS_PER_MINUTE = 5


@dataclass(frozen=True)
class RegionCa:
    """The region CA with its key kept, so the attacker's "fresh" certificates can be made."""

    key: ec.EllipticCurvePrivateKey
    certificate: Certificate
    p12: dict[str, bytes]

    @property
    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def signer(self, officer: OfficerSpec) -> SimpleSigner:
        """A signer with a certificate freshly issued by the region CA for ``officer``."""
        key, certificate = make_officer_certificate(officer, "Kota Uji", self.key, self.certificate)
        return _signer(_p12(key, certificate, self.certificate))


def _p12(key: ec.EllipticCurvePrivateKey, certificate: Certificate, ca: Certificate) -> bytes:
    return pkcs12.serialize_key_and_certificates(
        b"officer",
        key,
        certificate,
        [ca],
        serialization.BestAvailableEncryption(PASSPHRASE.encode()),
    )


def _signer(p12: bytes) -> SimpleSigner:
    signer: SimpleSigner = SimpleSigner.load_pkcs12_data(
        p12, other_certs=[], passphrase=PASSPHRASE.encode()
    )
    return signer


@pytest.fixture(scope="module")
def region_ca() -> RegionCa:
    key, certificate = make_ca("Kota Uji")
    p12 = {}
    for officer in (APPROVER, SECOND_OFFICER):
        officer_key, officer_certificate = make_officer_certificate(
            officer, "Kota Uji", key, certificate
        )
        p12[officer.email] = _p12(officer_key, officer_certificate, certificate)
    return RegionCa(key, certificate, p12)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """A data directory of this test's own (the region CA is published there) and a low
    lookup limit, so the rate-limit test needs few requests."""
    return Settings(
        secret_key=TEST_SECRET,
        debug=True,
        data_dir=tmp_path,
        verification_lookups_per_minute=LOOKUPS_PER_MINUTE,
    )


@dataclass(frozen=True)
class Genuine:
    """A document the region really issued: its record and the signed PDF as downloaded."""

    number: str
    code: str
    pdf: bytes
    ca_path: Path


@pytest.fixture
def genuine(
    session: Session,
    session_factory: sessionmaker[Session],
    world: World,
    region_ca: RegionCa,
    settings: Settings,
) -> Genuine:
    """Nur Aisyah's application, approved and signed by the approver, made by the worker."""
    ca_path = settings.data_dir / "pki" / world.region.slug / "ca.pem"
    ca_path.parent.mkdir(parents=True)
    ca_path.write_bytes(region_ca.pem)
    credentials.enrol(
        session,
        world.region,
        world.approver,
        region_ca.p12[APPROVER.email],
        PASSPHRASE,
        actor_label="test",
    )
    holder = make_user(session, world.region, HOLDER_EMAIL, "sandi-warga-3", nik="3273014101950003")
    _approve(session, world, holder)
    config = issuing.IssueConfig(public_url=PUBLIC_URL)
    assert issuing.issue_due(session_factory, world.storage, config) == 1
    session.expire_all()
    document = session.scalars(
        select(IssuedDocument).where(IssuedDocument.region_id == world.region.id)
    ).one()
    with world.storage.open(document.storage_key) as stream:
        pdf = b"".join(stream)
    return Genuine(document.number, document.code, pdf, ca_path)


def _approve(session: Session, world: World, holder: User) -> None:
    draft = submission.start_draft(session, world.region, holder, world.service_slug)
    submission.save_draft(session, world.region, holder, draft.id, dict(VALID_DATA))
    submission.attach_document(
        session, world.region, holder, draft.id, "ktp", world.upload(), "ktp.pdf"
    )
    submission.submit(session, world.region, holder, draft.id)
    task = workflow.inbox(session, world.region, world.verifier).rows[0].task
    workflow.act_on_task(session, world.region, world.verifier, task.id, TaskOutcome.APPROVE)
    final = workflow.inbox(session, world.region, world.approver).rows[0].task
    workflow.act_on_task(
        session,
        world.region,
        world.approver,
        final.id,
        TaskOutcome.APPROVE,
        signing_passphrase=PASSPHRASE,
    )
    session.flush()


def forged_pdf(genuine: Genuine, signer: SimpleSigner, holder: str = "Mallory Pemalsu") -> bytes:
    """A PDF of the attacker's making that carries the real document's number and code."""
    content = DocumentContent(
        region_name="Kota Uji",
        agency_name="Dinas Uji Kota Uji",
        title="Produk pelayanan",
        number=genuine.number,
        code=genuine.code,
        applicant_name=holder,
        issued_on=date(2026, 11, 27),
        verification_url=verification_url(PUBLIC_URL, "kota-uji", genuine.code),
        service_name="Perizinan Uji",
        rows=[("Nama usaha", "Usaha Fiktif Sejahtera"), ("Jumlah pegawai", "250")],
    )
    return sign_pdf(
        render_document(content),
        signer,
        reason=f"Penerbitan Perizinan Uji nomor {genuine.number}",
        location="Kota Uji",
        qr_url=content.verification_url,
    )


def _appended(pdf: bytes, change: Callable[[IncrementalPdfFileWriter], None]) -> bytes:
    writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    change(writer)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def with_info_revisions(pdf: bytes, count: int) -> bytes:
    """``count`` incremental revisions after signing, each giving the file a new /Info.

    Written as an attacker would, straight after the file's end: each revision is one new
    /Info object, a classic cross-reference section for it and a trailer pointing back.
    """
    trailer = PdfFileReader(BytesIO(pdf)).trailer
    root = trailer.raw_get("/Root")
    size = int(trailer["/Size"])
    previous = int(pdf.rsplit(b"startxref", 1)[1].split()[0])
    out = bytearray(pdf if pdf.endswith(b"\n") else pdf + b"\n")
    for number in range(size, size + count):
        offset = len(out)
        out += b"%d 0 obj\n<< /Title (Lunas %d) >>\nendobj\n" % (number, number)
        xref = len(out)
        out += b"xref\n0 1\n0000000000 65535 f \n%d 1\n%010d 00000 n \n" % (number, offset)
        out += b"trailer\n<< /Size %d /Root %d %d R /Info %d 0 R /Prev %d >>\n" % (
            number + 1,
            root.idnum,
            root.generation,
            number,
            previous,
        )
        out += b"startxref\n%d\n%%%%EOF\n" % xref
        previous = xref
    return bytes(out)


def with_new_xmp(pdf: bytes) -> bytes:
    """The signed file with its XMP metadata replaced in a later revision."""

    def replace(writer: IncrementalPdfFileWriter) -> None:
        xmp = (
            b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
            b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
            b'rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            b"<dc:title>Surat Keterangan Lunas</dc:title></rdf:Description></rdf:RDF>"
            b"</x:xmpmeta>"
        )
        stream = generic.StreamObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/Metadata"),
                generic.NameObject("/Subtype"): generic.NameObject("/XML"),
            },
            stream_data=xmp,
        )
        writer.root["/Metadata"] = writer.add_object(stream)
        writer.update_root()

    return _appended(pdf, replace)


def with_orphan_script(pdf: bytes) -> bytes:
    """The signed file with a JavaScript action object appended after signing."""

    def add(writer: IncrementalPdfFileWriter) -> None:
        writer.add_object(
            generic.DictionaryObject(
                {
                    generic.NameObject("/S"): generic.NameObject("/JavaScript"),
                    generic.NameObject("/JS"): generic.TextStringObject("app.alert('sah')"),
                }
            )
        )

    return _appended(pdf, add)


# -- the three ways to check a file --------------------------------------------------------


def headline_of_page(client: TestClient, pdf: bytes) -> str:
    """The verdict's headline on ``/{region}/verifikasi`` after uploading ``pdf``."""
    page = "/kota-uji/verifikasi"
    token = csrf_from(client.get(page).text)
    response = client.post(
        page,
        data={"csrf_token": token},
        files={"file": ("dokumen.pdf", pdf, "application/pdf")},
    )
    if response.status_code != 200 or 'id="hasil"' not in response.text:
        return f"HTTP {response.status_code}"
    section = response.text.split('id="hasil"', 1)[1]
    return section.split("<strong>", 1)[1].split("</strong>", 1)[0]


def status_from_api(client: TestClient, pdf: bytes) -> str:
    response = client.post(
        "/api/kota-uji/documents/verify",
        files={"file": ("dokumen.pdf", pdf, "application/pdf")},
    )
    if response.status_code != 200:
        return f"HTTP {response.status_code}"
    status: str = response.json()["status"]
    return status


def status_from_cli(
    monkeypatch: pytest.MonkeyPatch,
    session_factory: sessionmaker[Session],
    genuine: Genuine,
    pdf: bytes,
    tmp_path: Path,
) -> tuple[int, str]:
    monkeypatch.setattr(cli, "session_factory", lambda: session_factory)
    path = tmp_path / f"{uuid.uuid4().hex}.pdf"
    path.write_bytes(pdf)
    result = CliRunner().invoke(
        doc_app, ["verify", str(path), "--region", "kota-uji", "--ca", str(genuine.ca_path)]
    )
    return result.exit_code, json.loads(result.stdout)["status"]


#: What the page, the API and the CLI say about a file: (headline, status, (exit, status)).
Verdicts = Callable[[bytes], tuple[str, str, tuple[int, str]]]


@pytest.fixture
def verdicts(
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    session_factory: sessionmaker[Session],
    genuine: Genuine,
    tmp_path: Path,
) -> Verdicts:
    """Check a file the three ways a relying party can."""

    def check(pdf: bytes) -> tuple[str, str, tuple[int, str]]:
        return (
            headline_of_page(client, pdf),
            status_from_api(client, pdf),
            status_from_cli(monkeypatch, session_factory, genuine, pdf, tmp_path),
        )

    return check


def test_the_genuine_document_is_valid_everywhere(genuine: Genuine, verdicts: Verdicts) -> None:
    """The control: what the attacks below must not look like."""
    assert verdicts(genuine.pdf) == ("Dokumen sah", "valid", (0, "valid"))


def test_a_second_officers_certificate_signing_another_pdf_with_a_real_code(
    genuine: Genuine, region_ca: RegionCa, verdicts: Verdicts
) -> None:
    forged = forged_pdf(genuine, _signer(region_ca.p12[SECOND_OFFICER.email]))
    assert verdicts(forged) == (MISMATCH, "mismatch", (1, "mismatch"))


def test_a_fresh_certificate_in_the_real_signers_name_from_the_same_ca(
    genuine: Genuine, region_ca: RegionCa, verdicts: Verdicts
) -> None:
    forged = forged_pdf(genuine, region_ca.signer(APPROVER))
    assert verdicts(forged) == (MISMATCH, "mismatch", (1, "mismatch"))


def test_the_real_signers_own_key_on_a_different_pdf_with_the_real_code(
    genuine: Genuine, region_ca: RegionCa, verdicts: Verdicts
) -> None:
    # An insider (or a stolen key): the certificate is the record's, the file is not.
    forged = forged_pdf(genuine, _signer(region_ca.p12[APPROVER.email]))
    assert verdicts(forged) == (MISMATCH, "mismatch", (1, "mismatch"))


def test_three_hundred_info_revisions_appended_after_signing(
    genuine: Genuine, verdicts: Verdicts
) -> None:
    assert verdicts(with_info_revisions(genuine.pdf, 300)) == (CHANGED, "changed", (1, "changed"))


def test_replaced_xmp_metadata_appended_after_signing(genuine: Genuine, verdicts: Verdicts) -> None:
    assert verdicts(with_new_xmp(genuine.pdf)) == (CHANGED, "changed", (1, "changed"))


def test_a_script_object_appended_after_signing(genuine: Genuine, verdicts: Verdicts) -> None:
    assert verdicts(with_orphan_script(genuine.pdf)) == (CHANGED, "changed", (1, "changed"))


def test_the_qr_page_says_whose_document_the_code_belongs_to(
    client: TestClient, genuine: Genuine
) -> None:
    """A printed forgery carries the real QR code: the page it opens must give the reader what
    to compare (masked holder, type, number, date, agency, signer) and must not call the paper
    in the reader's hand valid."""
    page = client.get(f"/kota-uji/verifikasi/{genuine.code}")
    assert page.status_code == 200
    main = page.text.split("<main", 1)[1]
    assert "N*** A*****" in main  # Nur Aisyah, masked
    assert "Nur Aisyah" not in main
    for fact in (genuine.number, "Produk pelayanan", "Dinas Uji Kota Uji", APPROVER.name):
        assert fact.lower() in main.lower(), fact
    assert "Dokumen sah" not in main


@pytest.mark.usefixtures("still_limits")
def test_code_lookups_are_rate_limited_per_source_address(
    client: TestClient, genuine: Genuine, settings: Settings
) -> None:
    paths = ("/kota-uji/verifikasi/{}", "/api/kota-uji/documents/{}")
    for number, path in enumerate(paths, start=1):
        guesser = TestClient(client.app, client=(f"203.0.113.{number}", 40000))
        answers = [
            guesser.get(path.format(f"ZZZZ-ZZZZ-ZZZZ-{n:04d}")).status_code
            for n in range(LOOKUPS_PER_MINUTE)
        ]
        assert 429 not in answers, path
        refused = guesser.get(path.format(genuine.code))  # even a real code, now
        assert refused.status_code == 429, path
        assert int(refused.headers["Retry-After"]) >= 1
        someone_else = TestClient(client.app, client=(f"198.51.100.{number}", 40000))
        assert someone_else.get(path.format(genuine.code)).status_code == 200, path
