"""The region admin's pages (decision 0049): the audit log (filters, paging, export), the
region's days off, officers invited, deactivated and reactivated without the CLI, and the
admin home linking every admin page."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.accounts import service as accounts_service
from simpul.accounts import staff_invitations
from simpul.accounts.models import ApiToken, User, UserSession
from simpul.applications import officer_release, workflow
from simpul.applications.models import CollectiveLeaveDay, Notification, Task, TaskStatus
from simpul.core.audit import record_audit_event
from simpul.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from simpul.core.kit.periods import today_in
from simpul.core.models import AuditEvent, utcnow
from simpul.notify.messages import compose
from tests.factories import post_form
from tests.support.desk_world import PASSWORD, DeskWorld, build_desk_world, log_in, submit

AGENCY = "dinas-uji"


@pytest.fixture
def desk(session: Session, tmp_path: Path) -> DeskWorld:
    return build_desk_world(session, tmp_path)


def staff_path(desk: DeskWorld) -> str:
    return f"/{desk.region.slug}/petugas/instansi/{AGENCY}/petugas"


def invitation_path(session: Session, desk: DeskWorld, email: str) -> str:
    """The link of the invitation e-mail, as the notify worker words it."""
    user = session.scalars(select(User).where(User.email == email)).one()
    notice = session.scalars(
        select(Notification).where(
            Notification.user_id == user.id, Notification.kind == "staff_invitation"
        )
    ).all()[-1]
    message = compose(notice, user, desk.region, "http://portal.example")
    assert "Dinas Uji" in message.body or AGENCY in message.body.lower().replace(" ", "-")
    return message.url.removeprefix("http://portal.example")


# -- the admin home ---------------------------------------------------------------------------


def test_admin_home_links_every_admin_page(client: TestClient, desk: DeskWorld) -> None:
    log_in(client, desk.region.slug, "admin.wilayah@example.org")
    html = client.get(f"/{desk.region.slug}/admin").text
    for page in ("audit", "hari-libur", "kop-surat", "sinonim"):
        assert f'href="/{desk.region.slug}/admin/{page}"' in html, page
    assert f'href="{staff_path(desk)}"' in html


# -- the audit log ----------------------------------------------------------------------------


def rows(html: str) -> str:
    """The table's rows (the filter's choices name every action too)."""
    return html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""


def test_audit_log_filters_and_names_actions_in_words(
    client: TestClient, session: Session, desk: DeskWorld
) -> None:
    log_in(client, desk.region.slug, "admin.opd@example.org")
    post_form(
        client,
        f"{staff_path(desk)}/peran",
        {"action": "beri", "role": "penandatangan", "user_id": str(desk.verifier_only.id)},
        page=staff_path(desk),
    )
    log_in(client, desk.region.slug, "admin.wilayah@example.org")
    post_form(
        client,
        f"/{desk.region.slug}/admin/hari-libur",
        {"tanggal": "2030-12-24", "keterangan": "Cuti bersama Natal"},
    )
    base = f"/{desk.region.slug}/admin/audit"
    everything = client.get(base)
    assert everything.status_code == 200
    assert "Peran petugas diberikan" in rows(everything.text)
    assert "Hari libur wilayah ditambahkan" in rows(everything.text)
    assert "staff_role.grant" not in rows(everything.text)
    by_actor = rows(client.get(base, params={"pelaku": "admin.opd"}).text)
    assert "Peran petugas diberikan" in by_actor and "Hari libur wilayah" not in by_actor
    by_action = rows(client.get(base, params={"tindakan": "leave_day.add"}).text)
    assert "Hari libur wilayah ditambahkan" in by_action
    assert "Peran petugas diberikan" not in by_action
    by_subject = rows(
        client.get(base, params={"subjek": "user", "id_subjek": str(desk.verifier_only.id)}).text
    )
    assert "Peran petugas diberikan" in by_subject and "Hari libur" not in by_subject
    today = today_in(desk.region)
    past = client.get(
        base, params={"dari": "2020-01-01", "sampai": (today - timedelta(days=2)).isoformat()}
    ).text
    assert "Tidak ada kejadian yang cocok" in past
    bad = client.get(base, params={"dari": "24-12-2030"})
    assert bad.status_code == 422
    assert 'href="#f-dari"' in bad.text and "TTTT-BB-HH" in bad.text
    backwards = client.get(base, params={"dari": "2030-01-02", "sampai": "2030-01-01"})
    assert backwards.status_code == 422 and 'href="#f-sampai"' in backwards.text


def test_audit_log_pages_newest_first(
    client: TestClient, session: Session, desk: DeskWorld
) -> None:
    for n in range(55):
        record_audit_event(
            session,
            region_id=desk.region.id,
            actor_id=None,
            actor_label=f"skrip-{n:02d}@example.org",
            action="inventory.import",
            target_type="region",
            target_id=str(desk.region.id),
        )
    session.flush()
    log_in(client, desk.region.slug, "admin.wilayah@example.org")
    base = f"/{desk.region.slug}/admin/audit"
    first = client.get(base, params={"tindakan": "inventory.import"}).text
    assert "Halaman 1 dari 2" in first
    second = client.get(base, params={"tindakan": "inventory.import", "halaman": 2}).text
    assert "Halaman 2 dari 2" in second
    shown = set(re.findall(r"skrip-\d\d@", first)) | set(re.findall(r"skrip-\d\d@", second))
    assert len(shown) == 55
    beyond = client.get(base, params={"tindakan": "inventory.import", "halaman": 999})
    assert "Halaman 2 dari 2" in beyond.text


def test_audit_export_csv_and_xlsx_hold_the_filtered_rows_and_are_recorded(
    client: TestClient, session: Session, desk: DeskWorld
) -> None:
    record_audit_event(
        session,
        region_id=desk.region.id,
        actor_id=None,
        actor_label="cli",
        action="leave_day.add",
        target_type="region",
        target_id=str(desk.region.id),
        details={"day": "2030-01-02", "description": '=HYPERLINK("http://x")'},
    )
    record_audit_event(
        session,
        region_id=desk.region.id,
        actor_id=None,
        actor_label="cli",
        action="inventory.import",
        target_type="region",
        target_id=str(desk.region.id),
    )
    session.flush()
    log_in(client, desk.region.slug, "admin.wilayah@example.org")
    url = f"/{desk.region.slug}/admin/audit/ekspor"
    got = client.get(f"{url}.csv", params={"tindakan": "leave_day.add"})
    assert got.status_code == 200
    assert "attachment" in got.headers["content-disposition"]
    text = got.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Waktu;Pelaku;Tindakan;")  # Indonesian Excel's form
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert len(rows) == 2  # the header and the one matching event
    assert "Hari libur wilayah ditambahkan" in rows[1]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", rows[1][0])
    book = load_workbook(
        io.BytesIO(client.get(f"{url}.xlsx", params={"tindakan": "leave_day.add"}).content)
    )
    sheet = book.active
    assert sheet is not None
    assert sheet.max_row == 2
    moment = sheet.cell(row=2, column=1)
    assert isinstance(moment.value, datetime) and moment.number_format == "dd/mm/yyyy hh:mm:ss"
    exports = session.scalars(select(AuditEvent).where(AuditEvent.action == "audit.export")).all()
    assert [e.details["format"] for e in exports] == ["csv", "xlsx"]
    assert all(e.details["rows"] == 1 for e in exports)
    assert client.get(f"{url}.json").status_code in (404, 422)


def test_audit_log_is_for_the_region_admin_only(client: TestClient, desk: DeskWorld) -> None:
    log_in(client, desk.region.slug, "admin.opd@example.org")
    assert client.get(f"/{desk.region.slug}/admin/audit").status_code == 403
    assert client.get(f"/{desk.region.slug}/admin/audit/ekspor.csv").status_code == 403
    assert client.get(f"/{desk.region.slug}/admin/hari-libur").status_code == 403


# -- the region's days off --------------------------------------------------------------------


def test_days_off_are_added_and_removed_on_the_page(
    client: TestClient, session: Session, desk: DeskWorld
) -> None:
    log_in(client, desk.region.slug, "admin.wilayah@example.org")
    page = f"/{desk.region.slug}/admin/hari-libur"
    shown = client.get(page).text
    assert "Batas waktu yang dihitung setelah ini melewati tanggal ini" in shown
    added = post_form(client, page, {"tanggal": "2030-12-24", "keterangan": "Cuti bersama Natal"})
    assert added.status_code == 303
    listed = client.get(added.headers["location"]).text
    assert "24 Desember 2030" in listed and "Cuti bersama Natal" in listed
    twice = post_form(client, page, {"tanggal": "2030-12-24", "keterangan": "Lagi"})
    assert twice.status_code == 409 and 'href="#f-tanggal"' in twice.text
    no_text = post_form(client, page, {"tanggal": "2030-12-26", "keterangan": ""})
    assert no_text.status_code == 422 and 'href="#f-keterangan"' in no_text.text
    bad_day = post_form(client, page, {"tanggal": "31-12-2030", "keterangan": "Libur"})
    assert bad_day.status_code == 422 and 'href="#f-tanggal"' in bad_day.text
    days = session.scalars(
        select(CollectiveLeaveDay).where(CollectiveLeaveDay.region_id == desk.region.id)
    ).all()
    assert [d.description for d in days] == ["Cuti bersama Natal"]
    removed = post_form(client, f"{page}/2030-12-24/hapus", {}, page=page)
    assert removed.status_code == 303
    assert (
        session.scalars(
            select(CollectiveLeaveDay).where(CollectiveLeaveDay.region_id == desk.region.id)
        ).all()
        == []
    )
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "leave_day.remove")).one()
    assert event.actor_id == desk.region_admin.id
    assert post_form(client, f"{page}/2030-12-24/hapus", {}, page=page).status_code == 404


# -- invitations ------------------------------------------------------------------------------


def test_an_invited_officer_sets_their_password_and_logs_in(
    client: TestClient, session: Session, desk: DeskWorld
) -> None:
    log_in(client, desk.region.slug, "admin.opd@example.org")
    sent = client.post(
        f"{staff_path(desk)}/undang",
        data={
            "full_name": "Sari Wulandari",
            "invite_email": "Sari.Baru@Example.org",
            "roles": ["verifikator", "operator"],
            "csrf_token": re.search(
                r'name="csrf_token" value="([^"]+)"', client.get(staff_path(desk)).text
            ).group(1),  # type: ignore[union-attr]
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    officer = session.scalars(select(User).where(User.email == "sari.baru@example.org")).one()
    assert {r.role.value for r in officer.roles} == {"verifikator", "operator"}
    # Before the link is used, no password opens the account.
    client.cookies.clear()
    refused = post_form(
        client,
        f"/{desk.region.slug}/masuk",
        {"email": "sari.baru@example.org", "password": staff_invitations.NO_PASSWORD_YET},
    )
    assert refused.status_code != 303
    path = invitation_path(session, desk, "sari.baru@example.org")
    assert "Sari Wulandari" not in path and "sari" not in path
    form = client.get(path)
    assert form.status_code == 200 and "sari.baru@example.org" in form.text
    short = post_form(client, path, {"password": "pendek", "password_confirm": "pendek"})
    assert short.status_code == 422 and 'href="#f-password"' in short.text
    done = post_form(
        client, path, {"password": "sandi-sari-2026", "password_confirm": "sandi-sari-2026"}
    )
    assert done.status_code == 303
    landing = client.get(done.headers["location"])
    assert "Kata sandi Anda sudah dipasang." in landing.text  # the login page says so
    session.refresh(officer)
    assert officer.password_hash.startswith("$argon2")
    log_in(client, desk.region.slug, "sari.baru@example.org", "sandi-sari-2026")
    assert client.get(f"/{desk.region.slug}/petugas").status_code == 200
    # The link is used up.
    client.cookies.clear()
    assert client.get(path).status_code == 404
    actions = {
        e.action
        for e in session.scalars(select(AuditEvent).where(AuditEvent.target_id == str(officer.id)))
    }
    assert {"staff.invite", "staff.invitation_accept"} <= actions


def test_invitation_refusals_name_the_field(
    client: TestClient, session: Session, desk: DeskWorld
) -> None:
    with pytest.raises(InvalidInput) as nothing:
        staff_invitations.invite_officer(
            session, desk.region, desk.admin, AGENCY, full_name="", email="bukan-email", roles=[]
        )
    assert set(nothing.value.field_errors()) == {"full_name", "email", "roles"}
    with pytest.raises(Conflict):
        staff_invitations.invite_officer(
            session,
            desk.region,
            desk.admin,
            AGENCY,
            full_name="Warga Lagi",
            email="warga@example.org",
            roles=["operator"],
        )
    log_in(client, desk.region.slug, "admin.opd@example.org")
    page = post_form(
        client,
        f"{staff_path(desk)}/undang",
        {"full_name": "Sari", "invite_email": "petugas.a@example.org", "roles": "operator"},
        page=staff_path(desk),
    )
    assert page.status_code == 409
    assert 'href="#f-invite_email"' in page.text


def test_an_expired_or_forged_invitation_opens_nothing(session: Session, desk: DeskWorld) -> None:
    officer = staff_invitations.invite_officer(
        session,
        desk.region,
        desk.admin,
        AGENCY,
        full_name="Budi Petugas",
        email="budi.petugas@example.org",
        roles=["operator"],
    )
    old = int((utcnow() - timedelta(hours=staff_invitations.INVITATION_HOURS + 1)).timestamp())
    with pytest.raises(NotFound):
        staff_invitations.invited_officer(
            session, desk.region, officer.id, old, staff_invitations.invitation_code(officer, old)
        )
    now = int(utcnow().timestamp())
    with pytest.raises(NotFound):
        staff_invitations.invited_officer(session, desk.region, officer.id, now, "x" * 43)
    # A code for one account does not open another.
    with pytest.raises(NotFound):
        staff_invitations.invited_officer(
            session,
            desk.region,
            desk.officer_a.id,
            now,
            staff_invitations.invitation_code(officer, now),
        )


# -- deactivation -----------------------------------------------------------------------------


def task_of(session: Session, application_id: object) -> Task:
    return session.scalars(
        select(Task).where(Task.application_id == application_id, Task.status == TaskStatus.OPEN)
    ).one()


def test_deactivation_ends_login_sessions_tokens_and_moves_tasks(
    client: TestClient, session: Session, desk: DeskWorld
) -> None:
    log_in(client, desk.region.slug, "petugas.a@example.org")
    accounts_service.create_api_token(session, desk.officer_a, "skrip")
    first = submit(session, desk)
    second = submit(session, desk)
    workflow.claim_task(session, desk.region, desk.officer_a, task_of(session, first.id).id)
    workflow.claim_task(session, desk.region, desk.officer_a, task_of(session, second.id).id)
    session.flush()
    assert session.scalars(
        select(UserSession).where(UserSession.user_id == desk.officer_a.id)
    ).all()
    released = officer_release.deactivate_officer(
        session, desk.region, desk.admin, AGENCY, desk.officer_a.id, stand_in_id=desk.officer_b.id
    )
    assert released.moved == 2 and released.pooled == 0
    assert task_of(session, first.id).assignee_id == desk.officer_b.id
    assert not desk.officer_a.is_active
    assert (
        session.scalars(select(UserSession).where(UserSession.user_id == desk.officer_a.id)).all()
        == []
    )
    tokens = session.scalars(select(ApiToken).where(ApiToken.user_id == desk.officer_a.id)).all()
    assert tokens and all(t.revoked_at is not None for t in tokens)
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "staff.deactivate")).one()
    assert event.actor_id == desk.admin.id and event.details["tokens_revoked"] == 1
    # No login any more.
    client.cookies.clear()
    refused = post_form(
        client,
        f"/{desk.region.slug}/masuk",
        {"email": "petugas.a@example.org", "password": PASSWORD},
    )
    assert refused.status_code != 303
    # Back again: they log in with the password they had.
    staff_invitations.reactivate_officer(
        session, desk.region, desk.admin, AGENCY, desk.officer_a.id
    )
    session.flush()
    log_in(client, desk.region.slug, "petugas.a@example.org")


def test_deactivated_without_stand_in_tasks_go_to_the_pool(
    session: Session, desk: DeskWorld
) -> None:
    application = submit(session, desk)
    workflow.claim_task(session, desk.region, desk.officer_a, task_of(session, application.id).id)
    released = officer_release.deactivate_officer(
        session, desk.region, desk.admin, AGENCY, desk.officer_a.id
    )
    assert released.pooled == 1
    assert task_of(session, application.id).assignee_id is None


def test_deactivation_refusals(session: Session, desk: DeskWorld) -> None:
    with pytest.raises(Conflict, match="sendiri"):
        officer_release.deactivate_officer(session, desk.region, desk.admin, AGENCY, desk.admin.id)
    with pytest.raises(Conflict, match="admin OPD aktif terakhir"):
        officer_release.deactivate_officer(
            session, desk.region, desk.region_admin, AGENCY, desk.admin.id
        )
    with pytest.raises(InvalidInput) as stand_in:
        officer_release.deactivate_officer(
            session,
            desk.region,
            desk.admin,
            AGENCY,
            desk.officer_a.id,
            stand_in_id=desk.officer_a.id,
        )
    assert "stand_in_id" in stand_in.value.field_errors()
    assert desk.officer_a.is_active
    with pytest.raises(Forbidden):
        officer_release.deactivate_officer(
            session, desk.region, desk.other_admin, AGENCY, desk.officer_a.id
        )


def test_deactivation_on_the_page(client: TestClient, session: Session, desk: DeskWorld) -> None:
    log_in(client, desk.region.slug, "admin.opd@example.org")
    page = staff_path(desk)
    html = client.get(page).text
    assert f"{page}/{desk.officer_a.id}/nonaktifkan" in html
    assert f"{page}/{desk.admin.id}/nonaktifkan" not in html  # not oneself
    done = post_form(
        client,
        f"{page}/{desk.officer_a.id}/nonaktifkan",
        {"stand_in_id": str(desk.officer_b.id)},
        page=page,
    )
    assert done.status_code == 303
    session.refresh(desk.officer_a)
    assert not desk.officer_a.is_active
    back = post_form(client, f"{page}/{desk.officer_a.id}/aktifkan", {}, page=page)
    assert back.status_code == 303
    session.refresh(desk.officer_a)
    assert desk.officer_a.is_active
