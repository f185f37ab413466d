"""Search understands Indonesian word forms, forgives typos and ranks what matches best first."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from simpul.catalogue.service import find_services
from simpul.core.errors import InvalidInput, NotFound
from simpul.core.models import Region
from tests.factories import make_region, service_seed


@pytest.fixture
def region(session: Session) -> Region:
    services = [
        service_seed("akta-kelahiran", "Penerbitan Akta Kelahiran", keywords=["akte lahir"]),
        service_seed("akta-kematian", "Penerbitan Akta Kematian"),
        service_seed("izin-reklame", "Perizinan Reklame", keywords=["papan iklan"]),
        service_seed("izin-usaha-mikro", "Perizinan Usaha Mikro"),
        service_seed("kartu-keluarga", "Penerbitan Kartu Keluarga", life_events=["usaha"]),
    ]
    return make_region(session, "kota-uji", "Kota Uji", services)


def names(session: Session, region: Region, query: str) -> list[str]:
    return [s.name for s in find_services(session, region, query=query).items]


@pytest.mark.parametrize(
    ("query", "expected_first"),
    [
        ("akta lahir", "Penerbitan Akta Kelahiran"),
        ("kelahiran", "Penerbitan Akta Kelahiran"),
        ("izin reklame", "Perizinan Reklame"),
        ("perizinan reklame", "Perizinan Reklame"),
        ("akta kelahran", "Penerbitan Akta Kelahiran"),  # typo
        ("reklme", "Perizinan Reklame"),  # typo
        ("papan iklan", "Perizinan Reklame"),  # keyword
        ("Dinas Uji", "Penerbitan Akta Kelahiran"),  # agency name finds its services
    ],
)
def test_search_finds_indonesian_word_forms(
    session: Session, region: Region, query: str, expected_first: str
) -> None:
    found = names(session, region, query)
    assert found, f"nothing found for {query!r}"
    if query != "Dinas Uji":
        assert found[0] == expected_first
    else:
        assert expected_first in found


def test_every_word_must_match_before_partial_matches(session: Session, region: Region) -> None:
    page = find_services(session, region, query="akta lahir")
    assert [s.name for s in page.items] == ["Penerbitan Akta Kelahiran"]
    assert not page.relaxed


def test_partial_matches_when_nothing_matches_every_word(session: Session, region: Region) -> None:
    page = find_services(session, region, query="akta reklame zzzz")
    assert page.relaxed
    assert {"Penerbitan Akta Kelahiran", "Perizinan Reklame"} <= {s.name for s in page.items}


def test_unrelated_words_find_nothing(session: Session, region: Region) -> None:
    assert names(session, region, "pesawat terbang") == []


def test_filters_combine_with_search(session: Session, region: Region) -> None:
    page = find_services(session, region, query="penerbitan", life_event_slug="usaha")
    assert [s.slug for s in page.items] == ["kartu-keluarga"]
    with pytest.raises(NotFound):
        find_services(session, region, agency_slug="tidak-ada")


def test_paging_is_checked(session: Session, region: Region) -> None:
    with pytest.raises(InvalidInput) as caught:
        find_services(session, region, limit=0)
    assert caught.value.details[0]["field"] == "limit"


def test_api_ranks_and_pages(client: TestClient, region: Region) -> None:
    response = client.get("/api/kota-uji/services", params={"q": "akta", "limit": 1})
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body, list) and len(body) == 1
    assert response.headers["X-Total-Count"] == "2"
    service = body[0]
    assert {"id", "slug", "name", "agency", "standard"} <= set(service)
    assert len(service["standard"]) == 14
    second = client.get("/api/kota-uji/services", params={"q": "akta", "limit": 1, "offset": 1})
    assert second.json()[0]["slug"] != service["slug"]


def test_api_rejects_bad_paging_with_field_errors(client: TestClient, region: Region) -> None:
    response = client.get("/api/kota-uji/services", params={"limit": 1000})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert error["details"][0]["field"] == "limit"


def test_search_page_shows_ranked_results(client: TestClient, region: Region) -> None:
    page = client.get("/kota-uji/layanan", params={"q": "akta lahir"})
    assert page.status_code == 200
    assert "Penerbitan Akta Kelahiran" in page.text
    assert "Perizinan Reklame" not in page.text


def test_unpublished_services_are_hidden(
    session: Session, region: Region, client: TestClient
) -> None:
    hidden = find_services(session, region, query="reklame").items[0]
    hidden.published = False
    session.flush()
    assert names(session, region, "reklame") == []
    assert client.get("/kota-uji/layanan/izin-reklame").status_code == 404


def test_live_search_gets_only_the_results(client: TestClient, region: Region) -> None:
    full = client.get("/kota-uji/layanan", params={"q": "reklame"})
    live = client.get("/kota-uji/layanan", params={"q": "reklame"}, headers={"HX-Request": "true"})
    assert live.status_code == 200
    assert live.text.lstrip().startswith('<div id="hasil"')
    assert "Perizinan Reklame" in live.text
    assert "<html" not in live.text and len(live.text) < len(full.text)
    assert "HX-Request" in live.headers["vary"]
