"""Deliveries are queued with the in-app notification, to the channels the reader chose."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from simpul.applications.models import Notification
from simpul.core.errors import InvalidInput
from simpul.notify.models import Channel, Delivery, DeliveryStatus
from simpul.notify.outbox import enqueue_for_notification, set_channel
from simpul.notify.repository import OUTBOX_CHANNEL
from tests.notify.conftest import NotifyWorld, in_app_notice, make_config, notify

HOOK = "https://wa-adapter.example.go.id/kirim"


def _count(sessions: sessionmaker[Session], model: type[object], **where: object) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model).filter_by(**where)) or 0


def _listener(engine: Engine) -> psycopg.Connection[tuple[object, ...]]:
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    conn = psycopg.connect(url, autocommit=True)
    conn.execute(f"LISTEN {OUTBOX_CHANNEL}")
    return conn


def test_rolled_back_event_queues_nothing_and_wakes_no_worker(
    committed_sessions: sessionmaker[Session], committed_engine: Engine, notify_world: NotifyWorld
) -> None:
    config = make_config(webhook_url=HOOK)
    with _listener(committed_engine) as listener:
        with committed_sessions() as session, session.begin():
            notice = in_app_notice(session, notify_world.application, "completed")
            queued = enqueue_for_notification(session, notice, config=config)
            assert {d.channel for d in queued} == {Channel.EMAIL, Channel.WEBHOOK}
            session.rollback()
        assert list(listener.notifies(timeout=0.5, stop_after=1)) == []
        assert _count(committed_sessions, Notification, user_id=notify_world.citizen.id) == 0
        assert _count(committed_sessions, Delivery) == 0

        notice, _ = notify(committed_sessions, notify_world.application, config)
        assert [n.channel for n in listener.notifies(timeout=5, stop_after=1)] == [OUTBOX_CHANNEL]
    with committed_sessions() as session:
        rows = session.scalars(select(Delivery).where(Delivery.notification_id == notice.id)).all()
    assert {(d.channel, d.recipient, d.status, d.attempts) for d in rows} == {
        (Channel.EMAIL, "siti.warga@example.org", DeliveryStatus.PENDING, 0),
        (Channel.WEBHOOK, HOOK, DeliveryStatus.PENDING, 0),
    }


def test_citizens_choose_their_channels(
    committed_sessions: sessionmaker[Session], notify_world: NotifyWorld
) -> None:
    with_hook = make_config(webhook_url=HOOK)
    without_hook = make_config()
    # No messaging gateway configured: e-mail only, whatever the citizen asked for.
    _, deliveries = notify(committed_sessions, notify_world.application, without_hook)
    assert [d.channel for d in deliveries] == [Channel.EMAIL]

    with committed_sessions() as session, session.begin():
        set_channel(session, notify_world.region, notify_world.citizen, "email", enabled=False)
    _, deliveries = notify(committed_sessions, notify_world.application, with_hook)
    assert [d.channel for d in deliveries] == [Channel.WEBHOOK]

    with committed_sessions() as session, session.begin():
        set_channel(session, notify_world.region, notify_world.citizen, "webhook", enabled=False)
    notice, deliveries = notify(committed_sessions, notify_world.application, with_hook)
    assert deliveries == []
    # The in-app notification is still there: it is never switched off.
    assert _count(committed_sessions, Notification, id=notice.id) == 1

    with committed_sessions() as session, session.begin():
        set_channel(session, notify_world.region, notify_world.citizen, "email", enabled=True)
    _, deliveries = notify(committed_sessions, notify_world.application, with_hook)
    assert [d.channel for d in deliveries] == [Channel.EMAIL]


def test_unknown_channel_is_refused_by_name(
    committed_sessions: sessionmaker[Session], notify_world: NotifyWorld
) -> None:
    with committed_sessions() as session, pytest.raises(InvalidInput) as refused:
        set_channel(session, notify_world.region, notify_world.citizen, "fax", enabled=True)
    assert refused.value.field_errors().keys() == {"channel"}


def test_an_application_event_queues_its_e_mail_in_the_same_transaction(
    committed_sessions: sessionmaker[Session], notify_world: NotifyWorld
) -> None:
    """The wiring in applications.notices: the in-app notice and its e-mail, together."""
    from simpul.applications.notices import notify_applicant

    with committed_sessions() as session, session.begin():
        notice = notify_applicant(session, notify_world.application, "completed")
        session.flush()
        queued = session.scalars(select(Delivery).where(Delivery.notification_id == notice.id))
        assert [d.channel for d in queued] == [Channel.EMAIL]
        session.rollback()
    assert _count(committed_sessions, Delivery) == 0
