"""Every query about applications, tasks, documents, history and notifications."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final, Generic, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    tuple_,
    union_all,
    update,
)
from sqlalchemy import delete as sql_delete
from sqlalchemy.orm import Session, aliased, load_only, selectinload

from simpul.accounts.models import User
from simpul.applications.models import (
    Application,
    ApplicationEvent,
    ApplicationIdentifier,
    ApplicationStatus,
    CollectiveLeaveDay,
    Document,
    DocumentAccess,
    Notification,
    Task,
    TaskOutcome,
    TaskStatus,
)
from simpul.catalogue.models import Agency, Service
from simpul.core.kit.queries import get_in_region
from simpul.core.models import Region


def add(session: Session, row: object) -> None:
    session.add(row)


def get_application(
    session: Session, region_id: uuid.UUID, application_id: uuid.UUID, *, for_update: bool = False
) -> Application | None:
    query = select(Application).where(
        Application.region_id == region_id, Application.id == application_id
    )
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def get_agency_of_application(
    session: Session, region_id: uuid.UUID, application_id: uuid.UUID
) -> Agency | None:
    """The agency responsible for the application's service."""
    return session.scalar(
        select(Agency)
        .join(Service, Service.agency_id == Agency.id)
        .join(Application, Application.service_id == Service.id)
        .where(
            Application.region_id == region_id,
            Application.id == application_id,
            Service.region_id == region_id,
            Agency.region_id == region_id,
        )
    )


def get_document_subject(
    session: Session, region_id: uuid.UUID, application_id: uuid.UUID
) -> tuple[Region, Application, Service, Agency, User] | None:
    """What a document is made from: the region, application, service, agency, applicant."""
    row = session.execute(
        select(Region, Application, Service, Agency, User)
        .join(Application, Application.region_id == Region.id)
        .join(Service, Service.id == Application.service_id)
        .join(Agency, Agency.id == Service.agency_id)
        .join(User, User.id == Application.applicant_id)
        .where(
            Region.id == region_id,
            Application.id == application_id,
            Service.region_id == region_id,
            Agency.region_id == region_id,
            User.region_id == region_id,
        )
    ).one_or_none()
    return None if row is None else (row[0], row[1], row[2], row[3], row[4])


def get_application_by_tracking_number(
    session: Session, region_id: uuid.UUID, tracking_number: str
) -> Application | None:
    return session.scalars(
        select(Application).where(
            Application.region_id == region_id, Application.tracking_number == tracking_number
        )
    ).one_or_none()


def get_application_by_idempotency_key(
    session: Session, applicant_id: uuid.UUID, key: str
) -> Application | None:
    return session.scalars(
        select(Application).where(
            Application.applicant_id == applicant_id, Application.idempotency_key == key
        )
    ).one_or_none()


def tracking_number_exists(session: Session, region_id: uuid.UUID, number: str) -> bool:
    return (
        session.scalar(
            select(func.count(Application.id)).where(
                Application.region_id == region_id, Application.tracking_number == number
            )
        )
        != 0
    )


