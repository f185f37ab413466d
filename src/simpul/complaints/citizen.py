"""What the citizens' pages need beyond the core rules: filing with photos under a rate
limit, the public list and map, a citizen's own complaints (decision 0056)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy.orm import Session

from simpul.accounts.models import User
from simpul.catalogue.models import Agency
from simpul.complaints import public_repository, repository
from simpul.complaints.filing import Filed, Filing, contact_of, file_complaint
from simpul.complaints.models import (
    OPEN_STATUSES,
    Complaint,
    ComplaintCategory,
    ComplaintEvent,
    ComplaintKind,
    ComplaintPhoto,
    ComplaintStatus,
)
from simpul.complaints.photos import prepare_photos, store_photos
from simpul.core import ratelimit
from simpul.core.errors import InvalidInput, TooManyRequests
from simpul.core.i18n import _
from simpul.core.inputs import MAX_OFFSET
from simpul.core.models import Region
from simpul.core.ratelimit import buckets_on
from simpul.core.storage import Storage

#: Complaints one source address may file: a burst of 5, then one every 2 minutes.
FILINGS_PER_TEN_MINUTES: Final = 5
PAGE_SIZE: Final = 20
MAP_POINTS: Final = 1000
OWN_LIMIT: Final = 200
#: Access-code lookups one source address may make: a burst of 10, then one a minute. A code
#: is 10 characters of 32 (50 bits): guessing is hopeless at this pace.
LOOKUPS_PER_TEN_MINUTES: Final = 10
_FILING_BUCKETS: Final = "complaint_filing_source_buckets"
_LOOKUP_BUCKETS: Final = "complaint_lookup_source_buckets"


def limit_filing(state: object, source: str, *, lookup: bool = False) -> None:
    """Take one filing (or, with ``lookup``, one access-code lookup) from the address's
    allowance; 429 with Retry-After when spent."""
    name, allowed = (
        (_LOOKUP_BUCKETS, LOOKUPS_PER_TEN_MINUTES)
        if lookup
        else (_FILING_BUCKETS, FILINGS_PER_TEN_MINUTES)
    )
    # The buckets count per minute; given the time in tens of minutes, per ten minutes.
    wait = buckets_on(state, name).take(source, allowed, ratelimit.monotonic() / 10.0)
    if wait is not None:
        seconds = max(1, int(wait * 600) + 1)
        message = (
            _("Terlalu banyak percobaan pelacakan. Coba lagi dalam %(seconds)d detik.")
            if lookup
            else _("Terlalu banyak laporan dari alamat ini. Coba lagi dalam %(seconds)d detik.")
        )
        raise TooManyRequests(message % {"seconds": seconds}, retry_after_seconds=seconds)


def file_with_photos(
    session: Session,
    storage: Storage,
    region: Region,
    filing: Filing,
    photos: Sequence[bytes],
    *,
    share_location: bool,
    reporter: User | None,
) -> Filed:
    """File a complaint and store its photos, or write nothing and name every wrong field
    (the photos' and the form's together)."""
    photo_error: InvalidInput | None = None
    prepared = []
    try:
        prepared = prepare_photos(photos, share_location=share_location)
    except InvalidInput as exc:
        photo_error = exc
    if filing.latitude is None and filing.longitude is None:
        # The citizen shared the photo's location and tapped no point: the photo's it is.
        shared = next((p.point for p in prepared if p.point is not None), None)
        if shared is not None:
            filing.latitude, filing.longitude = shared
    if photo_error is not None:
        details = list(photo_error.details)
        # Check the rest of the form too, in a savepoint that is always undone.
        nested = session.begin_nested()
        try:
            file_complaint(session, region, filing, reporter=reporter)
        except InvalidInput as exc:
            details = list(exc.details) + details
        finally:
            nested.rollback()
        raise InvalidInput(str(details[0]["message"]), details=details)
    filed = file_complaint(session, region, filing, reporter=reporter)
    store_photos(session, storage, region, filed.complaint, prepared)
    return filed


# -- the public list and map ----------------------------------------------------------------


@dataclass(frozen=True)
class ListFilter:
    """The public list's filter, as its query string says it (unknown values are ignored)."""

    category: ComplaintCategory | None = None
    status: str = ""  # "", "open", "closed" or a status value
    kind: str = ""

    def statuses(self) -> list[ComplaintStatus] | None:
        if self.status == "open":
            return sorted(OPEN_STATUSES)
        if self.status == "closed":
            return sorted(set(ComplaintStatus) - OPEN_STATUSES)
        if self.status in {s.value for s in ComplaintStatus}:
            return [ComplaintStatus(self.status)]
        return None

    def query(self) -> dict[str, str]:
        """The filter as query parameters (for links to the next page and the map)."""
        params = {"kategori": self.category.code if self.category else ""}
        params |= {"status": self.status, "jenis": self.kind}
        return {k: v for k, v in params.items() if v}


