"""Inputs that used to crash the portal (500): each is now a clear 4xx that changes nothing.

Every request here was answered "Terjadi kesalahan di sisi kami" before the fix: a NUL
character reached PostgreSQL (which cannot store one in text), an integer beyond bigint
reached ``OFFSET``, or date arithmetic ran past the year 9999.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.orm import Session

from simpul.accounts.models import ApiToken, LoginAttempt
from simpul.evaluation.savings.models import SavingsRate
from simpul.gateway.registry.models import GatewayClient
from tests.api_errors import api_error
from tests.factories import post_form
from tests.security.seeded import ACCOUNTS as ACCOUNT_EMAILS
from tests.security.seeded import PASSWORDS, REGION, SeededDemo, savepoint, seeded_demo

NUL_MESSAGE = "Tidak boleh berisi karakter NUL (kode 0)."


@pytest.fixture(scope="module")
def demo(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeededDemo]:
    yield from seeded_demo(engine, tmp_path_factory.mktemp("uploads"))


@pytest.fixture
def connection(demo: SeededDemo) -> Iterator[Connection]:
    yield from savepoint(demo.connection)


@pytest.fixture
def api(client: TestClient, demo: SeededDemo) -> TestClient:
    client.app.state.storage = demo.storage  # type: ignore[attr-defined]
    return client


#: The GovStack Registration API wants to know the calling system where its specification does.
IMC: Final = {"Information-Mediator-Client": "kota-bandung/GOV/uji/skrip"}


def refused(response: httpx2.Response, field: str) -> None:
    """A JSON error that names ``field``: 422 in Simpul's own API, 400 (its specification's
    status for invalid input) in the GovStack Registration API."""
    status = 400 if "/registration/" in response.request.url.path else 422
    assert response.status_code == status, response.text
    error = api_error(response)
    assert error["code"] == "invalid_input"
    assert field in {d["field"] for d in error["details"]}, error


def refused_page(response: httpx2.Response, *words: str) -> None:
    """An error page (not the 500 page) that says what was wrong."""
    assert response.status_code == 422, response.text[:500]
    assert "text/html" in response.headers["content-type"]
    for word in words:
        assert word in response.text


def log_in(client: TestClient, who: str) -> None:
    email = ACCOUNT_EMAILS[who]
    response = post_form(client, f"/{REGION}/masuk", {"email": email, "password": PASSWORDS[email]})
    assert response.status_code == 303, response.text[:300]


def count(session: Session, model: type[Any]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


# -- the four requests of the issue ---------------------------------------------------------


def test_a_nul_in_the_catalogue_search_is_a_clear_error(api: TestClient) -> None:
    refused(api.get(f"/api/{REGION}/services?q=%00"), "q")


def test_a_nul_in_the_catalogue_page_search_is_a_clear_error_page(api: TestClient) -> None:
    response = api.get(f"/{REGION}/layanan?q=a%00b")
    refused_page(response, f"<strong>q</strong>: {NUL_MESSAGE}")


def test_a_first_result_beyond_any_page_is_refused(api: TestClient, demo: SeededDemo) -> None:
    response = api.get(
        f"/api/{REGION}/registration/applications?firstResult=99999999999999999999",
        headers={**demo.bearer("citizen"), **IMC},
    )
    refused(response, "firstResult")


def test_statistics_up_to_the_last_day_of_year_9999_are_refused_not_a_crash(
    api: TestClient, demo: SeededDemo
) -> None:
    response = api.get(
        f"/api/{REGION}/registration/data/statistics?endDate=9999-12-31",
        headers={**demo.bearer("admin"), **IMC},
    )
    refused(response, "endDate")


# -- NUL anywhere in the URL or a form ------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/kota%00bandung/services", "region"),
        (f"/api/{REGION}/services/akta%00kelahiran", "slug"),
        (f"/api/{REGION}/services?agency=%00", "agency"),
        (f"/api/{REGION}/services?life_event=a%00", "life_event"),
        (f"/api/{REGION}/registration/services?name=%00", "name"),
    ],
)
def test_a_nul_in_a_path_or_filter_of_the_api_is_a_clear_error(
    api: TestClient, demo: SeededDemo, path: str, field: str
) -> None:
    refused(api.get(path, headers=demo.bearer("citizen")), field)


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/kota%00bandung/layanan", "region"),
        (f"/{REGION}/layanan/akta%00kelahiran", "slug"),
        (f"/{REGION}/instansi/%00", "slug"),
        (f"/{REGION}/layanan?instansi=disdukcapil%00", "instansi"),
        (f"/{REGION}/layanan?peristiwa=%00", "peristiwa"),
    ],
)
def test_a_nul_in_a_page_address_is_a_clear_error_page(
    api: TestClient, path: str, field: str
) -> None:
    refused_page(api.get(path), f"<strong>{field}</strong>: {NUL_MESSAGE}")


def test_a_nul_in_a_login_e_mail_is_refused_and_nothing_is_counted(
    api: TestClient, session: Session
) -> None:
    before = count(session, LoginAttempt)
    response = post_form(
        api, f"/{REGION}/masuk", {"email": "warga@example.org\x00", "password": "salah-sekali"}
    )
    refused_page(response, f"<strong>email</strong>: {NUL_MESSAGE}")
    assert count(session, LoginAttempt) == before


def test_a_nul_in_a_token_name_is_refused_and_no_token_is_made(
    api: TestClient, session: Session
) -> None:
    log_in(api, "citizen")
    before = count(session, ApiToken)
    response = post_form(
        api, f"/{REGION}/akun/token", {"name": "skrip\x00laporan"}, page=f"/{REGION}/akun"
    )
    refused_page(response, f"<strong>name</strong>: {NUL_MESSAGE}")
    assert count(session, ApiToken) == before


@pytest.mark.parametrize(
    ("path", "data", "model"),
    [
        ("/admin/integrasi/klien", {"app_code": "sipenduduk\x00"}, GatewayClient),
        (
            "/admin/penghematan/tarif",
            {
                "kertas": "500",
                "cetak": "300",
                "kurir": "15000",
                "perjalanan": "20000",
                "sumber": "Perwal\x00",
            },
            SavingsRate,
        ),
    ],
)
def test_a_nul_in_an_admin_form_is_refused_and_nothing_is_written(
    api: TestClient, session: Session, path: str, data: dict[str, str], model: type[Any]
) -> None:
    log_in(api, "admin")
    before = count(session, model)
    response = post_form(api, f"/{REGION}{path}", data, page=f"/{REGION}{path}")
    field = next(name for name, value in data.items() if "\x00" in value)
    refused_page(response, f"<strong>{field}</strong>: {NUL_MESSAGE}")
    assert count(session, model) == before


# -- integers beyond what PostgreSQL holds --------------------------------------------------


@pytest.mark.parametrize(
    ("path", "field", "who", "bound"),
    [
        (f"/api/{REGION}/services?offset=99999999999999999999", "offset", "citizen", 2**31 - 1),
        # Officers' lists skip at most 10,000 rows; deeper pages follow a cursor (0035).
        (f"/api/{REGION}/applications?offset=99999999999999999999", "offset", "citizen", 10000),
        (
            f"/api/{REGION}/registration/tasks?firstResult=99999999999999999999",
            "firstResult",
            "officer",
            10000,
        ),
        (f"/api/{REGION}/applications?offset=10001", "offset", "officer", 10000),
        (
            f"/api/{REGION}/registration/applications?firstResult=10001",
            "firstResult",
            "officer",
            10000,
        ),
    ],
)
def test_an_offset_beyond_any_list_is_refused(
    api: TestClient, demo: SeededDemo, path: str, field: str, who: str, bound: int
) -> None:
    response = api.get(path, headers={**demo.bearer(who), **IMC})
    refused(response, field)
    detail = next(d for d in api_error(response)["details"] if d["field"] == field)
    assert detail["message"] in (f"Paling besar {bound}.", f"Nilai harus 0 sampai {bound}.")


def test_paging_bounds_are_declared_in_the_openapi_document(api: TestClient) -> None:
    paths = api.get("/api/openapi.json").json()["paths"]

    def schema(path: str, name: str) -> dict[str, Any]:
        parameters = paths[path]["get"]["parameters"]
        found: dict[str, Any] = next(p for p in parameters if p["name"] == name)["schema"]
        return found.get("anyOf", [found])[0]

    assert schema("/api/{region}/services", "offset")["maximum"] == 2**31 - 1
    assert schema("/api/{region}/services", "limit")["maximum"] == 100
    first = schema("/api/{region}/registration/applications", "firstResult")
    assert (first["minimum"], first["maximum"]) == (0, 10000)
    assert schema("/api/{region}/applications", "offset")["maximum"] == 10000


# -- dates at the ends of the calendar ------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["dari=9999-06-01&sampai=9999-12-31", "dari=0001-01-01&sampai=0001-02-01"],
)
@pytest.mark.parametrize("page", ["/admin/penghematan", "/admin/kinerja"])
def test_a_report_period_at_the_ends_of_the_calendar_is_a_clear_error(
    api: TestClient, page: str, query: str
) -> None:
    log_in(api, "admin")
    response = api.get(f"/{REGION}{page}?{query}")
    refused_page(response, "Tanggal harus antara 1900-01-01 dan 2999-12-31.")
    assert 'aria-invalid="true"' in response.text  # the field is marked; the default is shown


@pytest.mark.parametrize(
    "export", ["/admin/penghematan/ekspor.csv", "/admin/kinerja.xlsx"], ids=["savings", "kpis"]
)
def test_an_export_for_a_period_at_the_end_of_time_is_a_clear_error(
    api: TestClient, export: str
) -> None:
    log_in(api, "admin")
    response = api.get(f"/{REGION}{export}?dari=9999-06-01&sampai=9999-12-31")
    assert response.status_code == 422
    assert "Tanggal harus antara 1900-01-01 dan 2999-12-31." in response.text
