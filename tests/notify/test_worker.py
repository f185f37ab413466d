"""The worker delivers to real servers on loopback, retries with backoff, gives up after the
last try, never sends one delivery twice, and takes over from a worker that died."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import uuid
from datetime import datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from simpul.core.models import utcnow
from simpul.core.security import derived_key
from simpul.notify.channels import IDEMPOTENCY_HEADER, SIGNATURE_HEADER, Job
from simpul.notify.config import NotifyConfig
from simpul.notify.models import (
    AttemptOutcome,
    Channel,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
)
from simpul.notify.worker import deliver_due, run_worker
from tests.notify.conftest import (
    Hook,
    NotifyWorld,
    make_config,
    notify,
    running_hook,
    running_mail_server,
)
from tests.support.devserver import free_port


def _delivery(sessions: sessionmaker[Session], delivery_id: uuid.UUID) -> Delivery:
    with sessions() as session:
        delivery = session.get(Delivery, delivery_id)
        assert delivery is not None
        return delivery


def _log(sessions: sessionmaker[Session], delivery_id: uuid.UUID) -> list[tuple[int, str, str]]:
    with sessions() as session:
        rows = session.scalars(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.delivery_id == delivery_id)
            .order_by(DeliveryAttempt.number, DeliveryAttempt.at)
        )
        return [(a.number, a.outcome.value, a.detail) for a in rows]


def _text_and_html(message: object) -> tuple[str, str]:
    from email.message import EmailMessage

    assert isinstance(message, EmailMessage)
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    assert text_part is not None and html_part is not None
    return str(text_part.get_content()), str(html_part.get_content())


def test_email_reaches_a_real_smtp_server_in_the_readers_language(
    committed_engine: Engine, committed_sessions: sessionmaker[Session], notify_world: NotifyWorld
) -> None:
    with running_mail_server() as mail:
        config = make_config(mail.port)
        _, (indonesian,) = notify(committed_sessions, notify_world.application, config)
        _, (english,) = notify(committed_sessions, notify_world.english_application, config)

        assert run_worker(committed_engine, once=True, config=config) == 2

    assert sorted(mail.envelopes) == [["john.resident@example.org"], ["siti.warga@example.org"]]
    by_recipient = {str(m["To"]): m for m in mail.messages}
    number = notify_world.application.tracking_number
    text, html = _text_and_html(by_recipient["siti.warga@example.org"])
    assert f"Permohonan {number} selesai." in text
    assert f"Permohonan {number} selesai." in html
    url = (
        f"https://layanan.example.go.id/{notify_world.region.slug}/permohonan/"
        f"{notify_world.application.id}"
    )
    assert url in text and f'href="{url}"' in html
    assert by_recipient["siti.warga@example.org"]["Subject"] == f"Kabar permohonan {number}"

    english_number = notify_world.english_application.tracking_number
    text, html = _text_and_html(by_recipient["john.resident@example.org"])
    assert f"Application {english_number} is complete." in text
    assert f"Application {english_number} is complete." in html
    assert "selesai" not in text

    for delivery in (indonesian, english):
        row = _delivery(committed_sessions, delivery.id)
        assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.DELIVERED, 1, "")
        assert row.delivered_at is not None
        assert _log(committed_sessions, delivery.id) == [(1, "delivered", "SMTP 250")]


def test_smtp_server_down_is_retried_with_backoff_and_delivered_when_it_starts(
    committed_engine: Engine, committed_sessions: sessionmaker[Session], notify_world: NotifyWorld
) -> None:
    port = free_port()  # nothing listens here yet
    config = make_config(port)
    _, (delivery,) = notify(committed_sessions, notify_world.application, config)

    before = utcnow()
    assert deliver_due(committed_engine, config) == 1
    failed = _delivery(committed_sessions, delivery.id)
    assert (failed.status, failed.attempts) == (DeliveryStatus.FAILED, 1)
    assert "unreachable" in failed.last_error
    assert "siti" not in failed.last_error  # no address in what officers and logs see
    # The first retry waits between half and all of the base delay.
    assert before + timedelta(seconds=30) <= failed.next_attempt_at
    assert failed.next_attempt_at <= utcnow() + timedelta(seconds=60)
    assert deliver_due(committed_engine, config) == 0  # not due yet: nothing is sent

    with running_mail_server(port) as mail:
        at_retry = failed.next_attempt_at + timedelta(seconds=1)
        assert deliver_due(committed_engine, config, now=at_retry) == 1
    assert len(mail.messages) == 1
    delivered = _delivery(committed_sessions, delivery.id)
    assert (delivered.status, delivered.attempts) == (DeliveryStatus.DELIVERED, 2)
    log = _log(committed_sessions, delivery.id)
    assert [(n, outcome) for n, outcome, _ in log] == [(1, "failed"), (2, "delivered")]


def _verify_signature(headers: dict[str, str], body: bytes) -> bool:
    expected = hmac.new(derived_key("notify-webhook"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(headers[SIGNATURE_HEADER.lower()], f"sha256={expected}")


def test_webhook_gets_signed_json_with_the_delivery_as_idempotency_key(
    committed_engine: Engine, committed_sessions: sessionmaker[Session], notify_world: NotifyWorld
) -> None:
    hook = Hook()
    with running_hook(hook) as url:
        config = make_config(webhook_url=url)
        with committed_sessions() as session, session.begin():
            from simpul.notify.outbox import set_channel

            set_channel(session, notify_world.region, notify_world.citizen, "email", enabled=False)
        notice, (delivery,) = notify(committed_sessions, notify_world.application, config)
        assert delivery.channel is Channel.WEBHOOK
        assert run_worker(committed_engine, once=True, config=config) == 1

    ((headers, body),) = hook.received
    assert _verify_signature(headers, body)
    assert not _verify_signature(headers, body.replace(b"selesai", b"ditolak"))
    assert headers[IDEMPOTENCY_HEADER.lower()] == str(delivery.id)
    assert headers["content-type"].startswith("application/json")
    payload = json.loads(body)
    number = notify_world.application.tracking_number
    assert payload == {
        "id": str(delivery.id),
        "event": "completed",
        "region": notify_world.region.slug,
        "recipient": {
            "id": str(notify_world.citizen.id),
            "name": notify_world.citizen.full_name,
            "email": "siti.warga@example.org",
            "phone": notify_world.citizen.phone,
        },
        "message": {
            "title": f"Kabar permohonan {number}",
            "body": f"Permohonan {number} selesai.",
            "url": f"https://layanan.example.go.id/{notify_world.region.slug}/permohonan/"
            f"{notify_world.application.id}",
        },
        "locale": "id",
    }
    assert notice.id is not None
    assert _delivery(committed_sessions, delivery.id).status is DeliveryStatus.DELIVERED


def _webhook_only(sessions: sessionmaker[Session], world: NotifyWorld) -> None:
    from simpul.notify.outbox import set_channel

    with sessions() as session, session.begin():
        set_channel(session, world.region, world.citizen, "email", enabled=False)


def _run_until_settled(
    engine: Engine, config: NotifyConfig, sessions: sessionmaker[Session], delivery_id: uuid.UUID
) -> list[datetime]:
    """Run the worker at each retry time (no sleeping); return the times it ran."""
    times: list[datetime] = []
    now = utcnow()
    for _ in range(config.max_attempts + 2):
        if deliver_due(engine, config, now=now) == 0:
            break
        times.append(now)
        row = _delivery(sessions, delivery_id)
        if row.status is not DeliveryStatus.FAILED:
            break
        now = row.next_attempt_at + timedelta(milliseconds=1)
    return times


def test_webhook_failing_twice_then_recovering_is_delivered_on_the_third_try(
    committed_engine: Engine, committed_sessions: sessionmaker[Session], notify_world: NotifyWorld
) -> None:
    _webhook_only(committed_sessions, notify_world)
    hook = Hook(statuses=[500, 503])
    with running_hook(hook) as url:
        config = make_config(webhook_url=url)
        _, (delivery,) = notify(committed_sessions, notify_world.application, config)
        times = _run_until_settled(committed_engine, config, committed_sessions, delivery.id)

    assert len(hook.received) == 3
    assert {headers[IDEMPOTENCY_HEADER.lower()] for headers, _ in hook.received} == {
        str(delivery.id)
    }  # the adapter can tell it is the same message
    row = _delivery(committed_sessions, delivery.id)
    assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.DELIVERED, 3, "")
    assert _log(committed_sessions, delivery.id) == [
        (1, "failed", "HTTP 500"),
        (2, "failed", "HTTP 503"),
        (3, "delivered", "HTTP 200"),
    ]
    # Exponential backoff: the second wait is in [60 s, 120 s], the first in [30 s, 60 s].
    first, second = times[1] - times[0], times[2] - times[1]
    assert timedelta(seconds=30) <= first <= timedelta(seconds=61)
    assert timedelta(seconds=60) <= second <= timedelta(seconds=121)


def test_the_delivery_backoff_doubles_with_jitter_and_is_capped() -> None:
    config = make_config(retry_base_seconds=10, retry_max_seconds=100)
    for attempts, full in [(1, 10), (2, 20), (3, 40), (4, 80), (5, 100), (12, 100)]:
        delays = {config.backoff.delay(attempts).total_seconds() for _ in range(50)}
        assert all(full / 2 <= d <= full for d in delays), (attempts, delays)
        assert len(delays) > 1  # jittered


def test_after_the_last_try_a_delivery_is_dead_and_left_alone(
    committed_engine: Engine, committed_sessions: sessionmaker[Session], notify_world: NotifyWorld
) -> None:
    _webhook_only(committed_sessions, notify_world)
    hook = Hook(statuses=[500] * 10)
    with running_hook(hook) as url:
        config = make_config(webhook_url=url, max_attempts=3)
        _, (delivery,) = notify(committed_sessions, notify_world.application, config)
        _run_until_settled(committed_engine, config, committed_sessions, delivery.id)
        assert deliver_due(committed_engine, config, now=utcnow() + timedelta(days=30)) == 0

    assert len(hook.received) == 3
    row = _delivery(committed_sessions, delivery.id)
    assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.DEAD, 3, "HTTP 500")
    assert [o for _, o, _ in _log(committed_sessions, delivery.id)] == ["failed"] * 3


def test_a_refusal_that_cannot_change_is_dead_at_once(
    committed_engine: Engine, committed_sessions: sessionmaker[Session], notify_world: NotifyWorld
) -> None:
    _webhook_only(committed_sessions, notify_world)
    hook = Hook(statuses=[404])
    with running_hook(hook) as url:
        config = make_config(webhook_url=url)
        _, (delivery,) = notify(committed_sessions, notify_world.application, config)
        assert deliver_due(committed_engine, config) == 1
    row = _delivery(committed_sessions, delivery.id)
    assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.DEAD, 1, "HTTP 404")


def test_two_workers_never_send_the_same_delivery(
    committed_engine: Engine, committed_sessions: sessionmaker[Session], notify_world: NotifyWorld
) -> None:
    _webhook_only(committed_sessions, notify_world)
    # The first two sends are answered only once both are in flight: one worker sends one at a
    # time, so this holds only if the two workers really work at once, on different rows.
    hook = Hook(together=2)
    with running_hook(hook) as url:
        config = make_config(webhook_url=url, batch_size=4)
        ids = {
            notify(committed_sessions, notify_world.application, config)[1][0].id for _ in range(24)
        }
        counts: list[int] = []
        start = threading.Barrier(2)

        def work() -> None:
            start.wait()
            counts.append(run_worker(committed_engine, once=True, config=config))

        workers = [threading.Thread(target=work) for _ in range(2)]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join(timeout=60)

    keys = [headers[IDEMPOTENCY_HEADER.lower()] for headers, _ in hook.received]
    assert sorted(keys) == sorted(str(i) for i in ids)  # each exactly once
    assert hook.met  # the two workers were sending at the same time
    assert len(counts) == 2 and min(counts) >= 1 and sum(counts) == 24
    with committed_sessions() as session:
        statuses = set(session.scalars(select(Delivery.status).where(Delivery.id.in_(ids))))
    assert statuses == {DeliveryStatus.DELIVERED}


def test_a_delivery_whose_worker_died_mid_send_is_taken_over_after_the_lease(
    committed_engine: Engine, committed_sessions: sessionmaker[Session], notify_world: NotifyWorld
) -> None:
    with running_mail_server() as mail:
        config = make_config(mail.port)
        _, (stuck,) = notify(committed_sessions, notify_world.application, config)
        _, (held,) = notify(committed_sessions, notify_world.english_application, config)
        with committed_sessions() as session, session.begin():
            # Two workers claimed these and died; one lease has run out, one has not.
            for delivery_id, lease_end in [
                (stuck.id, utcnow() - timedelta(seconds=1)),
                (held.id, utcnow() + timedelta(minutes=4)),
            ]:
                row = session.get(Delivery, delivery_id)
                assert row is not None
                row.status, row.attempts, row.next_attempt_at = (
                    DeliveryStatus.SENDING,
                    1,
                    lease_end,
                )

        assert run_worker(committed_engine, once=True, config=config) == 1

    assert mail.envelopes == [["siti.warga@example.org"]]
    row = _delivery(committed_sessions, stuck.id)
    assert (row.status, row.attempts) == (DeliveryStatus.DELIVERED, 2)
    assert [(n, o) for n, o, _ in _log(committed_sessions, stuck.id)] == [
        (1, AttemptOutcome.LOST.value),
        (2, AttemptOutcome.DELIVERED.value),
    ]
    assert _delivery(committed_sessions, held.id).status is DeliveryStatus.SENDING


def test_a_running_worker_wakes_on_notify_and_stops_when_asked(
    committed_engine: Engine, committed_sessions: sessionmaker[Session], notify_world: NotifyWorld
) -> None:
    with running_mail_server() as mail:
        config = make_config(mail.port, poll_seconds=60)  # only NOTIFY can wake it in time
        stop = threading.Event()
        worker = threading.Thread(
            target=run_worker, args=(committed_engine,), kwargs={"config": config, "stop": stop}
        )
        worker.start()
        try:
            _, (delivery,) = notify(committed_sessions, notify_world.application, config)
            for _ in range(100):
                if mail.messages:
                    break
                stop.wait(0.05)
        finally:
            stop.set()
            worker.join(timeout=10)
    assert not worker.is_alive()
    assert len(mail.messages) == 1
    assert _delivery(committed_sessions, delivery.id).status is DeliveryStatus.DELIVERED


def test_a_mailbox_the_server_refuses_is_dead_at_once(
    committed_engine: Engine, committed_sessions: sessionmaker[Session], notify_world: NotifyWorld
) -> None:
    with running_mail_server() as mail:
        mail.refuse.add("siti.warga@example.org")
        config = make_config(mail.port)
        _, (delivery,) = notify(committed_sessions, notify_world.application, config)
        assert deliver_due(committed_engine, config) == 1
    assert mail.messages == []
    row = _delivery(committed_sessions, delivery.id)
    assert (row.status, row.attempts) == (DeliveryStatus.DEAD, 1)
    assert row.last_error == "SMTP refused the recipient (550)"


class _BrokenChannel:
    def send(self, job: Job) -> str:
        raise RuntimeError(f"bug while sending {job.delivery_id}")


def test_a_channel_that_breaks_fails_the_try_not_the_worker(
    committed_engine: Engine, committed_sessions: sessionmaker[Session], notify_world: NotifyWorld
) -> None:
    config = make_config()
    _, (delivery,) = notify(committed_sessions, notify_world.application, config)
    senders = {Channel.EMAIL: _BrokenChannel()}
    assert deliver_due(committed_engine, config, senders=senders) == 1
    row = _delivery(committed_sessions, delivery.id)
    assert (row.status, row.attempts) == (DeliveryStatus.FAILED, 1)
    assert row.last_error == "unexpected error (RuntimeError)"
