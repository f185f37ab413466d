"""Possible duplicates of a complaint, for the complaint desk to merge (decision 0056): same
region and category, filed in the last 30 days, still handled (or resolved in that time), near
it when both have a point, and saying much the same in stemmed words."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy.orm import Session

from simpul.complaints import triage_repository
from simpul.complaints.classifier import tokens
from simpul.complaints.models import Complaint
from simpul.core.models import Region, utcnow

#: How far back a repeat is looked for.
WINDOW: Final = timedelta(days=30)
#: Two points farther apart than this are two places.
RADIUS_M: Final = 300.0
#: Below this word similarity two texts are about different things.
MIN_SIMILARITY: Final = 0.2
LIMIT: Final = 5

_EARTH_M: Final = 6_371_000.0


@dataclass(frozen=True)
class DuplicateCandidate:
    complaint: Complaint
    distance_m: float | None
    similarity: float
    score: float


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine), metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_M * math.asin(math.sqrt(h))


def _box(lat: float, lng: float, metres: float) -> tuple[float, float, float, float]:
    dlat = math.degrees(metres / _EARTH_M)
    dlng = math.degrees(metres / (_EARTH_M * max(math.cos(math.radians(lat)), 0.01)))
    return lat - dlat, lng - dlng, lat + dlat, lng + dlng


def similarity(a: list[str], b: list[str]) -> float:
    """Cosine of the two texts' stemmed word counts (0 to 1)."""
    ca, cb = Counter(a), Counter(b)
    dot = sum(n * cb[w] for w, n in ca.items())
    norm = math.sqrt(sum(n * n for n in ca.values())) * math.sqrt(sum(n * n for n in cb.values()))
    return dot / norm if norm else 0.0


def candidates(
    session: Session, region: Region, complaint: Complaint, *, now: datetime | None = None
) -> list[DuplicateCandidate]:
    """At most five complaints that may be the same as ``complaint``, likeliest first."""
    moment = now or utcnow()
    since = moment - WINDOW
    category_ids = [complaint.category_id]
    if complaint.suggested_category_id and complaint.suggested_category_id not in category_ids:
        category_ids.append(complaint.suggested_category_id)
    has_point = complaint.latitude is not None and complaint.longitude is not None
    box = (
        _box(complaint.latitude, complaint.longitude, RADIUS_M)  # type: ignore[arg-type]
        if has_point
        else None
    )
    pool = triage_repository.duplicate_pool(
        session, region.id, complaint.id, category_ids, since, box
    )
    words = tokens(f"{complaint.title} {complaint.description}")
    found: list[DuplicateCandidate] = []
    for other in pool:
        metres = None
        if has_point and other.latitude is not None and other.longitude is not None:
            metres = distance_m(
                complaint.latitude,  # type: ignore[arg-type]
                complaint.longitude,  # type: ignore[arg-type]
                other.latitude,
                other.longitude,
            )
            if metres > RADIUS_M:
                continue
        alike = similarity(words, tokens(f"{other.title} {other.description}"))
        if alike < MIN_SIMILARITY:
            continue
        # Words weigh most; nearness next (unknown counts half); a recent one a little more.
        nearness = 0.5 if metres is None else 1 - metres / RADIUS_M
        age = abs((complaint.filed_at - other.filed_at).total_seconds()) / WINDOW.total_seconds()
        recency = max(0.0, 1 - age)
        score = 0.6 * alike + 0.25 * nearness + 0.15 * recency
        found.append(DuplicateCandidate(other, metres, alike, round(score, 4)))
    found.sort(key=lambda c: (-c.score, c.complaint.filed_at))
    return found[:LIMIT]
