"""The SPBE self-assessment rules: indices, finalising, bad input, evidence and tenancy."""

from __future__ import annotations

import hashlib
import io
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from simpul.applications.files import FileTooLarge, UnsupportedFileType
from simpul.core.errors import Conflict, InvalidInput, NotFound
from simpul.core.models import AuditEvent
from simpul.core.storage import LocalStorage
from simpul.demo.assessments import seed_demo_assessments
from simpul.evaluation import spbe
from simpul.evaluation.assessments import (
    repository,
    service,
    smart_city,
    spbe_answers,
    spbe_assessment,
)
from simpul.evaluation.assessments.models import AssessmentStatus, SpbeAnswer, SpbeEvidence
from tests.evaluation.assessments.conftest import EXE, PDF, World, levels_for


def fill(
    session: Session, world: World, year: int, levels: dict[int, int], text: str = "Ada bukti."
) -> None:
    for number, level in levels.items():
        spbe_answers.save_answer(
            session, world.region, world.admin, year, number, level=str(level), justification=text
        )


def start(session: Session, world: World, year: int, *, copy: bool = False) -> None:
    spbe_assessment.start_assessment(session, world.region, world.admin, year, copy_previous=copy)


def test_index_of_a_complete_assessment_is_the_calculators(
    session: Session, world: World, ruleset: spbe.RuleSet
) -> None:
    start(session, world, 2024)
    levels = levels_for(ruleset, 2)
    fill(session, world, 2024, dict(list(levels.items())[:46]))
    view = spbe_assessment.overview(session, world.region, 2024)
    assert view.filled == 46 and view.result is None
    assert [i.number for i in view.missing] == [47]

    fill(session, world, 2024, {47: levels[47]})
    view = spbe_assessment.overview(session, world.region, 2024)
    expected = spbe.compute_index(levels, ruleset)
    assert view.result == expected
    aspects = {a.code: a.index for d in view.domains for a in d.aspects}
    assert aspects == {g.code: g.index for g in expected.aspects}
    assert [d.index for d in view.domains] == [g.index for g in expected.domains]
    # Only final assessments count for other pages.
    assert service.spbe_index(session, world.region.id, 2024) is None
    spbe_assessment.finalise(session, world.region, world.admin, 2024)
    assert service.spbe_index(session, world.region.id, 2024) == expected.index
    assert service.spbe_index_and_predicate(session, world.region.id, 2024) == (
        expected.index,
        expected.predicate,
    )
    assert service.spbe_index(session, world.other.id, 2024) is None


def test_change_from_last_years_final_and_copying_it(
    session: Session, world: World, ruleset: spbe.RuleSet
) -> None:
    start(session, world, 2023)
    fill(session, world, 2023, levels_for(ruleset, 2), "Tahun lalu.")
    spbe_assessment.finalise(session, world.region, world.admin, 2023)
    start(session, world, 2024, copy=True)
    copied = spbe_assessment.overview(session, world.region, 2024)
    assert copied.filled == 47 and copied.assessment.status is AssessmentStatus.DRAFT
    fill(session, world, 2024, dict.fromkeys(range(1, 11), 4))  # domain 1 all at level 4

    view = spbe_assessment.overview(session, world.region, 2024)
    before = spbe.compute_index(levels_for(ruleset, 2), ruleset)
    now = spbe.compute_index({**levels_for(ruleset, 2), **dict.fromkeys(range(1, 11), 4)}, ruleset)
    assert view.previous_year == 2023
    assert view.change == round(now.index - before.index, 2) and view.change > 0
    assert view.domains[0].change == round(now.domains[0].index - before.domains[0].index, 2)
    assert view.domains[1].change == 0
    rows = spbe_assessment.year_rows(session, world.region)
    assert [(r.assessment.year, r.change) for r in rows] == [(2024, view.change), (2023, None)]


