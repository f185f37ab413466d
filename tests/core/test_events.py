"""The in-process events (``simpul.core.events``): handlers run in the publisher's transaction,
so their work commits or rolls back with the change that caused it."""

from __future__ import annotations

import uuid
from dataclasses import FrozenInstanceError, dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from simpul.core import events
from simpul.core.audit import record_audit_event
from simpul.core.errors import Conflict
from simpul.core.models import AuditEvent
from simpul.wiring import subscribe_all


@dataclass(frozen=True)
class Happened(events.Event):
    marker: str


def _write_audit_row(session: Session, event: Happened) -> None:
    record_audit_event(
        session,
        region_id=None,
        actor_id=None,
        actor_label="test",
        action="test.event",
        target_type="test",
        target_id=event.marker,
    )


def _refuse(session: Session, event: Happened) -> None:
    raise Conflict("refused by a subscriber")


def _rows(session_factory: sessionmaker[Session], marker: str) -> int:
    with session_factory() as fresh:
        return len(fresh.scalars(select(AuditEvent).where(AuditEvent.target_id == marker)).all())


@pytest.fixture
def registry() -> events.Registry:
    registry = events.Registry()
    registry.subscribe(Happened, _write_audit_row)
    registry.wired = True
    return registry


def test_a_subscriber_writes_in_the_publishers_transaction_and_commits_with_it(
    session_factory: sessionmaker[Session], registry: events.Registry
) -> None:
    marker = uuid.uuid4().hex
    with session_factory() as session, session.begin():
        registry.publish(session, Happened(marker))
    assert _rows(session_factory, marker) == 1


def test_a_rolled_back_publish_leaves_nothing(
    session_factory: sessionmaker[Session], registry: events.Registry
) -> None:
    marker = uuid.uuid4().hex
    with session_factory() as session:
        session.begin()
        registry.publish(session, Happened(marker))
        session.flush()
        session.rollback()  # the request failed after the event
    assert _rows(session_factory, marker) == 0


def test_a_subscriber_that_refuses_undoes_the_others_work(
    session_factory: sessionmaker[Session], registry: events.Registry
) -> None:
    registry.subscribe(Happened, _refuse)
    marker = uuid.uuid4().hex
    with pytest.raises(Conflict), session_factory() as session, session.begin():
        registry.publish(session, Happened(marker))
    assert _rows(session_factory, marker) == 0


def test_subscribing_twice_runs_a_handler_once_in_subscription_order() -> None:
    registry = events.Registry()
    seen: list[str] = []
    registry.subscribe(Happened, lambda _s, e: seen.append("first " + e.marker))
    second = lambda _s, e: seen.append("second " + e.marker)  # noqa: E731
    registry.subscribe(Happened, second)
    registry.subscribe(Happened, second)
    registry.wired = True
    registry.publish(None, Happened("x"))  # type: ignore[arg-type]
    assert seen == ["first x", "second x"]


def test_publishing_before_the_wiring_is_refused() -> None:
    registry = events.Registry()
    registry.subscribe(Happened, _refuse)
    with pytest.raises(RuntimeError, match="subscribe_all"):
        registry.publish(None, Happened("x"))  # type: ignore[arg-type]


def test_events_cannot_be_changed_by_a_subscriber() -> None:
    event = Happened("x")
    with pytest.raises(FrozenInstanceError):
        event.marker = "y"  # type: ignore[misc]


def test_the_wiring_subscribes_each_domain_once() -> None:
    registry = events.Registry()
    subscribe_all(registry)
    subscribe_all(registry)
    assert registry.wired
    handlers = {
        kind.__name__: [f"{h.__module__}.{h.__name__}" for h in registry.handlers_of(kind)]
        for kind in (
            events.FinalApprovalRequested,
            events.ApplicationCompleted,
            events.DocumentIssued,
            events.DocumentRevoked,
            events.NotificationCreated,
        )
    }
    assert handlers == {
        "FinalApprovalRequested": ["simpul.documents.subscribers.check_signing_passphrase"],
        "ApplicationCompleted": [
            "simpul.evaluation.savings.subscribers.record_savings_of_completed",
            "simpul.documents.subscribers.queue_signed_document",
        ],
        "DocumentIssued": ["simpul.applications.subscribers.record_document_issued"],
        "DocumentRevoked": ["simpul.applications.subscribers.record_document_revoked"],
        "NotificationCreated": ["simpul.notify.subscribers.queue_deliveries"],
    }
