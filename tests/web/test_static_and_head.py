"""Static files under fingerprinted names with a year's cache, and HEAD wherever GET works."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from starlette.routing import BaseRoute, Mount

from simpul.web.static_files import IMMUTABLE, STATIC_DIR, content_hash
from simpul.web.templating import static_url
from tests.factories import make_region

PARAM = re.compile(r"\{(?P<name>[a-zA-Z_]+)(?::[a-z]+)?\}")


def test_pages_link_fingerprinted_css_js_and_htmx(client: TestClient, session: Session) -> None:
    make_region(session, "kota-uji", "Kota Uji")
    page = client.get("/kota-uji/layanan")
    css = content_hash(STATIC_DIR / "simpul.css")
    assert f'href="/static/app/simpul.{css}.css"' in page.text
    js = content_hash(STATIC_DIR / "simpul.js")
    assert f'src="/static/app/simpul.{js}.js"' in page.text
    htmx = re.search(r'src="(/static/htmx/htmx\.min\.[0-9a-f]{12}\.js)"', page.text)
    assert htmx, "htmx is linked by its fingerprinted name"
    for url in (f"/static/app/simpul.{css}.css", f"/static/app/simpul.{js}.js", htmx[1]):
        answer = client.get(url)
        assert answer.status_code == 200, url
        assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"


def test_fingerprinted_file_is_the_file_and_plain_name_is_short_lived(client: TestClient) -> None:
    url = static_url("simpul.css")
    assert re.fullmatch(r"/static/app/simpul\.[0-9a-f]{12}\.css", url)
    fingerprinted = client.get(url)
    plain = client.get("/static/app/simpul.css")
    assert fingerprinted.content == plain.content == (STATIC_DIR / "simpul.css").read_bytes()
    assert fingerprinted.headers["cache-control"] == IMMUTABLE
    assert plain.status_code == 200
    assert "immutable" not in plain.headers["cache-control"]
    assert "max-age=3600" in plain.headers["cache-control"]


def test_an_outdated_fingerprint_gets_the_current_file_without_a_long_cache(
    client: TestClient,
) -> None:
    stale = client.get("/static/app/simpul.000000000000.css")
    assert stale.status_code == 200
    assert stale.content == (STATIC_DIR / "simpul.css").read_bytes()
    assert "immutable" not in stale.headers["cache-control"]
    missing = client.get("/static/app/hilang.0123456789ab.css")
    assert missing.status_code == 404


def _walk(routes: list[BaseRoute]) -> list[BaseRoute]:
    """Routes with the routers FastAPI includes lazily unfolded."""
    found: list[BaseRoute] = []
    for route in routes:
        included = getattr(route, "original_router", None)  # app.include_router(...)
        if included is not None:
            found.extend(_walk(included.routes))
        else:
            found.append(route)
    return found


def test_head_answers_like_get_on_every_get_route(client: TestClient, session: Session) -> None:
    """Every GET route of the app (pages, API, docs, static mounts), filled with a region
    that exists and values that may not: HEAD gets GET's status, headers and no body."""
    make_region(session, "kota-uji", "Kota Uji")
    paths: list[str] = []
    for route in _walk(client.app.routes):  # type: ignore[attr-defined]
        if isinstance(route, Mount):
            paths.append(route.path + ("/simpul.css" if route.name == "static" else "/x1.js"))
            continue
        if "GET" not in (getattr(route, "methods", None) or ()):
            continue
        paths.append(
            PARAM.sub(
                lambda m: "kota-uji" if m["name"] == "region" else "x1",
                route.path,  # type: ignore[attr-defined]
            )
        )
    assert len(paths) > 50, "the walk reaches the app's routes"
    statuses: set[int] = set()
    for path in paths:
        got = client.get(path, follow_redirects=False)
        head = client.head(path, follow_redirects=False)
        assert head.status_code == got.status_code, path
        assert head.content == b"", path
        assert head.headers.get("content-type") == got.headers.get("content-type"), path
        statuses.add(got.status_code)
    assert 200 in statuses and 405 not in statuses


def test_head_of_a_post_only_route_is_refused_like_its_get(client: TestClient) -> None:
    got = client.get("/lang/en/x")
    head = client.head("/lang/en/x")
    assert head.status_code == got.status_code and head.content == b""
