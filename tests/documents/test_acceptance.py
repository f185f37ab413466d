"""The issue's check, end to end on committed data: an officer approves, the worker makes the
signed PDF and mails the citizen (a real SMTP server on loopback), the citizen downloads it,
pyHanko's CLI and Poppler's pdfsig both accept it and both reject a copy with one changed byte,
``simpul doc verify`` accepts it, an officer revokes it and verification says so."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from simpul import cli
from simpul.accounts.models import AccountKind, StaffRoleName
from simpul.applications import submission, workflow
from simpul.applications.files import StoredFile
from simpul.applications.models import TaskOutcome
from simpul.core import jobs
from simpul.core.settings import Settings
from simpul.core.storage import LocalStorage
from simpul.documents import credentials, issuing
from simpul.documents.cli import doc_app
from simpul.documents.models import IssuedDocument
from simpul.documents.pki import OfficerSpec, init_region_pki
from simpul.notify import worker as notify_worker
from simpul.notify.channels import senders_from
from tests.conftest import TEST_SECRET
from tests.documents.conftest import flip_byte_in_signed_range, pdfsig
from tests.factories import make_region, make_user, post_form, service_seed
from tests.notify.conftest import committed_engine as committed_engine  # noqa: PLC0414
from tests.notify.conftest import committed_sessions as committed_sessions  # noqa: PLC0414
from tests.notify.conftest import committed_url as committed_url  # noqa: PLC0414
from tests.notify.conftest import make_config, running_mail_server

PASSPHRASE = "frasa-sandi-penerimaan"
PYHANKO_CLI = Path(sys.executable).parent / "pyhanko"


@pytest.fixture
def web(committed_engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    from simpul.web.app import create_app

    settings = Settings(secret_key=TEST_SECRET, debug=True, data_dir=tmp_path)
    app = create_app(settings, committed_engine)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def nss_trusting(ca_path: Path, directory: Path) -> str:
    database = f"sql:{directory}"
    subprocess.run(["certutil", "-N", "-d", database, "--empty-password"], check=True)
    subprocess.run(
        ["certutil", "-A", "-d", database, "-n", "ca", "-t", "CT,C,C", "-i", str(ca_path)],
        check=True,
    )
    return database


def pyhanko_validate(pdf: bytes, ca_path: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "diunduh.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        [
            str(PYHANKO_CLI),
            "sign",
            "validate",
            "--trust",
            str(ca_path),
            "--trust-replace",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )


def test_approve_mail_download_validate_verify_revoke(
    committed_engine: Engine,
    committed_sessions: sessionmaker[Session],
    web: TestClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slug = f"kota-{uuid.uuid4().hex[:8]}"
    pki_dir = tmp_path / "pki" / slug
    pki = init_region_pki(
        pki_dir,
        slug,
        "Kota Penerimaan",
        [OfficerSpec("Dewi Lestari", "dewi@example.org")],
        PASSPHRASE.encode(),
    )
    storage = LocalStorage(tmp_path / "uploads")
    web.app.state.storage = storage  # type: ignore[attr-defined]
    with committed_sessions() as session, session.begin():
        region = make_region(
            session, slug, "Kota Penerimaan", [service_seed("izin-uji", "Izin Uji")]
        )
        citizen = make_user(session, region, "warga@example.org", "sandi-warga-1")
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
            "dewi@example.org",
            "sandi-dewi-12",
            AccountKind.STAFF,
            roles=[("dinas-uji", StaffRoleName.PENYETUJU)],
        )
        credentials.enrol(
            session,
            region,
            approver,
            pki.officer_paths["dewi@example.org"].read_bytes(),
            PASSPHRASE,
            actor_label="test",
        )
        draft = submission.start_draft(session, region, citizen, "izin-uji")
        submission.save_draft(session, region, citizen, draft.id, {"nama": "Siti Rahayu"})
        stored = storage_upload(storage, slug)
        submission.attach_document(session, region, citizen, draft.id, "ktp", stored, "ktp.pdf")
        submission.submit(session, region, citizen, draft.id)
        task = workflow.inbox(session, region, verifier).rows[0].task
        workflow.act_on_task(session, region, verifier, task.id, TaskOutcome.APPROVE)
        application_id = draft.id
    final_task = None
    with committed_sessions() as session, session.begin():
        final_task = workflow.inbox(session, region, approver).rows[0].task.id

    # The officer approves on the page, with the passphrase of their key.
    officer_page = f"/{slug}/petugas/permohonan/{application_id}"
    post_form(web, f"/{slug}/masuk", {"email": "dewi@example.org", "password": "sandi-dewi-12"})
    approved = post_form(
        web,
        f"/{slug}/petugas/tugas/{final_task}/tindak",
        {"outcome": "approve", "passphrase": PASSPHRASE},
        page=officer_page,
    )
    assert approved.status_code == 303, approved.text

    # The worker makes the document and delivers the mails (what `simpul worker` runs).
    with running_mail_server() as mail:
        config = make_config(mail.port)
        issue = issuing.IssueConfig(public_url="https://layanan.example.go.id")
        steps = [
            notify_worker.delivery_step(committed_engine, config, senders_from(config.smtp, 5)),
            issuing.issuing_step(committed_engine, storage, issue),
        ]
        assert jobs.run_steps_once(steps) >= 3  # two mails and one document
    with committed_sessions() as session:
        document = session.scalars(
            select(IssuedDocument).where(IssuedDocument.application_id == application_id)
        ).one()
    bodies = [m.get_body(("plain",)).get_content() for m in mail.messages]  # type: ignore[union-attr]
    assert all(m["To"] == "warga@example.org" for m in mail.messages)
    issued_mail = next(body for body in bodies if document.number in body)
    assert f"https://layanan.example.go.id/{slug}/permohonan/{application_id}" in issued_mail

    # The citizen downloads it.
    web.cookies.clear()
    post_form(web, f"/{slug}/masuk", {"email": "warga@example.org", "password": "sandi-warga-1"})
    answer = web.get(f"/{slug}/permohonan/{application_id}/dokumen-hasil")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    pdf = answer.content
    changed = flip_byte_in_signed_range(pdf)

    # pyHanko's CLI and Poppler's pdfsig, with the region CA as the only trust root.
    if PYHANKO_CLI.exists():
        good = pyhanko_validate(pdf, pki.ca_path, tmp_path)
        assert good.returncode == 0, good.stdout + good.stderr
        assert good.stdout.strip().endswith(":INTACT:TRUSTED,UNTOUCHED")
        bad = pyhanko_validate(changed, pki.ca_path, tmp_path)
        assert bad.returncode != 0 and ":INVALID" in bad.stdout
    nss_dir = tmp_path / "nss"
    nss_dir.mkdir()
    nss = nss_trusting(pki.ca_path, nss_dir)
    accepted = pdfsig(pdf, nss, tmp_path)
    assert "Signature is Valid." in accepted and "Certificate is Trusted." in accepted
    assert "Dewi Lestari" in accepted
    rejected = pdfsig(changed, nss, tmp_path)
    assert "Signature is Valid" not in rejected and "Digest Mismatch" in rejected

    # `simpul doc verify`: 0 for the document, 1 for the changed copy, then revoked.
    monkeypatch.setattr(cli, "session_factory", lambda: committed_sessions)
    runner = CliRunner()
    downloaded = tmp_path / "dokumen.pdf"
    downloaded.write_bytes(pdf)
    (tmp_path / "ubah.pdf").write_bytes(changed)
    verify = ["verify", "--region", slug, "--ca", str(pki.ca_path)]
    ok = runner.invoke(doc_app, [*verify, str(downloaded)])
    assert ok.exit_code == 0, ok.output
    assert '"status": "valid"' in ok.output and document.number in ok.output
    assert runner.invoke(doc_app, [*verify, str(tmp_path / "ubah.pdf")]).exit_code == 1
    web.cookies.clear()
    post_form(web, f"/{slug}/masuk", {"email": "dewi@example.org", "password": "sandi-dewi-12"})
    revoked = post_form(
        web,
        f"{officer_page}/dokumen-hasil/cabut",
        {"reason": "Salah ketik nama pemohon."},
        page=officer_page,
    )
    assert revoked.status_code == 303, revoked.text
    after = runner.invoke(doc_app, [*verify, str(downloaded)])
    assert after.exit_code == 1 and '"status": "revoked"' in after.output
    page = web.get(f"/{slug}/verifikasi/{document.code}").text
    assert "Salah ketik nama pemohon." in page


def storage_upload(storage: LocalStorage, slug: str) -> StoredFile:
    """A real PDF stored as the citizen's KTP scan."""
    import io

    from simpul.applications.files import receive_upload
    from tests.samples import pdf_bytes

    return receive_upload(
        io.BytesIO(pdf_bytes()), max_bytes=1_000_000, storage=storage, key=f"{slug}/ktp.pdf"
    )
