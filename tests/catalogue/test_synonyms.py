"""Former names and synonyms a region keeps: "imb" finds the PBG, "kartu kuning" the AK/1."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind
from simpul.catalogue import synonyms
from simpul.catalogue.models import SearchSynonym
from simpul.catalogue.service import find_services
from simpul.core.models import AuditEvent, Region
from tests.factories import make_region, make_user, post_form, service_seed

PAGE = "/kota-uji/admin/sinonim"


@pytest.fixture
def region(session: Session) -> Region:
    region = make_region(
        session,
        "kota-uji",
        "Kota Uji",
        [
            service_seed("pbg", "Persetujuan Bangunan Gedung (PBG)"),
            # Mentions the old name in its keywords, but is not the permit.
            service_seed("andalalin", "Persetujuan Andalalin", keywords=["syarat imb", "imb"]),
            service_seed("ak1", "Kartu Tanda Pendaftaran Pencari Kerja (AK/I)"),
            service_seed("sktm", "Surat Keterangan Tidak Mampu"),
        ],
    )
    make_user(session, region, "admin@example.org", "sandi-admin-1", AccountKind.REGION_ADMIN)
    make_user(session, region, "warga@example.org", "sandi-warga-1")
    return region


def slugs(session: Session, region: Region, query: str) -> list[str]:
    return [s.slug for s in find_services(session, region, query=query).items]


def add(session: Session, region: Region, term: str, meaning: str, former: bool = False) -> None:
    session.add(SearchSynonym(region_id=region.id, term=term, meaning=meaning, former_name=former))
    session.flush()


def test_without_synonyms_the_old_name_finds_the_wrong_service(
    session: Session, region: Region
) -> None:
    assert slugs(session, region, "imb") == ["andalalin"]
    assert slugs(session, region, "sktm") == []


def test_a_former_name_finds_the_service_and_ranks_it_first(
    session: Session, region: Region
) -> None:
    add(session, region, "imb", "Persetujuan Bangunan Gedung", former=True)
    assert slugs(session, region, "imb")[:2] == ["pbg", "andalalin"]
    assert slugs(session, region, "IMB")[0] == "pbg"
    assert slugs(session, region, "syarat imb")[0] == "pbg"


def test_synonyms_of_several_words_and_short_codes(session: Session, region: Region) -> None:
    add(session, region, "kartu kuning", "Pendaftaran Pencari Kerja")
    add(session, region, "ak1", "Pendaftaran Pencari Kerja", former=True)
    add(session, region, "sktm", "Surat Keterangan Tidak Mampu")
    page = find_services(session, region, query="kartu kuning")
    assert page.items[0].slug == "ak1" and not page.relaxed
    assert slugs(session, region, "ak1")[0] == "ak1"
    assert slugs(session, region, "sktm") == ["sktm"]


def test_a_term_matches_whole_words_only() -> None:
    imb = SearchSynonym(term="imb", meaning="Persetujuan Bangunan Gedung", former_name=True)
    assert synonyms.alternatives_for("izin imb rumah", [imb])[0].text == (
        "izin Persetujuan Bangunan Gedung rumah"
    )
    assert synonyms.alternatives_for("timbangan", [imb]) == []
    odd = SearchSynonym(term="a.b", meaning=r"\1 x", former_name=False)
    assert synonyms.alternatives_for("axb", [odd]) == []
    assert synonyms.alternatives_for("a.b", [odd])[0].text == r"\1 x"


def test_demo_region_ships_its_synonyms() -> None:
    from simpul.catalogue.seed import DEMO_FOLDER, load_catalogue_folder

    demo = load_catalogue_folder(DEMO_FOLDER)
    terms = {s.term: s for s in demo.region.synonyms}
    assert terms["imb"].former_name and "Bangunan Gedung" in terms["imb"].meaning
    assert {"kartu kuning", "ak1", "sktm"} <= set(terms)


def log_in(client: TestClient, email: str, password: str) -> None:
    response = post_form(client, "/kota-uji/masuk", {"email": email, "password": password})
    assert response.status_code == 303


def test_region_admin_adds_and_removes_a_synonym_and_search_follows(
    client: TestClient, session: Session, region: Region
) -> None:
    assert slugs(session, region, "imb") == ["andalalin"]
    page = client.get("/kota-uji/layanan", params={"q": "imb"})  # cached for anonymous readers
    assert "/kota-uji/layanan/andalalin" in page.text
    log_in(client, "admin@example.org", "sandi-admin-1")
    added = post_form(
        client,
        PAGE,
        {"term": "  IMB ", "meaning": "Persetujuan Bangunan Gedung", "former_name": "ya"},
    )
    assert added.status_code == 200 and "“imb” ditambahkan." in added.text
    assert slugs(session, region, "imb")[0] == "pbg"
    events = session.scalars(
        select(AuditEvent.action).where(AuditEvent.region_id == region.id)
    ).all()
    assert "catalogue.synonym.add" in events
    client.cookies.clear()
    found = client.get("/kota-uji/layanan", params={"q": "imb"})
    assert found.text.index("/kota-uji/layanan/pbg") < found.text.index("/layanan/andalalin")

    log_in(client, "admin@example.org", "sandi-admin-1")
    synonym = session.scalars(select(SearchSynonym)).one()
    removed = post_form(client, f"{PAGE}/{synonym.id}/hapus", {}, page=PAGE)
    assert removed.status_code == 200 and "Kata dihapus." in removed.text
    assert slugs(session, region, "imb") == ["andalalin"]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"term": "x", "meaning": "Persetujuan"}, "term", "Kata dicari: 2 sampai 60"),
        ({"term": "imb%", "meaning": "Persetujuan"}, "term", "Kata dicari: 2 sampai 60"),
        ({"term": "imb", "meaning": "ab"}, "meaning", "Isi 3 sampai 200 karakter."),
        ({"term": "imb", "meaning": "Per\u202esetujuan"}, "meaning", "Artinya"),
    ],
)
def test_bad_synonyms_are_refused_per_field_and_nothing_is_stored(
    client: TestClient,
    session: Session,
    region: Region,
    data: dict[str, str],
    field: str,
    message: str,
) -> None:
    log_in(client, "admin@example.org", "sandi-admin-1")
    answer = post_form(client, PAGE, data)
    assert answer.status_code == 422
    assert 'id="ringkasan-galat"' in answer.text and f'href="#f-{field}"' in answer.text
    assert message in answer.text
    assert session.scalars(select(SearchSynonym)).all() == []


def test_a_term_twice_is_refused(client: TestClient, session: Session, region: Region) -> None:
    add(session, region, "imb", "Persetujuan Bangunan Gedung")
    log_in(client, "admin@example.org", "sandi-admin-1")
    answer = post_form(client, PAGE, {"term": "IMB", "meaning": "Sesuatu yang lain"})
    assert answer.status_code == 422 and "Kata ini sudah ada dalam daftar." in answer.text


def test_only_the_region_admin_edits_synonyms(
    client: TestClient, session: Session, region: Region
) -> None:
    assert client.get(PAGE, follow_redirects=False).status_code in (303, 401)
    log_in(client, "warga@example.org", "sandi-warga-1")
    assert client.get(PAGE).status_code == 403
    token_page = client.get("/kota-uji/layanan")
    from tests.factories import csrf_from

    answer = client.post(
        PAGE,
        data={"term": "imb", "meaning": "Persetujuan", "csrf_token": csrf_from(token_page.text)},
    )
    assert answer.status_code == 403
    assert session.scalars(select(SearchSynonym)).all() == []
