"""Attack: upload a PDF that acts when an officer opens it.

Requirement documents are opened by officers in their browsers and desktop readers. A PDF can
carry JavaScript (run on opening, by a page, or by the document-level name tree), launch a
program, leak credentials through a remote link, carry another file (a program) inside it,
play rich media, bring an XFA form with its own scripts, or send form data away by itself.
Such PDFs are refused with a message saying what to do, wherever the active content hides: in
a compressed object stream, behind an indirect reference, in an appended revision, or spelt
with #-escapes. Nothing is stored.

Password-protected PDFs (a password is needed to open them) cannot be checked or read by
officers: refused. PDFs qpdf cannot read at all: refused. A readable PDF whose cross-reference
table is broken is stored as qpdf repaired it, so every reader sees the document that was
checked (decision 0023).
"""

# ruff: noqa: F811 - ``world`` is a fixture of tests/applications, imported to be a parameter

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.accounts.service import create_api_token
from simpul.applications.models import Document
from tests.api_errors import api_error
from tests.applications.conftest import (
    World,
    world,  # noqa: F401 - fixture
)
from tests.applications.test_pages import log_in, start
from tests.applications.test_pages import upload as page_upload
from tests.security import hostile_files
from tests.security.hostile_files import HOSTILE_PDFS, TELLTALES

WHAT = {
    "open_action_javascript": "JavaScript",
    "open_action_javascript_in_object_stream": "JavaScript",
    "javascript_name_tree": "JavaScript",
    "page_additional_action": "JavaScript",
    "launch_action": "menjalankan program",
    "remote_goto_action": "menjalankan program",
    "embedded_file": "berkas lain",
    "file_attachment_annotation": "berkas lain",
    "rich_media": "multimedia",
    "xfa_form": "XFA",
    "open_action_submit_form": "mengirim",
    "open_action_goto_then_uri": "otomatis",
    "javascript_in_appended_revision": "JavaScript",
    "escaped_names": "JavaScript",
}


@pytest.fixture
def api(client: TestClient, session: Session, world: World) -> TestClient:
    client.app.state.storage = world.storage  # type: ignore[attr-defined]
    token = create_api_token(session, world.citizen, "unggah")[1]
    session.flush()
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def send(client: TestClient, content: bytes, name: str = "surat.pdf") -> object:
    return client.post("/api/kota-uji/registration/documents", files=[("file", (name, content))])


def stored(world: World) -> list[Path]:
    root = world.storage.root
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_the_hidden_variants_really_hide_from_a_byte_search() -> None:
    for name in ("open_action_javascript_in_object_stream", "javascript_name_tree"):
        data = HOSTILE_PDFS[name]()
        assert not any(telltale in data for telltale in TELLTALES), name


@pytest.mark.parametrize("name", sorted(HOSTILE_PDFS))
def test_pdf_with_active_content_is_refused_and_nothing_is_stored(
    api: TestClient,
    session: Session,
    world: World,
    name: str,
) -> None:
    response = send(api, HOSTILE_PDFS[name]())

    assert response.status_code == 400, response.text  # type: ignore[attr-defined]
    error = api_error(response)  # type: ignore[attr-defined]
    assert error["code"] == "pdf_active_content"
    assert WHAT[name] in error["message"]
    assert "Simpan sebagai PDF" in error["message"]  # what to do about it
    assert error["details"] == [{"field": "file", "message": error["message"]}]
    assert session.scalars(select(Document)).all() == []
    assert stored(world) == []


def test_pdf_with_active_content_is_refused_on_the_page_next_to_its_field(
    client: TestClient,
    session: Session,
    world: World,
) -> None:
    client.app.state.storage = world.storage  # type: ignore[attr-defined]
    log_in(client, "warga@example.org", "sandi-warga-1")
    form_page = start(client)

    refused = page_upload(
        client, form_page, "ktp", "ktp.pdf", hostile_files.open_action_javascript_hidden()
    )

    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert 'id="ue-ktp"' in refused.text and "JavaScript" in refused.text  # type: ignore[attr-defined]
    assert session.scalars(select(Document)).all() == []
    assert stored(world) == []


