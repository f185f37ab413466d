"""Things every visitor meets: the front door, languages, errors, headers, the API docs."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from simpul.core.models import Region
from tests.factories import make_region


@pytest.fixture
def region(session: Session) -> Region:
    return make_region(session, "kota-uji", "Kota Uji")


def test_single_region_deployment_redirects_to_it(client: TestClient, region: Region) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "/kota-uji"


def test_several_regions_are_listed(client: TestClient, session: Session, region: Region) -> None:
    make_region(session, "kab-uji", "Kabupaten Uji")
    page = client.get("/")
    assert page.status_code == 200
    assert "Kota Uji" in page.text and "Kabupaten Uji" in page.text


def test_indonesian_by_default_and_english_on_request(client: TestClient, region: Region) -> None:
    page = client.get("/kota-uji/layanan", headers={"Accept-Language": "en-US,en"})
    assert '<html lang="id">' in page.text and "Katalog layanan" in page.text
    switched = client.get("/lang/en", params={"next": "/kota-uji/layanan"})
    assert switched.url.path == "/kota-uji/layanan"
    assert '<html lang="en">' in switched.text and "Service catalogue" in switched.text
    assert "Katalog layanan" not in switched.text
    back = client.get("/lang/id", params={"next": "/kota-uji/layanan"})
    assert "Katalog layanan" in back.text


def test_language_switch_does_not_redirect_elsewhere(client: TestClient, region: Region) -> None:
    response = client.get(
        "/lang/en", params={"next": "https://evil.example"}, follow_redirects=False
    )
    assert response.headers["location"] == "/"


def test_unknown_region_and_service_get_404_pages_and_json(
    client: TestClient, region: Region
) -> None:
    page = client.get("/kota-hilang/layanan")
    assert page.status_code == 404 and "Wilayah tidak ditemukan." in page.text
    assert "Traceback" not in page.text
    service = client.get("/kota-uji/layanan/tidak-ada")
    assert service.status_code == 404 and "Layanan tidak ditemukan" in service.text
    api = client.get("/api/kota-uji/services/tidak-ada")
    assert api.status_code == 404
    assert api.json() == {
        "error": {
            "code": "not_found",
            "message": "Layanan tidak ditemukan di wilayah ini.",
            "details": [],
        }
    }
    route = client.get("/api/kota-uji/tidak/ada/sama/sekali")
    assert route.status_code == 404 and route.json()["error"]["code"] == "not_found"


def test_pages_carry_security_headers_and_a_csrf_cookie(client: TestClient, region: Region) -> None:
    response = client.get("/kota-uji")
    headers = response.headers
    assert "default-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert "simpul_csrf=" in headers["set-cookie"] and "HttpOnly" in headers["set-cookie"]


def test_pages_are_compressed_for_slow_connections(client: TestClient, region: Region) -> None:
    response = client.get("/kota-uji/layanan", headers={"Accept-Encoding": "gzip"})
    assert response.headers.get("content-encoding") == "gzip"


def test_openapi_and_docs_work_offline(client: TestClient, region: Region) -> None:
    spec = client.get("/api/openapi.json").json()
    assert "/api/{region}/services" in spec["paths"]
    assert "/api/{region}/me/tokens" in spec["paths"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert "cdn" not in docs.text.lower()
    assert client.get("/static/api-docs/swagger-ui-bundle.js").status_code == 200


def test_health_check(client: TestClient, region: Region) -> None:
    response = client.get("/healthz")
    assert response.json() == {"status": "ok"}
    # A probe gets the security headers but no CSRF cookie (no form is ever on it).
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "set-cookie" not in response.headers


def test_service_page_shows_the_whole_standard(client: TestClient, region: Region) -> None:
    page = client.get("/kota-uji/layanan/kota-uji-layanan")
    assert page.status_code == 200
    for heading in (
        "Persyaratan",
        "Dasar hukum",
        "Evaluasi kinerja pelaksana",
        "Jaminan pelayanan",
    ):
        assert heading in page.text
    assert page.text.count("<details") == 14
