"""The back office's complaint inbox and file: what the desk and each agency see, in which
order, with which flags; the audit of every read of a complaint's file (decision 0056).

The desk (``rules.is_desk``) sees every complaint of the region; an agency's officers those
routed to their agencies. The default view is what waits for the reader: new complaints for
the desk, routed and in-progress (reopened ones too) for an agency, next deadline first.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Final

from sqlalchemy.orm import Session

from simpul.accounts import service as accounts_service
from simpul.accounts.models import User
from simpul.catalogue import service as catalogue_service
from simpul.catalogue.models import Agency
from simpul.complaints import inbox_repository, repository
from simpul.complaints.filing import contact_of
from simpul.complaints.models import (
    OPEN_STATUSES,
    Complaint,
    ComplaintCategory,
    ComplaintKind,
    ComplaintStatus,
)
from simpul.complaints.rules import (
    Overdue,
    agency_ids_of,
    can_handle,
    is_desk,
    overdue,
    reporter_visible_to,
)
from simpul.core.audit import record_audit_event
from simpul.core.errors import Conflict, Forbidden, InvalidInput
from simpul.core.i18n import _
from simpul.core.kit.cursors import InvalidCursor, decode_cursor, encode_cursor
from simpul.core.kit.periods import today_in
from simpul.core.models import Region
from simpul.core.security import derived_key

#: The inbox's tabs as the page names them (``tampil``).
VIEWS: Final = ("tindakan", "terbuka", "selesai", "semua")
CLOSED_STATUSES: Final = frozenset(set(ComplaintStatus) - set(OPEN_STATUSES))
MAX_SEARCH: Final = 60
MIN_WORD: Final = 3
_NUMBER: Final = re.compile(r"ADU(-[0-9A-Z]{0,4}){0,3}")


@dataclass(frozen=True)
class InboxFilters:
    """What the reader chose, as the page's parameters (not yet checked)."""

    view: str = "tindakan"
    status: str = ""
    category: str = ""
    agency: str = ""
    kind: str = ""
    overdue: bool = False
    search: str = ""

    def digest(self) -> str:
        """A keyed digest: a cursor made under other filters is refused, and it does not
        reveal what was searched."""
        text = "\x1f".join(
            (
                self.view,
                self.status,
                self.category,
                self.agency,
                self.kind,
                "1" if self.overdue else "",
                self.search,
            )
        )
        key = derived_key("complaint-inbox-filters")
        return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()[:16]

    def as_query(self) -> dict[str, str]:
        """The filters as the inbox's URL parameters (empty ones left out)."""
        shown = {
            "tampil": self.view,
            "status": self.status,
            "kategori": self.category,
            "instansi": self.agency,
            "jenis": self.kind,
            "terlambat": "1" if self.overdue else "",
            "cari": self.search,
        }
        return {k: v for k, v in shown.items() if v}


@dataclass(frozen=True)
class InboxRow:
    complaint: Complaint
    category: str
    agency: str
    next_due: date
    late: Overdue
    escalated: bool


@dataclass(frozen=True)
class InboxPage:
    rows: list[InboxRow]
    #: Complaints per tab under the same filters.
    counts: dict[str, int]
    filters: InboxFilters
    desk: bool
    today: date
    categories: Sequence[ComplaintCategory] = ()
    agencies: Sequence[Agency] = ()
    next_cursor: str | None = None
    errors: dict[str, str] = field(default_factory=dict)


def _scope(user: User) -> frozenset[uuid.UUID] | None:
    """None for the desk (every agency), else the officer's agencies; refused for others."""
    if is_desk(user):
        return None
    agencies = agency_ids_of(user)
    if not agencies:
        raise Forbidden(_("Halaman pengaduan hanya untuk admin pengaduan dan petugas instansi."))
    return frozenset(agencies)


def _action_statuses(desk: bool) -> frozenset[ComplaintStatus]:
    if desk:
        return frozenset({ComplaintStatus.NEW})
    # A reopened complaint is in progress again (``handling.reopen``).
    return frozenset({ComplaintStatus.ROUTED, ComplaintStatus.IN_PROGRESS})


def _view_statuses(view: str, desk: bool) -> frozenset[ComplaintStatus] | None:
    if view == "terbuka":
        return frozenset(OPEN_STATUSES)
    if view == "selesai":
        return CLOSED_STATUSES
    if view == "semua":
        return None
    return _action_statuses(desk)


def _field_error(name: str, message: str) -> InvalidInput:
    return InvalidInput(message, details=[{"field": name, "message": message}])


