"""Possible duplicates shown to the complaint desk, and the merge it does from them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from simpul.applications.models import Notification
from simpul.complaints import service as complaints
from simpul.complaints.models import Complaint, ComplaintStatus
from simpul.core.models import utcnow
from tests.complaints.conftest import PASSWORD, ComplaintWorld, pothole_filing
from tests.factories import post_form

# The first report's point; 0.001 degree of latitude is about 111 m.
LAT, LNG = -6.8876, 107.6133


def _file(session: Session, world: ComplaintWorld, **changes: Any) -> Complaint:
    reporter = changes.pop("reporter", world.citizen)
    now = changes.pop("now", None)
    return complaints.file_complaint(
        session, world.region, pothole_filing(**changes), reporter=reporter, now=now
    ).complaint


def login(client: TestClient, email: str) -> None:
    response = post_form(client, "/kota-aduan/masuk", {"email": email, "password": PASSWORD})
    assert response.status_code == 303


def test_a_near_similar_recent_report_is_found_and_the_others_are_not(
    session: Session, world: ComplaintWorld
) -> None:
    first = _file(session, world, now=utcnow() - timedelta(days=3))
    again = _file(
        session,
        world,
        reporter=world.other_citizen,
        title="Jalan Dago berlubang besar",
        description="Lubang besar di Jalan Dago depan nomor 45 membahayakan pengendara motor.",
        latitude=LAT + 0.001,
    )
    far = _file(session, world, latitude=LAT + 0.01, now=utcnow() - timedelta(days=1))
    other_category = _file(
        session,
        world,
        category="sampah",
        title="Sampah dan lubang di Jalan Dago",
        now=utcnow() - timedelta(days=1),
    )
    old = _file(session, world, now=utcnow() - timedelta(days=40))
    unrelated = _file(
        session,
        world,
        title="Trotoar dipakai pedagang",
        description="Pedagang kaki lima menutup trotoar, pejalan kaki turun ke badan jalan.",
        now=utcnow() - timedelta(days=1),
    )
    rejected = _file(session, world, now=utcnow() - timedelta(days=2))
    complaints.reject(session, world.region, world.desk, rejected, "Laporan ganda")

    found = complaints.duplicate_candidates(session, world.region, again)
    numbers = [c.complaint.number for c in found]
    assert numbers == [first.number]
    candidate = found[0]
    assert candidate.distance_m is not None and 90 < candidate.distance_m < 130
    assert 0.2 < candidate.similarity <= 1
    for absent in (far, other_category, old, unrelated, rejected):
        assert absent.number not in numbers


def test_without_a_point_the_words_and_time_still_find_it(
    session: Session, world: ComplaintWorld
) -> None:
    first = _file(session, world, latitude=None, longitude=None, now=utcnow() - timedelta(days=1))
    again = _file(session, world, reporter=world.other_citizen)
    [candidate] = complaints.duplicate_candidates(session, world.region, again)
    assert candidate.complaint.id == first.id and candidate.distance_m is None


def test_the_desk_sees_the_list_and_merges_the_newer_into_the_older(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    older = _file(session, world, now=utcnow() - timedelta(days=2))
    newer = _file(session, world, reporter=world.other_citizen, latitude=LAT + 0.001)
    session.flush()
    login(client, "meja.aduan@example.org")
    page = client.get(f"/kota-aduan/petugas/pengaduan/{newer.number}/duplikat")
    assert page.status_code == 200
    assert "<html" in page.text and older.number in page.text
    assert "±111 m" in page.text or "±110 m" in page.text
    assert f"Gabungkan {newer.number} ke pengaduan {older.number}" in page.text
    # The back office loads the same list into its page with htmx.
    fragment = client.get(
        f"/kota-aduan/petugas/pengaduan/{newer.number}/duplikat", headers={"HX-Request": "true"}
    )
    assert "<html" not in fragment.text and older.number in fragment.text

    response = post_form(
        client,
        f"/kota-aduan/petugas/pengaduan/{newer.number}/gabung",
        {"ke": older.number},
        page=f"/kota-aduan/petugas/pengaduan/{newer.number}/duplikat",
    )
    assert response.status_code == 303
    assert response.headers["location"] == (
        f"/kota-aduan/petugas/pengaduan/{older.number}?pesan=digabung"
    )
    session.expire_all()
    assert session.get(Complaint, newer.id).status is ComplaintStatus.MERGED  # type: ignore[union-attr]
    assert world.other_citizen.id in complaints.followers(session, world.region, older)
    told = session.query(Notification).filter(Notification.user_id == world.other_citizen.id)
    assert "complaint_merged" in [n.kind for n in told]
    # Merged, it is no longer offered as a duplicate of the older one.
    assert complaints.duplicate_candidates(session, world.region, older) == []


def test_merging_into_a_closed_complaint_is_refused_with_the_reason(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    older = _file(session, world, now=utcnow() - timedelta(days=2))
    newer = _file(session, world, reporter=world.other_citizen)
    complaints.reject(session, world.region, world.desk, older, "Bukan wewenang daerah")
    session.flush()
    login(client, "meja.aduan@example.org")
    response = post_form(
        client,
        f"/kota-aduan/petugas/pengaduan/{newer.number}/gabung",
        {"ke": older.number},
        page=f"/kota-aduan/petugas/pengaduan/{newer.number}/duplikat",
    )
    assert response.status_code == 409
    assert "Gabungkan ke pengaduan yang masih ditangani." in response.text
    session.expire_all()
    assert session.get(Complaint, newer.id).status is ComplaintStatus.NEW  # type: ignore[union-attr]


def test_an_agency_officer_gets_not_found(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    older = _file(session, world, now=utcnow() - timedelta(days=2))
    newer = _file(session, world, reporter=world.other_citizen)
    complaints.route(session, world.region, world.desk, older, world.roads.id)
    complaints.route(session, world.region, world.desk, newer, world.roads.id)
    session.flush()
    login(client, "petugas.jalan@example.org")
    assert client.get(f"/kota-aduan/petugas/pengaduan/{newer.number}/duplikat").status_code == 404


def test_a_report_filed_under_the_wrong_category_is_found_through_its_suggested_one(
    session: Session, world: ComplaintWorld
) -> None:
    first = _file(session, world, now=utcnow() - timedelta(days=1))
    wrong = _file(session, world, reporter=world.other_citizen, category="pelayanan-petugas")
    assert complaints.duplicate_candidates(session, world.region, wrong) == []
    # The classifier read a pothole in it (as complaints.suggest_for stores at filing).
    wrong.suggested_category_id = world.pothole.id
    found = complaints.duplicate_candidates(session, world.region, wrong)
    assert [c.complaint.id for c in found] == [first.id]
