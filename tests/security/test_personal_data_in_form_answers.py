"""Personal data typed into eForm answers (a child's NIK, a KK number, a phone, an address).

The attack: whoever reads a database dump, an officer of the agency who has nothing to do with
an application, a leaked integration token, or an e-mail relay, reads the NIKs and addresses
citizens typed into their applications, in clear. These tests read the rows with SQL, the pages
and both APIs as each kind of reader, the notifications, the logs and the issued PDF's rows.
"""

from __future__ import annotations

import io
import logging
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from simpul import cli
from simpul.accounts.models import AccountKind, StaffRoleName, User
from simpul.accounts.service import create_api_token
from simpul.applications import notices, submission, workflow
from simpul.applications.files import receive_upload
from simpul.applications.models import Application, Notification, TaskOutcome
from simpul.catalogue.repository import get_service_by_slug
from simpul.catalogue.seed import DEMO_FOLDER, load_catalogue_folder
from simpul.catalogue.standard import EForm
from simpul.core.errors import Forbidden
from simpul.core.models import AuditEvent, Region
from simpul.core.storage import LocalStorage
from tests.factories import make_region, make_user, post_form, service_seed
from tests.samples import pdf_bytes

CHILD_NIK = "3273014507150003"
FAMILY_CARD = "3273010101150009"
PHONE = "081234567890"
STREET = "Jl. Cisitu Lama No. 9"
CHILD_NAME = "Nadia Putri Ramadhani"
PURPOSE = "Pendaftaran sekolah dasar"

EFORM: dict[str, Any] = {
    "schema": {
        "type": "object",
        "title": "Surat Keterangan Anak",
        "properties": {
            "nama_anak": {"type": "string", "title": "Nama anak", "x-simpul-personal": "name"},
            "nik_anak": {
                "type": "string",
                "title": "NIK anak",
                "pattern": "^[0-9]{16}$",
                "x-simpul-personal": "nik",
            },
            "nomor_kk": {
                "type": "string",
                "title": "Nomor Kartu Keluarga",
                "pattern": "^[0-9]{16}$",
                "x-simpul-personal": "kk",
            },
            "telepon": {
                "type": "string",
                "title": "Nomor telepon",
                "pattern": r"^(\+62|0)[0-9]{8,13}$",
                "x-simpul-personal": "phone",
            },
            "alamat": {
                "type": "object",
                "title": "Alamat",
                "x-simpul-personal": "address",
                "properties": {
                    "jalan": {"type": "string", "title": "Jalan"},
                    "rt": {"type": "string", "title": "RT", "pattern": "^[0-9]{1,3}$"},
                    "kelurahan": {"type": "string", "title": "Kelurahan"},
                },
                "required": ["jalan"],
            },
            "keperluan": {"type": "string", "title": "Keperluan"},
        },
        "required": ["nama_anak", "nik_anak", "nomor_kk", "telepon", "alamat", "keperluan"],
    },
    "ui": {"nik_anak": {"widget": "nik"}},
}
ANSWERS: dict[str, Any] = {
    "nama_anak": CHILD_NAME,
    "nik_anak": CHILD_NIK,
    "nomor_kk": FAMILY_CARD,
    "telepon": PHONE,
    "alamat": {"jalan": STREET, "rt": "003", "kelurahan": "Dago"},
    "keperluan": PURPOSE,
}
#: What must never be readable where it should be masked.
SECRETS = (CHILD_NIK, FAMILY_CARD, PHONE, STREET, CHILD_NAME)
IMC = "eGovStack/GOV/90000009/sekolah"


@dataclass
class World:
    region: Region
    citizen: User
    verifier: User
    approver: User
    storage: LocalStorage

    def upload(self) -> Any:
        key = f"{self.region.slug}/test/{uuid.uuid4()}"
        return receive_upload(
            io.BytesIO(pdf_bytes()), max_bytes=1_000_000, storage=self.storage, key=key
        )


