"""Attacks on the agency staff page: managing another agency, promoting oneself, reaching
another agency's officers or absences through one's own agency's URLs, forms without CSRF."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from simpul.accounts import staff
from simpul.accounts.models import OfficerAbsence, StaffRole, User
from simpul.applications import delegation
from simpul.core.database import sqlalchemy_url
from simpul.core.errors import Conflict, Forbidden, NotFound
from simpul.core.kit.periods import today_in
from simpul.core.models import AuditEvent, Region
from tests.factories import csrf_from, post_form
from tests.security.live_http import committed_database
from tests.support.desk_world import DeskWorld, build_desk_world, log_in


@pytest.fixture
def desk(session: Session, tmp_path: Path) -> DeskWorld:
    return build_desk_world(session, tmp_path)


def role_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(StaffRole)) or 0)


def test_admin_of_one_agency_cannot_grant_roles_in_another(
    client: TestClient, session: Session, desk: DeskWorld
) -> None:
    before = role_count(session)
    session.commit()
    log_in(client, desk.region.slug, "admin.lain@example.org")
    own = f"/{desk.region.slug}/petugas/instansi/dinas-lain/petugas"
    assert client.get(own).status_code == 200
    target = f"/{desk.region.slug}/petugas/instansi/dinas-uji/petugas"
    assert client.get(target).status_code == 403
    token = csrf_from(client.get(own).text)
    attempt = client.post(
        f"{target}/peran",
        data={
            "csrf_token": token,
            "user_id": str(desk.other_admin.id),
            "role": "admin_opd",
            "action": "beri",
        },
        follow_redirects=False,
    )
    assert attempt.status_code == 403
    session.expire_all()
    assert role_count(session) == before
    assert (
        session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action.like("staff_role.%"))
        )
        == 0
    )


def test_an_officer_cannot_make_themselves_admin(session: Session, desk: DeskWorld) -> None:
    with pytest.raises(Forbidden):
        staff.grant_role(
            session,
            desk.region,
            desk.officer_a,
            "dinas-uji",
            "admin_opd",
            user_id=desk.officer_a.id,
        )
    with pytest.raises(Forbidden):
        staff.revoke_role(
            session, desk.region, desk.officer_a, "dinas-uji", desk.admin.id, "admin_opd"
        )
    assert not any(r.role.value == "admin_opd" for r in desk.officer_a.roles)


def test_a_citizen_is_refused(client: TestClient, session: Session, desk: DeskWorld) -> None:
    session.commit()
    log_in(client, desk.region.slug, "warga@example.org", "sandi-warga-1")
    page = client.get(f"/{desk.region.slug}/petugas/instansi/dinas-uji/petugas")
    assert page.status_code == 403


def test_own_agency_urls_do_not_reach_other_agencies_people(
    session: Session, desk: DeskWorld
) -> None:
    # The admin of dinas-lain names an officer who is only in dinas-uji.
    with pytest.raises(NotFound):
        staff.set_officer_identity(
            session, desk.region, desk.other_admin, "dinas-lain", desk.officer_a.id,
            nip="198203152006041003", position="Kepala",
        )  # fmt: skip
    with pytest.raises(NotFound):
        staff.revoke_role(
            session, desk.region, desk.other_admin, "dinas-lain", desk.officer_a.id, "verifikator"
        )
    with pytest.raises(NotFound):
        delegation.record_absence(
            session, desk.region, desk.other_admin, "dinas-lain",
            officer_id=desk.officer_a.id, delegate_id=desk.other_admin.id,
            starts_on=today_in(desk.region).isoformat(),
            ends_on=today_in(desk.region).isoformat(), reason="cuti",
        )  # fmt: skip
    absence = delegation.record_absence(
        session, desk.region, desk.admin, "dinas-uji",
        officer_id=desk.officer_a.id, delegate_id=desk.officer_b.id,
        starts_on=today_in(desk.region).isoformat(),
        ends_on=today_in(desk.region).isoformat(), reason="cuti",
    ).absence  # fmt: skip
    with pytest.raises(NotFound):
        delegation.end_absence(session, desk.region, desk.other_admin, "dinas-lain", absence.id)
    assert absence.ended_at is None
    assert desk.officer_a.nip == ""


def test_forms_without_csrf_token_are_refused(
    client: TestClient, session: Session, desk: DeskWorld
) -> None:
    session.commit()
    log_in(client, desk.region.slug, "admin.opd@example.org")
    base = f"/{desk.region.slug}/petugas/instansi/dinas-uji"
    forged = client.post(
        f"{base}/petugas/peran",
        data={"user_id": str(desk.officer_a.id), "role": "admin_opd", "action": "beri"},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    no_token = client.post(
        f"{base}/ketidakhadiran",
        data={"officer_id": str(desk.officer_a.id), "delegate_id": str(desk.officer_b.id)},
        follow_redirects=False,
    )
    assert no_token.status_code == 403
    session.expire_all()
    assert not any(r.role.value == "admin_opd" for r in desk.officer_a.roles)
    assert session.scalar(select(func.count()).select_from(OfficerAbsence)) == 0


def test_unknown_role_and_garbage_are_clear_errors(
    client: TestClient, session: Session, desk: DeskWorld
) -> None:
    session.commit()
    log_in(client, desk.region.slug, "admin.opd@example.org")
    page = f"/{desk.region.slug}/petugas/instansi/dinas-uji/petugas"
    response = post_form(
        client,
        f"{page}/peran",
        {"user_id": str(desk.officer_a.id), "role": "superuser", "action": "beri"},
        page=page,
    )
    assert response.status_code == 422
    assert "Peran tidak dikenal." in response.text
    assert "Traceback" not in response.text


def test_two_admins_removing_each_other_at_once_leave_one(tmp_path: Path) -> None:
    """Each admin removes the other in the same instant (two transactions on a committed
    database): the agency must keep one admin OPD, whichever wins."""
    url = committed_database("staff_race")
    engine = create_engine(sqlalchemy_url(url))
    try:
        with Session(engine) as setup, setup.begin():
            desk = build_desk_world(setup, tmp_path)
            staff.grant_role(
                setup, desk.region, desk.admin, "dinas-uji", "admin_opd", user_id=desk.officer_a.id
            )
            region_id, first_id, second_id = desk.region.id, desk.admin.id, desk.officer_a.id

        def revoke(session: Session, actor_id: uuid.UUID, target_id: uuid.UUID) -> None:
            region = session.get(Region, region_id)
            actor = session.get(User, actor_id)
            assert region is not None
            assert actor is not None
            staff.revoke_role(session, region, actor, "dinas-uji", target_id, "admin_opd")

        one = Session(engine)
        one.begin()
        revoke(one, first_id, second_id)  # holds the agency's admin rows until it commits
        outcome: list[BaseException | None] = []

        def other() -> None:
            with Session(engine) as two, two.begin():
                try:
                    revoke(two, second_id, first_id)
                    outcome.append(None)
                except Conflict as exc:
                    outcome.append(exc)

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(timeout=1.0)
        assert thread.is_alive(), "the second removal did not wait for the first"
        one.commit()
        one.close()
        thread.join(timeout=10)
        assert not thread.is_alive()
        assert len(outcome) == 1
        assert isinstance(outcome[0], Conflict)
        with Session(engine) as check:
            admins = check.scalar(
                select(func.count())
                .select_from(StaffRole)
                .where(StaffRole.role == "admin_opd", StaffRole.user_id.in_([first_id, second_id]))
            )
            assert admins == 1
    finally:
        engine.dispose()
