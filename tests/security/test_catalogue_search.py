"""Attacks on the catalogue's search, synonyms and static files: a huge query, LIKE and
regular-expression wildcards, another region's synonyms, and paths out of the static folder."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind
from simpul.catalogue.models import SearchSynonym
from simpul.catalogue.service import MAX_QUERY_LENGTH, find_services
from simpul.core.models import Region
from tests.factories import make_region, make_user, post_form, service_seed


def _services() -> list[dict[str, object]]:
    return [
        service_seed("pbg", "Persetujuan Bangunan Gedung (PBG)"),
        service_seed("andalalin", "Persetujuan Andalalin", keywords=["imb"]),
        service_seed("reklame", "Perizinan Reklame"),
    ]


@pytest.fixture
def regions(session: Session) -> tuple[Region, Region]:
    ours = make_region(session, "kota-uji", "Kota Uji", _services())
    theirs = make_region(session, "kab-lain", "Kabupaten Lain", _services(), "dinas-lain")
    session.add(
        SearchSynonym(
            region_id=theirs.id, term="imb", meaning="Persetujuan Bangunan Gedung", former_name=True
        )
    )
    session.add(SearchSynonym(region_id=theirs.id, term="iklan", meaning="Perizinan Reklame"))
    make_user(session, ours, "admin@example.org", "sandi-admin-1", AccountKind.REGION_ADMIN)
    session.flush()
    return ours, theirs


def test_another_regions_synonyms_do_not_reach_our_search(
    session: Session, regions: tuple[Region, Region]
) -> None:
    ours, theirs = regions
    assert find_services(session, theirs, query="imb").items[0].slug == "pbg"
    assert [s.slug for s in find_services(session, ours, query="imb").items] == ["andalalin"]
    assert find_services(session, ours, query="iklan").items == []
    assert all(s.region_id == ours.id for s in find_services(session, ours, query="imb").items)


def test_an_admin_cannot_delete_another_regions_synonym(
    client: TestClient, session: Session, regions: tuple[Region, Region]
) -> None:
    _ours, theirs = regions
    target = session.scalars(
        select(SearchSynonym).where(SearchSynonym.region_id == theirs.id)
    ).first()
    assert target is not None
    login = post_form(
        client, "/kota-uji/masuk", {"email": "admin@example.org", "password": "sandi-admin-1"}
    )
    assert login.status_code == 303
    answer = post_form(
        client, f"/kota-uji/admin/sinonim/{target.id}/hapus", {}, page="/kota-uji/admin/sinonim"
    )
    assert answer.status_code == 404
    assert session.get(SearchSynonym, target.id) is not None
    # Nor is it listed on our page.
    assert "Perizinan Reklame" not in client.get("/kota-uji/admin/sinonim").text


def test_a_huge_query_is_refused_or_cut_never_a_crash(
    client: TestClient, session: Session, regions: tuple[Region, Region]
) -> None:
    ours, _theirs = regions
    huge = "imb " * 50_000
    page = client.get("/kota-uji/layanan", params={"q": huge[:6000]})
    assert page.status_code == 422 and "Traceback" not in page.text
    # The API cuts the query to its first 200 characters and answers.
    api = client.get("/api/kota-uji/services", params={"q": huge[:6000]})
    assert api.status_code == 200
    assert [s["slug"] for s in api.json()][:1] == ["andalalin"]
    # The service cuts what reaches PostgreSQL.
    found = find_services(session, ours, query=huge)
    assert [s.slug for s in found.items][:1] == ["andalalin"]
    assert MAX_QUERY_LENGTH <= 200


@pytest.mark.parametrize("query", ["%", "_", "%%", "%_%", ".*", "(.*)+", "\\", "[", "' OR 1=1 --"])
def test_wildcards_match_nothing(
    client: TestClient, session: Session, regions: tuple[Region, Region], query: str
) -> None:
    ours, _theirs = regions
    assert find_services(session, ours, query=query).items == []
    page = client.get("/kota-uji/layanan", params={"q": query})
    assert page.status_code == 200 and "/kota-uji/layanan/pbg" not in page.text


def test_a_synonym_term_with_wildcards_is_refused(
    client: TestClient, session: Session, regions: tuple[Region, Region]
) -> None:
    post_form(
        client, "/kota-uji/masuk", {"email": "admin@example.org", "password": "sandi-admin-1"}
    )
    for term in ("%", "_%", ".*", "a|b", "(imb)"):
        answer = post_form(
            client, "/kota-uji/admin/sinonim", {"term": term, "meaning": "Persetujuan"}
        )
        assert answer.status_code == 422, term
    ours, _theirs = regions
    stored = session.scalars(select(SearchSynonym).where(SearchSynonym.region_id == ours.id)).all()
    assert stored == []


@pytest.mark.parametrize(
    "path",
    [
        "/static/app/..%2fapp.py",
        "/static/app/..%2f..%2f..%2fpyproject.toml",
        "/static/app/%2e%2e%2fapp.0123456789ab.py",
        "/static/app/..%2ftemplating.0123456789ab.py",
        "/static/app/..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
        "/static/app/simpul.0123456789ab.css%2f..%2f..%2fapp.py",
        "/static/app/%2fetc%2fpasswd",
        "/static/htmx/..%2f..%2fpackage.json",
    ],
)
def test_no_path_leaves_the_static_folders(client: TestClient, path: str) -> None:
    for method in ("GET", "HEAD"):
        answer = client.request(method, path)
        assert answer.status_code in (400, 404), (method, path)
        assert b"import" not in answer.content and b"root:" not in answer.content
        assert "immutable" not in answer.headers.get("cache-control", "")


def test_pages_are_never_cached_as_immutable(
    client: TestClient, regions: tuple[Region, Region]
) -> None:
    page = client.get("/kota-uji/layanan")
    assert "immutable" not in page.headers.get("cache-control", "")
