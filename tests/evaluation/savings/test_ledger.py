"""Each completed application records what its offline path would have cost, once, at the
rates in force when it completed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from simpul.applications.models import ApplicationStatus
from simpul.evaluation.savings import ledger, rates
from simpul.evaluation.savings.models import SavingsEntry, ServiceSavingsProfile
from tests.evaluation.savings.conftest import ADMIN, World, completed_application
from tests.factories import make_user

AT = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)


def entries(session: Session) -> int:
    return session.scalar(select(func.count(SavingsEntry.id))) or 0


def test_defaults_are_derived_from_the_service_and_priced_at_the_default_rates(
    session: Session, world: World
) -> None:
    application = completed_application(session, world.izin, world.citizen, AT)
    entry = ledger.record_completion(session, application)
    assert entry is not None
    # 3 required documents + 23 questions at ten a page (3 pages) = 6 sheets.
    assert (entry.sheets, entry.printed_copies, entry.courier_trips, entry.citizen_trips) == (
        6,
        1,
        1,
        2,
    )
    assert entry.sheet_rupiah == 6 * 150
    assert entry.printed_copy_rupiah == 500
    assert entry.courier_rupiah == 25_000
    assert entry.citizen_trip_rupiah == 2 * 125_000
    assert entry.total_rupiah == 900 + 500 + 25_000 + 250_000
    assert entry.completed_at == AT
    assert entry.agency_id == world.izin.agency_id
    assert entry.region_id == world.region.id


def test_the_region_profile_and_rates_in_force_are_used(session: Session, world: World) -> None:
    admin = make_user(session, world.region, *ADMIN)
    session.add(
        ServiceSavingsProfile(
            region_id=world.region.id,
            service_id=world.ktp.id,
            sheets=4,
            printed_copies=2,
            courier_trips=3,
            citizen_trips=1,
        )
    )
    rates.set_rates(
        session, world.region, admin, ledger.Rates(200, 1_000, 30_000, 100_000, "Survei 2026")
    )
    entry = ledger.record_completion(
        session, completed_application(session, world.ktp, world.citizen, AT)
    )
    assert entry is not None
    assert (entry.sheets, entry.printed_copies, entry.courier_trips, entry.citizen_trips) == (
        4,
        2,
        3,
        1,
    )
    assert entry.total_rupiah == 4 * 200 + 2 * 1_000 + 3 * 30_000 + 100_000


def test_changing_rates_later_does_not_rewrite_old_entries(session: Session, world: World) -> None:
    admin = make_user(session, world.region, *ADMIN)
    first = ledger.record_completion(
        session, completed_application(session, world.ktp, world.citizen, AT)
    )
    assert first is not None
    before = first.total_rupiah
    rates.set_rates(session, world.region, admin, ledger.Rates(1, 1, 1, 1, "Uji"))
    session.commit()
    session.expire_all()
    old = session.get_one(SavingsEntry, first.id)
    assert old.total_rupiah == before  # still the default rates' amount
    second = ledger.record_completion(
        session, completed_application(session, world.ktp, world.citizen, AT)
    )
    assert second is not None
    # ktp-uji: 1 required document + 1 form page = 2 sheets, 1 copy, 1 courier, 2 trips.
    assert second.total_rupiah == 2 + 1 + 1 + 2


def test_recording_twice_keeps_one_entry(session: Session, world: World) -> None:
    application = completed_application(session, world.ktp, world.citizen, AT)
    first = ledger.record_completion(session, application)
    again = ledger.record_completion(session, application)
    assert first is not None and again is not None
    assert first.id == again.id
    assert entries(session) == 1
    # The database refuses a second row for the same application, whoever writes it.
    duplicate = SavingsEntry(
        region_id=first.region_id,
        application_id=first.application_id,
        service_id=first.service_id,
        agency_id=first.agency_id,
        completed_at=AT,
        sheets=0,
        printed_copies=0,
        courier_trips=0,
        citizen_trips=0,
        sheet_rupiah=0,
        printed_copy_rupiah=0,
        courier_rupiah=0,
        citizen_trip_rupiah=0,
        total_rupiah=0,
    )
    session.add(duplicate)
    with pytest.raises(IntegrityError):
        session.flush()


@pytest.mark.parametrize(
    "status", [ApplicationStatus.SUBMITTED, ApplicationStatus.REJECTED, ApplicationStatus.DRAFT]
)
def test_applications_not_completed_record_nothing(
    session: Session, world: World, status: ApplicationStatus
) -> None:
    application = completed_application(session, world.ktp, world.citizen, AT)
    application.status = status
    assert ledger.record_completion(session, application) is None
    assert entries(session) == 0


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"kertas": "-5"}, "kertas", "Biaya per lembar kertas harus bilangan bulat"),
        ({"cetak": "1,5"}, "cetak", "Biaya per salinan cetak harus bilangan bulat"),
        ({"kurir": ""}, "kurir", "Biaya per perjalanan kurir wajib diisi"),
        ({"perjalanan": "999999999999"}, "perjalanan", "Biaya per perjalanan warga paling banyak"),
    ],
)
def test_rate_form_names_the_wrong_field(form: dict[str, str], field: str, message: str) -> None:
    good = {"kertas": "150", "cetak": "500", "kurir": "25.000", "perjalanan": "125000"}
    parsed = rates.parse_rate_form({**good, **form})
    assert parsed.rates is None
    assert list(parsed.errors) == [field]
    assert parsed.errors[field].startswith(message)


def test_rate_form_reads_grouped_rupiah() -> None:
    parsed = rates.parse_rate_form(
        {"kertas": "150", "cetak": "0", "kurir": "25.000", "perjalanan": "1.250.000"}
    )
    assert parsed.rates == ledger.Rates(150, 0, 25_000, 1_250_000, "")


def test_record_missing_fills_in_earlier_completions_of_the_region_only(
    session: Session, world: World
) -> None:
    done = completed_application(session, world.ktp, world.citizen, AT)
    ledger.record_completion(session, done)
    completed_application(session, world.izin, world.citizen, AT)
    open_one = completed_application(session, world.izin, world.citizen, AT)
    open_one.status = ApplicationStatus.SUBMITTED
    completed_application(session, world.foreign, world.foreign_citizen, AT)
    assert ledger.record_missing(session, world.region.id) == 1
    assert entries(session) == 2
    assert ledger.record_missing(session, world.region.id) == 0
