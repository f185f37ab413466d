"""The Registration API's public statistics and its request ids, as an attacker tries them.

- Statistics need no token (the specification: "allows anyone to see service statistics"),
  so an anonymous flood from one address is limited (429 with Retry-After) while a caller
  with a token is not; counts per named officer (``operator``) are refused without a staff
  token, so nobody maps officers' workloads by guessing names; and ``registrationName`` does
  not tell a hidden (unpublished, never used) service from one that does not exist.
- ``traceId``/``X-Request-Id`` are always the server's own: a caller's ``X-Request-Id``, sent
  once or twice, is neither echoed nor used, so nobody plants ids in the operator's logs.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from simpul.accounts.models import AccountKind, StaffRoleName
from simpul.accounts.service import create_api_token
from simpul.catalogue.models import Service
from simpul.core.settings import Settings
from simpul.web.app import create_app
from tests.conftest import TEST_SECRET
from tests.factories import make_region, make_user, service_seed

IMC = {"Information-Mediator-Client": "eGovStack/GOV/90000009/penyerang"}
PER_MINUTE = 3
URL = "/api/kota-uji/registration/data/statistics"


@pytest.fixture
def app_client(
    engine: Engine, session_factory: sessionmaker[Session], tmp_path: Path
) -> Iterator[TestClient]:
    settings = Settings(
        secret_key=TEST_SECRET,
        debug=True,
        data_dir=tmp_path,
        public_statistics_per_minute=PER_MINUTE,
    )
    app = create_app(settings, engine)
    app.state.session_factory = session_factory
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def officer_token(session: Session) -> str:
    region = make_region(
        session,
        "kota-uji",
        "Kota Uji",
        [
            service_seed("izin-terbit", "Izin Terbit"),
            service_seed("izin-rahasia", "Izin Rahasia Belum Terbit"),
        ],
    )
    officer = make_user(
        session,
        region,
        "petugas@example.org",
        "sandi-petugas-1",
        AccountKind.STAFF,
        roles=[("dinas-uji", StaffRoleName.VERIFIKATOR)],
    )
    hidden = session.scalars(select(Service).where(Service.slug == "izin-rahasia")).one()
    hidden.published = False
    token = create_api_token(session, officer, "statistik")[1]
    session.flush()
    return token


@pytest.mark.usefixtures("still_limits")
def test_an_anonymous_flood_is_limited_but_a_token_holder_is_not(
    app_client: TestClient, officer_token: str
) -> None:
    answers = [app_client.get(URL, headers=IMC).status_code for _ in range(PER_MINUTE + 2)]
    assert answers == [200] * PER_MINUTE + [429, 429]
    limited = app_client.get(URL, headers=IMC)
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.json()["code"] == "too_many_requests"
    signed_in = {**IMC, "Authorization": f"Bearer {officer_token}"}
    assert app_client.get(URL, headers=signed_in).status_code == 200


def test_officers_workloads_cannot_be_mapped_by_guessing_names(
    app_client: TestClient, officer_token: str
) -> None:
    for guess in ("Petugas", "%", "_"):  # PER_MINUTE of them: the flood limit is not the point
        refused = app_client.get(URL, headers=IMC, params={"operator": guess})
        assert refused.status_code == 401, guess
        assert "operator" in refused.json()["localizedMessage"]


def test_a_hidden_service_is_not_told_from_a_missing_one(
    app_client: TestClient, officer_token: str
) -> None:
    signed_in = {**IMC, "Authorization": f"Bearer {officer_token}"}
    hidden = app_client.get(URL, headers=signed_in, params={"registrationName": "rahasia"})
    missing = app_client.get(URL, headers=signed_in, params={"registrationName": "tak ada"})
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["code"] == missing.json()["code"]
    shown = app_client.get(URL, headers=signed_in, params={"registrationName": "terbit"})
    assert shown.status_code == 200


def test_a_callers_request_id_is_never_taken_over(
    app_client: TestClient, officer_token: str
) -> None:
    planted = "00000000-0000-4000-8000-000000000000"
    for headers in (
        [("X-Request-Id", planted)],
        [("X-Request-Id", planted), ("X-Request-Id", "lain\r\nINFO palsu")],
    ):
        answer = app_client.get(
            "/api/kota-uji/registration/services/" + str(uuid.uuid4()),
            headers=[*headers, ("Authorization", f"Bearer {officer_token}")],
        )
        assert answer.status_code == 404
        ids = answer.headers.get_list("X-Request-Id")
        assert len(ids) == 1 and ids[0] != planted and uuid.UUID(ids[0]).version == 4
        assert answer.json()["traceId"] == ids[0]
        assert planted not in answer.text
