"""The issued_document table and the `simpul pki` / `simpul doc verify` commands."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from simpul import cli
from simpul.documents.cli import doc_app, pki_app
from simpul.documents.models import IssuedDocument
from simpul.documents.pki import load_signer
from simpul.documents.service import new_verification_code, record_issued_document
from simpul.documents.verification import issued_record_lookup
from tests.documents.conftest import (
    PASSPHRASE,
    World,
    add_application,
    content,
    fingerprint,
    png,
    sign,
)
from tests.factories import make_region


@pytest.fixture
def world(session: Session) -> World:
    region = make_region(session, "kota-dokumen", "Kota Dokumen")
    return World(region, add_application(session, region, "warga@example.org"))


def _issued(world: World, number: str, code: str, **extra: object) -> IssuedDocument:
    return IssuedDocument(
        region_id=world.region.id,
        application_id=world.application.id,
        number=number,
        code=code,
        sha256="0" * 64,
        storage_key=f"documents/{code}.pdf",
        signer_name="Dr. Budi Santoso, M.Si.",
        signed_at=datetime.now(UTC),
        **extra,
    )


def _refused(session: Session, document: IssuedDocument) -> None:
    """The database refuses ``document`` (the test's transaction stays usable)."""
    nested = session.begin_nested()
    session.add(document)
    with pytest.raises(IntegrityError):
        session.flush()
    nested.rollback()


def test_numbers_are_unique_per_region_and_codes_everywhere(session: Session, world: World) -> None:
    # Each row its own product, so only the number or the code can be what is refused (one
    # document in force per product of an application is a constraint of its own, 0027).
    session.add(_issued(world, "1/2026", new_verification_code()))
    session.flush()
    _refused(session, _issued(world, "1/2026", new_verification_code(), product_code="kk"))
    other = make_region(session, "kota-lain", "Kota Lain")
    other_world = World(other, add_application(session, other, "warga@example.net"))
    session.add(_issued(other_world, "1/2026", new_verification_code()))  # its own numbering
    session.flush()
    code = new_verification_code()
    session.add(_issued(world, "2/2026", code, product_code="kia"))
    session.flush()
    _refused(session, _issued(other_world, "2/2026", code, product_code="kia"))


def test_an_issued_document_cannot_point_into_another_region(
    session: Session, world: World
) -> None:
    other = make_region(session, "kota-lain", "Kota Lain")
    stray = _issued(world, "9/2026", new_verification_code())
    stray.region_id = other.id  # the application belongs to world.region
    _refused(session, stray)


def test_lookup_sees_only_the_regions_codes_and_revocations(session: Session, world: World) -> None:
    code = new_verification_code()
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}", code)
    assert code != new_verification_code()
    document = _issued(world, "3/2026", code)
    session.add(document)
    session.flush()
    lookup = issued_record_lookup(session, world.region)
    record = lookup(code)
    assert record is not None and record.number == "3/2026" and record.revoked_at is None
    assert lookup("tidak-ada") is None
    # As a person types it: lower case, without dashes, O for 0 and I or L for 1.
    typed = code.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    found = lookup(typed)
    assert found is not None and found.code == code
    other = make_region(session, "kota-lain", "Kota Lain")
    assert issued_record_lookup(session, other)(code) is None
    document.revoked_at = datetime.now(UTC)
    document.revoked_reason = "Diterbitkan ganda"
    session.flush()
    record = lookup(code)
    assert record is not None and record.revoked_reason == "Diterbitkan ganda"


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, session_factory: sessionmaker[Session]) -> CliRunner:
    monkeypatch.setattr(cli, "session_factory", lambda: session_factory)
    monkeypatch.setenv("SIMPUL_TEST_PKI_PASSPHRASE", PASSPHRASE.decode())
    return CliRunner()


def _pki_init(runner: CliRunner, out: Path, *extra: str) -> object:
    return runner.invoke(
        pki_app,
        [
            "init",
            "--region",
            "kota-dokumen",
            "--out",
            str(out),
            "--officer",
            "Rina Marlina, S.H. <rina@dokumen.go.id>",
            "--officer",
            "Agus Salim <agus@dokumen.go.id>",
            "--passphrase-env",
            "SIMPUL_TEST_PKI_PASSPHRASE",
            *extra,
        ],
    )


def test_pki_init_writes_ca_and_officers(runner: CliRunner, world: World, tmp_path: Path) -> None:
    result = _pki_init(runner, tmp_path / "pki")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    written = json.loads(result.stdout)  # type: ignore[attr-defined]
    assert Path(written["ca"]).name == "ca.pem"
    assert sorted(Path(p).name for p in written["officers"].values()) == [
        "officer-agus.p12",
        "officer-rina.p12",
    ]
    signer = load_signer(Path(written["officers"]["rina@dokumen.go.id"]), PASSPHRASE)
    assert signer.signing_cert is not None
    # The region's name came from the database.
    assert signer.signing_cert.subject.native["organization_name"] == "Kota Dokumen"
    again = _pki_init(runner, tmp_path / "pki")
    assert again.exit_code == 2  # type: ignore[attr-defined]


