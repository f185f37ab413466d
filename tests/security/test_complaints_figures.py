"""Attacks on the complaint figures: read them without the right, read another region's, or
an agency admin reading other agencies' complaints through the dashboard or its export."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, StaffRoleName
from tests.complaints.conftest import PASSWORD as WORLD_PASSWORD
from tests.complaints.conftest import build_world
from tests.evaluation.test_complaint_figures_pages import (
    ADMIN,
    NOV_DEC,
    PASSWORD,
    SECRET_TITLE,
    Data,
    data,
    log_in,
    part,
)
from tests.factories import make_user, post_form

__all__ = ["data"]

EXPORT = f"/kota-aduan/admin/kinerja/pengaduan.csv?{NOV_DEC}"


def test_citizens_and_officers_cannot_read_the_figures(
    client: TestClient, session: Session, data: Data
) -> None:
    for email in (data.world.citizen.email, data.world.roads_officer.email):
        client.cookies.clear()
        response = post_form(
            client, "/kota-aduan/masuk", {"email": email, "password": WORLD_PASSWORD}
        )
        assert response.status_code == 303
        assert client.get(f"/kota-aduan/admin/kinerja?{NOV_DEC}").status_code == 403
        assert client.get(EXPORT).status_code == 403
    client.cookies.clear()
    assert client.get(EXPORT, follow_redirects=False).status_code in (303, 401, 403)


def test_another_regions_admin_cannot_read_this_regions_figures(
    client: TestClient, session: Session, data: Data
) -> None:
    other = build_world(session, "kota-lain")
    make_user(session, other.region, "admin.lain@example.org", PASSWORD, AccountKind.REGION_ADMIN)
    session.commit()
    response = post_form(
        client, "/kota-lain/masuk", {"email": "admin.lain@example.org", "password": PASSWORD}
    )
    assert response.status_code == 303

    # Their session does not open Kota Aduan's back office: to its login, or refused.
    for path in (f"/kota-aduan/admin/kinerja?{NOV_DEC}", EXPORT):
        response = client.get(path, follow_redirects=False)
        assert response.status_code in (303, 403, 404)
        assert "pengaduan masuk" not in response.text
    # Their own dashboard counts none of Kota Aduan's complaints.
    own = client.get(f"/kota-lain/admin/kinerja?{NOV_DEC}")
    assert '<span class="number">0</span> pengaduan masuk' in own.text
    assert SECRET_TITLE not in own.text


def test_an_agency_admin_sees_only_complaints_routed_to_their_agency(
    client: TestClient, session: Session, data: Data
) -> None:
    make_user(
        session,
        data.world.region,
        "admin.dlh@example.org",
        PASSWORD,
        AccountKind.STAFF,
        roles=[("dlh-uji", StaffRoleName.ADMIN_OPD)],
    )
    session.commit()
    log_in(client, "admin.dlh@example.org")

    page = client.get(f"/kota-aduan/admin/kinerja?{NOV_DEC}")

    assert page.status_code == 200
    summary = part(page.text, "ringkasan-pengaduan", "</ul>")
    assert '<span class="number">1</span> pengaduan masuk' in summary  # the confidential one
    per_agency = part(page.text, "pengaduan-per-opd", "</table>")
    assert data.world.roads.name not in per_agency
    export = client.get(EXPORT)
    assert export.status_code == 200
    assert ADMIN not in export.text and SECRET_TITLE not in export.text
