"""The survey's rules and the report's numbers, against values computed by hand."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, StaffRoleName
from simpul.applications.models import ApplicationStatus
from simpul.core.errors import Conflict, Forbidden, NotFound
from simpul.demo.survey_responses import seed_demo_responses
from simpul.evaluation.scope import report_scope
from simpul.evaluation.surveys import report, service
from simpul.evaluation.surveys.models import SurveyResponse
from tests.evaluation.surveys.conftest import (
    KTP_ANSWERS,
    PASSWORD,
    World,
    application,
    rate,
    responses_of,
)
from tests.factories import make_user

YEAR_2026 = report.Period(2026)
ALL_FOURS = ("4",) * 9


def _form(*answers: str, saran: str = "") -> dict[str, str]:
    return {
        **{f"u{n}": a for n, a in enumerate(answers, start=1)},
        "saran": saran,
    }


def test_report_matches_the_hand_computed_ikm(session: Session, rated: World) -> None:
    built = report.build_report(session, rated.region, YEAR_2026)
    groups = {g.name: g for g in built.agencies}
    assert sorted(groups) == ["Dinas Perizinan", "Dinas Uji Kota Uji"]
    (ktp,) = groups["Dinas Uji Kota Uji"].services
    assert ktp.name == "KTP Uji"
    assert (ktp.respondents, ktp.population, ktp.minimum, ktp.sufficient) == (3, 5, 5, False)
    assert ktp.result is not None
    assert ktp.result.ikm == 84.26
    assert (ktp.result.grade, ktp.result.label) == ("B", "Baik")
    assert ktp.result.elements == (3.67, 3.33, 2.67, 4.0, 3.33, 3.67, 4.0, 3.0, 2.67)
    assert ktp.lowest is not None and ktp.lowest.element.code == "u3"

    (izin,) = groups["Dinas Perizinan"].services
    assert izin.result is not None and izin.result.ikm == 100.0 and izin.sufficient
    # The region: four respondents of six completed applications (the 2025 one and the one
    # in process are left out, and so is the other region's).
    total = built.total
    assert (total.respondents, total.population) == (4, 6)
    assert total.result is not None
    # Means (15, 14, 12, 16, 14, 15, 16, 13, 12) / 4: their sum 127/4 / 9 * 25 = 88.19...
    assert total.result.ikm == 88.19 and total.result.grade == "B"
    assert total.minimum == 6 and not total.sufficient


def test_a_quarter_and_a_semester_select_their_months(session: Session, rated: World) -> None:
    q2 = report.build_report(session, rated.region, report.Period(2026, "t2"))
    assert q2.total.respondents == 4  # 12 May
    q1 = report.build_report(session, rated.region, report.Period(2026, "t1"))
    assert (q1.total.respondents, q1.total.population, q1.total.result) == (0, 0, None)
    assert q1.agencies == []
    s1_2025 = report.build_report(session, rated.region, report.Period(2025, "s1"))
    assert s1_2025.total.respondents == 1 and s1_2025.total.result is not None
    assert s1_2025.total.result.ikm == 25.0 and s1_2025.total.result.grade == "D"


def test_region_ikm_for_the_comparison_page(session: Session, rated: World) -> None:
    result = service.region_ikm(session, rated.region.id, 2026)
    assert result is not None
    assert (result.ikm, result.respondents) == (88.19, 4)
    assert service.region_ikm(session, rated.region.id, 2024) is None
    foreign = service.region_ikm(session, rated.other.id, 2026)
    assert foreign is not None and (foreign.ikm, foreign.respondents) == (25.0, 1)


def test_parse_period_names_the_wrong_field() -> None:
    today = report.Period(2026).start.replace(month=11, day=27)
    assert report.parse_period("2025", "s2", today) == (report.Period(2025, "s2"), {})
    assert report.parse_period(None, None, today) == (report.Period(2026), {})
    for bad in ("dua ribu", "1999", "2027", "２０２５"):
        period, errors = report.parse_period(bad, "", today)
        assert period == report.Period(2026)
        assert list(errors) == ["tahun"]
        assert "Tahun harus" in errors["tahun"]
    _period, errors = report.parse_period("2026", "q9", today)
    assert list(errors) == ["periode"]
    assert report.Period(2026, "t4").bounds("Asia/Jayapura")[1].isoformat() == (
        "2027-01-01T00:00:00+09:00"
    )


def test_submitting_twice_counts_once(session: Session, world: World) -> None:
    item = application(session, world.ktp, world.citizen)
    answers = (4, 4, 3, 3, 4, 4, 4, 3, 3)
    assert service.submit_survey(session, world.region, world.citizen, item.id, answers, "Cepat.")
    assert not service.submit_survey(session, world.region, world.citizen, item.id, (1,) * 9)
    stored = session.scalars(select(SurveyResponse)).all()
    assert len(stored) == 1
    assert stored[0].answers == answers and stored[0].suggestion == "Cepat."
    assert stored[0].agency_id == world.ktp.agency_id
    assert service.has_response(session, world.region.id, item.id)


def test_the_database_refuses_a_second_row_and_out_of_range_answers(
    session: Session, world: World
) -> None:
    item = application(session, world.ktp, world.citizen)
    rate(session, item, (3,) * 9)
    session.commit()
    with pytest.raises(IntegrityError):
        rate(session, item, (3,) * 9)
    session.rollback()
    other = application(session, world.ktp, world.citizen)
    with pytest.raises(IntegrityError):
        rate(session, other, (3, 3, 3, 3, 5, 3, 3, 3, 3))
    session.rollback()
    assert responses_of(session, world.region) == 1


def test_only_the_owner_of_a_completed_application_may_rate(session: Session, world: World) -> None:
    mine = application(session, world.ktp, world.citizen)
    with pytest.raises(NotFound):
        service.submit_survey(session, world.region, world.neighbour, mine.id, (4,) * 9)
    with pytest.raises(NotFound):  # the same id asked for in another region
        service.submit_survey(session, world.other, world.foreign_citizen, mine.id, (4,) * 9)
    for status in (ApplicationStatus.SUBMITTED, ApplicationStatus.RETURNED):
        waiting = application(session, world.ktp, world.citizen, status=status)
        with pytest.raises(Conflict) as refused:
            service.submit_survey(session, world.region, world.citizen, waiting.id, (4,) * 9)
        assert "setelah permohonan selesai" in refused.value.message
    assert responses_of(session, world.region) == 0


def test_invalid_answers_name_the_element_and_keep_the_others() -> None:
    form = service.parse_survey_form(_form("4", "", "5", "3", "x", "4", "4", "4"))
    assert form.answers is None
    assert form.errors == {
        "u2": "Pilih salah satu jawaban untuk unsur Sistem, mekanisme dan prosedur.",
        "u3": "Jawaban untuk unsur Waktu penyelesaian harus salah satu dari empat pilihan.",
        "u5": "Jawaban untuk unsur Produk spesifikasi jenis pelayanan harus salah satu dari "
        "empat pilihan.",
        "u9": "Pilih salah satu jawaban untuk unsur Sarana dan prasarana.",
    }
    assert form.values["u1"] == "4" and form.values["u4"] == "3"
    too_long = service.parse_survey_form(_form(*ALL_FOURS, saran="a" * 1001))
    assert too_long.answers is None and list(too_long.errors) == ["saran"]
    good = service.parse_survey_form(_form(*ALL_FOURS, saran="  Terima kasih  "))
    assert good.answers == (4,) * 9 and good.suggestion == "Terima kasih"


def test_report_scope_by_role(session: Session, world: World) -> None:
    admin = make_user(
        session, world.region, "admin@example.org", PASSWORD, AccountKind.REGION_ADMIN
    )
    assert report_scope(world.region, admin) is None
    opd = make_user(
        session,
        world.region,
        "opd@example.org",
        PASSWORD,
        AccountKind.STAFF,
        roles=[("dinas-izin", StaffRoleName.ADMIN_OPD), ("dinas-uji", StaffRoleName.VERIFIKATOR)],
    )
    assert report_scope(world.region, opd) == {world.izin.agency_id}
    verifier = make_user(
        session,
        world.region,
        "verif@example.org",
        PASSWORD,
        AccountKind.STAFF,
        roles=[("dinas-uji", StaffRoleName.VERIFIKATOR)],
    )
    for user in (verifier, world.citizen):
        with pytest.raises(Forbidden):
            report_scope(world.region, user)
    foreign_admin = make_user(
        session, world.other, "admin@example.org", PASSWORD, AccountKind.REGION_ADMIN
    )
    with pytest.raises(Forbidden):
        report_scope(world.region, foreign_admin)


def test_agency_scope_limits_the_report(session: Session, rated: World) -> None:
    built = report.build_report(session, rated.region, YEAR_2026, {rated.izin.agency_id})
    assert [g.name for g in built.agencies] == ["Dinas Perizinan"]
    assert (built.total.respondents, built.total.population) == (1, 1)


def test_export_rows_per_service_agency_and_total(session: Session, rated: World) -> None:
    rows = report.export_rows(report.build_report(session, rated.region, YEAR_2026))
    assert list(rows[0]) == [column.key for column in report.EXPORT_COLUMNS]
    assert [(r["opd"], r["layanan"], r["responden"], r["ikm"]) for r in rows] == [
        ("Dinas Perizinan", "Izin Usaha", 1, 100.0),
        ("Dinas Uji Kota Uji", "KTP Uji", 3, 84.26),
        ("Dinas Perizinan", "Semua layanan", 1, 100.0),
        ("Dinas Uji Kota Uji", "Semua layanan", 3, 84.26),
        ("Semua perangkat daerah", "Semua layanan", 4, 88.19),
    ]
    ktp = rows[1]
    assert (ktp["populasi"], ktp["sampel_minimum"], ktp["sampel_terpenuhi"]) == (5, 5, "tidak")
    assert (ktp["mutu"], ktp["kinerja"], ktp["nrr_u3"], ktp["unsur_terendah"]) == (
        "B",
        "Baik",
        2.67,
        "Waktu penyelesaian",
    )


def test_demo_responses_are_deterministic_and_added_once(session: Session, world: World) -> None:
    items = [application(session, world.ktp, world.citizen) for _ in range(6)]
    rate(session, items[0], KTP_ANSWERS[0])
    application(session, world.ktp, world.citizen, status=ApplicationStatus.SUBMITTED)
    assert seed_demo_responses(session, world.region) == 5
    assert seed_demo_responses(session, world.region) == 0
    stored = {
        r.application_id: r.answers
        for r in session.scalars(
            select(SurveyResponse).where(SurveyResponse.region_id == world.region.id)
        )
    }
    assert set(stored) == {item.id for item in items}
    assert stored[items[0].id] == KTP_ANSWERS[0]  # an existing response is left alone
    assert all(len(a) == 9 and all(1 <= x <= 4 for x in a) for a in stored.values())
    assert len(set(stored.values())) > 1  # plausible: not everyone answers the same
    # Same application, same answers: deleting and seeding again reproduces them.
    session.execute(delete(SurveyResponse).where(SurveyResponse.application_id == items[1].id))
    assert seed_demo_responses(session, world.region) == 1
    again = session.scalars(
        select(SurveyResponse).where(SurveyResponse.application_id == items[1].id)
    ).one()
    assert again.answers == stored[items[1].id]
    assert responses_of(session, world.other) == 0
