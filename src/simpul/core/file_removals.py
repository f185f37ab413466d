"""Keep stored files and their database rows in step, whatever fails or crashes.

A row must never point at a file that is gone; a file without a row is tolerated only while
something is sure to delete it later. Hence the order:

* storing: the file first, then its row in the request's transaction; should that
  transaction roll back, the file is deleted again (``delete_if_rolled_back``);
* removing: the row is deleted and the file recorded in ``stored_file_removal`` in one
  transaction (``queue_removals``); only then is the file deleted, and then the record
  (``remove_queued_files``, a step of ``simpul worker``). A crash between the two leaves the
  record, and the next run deletes the file. Deleting is idempotent on both backends.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import Engine, delete, event, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, sessionmaker

from simpul.core.models import StoredFileRemoval, utcnow
from simpul.core.queue import Backoff, Queue
from simpul.core.storage import Storage

log = logging.getLogger(__name__)

_KEY: Final = "simpul.file_removals"
#: A claimed record is tried again after this, should its worker have died (deleting twice
#: is harmless, so it need not outlast the slowest DELETE).
LEASE: Final = timedelta(minutes=2)
#: The records as a job queue (``core/queue.py``): no statuses, a record waits until its file
#: is deleted; a failed delete is retried after 30 s, 1 min, ... at most an hour, never given
#: up (a storage that is down is not hammered).
REMOVALS: Final = Queue(StoredFileRemoval)
_BACKOFF: Final = Backoff(base_seconds=30.0, max_seconds=3600.0, jitter=False)


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
        try:
            storage.delete(key)
        except Exception:  # noqa: BLE001 - the queued record makes the worker try again
            log.warning("stored file %s: delete after commit failed; the worker retries", key)


def _rolled_back(session: Session) -> None:
    pending: _Pending = session.info[_KEY]
    stored, pending.stored, pending.removed = pending.stored, [], []
    for storage, key in stored:
        try:
            storage.delete(key)
        except Exception:  # noqa: BLE001 - a rollback must finish; the file stays an orphan
            log.warning("stored file %s: delete after rollback failed", key)


def delete_if_rolled_back(session: Session, storage: Storage, key: str) -> None:
    """Delete the stored file ``key`` should the session's transaction roll back."""
    _pending(session).stored.append((storage, key))


def queue_removals(session: Session, keys: Sequence[str]) -> None:
    """Record, in the caller's transaction (the one deleting their rows), files to delete."""
    if keys:
        session.execute(
            insert(StoredFileRemoval)
            .values([{"storage_key": key} for key in keys])
            .on_conflict_do_nothing(index_elements=["storage_key"])
        )


def remove_after_commit(session: Session, storage: Storage, key: str) -> None:
    """The row of ``key`` is deleted in this transaction: record the file, and delete it as
    soon as the transaction commits (the worker deletes it should that fail)."""
    queue_removals(session, [key])
    _pending(session).removed.append((storage, key))


def remove_queued_files(
    sessions: sessionmaker[Session],
    storage: Storage,
    *,
    now: datetime | None = None,
    batch: int = 100,
) -> int:
    """Delete a batch of recorded files, then their records; returns how many were tried.

    The claim commits before the deletes (with a lease, so several workers share the work);
    a failed delete is retried later with backoff, never given up.
    """
    claimed_at = now or utcnow()
    with sessions() as session, session.begin():
        keys = {
            row.storage_key: REMOVALS.lease(row, claimed_at, LEASE.total_seconds())
            for row in REMOVALS.claim(session, claimed_at, batch)
        }
    failed: dict[str, str] = {}
    for key in keys:
        try:
            storage.delete(key)
        except Exception as exc:  # noqa: BLE001 - one unreachable file must not stop the rest
            failed[key] = f"{type(exc).__name__}: {str(exc)[:200]}"
            log.warning("stored file %s could not be deleted (%s)", key, type(exc).__name__)
    done = [key for key in keys if key not in failed]
    with sessions() as session, session.begin():
        if done:
            session.execute(
                delete(StoredFileRemoval).where(StoredFileRemoval.storage_key.in_(done))
            )
        for key, error in failed.items():
            session.execute(
                update(StoredFileRemoval)
                .where(StoredFileRemoval.storage_key == key)
                .values(
                    last_error=error[:300],
                    next_attempt_at=(now or utcnow()) + _BACKOFF.delay(keys[key]),
                )
            )
    return len(keys)


def removal_step(engine: Engine, storage: Storage) -> Callable[[], int]:
    """Deleting recorded files, as a step of the worker loop (``simpul.core.jobs``)."""
    sessions = sessionmaker(bind=engine, expire_on_commit=False)

    def step() -> int:
        return remove_queued_files(sessions, storage)

    return step