def _parse_search(text: str) -> tuple[str, str]:
    """(number prefix, title words) the search box asks for."""
    text = text.strip()
    if not text:
        return "", ""
    if len(text) > MAX_SEARCH:
        raise _field_error("cari", _("Ketik paling banyak %(num)d karakter.") % {"num": MAX_SEARCH})
    if any(c.isdigit() for c in text):
        key = re.sub(r"\s", "", text).upper()
        if not key.startswith("ADU"):
            key = f"ADU-{key}"
        if not _NUMBER.fullmatch(key) or len(key) < 8:
            raise _field_error(
                "cari",
                _(
                    "Ketik nomor pengaduan seperti ADU-2612-7K3Q, minimal 4 karakter setelah "
                    "ADU-; atau kata dari judulnya tanpa angka."
                ),
            )
        return key, ""
    if len(text) < MIN_WORD:
        raise _field_error(
            "cari", _("Ketik minimal %(num)d huruf dari judul pengaduan.") % {"num": MIN_WORD}
        )
    return "", text


def _cursor_name(filters: InboxFilters) -> str:
    return f"complaint-inbox:{filters.view}:{filters.digest()}"


def _read_cursor(filters: InboxFilters, cursor: str | None) -> inbox_repository.InboxKey | None:
    if not cursor:
        return None
    values = decode_cursor(_cursor_name(filters), cursor, field="setelah", size=3)
    try:
        return (
            date.fromisoformat(values[0]),
            datetime.fromisoformat(values[1]),
            uuid.UUID(values[2]),
        )
    except ValueError:  # signed by this server: only after a change of the key's shape
        raise InvalidCursor(
            _("Penanda halaman tidak valid. Mulai lagi dari halaman pertama."),
            details=[
                {"field": "setelah", "message": _("Penanda halaman ini sudah tidak berlaku.")}
            ],
        ) from None


def inbox_page(
    session: Session,
    region: Region,
    user: User,
    filters: InboxFilters,
    *,
    cursor: str | None = None,
    limit: int = 50,
) -> InboxPage:
    """A page of the reader's inbox under the filters; ``InvalidInput`` naming the field for
    a filter that is not one of the lists' or a search that is neither number nor word."""
    scope = _scope(user)
    desk = scope is None
    categories = repository.list_categories(session, region.id, active_only=False)
    agencies = catalogue_service.all_agencies(session, region)
    shown_agencies = [a for a in agencies if desk or (scope is not None and a.id in scope)]
    view = filters.view if filters.view in VIEWS else "tindakan"
    errors: dict[str, str] = {}
    status = next((s for s in ComplaintStatus if s.value == filters.status), None)
    if filters.status and status is None:
        errors["status"] = _("Pilih status dari daftar.")
    category = next((c for c in categories if c.code == filters.category), None)
    if filters.category and category is None:
        errors["kategori"] = _("Pilih kategori dari daftar.")
    agency = next((a for a in shown_agencies if a.slug == filters.agency), None)
    if filters.agency and (agency is None or not desk):
        errors["instansi"] = _("Pilih instansi dari daftar.")
    kind = next((k for k in ComplaintKind if k.value == filters.kind), None)
    if filters.kind and kind is None:
        errors["jenis"] = _("Pilih jenis dari daftar.")
    try:
        number_prefix, word = _parse_search(filters.search)
    except InvalidInput as exc:
        errors.update(exc.field_errors())
        number_prefix, word = "", ""
    if errors:
        first = next(iter(errors.values()))
        raise InvalidInput(first, details=[{"field": k, "message": v} for k, v in errors.items()])
    today = today_in(region)
    base = inbox_repository.InboxQuery(
        region_id=region.id,
        agency_ids=scope,
        category_id=category.id if category else None,
        agency_id=agency.id if agency else None,
        kind=kind,
        overdue_on=today if filters.overdue else None,
        number_prefix=number_prefix,
        title_word=word,
    )

    def query_for(tab: str) -> inbox_repository.InboxQuery:
        statuses = _view_statuses(tab, desk)
        if status is not None:
            statuses = frozenset({status}) if statuses is None else statuses & {status}
        return dataclasses.replace(base, statuses=statuses)

    counts = {tab: inbox_repository.count_inbox(session, query_for(tab)) for tab in VIEWS}
    descending = view == "selesai"
    found, last = inbox_repository.list_inbox(
        session,
        query_for(view),
        after=_read_cursor(filters, cursor),
        descending=descending,
        limit=limit,
    )
    category_names = {c.id: c.name for c in categories}
    agency_names = {a.id: a.short_name or a.name for a in agencies}
    rows = [
        InboxRow(
            complaint=c,
            category=category_names.get(c.category_id, ""),
            agency=agency_names.get(c.agency_id, "") if c.agency_id else "",
            next_due=c.first_response_due if c.first_responded_at is None else c.resolution_due,
            late=overdue(c, today),
            escalated=bool(c.first_response_escalated_at or c.resolution_escalated_at),
        )
        for c in found
    ]
    next_cursor = (
        encode_cursor(
            _cursor_name(filters), [last[0].isoformat(), last[1].isoformat(), str(last[2])]
        )
        if last is not None
        else None
    )
    return InboxPage(
        rows=rows,
        counts=counts,
        filters=filters,
        desk=desk,
        today=today,
        categories=categories,
        agencies=shown_agencies,
        next_cursor=next_cursor,
    )


