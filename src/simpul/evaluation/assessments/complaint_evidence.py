"""What Simpul's complaint service shows next to the SPBE indicator on public complaint
services (PermenPANRB 59/2020, "Layanan Pengaduan Pelayanan Publik"): evidence for the
assessor, never a change to the level they choose."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from simpul.complaints import service as complaints
from simpul.core.kit.periods import Period
from simpul.core.models import Region
from simpul.evaluation import spbe


def is_complaint_indicator(indicator: spbe.Indicator) -> bool:
    """The indicator on the public complaint service, found by its name in any ruleset."""
    return "layanan pengaduan" in indicator.name.lower()


@dataclass(frozen=True)
class ComplaintEvidence:
    year: int
    categories: list[str]
    figures: complaints.ComplaintFigures
    public_list: str
    open311_discovery: str


def complaint_evidence(session: Session, region: Region, year: int) -> ComplaintEvidence:
    """The region's complaint service in ``year``: its categories and the year's figures."""
    period = Period(dt.date(year, 1, 1), dt.date(year, 12, 31))
    return ComplaintEvidence(
        year=year,
        categories=[category.name for category in complaints.categories(session, region)],
        figures=complaints.complaint_figures(session, region, period),
        public_list=f"/{region.slug}/pengaduan",
        open311_discovery=f"/open311/{region.slug}/v2/discovery.json",
    )
