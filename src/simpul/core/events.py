"""What one domain tells the others happened, and who listens: typed, in-process events.

A domain publishes an event (a frozen dataclass of ids and plain values, never rows of its own
models) with ``publish(session, event)``; every handler subscribed to that event's type runs at
once, in order, in the caller's transaction. Work a handler writes (a document job, a
notification in the outbox, a savings entry) therefore commits or rolls back with the change
that caused it, and a handler that raises a ``DomainError`` refuses the change.

Handlers are subscribed when the process is assembled (``simpul.wiring.subscribe_all``: the
web app, the ``simpul`` command, the tests), never on import. Publishing before that is a bug
(the work handlers do would silently not happen), so ``publish`` refuses it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Event:
    """The base of every event; subclasses are frozen dataclasses."""


E = TypeVar("E", bound=Event)
Handler = Callable[[Session, E], None]


class Registry:
    """Handlers per event type. ``wired`` says the assembly ran (see module doc)."""

    def __init__(self) -> None:
        self._handlers: dict[type[Event], list[Callable[[Session, Any], None]]] = {}
        self.wired = False

    def subscribe(self, event_type: type[E], handler: Handler[E]) -> None:
        """Run ``handler`` for every ``event_type`` published; subscribing twice changes
        nothing."""
        handlers = self._handlers.setdefault(event_type, [])
        if handler not in handlers:
            handlers.append(handler)

    def handlers_of(self, event_type: type[Event]) -> tuple[Callable[[Session, Any], None], ...]:
        return tuple(self._handlers.get(event_type, ()))

    def publish(self, session: Session, event: Event) -> None:
        """Call the event's handlers, in subscription order, in the caller's transaction."""
        if not self.wired:
            raise RuntimeError(
                f"{type(event).__name__} published before simpul.wiring.subscribe_all() ran"
            )
        for handler in self.handlers_of(type(event)):
            handler(session, event)


#: The process's registry (one per process; ``simpul.wiring`` fills it).
registry = Registry()


def subscribe(event_type: type[E], handler: Handler[E]) -> None:
    registry.subscribe(event_type, handler)


def publish(session: Session, event: Event) -> None:
    registry.publish(session, event)


# ---- The events. Each says who publishes it and who listens (simpul.wiring). ----


@dataclass(frozen=True)
class FinalApprovalRequested(Event):
    """An officer asks to approve an application's last step; nothing has changed yet.

    Published by applications; documents checks the officer's signing passphrase here and
    refuses (``InvalidInput``/``Conflict``) when the region signs documents and it is wrong.
    """

    region_id: uuid.UUID
    application_id: uuid.UUID
    officer_id: uuid.UUID
    signing_passphrase: str | None
    #: Whether the officer's login was proven with a second factor; None where none is
    #: required (the deployment's setting is off, or no browser login asks: a job, the demo).
    second_factor: bool | None = None


@dataclass(frozen=True)
class ApplicationCompleted(Event):
    """An application was approved at its last step (its status is now completed).

    Published by applications; savings records what it saved, documents queues the signed
    document (where the region signs documents) with the approving officer's passphrase.
    """

    region_id: uuid.UUID
    application_id: uuid.UUID
    officer_id: uuid.UUID
    signing_passphrase: str | None


@dataclass(frozen=True)
class DocumentIssued(Event):
    """The signed document of an application was registered (the worker's last step).

    Published by documents; applications records it in the history and tells the applicant.
    """

    region_id: uuid.UUID
    application_id: uuid.UUID
    number: str
    signer_name: str


@dataclass(frozen=True)
class DocumentRevoked(Event):
    """An issued document was revoked, with the reason.

    Published by documents; applications records it in the history and tells the applicant.
    """

    region_id: uuid.UUID
    application_id: uuid.UUID
    number: str
    reason: str
    actor_label: str


@dataclass(frozen=True)
class NotificationCreated(Event):
    """An in-app notification was written for a person (its row exists, flushed).

    Published by applications (``notices``); notify queues its deliveries (e-mail, webhook)
    in the same transaction: they exist only if it commits. ``email_only``: an account's
    security notice goes by e-mail whatever channels the person chose.
    """

    region_id: uuid.UUID
    notification_id: uuid.UUID
    email_only: bool = False
    #: Account recovery: only this channel ("email", "whatsapp"), to ``recipient`` rather
    #: than the account's own address (a new e-mail address or phone number being proved).
    channel: str = ""
    recipient: str = ""