def test_spbe_evidence_with_javascript_is_refused(
    session: Session,
    world: World,
) -> None:
    from simpul.accounts.models import AccountKind
    from simpul.evaluation.assessments import spbe_answers, spbe_assessment
    from simpul.evaluation.assessments.models import SpbeEvidence
    from tests.factories import make_user

    admin = make_user(
        session, world.region, "admin@example.org", "sandi-admin-1", AccountKind.REGION_ADMIN
    )
    spbe_assessment.start_assessment(session, world.region, admin, 2025, copy_previous=False)

    with pytest.raises(spbe_answers.EvidenceRejected) as refused:
        spbe_answers.save_answer(
            session,
            world.region,
            admin,
            2025,
            1,
            level="2",
            justification="Perwal terlampir.",
            upload=(io.BytesIO(hostile_files.javascript_name_tree()), "perwal.pdf"),
            storage=world.storage,
            max_bytes=1_000_000,
        )

    assert refused.value.status_code == 422 and "JavaScript" in refused.value.message
    assert session.scalars(select(SpbeEvidence)).all() == []
    assert stored(world) == []


HARMLESS: dict[str, Callable[[], bytes]] = {
    "opens_at_first_page": hostile_files.open_at_first_page,
    "link_to_website": hostile_files.link_to_website,
    "owner_password_only": hostile_files.owner_password_only,
}


@pytest.mark.parametrize("name", sorted(HARMLESS))
def test_ordinary_pdfs_are_stored_byte_for_byte(
    api: TestClient,
    world: World,
    name: str,
) -> None:
    content = HARMLESS[name]()

    response = send(api, content)

    assert response.status_code == 200, response.text  # type: ignore[attr-defined]
    url = response.json()["url"].removeprefix("/api/kota-uji/registration")  # type: ignore[attr-defined]
    assert api.get(f"/api/kota-uji/registration{url}").content == content


def test_password_protected_pdf_is_refused(
    api: TestClient,
    world: World,
) -> None:
    response = send(api, hostile_files.user_password())

    assert response.status_code == 400  # type: ignore[attr-defined]
    error = api_error(response)  # type: ignore[attr-defined]
    assert error["code"] == "pdf_encrypted" and "kata sandi" in error["message"]
    assert stored(world) == []


@pytest.mark.parametrize(
    "content",
    [
        b"%PDF-1.7\n" + b"\x00garbage" * 100,
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
        hostile_files.saved(hostile_files.clean_pdf(), hidden=False)[:200],  # cut short
    ],
    ids=["garbage", "no_pages", "truncated"],
)
def test_pdf_that_cannot_be_read_is_refused(
    api: TestClient,
    world: World,
    content: bytes,
) -> None:
    response = send(api, content)

    assert response.status_code == 400  # type: ignore[attr-defined]
    error = api_error(response)  # type: ignore[attr-defined]
    assert error["code"] == "pdf_unreadable" and "simpan ulang" in error["message"]
    assert stored(world) == []


def test_pdf_with_a_broken_cross_reference_table_is_stored_repaired(
    api: TestClient,
    session: Session,
    world: World,
) -> None:
    original = hostile_files.broken_cross_reference()
    with pikepdf.Pdf.open(io.BytesIO(original)) as pdf:
        assert any("reconstruct" in w or "damaged" in w for w in pdf.get_warnings())

    response = send(api, original)

    assert response.status_code == 200, response.text  # type: ignore[attr-defined]
    document = session.scalars(select(Document)).one()
    kept = world.storage.open(document.storage_key).read_all()
    assert kept != original
    assert (document.size, document.sha256) == (len(kept), hashlib.sha256(kept).hexdigest())
    with pikepdf.Pdf.open(io.BytesIO(kept)) as pdf:
        assert pdf.get_warnings() == [] and len(pdf.pages) == 1


def test_broken_pdf_hiding_javascript_is_refused_not_repaired(
    api: TestClient,
    world: World,
) -> None:
    data = hostile_files.open_action_javascript_direct()
    broken = data.replace(b"\n", b"\n%% geser\n", 1)  # every offset in the table is now wrong

    response = send(api, broken)

    assert response.status_code == 400  # type: ignore[attr-defined]
    assert api_error(response)["code"] == "pdf_active_content"  # type: ignore[attr-defined]
    assert stored(world) == []


def test_pdf_of_too_many_objects_is_refused_before_they_are_checked(
    api: TestClient,
    world: World,
) -> None:
    """Checking a PDF costs CPU per object; a 10 MB file can hold a million tiny ones."""
    pdf = hostile_files.clean_pdf()
    pdf.Root.Extra = pdf.make_indirect(
        pikepdf.Array(pdf.make_indirect(pikepdf.Dictionary(N=n)) for n in range(260_000))
    )
    content = hostile_files.saved(pdf)
    assert len(content) < 3 * 1024 * 1024

    response = send(api, content)

    assert response.status_code == 400  # type: ignore[attr-defined]
    error = api_error(response)  # type: ignore[attr-defined]
    assert error["code"] == "pdf_too_complex" and "250.000 objek" in error["message"]
    assert stored(world) == []