@pytest.fixture
def world(session: Session, tmp_path: Path) -> World:
    region = make_region(
        session,
        "kota-uji",
        "Kota Uji",
        [service_seed("keterangan-anak", "Surat Keterangan Anak", eform=EFORM)],
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
        "setuju@example.org",
        "sandi-setuju-1",
        AccountKind.STAFF,
        roles=[("dinas-uji", StaffRoleName.PENYETUJU)],
    )
    return World(region, citizen, verifier, approver, LocalStorage(tmp_path / "uploads"))


def submit(session: Session, world: World) -> Application:
    """The citizen applies on the web (draft, answers, KTP, send), as the pages do."""
    draft = submission.start_draft(session, world.region, world.citizen, "keterangan-anak")
    submission.save_draft(session, world.region, world.citizen, draft.id, dict(ANSWERS))
    submission.attach_document(
        session, world.region, world.citizen, draft.id, "ktp", world.upload(), "ktp.pdf"
    )
    application = submission.submit(session, world.region, world.citizen, draft.id)
    session.flush()
    return application


def log_in(client: TestClient, email: str, password: str) -> None:
    client.cookies.clear()
    response = post_form(client, "/kota-uji/masuk", {"email": email, "password": password})
    assert response.status_code == 303, response.text


def bearer(session: Session, user: User) -> dict[str, str]:
    token = create_api_token(session, user, "integrasi")[1]
    session.flush()
    return {"Authorization": f"Bearer {token}", "Information-Mediator-Client": IMC}


def personal_reads(session: Session, application: Application) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.action == "application.personal_data_read",
                AuditEvent.target_id == str(application.id),
            )
            .order_by(AuditEvent.at)
        )
    )


def whole_database_text(session: Session) -> str:
    """Every row of every table as text, the way a dump would show it."""
    tables = session.scalars(
        text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    ).all()
    return "\n".join(
        row for table in tables for row in session.scalars(text(f'SELECT t::text FROM "{table}" t'))
    )


# -- storage ------------------------------------------------------------------------------