def list_applications_of_applicant(
    session: Session, region_id: uuid.UUID, applicant_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[Sequence[Application], int]:
    query = select(Application).where(
        Application.region_id == region_id, Application.applicant_id == applicant_id
    )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(
        query.order_by(Application.created_at.desc()).limit(limit).offset(offset)
    ).all()
    return items, total


def get_service_of(session: Session, application: Application) -> Service:
    return session.scalars(
        select(Service)
        .where(Service.id == application.service_id)
        .options(selectinload(Service.agency))
    ).one()


def list_events(session: Session, application_id: uuid.UUID) -> Sequence[ApplicationEvent]:
    return session.scalars(
        select(ApplicationEvent)
        .where(ApplicationEvent.application_id == application_id)
        .order_by(ApplicationEvent.at, ApplicationEvent.id)
    ).all()


def open_task_of(
    session: Session, application_id: uuid.UUID, *, for_update: bool = False
) -> Task | None:
    query = select(Task).where(
        Task.application_id == application_id, Task.status == TaskStatus.OPEN
    )
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def get_task(
    session: Session, region_id: uuid.UUID, task_id: uuid.UUID, *, for_update: bool = False
) -> Task | None:
    query = select(Task).where(Task.region_id == region_id, Task.id == task_id)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


# -- officer lists: keyset pages over indexes that match them (decision 0035) ---------------

#: Statuses as SQL literals, not bind parameters: a plan PostgreSQL keeps for a prepared
#: statement must still prove the partial indexes' predicates (``status = 'open'``).
_OPEN: Final[ColumnElement[Any]] = literal_column("'open'")
_COMPLETED: Final[ColumnElement[Any]] = literal_column("'completed'")
_DRAFT: Final[ColumnElement[Any]] = literal_column("'draft'")

#: Lists count their rows up to this bound; past it they say "more than COUNT_BOUND".
COUNT_BOUND: Final = 1000

T = TypeVar("T")

#: The sort key of one row of an ordered list; its last value is the row's id.
SortKey = tuple[Any, ...]


@dataclass(frozen=True)
class Keyset:
    """A slice of an ordered list: the rows after the one whose sort key is ``after`` (None:
    from the first), skipping ``offset`` of them, at most ``limit``."""

    limit: int
    after: SortKey | None = None
    offset: int = 0
    descending: bool = False


@dataclass(frozen=True)
class KeysetPage(Generic[T]):
    rows: list[T]
    #: The sort key of the page's last row when more rows follow it, else None.
    next_after: SortKey | None


#: One index range of a list: a query on one table with its filters, and its sort key columns
#: (the last one the row's id). A list over several ranges (the (agency, role) pairs of an
#: officer, the services of an agency) merges them; each range reads only what the page needs.
_Range = tuple[Select[Any], Sequence[Any]]


def _range_page(
    query: Select[Any], keys: Sequence[ColumnElement[Any]], page: Keyset
) -> Select[Any]:
    if page.after is not None:
        mine = tuple_(*keys)
        theirs = tuple_(*(literal(v, k.type) for v, k in zip(page.after, keys, strict=True)))
        query = query.where(mine < theirs if page.descending else mine > theirs)
    return query.with_only_columns(*(k.label(f"k{i}") for i, k in enumerate(keys))).order_by(
        *(k.desc() if page.descending else k.asc() for k in keys)
    )


def _page_keys(session: Session, ranges: Sequence[_Range], page: Keyset) -> KeysetPage[SortKey]:
    """The sort keys of the page's rows, in order, each range read in its index's order."""
    if not ranges:
        return KeysetPage([], None)
    wanted = page.offset + page.limit + 1
    parts = [_range_page(query, keys, page) for query, keys in ranges]
    if len(parts) == 1:
        merged = parts[0].limit(page.limit + 1).offset(page.offset)
    else:
        union = union_all(*(part.limit(wanted) for part in parts)).subquery()
        merged = (
            select(*union.c)
            .order_by(*(c.desc() if page.descending else c.asc() for c in union.c))
            .limit(page.limit + 1)
            .offset(page.offset)
        )
    found = [tuple(row) for row in session.execute(merged)]
    more = len(found) > page.limit
    return KeysetPage(found[: page.limit], found[page.limit - 1] if more else None)


def _bounded_count(session: Session, ranges: Sequence[_Range]) -> int:
    """How many rows the ranges hold, counted up to ``COUNT_BOUND + 1`` (no exact count over
    millions)."""
    if not ranges:
        return 0
    # Each range read in its index's order and stopped at the bound: without the order the
    # planner may build a bitmap of every row of the range before counting the first.
    parts: list[Select[Any]] = [
        query.with_only_columns(literal_column("1").label("one"))
        .order_by(*keys)
        .limit(COUNT_BOUND + 1)
        for query, keys in ranges
    ]
    union = (parts[0] if len(parts) == 1 else union_all(*parts)).limit(COUNT_BOUND + 1)
    return session.scalar(select(func.count()).select_from(union.subquery())) or 0


@dataclass(frozen=True)
class InboxRow:
    task: Task
    application: Application
    service: Service
    #: The applicant's name and the name of the officer holding the task (None: nobody).
    applicant_name: str = ""
    assignee_name: str | None = None


#: What a list row shows: never the answers (``data``, ``data_encrypted``) or a service's
#: eForm and standard, which would be read (and decoded) for every row.
_TASK_SHOWN = load_only(
    Task.id,
    Task.region_id,
    Task.application_id,
    Task.agency_id,
    Task.service_id,
    Task.step,
    Task.step_name,
    Task.role,
    Task.status,
    Task.assignee_id,
    Task.claimed_at,
    Task.created_at,
    Task.completed_at,
    Task.outcome,
    Task.due_date,
)
_APPLICATION_SHOWN = load_only(
    Application.id,
    Application.region_id,
    Application.service_id,
    Application.applicant_id,
    Application.tracking_number,
    Application.status,
    Application.current_step,
    Application.created_at,
    Application.submitted_at,
    Application.due_date,
    Application.finished_at,
)
_SERVICE_SHOWN = load_only(
    Service.id, Service.region_id, Service.agency_id, Service.slug, Service.name
)


def _inbox_rows(session: Session, task_ids: Sequence[uuid.UUID]) -> list[InboxRow]:
    """The tasks, in the order given, with their application, service, the applicant's name
    and the holder's name (shown columns only)."""
    if not task_ids:
        return []
    applicant = aliased(User)
    holder = aliased(User)
    found = {
        t.id: InboxRow(t, a, s, applicant_name or "", holder_name)
        for t, a, s, applicant_name, holder_name in session.execute(
            select(Task, Application, Service, applicant.full_name, holder.full_name)
            .join(Application, Application.id == Task.application_id)
            .join(Service, Service.id == Application.service_id)
            .outerjoin(applicant, applicant.id == Application.applicant_id)
            .outerjoin(holder, holder.id == Task.assignee_id)
            .where(Task.id.in_(task_ids))
            .options(_TASK_SHOWN, _APPLICATION_SHOWN, _SERVICE_SHOWN)
        )
    }
    return [found[i] for i in task_ids if i in found]


def _visible(agency_roles: Sequence[tuple[uuid.UUID, str]]) -> ColumnElement[bool]:
    return or_(*(and_(Task.agency_id == a, Task.role == r) for a, r in agency_roles))


def _pairs(agency_roles: Sequence[tuple[uuid.UUID, str]]) -> list[tuple[uuid.UUID, str]]:
    return sorted({(a, str(r)) for a, r in agency_roles})


def _task_range(region_id: uuid.UUID, *conditions: ColumnElement[bool]) -> Select[Any]:
    return select(Task.id).select_from(Task).where(Task.region_id == region_id, *conditions)


#: The inbox's orders: open tasks by deadline (overdue first), decided ones newest first.
OPEN_INBOX_KEYS: Final = (Task.due_date, Task.created_at, Task.id)
DONE_INBOX_KEYS: Final = (Task.completed_at, Task.id)


@dataclass(frozen=True)
class InboxSearch:
    """What the inbox's search box asks for: a prefix of a tracking number (dashes removed,
    upper case) or the words of an applicant's name as a ``simple`` tsquery (``a & b``)."""

    tracking_prefix: str | None = None
    name_query: str | None = None


def _after_prefix(prefix: str) -> str:
    """The smallest string after every string starting with ``prefix`` (byte order)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _searched_applications(region_id: uuid.UUID, search: InboxSearch) -> Select[Any]:
    """Ids of the region's applications the search names, each found through an index: the
    tracking key's b-tree range, or the GIN index of citizens' name words."""
    if search.tracking_prefix:
        prefix = search.tracking_prefix
        return select(Application.id).where(
            Application.region_id == region_id,
            Application.tracking_key >= prefix,
            Application.tracking_key < _after_prefix(prefix),
        )
    assert search.name_query
    query = func.to_tsquery(literal_column("'simple'::regconfig"), search.name_query)
    applicants = select(User.id).where(
        User.region_id == region_id,
        User.kind == literal_column("'citizen'"),
        User.name_words.bool_op("@@")(query),
    )
    return select(Application.id).where(
        Application.region_id == region_id, Application.applicant_id.in_(applicants)
    )


#: The inbox's views: open tasks (``open``), the officer's own (``mine``), decided ones
#: (``done``) and returned applications waiting on the citizen (``returned``).
INBOX_VIEWS: Final = ("open", "mine", "done", "returned")


def _view_conditions(region_id: uuid.UUID, view: str) -> list[ColumnElement[bool]]:
    if view in ("open", "mine"):
        return [Task.status == _OPEN]
    if view == "done":
        return [Task.status == _COMPLETED]
    # Returned: the task that sent the application back, while it still waits on the citizen
    # (no later task opened by a resubmission).
    later = aliased(Task)
    return [
        Task.status == _COMPLETED,
        Task.outcome == literal_column("'return'"),
        select(Application.id)
        .where(
            Application.id == Task.application_id,
            Application.region_id == region_id,
            Application.status == literal_column("'returned'"),
        )
        .exists(),
        ~select(later.id)
        .where(later.application_id == Task.application_id, later.created_at > Task.created_at)
        .exists(),
    ]


def _inbox_ranges(
    region_id: uuid.UUID,
    agency_roles: Sequence[tuple[uuid.UUID, str]],
    *,
    view: str,
    assignee_id: uuid.UUID | None,
    service_id: uuid.UUID | None,
    step: str | None = None,
    due_before: date | None = None,
    search: InboxSearch | None = None,
) -> list[_Range]:
    """One index range per (agency, role) pair (or per (service, role) with a service
    filter, or the officer's own range), merged by ``_page_keys``; a search reads the few
    tasks of the applications it names instead."""
    keys = OPEN_INBOX_KEYS if view in ("open", "mine") else DONE_INBOX_KEYS
    common = _view_conditions(region_id, view)
    if step is not None:
        common.append(Task.step == step)
    if due_before is not None and view in ("open", "mine"):
        common.append(Task.due_date < due_before)
    if search is not None:
        common.append(Task.application_id.in_(_searched_applications(region_id, search)))
    if assignee_id is not None or search is not None:
        if assignee_id is not None:
            common.append(Task.assignee_id == assignee_id)
        if service_id is not None:
            common.append(Task.service_id == service_id)
        return [(_task_range(region_id, _visible(agency_roles), *common), keys)]
    if service_id is not None:
        return [
            (
                _task_range(
                    region_id,
                    Task.service_id == service_id,
                    Task.role == r,
                    Task.agency_id == a,
                    *common,
                ),
                keys,
            )
            for a, r in _pairs(agency_roles)
        ]
    return [
        (_task_range(region_id, Task.agency_id == a, Task.role == r, *common), keys)
        for a, r in _pairs(agency_roles)
    ]


def list_inbox(
    session: Session,
    region_id: uuid.UUID,
    agency_roles: Sequence[tuple[uuid.UUID, str]],
    *,
    done: bool,
    assignee_id: uuid.UUID | None,
    service_id: uuid.UUID | None,
    page: Keyset,
    view: str | None = None,
    step: str | None = None,
    due_before: date | None = None,
    search: InboxSearch | None = None,
) -> tuple[KeysetPage[InboxRow], int]:
    """Tasks the given (agency, role) pairs may work on, open ones closest deadline first
    (``page.descending`` False), decided or returned ones last decided first (True), and how
    many there are up to ``COUNT_BOUND + 1``.

    ``view`` (one of ``INBOX_VIEWS``) overrides ``done``; ``step`` keeps one step's tasks,
    ``due_before`` open tasks due before that day (overdue), ``search`` the tasks of the
    applications it names.
    """
    if service_id is not None:
        # A service's tasks are all of its agency: the other agencies' pairs would read the
        # service's range only to discard every row.
        agency = session.scalar(
            select(Service.agency_id).where(
                Service.region_id == region_id, Service.id == service_id
            )
        )
        agency_roles = [(a, r) for a, r in agency_roles if a == agency]
    if not agency_roles:
        return KeysetPage([], None), 0
    chosen = view or ("done" if done else ("mine" if assignee_id is not None else "open"))
    ranges = _inbox_ranges(
        region_id,
        agency_roles,
        view=chosen,
        assignee_id=assignee_id,
        service_id=service_id,
        step=step,
        due_before=due_before,
        search=search,
    )
    keys = _page_keys(session, ranges, page)
    rows = _inbox_rows(session, [key[-1] for key in keys.rows])
    return KeysetPage(rows, keys.next_after), _bounded_count(session, ranges)


def count_overdue_open_tasks(
    session: Session,
    region_id: uuid.UUID,
    agency_roles: Sequence[tuple[uuid.UUID, str]],
    today: date,
) -> int:
    """Open tasks of the pairs past their deadline, counted up to ``COUNT_BOUND + 1``."""
    ranges: list[_Range] = [
        (
            _task_range(
                region_id,
                Task.agency_id == a,
                Task.role == r,
                Task.status == _OPEN,
                Task.due_date < today,
            ),
            OPEN_INBOX_KEYS,
        )
        for a, r in _pairs(agency_roles)
    ]
    return _bounded_count(session, ranges)


def inbox_row(session: Session, task_id: uuid.UUID) -> InboxRow | None:
    """One task as an inbox row."""
    rows = _inbox_rows(session, [task_id])
    return rows[0] if rows else None


# -- documents ----------------------------------------------------------------------------


def get_document(session: Session, region_id: uuid.UUID, document_id: uuid.UUID) -> Document | None:
    return get_in_region(session, Document, region_id, document_id)


#: Documents officers attach at a workflow step (a field check's photos) carry
#: ``requirement_code = "step:<step code>"``; they are not the citizen's requirements.
STEP_DOCUMENT_PREFIX: Final = "step:"


def _citizen_requirement() -> ColumnElement[bool]:
    return or_(
        Document.requirement_code.is_(None),
        ~Document.requirement_code.startswith(STEP_DOCUMENT_PREFIX, autoescape=True),
    )


def current_documents(session: Session, application_id: uuid.UUID) -> Sequence[Document]:
    """The latest upload for each requirement (older ones stay, marked replaced); the
    officers' step documents (``step_documents``) are not among them."""
    return session.scalars(
        select(Document)
        .where(
            Document.application_id == application_id,
            Document.replaced_at.is_(None),
            _citizen_requirement(),
        )
        .order_by(Document.created_at)
    ).all()


def step_documents(session: Session, application_id: uuid.UUID) -> Sequence[Document]:
    """What officers attached at the application's steps (field-check photos), oldest first."""
    return session.scalars(
        select(Document)
        .where(
            Document.application_id == application_id,
            Document.replaced_at.is_(None),
            Document.requirement_code.startswith(STEP_DOCUMENT_PREFIX, autoescape=True),
        )
        .order_by(Document.created_at, Document.id)
    ).all()


def completed_tasks_of(session: Session, application_id: uuid.UUID) -> Sequence[Task]:
    """The application's decided tasks, first decided first (four eyes reads them)."""
    return session.scalars(
        select(Task)
        .where(Task.application_id == application_id, Task.status == TaskStatus.COMPLETED)
        .order_by(Task.completed_at, Task.id)
    ).all()


def last_returning_task(session: Session, application_id: uuid.UUID) -> Task | None:
    """The task whose decision last sent the application back to the citizen."""
    return session.scalars(
        select(Task)
        .where(
            Task.application_id == application_id,
            Task.status == TaskStatus.COMPLETED,
            Task.outcome == TaskOutcome.RETURN,
        )
        .order_by(Task.completed_at.desc(), Task.id.desc())
        .limit(1)
    ).one_or_none()


def replace_documents(
    session: Session, application_id: uuid.UUID, requirement_code: str, now: datetime
) -> None:
    session.execute(
        update(Document)
        .where(
            Document.application_id == application_id,
            Document.requirement_code == requirement_code,
            Document.replaced_at.is_(None),
        )
        .values(replaced_at=now)
    )


def unattached_documents_of(
    session: Session, owner_id: uuid.UUID, document_ids: Sequence[uuid.UUID]
) -> Sequence[Document]:
    """The owner's documents not yet attached, locked: the clean-up of abandoned uploads
    cannot delete them while this transaction attaches them (nor they be attached twice)."""
    return session.scalars(
        select(Document)
        .where(
            Document.owner_id == owner_id,
            Document.id.in_(document_ids),
            Document.application_id.is_(None),
        )
        .with_for_update()
    ).all()


def add_document_access(session: Session, access: DocumentAccess) -> None:
    session.add(access)


def count_document_accesses(session: Session, document_id: uuid.UUID) -> int:
    return (
        session.scalar(
            select(func.count(DocumentAccess.id)).where(DocumentAccess.document_id == document_id)
        )
        or 0
    )


# -- notifications and calendar -----------------------------------------------------------


def list_notifications(
    session: Session, region_id: uuid.UUID, user_id: uuid.UUID, *, limit: int
) -> Sequence[Notification]:
    return session.scalars(
        select(Notification)
        .where(Notification.region_id == region_id, Notification.user_id == user_id)
        .order_by(Notification.created_at.desc())
        .limit(limit)
    ).all()


def count_unread_notifications(session: Session, region_id: uuid.UUID, user_id: uuid.UUID) -> int:
    return (
        session.scalar(
            select(func.count(Notification.id)).where(
                Notification.region_id == region_id,
                Notification.user_id == user_id,
                Notification.read_at.is_(None),
            )
        )
        or 0
    )


def delete_notifications_of_users(
    session: Session, region_id: uuid.UUID, user_ids: Sequence[uuid.UUID]
) -> None:
    session.execute(
        sql_delete(Notification).where(
            Notification.region_id == region_id, Notification.user_id.in_(user_ids)
        )
    )


def mark_notifications_read(
    session: Session, region_id: uuid.UUID, user_id: uuid.UUID, now: datetime
) -> None:
    session.execute(
        update(Notification)
        .where(
            Notification.region_id == region_id,
            Notification.user_id == user_id,
            Notification.read_at.is_(None),
        )
        .values(read_at=now)
    )


def collective_leave_days(session: Session, region_id: uuid.UUID) -> Sequence[date]:
    return session.scalars(
        select(CollectiveLeaveDay.day).where(CollectiveLeaveDay.region_id == region_id)
    ).all()


def application_counts(
    session: Session, region_id: uuid.UUID, *, since: datetime | None, until: datetime | None
) -> dict[ApplicationStatus, int]:
    query = select(Application.status, func.count(Application.id)).where(
        Application.region_id == region_id
    )
    if since is not None:
        query = query.where(Application.created_at >= since)
    if until is not None:
        query = query.where(Application.created_at < until)
    return {status: int(n) for status, n in session.execute(query.group_by(Application.status))}


# -- GovStack Registration BB API ---------------------------------------------------------


@dataclass(frozen=True)
class ApplicationListRow:
    """An application with its service, the task open on it (if any) and who holds that task."""

    application: Application
    service: Service
    open_task: Task | None
    assignee_name: str | None


#: Application lists are ordered by creation (then id), either way.
APPLICATION_KEYS: Final = (Application.created_at, Application.id)


def _application_ranges(
    session: Session,
    region_id: uuid.UUID,
    *,
    applicant_id: uuid.UUID | None,
    agency_ids: Sequence[uuid.UUID] | None,
    service_id: uuid.UUID | None,
) -> list[_Range]:
    def in_range(*conditions: ColumnElement[bool]) -> Select[Any]:
        return (
            select(Application.id)
            .select_from(Application)
            .where(Application.region_id == region_id, Application.status != _DRAFT, *conditions)
        )

    if agency_ids is None:
        services = None if service_id is None else [service_id]
    else:
        query = select(Service.id).where(
            Service.region_id == region_id, Service.agency_id.in_(agency_ids)
        )
        if service_id is not None:
            query = query.where(Service.id == service_id)
        services = sorted(session.scalars(query))
    if applicant_id is not None:
        # One applicant's applications are few: their index, filtered by the services.
        conditions = [Application.applicant_id == applicant_id]
        if services is not None:
            conditions.append(Application.service_id.in_(services))
        return [(in_range(*conditions), APPLICATION_KEYS)]
    if services is None:
        return [(in_range(), APPLICATION_KEYS)]
    return [(in_range(Application.service_id == s), APPLICATION_KEYS) for s in services]


def list_application_rows(
    session: Session,
    region_id: uuid.UUID,
    *,
    applicant_id: uuid.UUID | None,
    agency_ids: Sequence[uuid.UUID] | None,
    service_id: uuid.UUID | None,
    page: Keyset,
) -> tuple[KeysetPage[ApplicationListRow], int]:
    """Submitted (never draft) applications by applicant and/or the agencies of their services,
    by creation time, each with its open task and the name of the officer holding it; and how
    many there are up to ``COUNT_BOUND + 1``."""
    ranges = _application_ranges(
        session, region_id, applicant_id=applicant_id, agency_ids=agency_ids, service_id=service_id
    )
    keys = _page_keys(session, ranges, page)
    ids = [key[-1] for key in keys.rows]
    found: dict[uuid.UUID, ApplicationListRow] = {}
    if ids:
        open_task = and_(Task.application_id == Application.id, Task.status == _OPEN)
        for a, s, t, name in session.execute(
            select(Application, Service, Task, User.full_name)
            .join(Service, Service.id == Application.service_id)
            .outerjoin(Task, open_task)
            .outerjoin(User, User.id == Task.assignee_id)
            .where(Application.id.in_(ids))
            .options(_APPLICATION_SHOWN, _SERVICE_SHOWN, _TASK_SHOWN)
        ):
            found[a.id] = ApplicationListRow(a, s, t, name)
    rows = [found[i] for i in ids if i in found]
    return KeysetPage(rows, keys.next_after), _bounded_count(session, ranges)


def current_documents_of_applications(
    session: Session, application_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Document]]:
    """The current (not replaced) documents of several applications, oldest first."""
    found: dict[uuid.UUID, list[Document]] = {i: [] for i in application_ids}
    if not application_ids:
        return found
    for document in session.scalars(
        select(Document)
        .where(
            Document.application_id.in_(application_ids),
            Document.replaced_at.is_(None),
            _citizen_requirement(),
        )
        .order_by(Document.created_at, Document.id)
    ):
        assert document.application_id is not None
        found[document.application_id].append(document)
    return found


#: Task lists (the Registration API's ``/tasks``) are ordered by creation (then id).
TASK_KEYS: Final = (Task.created_at, Task.id)


def list_visible_tasks(
    session: Session,
    region_id: uuid.UUID,
    agency_roles: Sequence[tuple[uuid.UUID, str]],
    *,
    task_id: uuid.UUID | None,
    application_id: uuid.UUID | None,
    assignee_id: uuid.UUID | None,
    page: Keyset,
) -> tuple[KeysetPage[InboxRow], int]:
    """Tasks (open and done) of the given (agency, role) pairs by creation time, and how many
    there are up to ``COUNT_BOUND + 1``."""
    if not agency_roles:
        return KeysetPage([], None), 0
    conditions: list[ColumnElement[bool]] = []
    if task_id is not None:
        conditions.append(Task.id == task_id)
    if application_id is not None:
        conditions.append(Task.application_id == application_id)
    if assignee_id is not None:
        conditions.append(Task.assignee_id == assignee_id)
    if conditions:
        # A task, a file or an officer: few rows, found by their own index.
        ranges = [(_task_range(region_id, _visible(agency_roles), *conditions), TASK_KEYS)]
    else:
        ranges = [
            (_task_range(region_id, Task.agency_id == a, Task.role == r), TASK_KEYS)
            for a, r in _pairs(agency_roles)
        ]
    keys = _page_keys(session, ranges, page)
    rows = _inbox_rows(session, [key[-1] for key in keys.rows])
    return KeysetPage(rows, keys.next_after), _bounded_count(session, ranges)


def statistics_service_named(session: Session, region_id: uuid.UUID, service_name: str) -> bool:
    """Whether a service of the region named like ``service_name`` (case-insensitive
    substring) is published or has applications: one the statistics can be about."""
    has_applications = select(Application.id).where(Application.service_id == Service.id).exists()
    query = select(
        select(Service.id)
        .where(
            Service.region_id == region_id,
            func.strpos(func.lower(Service.name), service_name.lower()) > 0,
            or_(Service.published.is_(True), has_applications),
        )
        .exists()
    )
    return bool(session.scalar(query))


def list_leave_days(session: Session, region_id: uuid.UUID) -> Sequence[CollectiveLeaveDay]:
    return session.scalars(
        select(CollectiveLeaveDay)
        .where(CollectiveLeaveDay.region_id == region_id)
        .order_by(CollectiveLeaveDay.day)
    ).all()


def get_leave_day(session: Session, region_id: uuid.UUID, day: date) -> CollectiveLeaveDay | None:
    return session.scalars(
        select(CollectiveLeaveDay).where(
            CollectiveLeaveDay.region_id == region_id, CollectiveLeaveDay.day == day
        )
    ).one_or_none()


def delete(session: Session, row: object) -> None:
    session.delete(row)


def lock_idempotency_key(session: Session, applicant_id: uuid.UUID, key: str) -> None:
    """Serialise submissions carrying the same key until the transaction ends.

    A retry that races its original waits here, then finds the original's application.
    """
    session.execute(
        select(func.pg_advisory_xact_lock(func.hashtextextended(f"{applicant_id}:{key}", 0)))
    )


# -- personal answers (``answers``) ---------------------------------------------------------


def replace_identifiers(
    session: Session, application: Application, rows: Sequence[tuple[str, str, bytes]]
) -> None:
    """Make (field, kind, keyed hash) the application's identifier rows, nothing else."""
    session.execute(
        sql_delete(ApplicationIdentifier).where(
            ApplicationIdentifier.application_id == application.id
        )
    )
    add_identifiers(session, application, rows)


def add_identifiers(
    session: Session, application: Application, rows: Sequence[tuple[str, str, bytes]]
) -> None:
    """The identifier rows of an application that has none yet."""
    session.add_all(
        ApplicationIdentifier(
            region_id=application.region_id,
            application_id=application.id,
            field=field,
            kind=kind,
            value_hash=value_hash,
        )
        for field, kind, value_hash in rows
    )


def applications_with_identifier(
    session: Session,
    region_id: uuid.UUID,
    kind: str,
    value_hash: bytes,
    *,
    agency_ids: Sequence[uuid.UUID],
    limit: int = 100,
) -> Sequence[Application]:
    """Submitted (not draft) applications of the agencies' services naming the value."""
    named = select(ApplicationIdentifier.application_id).where(
        ApplicationIdentifier.region_id == region_id,
        ApplicationIdentifier.kind == kind,
        ApplicationIdentifier.value_hash == value_hash,
    )
    return session.scalars(
        select(Application)
        .join(Service, Service.id == Application.service_id)
        .where(
            Application.region_id == region_id,
            Application.id.in_(named),
            Application.status != ApplicationStatus.DRAFT,
            Service.agency_id.in_(agency_ids),
        )
        .order_by(Application.created_at.desc())
        .limit(limit)
    ).all()


def applications_to_protect(
    session: Session,
    service_ids: Sequence[uuid.UUID],
    *,
    after: uuid.UUID | None,
    limit: int,
    unprotected_only: bool,
) -> Sequence[Application]:
    """The next batch (by id) of applications of these services, locked for the rewrite."""
    query = select(Application).where(Application.service_id.in_(service_ids))
    if unprotected_only:
        query = query.where(Application.data_encrypted.is_(None))
    if after is not None:
        query = query.where(Application.id > after)
    return session.scalars(query.order_by(Application.id).limit(limit).with_for_update()).all()


def encrypted_applications(
    session: Session, *, after: uuid.UUID | None, limit: int
) -> Sequence[Application]:
    """The next batch (by id) of applications whose answers are kept encrypted."""
    query = select(Application).where(Application.data_encrypted.is_not(None))
    if after is not None:
        query = query.where(Application.id > after)
    return session.scalars(query.order_by(Application.id).limit(limit).with_for_update()).all()


# -- the citizen's data export (UU PDP, hak akses; identity.rights) -------------------------


def list_all_applications_of_applicant(
    session: Session, region_id: uuid.UUID, applicant_id: uuid.UUID
) -> Sequence[Application]:
    """Every application of the applicant, drafts too, oldest first."""
    return session.scalars(
        select(Application)
        .where(Application.region_id == region_id, Application.applicant_id == applicant_id)
        .order_by(Application.created_at, Application.id)
    ).all()


def list_events_of_applications(
    session: Session, region_id: uuid.UUID, application_ids: Sequence[uuid.UUID]
) -> Sequence[ApplicationEvent]:
    return session.scalars(
        select(ApplicationEvent)
        .where(
            ApplicationEvent.region_id == region_id,
            ApplicationEvent.application_id.in_(application_ids),
        )
        .order_by(ApplicationEvent.at, ApplicationEvent.id)
    ).all()


def list_documents_of_owner(
    session: Session, region_id: uuid.UUID, owner_id: uuid.UUID
) -> Sequence[Document]:
    """Every file the user uploaded (replaced ones and unattached ones too), oldest first."""
    return session.scalars(
        select(Document)
        .where(Document.region_id == region_id, Document.owner_id == owner_id)
        .order_by(Document.created_at, Document.id)
    ).all()


# -- erasure of a closed account (identity.closure) ----------------------------------------


def applications_of_applicant_for_update(
    session: Session, region_id: uuid.UUID, applicant_id: uuid.UUID
) -> Sequence[Application]:
    """Every application of the applicant, locked, oldest first."""
    return session.scalars(
        select(Application)
        .where(Application.region_id == region_id, Application.applicant_id == applicant_id)
        .order_by(Application.created_at)
        .with_for_update()
    ).all()


def documents_of_owner(
    session: Session, region_id: uuid.UUID, owner_id: uuid.UUID
) -> Sequence[Document]:
    return session.scalars(
        select(Document).where(Document.region_id == region_id, Document.owner_id == owner_id)
    ).all()


def delete_documents_by_id(session: Session, ids: Sequence[uuid.UUID]) -> None:
    if ids:
        session.execute(sql_delete(Document).where(Document.id.in_(ids)))


def delete_identifiers_of(session: Session, application_ids: Sequence[uuid.UUID]) -> None:
    if application_ids:
        session.execute(
            sql_delete(ApplicationIdentifier).where(
                ApplicationIdentifier.application_id.in_(application_ids)
            )
        )


def delete_notifications_of_user(session: Session, region_id: uuid.UUID, user_id: uuid.UUID) -> int:
    """Delete the user's in-app notifications (their deliveries go with them)."""
    result = session.execute(
        sql_delete(Notification).where(
            Notification.region_id == region_id, Notification.user_id == user_id
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def applications_of_applicants(
    session: Session, region_id: uuid.UUID, applicant_ids: Sequence[uuid.UUID]
) -> Sequence[Application]:
    return session.scalars(
        select(Application).where(
            Application.region_id == region_id, Application.applicant_id.in_(applicant_ids)
        )
    ).all()


def applicant_ids_in_scope(
    session: Session,
    region_id: uuid.UUID,
    *,
    service_ids: Sequence[uuid.UUID] | None,
    since: datetime | None,
    until: datetime | None,
) -> Sequence[tuple[uuid.UUID, uuid.UUID, bool, bool]]:
    """(applicant, service, has answers, has uploads) of every application of the region in
    scope: of ``service_ids`` (None: every service), active (created or updated) in the
    period."""
    has_uploads = select(Document.id).where(Document.application_id == Application.id).exists()
    query = select(
        Application.applicant_id,
        Application.service_id,
        cast(Application.data, String) != "{}",
        has_uploads,
    ).where(Application.region_id == region_id)
    if service_ids is not None:
        query = query.where(Application.service_id.in_(service_ids))
    if since is not None:
        query = query.where(Application.updated_at >= since)
    if until is not None:
        query = query.where(Application.created_at < until)
    return [(a, s, bool(d), bool(u)) for a, s, d, u in session.execute(query).all()]
