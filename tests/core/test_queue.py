"""The job queue itself (``simpul.core.queue``), on a table of its own made for these tests.

The rows are committed (two workers are two sessions on two connections), so the table is
created before and dropped after each test. It is a fixture, not part of Simpul's schema
(which only the migrations build): the queue must work on any table with the columns it
needs, and the domains' own queues are tested through their workers (tests/notify,
tests/documents, tests/security/test_abandoned_uploads.py).
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import DateTime, Engine, String
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from simpul.core.models import utcnow
from simpul.core.queue import Backoff, Queue, retry_delay


class _Base(DeclarativeBase):
    pass


class Status(enum.StrEnum):
    WAITING = "waiting"
    WORKING = "working"
    FAILED = "failed"
    DONE = "done"
    DEAD = "dead"


class Job(_Base):
    __tablename__ = "test_core_queue_job"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    status: Mapped[str] = mapped_column(String(20), default=Status.WAITING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


JOBS = Queue(
    Job,
    channel="simpul_test_queue",
    waiting=(Status.WAITING, Status.FAILED),
    working=Status.WORKING,
    retry=Status.FAILED,
    dead=Status.DEAD,
)
LEASE_SECONDS = 60.0


@pytest.fixture
def sessions(engine: Engine) -> Iterator[sessionmaker[Session]]:
    _Base.metadata.drop_all(engine)
    _Base.metadata.create_all(engine)
    yield sessionmaker(bind=engine, expire_on_commit=False)
    _Base.metadata.drop_all(engine)


def _add(sessions: sessionmaker[Session], count: int, *, due: datetime | None = None) -> None:
    with sessions() as session, session.begin():
        session.add_all(Job(next_attempt_at=due or utcnow()) for _ in range(count))


def _claim_and_lease(sessions: sessionmaker[Session], now: datetime) -> dict[uuid.UUID, int]:
    """What one worker's claim takes (committed): each job's attempt number."""
    with sessions() as session, session.begin():
        return {job.id: JOBS.lease(job, now, LEASE_SECONDS) for job in JOBS.claim(session, now, 10)}


def test_two_workers_claiming_at_once_never_get_the_same_job(
    sessions: sessionmaker[Session],
) -> None:
    _add(sessions, 6)
    now = utcnow()
    with sessions() as first, first.begin(), sessions() as second, second.begin():
        mine = {job.id for job in JOBS.claim(first, now, 4)}  # locked until ``first`` ends
        theirs = {job.id for job in JOBS.claim(second, now, 10)}
    assert len(mine) == 4
    assert len(theirs) == 2
    assert not mine & theirs


def test_a_leased_job_is_not_claimed_again_until_its_lease_runs_out(
    sessions: sessionmaker[Session],
) -> None:
    _add(sessions, 1)
    now = utcnow()
    first = _claim_and_lease(sessions, now)
    assert list(first.values()) == [1]
    assert _claim_and_lease(sessions, now + timedelta(seconds=LEASE_SECONDS - 1)) == {}
    later = now + timedelta(seconds=LEASE_SECONDS + 1)
    with sessions() as session, session.begin():
        [job] = JOBS.claim(session, later, 10)
        assert JOBS.lease_ran_out(job)  # the first worker stopped: its try is lost
        assert JOBS.lease(job, later, LEASE_SECONDS) == 2
    [job_id] = first
    with sessions() as session, session.begin():
        assert JOBS.held(session, job_id, 1) is None  # the first worker's outcome is refused
        taken_over = JOBS.held(session, job_id, 2)
        assert taken_over is not None
        assert taken_over.status == Status.WORKING


def test_retry_delays_double_up_to_the_cap_with_jitter() -> None:
    for attempts, full in [(1, 10), (2, 20), (3, 40), (4, 80), (5, 100), (12, 100)]:
        exact = retry_delay(attempts, base_seconds=10, max_seconds=100, jitter=False)
        assert exact == timedelta(seconds=full)
        delays = {
            retry_delay(attempts, base_seconds=10, max_seconds=100).total_seconds()
            for _ in range(50)
        }
        assert all(full / 2 <= d <= full for d in delays), (attempts, delays)
        assert len(delays) > 1  # jittered


def test_a_failed_job_comes_back_later_each_time_and_is_given_up_after_the_last_attempt(
    sessions: sessionmaker[Session],
) -> None:
    backoff = Backoff(max_attempts=3, base_seconds=10, max_seconds=100, jitter=False)
    _add(sessions, 1)
    now = utcnow()
    waits = []
    for attempt in (1, 2, 3):
        with sessions() as session, session.begin():
            [job] = JOBS.claim(session, now, 10)
            assert JOBS.lease(job, now, LEASE_SECONDS) == attempt
        with sessions() as session, session.begin():
            held = JOBS.held(session, job.id, attempt)
            assert held is not None
            status = JOBS.fail(held, now, backoff)
            waits.append(held.next_attempt_at - now)
        if attempt < 3:
            assert status is Status.FAILED
            assert _claim_and_lease(sessions, now) == {}  # not before its retry time
            now = held.next_attempt_at
    assert status is Status.DEAD
    assert waits[:2] == [timedelta(seconds=10), timedelta(seconds=20)]
    assert _claim_and_lease(sessions, now + timedelta(days=30)) == {}  # left alone


def test_a_permanent_failure_gives_up_at_once(sessions: sessionmaker[Session]) -> None:
    _add(sessions, 1)
    now = utcnow()
    [(job_id, attempt)] = _claim_and_lease(sessions, now).items()
    with sessions() as session, session.begin():
        held = JOBS.held(session, job_id, attempt)
        assert held is not None
        assert JOBS.fail(held, now, Backoff(max_attempts=5), permanent=True) is Status.DEAD


def test_a_job_due_later_is_not_claimed_before_its_time(sessions: sessionmaker[Session]) -> None:
    now = utcnow()
    _add(sessions, 1, due=now + timedelta(hours=1))
    assert _claim_and_lease(sessions, now) == {}
    assert _claim_and_lease(sessions, now + timedelta(minutes=59)) == {}
    assert list(_claim_and_lease(sessions, now + timedelta(hours=1)).values()) == [1]


def test_done_jobs_are_never_claimed(sessions: sessionmaker[Session]) -> None:
    _add(sessions, 1)
    now = utcnow()
    [(job_id, attempt)] = _claim_and_lease(sessions, now).items()
    with sessions() as session, session.begin():
        held = JOBS.held(session, job_id, attempt)
        assert held is not None
        held.status = Status.DONE
    assert _claim_and_lease(sessions, now + timedelta(days=1)) == {}


def test_wake_reaches_idle_workers_only_if_the_transaction_commits(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        listener = conn.connection.driver_connection
        assert listener is not None
        listener.execute(f"LISTEN {JOBS.channel}")
        with sessions() as session:
            session.begin()
            JOBS.wake(session)
            session.rollback()
        assert list(listener.notifies(timeout=0.5, stop_after=1)) == []
        with sessions() as session, session.begin():
            JOBS.wake(session)
        assert [n.channel for n in listener.notifies(timeout=5, stop_after=1)] == [JOBS.channel]
        listener.execute(f"UNLISTEN {JOBS.channel}")
