"""English pages show the requirements and the standard in English where the region wrote
them, and mark the Indonesian they fall back to (lang="id")."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from simpul.catalogue.seed import DEMO_FOLDER, load_catalogue_folder
from simpul.catalogue.standard import STANDARD_COMPONENTS
from simpul.core.models import Region
from tests.factories import make_region, make_user, post_form, service_seed, standard

PAGE = "/kota-uji/layanan/sktm-uji"


@pytest.fixture
def region(session: Session) -> Region:
    english = {k: f"English text of {k.replace('_', ' ')}." for k in STANDARD_COMPONENTS}
    return make_region(
        session,
        "kota-uji",
        "Kota Uji",
        [
            service_seed(
                "sktm-uji",
                "Surat Keterangan Tidak Mampu",
                required_documents=[
                    {
                        "code": "ktp",
                        "name": "KTP-el pemohon",
                        "name_en": "Applicant's electronic ID card",
                        "description": "Digabung dalam satu PDF.",
                        "description_en": "Combined in one PDF.",
                    },
                    {"code": "foto", "name": "Foto rumah tampak depan"},
                ],
                standard_en={k: v for k, v in english.items() if k != "dasar_hukum"},
            ),
            service_seed("tanpa-inggris", "Layanan Tanpa Terjemahan"),
        ],
    )


def english(client: TestClient, path: str) -> str:
    client.cookies.set("simpul_lang", "en")
    page = client.get(path)
    assert page.status_code == 200 and '<html lang="en">' in page.text
    return page.text


def test_requirements_and_standard_in_english(client: TestClient, region: Region) -> None:
    text = english(client, PAGE)
    assert "<strong>Applicant&#39;s electronic ID card</strong>" in text
    assert "Combined in one PDF." in text
    assert "KTP-el pemohon" not in text and "Digabung dalam satu PDF." not in text
    assert "English text of persyaratan." in text
    assert "Persyaratan untuk Surat Keterangan Tidak Mampu." not in text
    # Not translated: the Indonesian, marked so a screen reader reads it as Indonesian.
    assert '<strong lang="id">Foto rumah tampak depan</strong>' in text
    legal = standard("Surat Keterangan Tidak Mampu")["dasar_hukum"]
    assert f'<div class="component" lang="id"><p>{legal}</p></div>' in text


def test_indonesian_page_is_unchanged(client: TestClient, region: Region) -> None:
    text = client.get(PAGE).text
    assert "<strong>KTP-el pemohon</strong>" in text
    assert "Applicant&#39;s electronic ID card" not in text
    assert "English text of persyaratan." not in text
    assert 'lang="id"><p>' not in text


def test_a_standard_without_english_says_so(client: TestClient, region: Region) -> None:
    text = english(client, "/kota-uji/layanan/tanpa-inggris")
    assert "This service standard is only available in Indonesian." in text


def test_every_demo_requirement_has_an_english_name() -> None:
    demo = load_catalogue_folder(DEMO_FOLDER)
    missing = [
        (service.slug, doc.name)
        for agency in demo.agencies
        for service in agency.services
        for doc in service.required_documents
        if not doc.name_en
    ]
    assert missing == []


def test_unknown_english_component_is_refused() -> None:
    from pydantic import ValidationError

    from simpul.catalogue.seed import ServiceSeed

    data = service_seed("x-uji", "Layanan Uji Salah", standard_en={"bukan_komponen": "x"})
    with pytest.raises(ValidationError, match="unknown components"):
        ServiceSeed.model_validate(data)


def test_the_application_form_names_the_requirements_in_english_too(
    client: TestClient, session: Session, region: Region
) -> None:
    make_user(session, region, "warga@example.org", "kata-sandi-warga")
    response = post_form(
        client, "/kota-uji/masuk", {"email": "warga@example.org", "password": "kata-sandi-warga"}
    )
    assert response.status_code == 303
    started = post_form(client, f"{PAGE}/ajukan", {}, page=PAGE)
    assert started.status_code == 303
    form = english(client, str(started.headers["location"]))
    assert "<strong>Applicant&#39;s electronic ID card</strong>" in form
    assert "Combined in one PDF." in form
    assert "KTP-el pemohon" not in form
    # Without an English name, the Indonesian one.
    assert "<strong>Foto rumah tampak depan</strong>" in form
    client.cookies.set("simpul_lang", "id")
    assert "<strong>KTP-el pemohon</strong>" in client.get(str(started.headers["location"])).text