def test_finalise_refuses_and_names_every_incomplete_indicator(
    session: Session, world: World, ruleset: spbe.RuleSet
) -> None:
    start(session, world, 2024)
    levels = levels_for(ruleset, 3)
    del levels[12], levels[47]
    fill(session, world, 2024, levels)
    spbe_answers.save_answer(
        session, world.region, world.admin, 2024, 5, level="3", justification="  "
    )
    with pytest.raises(InvalidInput) as refused:
        spbe_assessment.finalise(session, world.region, world.admin, 2024)
    problems = {d["indicator"]: d["message"] for d in refused.value.details}
    assert sorted(problems) == [5, 12, 47]
    assert ruleset.indicator(12).name in problems[12]
    assert "penjelasan belum diisi" in problems[5]
    assessment = repository.get_spbe_assessment(session, world.region.id, 2024)
    assert assessment is not None and assessment.status is AssessmentStatus.DRAFT


@pytest.mark.parametrize("level", ["0", "6", "tiga", "", "2.5", "³"])
def test_a_bad_level_changes_nothing(session: Session, world: World, level: str) -> None:
    start(session, world, 2024)
    fill(session, world, 2024, {3: 2}, "Semula.")
    with pytest.raises(InvalidInput) as refused:
        spbe_answers.save_answer(
            session, world.region, world.admin, 2024, 3, level=level, justification="Baru."
        )
    assert "Indikator 3" in refused.value.message
    assessment = repository.get_spbe_assessment(session, world.region.id, 2024)
    assert assessment is not None
    answer = repository.get_answer(session, world.region.id, assessment.id, 3)
    assert answer is not None and (answer.level, answer.justification) == (2, "Semula.")


def test_unknown_indicator_and_too_long_justification_are_named(
    session: Session, world: World
) -> None:
    start(session, world, 2024)
    with pytest.raises(NotFound, match="Indikator 48"):
        spbe_answers.save_answer(
            session, world.region, world.admin, 2024, 48, level="3", justification="x"
        )
    with pytest.raises(InvalidInput) as refused:
        spbe_answers.save_answer(
            session, world.region, world.admin, 2024, 2, level="3", justification="x" * 4001
        )
    assert refused.value.field_errors().keys() == {"penjelasan"}
    assert "Indikator 2" in refused.value.message and "4000" in refused.value.message
    assert session.scalar(select(func.count(SpbeAnswer.id))) == 0


def test_a_final_assessment_is_read_only_until_reopened_and_both_are_audited(
    session: Session, world: World, ruleset: spbe.RuleSet
) -> None:
    start(session, world, 2024)
    fill(session, world, 2024, levels_for(ruleset, 2))
    spbe_assessment.finalise(session, world.region, world.admin, 2024)
    with pytest.raises(Conflict):
        spbe_answers.save_answer(
            session, world.region, world.admin, 2024, 1, level="5", justification="x"
        )
    spbe_assessment.reopen(session, world.region, world.admin, 2024)
    spbe_answers.save_answer(
        session, world.region, world.admin, 2024, 1, level="5", justification="Naik."
    )
    actions = session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.region_id == world.region.id, AuditEvent.action.like("spbe.%"))
        .order_by(AuditEvent.at)
    ).all()
    assert actions.count("spbe.answer_saved") == 48
    assert "spbe.assessment_finalised" in actions and "spbe.assessment_reopened" in actions


def test_starting_a_year_twice_or_an_impossible_year_is_refused(
    session: Session, world: World
) -> None:
    start(session, world, 2024)
    with pytest.raises(InvalidInput, match="sudah ada"):
        start(session, world, 2024)
    with pytest.raises(InvalidInput, match="Tahun"):
        spbe_assessment.parse_year("dua ribu")


