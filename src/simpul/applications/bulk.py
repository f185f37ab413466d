"""Bulk actions on inbox rows, only where they are safe: claim several, reassign several.

Each task goes through the same service function as one claimed or assigned from its row
(``workflow.claim_task``, ``workflow.assign_task``), in a savepoint of its own: a refused task
changes nothing and is listed with why, the others go ahead, and each lands in its
application's history. Decisions (approve, return, reject) are never taken in bulk: a
signed product is approved by an officer who has looked at that file (decision 0044).
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from sqlalchemy.orm import Session

from simpul.accounts.models import User
from simpul.applications import repository, workflow
from simpul.core.errors import DomainError, InvalidInput
from simpul.core.i18n import _
from simpul.core.models import Region

#: How many tasks one request may act on.
MAX_BULK: Final = 100


class BulkAction(enum.StrEnum):
    """What may be done to several tasks at once: nothing that decides an application."""

    CLAIM = "ambil"
    ASSIGN = "tugaskan"


@dataclass(frozen=True)
class Refusal:
    task_id: uuid.UUID
    #: The tracking number when the officer may see the task, else empty.
    tracking_number: str
    reason: str


@dataclass(frozen=True)
class BulkResult:
    action: BulkAction
    done: list[uuid.UUID]
    refused: list[Refusal]


def parse_action(value: str) -> BulkAction:
    """The bulk action asked for; a decision (approve, return, reject) or anything else is
    refused naming the field ``aksi``."""
    try:
        return BulkAction(value)
    except ValueError:
        raise InvalidInput(
            _("Tindakan ini tidak dapat dilakukan sekaligus."),
            details=[
                {
                    "field": "aksi",
                    "message": _(
                        "Hanya mengambil atau menugaskan yang dapat dilakukan sekaligus; "
                        "setujui, kembalikan, dan tolak diputuskan satu per satu di berkasnya."
                    ),
                }
            ],
        ) from None


def parse_task_ids(values: Sequence[str]) -> list[uuid.UUID]:
    """The chosen tasks, each once, in a fixed order (so two bulk requests lock rows in the
    same order); ``InvalidInput`` naming ``tugas`` for none, too many or a malformed id."""
    if not values:
        raise InvalidInput(
            _("Belum ada tugas yang dipilih."),
            details=[{"field": "tugas", "message": _("Centang tugas yang akan diproses.")}],
        )
    if len(values) > MAX_BULK:
        raise InvalidInput(
            _("Terlalu banyak tugas dipilih."),
            details=[
                {
                    "field": "tugas",
                    "message": _("Pilih paling banyak %(num)d tugas sekaligus.")
                    % {"num": MAX_BULK},
                }
            ],
        )
    try:
        return sorted({uuid.UUID(v) for v in values})
    except ValueError:
        raise InvalidInput(
            _("Pilihan tugas tidak valid."),
            details=[{"field": "tugas", "message": _("Muat ulang kotak masuk lalu pilih lagi.")}],
        ) from None


def _tracking_number(session: Session, region: Region, officer: User, task_id: uuid.UUID) -> str:
    """The task's tracking number if the officer may see the task (never another agency's)."""
    try:
        task = workflow.visible_task(session, region, officer, task_id)
    except DomainError:
        return ""
    row = repository.inbox_row(session, task.id)
    return row.application.tracking_number if row else ""


def run_bulk(
    session: Session,
    region: Region,
    officer: User,
    action: BulkAction,
    task_ids: Sequence[uuid.UUID],
    *,
    assignee_id: uuid.UUID | None = None,
) -> BulkResult:
    """Claim (``ambil``) or assign (``tugaskan``, admin OPD, to ``assignee_id``) each task."""
    if len(task_ids) > MAX_BULK:
        raise InvalidInput(
            _("Terlalu banyak tugas dipilih."),
            details=[
                {
                    "field": "tugas",
                    "message": _("Pilih paling banyak %(num)d tugas sekaligus.")
                    % {"num": MAX_BULK},
                }
            ],
        )
    if action is BulkAction.ASSIGN and assignee_id is None:
        raise InvalidInput(
            _("Pilih petugas yang akan ditugaskan."),
            details=[{"field": "petugas", "message": _("Pilih petugas dari daftar.")}],
        )
    done: list[uuid.UUID] = []
    refused: list[Refusal] = []
    for task_id in sorted(set(task_ids)):
        savepoint = session.begin_nested()
        try:
            if action is BulkAction.CLAIM:
                workflow.claim_task(session, region, officer, task_id)
            else:
                assert assignee_id is not None
                workflow.assign_task(session, region, officer, task_id, assignee_id)
            session.flush()
        except DomainError as exc:
            savepoint.rollback()
            refused.append(
                Refusal(task_id, _tracking_number(session, region, officer, task_id), exc.message)
            )
            continue
        savepoint.commit()
        done.append(task_id)
    return BulkResult(action, done, refused)
