"""The agency inbox an officer works from: views, filters, one search box, keyset pages.

The search box takes a tracking number (a prefix of at least 4 characters, with or without
dashes, any case) or a word of the applicant's name; which one is decided by its shape
(tracking numbers start with the year and month, names have no digits). Every result obeys
the officer's (agency, role) scope like the inbox itself (decision 0044).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Final

from sqlalchemy.orm import Session

from simpul.accounts import service as accounts_service
from simpul.accounts.models import StaffRoleName, User
from simpul.applications import access, listing, repository
from simpul.catalogue import service as catalogue_service
from simpul.catalogue.models import Service
from simpul.core.audit import record_audit_event
from simpul.core.errors import Forbidden, InvalidInput
from simpul.core.i18n import _
from simpul.core.kit.periods import today_in
from simpul.core.models import Region
from simpul.core.security import derived_key

#: The inbox's views as the page names them (``tampil``), and the list each reads.
VIEWS: Final = {
    "terbuka": "open",
    "saya": "mine",
    "selesai": "done",
    "dikembalikan": "returned",
}

#: The longest search text read; anything longer is refused naming the field.
MAX_SEARCH: Final = 100
#: A tracking number is ``YYMM-XXXX-XXXX``: the year and month, then 8 letters and digits.
_TRACKING_PREFIX: Final = re.compile(r"[0-9]{4}[0-9A-Z]{0,8}")
_NAME_WORD: Final = re.compile(r"[^\W\d_]+")
MIN_NAME_WORD: Final = 3
MAX_NAME_WORDS: Final = 5

#: The roles that work at workflow steps; an admin OPD oversees (and reassigns) them all.
STEP_ROLES: Final = tuple(r.value for r in StaffRoleName if r is not StaffRoleName.ADMIN_OPD)


def parse_search(text: str) -> repository.InboxSearch | None:
    """What the search box asks for, or None when it is empty; ``InvalidInput`` naming the
    field ``cari`` when it is neither a tracking number prefix nor a name."""
    text = text.strip()
    if not text:
        return None
    if len(text) > MAX_SEARCH:
        raise InvalidInput(
            _("Teks pencarian terlalu panjang."),
            details=[
                {
                    "field": "cari",
                    "message": _("Ketik paling banyak %(num)d karakter.") % {"num": MAX_SEARCH},
                }
            ],
        )
    if any(c.isdigit() for c in text):
        key = re.sub(r"[\s-]", "", text).upper()
        if not _TRACKING_PREFIX.fullmatch(key):
            raise InvalidInput(
                _("Nomor permohonan tidak dikenali."),
                details=[
                    {
                        "field": "cari",
                        "message": _(
                            "Ketik nomor permohonan seperti 2611-7K3Q-X9MA, minimal 4 karakter "
                            "pertamanya; atau nama pemohon tanpa angka."
                        ),
                    }
                ],
            )
        return repository.InboxSearch(tracking_prefix=key)
    words = [w.lower() for w in _NAME_WORD.findall(text) if len(w) >= MIN_NAME_WORD]
    if not words:
        raise InvalidInput(
            _("Ketik nomor permohonan atau nama pemohon."),
            details=[
                {
                    "field": "cari",
                    "message": _("Ketik minimal %(num)d huruf dari nama pemohon.")
                    % {"num": MIN_NAME_WORD},
                }
            ],
        )
    # Only letters reach the query, each a whole word of the name (all of them must match):
    # nothing the officer types can act as a tsquery operator. Whole words, not prefixes,
    # because PostgreSQL estimates a word from the index's statistics but not a prefix, and
    # a misestimated prefix walked the whole decided range (1.3 s at 100,000, decision 0044).
    query = " & ".join(dict.fromkeys(words[:MAX_NAME_WORDS]))
    return repository.InboxSearch(name_query=query)


@dataclass(frozen=True)
class InboxFilters:
    """What the officer chose: a view, a service (slug), a step (code), overdue only, a
    search text. The page's parameters, as typed (not yet checked)."""

    view: str = "terbuka"
    service: str = ""
    step: str = ""
    overdue: bool = False
    search: str = ""

    def digest(self) -> str:
        """A keyed digest of the filters: a cursor made under other filters (or another
        view) is refused, and the cursor does not reveal a searched name."""
        text = "\x1f".join(
            (self.view, self.service, self.step, "1" if self.overdue else "", self.search)
        )
        return hmac.new(
            derived_key("inbox-filters"), text.encode("utf-8"), hashlib.sha256
        ).hexdigest()[:16]


@dataclass(frozen=True)
class StepChoice:
    code: str
    name: str


@dataclass(frozen=True)
class InboxPage:
    rows: list[repository.InboxRow]
    #: How many tasks the view holds, counted up to ``listing.COUNT_BOUND + 1``.
    total: int
    #: Open tasks past their deadline, counted the same way.
    overdue: int
    today: date
    filters: InboxFilters
    #: The cursor of the next page (``setelah``), None on the last.
    next_cursor: str | None = None
    count_bound: int = listing.COUNT_BOUND
    services: Sequence[Service] = ()
    steps: Sequence[StepChoice] = ()
    #: Officers an admin OPD may hand tasks to (empty for everyone else).
    assignees: Sequence[User] = ()
    searched: bool = False
    errors: dict[str, str] = field(default_factory=dict)


