"""Open311 GeoReport v2: discovery, services, posting and reading requests in JSON and XML."""

from __future__ import annotations

from typing import Any

import defusedxml.ElementTree as SafeET
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from simpul.complaints import service as complaints
from tests.complaints.conftest import ComplaintWorld

BASE = "/open311/kota-aduan/v2"


def issue_key(session: Session, world: ComplaintWorld, name: str = "Aplikasi uji") -> str:
    key = complaints.issue_open311_key(session, world.region, name, "uji")
    session.flush()
    return key


def pothole_post(key: str, **changes: str) -> dict[str, str]:
    data = {
        "api_key": key,
        "service_code": "jalan-rusak",
        "lat": "-6.8876",
        "long": "107.6133",
        "address_string": "Jl. Ir. H. Juanda No. 45",
        "description": "Ada lubang besar di depan nomor 45, sudah dua minggu dan berbahaya.",
        "first_name": "Sari",
        "last_name": "Wulandari",
        "email": "sari@example.org",
        "phone": "081234567890",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != "-"}


def xml_requests(body: bytes) -> list[dict[str, str]]:
    root = SafeET.fromstring(body)
    return [{child.tag: child.text or "" for child in item} for item in root]


def xml_errors(body: bytes) -> list[tuple[str, str]]:
    root = SafeET.fromstring(body)
    assert root.tag == "errors"
    return [(e.findtext("code") or "", e.findtext("description") or "") for e in root]


def read(client: TestClient, path: str, fmt: str, **params: str) -> Any:
    response = client.get(f"{BASE}/{path}.{fmt}", params=params)
    assert response.status_code == 200, response.text
    if fmt == "json":
        assert response.headers["content-type"] == "application/json; charset=utf-8"
        return response.json()
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    return xml_requests(response.content)


def test_discovery_names_the_endpoint_and_where_keys_come_from(
    client: TestClient, world: ComplaintWorld
) -> None:
    found = client.get(f"{BASE}/discovery.json").json()
    endpoint = found["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/kota-aduan/v2")
    assert endpoint["formats"] == ["text/xml", "application/json"]
    assert "admin" in found["key_service"]
    root = SafeET.fromstring(client.get(f"{BASE}/discovery.xml").content)
    assert root.tag == "discovery"
    assert [f.text for f in root.iter("format")] == ["text/xml", "application/json"]


