"""Attacks on the public complaint pages: guessing numbers, another region's complaints,
markup in what citizens write, oversized fields, the filing rate."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from simpul.complaints import service as complaints
from simpul.complaints.models import Complaint
from tests.complaints.conftest import ComplaintWorld, build_world, pothole_filing
from tests.factories import csrf_from

FORM = "/kota-aduan/pengaduan/baru"


@pytest.fixture
def world(session: Session) -> ComplaintWorld:
    return build_world(session)


def _post(client: TestClient, **fields: str) -> object:
    data = {
        "jenis": "complaint",
        "kategori": "jalan-rusak",
        "judul": "Lubang besar di Jalan Dago",
        "isi": "Ada lubang besar di depan nomor 45, sudah dua minggu dan membahayakan motor.",
        "alamat": "Jl. Ir. H. Juanda No. 45",
        **fields,
    }
    data["csrf_token"] = csrf_from(client.get(FORM).text)
    return client.post(FORM, data=data, follow_redirects=False)


def test_unknown_and_confidential_numbers_look_the_same(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    secret = complaints.file_complaint(
        session, world.region, pothole_filing(confidential=True), reporter=world.citizen
    ).complaint
    session.flush()
    hidden = client.get(f"/kota-aduan/pengaduan/{secret.number}")
    unknown = client.get("/kota-aduan/pengaduan/ADU-2612-AAAA-BBBB")
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.text.replace(secret.number, "X") == unknown.text.replace(
        "ADU-2612-AAAA-BBBB", "X"
    )
    assert "Lubang besar" not in hidden.text


def test_another_regions_complaint_is_not_found(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    other = build_world(session, "kota-lain")
    theirs = complaints.file_complaint(
        session, other.region, pothole_filing(), reporter=other.citizen
    ).complaint
    session.flush()
    assert client.get(f"/kota-lain/pengaduan/{theirs.number}").status_code == 200
    assert client.get(f"/kota-aduan/pengaduan/{theirs.number}").status_code == 404
    assert "Lubang besar" not in client.get("/kota-aduan/pengaduan").text
    assert client.get("/kota-aduan/pengaduan/peta.json").json()["features"] == []


def test_markup_in_title_and_description_is_escaped(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    filed = complaints.file_complaint(
        session,
        world.region,
        pothole_filing(
            title="<script>alert('judul')</script>",
            description="<img src=x onerror=alert(1)> lubang besar sekali di jalan kami ini",
        ),
        reporter=world.citizen,
    ).complaint
    session.flush()
    page = client.get(f"/kota-aduan/pengaduan/{filed.number}")
    assert "<script>alert(" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;" in page.text
    listing = client.get("/kota-aduan/pengaduan")
    assert "<script>alert(" not in listing.text


def test_oversized_fields_are_refused_cleanly(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    before = session.scalar(select(func.count()).select_from(Complaint))
    response = _post(client, judul="J" * 500, isi="x" * 7000, alamat="A" * 400)
    assert response.status_code == 422  # type: ignore[attr-defined]
    text = response.text  # type: ignore[attr-defined]
    assert 'href="#f-judul"' in text and 'href="#f-alamat"' in text
    assert session.scalar(select(func.count()).select_from(Complaint)) == before
    # A far too long number is not an error page.
    assert client.get("/kota-aduan/pengaduan/" + "A" * 5000).status_code == 404


@pytest.mark.usefixtures("still_limits")
def test_filing_is_limited_per_source_address(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    answers = [_post(client).status_code for _ in range(6)]  # type: ignore[attr-defined]
    assert answers[:5] == [200] * 5
    assert answers[5] == 429
    refused = _post(client)
    assert int(refused.headers["retry-after"]) > 0  # type: ignore[attr-defined]


def test_the_map_never_carries_personal_fields(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    complaints.file_complaint(
        session,
        world.region,
        pothole_filing(contact={"name": "Siti Aminah", "phone": "08123456789"}),
        reporter=None,
    )
    session.flush()
    body = client.get("/kota-aduan/pengaduan/peta.json")
    assert body.headers["content-type"].startswith("application/geo+json")
    assert "Siti" not in body.text and "0812" not in body.text
    assert "Jl. Ir. H. Juanda" not in body.text


@pytest.mark.usefixtures("still_limits")
def test_access_code_guessing_is_limited(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    filed = complaints.file_complaint(session, world.region, pothole_filing(), reporter=None)
    session.flush()
    token = csrf_from(client.get("/kota-aduan/pengaduan/lacak").text)
    answers = [
        client.post(
            "/kota-aduan/pengaduan/lacak",
            data={"nomor": filed.complaint.number, "kode": f"GUESS{i:05d}", "csrf_token": token},
        ).status_code
        for i in range(11)
    ]
    assert answers[:10] == [404] * 10 and answers[10] == 429
    # Even the right code waits now: the limit does not tell right from wrong.
    right = client.post(
        "/kota-aduan/pengaduan/lacak",
        data={"nomor": filed.complaint.number, "kode": filed.access_code, "csrf_token": token},
    )
    assert right.status_code == 429 and "Lubang besar" not in right.text
