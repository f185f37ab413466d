"""The inbox as an officer reads it: who applied, who holds it, the views, search, filters,
and bulk claiming and reassigning (decision 0044)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, StaffRoleName, User
from simpul.applications import bulk, inbox, submission, workflow
from simpul.applications.models import (
    Application,
    ApplicationEvent,
    Task,
    TaskOutcome,
)
from simpul.core.errors import InvalidInput
from simpul.core.kit.cursors import InvalidCursor
from tests.applications.conftest import VALID_DATA, World
from tests.factories import make_user


def _submitted(session: Session, world: World, citizen: User | None = None) -> Application:
    applicant = citizen or world.citizen
    draft = submission.start_draft(session, world.region, applicant, world.service_slug)
    submission.save_draft(session, world.region, applicant, draft.id, dict(VALID_DATA))
    submission.attach_document(
        session, world.region, applicant, draft.id, "ktp", world.upload(), "ktp.pdf"
    )
    return submission.submit(session, world.region, applicant, draft.id)


def _page(session: Session, world: World, officer: User, **filters: Any) -> inbox.InboxPage:
    return inbox.inbox_page(session, world.region, officer, inbox.InboxFilters(**filters))


def _open_task(session: Session, application: Application) -> Task:
    return session.scalars(
        select(Task).where(Task.application_id == application.id, Task.status == "open")
    ).one()


def test_rows_name_the_applicant_and_who_holds_the_task(session: Session, world: World) -> None:
    application = _submitted(session, world)
    row = _page(session, world, world.verifier).rows[0]
    assert row.application.id == application.id
    assert row.applicant_name == world.citizen.full_name
    assert row.assignee_name is None
    assert row.task.service_id == application.service_id
    workflow.claim_task(session, world.region, world.verifier, row.task.id)
    session.flush()
    held = _page(session, world, world.verifier).rows[0]
    assert held.assignee_name == world.verifier.full_name
    assert [r.task.id for r in _page(session, world, world.verifier, view="saya").rows] == [
        row.task.id
    ]


def test_search_by_number_or_name_within_the_agency(session: Session, world: World) -> None:
    mine = _submitted(session, world)
    theirs = _submitted(session, world, world.other_citizen)
    number = mine.tracking_number
    for typed in (number, number.replace("-", "").lower(), number[:7], f" {number[:4]} "):
        found = {r.application.id for r in _page(session, world, world.verifier, search=typed).rows}
        assert mine.id in found, typed
    assert {
        r.application.id
        for r in _page(session, world, world.verifier, search=theirs.tracking_number).rows
    } == {theirs.id}
    by_name = _page(session, world, world.verifier, search=world.other_citizen.full_name.upper())
    assert [r.application.id for r in by_name.rows] == [theirs.id]
    assert by_name.searched
    # Another agency's officer finds neither, by number or by name.
    for typed in (number, world.citizen.full_name):
        assert _page(session, world, world.other_agency_officer, search=typed).rows == []


@pytest.mark.parametrize(
    "typed", ["%", "_", "%%%%", "ab", "12", "261-", "2611-7K3Q-X9MA-00", "x" * 10_000]
)
def test_search_text_that_is_neither_is_refused_naming_the_field(
    session: Session, world: World, typed: str
) -> None:
    _submitted(session, world)
    with pytest.raises(InvalidInput) as caught:
        _page(session, world, world.verifier, search=typed)
    assert "cari" in caught.value.field_errors()


def test_wildcards_around_a_name_are_not_wildcards(session: Session, world: World) -> None:
    _submitted(session, world)
    theirs = _submitted(session, world, world.other_citizen)
    name = world.other_citizen.full_name.split()[0]
    rows = _page(session, world, world.verifier, search=f"%{name}_%").rows
    assert [r.application.id for r in rows] == [theirs.id]


def test_returned_view_holds_applications_waiting_on_the_citizen(
    session: Session, world: World
) -> None:
    application = _submitted(session, world)
    task = _open_task(session, application)
    workflow.act_on_task(
        session, world.region, world.verifier, task.id, TaskOutcome.RETURN, "Foto KTP buram."
    )
    session.flush()
    assert _page(session, world, world.verifier).rows == []
    returned = _page(session, world, world.verifier, view="dikembalikan").rows
    assert [r.task.id for r in returned] == [task.id]
    submission.submit(session, world.region, world.citizen, application.id)
    session.flush()
    assert _page(session, world, world.verifier, view="dikembalikan").rows == []
    assert len(_page(session, world, world.verifier).rows) == 1


def test_filters_by_service_step_and_overdue(session: Session, world: World) -> None:
    application = _submitted(session, world)
    assert len(_page(session, world, world.verifier, service="izin-uji").rows) == 1
    assert len(_page(session, world, world.verifier, step="verifikasi").rows) == 1
    assert _page(session, world, world.verifier, step="persetujuan").rows == []
    assert _page(session, world, world.verifier, overdue=True).rows == []
    task = _open_task(session, application)
    assert application.due_date is not None
    task.due_date = application.due_date.replace(year=application.due_date.year - 1)
    session.flush()
    late = _page(session, world, world.verifier, overdue=True).rows
    assert [r.task.id for r in late] == [task.id]
    # A service of another agency, or a step no service has, is refused naming the field.
    for filters, field in (({"service": "izin-lain"}, "layanan"), ({"step": "x"}, "tahap")):
        with pytest.raises(InvalidInput) as caught:
            _page(session, world, world.verifier, **filters)
        assert field in caught.value.field_errors()


def test_a_cursor_works_only_in_the_view_and_filters_it_came_from(
    session: Session, world: World
) -> None:
    for _ in range(3):
        _submitted(session, world)
    first = inbox.inbox_page(
        session, world.region, world.verifier, inbox.InboxFilters(view="terbuka"), limit=1
    )
    assert first.next_cursor
    following = inbox.inbox_page(
        session,
        world.region,
        world.verifier,
        inbox.InboxFilters(view="terbuka"),
        cursor=first.next_cursor,
        limit=1,
    )
    assert following.rows and following.rows[0].task.id != first.rows[0].task.id
    for other in (
        inbox.InboxFilters(view="saya"),
        inbox.InboxFilters(view="terbuka", service="izin-uji"),
        inbox.InboxFilters(view="terbuka", search=first.rows[0].application.tracking_number),
    ):
        with pytest.raises(InvalidCursor):
            inbox.inbox_page(
                session, world.region, world.verifier, other, cursor=first.next_cursor, limit=1
            )


def test_bulk_claim_claims_each_and_lists_the_refused_with_why(
    session: Session, world: World
) -> None:
    tasks = [_open_task(session, _submitted(session, world)) for _ in range(3)]
    colleague = make_user(
        session,
        world.region,
        "verif2@example.org",
        "sandi-verif-2",
        AccountKind.STAFF,
        roles=[("dinas-uji", StaffRoleName.VERIFIKATOR)],
    )
    workflow.claim_task(session, world.region, colleague, tasks[0].id)
    session.flush()
    result = bulk.run_bulk(
        session, world.region, world.verifier, bulk.BulkAction.CLAIM, [t.id for t in tasks]
    )
    assert sorted(result.done) == sorted([tasks[1].id, tasks[2].id])
    assert [r.task_id for r in result.refused] == [tasks[0].id]
    assert "diambil petugas lain" in result.refused[0].reason
    session.flush()
    for task in tasks[1:]:
        session.refresh(task)
        assert task.assignee_id == world.verifier.id
        events = session.scalars(
            select(ApplicationEvent.action).where(
                ApplicationEvent.application_id == task.application_id
            )
        ).all()
        assert "claim" in events
    session.refresh(tasks[0])
    assert tasks[0].assignee_id == colleague.id


def test_bulk_reassign_by_the_admin_goes_to_an_officer_of_the_steps_role(
    session: Session, world: World
) -> None:
    tasks = [_open_task(session, _submitted(session, world)) for _ in range(2)]
    admin = make_user(
        session,
        world.region,
        "admin.opd@example.org",
        "sandi-admin-1",
        AccountKind.STAFF,
        roles=[("dinas-uji", StaffRoleName.ADMIN_OPD)],
    )
    page = _page(session, world, admin)
    assert {r.task.id for r in page.rows} == {t.id for t in tasks}  # the admin oversees them
    assert world.verifier.id in {o.id for o in page.assignees}
    result = bulk.run_bulk(
        session,
        world.region,
        admin,
        bulk.BulkAction.ASSIGN,
        [t.id for t in tasks],
        assignee_id=world.verifier.id,
    )
    assert sorted(result.done) == sorted(t.id for t in tasks)
    session.flush()
    for task in tasks:
        session.refresh(task)
        assert task.assignee_id == world.verifier.id
        notes = session.scalars(
            select(ApplicationEvent.note).where(
                ApplicationEvent.application_id == task.application_id,
                ApplicationEvent.action == "assign",
            )
        ).all()
        # Each in its history, from whom (nobody held it) to whom (decision 0047).
        assert notes == [f"Dari antrean instansi kepada {world.verifier.full_name}."]
    # To an officer without the step's role: each refused, nothing changed.
    refused = bulk.run_bulk(
        session,
        world.region,
        admin,
        bulk.BulkAction.ASSIGN,
        [t.id for t in tasks],
        assignee_id=world.approver.id,
    )
    assert refused.done == [] and len(refused.refused) == 2
    # A plain officer may not reassign at all.
    not_admin = bulk.run_bulk(
        session,
        world.region,
        world.verifier,
        bulk.BulkAction.ASSIGN,
        [tasks[0].id],
        assignee_id=world.verifier.id,
    )
    assert not_admin.done == [] and "admin OPD" in not_admin.refused[0].reason


@pytest.mark.parametrize("action", ["approve", "return", "reject", "setujui", "tolak", ""])
def test_bulk_never_decides(action: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        bulk.parse_action(action)
    assert "aksi" in caught.value.field_errors()


def test_bulk_has_a_limit_per_request() -> None:
    with pytest.raises(InvalidInput) as caught:
        bulk.parse_task_ids([str(uuid.uuid4()) for _ in range(bulk.MAX_BULK + 1)])
    assert "tugas" in caught.value.field_errors()
    with pytest.raises(InvalidInput):
        bulk.parse_task_ids(["bukan-uuid"])
    with pytest.raises(InvalidInput):
        bulk.parse_task_ids([])