def test_services_and_a_definition_with_attributes_in_both_formats(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    world.pothole.attributes = [
        {
            "code": "ukuran",
            "datatype": "singlevaluelist",
            "required": True,
            "description": "Seberapa besar lubangnya?",
            "order": 1,
            "values": [{"key": "kecil", "name": "Kecil"}, {"key": "besar", "name": "Besar"}],
        }
    ]
    session.flush()
    services = client.get(f"{BASE}/services.json").json()
    assert {s["service_code"] for s in services} == {"jalan-rusak", "sampah", "pelayanan-petugas"}
    pothole = next(s for s in services if s["service_code"] == "jalan-rusak")
    assert pothole["metadata"] is True and pothole["type"] == "realtime"
    assert pothole["group"] == "Infrastruktur" and pothole["keywords"] == "jalan,lubang,aspal"
    root = SafeET.fromstring(client.get(f"{BASE}/services.xml").content)
    assert root.tag == "services"
    assert {s.findtext("metadata") for s in root} == {"true", "false"}

    definition = client.get(f"{BASE}/services/jalan-rusak.json").json()
    attribute = definition["attributes"][0]
    assert attribute["variable"] is True and attribute["required"] is True
    assert attribute["values"] == [
        {"key": "kecil", "name": "Kecil"},
        {"key": "besar", "name": "Besar"},
    ]
    root = SafeET.fromstring(client.get(f"{BASE}/services/jalan-rusak.xml").content)
    assert root.tag == "service_definition"
    assert [v.findtext("key") for v in root.iter("value")] == ["kecil", "besar"]
    missing = client.get(f"{BASE}/services/tidak-ada.xml")
    assert missing.status_code == 404 and xml_errors(missing.content)[0][0] == "404"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_posted_request_round_trips_until_it_is_closed(
    client: TestClient, session: Session, world: ComplaintWorld, fmt: str
) -> None:
    key = issue_key(session, world)
    response = client.post(f"{BASE}/requests.{fmt}", data=pothole_post(key, account_id="app-7"))
    assert response.status_code == 201, response.text
    posted = response.json()[0] if fmt == "json" else xml_requests(response.content)[0]
    number, token = posted["service_request_id"], posted["token"]
    assert posted["account_id"] == "app-7" and "publik" in posted["service_notice"]

    for read_fmt in ("json", "xml"):
        (one,) = read(client, f"requests/{number}", read_fmt)
        listed = [
            r for r in read(client, "requests", read_fmt) if r["service_request_id"] == number
        ]
        assert listed == [one]
        assert float(one["lat"]) == -6.8876 and float(one["long"]) == 107.6133
        assert one["description"].startswith("Ada lubang besar")
        assert one["service_code"] == "jalan-rusak" and one["status"] == "open"
        assert one["address"] == "Jl. Ir. H. Juanda No. 45"
        assert one["expected_datetime"].endswith("T23:59:59+07:00")
        assert read(client, f"tokens/{token}", read_fmt) == [
            {"service_request_id": number, "token": token}
        ]

    complaint = complaints.public_complaint(session, world.region, number)
    assert complaint.source is complaints.ComplaintSource.OPEN311
    assert complaints.contact_of(complaint)["email"] == "sari@example.org"
    complaints.route(session, world.region, world.desk, complaint, world.roads.id)
    complaints.answer(
        session, world.region, world.roads_officer, complaint, "Sudah ditambal.", final=True
    )
    session.flush()
    for read_fmt in ("json", "xml"):
        (one,) = read(client, f"requests/{number}", read_fmt)
        assert one["status"] == "closed" and one["status_notes"] == "Sudah ditambal."
        assert one["agency_responsible"] == world.roads.name


def test_list_filters_by_status_service_dates_and_ids(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    key = issue_key(session, world)
    first = client.post(f"{BASE}/requests.json", data=pothole_post(key)).json()[0]
    garbage = client.post(
        f"{BASE}/requests.json",
        data=pothole_post(
            key,
            service_code="sampah",
            description="Sampah menumpuk di pinggir jalan sejak seminggu, baunya menyengat.",
        ),
    ).json()[0]
    complaint = complaints.public_complaint(session, world.region, first["service_request_id"])
    complaints.reject(session, world.region, world.desk, complaint, "Laporan ganda, sudah ada.")
    session.flush()

    def numbers(**params: str) -> set[str]:
        return {r["service_request_id"] for r in read(client, "requests", "json", **params)}

    both = {first["service_request_id"], garbage["service_request_id"]}
    assert numbers() == both
    assert numbers(status="closed") == {first["service_request_id"]}
    assert numbers(status="open") == {garbage["service_request_id"]}
    assert numbers(status="open,closed") == both
    assert numbers(service_code="sampah") == {garbage["service_request_id"]}
    assert numbers(start_date="2000-01-01T00:00:00Z", end_date="2000-02-01T00:00:00Z") == set()
    assert numbers(service_request_id=",".join(both), status="open") == both  # ids win


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_errors_come_in_the_specifications_format(
    client: TestClient, session: Session, world: ComplaintWorld, fmt: str
) -> None:
    key = issue_key(session, world)

    def post(data: dict[str, str]) -> tuple[int, list[tuple[str, str]]]:
        response = client.post(f"{BASE}/requests.{fmt}", data=data)
        if fmt == "json":
            return response.status_code, [
                (str(e["code"]), e["description"]) for e in response.json()
            ]
        return response.status_code, xml_errors(response.content)

    status, errors = post(pothole_post("-"))
    assert status == 403 and errors[0][0] == "403" and "api_key" in errors[0][1]
    status, errors = post(pothole_post(key, service_code="tidak-ada"))
    assert status == 400 and "service_code" in errors[0][1]
    status, errors = post(pothole_post(key, lat="utara"))
    assert status == 400 and "lat" in errors[0][1]
    status, errors = post(pothole_post(key, lat="95"))
    assert status == 400
    status, errors = post(pothole_post(key, description="pendek"))
    assert status == 400 and errors
    key_row = complaints.open311_keys(session, world.region)[0]
    complaints.revoke_open311_key(session, world.region, key_row.id, "uji")
    session.flush()
    status, errors = post(pothole_post(key))
    assert status == 403 and errors[0][0] == "403"

    bad_date = client.get(f"{BASE}/requests.{fmt}", params={"start_date": "kemarin"})
    assert bad_date.status_code == 400
    bad_status = client.get(f"{BASE}/requests.{fmt}", params={"status": "pending"})
    assert bad_status.status_code == 400
    if fmt == "xml":
        assert xml_errors(bad_date.content)[0][0] == "400"
    else:
        assert bad_date.json()[0]["code"] == 400 and "error" not in bad_date.text
    wrong_jurisdiction = client.get(
        f"{BASE}/services.{fmt}", params={"jurisdiction_id": "kota-lain"}
    )
    assert wrong_jurisdiction.status_code == 404
    assert (
        client.get(f"{BASE}/services.json", params={"jurisdiction_id": "kota-aduan"}).status_code
        == 200
    )
    assert client.get("/open311/tidak-ada/v2/services.json").json()[0]["code"] == 404
    assert client.get(f"{BASE}/requests/ADU-0000-0000-0000.{fmt}").status_code == 404


def test_attributes_are_checked_against_the_definition(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    world.pothole.attributes = [
        {
            "code": "ukuran",
            "datatype": "singlevaluelist",
            "required": True,
            "order": 1,
            "values": [{"key": "kecil", "name": "Kecil"}, {"key": "besar", "name": "Besar"}],
        },
        {"code": "kedalaman", "datatype": "number", "required": False, "order": 2, "values": []},
    ]
    session.flush()
    key = issue_key(session, world)

    def post(**extra: str) -> Any:
        return client.post(f"{BASE}/requests.json", data={**pothole_post(key), **extra})

    assert "ukuran" in post().json()[0]["description"]  # required
    assert post(**{"attribute[ukuran]": "raksasa"}).status_code == 400
    assert post(**{"attribute[ukuran]": "besar", "attribute[warna]": "x"}).status_code == 400
    assert (
        post(**{"attribute[ukuran]": "besar", "attribute[kedalaman]": "dalam"}).status_code == 400
    )
    ok = post(
        **{
            "attribute[ukuran]": "besar",
            "attribute[kedalaman]": "12.5",
            "media_url": "https://foto.example.org/lubang.jpg",
        }
    )
    assert ok.status_code == 201, ok.text
    number = ok.json()[0]["service_request_id"]
    complaint = complaints.public_complaint(session, world.region, number)
    assert complaint.attributes["ukuran"] == "besar" and complaint.attributes["kedalaman"] == 12.5
    (one,) = read(client, f"requests/{number}", "json")
    assert one["media_url"] == "https://foto.example.org/lubang.jpg"
