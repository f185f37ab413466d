"""Engine and sessions. One PostgreSQL everywhere: the configured one or the embedded one.

A web request's session (``DbSession``) follows one rule: **giving a connection back never
waits for anything a new request could be holding.** Requests that work with the database are
admitted by a ``SessionGate`` (at most ``Settings.concurrent_requests()`` at once per process,
the rest wait ``request_queue_seconds`` and are then refused with 503), so every admitted
request finds a pooled connection and a worker thread; the session is ended (commit or
rollback, then close) by the route class, in a worker thread of its own and shielded from
cancellation, and the slot is given back after it. See docs/decisions/0025.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections.abc import AsyncIterator
from functools import lru_cache
from pathlib import Path
from typing import Annotated
from weakref import WeakKeyDictionary

import anyio
import anyio.to_thread
from anyio.lowlevel import RunVar
from fastapi import Depends, Request
from sqlalchemy import Engine, create_engine, text

# Re-exported: routes take their Session type from here, not from sqlalchemy (decision 0033).
from sqlalchemy.orm import Session as Session  # noqa: PLC0414
from sqlalchemy.orm import sessionmaker

from simpul.core.embedded import (
    ensure_database,
    is_initialised,
    start_embedded_server,
    with_database,
)
from simpul.core.errors import ServiceUnavailable
from simpul.core.i18n import _
from simpul.core.settings import Settings, get_settings

log = logging.getLogger(__name__)

#: The ASGI scope extension (set by ``core.httpserver``'s protocol) whose ``"event"``, an
#: ``asyncio.Event``, is set when the request's client hangs up.
CLIENT_GONE = "simpul.client_gone"

#: What a 503 tells the client to wait before trying again, in seconds.
RETRY_AFTER_SECONDS = 2

EMBEDDED_DATABASE = "simpul"

#: The embedded cluster this process created (so its database holds nothing yet), if any.
_created_embedded: set[Path] = set()


def sqlalchemy_url(url: str) -> str:
    """Use the psycopg 3 driver whatever scheme the URL was given with."""
    for scheme in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme) :]
    raise ValueError("SIMPUL_DATABASE_URL must be a postgresql:// URL")


def database_url(settings: Settings) -> str:
    """The URL of the database to use, starting the embedded server when none is configured."""
    if settings.database_url:
        return sqlalchemy_url(settings.database_url)
    pgdata = (settings.data_dir / "pgdata").resolve()
    new_cluster = not is_initialised(pgdata)
    base = start_embedded_server(pgdata)
    if ensure_database(base, EMBEDDED_DATABASE) or new_cluster:
        _created_embedded.add(pgdata)
        log.warning(
            _(
                "SIMPUL_DATABASE_URL tidak diisi dan %(path)s belum ada: PostgreSQL bawaan "
                "yang baru dan kosong dibuat di sana."
            ),
            {"path": pgdata},
        )
    else:
        log.info(_("Memakai PostgreSQL bawaan di %(path)s."), {"path": pgdata})
    return sqlalchemy_url(with_database(base, EMBEDDED_DATABASE))


def created_empty_embedded_database() -> Path | None:
    """The data directory of the embedded database this process has just created, if it
    did: a command that needs existing data refuses to run against it."""
    return next(iter(_created_embedded), None)


def make_engine(url: str, settings: Settings) -> Engine:
    return create_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
        pool_pre_ping=True,
        # No server-side prepared statements: after five runs PostgreSQL may plan them once
        # for any parameter (a generic plan), which made reports 5x slower at scale; they
        # also do not pass through pgbouncer's transaction pooling. Decision 0034.
        connect_args={"prepare_threshold": None},
    )


@lru_cache
def get_engine() -> Engine:
    settings = get_settings()
    return make_engine(database_url(settings), settings)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


def overloaded() -> ServiceUnavailable:
    """The 503 of a server that cannot take the request now."""
    return ServiceUnavailable(
        _("Server sedang sibuk. Silakan coba lagi dalam beberapa detik."),
        retry_after_seconds=RETRY_AFTER_SECONDS,
    )


# One semaphore per gate and event loop (a test client may run an app on several loops).
_gate_slots: RunVar[WeakKeyDictionary[SessionGate, anyio.Semaphore]] = RunVar("simpul_gate_slots")


class SessionGate:
    """At most ``limit`` requests of the process hold a database session at once; the others
    wait in turn for at most ``queue_seconds``, then are refused (503 with ``Retry-After``)."""

    def __init__(self, limit: int, queue_seconds: float) -> None:
        self.limit = limit
        self.queue_seconds = queue_seconds

    def _slots(self) -> anyio.Semaphore:
        semaphores = _gate_slots.get(None)
        if semaphores is None:
            semaphores = WeakKeyDictionary()
            _gate_slots.set(semaphores)
        slots = semaphores.get(self)
        if slots is None:
            slots = semaphores[self] = anyio.Semaphore(self.limit)
        return slots

    async def enter(self, gone: asyncio.Event | None = None) -> None:
        """Take a slot, waiting in turn; ``ServiceUnavailable`` when none frees in time.
        ``gone`` is set when the client hangs up: then the request leaves the queue
        (``ClientGone``) instead of taking a slot for an answer nobody will read."""
        if gone is not None and gone.is_set():
            raise ClientGone
        slots = self._slots()
        try:
            slots.acquire_nowait()
        except anyio.WouldBlock:
            pass
        else:
            return
        acquired = False
        with anyio.move_on_after(self.queue_seconds):
            async with anyio.create_task_group() as group:
                if gone is not None:
                    group.start_soon(_cancel_when_set, gone, group.cancel_scope)
                await slots.acquire()
                acquired = True
                group.cancel_scope.cancel()
        if acquired and gone is not None and gone.is_set():
            slots.release()
            acquired = False
        if not acquired:
            raise ClientGone if gone is not None and gone.is_set() else overloaded()

    def leave(self) -> None:
        self._slots().release()


async def _cancel_when_set(event: asyncio.Event, scope: anyio.CancelScope) -> None:
    await event.wait()
    scope.cancel()


class ClientGone(Exception):
    """The client hung up while its request waited for its turn: nothing is done for it."""


def client_gone_event(request: Request) -> asyncio.Event | None:
    """The event the server sets when this request's client hangs up (``simpul serve``'s
    protocol provides it; other servers, such as the test client, do not)."""
    extension = request.scope.get("extensions", {}).get(CLIENT_GONE)
    event = extension.get("event") if extension else None
    return event if isinstance(event, asyncio.Event) else None


def _end_session(session: Session, commit: bool) -> None:
    try:
        if commit:
            session.commit()
    finally:
        session.close()  # rolls back what is left and gives the connection back to the pool


class RequestSession:
    """A request's session and its slot in the gate, ended exactly once."""

    def __init__(self, session: Session, gate: SessionGate) -> None:
        self.session = session
        self._gate = gate
        self._ended = False

    async def end(self, *, commit: bool) -> None:
        """Commit (or roll back), close and give the slot back; a failed commit is raised
        after the rest is done. Shielded from cancellation, on a worker thread of its own:
        ending never waits for the threads or connections that new requests are using."""
        if self._ended:
            return
        self._ended = True
        try:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(
                    _end_session, self.session, commit, limiter=anyio.CapacityLimiter(1)
                )
        finally:
            self._gate.leave()


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request, admitted by the app's ``SessionGate``; the route class ends
    it at the boundary (see web.routing), and this ends it otherwise."""
    gate: SessionGate = request.app.state.session_gate
    factory: sessionmaker[Session] = request.app.state.session_factory
    await gate.enter(client_gone_event(request))
    held = RequestSession(factory(), gate)  # no connection yet: it is taken at the first query
    request.state.db = held
    try:
        yield held.session
    finally:
        await held.end(commit=False)


DbSession = Annotated[Session, Depends(get_session)]


def schema_is_migrated(session: Session) -> bool:
    """Whether Alembic has run on this database (its version table exists)."""
    return session.execute(text("SELECT to_regclass('alembic_version')")).scalar() is not None


def ping(session: Session) -> None:
    """Raise unless the database answers (for health checks)."""
    session.execute(text("SELECT 1"))


class DatabaseProbe:
    """Whether the database answers, for ``/healthz``: cheap under any load. One ping at a
    time, on a worker thread of its own; its answer is reused for ``fresh_seconds``, and
    while a ping is under way callers get the last answer instead of waiting. A ping slower
    than ``timeout_seconds`` counts as no answer."""

    def __init__(self, fresh_seconds: float = 1.0, timeout_seconds: float = 3.0) -> None:
        self.fresh_seconds = fresh_seconds
        self.timeout_seconds = timeout_seconds
        self._pinging = threading.Lock()
        self._answer = False
        self._answered_at = -math.inf

    def _ping(self, factory: sessionmaker[Session]) -> None:
        answer = False
        try:
            with factory() as session:
                ping(session)
            answer = True
        except Exception:  # whatever fails, the database does not answer
            log.warning("health check: the database does not answer", exc_info=True)
        finally:
            self._answer, self._answered_at = answer, time.monotonic()
            self._pinging.release()

    async def answers(self, factory: sessionmaker[Session]) -> bool:
        if time.monotonic() - self._answered_at < self.fresh_seconds:
            return self._answer
        if not self._pinging.acquire(blocking=False):
            return self._answer
        with anyio.move_on_after(self.timeout_seconds):
            await anyio.to_thread.run_sync(
                self._ping, factory, limiter=anyio.CapacityLimiter(1), abandon_on_cancel=True
            )
            return self._answer
        self._answer, self._answered_at = False, time.monotonic()
        return False
