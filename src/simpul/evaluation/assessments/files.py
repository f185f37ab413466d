"""Keep stored files and database rows in step across a transaction.

A file is stored before its row is written; if the transaction then rolls back, the file is
deleted. A removed row's file is deleted only once the removal has committed, so a rollback
never leaves a row pointing at nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from sqlalchemy import event
from sqlalchemy.orm import Session

from simpul.core.storage import Storage

_KEY: Final = "simpul.assessments.files"


@dataclass
class _Pending:
    stored: list[tuple[Storage, str]] = field(default_factory=list)
    removed: list[tuple[Storage, str]] = field(default_factory=list)


def _pending(session: Session) -> _Pending:
    pending = session.info.get(_KEY)
    if pending is None:
        pending = session.info[_KEY] = _Pending()
        event.listen(session, "after_commit", _committed)
        event.listen(session, "after_rollback", _rolled_back)
    assert isinstance(pending, _Pending)
    return pending


def _committed(session: Session) -> None:
    pending: _Pending = session.info[_KEY]
    removed, pending.removed, pending.stored = pending.removed, [], []
    for storage, key in removed:
        storage.delete(key)


def _rolled_back(session: Session) -> None:
    pending: _Pending = session.info[_KEY]
    stored, pending.stored, pending.removed = pending.stored, [], []
    for storage, key in stored:
        storage.delete(key)


def delete_if_rolled_back(session: Session, storage: Storage, key: str) -> None:
    """Delete the stored file ``key`` should the session's transaction roll back."""
    _pending(session).stored.append((storage, key))


def delete_once_committed(session: Session, storage: Storage, key: str) -> None:
    """Delete the stored file ``key`` when the session's transaction commits."""
    _pending(session).removed.append((storage, key))
