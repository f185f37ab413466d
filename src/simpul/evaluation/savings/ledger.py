"""Recording what each completed application saved, with the rates in force at that moment.

Default figures apply while a region has set none. Each is an ASSUMPTION, documented here and
in docs/savings.md; a region replaces them with its own figures and their source.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy.orm import Session

from simpul.applications.models import Application, ApplicationStatus
from simpul.catalogue.models import Service
from simpul.core.models import utcnow
from simpul.evaluation.savings import repository
from simpul.evaluation.savings.models import SavingsEntry

# -- default unit costs (rupiah) ------------------------------------------------------------

#: ASSUMPTION: one sheet of HVS A4 70-80 gsm. A ream of 500 costs about Rp50.000-75.000 in
#: Bandung stationers (2025), i.e. Rp100-150 a sheet; we take the upper end.
#: (Satu lembar HVS A4: satu rim 500 lembar sekitar Rp50.000-75.000.)
DEFAULT_SHEET_RUPIAH: Final = 150

#: ASSUMPTION: one printed or photocopied page (toner/ink and the machine, paper counted apart).
#: A fotokopi shop charges about Rp250-500 a page; an office laser printer costs about the same.
#: (Satu halaman cetak/fotokopi, di luar kertasnya.)
DEFAULT_PRINTED_COPY_RUPIAH: Final = 500

#: ASSUMPTION: one courier trip within the city carrying files between offices or to the
#: citizen: an ojek/courier delivery costs about Rp15.000-35.000 within a kota.
#: (Satu perjalanan kurir dalam kota.)
DEFAULT_COURIER_TRIP_RUPIAH: Final = 25_000

#: ASSUMPTION: one citizen trip to an office: about Rp25.000 round-trip transport plus half a
#: day's lost income at the regional minimum wage (UMK Kota Bandung 2025 about Rp4,48 juta a
#: month over 22 working days is about Rp204.000 a day, half a day about Rp100.000).
#: (Transport pulang-pergi + setengah hari penghasilan yang hilang pada UMK.)
DEFAULT_CITIZEN_TRIP_RUPIAH: Final = 125_000

# -- default offline path of a service ------------------------------------------------------

#: ASSUMPTION: offline, the citizen comes twice: once to submit, once to collect the result.
DEFAULT_CITIZEN_TRIPS: Final = 2
#: ASSUMPTION: one courier trip carries the file between the front office and the agency.
DEFAULT_COURIER_TRIPS: Final = 1
#: ASSUMPTION: the product (certificate, permit, letter) is printed once on paper.
DEFAULT_PRINTED_COPIES: Final = 1
#: ASSUMPTION: a paper form holds about ten questions a page.
QUESTIONS_PER_FORM_PAGE: Final = 10


@dataclass(frozen=True)
class Rates:
    """Unit costs in rupiah; ``is_default`` when the region has not set its own."""

    sheet_rupiah: int
    printed_copy_rupiah: int
    courier_trip_rupiah: int
    citizen_trip_rupiah: int
    source: str = ""
    is_default: bool = False


DEFAULT_RATES: Final = Rates(
    sheet_rupiah=DEFAULT_SHEET_RUPIAH,
    printed_copy_rupiah=DEFAULT_PRINTED_COPY_RUPIAH,
    courier_trip_rupiah=DEFAULT_COURIER_TRIP_RUPIAH,
    citizen_trip_rupiah=DEFAULT_CITIZEN_TRIP_RUPIAH,
    source="Asumsi bawaan Simpul (lihat docs/savings.md)",
    is_default=True,
)


@dataclass(frozen=True)
class Quantities:
    """What one application's offline path takes; ``is_default`` when derived, not set."""

    sheets: int
    printed_copies: int
    courier_trips: int
    citizen_trips: int
    is_default: bool = False


