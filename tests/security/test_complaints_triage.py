"""Attacks on the duplicate finder and the merge: only the region's complaint desk merges, only
its own region's complaints, and what it is shown stays inside the back office.

Decided: a confidential complaint IS offered to the desk as a duplicate (the desk reads every
complaint of its region, confidential ones included, and must be able to merge a repeat of
one); the page is the desk's only, so nothing confidential reaches anyone else."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from simpul.complaints import service as complaints
from simpul.complaints.models import Complaint, ComplaintStatus
from simpul.core.errors import Forbidden
from simpul.core.models import utcnow
from tests.complaints.conftest import PASSWORD, ComplaintWorld, build_world, pothole_filing
from tests.factories import csrf_from, post_form


@pytest.fixture
def world(session: Session) -> ComplaintWorld:
    return build_world(session)


def _file(session: Session, world: ComplaintWorld, **changes: Any) -> Complaint:
    reporter = changes.pop("reporter", world.citizen)
    now = changes.pop("now", None)
    return complaints.file_complaint(
        session, world.region, pothole_filing(**changes), reporter=reporter, now=now
    ).complaint


def _login(client: TestClient, slug: str, email: str) -> None:
    response = post_form(client, f"/{slug}/masuk", {"email": email, "password": PASSWORD})
    assert response.status_code == 303


def _pair(session: Session, world: ComplaintWorld) -> tuple[Complaint, Complaint]:
    older = _file(session, world, now=utcnow() - timedelta(days=2))
    newer = _file(session, world, reporter=world.other_citizen)
    session.flush()
    return older, newer


def _status(session: Session, complaint: Complaint) -> ComplaintStatus:
    session.expire_all()
    found = session.get(Complaint, complaint.id)
    assert found is not None
    return found.status


def _post_merge(client: TestClient, slug: str, number: str, into: str) -> Any:
    # A token from a page the attacker may open (their own account page).
    token = csrf_from(client.get(f"/{slug}/akun").text)
    return client.post(
        f"/{slug}/petugas/pengaduan/{number}/gabung",
        data={"ke": into, "csrf_token": token},
        follow_redirects=False,
    )


def test_a_citizen_cannot_merge_or_list_duplicates(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    older, newer = _pair(session, world)
    _login(client, "kota-aduan", "tetangga.aduan@example.org")
    assert _post_merge(client, "kota-aduan", newer.number, older.number).status_code in (403, 404)
    page = client.get(f"/kota-aduan/petugas/pengaduan/{newer.number}/duplikat")
    assert page.status_code in (403, 404) and older.number not in page.text
    assert _status(session, newer) is ComplaintStatus.NEW


def test_an_officer_who_is_not_the_desk_cannot_merge(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    older, newer = _pair(session, world)
    complaints.route(session, world.region, world.desk, older, world.roads.id)
    complaints.route(session, world.region, world.desk, newer, world.roads.id)
    session.flush()
    # Even the agency that handles both: merging is the desk's decision.
    _login(client, "kota-aduan", "petugas.jalan@example.org")
    assert _post_merge(client, "kota-aduan", newer.number, older.number).status_code == 404
    assert _status(session, newer) is ComplaintStatus.ROUTED
    with pytest.raises(Forbidden):
        complaints.merge(session, world.region, world.roads_officer, newer, older)


def test_without_the_csrf_token_nothing_is_merged(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    older, newer = _pair(session, world)
    _login(client, "kota-aduan", "meja.aduan@example.org")
    response = client.post(
        f"/kota-aduan/petugas/pengaduan/{newer.number}/gabung",
        data={"ke": older.number},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert _status(session, newer) is ComplaintStatus.NEW


def test_another_regions_complaints_are_not_found(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    other = build_world(session, "kota-lain")
    theirs = _file(session, other, now=utcnow() - timedelta(days=1))
    ours = _file(session, world)
    session.flush()
    _login(client, "kota-aduan", "meja.aduan@example.org")
    # Their number under our region, and our desk merging into their number: not found.
    assert client.get(f"/kota-aduan/petugas/pengaduan/{theirs.number}/duplikat").status_code == 404
    assert (
        client.get(
            f"/kota-aduan/petugas/pengaduan/{theirs.number}/duplikat",
            headers={"HX-Request": "true"},
        ).status_code
        == 404
    )
    assert _post_merge(client, "kota-aduan", ours.number, theirs.number).status_code == 404
    # Their region's pages do not know our desk (a login holds in its own region only): it is
    # sent to log in there.
    foreign = client.get(
        f"/kota-lain/petugas/pengaduan/{theirs.number}/duplikat", follow_redirects=False
    )
    assert foreign.status_code in (303, 401, 403, 404)
    assert theirs.number not in foreign.text
    assert _status(session, ours) is ComplaintStatus.NEW
    # Nearby, same words, same category code: still never offered across regions.
    assert complaints.duplicate_candidates(session, world.region, ours) == []


def test_a_confidential_repeat_is_offered_to_the_desk_only(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    secret = _file(session, world, confidential=True, now=utcnow() - timedelta(days=1))
    newer = _file(session, world, reporter=world.other_citizen)
    session.flush()
    _login(client, "kota-aduan", "meja.aduan@example.org")
    page = client.get(f"/kota-aduan/petugas/pengaduan/{newer.number}/duplikat")
    assert page.status_code == 200 and secret.number in page.text
    client.cookies.clear()
    _login(client, "kota-aduan", "warga.aduan@example.org")
    page = client.get(f"/kota-aduan/petugas/pengaduan/{newer.number}/duplikat")
    assert secret.number not in page.text


def test_an_anonymous_reporter_is_not_named_on_the_list(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    hidden = _file(session, world, anonymous=True, now=utcnow() - timedelta(days=1))
    newer = _file(session, world, reporter=world.other_citizen)
    session.flush()
    _login(client, "kota-aduan", "meja.aduan@example.org")
    page = client.get(f"/kota-aduan/petugas/pengaduan/{newer.number}/duplikat")
    assert hidden.number in page.text
    assert world.citizen.full_name not in page.text
    assert world.citizen.email not in page.text
