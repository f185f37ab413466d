"""The delivery worker: claim due deliveries, send them outside any transaction, record how
each try went, and retry with exponential backoff until delivered or out of attempts.

The outbox is a queue of ``simpul.core.queue`` (``repository.DELIVERIES``). Several workers may
run at once: claiming uses ``FOR UPDATE SKIP LOCKED`` and marks the rows ``sending`` with a
lease before the transaction commits, so no two send the same delivery. A
worker that dies mid-send leaves its rows ``sending``; when the lease runs out another worker
takes them over (the lost try counts as an attempt). An idle worker sleeps until PostgreSQL
NOTIFY says deliveries were queued, or for ``poll_seconds`` so due retries go out.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from simpul.core import jobs
from simpul.core.models import utcnow
from simpul.notify import repository
from simpul.notify.channels import ChannelSender, DeliveryError, Job, SentNote, senders_from
from simpul.notify.config import NotifyConfig, notify_config
from simpul.notify.messages import compose
from simpul.notify.models import AttemptOutcome, Delivery, DeliveryAttempt, DeliveryStatus

log = logging.getLogger(__name__)


def _attempt_row(
    delivery: Delivery, outcome: AttemptOutcome, detail: str, at: datetime
) -> DeliveryAttempt:
    return DeliveryAttempt(
        region_id=delivery.region_id,
        delivery_id=delivery.id,
        number=delivery.attempts,
        at=at,
        outcome=outcome,
        detail=detail[:300],
    )


def _job_for(session: Session, delivery: Delivery, config: NotifyConfig) -> Job | None:
    notice = repository.get_notification(session, delivery.notification_id)
    user = repository.get_user(session, delivery.region_id, delivery.user_id)
    region = repository.get_region(session, delivery.region_id)
    if notice is None or user is None or region is None:
        return None
    return Job(
        delivery_id=delivery.id,
        region_id=delivery.region_id,
        attempt=delivery.attempts,
        channel=delivery.channel,
        recipient=delivery.recipient,
        region_slug=region.slug,
        event=notice.kind,
        message=compose(notice, user, region, config.public_url),
        person={
            "id": str(user.id),
            "name": user.full_name,
            "email": user.email,
            "phone": user.phone,
        },
    )


def _settle_unsent(
    session: Session,
    delivery: Delivery,
    config: NotifyConfig,
    now: datetime,
    why: str,
    *,
    permanent: bool = False,
) -> None:
    """A try that failed before sending: retried later, or dead after the last attempt."""
    repository.DELIVERIES.fail(delivery, now, config.backoff, permanent=permanent)
    delivery.last_error = why
    repository.add(session, _attempt_row(delivery, AttemptOutcome.FAILED, why, now))


def claim(session: Session, config: NotifyConfig, now: datetime) -> tuple[list[Job], int]:
    """Take due deliveries for this worker (in the caller's transaction, which must commit
    before sending). Returns the jobs and how many rows were settled without sending."""
    queue = repository.DELIVERIES
    jobs: list[Job] = []
    settled = 0
    for delivery in repository.claim_due(session, now, config.batch_size):
        if queue.lease_ran_out(delivery):
            repository.add(
                session,
                _attempt_row(delivery, AttemptOutcome.LOST, "worker stopped while sending", now),
            )
            if queue.out_of_attempts(delivery, config.backoff):
                queue.give_up(delivery)
                delivery.last_error = "worker stopped while sending"
                settled += 1
                continue
        queue.lease(delivery, now, config.lease_seconds)
        try:
            job = _job_for(session, delivery, config)
        except Exception:  # one message that cannot be worded must not stop the rest
            log.exception("delivery %s: the message could not be composed", delivery.id)
            _settle_unsent(session, delivery, config, now, "the message could not be composed")
            settled += 1
            continue
        if job is None:
            _settle_unsent(
                session,
                delivery,
                config,
                now,
                "the notification or its reader is gone",
                permanent=True,
            )
            settled += 1
            continue
        jobs.append(job)
    session.flush()
    return jobs, settled


def record(
    session: Session,
    job: Job,
    error: DeliveryError | None,
    detail: str,
    config: NotifyConfig,
    now: datetime,
) -> DeliveryStatus | None:
    """Write how ``job`` went; None if another worker took the delivery over meanwhile."""
    delivery = repository.held(session, job.delivery_id, job.attempt)
    if delivery is None:
        return None
    if error is None:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = now
        delivery.last_error = ""
        outcome = AttemptOutcome.DELIVERED
        if isinstance(detail, SentNote):
            delivery.provider_message_id = detail.provider_message_id
    else:
        repository.DELIVERIES.fail(delivery, now, config.backoff, permanent=error.permanent)
        delivery.last_error = error.detail
        outcome = AttemptOutcome.FAILED
        detail = error.detail
    repository.add(
        session,
        DeliveryAttempt(
            region_id=job.region_id,
            delivery_id=job.delivery_id,
            number=job.attempt,
            at=now,
            outcome=outcome,
            detail=detail[:300],
        ),
    )
    session.flush()
    return delivery.status


def deliver_due(
    engine: Engine,
    config: NotifyConfig | None = None,
    *,
    senders: Mapping[Any, ChannelSender] | None = None,
    now: datetime | None = None,
) -> int:
    """Claim one batch of due deliveries, send them and record the outcomes.

    Returns how many deliveries were worked on (0: nothing was due). ``now`` fixes the clock
    (tests); otherwise each step reads the time when it happens.
    """

    def clock() -> datetime:
        return now or utcnow()

    config = config or notify_config()
    senders = senders or senders_from(config.smtp, config.webhook_timeout, config.whatsapp)
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    with sessions() as session, session.begin():
        jobs, settled = claim(session, config, clock())
    for job in jobs:
        try:
            detail = senders[job.channel].send(job)
            error = None
        except DeliveryError as exc:
            detail, error = exc.detail, exc
        except Exception as exc:  # a channel's bug fails this try, not the worker
            log.exception("delivery %s: the channel failed unexpectedly", job.delivery_id)
            error = DeliveryError(f"unexpected error ({type(exc).__name__})")
            detail = error.detail
        with sessions() as session, session.begin():
            status = record(session, job, error, detail, config, clock())
        log.info(
            "delivery %s via %s, attempt %d: %s",
            job.delivery_id,
            job.channel.value,
            job.attempt,
            status.value if status else "taken over by another worker",
        )
    return len(jobs) + settled


def run_worker(
    engine: Engine,
    *,
    once: bool = False,
    config: NotifyConfig | None = None,
    senders: Mapping[Any, ChannelSender] | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Deliver until ``stop`` is set (or, with ``once``, until nothing is due).

    Returns how many deliveries were worked on.
    """
    config = config or notify_config()
    senders = senders or senders_from(config.smtp, config.webhook_timeout, config.whatsapp)
    step = delivery_step(engine, config, senders)
    if once:
        return jobs.run_steps_once([step])
    return jobs.run_loop(
        engine,
        [step],
        [repository.OUTBOX_CHANNEL],
        poll_seconds=config.poll_seconds,
        stop=stop or threading.Event(),
    )


def delivery_step(
    engine: Engine, config: NotifyConfig, senders: Mapping[Any, ChannelSender]
) -> jobs.Step:
    """One batch of deliveries, as a step of the worker loop (``simpul.core.jobs``)."""

    def step() -> int:
        return deliver_due(engine, config, senders=senders)

    return step