def test_a_database_dump_shows_no_personal_answer_and_logs_hold_none(
    session: Session, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    application = submit(session, world)
    # The officer at the step returns it with a note that repeats the child's NIK.
    task = workflow.inbox(session, world.region, world.verifier).rows[0].task
    workflow.act_on_task(
        session,
        world.region,
        world.verifier,
        task.id,
        TaskOutcome.RETURN,
        f"NIK anak {CHILD_NIK} tidak cocok dengan KK.",
    )
    session.flush()

    row = session.execute(
        text("SELECT a::text FROM application a WHERE a.id = :id"), {"id": application.id}
    ).scalar_one()
    for secret in SECRETS:
        assert secret not in row, secret
    assert PURPOSE in row  # answers that are not personal stay readable (and queryable)
    dump = whole_database_text(session)
    for secret in SECRETS:
        assert secret not in dump, secret
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in SECRETS:
        assert secret not in logged, secret

    # The applicant still gets back exactly what they typed when they correct it.
    session.expire_all()
    page_data = submission.get_own_application(session, world.region, world.citizen, application.id)
    from simpul.applications import answers

    assert answers.answers_in_full(page_data) == ANSWERS


def test_a_nik_in_an_answer_is_still_found_through_its_keyed_hash(
    session: Session, world: World
) -> None:
    application = submit(session, world)
    from simpul.applications import answers

    found = answers.find_applications_naming(
        session, world.region, world.verifier, "nik", CHILD_NIK
    )
    assert [a.id for a in found] == [application.id]
    spaced = "3273 0145 0715 0003"  # typed the way it is printed on a card
    assert [
        a.id
        for a in answers.find_applications_naming(
            session, world.region, world.verifier, "nik", spaced
        )
    ] == [application.id]
    assert answers.find_applications_naming(
        session, world.region, world.verifier, "kk", FAMILY_CARD
    ) == [application]
    assert (
        answers.find_applications_naming(session, world.region, world.verifier, "nik", FAMILY_CARD)
        == []
    )
    # A citizen cannot probe other people's answers through it.
    with pytest.raises(Forbidden):
        answers.find_applications_naming(session, world.region, world.citizen, "nik", CHILD_NIK)


# -- who reads what -----------------------------------------------------------------------


def test_an_officer_not_working_on_the_application_sees_only_masks(
    client: TestClient, session: Session, world: World
) -> None:
    """The approver's step has not come yet: pages and both APIs give them masks, and the
    lists give nobody the answers."""
    client.app.state.storage = world.storage  # type: ignore[attr-defined]
    application = submit(session, world)
    headers = bearer(session, world.approver)

    log_in(client, "setuju@example.org", "sandi-setuju-1")
    page = client.get(f"/kota-uji/petugas/permohonan/{application.id}")
    assert page.status_code == 200
    assert PURPOSE in page.text and "3273••••••••0003" in page.text
    for secret in SECRETS:
        assert secret not in page.text, secret
    inbox = client.get("/kota-uji/petugas/kotak-masuk?tampil=selesai")
    for secret in SECRETS:
        assert secret not in inbox.text

    simpul_api = client.get(f"/api/kota-uji/applications/{application.id}", headers=headers)
    assert simpul_api.status_code == 200
    assert simpul_api.json()["data"]["nik_anak"] == "3273••••••••0003"
    assert simpul_api.json()["data"]["keperluan"] == PURPOSE
    govstack = client.get(
        f"/api/kota-uji/registration/applications/{application.id}", headers=headers
    )
    assert govstack.status_code == 200
    form = govstack.json()["applicationData"]["formData"]["data"]
    assert form["nik_anak"] == "3273••••••••0003" and form["keperluan"] == PURPOSE
    for body in (simpul_api.text, govstack.text):
        for secret in SECRETS:
            assert secret not in body, secret
    for listing in (
        client.get("/api/kota-uji/applications", headers=headers),
        client.get("/api/kota-uji/registration/applications", headers=headers),
    ):
        assert listing.status_code == 200 and listing.json()
        for secret in SECRETS:
            assert secret not in listing.text
    assert personal_reads(session, application) == []


def test_the_officer_at_the_current_step_sees_answers_in_full_and_each_view_is_recorded(
    client: TestClient, session: Session, world: World
) -> None:
    client.app.state.storage = world.storage  # type: ignore[attr-defined]
    application = submit(session, world)
    headers = bearer(session, world.verifier)

    log_in(client, "verif@example.org", "sandi-verif-1")
    page = client.get(f"/kota-uji/petugas/permohonan/{application.id}")
    assert CHILD_NIK in page.text and STREET in page.text and PHONE in page.text
    task = client.get("/api/kota-uji/registration/tasks", headers=headers).json()[0]
    read = client.get(f"/api/kota-uji/registration/tasks/{task['taskId']}", headers=headers)
    assert read.json()["formVariables"] == ANSWERS
    simpul_api = client.get(f"/api/kota-uji/applications/{application.id}", headers=headers)
    assert simpul_api.json()["data"] == ANSWERS

    reads = personal_reads(session, application)
    assert [(e.actor_id, e.details["channel"]) for e in reads] == [
        (world.verifier.id, "web"),
        (world.verifier.id, "api"),
        (world.verifier.id, "api"),
    ]
    assert reads[1].details["client"] == IMC
    assert "nik_anak" in reads[0].details["fields"]
    assert "alamat.jalan" in reads[0].details["fields"]
    for event in reads:
        for secret in SECRETS:
            assert secret not in str(event.details)

    # Once the verifier has approved, the file is the approver's to work on, not theirs.
    workflow.act_on_task(session, world.region, world.verifier, task["taskId"], TaskOutcome.APPROVE)
    session.flush()
    after = client.get(f"/kota-uji/petugas/permohonan/{application.id}")
    assert CHILD_NIK not in after.text and "3273••••••••0003" in after.text
    assert len(personal_reads(session, application)) == len(reads)


def test_the_citizens_own_pages_mask_what_they_are_not_editing(
    client: TestClient, session: Session, world: World
) -> None:
    client.app.state.storage = world.storage  # type: ignore[attr-defined]
    draft = submission.start_draft(session, world.region, world.citizen, "keterangan-anak")
    submission.save_draft(session, world.region, world.citizen, draft.id, dict(ANSWERS))
    session.flush()
    log_in(client, "warga@example.org", "sandi-warga-1")
    form = client.get(f"/kota-uji/permohonan/{draft.id}/isi")
    assert f'value="{CHILD_NIK}"' in form.text  # their own form: they must see what they edit

    application = submit(session, world)  # the draft is reused: the same application
    assert application.id == draft.id
    page = client.get(f"/kota-uji/permohonan/{application.id}")
    assert page.status_code == 200
    assert "3273••••••••0003" in page.text and PURPOSE in page.text
    for secret in SECRETS:
        assert secret not in page.text, secret
    # Their own scripts (a token of their own account) read their answers back whole.
    own = client.get(
        f"/api/kota-uji/applications/{application.id}", headers=bearer(session, world.citizen)
    )
    assert own.json()["data"] == ANSWERS


def test_a_nik_typed_into_an_officers_note_is_masked_in_notifications_and_emails(
    session: Session, world: World
) -> None:
    application = submit(session, world)
    task = workflow.inbox(session, world.region, world.verifier).rows[0].task
    workflow.act_on_task(
        session,
        world.region,
        world.verifier,
        task.id,
        TaskOutcome.RETURN,
        f"NIK anak {CHILD_NIK} tidak cocok dengan KK {FAMILY_CARD}.",
    )
    session.flush()
    notice = session.scalars(
        select(Notification).where(
            Notification.application_id == application.id, Notification.kind == "returned"
        )
    ).one()
    from simpul.notify.messages import compose

    message = compose(notice, world.citizen, world.region, "https://simpul.example")
    for said in (notices.text_of(notice), message.body, str(notice.params)):
        assert CHILD_NIK not in said and FAMILY_CARD not in said
        assert "3273••••••••0003" in said


# -- the issued document ------------------------------------------------------------------


def test_the_issued_pdf_prints_identifiers_but_leaves_out_contact_details(
    session: Session, world: World
) -> None:
    """The document is the citizen's own official record: the child's name, NIK, KK number
    and address are printed in full as on paper; the phone number is not part of it."""
    from datetime import date

    from simpul.documents.content import document_content

    application = submit(session, world)
    service = get_service_by_slug(session, world.region.id, "keterangan-anak")
    assert service is not None
    content = document_content(
        region=world.region,
        agency=service.agency,
        service=service,
        application=application,
        applicant_name=world.citizen.full_name,
        number="0001/UJI/2026",
        code="ABCD-EFGH",
        base_url="https://simpul.example",
        issued_on=date(2026, 5, 4),
    )
    printed = dict(content.rows)
    assert printed["NIK anak"] == CHILD_NIK
    assert printed["Nomor Kartu Keluarga"] == FAMILY_CARD
    assert printed["Alamat – Jalan"] == STREET
    assert printed["Nama anak"] == CHILD_NAME
    assert "Nomor telepon" not in printed
    assert PHONE not in str(content.rows)


# -- the catalogue ------------------------------------------------------------------------


def test_personal_marks_in_an_eform_are_checked(session: Session) -> None:
    def eform(property_schema: dict[str, Any]) -> dict[str, Any]:
        return {"schema": {"type": "object", "properties": {"isian": property_schema}}}

    EForm.model_validate(eform({"type": "string", "x-simpul-personal": "nik"}))
    for wrong in (
        {"type": "string", "x-simpul-personal": "ukuran-sepatu"},
        {"type": "string", "x-simpul-personal": True},
        {"type": "integer", "x-simpul-personal": "nik"},
        {"type": "array", "items": {"type": "string"}, "x-simpul-personal": "phone"},
    ):
        with pytest.raises(ValidationError, match="x-simpul-personal"):
            EForm.model_validate(eform(wrong))
    nested = {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"nik": {"type": "string", "x-simpul-personal": "nomor"}},
        },
    }
    with pytest.raises(ValidationError, match="isian/items/properties/nik"):
        EForm.model_validate(eform(nested))
    root = {"type": "object", "properties": {"a": {"type": "string"}}, "x-simpul-personal": "name"}
    with pytest.raises(ValidationError, match="x-simpul-personal"):
        EForm.model_validate({"schema": root})


