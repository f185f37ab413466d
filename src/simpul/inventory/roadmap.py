"""The integration roadmap: per year, the target, the apps planned and the apps integrated.

A year without a ``RoadmapTarget`` row has the default target (Kota Bandung integrates about
ten apps a year). Only the region admin sets targets; each change is audited.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, User
from simpul.applications.sla import local_date
from simpul.core.audit import record_audit_event
from simpul.core.errors import Forbidden, InvalidInput
from simpul.core.i18n import _
from simpul.core.models import Region, utcnow
from simpul.inventory import repository
from simpul.inventory.models import App, IntegrationState, RoadmapTarget
from simpul.web import charts

DEFAULT_TARGET: Final = 10
MAX_TARGET: Final = 500
#: How many years ahead the roadmap always shows, and how far a target may be set.
YEARS_AHEAD: Final = 3
TARGET_YEARS_SPAN: Final = 10


@dataclass
class YearRow:
    """One year of the roadmap. ``planned``/``integrated`` are counts of ``*_apps``."""

    year: int
    target: int
    target_is_default: bool
    planned_apps: list[App] = field(default_factory=list)
    integrated_apps: list[App] = field(default_factory=list)
    #: Of ``integrated_apps``, those whose services are reachable through the gateway now
    #: (the others were declared integrated in the inventory, e.g. through an older bus).
    through_gateway: set[uuid.UUID] = field(default_factory=set)

    @property
    def planned(self) -> int:
        return len(self.planned_apps)

    @property
    def integrated(self) -> int:
        return len(self.integrated_apps)


def current_year(region: Region, now: dt.datetime | None = None) -> int:
    """The year in the region's own time zone."""
    return local_date(now or utcnow(), region.timezone).year


def year_of(app: App) -> int | None:
    """The roadmap year an app counts in: its planned year, or the year it was integrated."""
    if app.integration_state is IntegrationState.PLANNED:
        return app.planned_year
    if app.integration_state is IntegrationState.INTEGRATED and app.integrated_on:
        return app.integrated_on.year
    return None


def roadmap_rows(session: Session, region: Region, this_year: int) -> list[YearRow]:
    """Every year from the earliest planned/integrated one (or this year) to this year + 3.

    Later years that have planned apps or a target are shown too, so nothing planned hides.
    """
    apps = repository.list_roadmap_apps(session, region.id)
    reachable = repository.apps_reachable_through_gateway(session, region.id)
    targets = {t.year: t.target for t in repository.list_roadmap_targets(session, region.id)}
    years = [y for y in (year_of(app) for app in apps) if y is not None]
    first = min([*years, this_year])
    last = max([*years, *(y for y in targets if y > this_year), this_year + YEARS_AHEAD])
    rows = {
        year: YearRow(
            year=year,
            target=targets.get(year, DEFAULT_TARGET),
            target_is_default=year not in targets,
        )
        for year in range(first, last + 1)
    }
    for app in apps:
        year = year_of(app)
        if year is None:
            continue
        row = rows[year]
        if app.integration_state is IntegrationState.PLANNED:
            row.planned_apps.append(app)
        else:
            row.integrated_apps.append(app)
            if app.id in reachable:
                row.through_gateway.add(app.id)
    return list(rows.values())


def can_set_targets(user: User) -> bool:
    return user.kind is AccountKind.REGION_ADMIN


def target_years(this_year: int) -> range:
    """The years a target may be set for."""
    return range(this_year - TARGET_YEARS_SPAN, this_year + TARGET_YEARS_SPAN + 1)


def set_target(
    session: Session, region: Region, user: User, *, year: str, target: str, this_year: int
) -> RoadmapTarget:
    """Set how many apps the region plans to integrate in ``year`` (form text, validated)."""
    if not can_set_targets(user):
        raise Forbidden(_("Hanya admin wilayah yang dapat mengubah target integrasi."))
    allowed = target_years(this_year)
    problems: list[dict[str, str]] = []
    try:
        year_value = int(year.strip())
    except ValueError:
        year_value = None
    if year_value is None or year_value not in allowed:
        problems.append(
            {
                "field": "tahun",
                "message": _("Tahun harus antara %(first)d dan %(last)d.")
                % {"first": allowed[0], "last": allowed[-1]},
            }
        )
    try:
        target_value = int(target.strip())
    except ValueError:
        target_value = None
    if target_value is None or not 0 <= target_value <= MAX_TARGET:
        problems.append(
            {
                "field": "target",
                "message": _("Target harus bilangan bulat antara 0 dan %(max)d.")
                % {"max": MAX_TARGET},
            }
        )
    if problems or year_value is None or target_value is None:
        raise InvalidInput(_("Target integrasi belum dapat disimpan."), details=problems)
    row = repository.get_roadmap_target(session, region.id, year_value)
    before = row.target if row else None
    if row is None:
        row = RoadmapTarget(region_id=region.id, year=year_value, target=target_value)
        repository.add(session, row)
    else:
        row.target = target_value
    session.flush()
    record_audit_event(
        session,
        region_id=region.id,
        actor_id=user.id,
        actor_label=user.email,
        action="roadmap.target_set",
        target_type="roadmap_target",
        target_id=str(year_value),
        details={"year": year_value, "from": before, "to": target_value},
    )
    return row


# -- the bar chart ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartBar:
    """One year's group: the planned bar, the integrated bar, and the target line above both."""

    row: YearRow
    group_x: float
    centre_x: float
    planned_x: float
    planned_y: float
    planned_height: float
    integrated_x: float
    integrated_y: float
    integrated_height: float
    target_y: float


@dataclass(frozen=True)
class Chart:
    """Coordinates of the roadmap's SVG, in viewBox units (the browser scales it to the screen).

    The box is narrow on purpose: shrunk to a 390 px phone its text stays about 11 px high.
    """

    width: int
    height: int
    baseline: int
    left: int
    right: int
    group_width: float
    bar_width: float
    label_size: float
    ticks: list[tuple[int, float]]
    bars: list[ChartBar]


def chart_of(rows: list[YearRow]) -> Chart:
    """Lay out planned and integrated bars per year with the target as a line across each group."""
    width, height, top, left, right, bottom = 400, 250, 18, 34, 392, 28
    baseline = height - bottom
    ceiling = charts.quarter_ceiling(
        max([1, *(max(r.planned, r.integrated, r.target) for r in rows)])
    )
    group_width = (right - left) / max(len(rows), 1)
    bar_width = group_width * 0.34

    def y(value: int) -> float:
        return round(baseline - value / ceiling * (baseline - top), 1)

    bars = []
    for index, row in enumerate(rows):
        group_x = left + index * group_width
        planned_x = group_x + group_width * 0.14
        bars.append(
            ChartBar(
                row=row,
                group_x=round(group_x, 1),
                centre_x=round(group_x + group_width / 2, 1),
                planned_x=round(planned_x, 1),
                planned_y=y(row.planned),
                planned_height=round(baseline - y(row.planned), 1),
                integrated_x=round(planned_x + bar_width + group_width * 0.04, 1),
                integrated_y=y(row.integrated),
                integrated_height=round(baseline - y(row.integrated), 1),
                target_y=y(row.target),
            )
        )
    return Chart(
        width=width,
        height=height,
        baseline=baseline,
        left=left,
        right=right,
        group_width=round(group_width, 1),
        bar_width=round(bar_width, 1),
        label_size=round(min(12.0, group_width / 3.4), 1),
        ticks=[(ceiling * step // 4, y(ceiling * step // 4)) for step in range(5)],
        bars=bars,
    )
