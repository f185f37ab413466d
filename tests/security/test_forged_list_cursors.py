"""Forged, cut and borrowed list cursors (decision 0035).

The officer lists page by an opaque cursor that carries the sort key of the last row shown.
A client that edits one (to read from a position it chose, or to push odd values into the
query), cuts it, sends one made for another list, or sends junk gets a clear refusal naming
the parameter: 422 (400 in the GovStack Registration API), never a 500 and never a page read
from a place the server did not give out.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Final

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine

from tests.api_errors import api_error
from tests.factories import post_form
from tests.security.seeded import ACCOUNTS as ACCOUNT_EMAILS
from tests.security.seeded import PASSWORDS, REGION, SeededDemo, savepoint, seeded_demo

IMC: Final = {"Information-Mediator-Client": "kota-bandung/GOV/uji/skrip"}
BASE: Final = f"/api/{REGION}/registration"


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


def _get(api: TestClient, demo: SeededDemo, path: str, **params: object) -> httpx2.Response:
    return api.get(path, params=params, headers={**demo.bearer("officer"), **IMC})


def _cursor(api: TestClient, demo: SeededDemo, path: str) -> str:
    first = _get(api, demo, path, maxResult=1)
    assert first.status_code == 200, first.text
    cursor = first.headers.get("X-Next-Cursor")
    assert cursor, "the demo region has more than one row in this list"
    return cursor


def _forgeries(cursor: str) -> dict[str, str]:
    body, tag = cursor.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    # The same list, a sort key of the client's choosing, the original tag.
    decoded[1] = "1999-01-01T00:00:00+00:00"
    moved = base64.urlsafe_b64encode(json.dumps(decoded).encode()).rstrip(b"=").decode()
    return {
        "moved": f"{moved}.{tag}",
        "unsigned": body,
        "cut": cursor[:-3],
        "tag of another": f"{body}.{'A' * len(tag)}",
        "junk": "'; DROP TABLE task; --",
        "not base64": "%%%.%%%",
        "long": "A" * 5000 + "." + tag,
        "non-ascii": "ébc.déf",
    }


def _refused(response: httpx2.Response, field: str, status: int) -> None:
    assert response.status_code == status, response.text[:300]
    error = api_error(response)
    assert error["code"] == "invalid_input"
    assert field in {d["field"] for d in error["details"]}, error


@pytest.mark.parametrize("path", ["/tasks", "/applications"])
def test_a_changed_or_made_up_cursor_is_refused(
    api: TestClient, demo: SeededDemo, path: str
) -> None:
    cursor = _cursor(api, demo, BASE + path)
    assert _get(api, demo, BASE + path, maxResult=1, cursor=cursor).status_code == 200
    for name, forged in _forgeries(cursor).items():
        response = _get(api, demo, BASE + path, maxResult=1, cursor=forged)
        assert response.status_code == 400, name
        _refused(response, "cursor", 400)


def test_a_cursor_of_another_list_or_order_is_refused(api: TestClient, demo: SeededDemo) -> None:
    tasks = _cursor(api, demo, BASE + "/tasks")
    _refused(_get(api, demo, BASE + "/applications", cursor=tasks), "cursor", 400)
    # Newest first by default: the same list read oldest first is another order.
    _refused(_get(api, demo, BASE + "/tasks", cursor=tasks, sortOrder="asc"), "cursor", 400)
    files = _cursor(api, demo, BASE + "/applications")
    _refused(_get(api, demo, f"/api/{REGION}/applications", cursor=tasks), "cursor", 422)
    # Simpul's own list and the Registration API's list of files share their order.
    assert _get(api, demo, f"/api/{REGION}/applications", cursor=files).status_code == 200


def test_a_cursor_with_an_offset_is_refused(api: TestClient, demo: SeededDemo) -> None:
    cursor = _cursor(api, demo, BASE + "/tasks")
    response = _get(api, demo, BASE + "/tasks", cursor=cursor, firstResult=1)
    _refused(response, "firstResult", 400)


def test_a_forged_inbox_cursor_is_a_clear_error_page(api: TestClient) -> None:
    email = ACCOUNT_EMAILS["officer"]
    login = post_form(api, f"/{REGION}/masuk", {"email": email, "password": PASSWORDS[email]})
    assert login.status_code == 303
    for forged in ("x", "eyJhIjoxfQ.AAAA", "A" * 5000):
        response = api.get(f"/{REGION}/petugas/kotak-masuk", params={"setelah": forged})
        assert response.status_code == 422, response.text[:300]
        assert "text/html" in response.headers["content-type"]
        assert "<strong>setelah</strong>: " in response.text
        assert "Penanda halaman tidak valid" in response.text
