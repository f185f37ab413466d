"""Service statistics in the shape of the GovStack Registration BB statistics API.

What is counted, honestly: every number comes from recorded rows, per period of the region's
local calendar (or one row for the whole range when no timeframe is asked for).

- ``sentBack``: officers' decisions to return an application for revision (an application
  returned twice counts twice), by the time the decision was taken;
- ``rejected``: decisions to reject an application;
- ``approved``: approvals that completed an application, i.e. the approval at its last
  workflow step (an approval that only passes it to the next step is not counted here);
- ``processed`` = approved + sentBack + rejected: the decisions that answered an applicant;
- ``received`` (an addition to the spec): applications first submitted in the period.

``registrationName`` keeps services whose name contains it, ``operator`` keeps decisions of
officers whose name contains it (both case-insensitive), ``role`` keeps decisions taken at a
step of that role (verifikator, penyetuju, admin_opd; the specification types it as any
string, so another role matches no decision and counts zero). Operator and role describe who
decided, so with either of them ``received`` is left out: nobody decides to receive.
The statistics are public aggregates (the specification: "allows anyone to see service
statistics"); ``operator`` needs a staff viewer, since counts per named officer describe a
person's work. A ``registrationName`` that names no service of the region (published, or
with applications) is a 404, as the specification lists.
``startDate`` and ``endDate`` are inclusive local dates from 1900-01-01 to 2999-12-31
(``core.inputs``). Only periods with at least one
counted event are listed when a timeframe is given.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, StaffRoleName, User
from simpul.applications import repository
from simpul.core.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from simpul.core.i18n import _
from simpul.core.inputs import date_in_range, date_range_message
from simpul.core.models import Region
from simpul.evaluation.rollups import service as rollups

MAX_TEXT = 200


class Timeframe(enum.StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


@dataclass(frozen=True)
class StatisticsFilter:
    """What was asked for, as given (after checking)."""

    start_date: date | None
    end_date: date | None
    registration_name: str | None
    operator: str | None
    #: The role asked for, as given (trimmed, lower case); ``role_name`` is Simpul's role it
    #: names, or None for a role Simpul does not have (which then matches no decision).
    role: str | None
    role_name: StaffRoleName | None
    timeframe: Timeframe | None


@dataclass(frozen=True)
class PeriodStatistics:
    """The counts of one period; ``start``/``end`` are its first and last local day."""

    start: date | None
    end: date | None
    approved: int
    sent_back: int
    rejected: int
    #: None when the filter names an operator or role (see the module docstring).
    received: int | None

    @property
    def processed(self) -> int:
        return self.approved + self.sent_back + self.rejected


def service_statistics(
    session: Session,
    region: Region,
    *,
    viewer: User | None = None,
    start_date: date | None = None,
    end_date: date | None = None,
    registration_name: str | None = None,
    operator: str | None = None,
    role: str | None = None,
    timeframe: Timeframe | None = None,
) -> tuple[StatisticsFilter, list[PeriodStatistics]]:
    """Decisions and submissions per period of the region's calendar (see the module doc)."""
    query = _checked(start_date, end_date, registration_name, operator, role, timeframe)
    if query.operator is not None:
        _may_see_officers(viewer)
    if query.registration_name is not None and not repository.statistics_service_named(
        session, region.id, query.registration_name
    ):
        raise NotFound(
            _('Tidak ada layanan di wilayah ini yang namanya memuat "%(name)s".')
            % {"name": query.registration_name}
        )
    unit = timeframe.value if timeframe else None
    matches_nothing = query.role is not None and query.role_name is None
    # From the daily rollups (``simpul.evaluation.rollups``): the same counts as the tasks and
    # applications give, by local day, without reading them (decision 0034).
    decisions = (
        {}
        if matches_nothing
        else {
            row.period: row
            for row in rollups.count_decisions(
                session,
                region.id,
                first=start_date,
                last=end_date,
                unit=unit,
                service_name=query.registration_name,
                operator_name=query.operator,
                role=query.role_name,
            )
        }
    )
    by_decider = query.operator is not None or query.role is not None
    received = (
        {}
        if by_decider
        else rollups.count_received(
            session,
            region.id,
            first=start_date,
            last=end_date,
            unit=unit,
            service_name=query.registration_name,
        )
    )
    periods = [None] if timeframe is None else sorted(p for p in {*decisions, *received} if p)
    rows = []
    for period in periods:
        counted = decisions.get(period)
        first, last = _bounds(period, timeframe, start_date, end_date)
        rows.append(
            PeriodStatistics(
                start=first,
                end=last,
                approved=counted.completing_approvals if counted else 0,
                sent_back=counted.returned if counted else 0,
                rejected=counted.rejected if counted else 0,
                received=None if by_decider else received.get(period, 0),
            )
        )
    return query, rows


def _may_see_officers(viewer: User | None) -> None:
    """Counts per named officer describe a person's work (personal data): staff of the
    region only. The rest of the statistics are public aggregates."""
    if viewer is None:
        raise Unauthorized(
            _("Filter operator hanya untuk petugas: kirim token API petugas wilayah ini."),
            headers={"WWW-Authenticate": "Bearer"},
        )
    if viewer.kind is AccountKind.CITIZEN:
        raise Forbidden(_("Filter operator hanya untuk petugas wilayah ini."))


def _checked(
    start_date: date | None,
    end_date: date | None,
    registration_name: str | None,
    operator: str | None,
    role: str | None,
    timeframe: Timeframe | None,
) -> StatisticsFilter:
    errors: list[dict[str, str]] = [
        {"field": field, "message": date_range_message()}
        for field, day in (("startDate", start_date), ("endDate", end_date))
        if day is not None and not date_in_range(day)
    ]
    if start_date and end_date and start_date > end_date:
        errors.append(
            {"field": "endDate", "message": _("Tanggal akhir tidak boleh sebelum tanggal awal.")}
        )
    texts = {"registrationName": registration_name, "operator": operator}
    for field, value in texts.items():
        if value is not None and len(value) > MAX_TEXT:
            errors.append({"field": field, "message": _("Paling banyak 200 karakter.")})
    wanted_role = " ".join((role or "").split()).lower() or None
    if wanted_role is not None and len(wanted_role) > MAX_TEXT:
        errors.append({"field": "role", "message": _("Paling banyak 200 karakter.")})
    known = {r.value: r for r in StaffRoleName}
    if errors:
        raise InvalidInput(_("Parameter statistik tidak valid."), details=errors)
    return StatisticsFilter(
        start_date,
        end_date,
        " ".join((registration_name or "").split()) or None,
        " ".join((operator or "").split()) or None,
        wanted_role,
        known.get(wanted_role or ""),
        timeframe,
    )


def _bounds(
    period: datetime | None,
    timeframe: Timeframe | None,
    start_date: date | None,
    end_date: date | None,
) -> tuple[date | None, date | None]:
    """First and last local day of the period, clipped to the requested range."""
    if period is None or timeframe is None:
        return start_date, end_date
    first = period.date()
    if timeframe is Timeframe.DAY:
        last = first
    elif timeframe is Timeframe.WEEK:
        last = first + timedelta(days=6)
    elif timeframe is Timeframe.MONTH:
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        last = following - timedelta(days=1)
    else:
        last = date(first.year, 12, 31)
    if start_date is not None:
        first = max(first, start_date)
    if end_date is not None:
        last = min(last, end_date)
    return first, last
