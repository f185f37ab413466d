"""Closing an account erases or pseudonymises exactly what it should, keeps what the law
keeps, and ends every way into the account."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from simpul.accounts import service as accounts_service
from simpul.accounts.models import ApiToken, User, UserSession
from simpul.applications.models import ApplicationIdentifier, Document, Notification
from simpul.core.errors import Conflict, Forbidden, InvalidInput
from simpul.core.models import StoredFileRemoval, utcnow
from simpul.core.settings import get_settings
from simpul.identity import closure
from simpul.identity.models import OidcConsent, OidcToken
from simpul.notify.models import Delivery
from tests.factories import post_form
from tests.identity.closure_world import PASSWORD, ClosureWorld, build_closure_world


@pytest.fixture
def world(session: Session) -> ClosureWorld:
    return build_closure_world(session)


def _count(session: Session, model: type, *where: object) -> int:
    return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_closing_erases_what_it_should_and_keeps_what_the_law_keeps(
    session: Session, world: ClosureWorld
) -> None:
    citizen = world.citizen
    old_email, old_nik_hash = citizen.email, citizen.nik_hash
    result = closure.close_account(
        session, world.region, citizen, password=PASSWORD, confirmed=True
    )
    session.expire_all()
    user = session.get(User, citizen.id)
    assert user is not None
    # The account: placeholders, no way in.
    assert user.full_name == f"Pengguna terhapus {citizen.id.hex[:8]}" == result.pseudonym
    assert user.email == f"closed-{citizen.id.hex}@closed.invalid"
    assert user.phone == "" and user.nik_encrypted is None
    assert user.nik_hash is not None and user.nik_hash != old_nik_hash
    assert user.closed_at is not None and not user.is_active
    assert _count(session, UserSession, UserSession.user_id == citizen.id) == 0
    assert (
        _count(session, ApiToken, ApiToken.user_id == citizen.id, ApiToken.revoked_at.is_(None))
        == 0
    )
    assert accounts_service.user_for_api_token(session, world.region, world.api_token) is None
    assert accounts_service.user_for_session(session, world.region, world.session_token) is None
    login = accounts_service.login(
        session, world.region, email=old_email, password=PASSWORD, client="127.0.0.1"
    )
    assert login.user is None
    # Apps: consent revoked, tokens ended.
    assert (
        _count(
            session,
            OidcConsent,
            OidcConsent.user_id == citizen.id,
            OidcConsent.revoked_at.is_(None),
        )
        == 0
    )
    tokens = session.scalars(select(OidcToken).where(OidcToken.user_id == citizen.id)).all()
    assert tokens and all(t.revoked_reason == "account_closed" for t in tokens)
    # The completed application is the archive's: kept whole, with its upload.
    session.refresh(world.completed)
    assert world.completed.data["nama"] == "Siti Aminah"
    assert session.get(Document, world.kept_upload.id) is not None
    # The rejected one keeps only its record.
    session.refresh(world.rejected)
    assert world.rejected.data == {} and world.rejected.data_encrypted is None
    assert world.rejected.application_name == ""
    assert world.rejected.tracking_number and world.rejected.status.value == "rejected"
    assert (
        _count(
            session,
            ApplicationIdentifier,
            ApplicationIdentifier.application_id == world.rejected.id,
        )
        == 0
    )
    for upload in world.erased_uploads:
        assert session.get(Document, upload.id) is None
    queued = set(session.scalars(select(StoredFileRemoval.storage_key)).all())
    assert {u.storage_key for u in world.erased_uploads} <= queued
    assert world.kept_upload.storage_key not in queued
    # Complaints: the text stays, the reporter goes.
    session.refresh(world.complaint)
    assert world.complaint.reporter_id is None and world.complaint.contact_encrypted is None
    assert world.complaint.description.startswith("Ada lubang besar")
    # Notifications and their deliveries (with the address) are gone.
    assert _count(session, Notification, Notification.user_id == citizen.id) == 0
    assert _count(session, Delivery, Delivery.user_id == citizen.id) == 0
    # The counts the page reports, and the deletion dates.
    assert (result.applications_erased, result.applications_kept) == (1, 1)
    assert result.uploads_deleted == 2 and result.complaints_unlinked == 1
    assert result.consents_revoked == 1 and result.app_tokens_revoked == 1
    years = get_settings().pdp_retention_documents_years
    kinds = {kind.code: on for kind, on in result.kept}
    assert set(kinds) == {"issued_documents", "applications", "complaints", "audit"}
    assert kinds["issued_documents"] == (user.closed_at + timedelta(days=365 * years)).date()
    # Nobody else's data was touched.
    session.refresh(world.other)
    assert world.other.closed_at is None and world.other.is_active
    assert "warga.aduan@example.org" not in str(result)


def test_wrong_password_or_no_confirmation_changes_nothing(
    session: Session, world: ClosureWorld
) -> None:
    email = world.citizen.email
    notifications = _count(session, Notification, Notification.user_id == world.citizen.id)
    assert notifications >= 1
    with pytest.raises(InvalidInput) as wrong:
        closure.close_account(
            session, world.region, world.citizen, password="salah", confirmed=True
        )
    assert {d["field"] for d in wrong.value.details} == {"password"}
    with pytest.raises(InvalidInput) as unconfirmed:
        closure.close_account(
            session, world.region, world.citizen, password=PASSWORD, confirmed=False
        )
    assert {d["field"] for d in unconfirmed.value.details} == {"confirm"}
    session.expire_all()
    user = session.get(User, world.citizen.id)
    assert user is not None and user.email == email and user.closed_at is None
    session.refresh(world.rejected)
    assert world.rejected.data["nama"] == "Siti Aminah"
    assert _count(session, Notification, Notification.user_id == world.citizen.id) == notifications


def test_a_second_closure_is_refused(session: Session, world: ClosureWorld) -> None:
    closure.close_account(session, world.region, world.citizen, password=PASSWORD, confirmed=True)
    with pytest.raises(Conflict):
        closure.close_account(
            session, world.region, world.citizen, password=PASSWORD, confirmed=True
        )


def test_staff_accounts_are_not_closed_here(session: Session, world: ClosureWorld) -> None:
    with pytest.raises(Forbidden):
        closure.close_account(
            session, world.region, world.base.desk, password=PASSWORD, confirmed=True
        )


def test_purge_erases_the_archive_once_its_period_has_passed(
    session: Session, world: ClosureWorld
) -> None:
    closure.close_account(session, world.region, world.citizen, password=PASSWORD, confirmed=True)
    early = closure.purge(session, world.region)
    assert early.accounts == 0
    years = get_settings().pdp_retention_documents_years
    later = closure.purge(session, world.region, now=utcnow() + timedelta(days=365 * years + 1))
    assert (later.accounts, later.applications_erased, later.uploads_deleted) == (1, 1, 1)
    session.refresh(world.completed)
    assert world.completed.data == {}
    assert session.get(Document, world.kept_upload.id) is None


def test_the_page_lists_what_is_kept_then_closes(
    client: TestClient, session: Session, world: ClosureWorld
) -> None:
    login = post_form(
        client, "/kota-tutup/masuk", {"email": world.citizen.email, "password": PASSWORD}
    )
    assert login.status_code == 303
    page = client.get("/kota-tutup/akun/tutup")
    assert page.status_code == 200
    for text in ("UU 43/2009", "Jadwal Retensi Arsip", "10 tahun", "Perpres 76/2013", "PP 71/2019"):
        assert text in page.text
    wrong = post_form(client, "/kota-tutup/akun/tutup", {"password": "salah", "confirm": "ya"})
    assert wrong.status_code == 422 and "Kata sandi salah." in wrong.text
    done = post_form(client, "/kota-tutup/akun/tutup", {"password": PASSWORD, "confirm": "ya"})
    assert done.status_code == 200, done.text
    assert "Akun Anda sudah ditutup" in done.text and "Dihapus pada" in done.text
    after = client.get("/kota-tutup/akun", follow_redirects=False)
    assert after.status_code in (303, 401)


def test_the_worker_step_purges_every_region(
    session: Session, session_factory: sessionmaker[Session], world: ClosureWorld
) -> None:
    closure.close_account(session, world.region, world.citizen, password=PASSWORD, confirmed=True)
    session.commit()
    assert closure.purge_all_regions(session_factory) == 0
    years = get_settings().pdp_retention_documents_years
    later = utcnow() + timedelta(days=365 * years + 1)
    assert closure.purge_all_regions(session_factory, now=later) == 1
    assert closure.purge_all_regions(session_factory, now=later) == 0  # idempotent