def inbox_choices(session: Session, region: Region, user: User) -> InboxPage:
    """The inbox's lists and counts without rows (the page shown with a filter's error)."""
    page = inbox_page(session, region, user, InboxFilters(), limit=1)
    return InboxPage(
        rows=[],
        counts=page.counts,
        filters=page.filters,
        desk=page.desk,
        today=page.today,
        categories=page.categories,
        agencies=page.agencies,
    )


def needing_action_count(session: Session, region: Region, user_id: uuid.UUID) -> int:
    """How many complaints wait for the signed-in user (the staff menu's count); 0 for those
    who handle none."""
    user = accounts_service.user_by_id(session, region, user_id)
    if user is None or (not is_desk(user) and not agency_ids_of(user)):
        return 0
    scope = _scope(user)
    return inbox_repository.count_inbox(
        session,
        inbox_repository.InboxQuery(
            region_id=region.id, agency_ids=scope, statuses=_action_statuses(scope is None)
        ),
    )


# -- one complaint's file --------------------------------------------------------------------


@dataclass(frozen=True)
class Reporter:
    name: str
    email: str
    phone: str


def reporter_of(
    session: Session, region: Region, complaint: Complaint, viewer: User
) -> Reporter | None:
    """Who filed it, for staff allowed to know (never for an anonymous complaint)."""
    if complaint.anonymous or not reporter_visible_to(complaint, viewer):
        return None
    if complaint.reporter_id is not None:
        user = accounts_service.user_by_id(session, region, complaint.reporter_id)
        if user is not None:
            return Reporter(user.full_name, user.email, user.phone)
    contact = contact_of(complaint)
    if not contact:
        return None
    name = " ".join(
        part for part in (contact.get("first_name", ""), contact.get("last_name", "")) if part
    )
    return Reporter(
        name or contact.get("name", ""), contact.get("email", ""), contact.get("phone", "")
    )


def record_view(session: Session, region: Region, viewer: User, complaint: Complaint) -> None:
    """Every staff read of a complaint's file is in the audit trail (no personal data)."""
    record_audit_event(
        session,
        region_id=region.id,
        actor_id=viewer.id,
        actor_label=viewer.email,
        action="complaint.viewed",
        target_type="complaint",
        target_id=str(complaint.id),
        details={"status": complaint.status.value},
    )


def record_photo_view(
    session: Session, region: Region, viewer: User | None, complaint: Complaint, photo_id: str
) -> None:
    """A staff member who handles the complaint opened one of its photos: recorded like the
    file itself. (The public and the reporter are not recorded: it is not staff reading.)"""
    if viewer is None or complaint.reporter_id == viewer.id or not can_handle(viewer, complaint):
        return
    record_audit_event(
        session,
        region_id=region.id,
        actor_id=viewer.id,
        actor_label=viewer.email,
        action="complaint.photo_viewed",
        target_type="complaint",
        target_id=str(complaint.id),
        details={"photo": photo_id},
    )


def form_version(session: Session, region: Region, complaint: Complaint) -> int:
    """The version of the file a form is shown at: how many steps its history holds."""
    return inbox_repository.count_events(session, region.id, complaint.id)


def check_version(session: Session, region: Region, complaint: Complaint, given: str) -> None:
    """Refuse a form shown before the complaint's last step (a double submit, or a colleague
    acting first): the caller holds the row lock, so the second of two waits and sees it."""
    if given != str(form_version(session, region, complaint)):
        raise Conflict(
            _("Pengaduan ini baru saja diubah. Muat ulang halamannya lalu periksa lagi.")
        )


def in_savepoint(session: Session, step: Callable[[], None]) -> None:
    """Take a step in a savepoint: when it refuses the input, nothing it wrote remains (the
    page then shows the errors, and the request still commits the read's audit event)."""
    with session.begin_nested():
        step()


def parent_number(session: Session, region: Region, complaint: Complaint) -> str | None:
    """The number of the complaint this one was split from."""
    if complaint.parent_id is None:
        return None
    return inbox_repository.numbers_of(session, region.id, [complaint.parent_id]).get(
        complaint.parent_id
    )


def agencies(session: Session, region: Region) -> Sequence[Agency]:
    """Every agency of the region (for the route and forward forms)."""
    return catalogue_service.all_agencies(session, region)