def _personal_marks(node: dict[str, Any], path: str = "") -> dict[str, str]:
    marks = {}
    for key, child in node.get("properties", {}).items():
        child_path = f"{path}.{key}" if path else key
        if "x-simpul-personal" in child:
            marks[child_path] = child["x-simpul-personal"]
        marks.update(_personal_marks(child, child_path))
        if isinstance(child.get("items"), dict):
            marks.update(_personal_marks(child["items"], child_path))
    return marks


def test_the_demo_services_mark_their_personal_fields() -> None:
    services = {
        s.slug: s.eform.json_schema
        for agency in load_catalogue_folder(DEMO_FOLDER).agencies
        for s in agency.services
    }
    birth = _personal_marks(services["akta-kelahiran"])
    assert birth["nama_anak"] == "name"
    assert birth["nik_ayah"] == birth["nik_ibu"] == "nik"
    assert birth["nomor_kk"] == "kk"
    for slug, schema in services.items():
        marks = _personal_marks(schema)

        def walk(node: dict[str, Any], path: str, *, marked: bool, slug: str = slug) -> None:
            for key, child in node.get("properties", {}).items():
                child_path = f"{path}.{key}" if path else key
                inside = marked or "x-simpul-personal" in child
                if key.startswith("nik") or key in ("nomor_kk", "telepon"):
                    assert inside, f"{slug}: {child_path} is not marked personal"
                if key.startswith("alamat") and child.get("type") == "object":
                    assert inside, f"{slug}: {child_path} is not marked personal"
                walk(child, child_path, marked=inside)
                if isinstance(child.get("items"), dict):
                    walk(child["items"], child_path, marked=inside)

        walk(schema, "", marked=False)
        assert all(kind for kind in marks.values())


