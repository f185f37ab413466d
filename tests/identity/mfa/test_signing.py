"""Done when: a TOTP-protected officer signs a document. With second factors required, the
signing officer logs in with password and code and signs; a login proven by the password
alone is refused at the last approval, and nothing changes."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from simpul.applications.models import Application, ApplicationStatus, Task, TaskStatus
from simpul.core.settings import Settings
from simpul.documents import issuing
from simpul.documents.models import IssuedDocument
from simpul.documents.verification import issued_record
from simpul.documents.verify import VerificationStatus, verify_pdf
from simpul.identity import mfa
from tests.applications.conftest import World
from tests.applications.conftest import world as world  # noqa: PLC0414 - the fixture
from tests.conftest import ROOT, TEST_SECRET
from tests.documents.test_issuing import CONFIG, PASSPHRASE, Pki, at_last_step
from tests.documents.test_issuing import pki as pki  # noqa: PLC0414 - the fixture
from tests.documents.test_issuing import signing as signing  # noqa: PLC0414 - the fixture
from tests.factories import post_form
from tests.identity.mfa.conftest import SECRET, code


@pytest.fixture
def settings() -> Settings:
    return Settings(
        secret_key=TEST_SECRET, debug=True, data_dir=ROOT / "var" / "test", mfa_required=True
    )


def _password(client: TestClient, email: str, password: str) -> object:
    client.cookies.clear()
    return post_form(client, "/kota-uji/masuk", {"email": email, "password": password})


def test_a_totp_protected_officer_signs_a_document(
    client: TestClient,
    session: Session,
    session_factory: sessionmaker[Session],
    signing: World,
    pki: Pki,
) -> None:
    client.app.state.storage = signing.storage  # type: ignore[attr-defined]
    mfa.seed_confirmed(session, signing.approver, SECRET)
    application, task_id = at_last_step(session, signing)
    session.flush()
    officer_page = f"/kota-uji/petugas/permohonan/{application.id}"
    act = f"/kota-uji/petugas/tugas/{task_id}/tindak"

    first = _password(client, "setuju@example.org", "sandi-setuju-1")
    assert first.headers["location"] == "/kota-uji/masuk/verifikasi"  # type: ignore[attr-defined]
    assert client.get(officer_page, follow_redirects=False).status_code in (303, 401)
    second = post_form(client, "/kota-uji/masuk/verifikasi", {"code": code()})
    assert second.status_code == 303  # type: ignore[attr-defined]

    done = post_form(
        client, act, {"outcome": "approve", "passphrase": PASSPHRASE}, page=officer_page
    )
    assert done.status_code == 303, done.text  # type: ignore[attr-defined]
    issuing.issue_due(session_factory, signing.storage, CONFIG)
    session.expire_all()
    assert application.status is ApplicationStatus.COMPLETED
    document = session.scalars(
        select(IssuedDocument).where(IssuedDocument.application_id == application.id)
    ).one()
    assert document.signer_name == "Setuju Pejabat"
    with signing.storage.open(document.storage_key) as stream:
        pdf = b"".join(stream)
    records = {document.code: issued_record(document)}
    verdict = verify_pdf(pdf, pki.ca_pem, lookup=records.get)
    assert verdict.status is VerificationStatus.VALID, verdict


def test_without_the_second_factor_the_signing_is_refused(
    client: TestClient, session: Session, signing: World
) -> None:
    """The approver (penyetuju, so not forced to enrol) logs in with the password only: the
    last approval is refused with a link to the security page, and nothing changes."""
    client.app.state.storage = signing.storage  # type: ignore[attr-defined]
    application, task_id = at_last_step(session, signing)
    session.flush()
    officer_page = f"/kota-uji/petugas/permohonan/{application.id}"
    act = f"/kota-uji/petugas/tugas/{task_id}/tindak"
    assert _password(client, "setuju@example.org", "sandi-setuju-1").status_code == 303  # type: ignore[attr-defined]
    refused = post_form(
        client, act, {"outcome": "approve", "passphrase": PASSPHRASE}, page=officer_page
    )
    assert refused.status_code == 403  # type: ignore[attr-defined]
    assert "verifikasi dua langkah" in refused.text  # type: ignore[attr-defined]
    assert "/kota-uji/akun/keamanan" in refused.text  # type: ignore[attr-defined]
    session.expire_all()
    assert application.status is not ApplicationStatus.COMPLETED
    task = session.get(Task, task_id)
    assert task is not None and task.status is TaskStatus.OPEN
    assert session.scalars(select(IssuedDocument)).all() == []


def test_an_application_is_still_signed_where_second_factors_are_not_required(
    client: TestClient, session: Session, signing: World
) -> None:
    client.app.state.settings = client.app.state.settings.model_copy(  # type: ignore[attr-defined]
        update={"mfa_required": False}
    )
    client.app.state.storage = signing.storage  # type: ignore[attr-defined]
    application, task_id = at_last_step(session, signing)
    session.flush()
    officer_page = f"/kota-uji/petugas/permohonan/{application.id}"
    _password(client, "setuju@example.org", "sandi-setuju-1")
    done = post_form(
        client,
        f"/kota-uji/petugas/tugas/{task_id}/tindak",
        {"outcome": "approve", "passphrase": PASSPHRASE},
        page=officer_page,
    )
    assert done.status_code == 303  # type: ignore[attr-defined]
    session.expire_all()
    assert session.get(Application, application.id).status is ApplicationStatus.COMPLETED  # type: ignore[union-attr]