def inbox_scope(officer: User) -> list[tuple[uuid.UUID, str]]:
    """The (agency, role) pairs whose tasks the officer's inbox lists: the roles they hold,
    and for an admin OPD every step role of their agency (they reassign those tasks)."""
    pairs = set(access.agency_roles(officer))
    for agency in access.administered_agencies(officer):
        pairs.discard((agency, StaffRoleName.ADMIN_OPD.value))
        pairs.update((agency, role) for role in STEP_ROLES)
    return sorted(pairs)


def _steps_of(services: Sequence[Service]) -> list[StepChoice]:
    seen: dict[str, str] = {}
    for service in services:
        for step in service.workflow.get("steps", []):
            seen.setdefault(str(step["code"]), str(step["name"]))
    return [StepChoice(code, name) for code, name in seen.items()]


def _roles_at_step(services: Sequence[Service], code: str) -> set[tuple[uuid.UUID, str]]:
    return {
        (service.agency_id, str(step["role"]))
        for service in services
        for step in service.workflow.get("steps", [])
        if step["code"] == code
    }


def assignable_staff(session: Session, region: Region, officer: User) -> list[User]:
    """Officers of the agencies the viewer administers who work at steps (for "Tugaskan ke")."""
    found: dict[uuid.UUID, User] = {}
    for agency in sorted(access.administered_agencies(officer)):
        for role in STEP_ROLES:
            for user in accounts_service.officers_with_role(session, region, agency, role):
                found.setdefault(user.id, user)
    return sorted(found.values(), key=lambda u: u.full_name)


def inbox_page(
    session: Session,
    region: Region,
    officer: User,
    filters: InboxFilters,
    *,
    cursor: str | None = None,
    limit: int = 50,
) -> InboxPage:
    """A page of the officer's inbox under the filters: open tasks closest deadline (and so
    overdue) first, decided and returned ones last decided first, with bounded counts.

    A search by name is recorded in the audit trail (who searched, how many rows they saw;
    never the name): it reads citizens' names outside one file.
    """
    pairs = inbox_scope(officer)
    if not pairs:
        raise Forbidden(_("Kotak masuk hanya untuk petugas instansi."))
    agencies = {a for a, _r in pairs}
    services = [
        s for s in catalogue_service.every_service(session, region) if s.agency_id in agencies
    ]
    view = VIEWS.get(filters.view, "open")
    chosen_service = next((s for s in services if s.slug == filters.service), None)
    if filters.service and chosen_service is None:
        raise InvalidInput(
            _("Layanan ini tidak ada di kotak masuk Anda."),
            details=[{"field": "layanan", "message": _("Pilih layanan dari daftar.")}],
        )
    steps = _steps_of([chosen_service] if chosen_service else services)
    if filters.step and filters.step not in {s.code for s in steps}:
        raise InvalidInput(
            _("Tahap ini tidak ada pada layanan yang dipilih."),
            details=[{"field": "tahap", "message": _("Pilih tahap dari daftar.")}],
        )
    search = parse_search(filters.search)
    scope = pairs
    if chosen_service is not None:
        scope = [(a, r) for a, r in scope if a == chosen_service.agency_id]
    if filters.step:
        at_step = _roles_at_step([chosen_service] if chosen_service else services, filters.step)
        scope = [pair for pair in scope if pair in at_step]
    today = today_in(region)
    descending = view in ("done", "returned")
    kind = "inbox-done" if descending else "inbox-open"
    page = listing.keyset(
        kind,
        cursor,
        field="setelah",
        limit=limit,
        descending=descending,
        scope=f"{filters.view}:{filters.digest()}",
    )
    if scope:
        found, total = repository.list_inbox(
            session,
            region.id,
            scope,
            done=descending,
            view=view,
            assignee_id=officer.id if view == "mine" else None,
            service_id=chosen_service.id if chosen_service else None,
            step=filters.step or None,
            due_before=today if filters.overdue else None,
            search=search,
            page=page,
        )
    else:
        found, total = repository.KeysetPage([], None), 0
    overdue = repository.count_overdue_open_tasks(session, region.id, pairs, today)
    if search is not None:
        record_audit_event(
            session,
            region_id=region.id,
            actor_id=officer.id,
            actor_label=officer.email,
            action="inbox.search",
            target_type="application",
            details={
                "by": "number" if search.tracking_prefix else "name",
                "rows": len(found.rows),
            },
        )
    next_cursor = listing.cursor_after(
        kind,
        found.next_after,
        descending=descending,
        scope=f"{filters.view}:{filters.digest()}",
    )
    return InboxPage(
        found.rows,
        total,
        overdue,
        today,
        filters,
        next_cursor,
        services=services,
        steps=steps,
        assignees=assignable_staff(session, region, officer),
        searched=search is not None,
    )
