"""The complaints JSON API at ``/api/{region}/complaints``."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from simpul.accounts import service as accounts
from simpul.accounts.models import User
from simpul.complaints import service as complaints
from tests.complaints.conftest import ComplaintWorld, pothole_filing

BASE = "/api/kota-aduan/complaints"


def bearer(session: Session, user: User) -> dict[str, str]:
    _, raw = accounts.create_api_token(session, user, "aplikasi uji")
    session.flush()
    return {"Authorization": f"Bearer {raw}"}


def body(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "kind": "complaint",
        "category": "jalan-rusak",
        "title": "Lubang besar di Jalan Dago",
        "description": "Ada lubang besar di depan nomor 45, sudah dua minggu dan membahayakan.",
        "latitude": -6.8876,
        "longitude": 107.6133,
        "address": "Jl. Ir. H. Juanda No. 45",
    }
    data.update(changes)
    return data


def test_filing_without_an_account_gives_a_number_and_an_access_code(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    response = client.post(BASE, json=body())
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["status"] == "new" and created["access_code"]
    shown = client.get(f"{BASE}/{created['number']}").json()
    assert shown["title"] == "Lubang besar di Jalan Dago" and shown["category"] == "jalan-rusak"
    complaint = complaints.public_complaint(session, world.region, created["number"])
    assert complaint.source is complaints.ComplaintSource.API and complaint.reporter_id is None


def test_a_citizen_files_with_a_token_and_reads_their_confidential_complaint(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    headers = bearer(session, world.citizen)
    created = client.post(BASE, json=body(confidential=True), headers=headers).json()
    assert created["access_code"] is None
    mine = client.get(f"{BASE}/{created['number']}", headers=headers)
    assert mine.status_code == 200 and mine.json()["confidential"] is True
    assert client.get(f"{BASE}/{created['number']}").status_code == 404
    others = bearer(session, world.other_citizen)
    assert client.get(f"{BASE}/{created['number']}", headers=others).status_code == 404


def test_invalid_filings_name_each_field(client: TestClient, world: ComplaintWorld) -> None:
    response = client.post(BASE, json=body(category="tidak-ada", title="", description="x"))
    assert response.status_code == 422
    fields = {d["field"] for d in response.json()["error"]["details"]}
    assert {"kategori", "judul", "isi"} <= fields
    assert client.post(BASE, json=body(extra="x")).status_code == 422


def test_the_public_list_pages_newest_first_and_categories_are_listed(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    older = complaints.file_complaint(
        session, world.region, pothole_filing(), reporter=world.citizen
    ).complaint
    newer = complaints.file_complaint(
        session, world.region, pothole_filing(title="Lubang kedua"), reporter=world.citizen
    ).complaint
    session.flush()
    listed = [c["number"] for c in client.get(BASE).json()]
    assert listed.index(newer.number) < listed.index(older.number)
    assert client.get(BASE, params={"page": 2}).json() == []
    codes = [c["code"] for c in client.get(f"{BASE}/categories").json()]
    assert set(codes) == {"jalan-rusak", "sampah", "pelayanan-petugas"}


def test_the_api_is_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    assert "/api/{region}/complaints" in paths
    assert "/api/{region}/complaints/{number}" in paths


def test_a_confidential_complaint_filed_without_an_account_opens_with_its_access_code(
    client: TestClient, world: ComplaintWorld
) -> None:
    created = client.post(BASE, json=body(confidential=True)).json()
    url = f"{BASE}/{created['number']}"
    assert client.get(url).status_code == 404
    assert client.get(url, headers={"X-Access-Code": "SALAH12345"}).status_code == 404
    shown = client.get(url, headers={"X-Access-Code": created["access_code"]})
    assert shown.status_code == 200 and shown.json()["confidential"] is True
