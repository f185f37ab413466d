"""Who may revoke an issued document, and what revoking writes."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, StaffRoleName
from simpul.core.errors import Conflict, InvalidInput, NotFound
from simpul.core.models import AuditEvent
from simpul.documents.models import IssuedDocument
from simpul.documents.service import (
    can_revoke,
    get_issued_document,
    new_verification_code,
    record_issued_document,
    revoke_document,
)
from tests.documents.conftest import World, add_application, content
from tests.factories import add_agency, make_region, make_user, service_seed


@pytest.fixture
def document(session: Session) -> tuple[World, IssuedDocument]:
    region = make_region(session, "kota-cabut", "Kota Cabut")
    world = World(region, add_application(session, region, "warga@example.org"))
    issued = record_issued_document(
        session,
        region,
        application_id=world.application.id,
        content=content(code=new_verification_code(), number="11/2026"),
        signed_pdf=b"%PDF-1.7 signed",
        storage_key=f"issued/{uuid.uuid4()}.pdf",
        signer_name="Rina Marlina",
        signer_fingerprint="ab" * 32,
        signed_at=datetime.now(UTC),
    )
    return world, issued


def test_recording_keeps_the_hash_and_audits(
    session: Session, document: tuple[World, IssuedDocument]
) -> None:
    world, issued = document
    assert issued.sha256 == hashlib.sha256(b"%PDF-1.7 signed").hexdigest()
    assert get_issued_document(session, world.region, f" {issued.code} ") is issued
    with pytest.raises(NotFound):
        get_issued_document(session, world.region, "tidak-ada")
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.target_id == str(issued.id))
    ).all()
    assert actions == ["document.issue"]


def test_who_may_revoke(session: Session, document: tuple[World, IssuedDocument]) -> None:
    world, issued = document
    region = world.region
    add_agency(
        session, region, "dinas-lain", "Dinas Lain", [service_seed("layanan-lain", "Layanan Lain")]
    )

    def staff(email: str, agency: str, role: StaffRoleName) -> bool:
        user = make_user(
            session,
            region,
            email,
            "kata-sandi-panjang-1",
            AccountKind.STAFF,
            roles=[(agency, role)],
        )
        return can_revoke(session, user, issued)

    assert staff("penyetuju@x.id", "dinas-uji", StaffRoleName.PENYETUJU)
    assert staff("admin.opd@x.id", "dinas-uji", StaffRoleName.ADMIN_OPD)
    assert not staff("verifikator@x.id", "dinas-uji", StaffRoleName.VERIFIKATOR)
    assert not staff("penyetuju.lain@x.id", "dinas-lain", StaffRoleName.PENYETUJU)
    admin = make_user(
        session, region, "admin@x.id", "kata-sandi-panjang-1", AccountKind.REGION_ADMIN
    )
    assert can_revoke(session, admin, issued)
    citizen = session.get(type(admin), world.application.applicant_id)
    assert citizen is not None and not can_revoke(session, citizen, issued)
    other = make_region(session, "kota-asing", "Kota Asing")
    foreign_admin = make_user(
        session, other, "admin@x.id", "kata-sandi-panjang-1", AccountKind.REGION_ADMIN
    )
    assert not can_revoke(session, foreign_admin, issued)


def test_revoke_needs_a_reason_and_happens_once(
    session: Session, document: tuple[World, IssuedDocument]
) -> None:
    world, issued = document
    admin = make_user(
        session, world.region, "admin@x.id", "kata-sandi-panjang-1", AccountKind.REGION_ADMIN
    )
    with pytest.raises(InvalidInput) as refused:
        revoke_document(
            session,
            world.region,
            issued,
            reason=" singkat ",
            actor_id=admin.id,
            actor_label=admin.email,
        )
    assert refused.value.field_errors().keys() == {"reason"}
    assert issued.revoked_at is None
    revoke_document(
        session,
        world.region,
        issued,
        reason="Nama usaha salah ketik",
        actor_id=admin.id,
        actor_label=admin.email,
    )
    assert issued.revoked_at is not None and issued.revoked_by == admin.id
    assert issued.revoked_reason == "Nama usaha salah ketik"
    with pytest.raises(Conflict):
        revoke_document(
            session,
            world.region,
            issued,
            reason="Nama usaha salah ketik lagi",
            actor_id=admin.id,
            actor_label=admin.email,
        )
    event = session.scalars(
        select(AuditEvent).where(
            AuditEvent.target_id == str(issued.id), AuditEvent.action == "document.revoke"
        )
    ).one()
    assert event.actor_id == admin.id and event.details["reason"] == "Nama usaha salah ketik"
    other = make_region(session, "kota-asing", "Kota Asing")
    with pytest.raises(NotFound):
        revoke_document(
            session,
            other,
            issued,
            reason="Bukan dokumen wilayah ini",
            actor_id=None,
            actor_label="cli",
        )