def test_evidence_is_sniffed_stored_hashed_and_kept_per_region(
    session: Session, world: World, storage: LocalStorage
) -> None:
    start(session, world, 2024)
    spbe_answers.save_answer(
        session,
        world.region,
        world.admin,
        2024,
        7,
        level="3",
        justification="Perwal terlampir.",
        upload=(io.BytesIO(PDF), "perwal-spbe.pdf"),
        storage=storage,
        max_bytes=1_000_000,
    )
    session.commit()
    evidence = session.scalars(select(SpbeEvidence)).one()
    assert evidence.sha256 == hashlib.sha256(PDF).hexdigest()
    assert (evidence.filename, evidence.content_type, evidence.size) == (
        "perwal-spbe.pdf",
        "application/pdf",
        len(PDF),
    )
    found, stream = spbe_answers.open_evidence(session, world.region, storage, 2024, evidence.id)
    assert stream.read_all() == PDF and found.id == evidence.id
    with pytest.raises(NotFound):
        spbe_answers.open_evidence(session, world.other, storage, 2024, evidence.id)
    with pytest.raises(NotFound):
        spbe_answers.open_evidence(session, world.region, storage, 2024, uuid.uuid4())

    spbe_answers.remove_evidence(session, world.region, world.admin, storage, 2024, 7, evidence.id)
    assert storage.exists(evidence.storage_key)  # until the removal commits
    session.commit()
    assert not storage.exists(evidence.storage_key)


def test_a_renamed_program_or_an_oversized_file_saves_nothing(
    session: Session, world: World, storage: LocalStorage
) -> None:
    start(session, world, 2024)
    with pytest.raises(spbe_answers.EvidenceRejected) as refused:
        spbe_answers.save_answer(
            session,
            world.region,
            world.admin,
            2024,
            7,
            level="3",
            justification="x",
            upload=(io.BytesIO(EXE), "bukti.pdf"),
            storage=storage,
            max_bytes=1_000_000,
        )
    assert refused.value.status_code == UnsupportedFileType.status_code == 415
    assert "Indikator 7" in refused.value.message and "PDF" in refused.value.message
    with pytest.raises(spbe_answers.EvidenceRejected) as too_big:
        spbe_answers.save_answer(
            session,
            world.region,
            world.admin,
            2024,
            7,
            level="3",
            justification="x",
            upload=(io.BytesIO(PDF + b" " * 2048), "besar.pdf"),
            storage=storage,
            max_bytes=1024,
        )
    assert too_big.value.status_code == FileTooLarge.status_code == 413
    assert session.scalar(select(func.count(SpbeAnswer.id))) == 0
    assert session.scalar(select(func.count(SpbeEvidence.id))) == 0
    assert not any(p.is_file() for p in storage.root.rglob("*"))


def test_a_stored_file_whose_row_rolls_back_is_deleted(
    session: Session, world: World, storage: LocalStorage
) -> None:
    start(session, world, 2024)
    session.commit()
    spbe_answers.save_answer(
        session,
        world.region,
        world.admin,
        2024,
        7,
        level="3",
        justification="x",
        upload=(io.BytesIO(PDF), "perwal.pdf"),
        storage=storage,
        max_bytes=1_000_000,
    )
    key = session.scalars(select(SpbeEvidence.storage_key)).one()
    assert storage.exists(key)
    session.rollback()
    assert not storage.exists(key)
    assert session.scalar(select(func.count(SpbeEvidence.id))) == 0


def test_tenancy_another_regions_assessment_is_not_found(
    session: Session, world: World, ruleset: spbe.RuleSet
) -> None:
    start(session, world, 2024)
    with pytest.raises(NotFound):
        spbe_assessment.overview(session, world.other, 2024)
    with pytest.raises(NotFound):
        spbe_answers.save_answer(
            session, world.other, world.other_admin, 2024, 1, level="3", justification="x"
        )
    assert spbe_assessment.year_rows(session, world.other) == []


def test_demo_history_rises_and_gives_the_published_smart_city_figures(
    session: Session, world: World
) -> None:
    seed_demo_assessments(session, world.region)
    seed_demo_assessments(session, world.region)  # a second run adds nothing
    index_2023 = service.spbe_index(session, world.region.id, 2023)
    index_2024 = service.spbe_index(session, world.region.id, 2024)
    assert index_2023 is not None and index_2024 is not None and index_2024 > index_2023
    assert service.smartcity_index(session, world.region.id, 2021) == 3.34
    assert service.smartcity_index(session, world.region.id, 2022) == 3.71
    view = smart_city.evaluation_view(session, world.region, 2022)
    assert view.result is not None and view.result.improvement == 0.37
    assert len(repository.list_spbe_assessments(session, world.region.id)) == 2
