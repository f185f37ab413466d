"""Issuing documents after approval: the passphrase at the last step, the worker's job, retries,
re-issuing, and downloads from the pages and the API."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import uuid
from dataclasses import dataclass
from datetime import timedelta
from io import BytesIO
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pyhanko.pdf_utils.reader import PdfFileReader
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from simpul.accounts.models import AccountKind, StaffRoleName
from simpul.applications import submission, workflow
from simpul.applications.models import (
    Application,
    ApplicationEvent,
    ApplicationStatus,
    Notification,
    TaskOutcome,
    TaskStatus,
)
from simpul.core.errors import Conflict, Forbidden, InvalidInput
from simpul.core.models import AuditEvent, utcnow
from simpul.core.storage import LocalStorage
from simpul.documents import credentials, issuing
from simpul.documents.models import DocumentJob, DocumentJobStatus, IssuedDocument
from simpul.documents.pki import OfficerSpec, init_region_pki
from simpul.documents.verification import issued_record
from simpul.documents.verify import VerificationStatus, verify_pdf
from tests.applications.conftest import VALID_DATA, World
from tests.applications.conftest import world as world  # noqa: PLC0414 - the fixture
from tests.applications.test_api import bearer
from tests.applications.test_pages import log_in
from tests.documents.test_timestamp import region_ca as region_ca  # noqa: PLC0414
from tests.factories import make_user, post_form
from tests.support.devserver import free_port

PASSPHRASE = "frasa-sandi-uji-ttd"
CONFIG = issuing.IssueConfig(public_url="https://layanan.example.go.id", max_attempts=3)


@dataclass(frozen=True)
class Pki:
    ca_pem: bytes
    p12: dict[str, bytes]


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    directory = tmp_path_factory.mktemp("pki-issue")
    made = init_region_pki(
        directory,
        "kota-uji",
        "Kota Uji",
        [
            OfficerSpec("Setuju Pejabat", "setuju@example.org"),
            OfficerSpec("Kedua Pejabat", "kedua@example.org"),
        ],
        PASSPHRASE.encode(),
    )
    return Pki(
        made.ca_path.read_bytes(),
        {email: path.read_bytes() for email, path in made.officer_paths.items()},
    )


@pytest.fixture
def signing(session: Session, world: World, pki: Pki) -> World:
    """The test region signs: its approver holds a credential."""
    credentials.enrol(
        session,
        world.region,
        world.approver,
        pki.p12["setuju@example.org"],
        PASSPHRASE,
        actor_label="test",
    )
    return world


def at_last_step(session: Session, world: World) -> tuple[Application, uuid.UUID]:
    """A submitted application that passed verification: its approval task is open."""
    draft = submission.start_draft(session, world.region, world.citizen, world.service_slug)
    submission.save_draft(session, world.region, world.citizen, draft.id, dict(VALID_DATA))
    submission.attach_document(
        session, world.region, world.citizen, draft.id, "ktp", world.upload(), "ktp.pdf"
    )
    application = submission.submit(session, world.region, world.citizen, draft.id)
    task = workflow.inbox(session, world.region, world.verifier).rows[0].task
    workflow.act_on_task(session, world.region, world.verifier, task.id, TaskOutcome.APPROVE)
    final = workflow.inbox(session, world.region, world.approver).rows[0].task
    return application, final.id


def approve(session: Session, world: World) -> Application:
    application, task_id = at_last_step(session, world)
    workflow.act_on_task(
        session,
        world.region,
        world.approver,
        task_id,
        TaskOutcome.APPROVE,
        signing_passphrase=PASSPHRASE,
    )
    session.flush()
    return application


def jobs_of(session: Session, application: Application) -> list[DocumentJob]:
    return list(
        session.scalars(
            select(DocumentJob)
            .where(DocumentJob.application_id == application.id)
            .order_by(DocumentJob.created_at)
        )
    )


def issued_of(session: Session, application: Application) -> list[IssuedDocument]:
    return list(
        session.scalars(
            select(IssuedDocument).where(IssuedDocument.application_id == application.id)
        )
    )


def blocked_storage(tmp_path: Path) -> tuple[LocalStorage, Path]:
    """Local storage whose ``issued/`` directory cannot be made (a file is in the way)."""
    root = tmp_path / "blocked"
    root.mkdir()
    blocker = root / "issued"
    blocker.write_bytes(b"not a directory")
    return LocalStorage(root), blocker


def test_a_region_without_certificates_completes_without_a_document(
    session: Session, world: World
) -> None:
    application, task_id = at_last_step(session, world)
    workflow.act_on_task(session, world.region, world.approver, task_id, TaskOutcome.APPROVE)
    assert application.status is ApplicationStatus.COMPLETED
    assert jobs_of(session, application) == []
    assert issuing.document_state(session, world.region, application.id).status == "none"


@pytest.mark.parametrize(
    ("passphrase", "message"),
    [(None, "Isi frasa sandi"), ("", "Isi frasa sandi"), ("tebakan-salah", "salah")],
)
def test_the_last_approval_needs_the_right_passphrase_and_changes_nothing_without_it(
    session: Session, signing: World, passphrase: str | None, message: str
) -> None:
    application, task_id = at_last_step(session, signing)
    with pytest.raises(InvalidInput) as refused:
        workflow.act_on_task(
            session,
            signing.region,
            signing.approver,
            task_id,
            TaskOutcome.APPROVE,
            signing_passphrase=passphrase,
        )
    assert message in refused.value.message
    assert refused.value.field_errors().keys() == {"passphrase"}
    session.expire_all()
    assert application.status is ApplicationStatus.SUBMITTED
    task = workflow.inbox(session, signing.region, signing.approver).rows[0].task
    assert task.id == task_id and task.status is TaskStatus.OPEN
    assert jobs_of(session, application) == []


def test_returning_or_rejecting_at_the_last_step_needs_no_passphrase(
    session: Session, signing: World
) -> None:
    application, task_id = at_last_step(session, signing)
    workflow.act_on_task(
        session,
        signing.region,
        signing.approver,
        task_id,
        TaskOutcome.REJECT,
        "Berkas usaha tidak sesuai dengan lokasi.",
    )
    assert application.status is ApplicationStatus.REJECTED
    assert jobs_of(session, application) == []


def test_an_approver_without_a_certificate_cannot_sign(session: Session, signing: World) -> None:
    colleague = make_user(
        session,
        signing.region,
        "kedua@example.org",
        "sandi-kedua-12",
        AccountKind.STAFF,
        roles=[("dinas-uji", StaffRoleName.PENYETUJU)],
    )
    application, task_id = at_last_step(session, signing)
    with pytest.raises(Conflict) as refused:
        workflow.act_on_task(
            session,
            signing.region,
            colleague,
            task_id,
            TaskOutcome.APPROVE,
            signing_passphrase=PASSPHRASE,
        )
    assert "belum memiliki sertifikat" in refused.value.message
    assert application.status is ApplicationStatus.SUBMITTED


def test_approval_queues_a_job_and_keeps_the_passphrase_only_encrypted(
    session: Session, signing: World
) -> None:
    application = approve(session, signing)
    assert application.status is ApplicationStatus.COMPLETED
    (job,) = jobs_of(session, application)
    assert job.status is DocumentJobStatus.QUEUED and job.attempts == 0
    assert re.fullmatch(r"\d{5}/DISUJI/\d{4}", job.number)
    assert job.passphrase_encrypted and PASSPHRASE not in job.passphrase_encrypted
    assert issuing.document_state(session, signing.region, application.id).status == "preparing"
    # Numbers run on within the region's year.
    second = approve(session, signing)
    (next_job,) = jobs_of(session, second)
    assert int(next_job.number[:5]) == int(job.number[:5]) + 1


def test_the_worker_issues_a_signed_document_and_tells_the_citizen(
    session: Session, session_factory: sessionmaker[Session], signing: World, pki: Pki
) -> None:
    application = approve(session, signing)
    assert issuing.issue_due(session_factory, signing.storage, CONFIG) == 1
    session.expire_all()
    (job,) = jobs_of(session, application)
    assert job.status is DocumentJobStatus.DONE and job.passphrase_encrypted is None
    (document,) = issued_of(session, application)
    assert (document.number, document.code) == (job.number, job.code)
    assert document.signer_name == "Setuju Pejabat"
    with signing.storage.open(document.storage_key) as stream:
        pdf = b"".join(stream)
    assert hashlib.sha256(pdf).hexdigest() == document.sha256
    records = {document.code: issued_record(document)}
    verdict = verify_pdf(pdf, pki.ca_pem, lookup=records.get)
    assert verdict.status is VerificationStatus.VALID, verdict
    assert verdict.number == job.number
    kinds = session.scalars(
        select(Notification.kind).where(Notification.application_id == application.id)
    ).all()
    assert "document_issued" in kinds
    actions = session.scalars(
        select(ApplicationEvent.action).where(ApplicationEvent.application_id == application.id)
    ).all()
    assert actions[-1] == "document_issued"
    state = issuing.document_state(session, signing.region, application.id)
    assert (state.status, state.code) == ("issued", document.code)
    assert issuing.issue_due(session_factory, signing.storage, CONFIG) == 0


def test_a_failing_job_is_retried_and_the_application_stays_completed(
    session: Session,
    session_factory: sessionmaker[Session],
    signing: World,
    tmp_path: Path,
) -> None:
    application = approve(session, signing)
    storage, blocker = blocked_storage(tmp_path)
    assert issuing.issue_due(session_factory, storage, CONFIG) == 1
    session.expire_all()
    (job,) = jobs_of(session, application)
    assert job.status is DocumentJobStatus.QUEUED and job.attempts == 1
    assert job.last_error and job.passphrase_encrypted
    assert job.next_attempt_at > utcnow()
    assert issued_of(session, application) == []
    assert application.status is ApplicationStatus.COMPLETED
    assert issuing.document_state(session, signing.region, application.id).status == "preparing"
    # Not due yet: nothing happens; once the storage is back and the time has come, it is made.
    assert issuing.issue_due(session_factory, storage, CONFIG) == 0
    blocker.unlink()
    later = utcnow() + timedelta(hours=2)
    assert issuing.issue_due(session_factory, storage, CONFIG, now=later) == 1
    session.expire_all()
    assert job.status is DocumentJobStatus.DONE and job.attempts == 2
    assert len(issued_of(session, application)) == 1


def test_after_the_last_try_the_job_is_dead_and_an_officer_issues_it_again(
    session: Session,
    session_factory: sessionmaker[Session],
    signing: World,
    tmp_path: Path,
) -> None:
    application = approve(session, signing)
    storage, blocker = blocked_storage(tmp_path)
    once = issuing.IssueConfig(public_url=CONFIG.public_url, max_attempts=1)
    assert issuing.issue_due(session_factory, storage, once) == 1
    session.expire_all()
    (job,) = jobs_of(session, application)
    assert job.status is DocumentJobStatus.DEAD and job.passphrase_encrypted is None
    assert issuing.document_state(session, signing.region, application.id).status == "failed"
    # Only approvers or agency admins of the agency; and with the right passphrase.
    with pytest.raises(Forbidden):
        issuing.reissue(session, signing.region, signing.verifier, application.id, PASSPHRASE)
    with pytest.raises(InvalidInput):
        issuing.reissue(session, signing.region, signing.approver, application.id, "salah")
    issuing.reissue(session, signing.region, signing.approver, application.id, PASSPHRASE)
    with pytest.raises(Conflict):  # one at a time
        issuing.reissue(session, signing.region, signing.approver, application.id, PASSPHRASE)
    session.flush()
    blocker.unlink()
    assert issuing.issue_due(session_factory, storage, once) == 1
    session.expire_all()
    first, second = jobs_of(session, application)
    assert (first.status, second.status) == (DocumentJobStatus.DEAD, DocumentJobStatus.DONE)
    assert first.number != second.number
    (document,) = issued_of(session, application)
    assert document.number == second.number


def test_a_job_whose_worker_died_is_taken_over_after_its_lease(
    session: Session, session_factory: sessionmaker[Session], signing: World
) -> None:
    application = approve(session, signing)
    (job,) = jobs_of(session, application)
    job.status = DocumentJobStatus.WORKING
    job.attempts = 1
    job.next_attempt_at = utcnow() - timedelta(seconds=1)
    session.flush()
    assert issuing.issue_due(session_factory, signing.storage, CONFIG) == 1
    session.expire_all()
    assert job.status is DocumentJobStatus.DONE and job.attempts == 2


def test_owner_and_officers_download_it_strangers_do_not(
    client: TestClient,
    session: Session,
    session_factory: sessionmaker[Session],
    signing: World,
) -> None:
    client.app.state.storage = signing.storage  # type: ignore[attr-defined]
    application = approve(session, signing)
    waiting = at_last_step(session, signing)[0]
    citizen = bearer(session, signing.citizen)
    listed = client.get("/api/kota-uji/applications", headers=citizen).json()
    assert {a["id"]: a["document_url"] for a in listed} == {
        str(application.id): None,
        str(waiting.id): None,
    }
    path = f"/api/kota-uji/applications/{application.id}/document"
    assert client.get(path, headers=citizen).status_code == 404  # not made yet
    issuing.issue_due(session_factory, signing.storage, CONFIG)
    listed = client.get("/api/kota-uji/applications", headers=citizen).json()
    assert {a["id"]: a["document_url"] for a in listed} == {
        str(application.id): path,
        str(waiting.id): None,
    }
    answer = client.get(path, headers=citizen)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert (
        answer.content.startswith(b"%PDF") and "attachment" in answer.headers["content-disposition"]
    )
    (document,) = issued_of(session, application)
    assert hashlib.sha256(answer.content).hexdigest() == document.sha256
    for stranger in (signing.other_citizen, signing.other_agency_officer):
        assert client.get(path, headers=bearer(session, stranger)).status_code == 404
    assert client.get(path).status_code == 401
    officer = client.get(path, headers=bearer(session, signing.verifier))
    assert officer.status_code == 200
    audited = session.scalars(
        select(AuditEvent.actor_label).where(AuditEvent.action == "document.download")
    ).all()
    assert audited == [signing.verifier.email]


def test_pages_sign_download_revoke_and_reissue(
    client: TestClient,
    session: Session,
    session_factory: sessionmaker[Session],
    signing: World,
) -> None:
    client.app.state.storage = signing.storage  # type: ignore[attr-defined]
    application, task_id = at_last_step(session, signing)
    session.flush()
    officer_page = f"/kota-uji/petugas/permohonan/{application.id}"
    log_in(client, "setuju@example.org", "sandi-setuju-1")
    page = client.get(officer_page).text
    assert 'name="passphrase"' in page and "Setuju Pejabat" in page
    act = f"/kota-uji/petugas/tugas/{task_id}/tindak"
    wrong = post_form(
        client, act, {"outcome": "approve", "passphrase": "keliru"}, page=officer_page
    )
    assert wrong.status_code == 422 and "Frasa sandi tanda tangan salah" in wrong.text
    assert "keliru" not in wrong.text  # never echoed back
    done = post_form(
        client, act, {"outcome": "approve", "passphrase": PASSPHRASE}, page=officer_page
    )
    assert done.status_code == 303, done.text
    assert "sedang dibuat" in client.get(officer_page).text
    issuing.issue_due(session_factory, signing.storage, CONFIG)
    session.expire_all()
    (document,) = issued_of(session, application)
    page = client.get(officer_page).text
    assert document.number in page and "Cabut dokumen" in page

    log_in(client, "warga@example.org", "sandi-warga-1")
    mine = client.get(f"/kota-uji/permohonan/{application.id}").text
    download = f"/kota-uji/permohonan/{application.id}/dokumen-hasil"
    assert download in mine and f"/kota-uji/verifikasi/{document.code}" in mine
    pdf = client.get(download)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    log_in(client, "setuju@example.org", "sandi-setuju-1")
    revoke = f"{officer_page}/dokumen-hasil/cabut"
    short = post_form(client, revoke, {"reason": "salah"}, page=officer_page)
    assert short.status_code == 422 and "Alasan pencabutan" in short.text
    revoked = post_form(
        client, revoke, {"reason": "Data usaha keliru, diterbitkan ulang."}, page=officer_page
    )
    assert revoked.status_code == 303
    session.expire_all()
    assert document.revoked_at is not None
    told = session.scalars(
        select(Notification).where(
            Notification.application_id == application.id,
            Notification.kind == "document_revoked",
        )
    ).one()
    assert told.params["document"] == document.number
    assert told.params["note"] == "Data usaha keliru, diterbitkan ulang."
    verification = client.get(f"/kota-uji/verifikasi/{document.code}").text
    assert "dicabut" in verification.lower()
    reissue = f"{officer_page}/dokumen-hasil/terbitkan"
    again = post_form(client, reissue, {"passphrase": PASSPHRASE}, page=officer_page)
    assert again.status_code == 303
    issuing.issue_due(session_factory, signing.storage, CONFIG)
    session.expire_all()
    assert len(issued_of(session, application)) == 2

    log_in(client, "warga@example.org", "sandi-warga-1")
    assert client.get(download).status_code == 200


def test_the_demo_citizen_gets_signed_documents(
    session: Session, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    from simpul.demo.seed import seed_demo

    storage = LocalStorage(tmp_path / "uploads")
    report = seed_demo(session, storage, tmp_path)
    session.flush()
    ca_pem = (tmp_path / "pki" / "kota-bandung" / "ca.pem").read_bytes()
    assert issuing.issue_due(session_factory, storage, CONFIG) == 2
    documents = session.scalars(
        select(IssuedDocument).where(IssuedDocument.region_id == report.region.id)
    ).all()
    assert sorted(d.signer_name for d in documents) == ["Asep Sunandar", "Rina Marlina"]
    for document in documents:
        with storage.open(document.storage_key) as stream:
            pdf = b"".join(stream)
        records = {document.code: issued_record(document)}
        assert verify_pdf(pdf, ca_pem, lookup=records.get).status is VerificationStatus.VALID
    # Seeding again neither makes new keys nor new documents.
    seed_demo(session, storage, tmp_path)
    assert issuing.issue_due(session_factory, storage, CONFIG) == 0


def test_with_a_time_stamp_authority_the_signature_carries_its_token(
    session: Session,
    session_factory: sessionmaker[Session],
    signing: World,
    region_ca: tuple[bytes, object, str],
) -> None:
    application = approve(session, signing)
    with_tsa = issuing.IssueConfig(public_url=CONFIG.public_url, tsa_url=region_ca[2])
    assert issuing.issue_due(session_factory, signing.storage, with_tsa) == 1
    (document,) = issued_of(session, application)
    with signing.storage.open(document.storage_key) as stream:
        pdf = b"".join(stream)
    (signature,) = PdfFileReader(BytesIO(pdf)).embedded_signatures
    unsigned = signature.signer_info["unsigned_attrs"].native
    assert any(a["type"] == "signature_time_stamp_token" for a in unsigned)


def test_an_unreachable_time_stamp_authority_fails_the_job_for_a_retry(
    session: Session, session_factory: sessionmaker[Session], signing: World
) -> None:
    application = approve(session, signing)
    nowhere = issuing.IssueConfig(
        public_url=CONFIG.public_url, tsa_url=f"http://127.0.0.1:{free_port()}/tsa"
    )
    assert issuing.issue_due(session_factory, signing.storage, nowhere) == 1
    session.expire_all()
    (job,) = jobs_of(session, application)
    assert job.status is DocumentJobStatus.QUEUED and "Timestamp" in job.last_error
    assert issued_of(session, application) == []


SOFTHSM = Path("/usr/lib/softhsm/libsofthsm2.so")
TOKEN_PIN = "246810"


@dataclass(frozen=True)
class Token:
    label: str
    key_label: str
    ca_pem: bytes


@pytest.fixture(scope="session")
def softhsm_token(tmp_path_factory: pytest.TempPathFactory) -> Token:
    """A SoftHSM2 token (a real PKCS#11 implementation) holding an officer's EC key and
    certificate, as an HSM or a smart card would."""
    from cryptography.hazmat.primitives import serialization
    from pkcs11 import Attribute, CertificateType, ObjectClass
    from pkcs11 import lib as pkcs11_lib

    from simpul.documents.pki import make_ca, make_officer_certificate

    if not SOFTHSM.exists():
        pytest.fail(f"{SOFTHSM} is missing: install Debian's softhsm2 package (make tools)")
    directory = tmp_path_factory.mktemp("softhsm")
    (directory / "tokens").mkdir()
    config = directory / "softhsm2.conf"
    config.write_text(
        f"directories.tokendir = {directory / 'tokens'}\nobjectstore.backend = file\n"
        "log.level = ERROR\n"
    )
    os.environ["SOFTHSM2_CONF"] = str(config)  # read when the library is first loaded
    util = ["softhsm2-util"]
    subprocess.run(
        [
            *util,
            "--init-token",
            "--free",
            "--label",
            "ttd-uji",
            "--pin",
            TOKEN_PIN,
            "--so-pin",
            "135790",
        ],
        check=True,
        capture_output=True,
    )
    ca_key, ca = make_ca("Kota Uji")
    key, certificate = make_officer_certificate(
        OfficerSpec("Setuju Pejabat", "setuju@example.org"), "Kota Uji", ca_key, ca
    )
    key_path = directory / "officer.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    subprocess.run(
        [
            *util,
            "--import",
            str(key_path),
            "--token",
            "ttd-uji",
            "--label",
            "setuju",
            "--id",
            "01",
            "--pin",
            TOKEN_PIN,
        ],
        check=True,
        capture_output=True,
    )
    key_path.unlink()
    token = pkcs11_lib(str(SOFTHSM)).get_token(token_label="ttd-uji")
    with token.open(rw=True, user_pin=TOKEN_PIN) as session:
        session.create_object(
            {
                Attribute.CLASS: ObjectClass.CERTIFICATE,
                Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                Attribute.TOKEN: True,
                Attribute.LABEL: "setuju",
                Attribute.ID: b"\x01",
                Attribute.SUBJECT: certificate.subject.public_bytes(),
                Attribute.VALUE: certificate.public_bytes(serialization.Encoding.DER),
            }
        )
    return Token("ttd-uji", "setuju", ca.public_bytes(serialization.Encoding.PEM))


def test_an_officer_signs_with_a_key_on_a_pkcs11_token(
    session: Session,
    session_factory: sessionmaker[Session],
    world: World,
    softhsm_token: Token,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(credentials, "_module", lambda: str(SOFTHSM))
    with pytest.raises(InvalidInput) as wrong:
        credentials.enrol_token(
            session,
            world.region,
            world.approver,
            token_label="ttd-uji",
            key_label="setuju",
            pin="000000",
            actor_label="test",
        )
    assert "PIN" in wrong.value.message
    with pytest.raises(InvalidInput):
        credentials.enrol_token(
            session,
            world.region,
            world.approver,
            token_label="ttd-uji",
            key_label="tidak-ada",
            pin=TOKEN_PIN,
            actor_label="test",
        )
    credential = credentials.enrol_token(
        session,
        world.region,
        world.approver,
        token_label="ttd-uji",
        key_label="setuju",
        pin=TOKEN_PIN,
        actor_label="test",
    )
    assert (credential.kind, credential.pkcs12) == ("pkcs11", None)
    application, task_id = at_last_step(session, world)
    with pytest.raises(InvalidInput):
        workflow.act_on_task(
            session,
            world.region,
            world.approver,
            task_id,
            TaskOutcome.APPROVE,
            signing_passphrase="111111",
        )
    workflow.act_on_task(
        session,
        world.region,
        world.approver,
        task_id,
        TaskOutcome.APPROVE,
        signing_passphrase=TOKEN_PIN,
    )
    session.flush()
    on_token = issuing.IssueConfig(public_url=CONFIG.public_url, pkcs11_module=str(SOFTHSM))
    assert issuing.issue_due(session_factory, world.storage, on_token) == 1
    session.expire_all()
    (job,) = jobs_of(session, application)
    assert job.status is DocumentJobStatus.DONE, job.last_error
    (document,) = issued_of(session, application)
    with world.storage.open(document.storage_key) as stream:
        pdf = b"".join(stream)
    records = {document.code: issued_record(document)}
    verdict = verify_pdf(pdf, softhsm_token.ca_pem, lookup=records.get)
    assert verdict.status is VerificationStatus.VALID, verdict
    assert verdict.signer_name == "Setuju Pejabat"


def test_the_cli_enrols_a_pkcs12_file_and_a_token_key(
    session: Session,
    session_factory: sessionmaker[Session],
    world: World,
    pki: Pki,
    softhsm_token: Token,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    from simpul import cli
    from simpul.documents.cli import pki_app

    monkeypatch.setattr(cli, "session_factory", lambda: session_factory)
    monkeypatch.setattr(credentials, "_module", lambda: str(SOFTHSM))
    p12 = tmp_path / "setuju.p12"
    p12.write_bytes(pki.p12["setuju@example.org"])
    runner = CliRunner()
    base = ["--region", "kota-uji", "--email", "setuju@example.org"]
    monkeypatch.setenv("UJI_PASS", "salah-frasa")
    wrong = runner.invoke(pki_app, ["enrol", str(p12), *base, "--passphrase-env", "UJI_PASS"])
    assert wrong.exit_code == 2 and "salah" in wrong.output
    monkeypatch.setenv("UJI_PASS", PASSPHRASE)
    done = runner.invoke(pki_app, ["enrol", str(p12), *base, "--passphrase-env", "UJI_PASS"])
    assert done.exit_code == 0, done.output
    assert '"subject": "Setuju Pejabat"' in done.output
    monkeypatch.setenv("UJI_PIN", TOKEN_PIN)
    token = runner.invoke(
        pki_app,
        [
            "enrol-token",
            *base,
            "--token-label",
            softhsm_token.label,
            "--key-label",
            softhsm_token.key_label,
            "--pin-env",
            "UJI_PIN",
        ],
    )
    assert token.exit_code == 0, token.output
    active = credentials.active_credential(session, world.region, world.approver)
    assert active is not None and active.kind == "pkcs11"  # the token replaced the file
