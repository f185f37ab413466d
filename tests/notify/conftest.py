"""Notification tests on committed data: the worker claims and records deliveries in its own
transactions, so a rolled-back test transaction would be invisible to it.

``committed_url`` is ``<test database>_notify`` on the same server, migrated once per run.
Each test makes its own region; the outbox is emptied before each test because the worker
takes due deliveries of every region. Real servers on loopback: an SMTP server (aiosmtpd)
and an HTTP server (aiohttp) whose answers a test scripts.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiohttp import web
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

import simpul.notify.models  # noqa: F401 - the outbox tables on the metadata
from simpul.accounts.models import User
from simpul.applications import submission
from simpul.applications.models import Application, Notification
from simpul.core.database import sqlalchemy_url
from simpul.core.migrate import upgrade_to_head
from simpul.core.models import Region
from simpul.notify.config import NotifyConfig, SmtpConfig
from simpul.notify.models import Delivery
from simpul.notify.outbox import enqueue_for_notification
from tests.conftest import _server_url
from tests.factories import make_region, make_user
from tests.support.devserver import free_port, recreate_database


@pytest.fixture(scope="session")
def committed_url() -> str:
    server_url = _server_url()
    name = f"{make_url(sqlalchemy_url(server_url)).database}_notify"
    url = recreate_database(server_url, name)
    upgrade_to_head(sqlalchemy_url(url))
    return url


@pytest.fixture(scope="session")
def committed_engine(committed_url: str) -> Iterator[Engine]:
    engine = create_engine(sqlalchemy_url(committed_url), pool_size=4)
    yield engine
    engine.dispose()


@pytest.fixture
def committed_sessions(committed_engine: Engine) -> sessionmaker[Session]:
    """Sessions whose commits are real (and visible to the worker)."""
    with committed_engine.begin() as conn:
        conn.execute(text("TRUNCATE notification_delivery CASCADE"))
    return sessionmaker(bind=committed_engine, expire_on_commit=False)


@dataclass
class NotifyWorld:
    region: Region
    citizen: User  # reads Indonesian
    english_citizen: User
    application: Application
    english_application: Application


@pytest.fixture
def notify_world(committed_sessions: sessionmaker[Session]) -> NotifyWorld:
    slug = f"nt-{uuid.uuid4().hex[:10]}"
    with committed_sessions() as session, session.begin():
        region = make_region(session, slug, f"Kota Kabar {slug}")
        citizen = make_user(session, region, "siti.warga@example.org", "sandi-warga-1")
        english = make_user(
            session, region, "john.resident@example.org", "sandi-warga-2", nik="3273011505900002"
        )
        english.locale = "en"
        service = f"{slug}-layanan"
        application = submission.start_draft(session, region, citizen, service)
        english_application = submission.start_draft(session, region, english, service)
        for app in (application, english_application):
            app.tracking_number = f"NT-{uuid.uuid4().hex[:8].upper()}"
    return NotifyWorld(region, citizen, english, application, english_application)


def make_config(smtp_port: int = 9, webhook_url: str | None = None, **changes: Any) -> NotifyConfig:
    """Settings for tests: real loopback servers, retries a minute apart, three tries."""
    values: dict[str, Any] = {
        "smtp": SmtpConfig(host="127.0.0.1", port=smtp_port, timeout=5),
        "webhook_url": webhook_url,
        "public_url": "https://layanan.example.go.id",
        "max_attempts": 3,
        "retry_base_seconds": 60.0,
        "retry_max_seconds": 600.0,
        "lease_seconds": 300.0,
        "poll_seconds": 30.0,
    }
    values.update(changes)
    return NotifyConfig(**values)


def in_app_notice(session: Session, application: Application, kind: str) -> Notification:
    """The in-app notice alone, as ``notify_applicant`` writes it but without queueing its
    deliveries, so a test can queue them with its own ``NotifyConfig``."""
    notice = Notification(
        region_id=application.region_id,
        user_id=application.applicant_id,
        application_id=application.id,
        kind=kind,
        params={"number": application.tracking_number},
    )
    session.add(notice)
    session.flush()
    return notice


def notify(
    sessions: sessionmaker[Session],
    application: Application,
    config: NotifyConfig,
    kind: str = "completed",
) -> tuple[Notification, list[Delivery]]:
    """An application event, as the applications service writes it: the in-app notice and its
    deliveries in one committed transaction."""
    with sessions() as session, session.begin():
        notice = in_app_notice(session, application, kind)
        deliveries = list(enqueue_for_notification(session, notice, config=config))
    return notice, deliveries


class MailServer:
    """aiosmtpd on loopback, keeping what it receives."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.messages: list[EmailMessage] = []
        #: Addresses this server answers 550 for (a mailbox that does not exist).
        self.refuse: set[str] = set()
        self.envelopes: list[list[str]] = []
        self._controller = Controller(self, hostname="127.0.0.1", port=port)

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, _server: Any, _session: Any, envelope: Any, address: str, _options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        self.envelopes.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()


@contextmanager
def running_mail_server(port: int | None = None) -> Iterator[MailServer]:
    server = MailServer(port or free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Hook:
    """An HTTP receiver whose answers are scripted: the next status from ``statuses``, then
    200 once they run out. With ``together`` = n, the first n requests are answered only once
    all n are in flight at the same time (``met`` says whether they were, within 10 s)."""

    statuses: list[int] = field(default_factory=list)
    delay: float = 0.0
    together: int = 0
    met: bool = False
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _arrived: int = 0
    _all_here: asyncio.Event | None = None

    async def _wait_for_the_others(self) -> None:
        if self._all_here is None:
            self._all_here = asyncio.Event()
        self._arrived += 1
        if self._arrived > self.together:
            return
        if self._arrived == self.together:
            self.met = True
            self._all_here.set()
            return
        try:
            await asyncio.wait_for(self._all_here.wait(), timeout=10)
        except TimeoutError:
            self.together = 0  # give up: later requests are answered at once, ``met`` stays False

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if self.together:
            await self._wait_for_the_others()
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            self.received.append(({k.lower(): v for k, v in request.headers.items()}, body))
            status = self.statuses.pop(0) if self.statuses else 200
        return web.json_response({"status": status}, status=status)


@contextmanager
def running_hook(hook: Hook) -> Iterator[str]:
    """Serve ``hook`` on 127.0.0.1 in a background thread; yield its URL."""
    port = free_port()
    loop = asyncio.new_event_loop()
    app = web.Application()
    app.router.add_post("/kirim", hook.handle)
    runner = web.AppRunner(app, access_log=None)

    async def start() -> None:
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=10)
    try:
        yield f"http://127.0.0.1:{port}/kirim"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
