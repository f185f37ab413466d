"""Anonymous readers of the public catalogue get an ETag, a short max-age and 304 when their
copy is current; the server keeps rendered pages, and an edit shows at once."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind
from simpul.catalogue import page_cache
from simpul.core.models import Region
from simpul.web.middleware import LOCALE_COOKIE
from tests.catalogue.test_editing import form
from tests.factories import make_region, make_user, post_form, service_seed

SLUG = "izin-uji"
PAGES = [
    "/kota-uji",
    "/kota-uji/layanan",
    f"/kota-uji/layanan/{SLUG}",
    "/kota-uji/instansi/dinas-uji",
]


@pytest.fixture
def region(session: Session) -> Region:
    page_cache.pages.clear()
    region = make_region(session, "kota-uji", "Kota Uji", [service_seed(SLUG, "Perizinan Uji")])
    make_user(session, region, "admin@example.org", "sandi-admin-1", AccountKind.REGION_ADMIN)
    return region


@pytest.mark.parametrize("path", PAGES)
def test_an_anonymous_reader_revalidates_with_the_etag(
    client: TestClient, region: Region, path: str
) -> None:
    first = client.get(path)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "private, max-age=60"
    assert "Cookie" in first.headers["vary"]
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    # Served from the process's copy: the same bytes, the same ETag.
    copy = client.get(path)
    assert copy.status_code == 200 and copy.content == first.content
    assert copy.headers["etag"] == etag
    other = client.get(path, headers={"If-None-Match": 'W/"something-else"'})
    assert other.status_code == 200


def test_the_etag_differs_by_locale_and_address(client: TestClient, region: Region) -> None:
    tags = {client.get(path).headers["etag"] for path in PAGES}
    assert len(tags) == len(PAGES)
    indonesian = client.get("/kota-uji/layanan").headers["etag"]
    client.cookies.set(LOCALE_COOKIE, "en")
    english = client.get("/kota-uji/layanan")
    assert english.headers["etag"] != indonesian
    assert "Perizinan Uji (en)" in english.text


def test_an_edit_is_shown_at_once(client: TestClient, session: Session, region: Region) -> None:
    page = f"/kota-uji/layanan/{SLUG}"
    before = client.get(page)
    catalogue = client.get("/kota-uji/layanan")
    assert "Perizinan Baru" not in before.text
    admin = TestClient(client.app)
    response = post_form(
        admin, "/kota-uji/masuk", {"email": "admin@example.org", "password": "sandi-admin-1"}
    )
    assert response.status_code == 303
    saved = post_form(
        admin, f"/kota-uji/admin/layanan/{SLUG}", form(session, region, name="Perizinan Baru")
    )
    assert saved.status_code == 200
    after = client.get(page, headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    assert "Perizinan Baru" in after.text
    assert after.headers["etag"] != before.headers["etag"]
    listed = client.get("/kota-uji/layanan", headers={"If-None-Match": catalogue.headers["etag"]})
    assert listed.status_code == 200 and "Perizinan Baru" in listed.text


def test_a_missing_page_is_not_cached(client: TestClient, region: Region) -> None:
    missing = client.get("/kota-uji/layanan/tidak-ada")
    assert missing.status_code == 404
    assert "etag" not in missing.headers


def test_the_cache_keeps_to_its_budget() -> None:
    cache = page_cache.PageCache(budget_bytes=1000)
    for number in range(12):  # 1,200 bytes: two must go
        cache.put(f"page-{number}", "tag", bytes(100))
    assert cache.get("page-0", "tag") is None  # the oldest went first
    assert cache.get("page-1", "tag") is None
    assert cache.get("page-2", "tag") == bytes(100)
    assert cache.get("page-11", "tag") == bytes(100)
    assert cache.get("page-11", "another tag") is None
    cache.put("huge", "tag", bytes(500))  # more than an eighth of the budget: not kept
    assert cache.get("huge", "tag") is None
