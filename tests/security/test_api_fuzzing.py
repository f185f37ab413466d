"""No input makes Simpul's API answer 5xx: schemathesis runs over its published OpenAPI.

The web app's ``/api/openapi.json`` (Simpul's own API and the GovStack Registration API) is
fetched from the app and every operation is run, in-process through schemathesis' ASGI
transport (nothing leaves the test process), against the demo region seeded once for the
module. Each operation runs as the demo citizen and as a Disdukcapil officer (bearer tokens),
so the calls get past 401; two cases in three aim their ID path parameters at real rows of the
region, so they get past 404 to the rules behind. Every case runs in a savepoint rolled back
after it: nothing one case writes is seen by another, nothing is committed.

Schemathesis' cases get hostile values now and then (NUL, integers past bigint, the ends of the
calendar, ...), and every parameter meets each of them once; ``tests/security/fuzzing.py``
holds the bounds (seed, examples) shared with the gateway's run.

Checks: no 5xx anywhere (``not_a_server_error``), and every answer, of Simpul's own API and of
the GovStack Registration API alike, matches the schema the published document gives for it
(errors included: ``systemError`` under the Registration API). That the published document
and the answers agree with the GovStack specification itself is checked in
``tests/contracts/`` and ``tests/applications/test_registration_api.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from simpul.core.settings import Settings
from simpul.web.app import create_app
from tests.conftest import ROOT, TEST_SECRET
from tests.security import fuzzing
from tests.security.seeded import REGION, SeededDemo, savepoint, seeded_demo

CONFIG = fuzzing.config({"region": REGION})  # the region is the tenant, not an input
#: The app whose OpenAPI is fetched and whose operations are called. Each test points it at
#: its own connection (``web``); this engine is never connected.
WEB_APP = create_app(
    Settings(secret_key=TEST_SECRET, debug=True, data_dir=ROOT / "var" / "test"),
    create_engine("postgresql+psycopg://", poolclass=NullPool),
)
WEB = schemathesis.openapi.from_asgi("/api/openapi.json", WEB_APP, config=CONFIG)


@pytest.fixture(scope="module")
def demo(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeededDemo]:
    yield from seeded_demo(engine, tmp_path_factory.mktemp("uploads"))


@pytest.fixture
def connection(demo: SeededDemo) -> Iterator[Connection]:
    yield from savepoint(demo.connection)


@pytest.fixture
def web(demo: SeededDemo, session_factory: sessionmaker[Session]) -> SeededDemo:
    """The demo region, with the app under test reading and writing this test's connection."""
    WEB_APP.state.session_factory = session_factory
    WEB_APP.state.storage = demo.storage
    return demo


def aim_at_rows(case: schemathesis.Case, rows: dict[str, list[str]]) -> None:
    """Point two of three ID path parameters at real rows; the rest keep the generated value."""
    for name, value in (case.path_parameters or {}).items():
        pool = rows.get(name)
        chosen = fuzzing.digest(case, name, value)
        if pool and chosen[0] % 3:
            case.path_parameters[name] = pool[chosen[1] % len(pool)]


def _is_secured(operation: Any) -> bool:
    return bool(operation.definition.raw.get("security"))


def _secured(context: Any) -> bool:
    return _is_secured(context.operation)


PUBLIC = WEB.exclude(func=_secured)
SECURED = WEB.include(func=_secured)


def call_and_check(
    case: schemathesis.Case, connection: Connection, who: str | None, demo: SeededDemo
) -> None:
    """Send ``case`` (as ``who``, or anonymously) in a savepoint rolled back after it."""
    nested = connection.begin_nested()
    try:
        response = case.call(headers=demo.bearer(who) if who else {})
    finally:
        nested.rollback()
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])


@PUBLIC.parametrize()
@pytest.mark.parametrize("who", [None], ids=["anonymous"])
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])  # one region per test
def test_no_input_makes_a_public_operation_fail(
    case: schemathesis.Case, who: None, web: SeededDemo, connection: Connection
) -> None:
    aim_at_rows(case, web.rows)
    fuzzing.add_hostile_values(case, keep=frozenset({"region"}))
    call_and_check(case, connection, who, web)


@SECURED.parametrize()
@pytest.mark.parametrize("who", ["citizen", "officer"])
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])  # one region per test
def test_no_input_makes_a_signed_in_operation_fail(
    case: schemathesis.Case, who: str, web: SeededDemo, connection: Connection
) -> None:
    aim_at_rows(case, web.rows)
    fuzzing.add_hostile_values(case, keep=frozenset({"region"}))
    call_and_check(case, connection, who, web)


@pytest.mark.parametrize("operation", fuzzing.operations(WEB), ids=fuzzing.label)
def test_every_parameter_meets_every_hostile_value(
    operation: Any, web: SeededDemo, connection: Connection
) -> None:
    """Each query and path parameter of each operation gets each hostile value once, as every
    caller (the other path parameters name real rows)."""
    path = {
        p.name: web.rows.get(p.name, [str(uuid.UUID(int=0))])[0] for p in operation.path_parameters
    }
    callers: list[str | None] = ["citizen", "officer"] if _is_secured(operation) else [None]
    for case in fuzzing.hostile_cases(operation, {**path, "region": REGION}, frozenset({"region"})):
        for who in callers:
            call_and_check(case, connection, who, web)
