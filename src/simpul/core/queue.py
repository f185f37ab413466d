"""One job queue for every kind of background work: rows of a table are the jobs.

A domain keeps its own table (its rows are what users and officers see: a delivery's status,
a document being made) and describes it with a :class:`Queue`; this module does the rest the
same way for all of them:

* enqueue: the domain inserts its row in the transaction of the event that causes it (the
  outbox pattern: nothing is done for data that was rolled back) and calls :meth:`Queue.wake`,
  a PostgreSQL NOTIFY that is delivered only if that transaction commits;
* due time: a row is claimed once ``next_attempt_at <= now``; a job for later (a timed job) is
  a row inserted with ``next_attempt_at`` in the future;
* claim with a lease: :meth:`Queue.claim` locks due rows with ``FOR UPDATE SKIP LOCKED`` (two
  workers never get the same row), :meth:`Queue.lease` marks one as being worked on until
  ``now + lease`` and counts the attempt; the claiming transaction commits before the slow
  work. A worker that dies leaves its rows leased; once the lease runs out they are due again
  and another worker takes them over (:meth:`Queue.lease_ran_out` tells it so);
* finish: :meth:`Queue.held` locks the row again only if it is still this attempt's (not
  taken over meanwhile); the domain writes the outcome;
* failure: :meth:`Queue.fail` puts the row back after :func:`retry_delay` (doubling, capped,
  half of it random) or, after the last attempt or a permanent error, gives it up (dead).

The table needs the columns ``id``, ``attempts`` and ``next_attempt_at``, and ``status``
unless the queue has no statuses (a row is then waiting until it is deleted, never given up).
``core/jobs.py`` runs the domains' steps in the ``simpul worker`` loop.
"""

from __future__ import annotations

import enum
import random
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

_random = random.SystemRandom()

Row = TypeVar("Row")


def retry_delay(
    attempts: int, *, base_seconds: float, max_seconds: float, jitter: bool = True
) -> timedelta:
    """How long to wait after the ``attempts``-th failed try: doubling from ``base_seconds``,
    capped at ``max_seconds``; with ``jitter`` half of it is random, so many jobs that failed
    together do not come back in one burst."""
    delay = min(max_seconds, base_seconds * 2 ** max(attempts - 1, 0))
    if not jitter:
        return timedelta(seconds=delay)
    return timedelta(seconds=delay / 2 + _random.uniform(0, delay / 2))


@dataclass(frozen=True)
class Backoff:
    """A queue's retry policy: attempts before giving up and the delays between them."""

    max_attempts: int = 5
    base_seconds: float = 30.0
    max_seconds: float = 3600.0
    jitter: bool = True

    def delay(self, attempts: int) -> timedelta:
        return retry_delay(
            attempts,
            base_seconds=self.base_seconds,
            max_seconds=self.max_seconds,
            jitter=self.jitter,
        )


@dataclass(frozen=True)
class Queue(Generic[Row]):
    """A table whose rows are jobs, and the statuses that tell where a row is.

    ``waiting``: statuses of rows due at ``next_attempt_at`` (first try, retry); ``working``:
    the status of a leased row (due again when its lease runs out); ``retry``: the status a
    failed row goes back to; ``dead``: given up. A queue without ``working`` has no status
    column: every row is waiting until it is deleted.
    """

    model: type[Row]
    #: The PostgreSQL NOTIFY channel that wakes idle workers (None: workers find the rows by
    #: polling).
    channel: str | None = None
    waiting: Collection[enum.Enum] = ()
    working: enum.Enum | None = None
    retry: enum.Enum | None = None
    dead: enum.Enum | None = None

    def _column(self, name: str) -> Any:
        return getattr(self.model, name)

    def wake(self, session: Session) -> None:
        """Wake idle workers once the caller's transaction commits (never if it rolls back)."""
        assert self.channel is not None, "this queue has no NOTIFY channel"
        session.execute(select(func.pg_notify(self.channel, "")))

    def claim(self, session: Session, now: datetime, limit: int) -> list[Row]:
        """Due rows nobody else holds (earliest first), locked until the caller's transaction
        ends; waiting rows whose time has come and leased rows whose lease ran out.

        ``SKIP LOCKED`` lets several workers claim at once without waiting for or doubling up
        on each other's rows.
        """
        due = self._column("next_attempt_at")
        statement = select(self.model).where(due <= now)
        if self.working is not None:
            statement = statement.where(self._column("status").in_([*self.waiting, self.working]))
        return list(
            session.scalars(statement.order_by(due).limit(limit).with_for_update(skip_locked=True))
        )

    def lease_ran_out(self, row: Row) -> bool:
        """Whether a claimed row was being worked on by a worker that stopped (its lease ran
        out): that try is lost but counted."""
        return self.working is not None and self._get(row, "status") == self.working

    def out_of_attempts(self, row: Row, backoff: Backoff) -> bool:
        return int(self._get(row, "attempts")) >= backoff.max_attempts

    def lease(self, row: Row, now: datetime, lease_seconds: float) -> int:
        """Count a new attempt and hold the row for this worker until ``now + lease``.
        Returns the attempt's number (what :meth:`held` checks afterwards)."""
        attempt = int(self._get(row, "attempts")) + 1
        self._set(row, "attempts", attempt)
        if self.working is not None:
            self._set(row, "status", self.working)
        self._set(row, "next_attempt_at", now + timedelta(seconds=lease_seconds))
        return attempt

    def held(self, session: Session, row_id: uuid.UUID, attempt: int) -> Row | None:
        """The row, locked, if it is still attempt ``attempt``'s; None if it is gone or another
        worker took it over after the lease ran out (that worker records the outcome)."""
        statement = select(self.model).where(
            self._column("id") == row_id, self._column("attempts") == attempt
        )
        if self.working is not None:
            statement = statement.where(self._column("status") == self.working)
        return session.scalars(statement.with_for_update()).one_or_none()

    def fail(
        self, row: Row, now: datetime, backoff: Backoff, *, permanent: bool = False
    ) -> enum.Enum | None:
        """A try failed: give the row up after its last attempt (or when ``permanent``),
        otherwise put it back to be retried after the backoff. Returns the new status."""
        if self.dead is not None and (permanent or self.out_of_attempts(row, backoff)):
            self._set(row, "status", self.dead)
            return self.dead
        if self.retry is not None:
            self._set(row, "status", self.retry)
        self._set(row, "next_attempt_at", now + backoff.delay(int(self._get(row, "attempts"))))
        return self.retry

    def give_up(self, row: Row) -> None:
        assert self.dead is not None
        self._set(row, "status", self.dead)

    @staticmethod
    def _get(row: Row, name: str) -> Any:
        return getattr(row, name)

    @staticmethod
    def _set(row: Row, name: str, value: object) -> None:
        setattr(row, name, value)
