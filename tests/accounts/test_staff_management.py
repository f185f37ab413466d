"""An agency's staff as its admin OPD manages them: roles per agency, NIP and jabatan, the
last admin kept, every change audited; and the page that does it."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.accounts import staff
from simpul.accounts.models import OfficerAbsence, StaffRole, StaffRoleName
from simpul.core.errors import Conflict, Forbidden, InvalidInput
from simpul.core.kit.periods import today_in
from simpul.core.models import AuditEvent
from tests.factories import post_form
from tests.support.desk_world import DeskWorld, build_desk_world, log_in


@pytest.fixture
def desk(session: Session, tmp_path: Path) -> DeskWorld:
    return build_desk_world(session, tmp_path)


def roles_of(session: Session, desk: DeskWorld, user_id: object) -> set[str]:
    return {
        r.role.value for r in session.scalars(select(StaffRole).where(StaffRole.user_id == user_id))
    }


def test_admin_grants_and_revokes_roles_in_their_agency(session: Session, desk: DeskWorld) -> None:
    staff.grant_role(
        session,
        desk.region,
        desk.admin,
        "dinas-uji",
        "penandatangan",
        user_id=desk.verifier_only.id,
    )
    assert roles_of(session, desk, desk.verifier_only.id) == {"verifikator", "penandatangan"}
    staff.revoke_role(
        session, desk.region, desk.admin, "dinas-uji", desk.verifier_only.id, "verifikator"
    )
    assert roles_of(session, desk, desk.verifier_only.id) == {"penandatangan"}
    actions = [
        (e.action, e.details["role"])
        for e in session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action.like("staff_role.%"))
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    ]
    assert actions == [("staff_role.grant", "penandatangan"), ("staff_role.revoke", "verifikator")]


def test_a_colleague_is_added_by_email(session: Session, desk: DeskWorld) -> None:
    staff.grant_role(
        session, desk.region, desk.admin, "dinas-uji", "operator", email="ADMIN.LAIN@example.org"
    )
    held = {(r.role.value, r.agency_id) for r in desk.other_admin.roles}
    assert any(role == "operator" for role, _agency in held)
    with pytest.raises(InvalidInput) as citizen:
        staff.grant_role(
            session, desk.region, desk.admin, "dinas-uji", "operator", email="warga@example.org"
        )
    assert "email" in citizen.value.field_errors()


def test_the_last_admin_opd_stays(session: Session, desk: DeskWorld) -> None:
    with pytest.raises(Conflict, match="admin OPD terakhir"):
        staff.revoke_role(session, desk.region, desk.admin, "dinas-uji", desk.admin.id, "admin_opd")
    staff.grant_role(
        session, desk.region, desk.admin, "dinas-uji", "admin_opd", user_id=desk.officer_a.id
    )
    staff.revoke_role(session, desk.region, desk.officer_a, "dinas-uji", desk.admin.id, "admin_opd")
    assert StaffRoleName.ADMIN_OPD.value not in roles_of(session, desk, desk.admin.id)
    with pytest.raises(Conflict):
        staff.revoke_role(
            session, desk.region, desk.region_admin, "dinas-uji", desk.officer_a.id, "admin_opd"
        )


@pytest.mark.parametrize(
    ("nip", "fragment"),
    [
        ("19820315200604100", "18 angka"),
        ("1982031520060410034", "18 angka"),
        ("19820315200604100A", "18 angka"),
        ("198213152006041003", "tanggal lahir"),
        ("198203152006131003", "pengangkatan"),
        ("198203151970041003", "pengangkatan"),
        ("198203152006043003", "jenis kelamin"),
    ],
)
def test_nip_is_checked(session: Session, desk: DeskWorld, nip: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        staff.set_officer_identity(
            session, desk.region, desk.admin, "dinas-uji", desk.officer_a.id, nip=nip, position=""
        )
    assert fragment in caught.value.field_errors()["nip"]
    assert desk.officer_a.nip == ""


def test_nip_and_position_are_saved_and_audited(session: Session, desk: DeskWorld) -> None:
    staff.set_officer_identity(
        session,
        desk.region,
        desk.region_admin,
        "dinas-uji",
        desk.officer_a.id,
        nip="19820315 200604 1 003",
        position="  Kepala Dinas   Kependudukan dan Pencatatan Sipil ",
    )
    assert desk.officer_a.nip == "198203152006041003"
    assert desk.officer_a.position == "Kepala Dinas Kependudukan dan Pencatatan Sipil"
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "staff.identity")).one()
    assert event.details == {"agency": "dinas-uji", "changed": ["nip", "position"]}
    assert event.actor_id == desk.region_admin.id


def test_the_page_manages_roles_identity_and_absences(
    client: TestClient, session: Session, desk: DeskWorld
) -> None:
    session.commit()
    log_in(client, desk.region.slug, "admin.opd@example.org")
    home = client.get(f"/{desk.region.slug}/petugas")
    page_path = f"/{desk.region.slug}/petugas/instansi/dinas-uji/petugas"
    assert page_path in home.text
    page = client.get(page_path)
    assert page.status_code == 200
    assert desk.officer_a.full_name in page.text and "Cabut" in page.text
    granted = post_form(
        client,
        f"{page_path}/peran",
        {"user_id": str(desk.verifier_only.id), "role": "operator", "action": "beri"},
        page=page_path,
    )
    assert granted.status_code == 303
    bad_nip = post_form(
        client,
        f"{page_path}/{desk.officer_a.id}/identitas",
        {"nip": "12345", "position": "Kepala Seksi"},
        page=page_path,
    )
    assert bad_nip.status_code == 422
    assert "NIP terdiri dari 18 angka" in bad_nip.text
    assert 'aria-invalid="true"' in bad_nip.text
    absence = post_form(
        client,
        f"/{desk.region.slug}/petugas/instansi/dinas-uji/ketidakhadiran",
        {
            "officer_id": str(desk.officer_a.id),
            "delegate_id": str(desk.officer_b.id),
            "starts_on": "2000-01-01",
            "ends_on": "2000-01-02",
            "reason": "cuti",
        },
        page=page_path,
    )
    assert absence.status_code == 422
    assert "Tanggal selesai sudah lewat." in absence.text
    session.expire_all()
    assert "operator" in roles_of(session, desk, desk.verifier_only.id)


def test_region_admin_records_and_ends_an_absence_on_the_page(
    client: TestClient, session: Session, desk: DeskWorld
) -> None:
    session.commit()
    log_in(client, desk.region.slug, "admin.wilayah@example.org")
    admin_home = client.get(f"/{desk.region.slug}/admin")
    page_path = f"/{desk.region.slug}/petugas/instansi/dinas-uji/petugas"
    assert page_path in admin_home.text
    base = f"/{desk.region.slug}/petugas/instansi/dinas-uji/ketidakhadiran"
    missing = post_form(client, base, {"starts_on": "2026-01-01"}, page=page_path)
    assert missing.status_code == 422
    assert "Pilih petugas." in missing.text
    today = today_in(desk.region).isoformat()
    recorded = post_form(
        client,
        base,
        {
            "officer_id": str(desk.officer_a.id),
            "delegate_id": str(desk.officer_b.id),
            "starts_on": today,
            "ends_on": today,
            "reason": "dinas_luar",
            "note": "Rapat di provinsi",
        },
        page=page_path,
    )
    assert recorded.status_code == 303
    page = client.get(recorded.headers["location"])
    assert "Ketidakhadiran sudah dicatat" in page.text
    assert "Dinas luar: Rapat di provinsi" in page.text
    absence = session.scalars(select(OfficerAbsence)).one()
    ended = post_form(client, f"{base}/{absence.id}/akhiri", {}, page=page_path)
    assert ended.status_code == 303
    session.expire_all()
    assert session.scalars(select(OfficerAbsence)).one().ended_at is not None
    assert "Tidak ada petugas yang tercatat tidak hadir." in client.get(page_path).text


def test_an_admin_removed_can_no_longer_remove_the_other(session: Session, desk: DeskWorld) -> None:
    staff.grant_role(
        session, desk.region, desk.admin, "dinas-uji", "admin_opd", user_id=desk.officer_a.id
    )
    staff.revoke_role(session, desk.region, desk.admin, "dinas-uji", desk.officer_a.id, "admin_opd")
    with pytest.raises(Forbidden):
        staff.revoke_role(
            session, desk.region, desk.officer_a, "dinas-uji", desk.admin.id, "admin_opd"
        )
    assert "admin_opd" in roles_of(session, desk, desk.admin.id)
