"""Keyset paging of the officer lists (decision 0035): following the cursors from the first
page to the last gives every row exactly once, in the list's order, also where many rows
share the same sort time and where a list merges several index ranges (an officer with two
roles, an agency with two services)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, StaffRoleName, User
from simpul.applications import registration_service, submission, workflow
from simpul.applications import service as applications
from simpul.applications.models import Application, Task, TaskOutcome, TaskStatus
from simpul.core.errors import InvalidInput
from simpul.core.models import Region
from simpul.core.storage import LocalStorage
from tests.applications.conftest import DOCUMENTS, EFORM, VALID_DATA, World
from tests.factories import make_region, make_user, service_seed

M = TypeVar("M", Task, Application)

#: A page cut from the lists below: small, so that pages end inside groups of equal times.
PAGE = 2
#: The lists' times: every group of three rows shares one.
T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)


@dataclass
class Office:
    region: Region
    citizen: User
    #: Verifies and approves: two (agency, role) pairs, so the inbox merges two ranges.
    officer: User
    verifier: User
    storage: LocalStorage


@pytest.fixture
def office(session: Session, tmp_path: Path) -> Office:
    services = [
        service_seed(slug, name, sla_working_days=3, eform=EFORM, required_documents=DOCUMENTS)
        for slug, name in (("izin-a", "Perizinan A"), ("izin-b", "Perizinan B"))
    ]
    region = make_region(session, "kota-halaman", "Kota Halaman", services)
    citizen = make_user(session, region, "warga@example.org", "sandi-warga-1")
    officer = make_user(
        session,
        region,
        "dua-peran@example.org",
        "sandi-dua-peran-1",
        AccountKind.STAFF,
        roles=[("dinas-uji", StaffRoleName.VERIFIKATOR), ("dinas-uji", StaffRoleName.PENYETUJU)],
    )
    verifier = make_user(
        session,
        region,
        "verif@example.org",
        "sandi-verif-1",
        AccountKind.STAFF,
        roles=[("dinas-uji", StaffRoleName.VERIFIKATOR)],
    )
    office = Office(region, citizen, officer, verifier, LocalStorage(tmp_path / "uploads"))
    world = World(region, citizen, citizen, verifier, officer, officer, office.storage)
    for n in range(10):
        slug = "izin-a" if n % 2 else "izin-b"
        draft = submission.start_draft(session, region, citizen, slug)
        submission.save_draft(session, region, citizen, draft.id, dict(VALID_DATA))
        submission.attach_document(
            session, region, citizen, draft.id, "ktp", world.upload(), "ktp.pdf"
        )
        submission.submit(session, region, citizen, draft.id)
    # Approve four at the first step: they wait at the second, for the approver's role.
    tasks = _all(session, region, Task)
    for task in tasks[:4]:
        workflow.act_on_task(session, region, officer, task.id, TaskOutcome.APPROVE, "")
    _make_ties(session, region)
    return office


def _all(session: Session, region: Region, model: type[M]) -> list[M]:
    return list(
        session.scalars(select(model).where(model.region_id == region.id).order_by(model.id))
    )


def _make_ties(session: Session, region: Region) -> None:
    """Every three rows share a creation time (and decision time); deadlines take two values."""
    for n, application in enumerate(_all(session, region, Application)):
        application.created_at = T0 + dt.timedelta(minutes=n // 3)
    for n, task in enumerate(_all(session, region, Task)):
        task.created_at = T0 + dt.timedelta(minutes=n // 3)
        task.due_date = dt.date(2026, 3, 10) + dt.timedelta(days=n % 2)
        if task.completed_at is not None:
            task.completed_at = T0 + dt.timedelta(hours=1, minutes=n // 3)
    session.flush()


def _follow(read: Callable[[str | None], tuple[list[Any], str | None]]) -> list[Any]:
    """Every row of a list, page after page along the cursors."""
    rows: list[Any] = []
    cursor: str | None = None
    for _ in range(100):
        page, cursor = read(cursor)
        assert len(page) <= PAGE
        rows.extend(page)
        if cursor is None:
            return rows
        assert len(page) == PAGE  # a cursor only after a full page
    raise AssertionError("the cursors never end")


def _once_in_order(found: list[uuid.UUID], expected: list[uuid.UUID]) -> None:
    assert len(set(found)) == len(found), "a row came twice"
    assert found == expected


def test_the_inbox_pages_every_task_once_in_its_order(session: Session, office: Office) -> None:
    region, officer = office.region, office.officer

    def inbox(view: str) -> Callable[[str | None], tuple[list[Any], str | None]]:
        def read(cursor: str | None) -> tuple[list[Any], str | None]:
            page = workflow.inbox(session, region, officer, view=view, limit=PAGE, cursor=cursor)
            return [row.task.id for row in page.rows], page.next_cursor

        return read

    tasks = _all(session, region, Task)
    open_tasks = sorted(
        (t for t in tasks if t.status is TaskStatus.OPEN),
        key=lambda t: (t.due_date, t.created_at, t.id),
    )
    assert len(open_tasks) == 10  # both of the officer's roles: the merge of two ranges
    _once_in_order(_follow(inbox("terbuka")), [t.id for t in open_tasks])
    decided = sorted(
        (t for t in tasks if t.status is TaskStatus.COMPLETED),
        key=lambda t: (t.completed_at, t.id),
        reverse=True,
    )
    assert len(decided) == 4
    _once_in_order(_follow(inbox("selesai")), [t.id for t in decided])
    for task in open_tasks[1::2]:
        workflow.claim_task(session, region, officer, task.id)
    _once_in_order(_follow(inbox("saya")), [t.id for t in open_tasks[1::2]])
    # One role only: the verifier sees the tasks at the first step.
    page = workflow.inbox(session, region, office.verifier, limit=PAGE)
    assert page.total == 6 and page.next_cursor is not None


def test_the_registration_lists_page_every_row_once(session: Session, office: Office) -> None:
    region, officer = office.region, office.officer
    tasks = sorted(_all(session, region, Task), key=lambda t: (t.created_at, t.id))
    files = sorted(_all(session, region, Application), key=lambda a: (a.created_at, a.id))

    for order in ("asc", "desc"):

        def task_page(cursor: str | None, order: str = order) -> tuple[list[Any], str | None]:
            page = registration_service.list_tasks(
                session,
                region,
                officer,
                main_task_id=None,
                file_id=None,
                assignee_id=None,
                page=registration_service.paging(None, PAGE, "created", order, cursor),
            )
            assert page.total == len(tasks)
            return [row.task.id for row in page.rows], page.next_cursor

        def file_page(
            cursor: str | None, order: str = order, user: User = officer
        ) -> tuple[list[Any], str | None]:
            page = registration_service.list_files(
                session,
                region,
                user,
                service_id=None,
                applicant_id=None,
                page=registration_service.paging(None, PAGE, "created", order, cursor),
            )
            assert page.total == len(files)
            return [row.application.id for row in page.rows], page.next_cursor

        step = 1 if order == "asc" else -1
        _once_in_order(_follow(task_page), [t.id for t in tasks][::step])
        # Two services of the agency: two ranges merged; the citizen's: one range.
        _once_in_order(_follow(file_page), [a.id for a in files][::step])
        citizen = _follow(lambda c, order=order: file_page(c, order, office.citizen))
        _once_in_order(citizen, [a.id for a in files][::step])

    # firstResult pages the same list the same way.
    by_offset = [
        row.application.id
        for first in range(0, len(files), PAGE)
        for row in registration_service.list_files(
            session,
            region,
            officer,
            service_id=None,
            applicant_id=None,
            page=registration_service.paging(first, PAGE, "created", "asc"),
        ).rows
    ]
    assert by_offset == [a.id for a in files]


def test_the_applications_api_list_pages_newest_first(session: Session, office: Office) -> None:
    files = sorted(
        _all(session, office.region, Application), key=lambda a: (a.created_at, a.id), reverse=True
    )

    def read(cursor: str | None) -> tuple[list[Any], str | None]:
        rows, next_cursor = applications.visible_application_rows(
            session, office.region, office.officer, limit=PAGE, cursor=cursor
        )
        return [row.application.id for row in rows], next_cursor

    _once_in_order(_follow(read), [a.id for a in files])


def test_a_list_row_carries_no_answers(session: Session, office: Office) -> None:
    """The lists read the columns they show: not the answers, which stay unloaded."""
    session.expunge_all()
    rows, _cursor = applications.visible_application_rows(
        session, office.region, office.officer, limit=PAGE
    )
    assert rows
    for row in rows:
        assert "data" not in row.application.__dict__
        assert "data_encrypted" not in row.application.__dict__
        assert "eform" not in row.service.__dict__


def test_counts_are_bounded(
    session: Session, office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the bound a list says "more than" instead of counting every row."""
    from simpul.applications import repository

    monkeypatch.setattr(repository, "COUNT_BOUND", 3)
    page = workflow.inbox(session, office.region, office.officer, limit=PAGE)
    assert page.total == 4  # counted up to the bound and one more: "more than 3"


def test_a_cursor_is_refused_by_another_list(session: Session, office: Office) -> None:
    page = workflow.inbox(session, office.region, office.officer, limit=PAGE)
    assert page.next_cursor is not None
    with pytest.raises(InvalidInput) as refused:
        workflow.inbox(
            session, office.region, office.officer, view="selesai", cursor=page.next_cursor
        )
    assert refused.value.field_errors().keys() == {"setelah"}
