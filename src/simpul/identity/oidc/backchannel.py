"""Delivering back-channel logout tokens (OpenID Connect Back-Channel Logout 1.0, 2.5): a
step of ``simpul worker`` POSTs each queued ``logout_token`` to its client's
``backchannel_logout_uri`` and retries failures with growing delays.

A row is claimed with ``FOR UPDATE SKIP LOCKED`` and its ``next_attempt_at`` moved a lease
ahead in the claiming transaction, so a worker that dies mid-delivery leaves it due again
later, and two workers never post the same row at once.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from simpul.core.models import utcnow
from simpul.core.queue import retry_delay
from simpul.identity.oidc import repository
from simpul.identity.oidc.repository import BACKCHANNEL_CHANNEL

log = logging.getLogger(__name__)

#: Tries before a logout token is given up (over about a day with the delays below).
MAX_ATTEMPTS = 8
_BASE_SECONDS = 30.0
_MAX_SECONDS = 3 * 3600.0
_LEASE = timedelta(minutes=5)
_TIMEOUT = 10.0
_BATCH = 20

__all__ = ["BACKCHANNEL_CHANNEL", "backchannel_step", "deliver_due"]


def post_logout_token(uri: str, token: str) -> str:
    """POST one logout token; returns "" when the client took it (200 or 204), else why not."""
    request = urllib.request.Request(  # noqa: S310 - the admin registered an http(s) URI
        uri,
        data=urllib.parse.urlencode({"logout_token": token}).encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cache-Control": "no-store",
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as error:
        error.close()
        return f"HTTP {error.code}"
    except (urllib.error.URLError, OSError, ValueError) as error:
        return f"{type(error).__name__}: {error}"[:500]
    return "" if status in (200, 204) else f"HTTP {status}"


def deliver_due(sessions: sessionmaker[Session], *, now: Callable[[], datetime] = utcnow) -> int:
    """Deliver the logout tokens due now; returns how many were tried."""
    with sessions() as session, session.begin():
        claimed = repository.claim_backchannel(session, now(), _BATCH)
        jobs = []
        for row, client in claimed:
            row.attempts += 1
            row.next_attempt_at = now() + _LEASE
            jobs.append((row.id, row.attempts, row.logout_token, client.backchannel_logout_uri))
    if not jobs:
        return 0
    for row_id, attempts, token, uri in jobs:
        _record(sessions, row_id, attempts, post_logout_token(uri, token), now())
    return len(jobs)


def _record(
    sessions: sessionmaker[Session], row_id: uuid.UUID, attempts: int, error: str, at: datetime
) -> None:
    with sessions() as session, session.begin():
        row = repository.get_backchannel(session, row_id)
        if row is None or row.attempts != attempts or row.delivered_at is not None:
            return  # taken over by another worker after our lease ran out
        if not error:
            row.delivered_at, row.last_error = at, ""
            return
        row.last_error = error
        if attempts >= MAX_ATTEMPTS:
            row.gave_up_at = at
            log.warning("back-channel logout %s given up: %s", row_id, error)
        else:
            delay = retry_delay(attempts, base_seconds=_BASE_SECONDS, max_seconds=_MAX_SECONDS)
            row.next_attempt_at = at + delay


def backchannel_step(engine: Engine) -> Callable[[], int]:
    """Delivery as a step of the worker loop (woken by ``BACKCHANNEL_CHANNEL``)."""
    sessions = sessionmaker(bind=engine, expire_on_commit=False)

    def step() -> int:
        return deliver_due(sessions)

    return step
