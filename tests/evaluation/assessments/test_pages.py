"""The admin pages of the SPBE self-assessment and the smart city evaluation."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind
from simpul.core.models import AuditEvent
from simpul.demo.assessments import seed_demo_assessments
from simpul.evaluation import smartcity, spbe
from simpul.evaluation.assessments import repository, service
from simpul.evaluation.assessments.models import AssessmentStatus, SpbeEvidence
from tests.evaluation.assessments.conftest import EXE, PASSWORD, PDF, World, levels_for
from tests.factories import csrf_from, make_user

SPBE = "/kota-uji/admin/spbe"
SMART = "/kota-uji/admin/smartcity"


def log_in(client: TestClient, region: str = "kota-uji") -> None:
    token = csrf_from(client.get(f"/{region}/masuk").text)
    response = client.post(
        f"/{region}/masuk",
        data={"email": "admin@example.org", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def post(client: TestClient, path: str, data: dict[str, str], **kwargs: Any) -> Response:
    """Submit a form the way the browser does, with the CSRF token of a page."""
    token = csrf_from(client.get(SPBE).text)
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False, **kwargs)


def test_admin_starts_fills_and_finalises_an_assessment(
    client: TestClient, session: Session, world: World, ruleset: spbe.RuleSet
) -> None:
    log_in(client)
    listing = client.get(SPBE)
    assert listing.status_code == 200 and "Belum ada penilaian mandiri SPBE" in listing.text
    bad = post(client, SPBE, {"tahun": "20x4"})
    assert bad.status_code == 422 and 'id="e-tahun"' in bad.text
    started = post(client, SPBE, {"tahun": "2024"})
    assert started.headers["location"] == f"{SPBE}/2024"

    page = client.get(f"{SPBE}/2024")
    assert page.status_code == 200
    assert "0 dari 47 terisi" in page.text and page.text.count('class="service-item"') == 47
    assert "Kebijakan Internal SPBE" in page.text

    form = client.get(f"{SPBE}/2024/indikator/11")
    assert "Terintegrasi dan Terukur" in form.text and 'type="radio"' in form.text
    saved = post(
        client,
        f"{SPBE}/2024/indikator/11",
        {"tingkat": "3", "penjelasan": "Arsitektur SPBE ditetapkan Perwal."},
        files={"bukti": ("arsitektur.pdf", PDF, "application/pdf")},
    )
    assert saved.status_code == 303, saved.text
    after = client.get(f"{SPBE}/2024/indikator/11?pesan=disimpan")
    assert "Tersimpan." in after.text and "arsitektur.pdf" in after.text
    evidence = session.scalars(select(SpbeEvidence)).one()
    download = client.get(f"{SPBE}/2024/bukti/{evidence.id}")
    assert download.status_code == 200 and download.content == PDF
    assert hashlib.sha256(download.content).hexdigest() == evidence.sha256
    assert download.headers["content-type"] == "application/pdf"

    refused = post(client, f"{SPBE}/2024/final", {})
    assert refused.status_code == 422
    assert "46 indikator belum lengkap" in refused.text
    assert ruleset.indicator(47).name in refused.text

    for number, level in levels_for(ruleset, 3).items():
        if number != 11:
            response = post(
                client,
                f"{SPBE}/2024/indikator/{number}",
                {"tingkat": str(level), "penjelasan": f"Penjelasan {number}."},
            )
            assert response.status_code == 303
    complete = client.get(f"{SPBE}/2024")
    levels = {**levels_for(ruleset, 3), 11: 3}
    expected = spbe.compute_index(levels, ruleset)
    index_text = f"{expected.index:.2f}".replace(".", ",")
    assert "47 dari 47 terisi" in complete.text and index_text in complete.text
    assert expected.predicate in complete.text
    final = post(client, f"{SPBE}/2024/final", {})
    assert final.status_code == 303
    read_only = client.get(f"{SPBE}/2024/indikator/11")
    assert 'type="radio"' not in read_only.text and "Buka kembali" not in read_only.text
    listing = client.get(SPBE)
    assert index_text in listing.text and "Final" in listing.text
    assert service.spbe_index(session, world.region.id, 2024) == expected.index
    reopened = post(client, f"{SPBE}/2024/buka", {})
    assert reopened.status_code == 303
    assessment = repository.get_spbe_assessment(session, world.region.id, 2024)
    session.refresh(assessment)
    assert assessment is not None and assessment.status is AssessmentStatus.DRAFT
    assert (
        session.scalar(
            select(AuditEvent.actor_label).where(AuditEvent.action == "spbe.assessment_reopened")
        )
        == "admin@example.org"
    )


def test_bad_level_or_a_renamed_program_saves_nothing_and_says_why(
    client: TestClient, session: Session, world: World
) -> None:
    log_in(client)
    post(client, SPBE, {"tahun": "2024"})
    bad_level = post(client, f"{SPBE}/2024/indikator/3", {"tingkat": "7", "penjelasan": "x"})
    assert bad_level.status_code == 422
    assert "Indikator 3" in bad_level.text and 'id="e-tingkat"' in bad_level.text
    exe = post(
        client,
        f"{SPBE}/2024/indikator/3",
        {"tingkat": "2", "penjelasan": "Bukti palsu."},
        files={"bukti": ("bukti.pdf", EXE, "application/pdf")},
    )
    assert exe.status_code == 415
    assert "Jenis berkas tidak diterima" in exe.text and 'id="e-bukti"' in exe.text
    assert "Bukti palsu." in exe.text  # the form keeps what was typed
    assessment = repository.get_spbe_assessment(session, world.region.id, 2024)
    assert assessment is not None
    assert repository.list_answers(session, world.region.id, assessment.id) == []
    unknown = client.get(f"{SPBE}/2024/indikator/99")
    assert unknown.status_code == 404 and "Indikator 99" in unknown.text


def test_another_regions_admin_gets_404_for_the_assessment_and_its_evidence(
    client: TestClient, session: Session, world: World
) -> None:
    log_in(client)
    post(client, SPBE, {"tahun": "2024"})
    post(
        client,
        f"{SPBE}/2024/indikator/11",
        {"tingkat": "3", "penjelasan": "x"},
        files={"bukti": ("a.pdf", PDF, "application/pdf")},
    )
    evidence = session.scalars(select(SpbeEvidence)).one()
    with TestClient(client.app, raise_server_exceptions=False) as other:
        log_in(other, "kab-lain")
        assert other.get("/kab-lain/admin/spbe").status_code == 200
        assert other.get("/kab-lain/admin/spbe/2024").status_code == 404
        assert other.get(f"/kab-lain/admin/spbe/2024/bukti/{evidence.id}").status_code == 404
        # Region A's own URLs: the other admin's session does not count there.
        own = other.get(f"{SPBE}/2024/bukti/{evidence.id}", follow_redirects=False)
        assert own.status_code == 303 and own.headers["location"].startswith("/kota-uji/masuk")


def test_citizen_cannot_open_the_assessment(
    client: TestClient, session: Session, world: World
) -> None:
    make_user(session, world.region, "warga@example.org", PASSWORD, AccountKind.CITIZEN)
    session.commit()
    token = csrf_from(client.get("/kota-uji/masuk").text)
    client.post(
        "/kota-uji/masuk",
        data={"email": "warga@example.org", "password": PASSWORD, "csrf_token": token},
    )
    assert client.get(SPBE).status_code == 403
    assert client.get(SMART).status_code == 403


@pytest.fixture
def demo(session: Session, world: World) -> World:
    seed_demo_assessments(session, world.region)
    session.commit()
    return world


def test_smart_city_pages_show_index_improvement_chart_and_table(
    client: TestClient, demo: World
) -> None:
    log_in(client)
    listing = client.get(SMART)
    assert listing.status_code == 200
    table = listing.text.split('id="tahun-smart-city"')[1].split("</table>")[0]
    assert "3,71" in table and "+0,37" in table and "3,34" in table
    page = client.get(f"{SMART}/2022")
    assert page.status_code == 200
    assert page.text.count("<fieldset") == 8  # six dimensions, weights, previous index
    assert page.text.count('class="bar-component"') == 5
    assert "peningkatan dari 3,34" in page.text
    components = page.text.split('id="per-komponen"')[1].split("</table>")[0]
    assert "3,85" in components and "Program cepat (quick win)" in components
    spbe_list = client.get(SPBE)
    assert "2023" in spbe_list.text and "2024" in spbe_list.text


def test_smart_city_form_names_bad_scores_and_weights_and_saves_nothing(
    client: TestClient, session: Session, world: World
) -> None:
    log_in(client)
    form = {f"bobot-{c}": str(w) for c, w in smartcity.DEFAULT_WEIGHTS.items()}
    form["bobot-impact"] = "15"
    form["nilai-living-output"] = "lima"
    form["nilai-society-outcome"] = "3.5"
    response = post(client, f"{SMART}/2023", form)
    assert response.status_code == 422
    text = response.text
    assert "berjumlah 95 persen" in text
    assert "Smart living (lingkungan hidup yang layak), Keluaran (output)" in text
    assert 'value="lima"' in text
    assert repository.get_smart_city_evaluation(session, world.region.id, 2023) is None

    form["bobot-impact"] = "20"
    form["nilai-living-output"] = "4"
    saved = post(client, f"{SMART}/2023", form)
    assert saved.status_code == 303
    page = client.get(saved.headers["location"])
    assert "2 dari 30 nilai terisi" in page.text and "Tersimpan." in page.text
    audit = session.scalar(
        select(AuditEvent.action).where(AuditEvent.action == "smart_city.evaluation_saved")
    )
    assert audit == "smart_city.evaluation_saved"