def test_pki_init_usage_errors(
    runner: CliRunner, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad_officer = runner.invoke(
        pki_app,
        [
            "init",
            "--region",
            "kota-dokumen",
            "--out",
            str(tmp_path),
            "--officer",
            "Rina",
            "--passphrase-env",
            "SIMPUL_TEST_PKI_PASSPHRASE",
        ],
    )
    assert bad_officer.exit_code == 2 and "Nama <email>" in bad_officer.stderr
    unknown_region = runner.invoke(
        pki_app,
        [
            "init",
            "--region",
            "tidak-ada",
            "--out",
            str(tmp_path),
            "--officer",
            "R <r@x.id>",
            "--passphrase-env",
            "SIMPUL_TEST_PKI_PASSPHRASE",
        ],
    )
    assert unknown_region.exit_code == 2
    monkeypatch.delenv("SIMPUL_TEST_PKI_PASSPHRASE")
    no_passphrase = _pki_init(runner, tmp_path / "x")
    assert no_passphrase.exit_code == 2  # type: ignore[attr-defined]
    assert not (tmp_path / "x" / "ca.pem").exists()


def test_doc_verify_exit_codes(
    runner: CliRunner, session: Session, world: World, tmp_path: Path
) -> None:
    init = _pki_init(runner, tmp_path / "pki")
    assert init.exit_code == 0  # type: ignore[attr-defined]
    paths = json.loads(init.stdout)  # type: ignore[attr-defined]
    signer = load_signer(Path(paths["officers"]["rina@dokumen.go.id"]), PASSPHRASE)
    code = new_verification_code()
    pdf = tmp_path / "dokumen.pdf"
    pdf.write_bytes(sign(content(code=code, number="7/2026"), signer))
    ca = paths["ca"]

    def verify(path: Path, region: str = "kota-dokumen", *extra: str) -> tuple[int, str]:
        result = runner.invoke(doc_app, ["verify", str(path), "--region", region, *extra])
        return result.exit_code, result.stdout

    # Signed by the region but not in its register: unknown.
    exit_code, out = verify(pdf, "kota-dokumen", "--ca", ca)
    assert (exit_code, json.loads(out)["status"]) == (1, "unknown")

    signed = pdf.read_bytes()
    record_issued_document(
        session,
        world.region,
        application_id=world.application.id,
        content=content(code=code, number="7/2026"),
        signed_pdf=signed,
        storage_key=f"issued/{code}.pdf",
        signer_name="Rina Marlina, S.H.",
        signer_fingerprint=fingerprint(signer),
        signed_at=datetime.now(UTC),
    )
    exit_code, out = verify(pdf, "kota-dokumen", "--ca", ca)
    report = json.loads(out)
    assert exit_code == 0, out
    assert report["status"] == "valid" and report["number"] == "7/2026"
    assert report["signer"] == "Rina Marlina, S.H."
    assert report["sha256"] == hashlib.sha256(signed).hexdigest()  # the hash kept on issue
    assert report["signing_time"]
    assert report["document"]["holder"] == "S*** N********"  # whose it is, masked

    # Another file with the same code, signed by the same officer: not the issued document.
    other = tmp_path / "lain.pdf"
    other.write_bytes(sign(content(code=code, number="7/2026"), signer))
    mismatch = runner.invoke(
        doc_app, ["verify", str(other), "--region", "kota-dokumen", "--ca", ca]
    )
    assert (mismatch.exit_code, json.loads(mismatch.stdout)["status"]) == (1, "mismatch")
    assert mismatch.stderr.startswith(
        "Tanda tangan sah, tetapi berkas ini bukan dokumen yang diterbitkan dengan kode ini. "
    )

    revoke = ["revoke", code, "--region", "kota-dokumen", "--reason"]
    refused = runner.invoke(doc_app, [*revoke, "salah"])
    assert refused.exit_code == 2 and "alasan" in refused.stderr.lower()
    revoked = runner.invoke(doc_app, [*revoke, "Data pemohon salah"])
    assert revoked.exit_code == 0, revoked.output
    assert json.loads(revoked.stdout)["number"] == "7/2026"
    assert runner.invoke(doc_app, [*revoke, "Data pemohon salah"]).exit_code == 2  # already
    assert (
        runner.invoke(
            doc_app,
            ["revoke", "tidak-ada", "--region", "kota-dokumen", "--reason", "Data pemohon salah"],
        ).exit_code
        == 2
    )
    exit_code, out = verify(pdf, "kota-dokumen", "--ca", ca)
    assert exit_code == 1
    assert json.loads(out)["status"] == "revoked"
    assert json.loads(out)["revoked_reason"] == "Data pemohon salah"

    image = tmp_path / "foto.png"
    image.write_bytes(png())
    exit_code, out = verify(image, "kota-dokumen", "--ca", ca)
    assert (exit_code, json.loads(out)["status"]) == (1, "not_pdf")

    # Usage errors: a missing file, an unknown region, a CA that is not there or not a CA.
    assert verify(tmp_path / "tidak-ada.pdf", "kota-dokumen", "--ca", ca)[0] == 2
    assert verify(pdf, "tidak-ada", "--ca", ca)[0] == 2
    assert verify(pdf, "kota-dokumen", "--ca", str(tmp_path / "tidak-ada.pem"))[0] == 2
    assert verify(pdf, "kota-dokumen", "--ca", str(image))[0] == 2
