"""Deleting documents never attached to an application: a step of ``simpul worker``.

A citizen may upload documents ahead of a submission (the Registration API's ``/documents``);
those no submission attached within ``SIMPUL_UPLOAD_UNATTACHED_HOURS`` (24) are deleted, row
and file, on every storage backend. The rows go first, in one transaction that also records
their files for removal (``core/file_removals``); the files are deleted afterwards by the
removal step, which runs right after this one. A worker that dies in between leaves files
without rows, recorded, and the next run deletes them; never a row without its file.

A submission attaching a document locks it first (``repository.unattached_documents_of``), and
this step skips locked documents, so the two never meet halfway.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from simpul.applications import upload_repository
from simpul.applications.upload_limits import KEEP_ATTEMPTS
from simpul.core import file_removals
from simpul.core.models import utcnow

log = logging.getLogger(__name__)

BATCH: Final = 200
#: How often an idle worker looks for abandoned uploads (they only become due by the hour).
IDLE_INTERVAL_SECONDS: Final = 60.0


def forget_abandoned_uploads(
    engine: Engine, *, hours: float, now: datetime | None = None, batch: int = BATCH
) -> int:
    """Delete the rows of up to ``batch`` documents not attached within ``hours`` and record
    their files for removal, in one committed transaction; returns how many."""
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    return _forget(sessions, hours=hours, now=now or utcnow(), batch=batch)


def _forget(sessions: sessionmaker[Session], *, hours: float, now: datetime, batch: int) -> int:
    with sessions() as session, session.begin():
        documents = upload_repository.claim_abandoned_documents(
            session, now - timedelta(hours=hours), batch
        )
        if documents:
            upload_repository.delete_documents(session, [d.id for d in documents])
            file_removals.queue_removals(session, [d.storage_key for d in documents])
        upload_repository.delete_attempts_before(session, now - KEEP_ATTEMPTS)
    if documents:
        log.info("deleted %d documents never attached to an application", len(documents))
    return len(documents)


def abandoned_uploads_step(engine: Engine, *, hours: float) -> Callable[[], int]:
    """The clean-up as a step of the worker loop (``simpul.core.jobs``): it looks at most once
    a minute while nothing is due, and again at once while it finds full batches."""
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    next_look = 0.0

    def step() -> int:
        nonlocal next_look
        if time.monotonic() < next_look:
            return 0
        removed = _forget(sessions, hours=hours, now=utcnow(), batch=BATCH)
        if removed < BATCH:
            next_look = time.monotonic() + IDLE_INTERVAL_SECONDS
        return removed

    return step