def rates_for(session: Session, region_id: uuid.UUID) -> Rates:
    """The region's unit costs now, or the documented defaults."""
    rate = repository.get_rate(session, region_id)
    if rate is None:
        return DEFAULT_RATES
    return Rates(
        sheet_rupiah=rate.sheet_rupiah,
        printed_copy_rupiah=rate.printed_copy_rupiah,
        courier_trip_rupiah=rate.courier_trip_rupiah,
        citizen_trip_rupiah=rate.citizen_trip_rupiah,
        source=rate.source,
    )


def _question_count(schema: Any) -> int:
    if not isinstance(schema, dict):
        return 0
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return 0
    count = 0
    for child in properties.values():
        nested = _question_count(child)
        count += nested if nested else 1
    return count


def form_pages(service: Service) -> int:
    """Pages the paper form would take: ten questions a page, at least one."""
    eform = service.eform if isinstance(service.eform, dict) else {}
    questions = _question_count(eform.get("schema", {}))
    return max(1, math.ceil(questions / QUESTIONS_PER_FORM_PAGE))


def default_quantities(service: Service) -> Quantities:
    """ASSUMPTION: a sheet per required document (its photocopy) plus the form's pages, one
    printed product, one courier trip, two citizen trips (submit and collect)."""
    return Quantities(
        sheets=len(service.required_documents or []) + form_pages(service),
        printed_copies=DEFAULT_PRINTED_COPIES,
        courier_trips=DEFAULT_COURIER_TRIPS,
        citizen_trips=DEFAULT_CITIZEN_TRIPS,
        is_default=True,
    )


def quantities_for(session: Session, service: Service) -> Quantities:
    """The service's offline path as the region set it, or derived from the service."""
    profile = repository.get_profile(session, service.region_id, service.id)
    if profile is None:
        return default_quantities(service)
    return Quantities(
        sheets=profile.sheets,
        printed_copies=profile.printed_copies,
        courier_trips=profile.courier_trips,
        citizen_trips=profile.citizen_trips,
    )


def entry_values(quantities: Quantities, rates: Rates) -> dict[str, int]:
    """The quantities and their rupiah, as an entry stores them."""
    sheet = quantities.sheets * rates.sheet_rupiah
    printed = quantities.printed_copies * rates.printed_copy_rupiah
    courier = quantities.courier_trips * rates.courier_trip_rupiah
    citizen = quantities.citizen_trips * rates.citizen_trip_rupiah
    return {
        "sheets": quantities.sheets,
        "printed_copies": quantities.printed_copies,
        "courier_trips": quantities.courier_trips,
        "citizen_trips": quantities.citizen_trips,
        "sheet_rupiah": sheet,
        "printed_copy_rupiah": printed,
        "courier_rupiah": courier,
        "citizen_trip_rupiah": citizen,
        "total_rupiah": sheet + printed + courier + citizen,
    }


def record_completion(session: Session, application: Application) -> SavingsEntry | None:
    """Record what a just-completed application saved, in the caller's transaction.

    Call it when the application reaches "completed". Calling it again for the same
    application changes nothing; an application that is not completed records nothing.
    """
    if application.status is not ApplicationStatus.COMPLETED:
        return None
    existing = repository.get_entry_for_application(session, application.id)
    if existing is not None:
        return existing
    service = repository.get_service(session, application.region_id, application.service_id)
    if service is None:
        return None
    values = entry_values(quantities_for(session, service), rates_for(session, service.region_id))
    session.flush()  # the application row exists before the entry points at it
    repository.insert_entry_once(
        session,
        {
            "region_id": application.region_id,
            "application_id": application.id,
            "service_id": service.id,
            "agency_id": service.agency_id,
            "completed_at": application.finished_at or utcnow(),
            **values,
        },
    )
    return repository.get_entry_for_application(session, application.id)


def record_missing(session: Session, region_id: uuid.UUID) -> int:
    """Record every completed application of the region that has no entry yet (data from
    before the ledger, demo seeds), at today's rates; returns how many were recorded."""
    missing = repository.completed_applications_without_entry(session, region_id)
    for application in missing:
        record_completion(session, application)
    return len(missing)
