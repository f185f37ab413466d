"""Attacks on Open311 and the complaints JSON API: confidential complaints never leak,
anonymous ones carry nobody, keys are not guessed nor used across regions, XML stays XML."""

from __future__ import annotations

import defusedxml.ElementTree as SafeET
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from simpul.accounts import service as accounts
from simpul.complaints import open311
from simpul.complaints import service as complaints
from simpul.complaints.open311 import FAILED_KEYS_PER_MINUTE
from tests.complaints.conftest import ComplaintWorld, build_world, pothole_filing

BASE = "/open311/kota-aduan/v2"
API = "/api/kota-aduan/complaints"
SECRET_WORDS = "Rahasia-lubang-kantor-camat"


@pytest.fixture
def world(session: Session) -> ComplaintWorld:
    return build_world(session)


def _key(session: Session, world: ComplaintWorld) -> str:
    key = complaints.issue_open311_key(session, world.region, "Aplikasi", "uji")
    session.flush()
    return key


def _post(key: str, **changes: str) -> dict[str, str]:
    data = {
        "api_key": key,
        "service_code": "jalan-rusak",
        "lat": "-6.8876",
        "long": "107.6133",
        "description": "Ada lubang besar di depan nomor 45, sudah dua minggu dan berbahaya.",
        "first_name": "Sari",
        "last_name": "Wulandari",
        "email": "sari.pelapor@example.org",
        "phone": "081299990000",
    }
    data.update(changes)
    return data


