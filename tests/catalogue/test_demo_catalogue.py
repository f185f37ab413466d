"""The demo region is written as a real region would publish its catalogue."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from simpul.accounts.models import User
from simpul.applications.models import Application, ApplicationStatus, Task
from simpul.catalogue.seed import DEMO_FOLDER, CatalogueSeed, load_catalogue_folder
from simpul.catalogue.standard import STANDARD_COMPONENTS
from simpul.core.storage import LocalStorage
from simpul.demo.seed import DEMO_ACCOUNTS, seed_demo


@pytest.fixture(scope="module")
def demo() -> CatalogueSeed:
    return load_catalogue_folder(DEMO_FOLDER)


def test_demo_has_enough_agencies_and_services(demo: CatalogueSeed) -> None:
    assert demo.region.slug == "kota-bandung"
    assert len(demo.agencies) >= 25
    assert sum(len(a.services) for a in demo.agencies) >= 60
    slugs = {a.slug for a in demo.agencies}
    assert {"disdukcapil", "dpmptsp", "dinkes", "dishub", "dinsos", "disdik"} <= slugs


def test_every_service_has_all_14_components_filled(demo: CatalogueSeed) -> None:
    for agency in demo.agencies:
        for service in agency.services:
            standard = service.standard.model_dump()
            assert list(standard) == list(STANDARD_COMPONENTS)
            empty = [k for k, v in standard.items() if len(v.strip()) < 10]
            assert not empty, f"{service.slug}: thin components {empty}"


def test_published_time_agrees_with_the_sla(demo: CatalogueSeed) -> None:
    for agency in demo.agencies:
        for service in agency.services:
            text = service.standard.jangka_waktu
            if service.sla_working_days == 0:
                assert "hari yang sama" in text or "seketika" in text, service.slug
                continue
            numbers = {int(n) for n in re.findall(r"\d+", text)}
            assert service.sla_working_days in numbers, service.slug


def test_components_are_written_per_service_not_copied(demo: CatalogueSeed) -> None:
    services = [s for a in demo.agencies for s in a.services]
    for key in ("persyaratan", "sistem_mekanisme_prosedur", "produk_pelayanan"):
        texts = [getattr(s.standard, key) for s in services]
        assert len(set(texts)) == len(texts), f"{key} repeats across services"


def test_every_eform_is_a_valid_schema_with_fields(demo: CatalogueSeed) -> None:
    for agency in demo.agencies:
        for service in agency.services:
            schema = service.eform.json_schema
            Draft202012Validator.check_schema(schema)
            assert len(schema["properties"]) >= 4, service.slug
            assert service.required_documents, service.slug


def test_demo_seed_loads_and_is_repeatable(
    session: Session, client: TestClient, tmp_path: Path
) -> None:
    storage = LocalStorage(tmp_path)
    first = seed_demo(session, storage)
    assert first.created_region and first.services >= 60 and first.accounts == len(DEMO_ACCOUNTS)
    assert first.applications == 4
    second = seed_demo(session, storage)
    assert not second.created_region and second.services == 0 and second.accounts == 0
    assert second.applications == 0
    statuses = sorted(a.status.value for a in session.scalars(select(Application)))
    assert statuses == ["completed", "completed", "returned", "submitted"]
    # The examples, on the real catalogue.
    top = client.get("/api/kota-bandung/services", params={"q": "akta lahir"}).json()[0]
    assert "Akta Kelahiran" in top["name"]
    top = client.get("/api/kota-bandung/services", params={"q": "izin reklame"}).json()[0]
    assert "Reklame" in top["name"]
    assert int(client.get("/api/kota-bandung/services").headers["X-Total-Count"]) >= 60


def test_english_words_find_services_too(session: Session, client: TestClient) -> None:
    seed_demo(session)
    top = client.get("/api/kota-bandung/services", params={"q": "birth certificate"}).json()
    assert top and "Birth" in top[0]["name_en"]


def test_eform_questions_keep_their_order(session: Session, client: TestClient) -> None:
    seed_demo(session)
    seed = load_catalogue_folder(DEMO_FOLDER)
    wanted = next(s for a in seed.agencies for s in a.services if s.slug == "pindah-datang")
    served = client.get("/api/kota-bandung/services/pindah-datang").json()
    assert list(served["eform"]["schema"]["properties"]) == list(
        wanted.eform.json_schema["properties"]
    )


def test_the_demo_past_gives_the_evaluation_pages_numbers(session: Session, tmp_path: Path) -> None:
    from simpul.evaluation.assessments.service import smartcity_index, spbe_index_and_predicate
    from simpul.evaluation.surveys.models import SurveyResponse

    report = seed_demo(session, LocalStorage(tmp_path), past=True)
    assert report.past_applications == 240
    region = report.region
    rows = session.execute(
        select(Application.status, func.count())
        .where(Application.region_id == region.id)
        .group_by(Application.status)
    ).all()
    statuses = dict(rows)
    assert statuses[ApplicationStatus.COMPLETED] > 150
    assert statuses[ApplicationStatus.REJECTED] > 5 and statuses[ApplicationStatus.SUBMITTED] > 1
    # Every past open application waits in an inbox; finished ones have a finish time.
    open_without_task = session.scalar(
        select(func.count())
        .select_from(Application)
        .where(
            Application.region_id == region.id,
            Application.status == ApplicationStatus.SUBMITTED,
            ~exists().where(Task.application_id == Application.id),
        )
    )
    assert open_without_task == 0
    rated = set(session.scalars(select(SurveyResponse.application_id)))
    completed = session.scalars(
        select(Application).where(
            Application.region_id == region.id,
            Application.status == ApplicationStatus.COMPLETED,
        )
    ).all()
    citizen = session.scalar(
        select(User).where(User.region_id == region.id, User.email == "warga@example.org")
    )
    assert citizen is not None
    from simpul.catalogue.models import Service
    from simpul.demo.rights import RATED_SERVICE

    mine_left = 0
    for application in completed:
        if application.applicant_id != citizen.id:
            assert application.id in rated
            continue
        slug = session.scalar(select(Service.slug).where(Service.id == application.service_id))
        # The citizen's NIB is rated (their data export shows a survey answer); the visitor
        # rates the other one themselves.
        assert (application.id in rated) is (slug == RATED_SERVICE)
        mine_left += application.id not in rated
    assert mine_left >= 1
    assert spbe_index_and_predicate(session, region.id, 2024) is not None
    assert smartcity_index(session, region.id, 2022) == 3.71
    assert smartcity_index(session, region.id, 2021) == 3.34
    again = seed_demo(session, LocalStorage(tmp_path), past=True)
    assert again.past_applications == 0