def list_filter(
    session: Session, region: Region, category: str, status: str, kind: str
) -> ListFilter:
    found = repository.get_category_by_code(session, region.id, category) if category else None
    valid_status = status in {"open", "closed"} | {s.value for s in ComplaintStatus}
    valid_kind = kind in {k.value for k in ComplaintKind}
    return ListFilter(
        category=found if found is not None and found.active else None,
        status=status if valid_status else "",
        kind=kind if valid_kind else "",
    )


def public_list(
    session: Session, region: Region, chosen: ListFilter, page: int
) -> tuple[Sequence[Complaint], bool]:
    """One page of public complaints (newest first) and whether a next page exists."""
    page = max(1, min(page, MAX_OFFSET // PAGE_SIZE))
    rows = public_repository.public_page(
        session,
        region.id,
        category_id=chosen.category.id if chosen.category else None,
        statuses=chosen.statuses(),
        kind=chosen.kind or None,
        offset=(page - 1) * PAGE_SIZE,
        limit=PAGE_SIZE + 1,
    )
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def public_map(
    session: Session, region: Region, chosen: ListFilter, labels: dict[str, str]
) -> dict[str, Any]:
    """The filter's public complaints with a point, as a GeoJSON FeatureCollection: number,
    title, status, category and point only."""
    rows = public_repository.public_points(
        session,
        region.id,
        category_id=chosen.category.id if chosen.category else None,
        statuses=chosen.statuses(),
        kind=chosen.kind or None,
        limit=MAP_POINTS,
    )
    names = {
        c.id: c.name for c in repository.list_categories(session, region.id, active_only=False)
    }
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [c.longitude, c.latitude]},
            "properties": {
                "number": c.number,
                "title": c.title,
                "status": labels.get(c.status.value, c.status.value),
                "category": names.get(c.category_id, ""),
                "url": f"/{region.slug}/pengaduan/{c.number}",
            },
        }
        for c in rows
    ]
    return {"type": "FeatureCollection", "features": features}


def own_complaints(session: Session, region: Region, user: User) -> Sequence[Complaint]:
    """The citizen's complaints, confidential ones too, newest first."""
    return public_repository.own_complaints(session, region.id, user.id, limit=OWN_LIMIT)


def agencies_by_id(session: Session, region: Region) -> dict[uuid.UUID, Agency]:
    return public_repository.agency_names(session, region.id)


def complaint_by_id(session: Session, region: Region, complaint_id: uuid.UUID) -> Complaint | None:
    """A complaint by id, for a link between complaints (the caller checks who may read)."""
    return public_repository.get_complaint_by_id(session, region.id, complaint_id)


# -- the citizen's data export (UU PDP, hak akses; identity.rights) -------------------------


@dataclass(frozen=True)
class ExportedComplaint:
    """A complaint in its reporter's or follower's data export.

    ``own``: filed by the user; then ``contact`` is what they gave at filing and ``photos``
    are the photos they added. A followed complaint is someone else's: only its public face
    (number, title, status, public history), never its reporter, description or photos.
    """

    complaint: Complaint
    own: bool
    followed_since: datetime | None
    history: Sequence[ComplaintEvent]
    photos: Sequence[ComplaintPhoto]
    contact: dict[str, str]


def complaints_of_user_for_export(
    session: Session, region: Region, user: User
) -> list[ExportedComplaint]:
    """The complaints the user filed, then those they follow but did not file."""
    own = public_repository.all_complaints_of_reporter(session, region.id, user.id)
    followed = {
        c.id: (c, since)
        for c, since in public_repository.followed_complaints(session, region.id, user.id)
    }
    own_ids = [c.id for c in own]
    pictures: dict[uuid.UUID, list[ComplaintPhoto]] = {}
    for photo in repository.photos_of(session, region.id, own_ids) if own_ids else ():
        if photo.added_by == "reporter":
            pictures.setdefault(photo.complaint_id, []).append(photo)
    exported = [
        ExportedComplaint(
            complaint,
            own=True,
            followed_since=followed[complaint.id][1] if complaint.id in followed else None,
            history=repository.events_of(session, region.id, complaint.id, public_only=True),
            photos=pictures.get(complaint.id, []),
            contact=contact_of(complaint),
        )
        for complaint in own
    ]
    exported += [
        ExportedComplaint(
            complaint,
            own=False,
            followed_since=since,
            history=repository.events_of(session, region.id, complaint.id, public_only=True),
            photos=[],
            contact={},
        )
        for complaint, since in followed.values()
        if complaint.reporter_id != user.id
    ]
    return exported