def test_a_confidential_complaint_never_appears_in_open311_nor_the_json_api(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    secret = complaints.file_complaint(
        session,
        world.region,
        pothole_filing(confidential=True, description=f"{SECRET_WORDS} di depan kantor camat."),
        reporter=world.citizen,
    ).complaint
    public = complaints.file_complaint(
        session, world.region, pothole_filing(), reporter=world.citizen
    ).complaint
    secret.open311_token = "token-rahasia-yang-ditebak-0001"
    session.flush()
    pages = [
        client.get(f"{BASE}/requests.json"),
        client.get(f"{BASE}/requests.xml"),
        client.get(f"{BASE}/requests.json", params={"status": "open"}),
        client.get(
            f"{BASE}/requests.xml",
            params={"service_request_id": f"{secret.number},{public.number}"},
        ),
        client.get(f"{BASE}/requests.json", params={"service_request_id": secret.number}),
        client.get(API),
        client.get(API, headers=_bearer(session, world.other_citizen)),
    ]
    for page in pages:
        assert page.status_code == 200
        assert secret.number not in page.text and SECRET_WORDS not in page.text
    assert public.number in pages[0].text and public.number in pages[3].text
    for fmt in ("json", "xml"):
        by_id = client.get(f"{BASE}/requests/{secret.number}.{fmt}")
        unknown = client.get(f"{BASE}/requests/ADU-0000-XXXX-YYYY.{fmt}")
        assert by_id.status_code == unknown.status_code == 404
        assert by_id.content.replace(secret.number.encode(), b"") == unknown.content.replace(
            b"ADU-0000-XXXX-YYYY", b""
        )
        token = client.get(f"{BASE}/tokens/token-rahasia-yang-ditebak-0001.{fmt}")
        assert token.status_code == 404 and secret.number not in token.text
    assert client.get(f"{API}/{secret.number}").status_code == 404
    other = _bearer(session, world.other_citizen)
    assert client.get(f"{API}/{secret.number}", headers=other).status_code == 404


def _bearer(session: Session, user: object) -> dict[str, str]:
    _, raw = accounts.create_api_token(session, user, "uji")  # type: ignore[arg-type]
    session.flush()
    return {"Authorization": f"Bearer {raw}"}


def test_anonymous_and_posted_requests_carry_no_personal_field(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    anonymous = complaints.file_complaint(
        session,
        world.region,
        pothole_filing(anonymous=True, description="Lubang di depan rumah, NIK 3273015708900001."),
        reporter=world.citizen,
    ).complaint
    session.flush()
    key = _key(session, world)
    posted = client.post(f"{BASE}/requests.json", data=_post(key)).json()[0]
    citizen = world.citizen
    for fmt in ("json", "xml"):
        for path in (
            f"requests/{anonymous.number}",
            f"requests/{posted['service_request_id']}",
            "requests",
        ):
            text = client.get(f"{BASE}/{path}.{fmt}").text
            for personal in (
                citizen.email,
                citizen.full_name,
                "3273015708900001",
                "sari.pelapor@example.org",
                "Wulandari",
                "081299990000",
            ):
                assert personal not in text
    listed = client.get(API).text
    assert citizen.email not in listed and "3273015708900001" not in listed


@pytest.mark.usefixtures("still_limits")
def test_guessing_keys_is_slowed_and_a_key_of_another_region_does_not_work(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    other = build_world(session, "kota-lain")
    other_key = complaints.issue_open311_key(session, other.region, "Aplikasi lain", "uji")
    session.flush()
    refused = client.post(f"{BASE}/requests.json", data=_post(other_key))
    assert refused.status_code == 403
    assert (
        client.post("/open311/kota-lain/v2/requests.json", data=_post(other_key)).status_code == 201
    )
    for _ in range(FAILED_KEYS_PER_MINUTE - 1):
        assert client.post(f"{BASE}/requests.json", data=_post("o311_tebakan")).status_code == 403
    limited = client.post(f"{BASE}/requests.xml", data=_post("o311_tebakan"))
    assert limited.status_code == 429 and "Retry-After" in limited.headers
    assert SafeET.fromstring(limited.content).findtext("error/code") == "429"


def test_xml_special_characters_come_out_escaped_and_parseable(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    key = _key(session, world)
    nasty = 'Lubang <b>besar</b> & "dalam" \'sekali\' ]]> <!DOCTYPE x [<!ENTITY e "y">]> &e;'
    created = client.post(f"{BASE}/requests.xml", data=_post(key, description=nasty))
    assert created.status_code == 201, created.text
    number = SafeET.fromstring(created.content).findtext("request/service_request_id")
    body = client.get(f"{BASE}/requests/{number}.xml").content
    assert SafeET.fromstring(body).findtext("request/description") == nasty


def test_oversized_and_repeated_fields_are_refused(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    key = _key(session, world)
    for field, size in (
        ("description", 4001),
        ("first_name", 101),
        ("media_url", 501),
        ("attribute[ukuran]", 1001),
    ):
        response = client.post(f"{BASE}/requests.json", data=_post(key, **{field: "a" * size}))
        assert response.status_code == 400, field
    twice = client.post(f"{BASE}/requests.json", data={**_post(key), "api_key": [key, "o311_lain"]})
    assert twice.status_code == 400 and "api_key" in twice.json()[0]["description"]
    many = ",".join(f"ADU-{i}" for i in range(101))
    assert (
        client.get(f"{BASE}/requests.json", params={"service_request_id": many}).status_code == 400
    )
    assert (
        complaints.open311_requests(session, world.region, complaints.Open311Query()) == []
    )  # nothing was filed by the refused posts


def test_sixteen_digit_numbers_are_masked_in_descriptions(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    key = _key(session, world)
    description = "Petugas meminta fotokopi KTP 3273015708900001 tanpa alasan yang jelas."
    data = _post(key, description=description, service_code="pelayanan-petugas")
    number = client.post(f"{BASE}/requests.json", data=data).json()[0]["service_request_id"]
    for fmt in ("json", "xml"):
        assert "3273015708900001" not in client.get(f"{BASE}/requests/{number}.{fmt}").text
    assert "3273015708900001" not in client.get(f"{API}/{number}").text


@pytest.mark.usefixtures("still_limits")
def test_posts_are_limited_per_key(
    client: TestClient, session: Session, world: ComplaintWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(open311, "POSTS_PER_MINUTE", 2)  # the real limit is 60: 60 posts are slow
    key = _key(session, world)
    for _ in range(2):
        assert client.post(f"{BASE}/requests.json", data=_post(key)).status_code == 201
    limited = client.post(f"{BASE}/requests.json", data=_post(key))
    assert limited.status_code == 429 and limited.json()[0]["code"] == 429
    other = _key(session, world)  # another app's key has its own allowance
    assert client.post(f"{BASE}/requests.json", data=_post(other)).status_code == 201
