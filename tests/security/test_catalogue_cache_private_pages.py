"""Attack: read another visitor's page from the catalogue's page cache.

The public catalogue pages are cached for anonymous readers (``catalogue.page_cache``). If a
logged-in visitor's rendering were cached, or an anonymous one with a CSRF token, the next
reader would get the first one's name, links and token (a token bound to someone else's
session or cookie: a CSRF bypass). A logged-in visitor's pages are never cached nor stored
(``no-store``), an anonymous reader never gets them, and a page holding a token is not kept.
"""

from __future__ import annotations

import pytest
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from starlette.requests import Request

from simpul.accounts.models import AccountKind
from simpul.catalogue import page_cache
from simpul.core.models import Region
from simpul.web.csrf import csrf_token
from simpul.web.middleware import SESSION_COOKIE
from tests.factories import make_region, make_user, post_form, service_seed

SLUG = "izin-uji"
PAGE = f"/kota-uji/layanan/{SLUG}"


@pytest.fixture
def region(session: Session) -> Region:
    page_cache.pages.clear()
    region = make_region(session, "kota-uji", "Kota Uji", [service_seed(SLUG, "Perizinan Uji")])
    make_user(session, region, "warga@example.org", "sandi-warga-12")
    make_user(session, region, "admin@example.org", "sandi-admin-1", AccountKind.REGION_ADMIN)
    return region


def log_in(client: TestClient, email: str, password: str) -> None:
    response = post_form(client, "/kota-uji/masuk", {"email": email, "password": password})
    assert response.status_code == 303


@pytest.mark.parametrize("path", ["/kota-uji", "/kota-uji/layanan", PAGE])
def test_a_logged_in_page_is_never_cached_nor_served_to_others(
    client: TestClient, region: Region, path: str
) -> None:
    anonymous = TestClient(client.app)
    public = anonymous.get(path)
    assert "etag" in public.headers
    log_in(client, "warga@example.org", "sandi-warga-12")
    own = client.get(path)
    assert own.status_code == 200
    assert own.headers["cache-control"] == "no-store"
    assert "etag" not in own.headers
    assert 'name="csrf_token"' in own.text  # the logout form: bound to this session
    # Even with the anonymous copy's ETag, the logged-in visitor gets their own page.
    revalidated = client.get(path, headers={"If-None-Match": public.headers["etag"]})
    assert revalidated.status_code == 200 and 'name="csrf_token"' in revalidated.text
    # And the next anonymous reader gets the public page, no session's token in it.
    after = TestClient(client.app).get(path)
    assert after.status_code == 200
    assert 'name="csrf_token"' not in after.text
    assert after.content == public.content


def test_an_expired_session_cookie_is_not_taken_for_anonymous(
    client: TestClient, region: Region
) -> None:
    client.cookies.set(SESSION_COOKIE, "not-a-real-session-token")
    page = client.get(PAGE)
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store" and "etag" not in page.headers


def test_a_page_holding_a_csrf_token_is_not_kept(client: TestClient, region: Region) -> None:
    """Should a public template ever carry a form, its token must not be shared."""
    client.get("/kota-uji")  # a CSRF cookie for this visitor
    seen: list[Request] = []

    def render_with_token() -> HTMLResponse:
        return HTMLResponse(f'<form><input name="csrf_token" value="{csrf_token(seen[0])}"></form>')

    def fingerprint() -> str:
        return "fixed"

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/kota-uji/formulir",
        "raw_path": b"/kota-uji/formulir",
        "query_string": b"",
        "headers": [(b"cookie", f"simpul_csrf={'x' * 40}".encode())],
        "state": {"csrf_cookie": "x" * 40, "locale": "id"},
        "app": client.app,
    }
    request = Request(scope)
    seen.append(request)
    response = page_cache.cached_page(request, None, fingerprint, render_with_token)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store" and "etag" not in response.headers
    assert page_cache.pages.get("/kota-uji/formulir?|id|False", "anything") is None
    again = page_cache.cached_page(request, None, fingerprint, lambda: HTMLResponse("other"))
    assert again.body == b"other"  # rendered again: nothing was kept