# -- applications stored before the upgrade -----------------------------------------------


def test_answers_stored_in_clear_before_the_upgrade_are_protected_by_simpul_migrate(
    session: Session,
    session_factory: sessionmaker[Session],
    engine: Engine,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from simpul.applications import answers

    application = submit(session, world)
    # What an earlier release left: the answers in clear, nothing encrypted, no hashes.
    session.execute(
        text(
            "UPDATE application SET data = CAST(:data AS jsonb), data_encrypted = NULL "
            "WHERE id = :id"
        ),
        {"data": __import__("json").dumps(ANSWERS), "id": application.id},
    )
    session.execute(
        text("DELETE FROM application_identifier WHERE application_id = :id"),
        {"id": application.id},
    )
    session.commit()
    session.expire_all()
    assert (
        answers.find_applications_naming(session, world.region, world.verifier, "nik", CHILD_NIK)
        == []
    )

    import simpul.cli.server
    import simpul.core.migrate

    monkeypatch.setattr(simpul.core.migrate, "upgrade_to_head", lambda _url: None)
    monkeypatch.setattr(simpul.cli.server, "get_engine", lambda: engine)
    monkeypatch.setattr(cli, "session_factory", lambda: session_factory)
    result = CliRunner().invoke(cli.app, ["migrate"])
    assert result.exit_code == 0, result.output
    assert "1 permohonan" in result.output

    session.expire_all()
    row = session.execute(
        text("SELECT a::text FROM application a WHERE a.id = :id"), {"id": application.id}
    ).scalar_one()
    for secret in SECRETS:
        assert secret not in row, secret
    stored = session.get(Application, application.id)
    assert stored is not None and answers.answers_in_full(stored) == ANSWERS
    assert answers.find_applications_naming(
        session, world.region, world.verifier, "nik", CHILD_NIK
    ) == [stored]
    again = CliRunner().invoke(cli.app, ["protect-personal-data"])
    assert again.exit_code == 0 and "0 permohonan" in again.output
