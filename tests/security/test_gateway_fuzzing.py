"""No input makes the gateway's GovStack IM directory answer 5xx: schemathesis runs over the
OpenAPI document the gateway serves for it (``/openapi.json``, ``gateway.directory_openapi``).

A real ``simpul gateway`` process on 127.0.0.1 serves a region of its own in the gateway tests'
committed database (a provider application with a service, a consumer client with a key and an
approved grant). Every directory operation (``listClients``, ``listMethods``,
``allowedMethods``, ``getOpenAPI``) runs anonymously and as the consumer (``X-GovStack-Client``
and its ``X-API-Key``); two cases in three name the real provider, so the calls get past 404.
The document is Simpul's own, so answers must also match it (response schema conformance).
Bytes that are not UTF-8, which no OpenAPI client sends, are sent over a raw socket.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from simpul.catalogue.models import Agency
from simpul.core.database import sqlalchemy_url
from simpul.core.embedded import ensure_database, with_database
from simpul.core.migrate import upgrade_to_head
from simpul.gateway.dataplane.directory_openapi import directory_openapi
from simpul.gateway.registry import service as registry
from tests.conftest import TEST_SECRET, _server_url
from tests.factories import make_region
from tests.gateway.conftest import add_app
from tests.gateway.upstream import openapi_text, running_upstream
from tests.security import fuzzing
from tests.support.devserver import recreate_database, server_process

DIRECTORY = schemathesis.openapi.from_dict(directory_openapi(), config=fuzzing.config())
ADMIN = registry.Actor("admin@uji.example")
PROVIDER_PARAMETERS = ("instanceId", "memberClass", "memberCode", "applicationCode")


@dataclass(frozen=True)
class Directory:
    base_url: str
    provider: dict[str, str]  # the provider application's path parameters
    caller: str  # X-GovStack-Client of the consumer
    key: str

    def headers(self, who: str | None) -> dict[str, str]:
        if who is None:
            return {}
        return {"X-GovStack-Client": self.caller, "X-API-Key": self.key}


@pytest.fixture(scope="module")
def gateway_database() -> str:
    """The gateway tests' committed database (``<test database>_gateway``), brought to head;
    made afresh only when it is missing or from another migration history. Each run adds a
    region of its own, as the gateway tests do."""
    server_url = _server_url()
    name = f"{make_url(sqlalchemy_url(server_url)).database}_gateway"
    ensure_database(server_url, name)
    url = with_database(server_url, name)
    try:
        upgrade_to_head(sqlalchemy_url(url))
    except Exception:  # noqa: BLE001 - a database of another history is made again
        url = recreate_database(server_url, name)
        upgrade_to_head(sqlalchemy_url(url))
    return url


@pytest.fixture(scope="module")
def directory(
    gateway_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Directory]:
    slug = f"fz-{uuid.uuid4().hex[:10]}"
    engine = create_engine(sqlalchemy_url(gateway_database))
    with running_upstream() as upstream:
        try:
            with Session(engine, expire_on_commit=False) as session, session.begin():
                region = make_region(session, slug, f"Kota Uji {slug}")
                agency = session.query(Agency).filter_by(region_id=region.id).one()
                add_app(session, region, agency, "sipenduduk", "Sistem Data Penduduk")
                add_app(session, region, agency, "portal", "Portal Layanan")
                service = registry.register_service(
                    session,
                    region,
                    app_code="sipenduduk",
                    code="penduduk",
                    upstream_url=upstream,
                    openapi_text=openapi_text(),
                    actor=ADMIN,
                )
                client = registry.register_client(session, region, app_code="portal", actor=ADMIN)
                _credential, key = registry.issue_key(session, region, client.id, ADMIN)
                grant = registry.request_grant(
                    session,
                    region,
                    service_id=service.id,
                    client_id=client.id,
                    actor=ADMIN,
                    reason="uji",
                )
                registry.approve_grant(session, region, grant.id, ADMIN)
                member = agency.slug
        finally:
            engine.dispose()
        with server_process(
            gateway_database,
            secret_key=TEST_SECRET,
            data_dir=tmp_path_factory.mktemp("gateway"),
            program="gateway",
        ) as server:
            yield Directory(
                base_url=server.base_url,
                provider=dict(
                    zip(PROVIDER_PARAMETERS, (slug, "GOV", member, "sipenduduk"), strict=True)
                ),
                caller=f"{slug}/GOV/{member}/portal",
                key=key,
            )


def aim_at_provider(case: schemathesis.Case, directory: Directory) -> frozenset[str]:
    """Two cases in three name the real provider (and half of those, when they ask for one,
    its service); returns the names set, which keep their value."""
    if not case.path_parameters:
        return frozenset()
    chosen = fuzzing.digest(case, "provider", sorted(case.path_parameters.items()))
    if not chosen[0] % 3:
        return frozenset()
    case.path_parameters.update(directory.provider)
    aimed = set(directory.provider)
    for name in ("serviceId", "serviceCode"):
        if case.query is not None and name in case.query and chosen[1] % 2:
            case.query[name] = "penduduk"
            aimed.add(name)
    return frozenset(aimed)


def call_and_check(case: schemathesis.Case, directory: Directory, who: str | None) -> None:
    response = case.call(base_url=directory.base_url, headers=directory.headers(who))
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])


def test_the_gateway_serves_its_directory_document(directory: Directory) -> None:
    response = httpx2.get(directory.base_url + "/openapi.json")
    assert response.status_code == 200
    assert response.json() == directory_openapi()


@DIRECTORY.parametrize()
@pytest.mark.parametrize("who", [None, "consumer"], ids=["anonymous", "consumer"])
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_no_input_makes_the_directory_fail(
    case: schemathesis.Case, who: str | None, directory: Directory
) -> None:
    fuzzing.add_hostile_values(case, keep=aim_at_provider(case, directory))
    call_and_check(case, directory, who)


@pytest.mark.parametrize("operation", fuzzing.operations(DIRECTORY), ids=fuzzing.label)
def test_every_directory_parameter_meets_every_hostile_value(
    operation: Any, directory: Directory
) -> None:
    path = directory.provider if operation.path_parameters else {}
    for case in fuzzing.hostile_cases(operation, path):
        for who in (None, "consumer"):
            call_and_check(case, directory, who)


@pytest.mark.parametrize(
    "target",
    [
        b"/r1/\xff\xfe/GOV/x/y/listMethods",
        b"/r1/%ff%fe/GOV/x/y/listMethods",
        b"/listClients?instanceId=\xff",
        b"/listClients?instanceId=%ff%00",
        b"/r1/a/b/c/d/getOpenAPI?serviceCode=%c0%af",
    ],
)
def test_bytes_that_are_not_utf_8_get_a_4xx_or_an_answer(
    directory: Directory, target: bytes
) -> None:
    host, port = directory.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n")
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    status = int(reply.split(b" ", 2)[1])
    assert status < 500, reply[:300]
