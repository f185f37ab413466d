"""SLA deadlines on real 2026 Indonesian dates (national holidays from the ``holidays`` library)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from simpul.applications.sla import WorkingCalendar, local_date

# The region's collective leave around Idul Fitri 1447 H (the dates of the national SKB).
CUTI_BERSAMA_LEBARAN_2026 = (date(2026, 3, 20), date(2026, 3, 23), date(2026, 3, 24))


@pytest.fixture
def calendar() -> WorkingCalendar:
    return WorkingCalendar()


def test_weekends_and_national_holidays_are_days_off(calendar: WorkingCalendar) -> None:
    assert calendar.is_working_day(date(2026, 1, 2))  # Friday
    assert not calendar.is_working_day(date(2026, 1, 3))  # Saturday
    assert not calendar.is_working_day(date(2026, 1, 4))  # Sunday
    assert not calendar.is_working_day(date(2026, 1, 1))  # Thursday, Tahun Baru
    assert calendar.holiday_name(date(2026, 1, 1)) == "Tahun Baru Masehi"
    assert not calendar.is_working_day(date(2026, 8, 17))  # Monday, Hari Kemerdekaan
    assert calendar.holiday_name(date(2026, 8, 18)) is None


def test_idul_fitri_2026_as_the_library_knows_it(calendar: WorkingCalendar) -> None:
    assert calendar.holiday_name(date(2026, 3, 21)) == "Hari Raya Idul Fitri"
    assert calendar.holiday_name(date(2026, 3, 22)) == "Hari kedua dari Hari Raya Idul Fitri"
    assert not calendar.is_working_day(date(2026, 3, 19))  # Thursday, Nyepi


def test_day_of_submission_does_not_count(calendar: WorkingCalendar) -> None:
    friday = date(2026, 2, 6)

    assert calendar.add_working_days(friday, 1) == date(2026, 2, 9)  # Monday
    assert calendar.add_working_days(friday, 5) == date(2026, 2, 13)
    assert calendar.add_working_days(date(2026, 2, 7), 1) == date(2026, 2, 9)  # from Saturday


def test_zero_days_is_the_same_or_next_working_day(calendar: WorkingCalendar) -> None:
    assert calendar.add_working_days(date(2026, 2, 6), 0) == date(2026, 2, 6)
    assert calendar.add_working_days(date(2026, 2, 7), 0) == date(2026, 2, 9)
    with pytest.raises(ValueError, match="negative"):
        calendar.add_working_days(date(2026, 2, 6), -1)


def test_national_holidays_are_skipped(calendar: WorkingCalendar) -> None:
    # Lunar New Year falls on Tuesday 17 February 2026.
    assert calendar.add_working_days(date(2026, 2, 16), 1) == date(2026, 2, 18)
    # Nyepi on Thursday 19 March, then Idul Fitri over the weekend.
    assert calendar.add_working_days(date(2026, 3, 18), 1) == date(2026, 3, 20)
    assert calendar.add_working_days(date(2026, 3, 18), 2) == date(2026, 3, 23)


def test_regional_collective_leave_is_skipped() -> None:
    calendar = WorkingCalendar(CUTI_BERSAMA_LEBARAN_2026)

    assert not calendar.is_working_day(date(2026, 3, 20))
    assert calendar.add_working_days(date(2026, 3, 18), 1) == date(2026, 3, 25)
    assert WorkingCalendar().add_working_days(date(2026, 3, 18), 1) == date(2026, 3, 20)


def test_national_collective_leave_only_when_asked() -> None:
    closing = WorkingCalendar(national_collective_leave=True)

    assert closing.add_working_days(date(2026, 3, 18), 1) == date(2026, 3, 25)
    assert not closing.is_working_day(date(2026, 12, 24))  # cuti bersama Natal
    assert WorkingCalendar().is_working_day(date(2026, 12, 24))


def test_year_boundary_loads_the_next_years_holidays(calendar: WorkingCalendar) -> None:
    # 1 January 2027 is a Friday holiday, 5 January 2027 is Isra Mikraj.
    assert calendar.add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)
    assert calendar.add_working_days(date(2026, 12, 31), 2) == date(2027, 1, 6)
    assert set(calendar.holidays_in(2027)) >= {date(2027, 1, 1), date(2027, 1, 5)}


def test_working_days_between_skips_weekend_and_holiday(calendar: WorkingCalendar) -> None:
    # Thu 13 Aug -> Tue 18 Aug 2026: Fri 14, (Sat, Sun), (Mon 17 Kemerdekaan), Tue 18.
    assert calendar.working_days_between(date(2026, 8, 13), date(2026, 8, 18)) == 2
    assert calendar.working_days_between(date(2026, 8, 13), date(2026, 8, 13)) == 0
    assert calendar.working_days_between(date(2026, 8, 18), date(2026, 8, 13)) == 0


def test_extending_a_deadline_by_the_days_spent_waiting(calendar: WorkingCalendar) -> None:
    deadline = calendar.add_working_days(date(2026, 8, 10), 5)  # Monday -> Tue 18 Aug
    waited = calendar.working_days_between(date(2026, 8, 12), date(2026, 8, 18))

    assert deadline == date(2026, 8, 18)
    assert waited == 3
    assert calendar.add_working_days(deadline, waited) == date(2026, 8, 21)


def test_counting_and_adding_agree_over_a_whole_year(calendar: WorkingCalendar) -> None:
    day = date(2026, 1, 1)
    while day.year == 2026:
        for n in (1, 3, 14):
            assert calendar.working_days_between(day, calendar.add_working_days(day, n)) == n
        day += timedelta(days=1)


def test_local_date_uses_indonesian_time() -> None:
    late_evening_wib = datetime(2026, 3, 2, 16, 30, tzinfo=UTC)  # 23:30 WIB

    assert local_date(late_evening_wib) == date(2026, 3, 2)
    assert local_date(late_evening_wib + timedelta(hours=1)) == date(2026, 3, 3)
    assert local_date(late_evening_wib, "Asia/Makassar") == date(2026, 3, 3)  # 00:30 WITA
    assert local_date(datetime(2026, 3, 2, 23, 30, tzinfo=timezone(timedelta(hours=7)))) == (
        date(2026, 3, 2)
    )
    with pytest.raises(ValueError, match="aware"):
        local_date(datetime(2026, 3, 2, 23, 30))  # noqa: DTZ001
