"""Migration 0016 fills in existing issued documents from what they were made of.

A document is issued at head (the worker writes the fingerprint and what it printed), the
database is taken back to 0012 (the columns go) and up again: the back-fill must give back
what the worker wrote. A document whose signing job is gone keeps no fingerprint.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from simpul.accounts.models import AccountKind, StaffRoleName
from simpul.applications import submission, workflow
from simpul.applications.files import receive_upload
from simpul.applications.models import TaskOutcome
from simpul.core.database import sqlalchemy_url
from simpul.core.migrate import alembic_config
from simpul.core.storage import LocalStorage
from simpul.documents import credentials, issuing
from simpul.documents.models import IssuedDocument
from simpul.documents.pki import OfficerSpec, init_region_pki
from tests.applications.conftest import DOCUMENTS, EFORM, PDF_BYTES, VALID_DATA
from tests.conftest import _server_url
from tests.factories import make_region, make_user, service_seed
from tests.support.devserver import recreate_database

PASSPHRASE = "frasa-sandi-migrasi"
COLUMNS = (
    "signer_fingerprint",
    "signer_position",
    "product",
    "agency_name",
    "holder_masked",
    "issued_on",
)


@pytest.fixture(scope="module")
def database() -> Iterator[tuple[str, Engine]]:
    """A database of this module's own, migrated to head."""
    server_url = _server_url()
    name = f"{make_url(sqlalchemy_url(server_url)).database}_documents_migration"
    url = sqlalchemy_url(recreate_database(server_url, name))
    command.upgrade(alembic_config(url), "head")
    engine = create_engine(url)
    yield url, engine
    engine.dispose()


def issue_one(sessions: sessionmaker[Session], tmp_path: Path) -> uuid.UUID:
    """A document issued the way Simpul issues them: approval, then the worker."""
    pki = init_region_pki(
        tmp_path / "pki",
        "kota-migrasi",
        "Kota Migrasi",
        [OfficerSpec("Setuju Pejabat", "setuju@example.org")],
        PASSPHRASE.encode(),
    )
    storage = LocalStorage(tmp_path / "uploads")
    with sessions() as session, session.begin():
        region = make_region(
            session,
            "kota-migrasi",
            "Kota Migrasi",
            [service_seed("izin-uji", "Perizinan Uji", eform=EFORM, required_documents=DOCUMENTS)],
        )
        holder = make_user(session, region, "nur.aisyah@example.org", "sandi-warga-1")
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
        credentials.enrol(
            session,
            region,
            approver,
            pki.officer_paths["setuju@example.org"].read_bytes(),
            PASSPHRASE,
            actor_label="test",
        )
        draft = submission.start_draft(session, region, holder, "izin-uji")
        submission.save_draft(session, region, holder, draft.id, dict(VALID_DATA))
        stored = receive_upload(
            io.BytesIO(PDF_BYTES), max_bytes=1_000_000, storage=storage, key="migrasi/ktp.pdf"
        )
        submission.attach_document(session, region, holder, draft.id, "ktp", stored, "ktp.pdf")
        submission.submit(session, region, holder, draft.id)
        task = workflow.inbox(session, region, verifier).rows[0].task
        workflow.act_on_task(session, region, verifier, task.id, TaskOutcome.APPROVE)
        final = workflow.inbox(session, region, approver).rows[0].task
        workflow.act_on_task(
            session,
            region,
            approver,
            final.id,
            TaskOutcome.APPROVE,
            signing_passphrase=PASSPHRASE,
        )
    config = issuing.IssueConfig(public_url="https://layanan.example.go.id")
    assert issuing.issue_due(sessions, storage, config) == 1
    with sessions() as session:
        return session.scalars(select(IssuedDocument.id)).one()


def columns_of(engine: Engine, document_id: uuid.UUID) -> dict[str, Any]:
    with engine.connect() as connection:
        row = connection.execute(
            text(f"SELECT {', '.join(COLUMNS)} FROM issued_document WHERE id = :id"),
            {"id": document_id},
        ).one()
    return dict(zip(COLUMNS, row, strict=True))


def test_going_back_below_0016_and_up_again_fills_in_what_the_worker_wrote(
    database: tuple[str, Engine], tmp_path: Path
) -> None:
    url, engine = database
    document_id = issue_one(sessionmaker(bind=engine, expire_on_commit=False), tmp_path)
    written = columns_of(engine, document_id)
    assert written["holder_masked"] == "N*** A*****"
    assert written["signer_position"] == written["agency_name"] == "Dinas Uji Kota Migrasi"
    assert written["product"] == "Produk pelayanan" and written["signer_fingerprint"]

    command.downgrade(alembic_config(url), "0015")
    with engine.connect() as connection:
        names = connection.execute(
            text(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'issued_document'"
            )
        ).scalars()
        assert not set(COLUMNS) & set(names)
    command.upgrade(alembic_config(url), "head")
    assert columns_of(engine, document_id) == written

    # A document whose signing job is gone: everything but the fingerprint is filled in.
    command.downgrade(alembic_config(url), "0015")
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM document_job"))
    command.upgrade(alembic_config(url), "head")
    again = columns_of(engine, document_id)
    with engine.connect() as connection:
        signed_on = connection.execute(
            text(
                "SELECT (d.signed_at AT TIME ZONE r.timezone)::date FROM issued_document d "
                "JOIN region r ON r.id = d.region_id WHERE d.id = :id"
            ),
            {"id": document_id},
        ).scalar_one()
    assert again == {**written, "signer_fingerprint": None, "issued_on": signed_on}
