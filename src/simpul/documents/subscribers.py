"""What documents does when applications tell it something happened (``simpul.core.events``)."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from simpul.accounts.models import User
from simpul.core import events
from simpul.core.models import Region
from simpul.documents import credentials, issuing, repository


def _signing(
    session: Session, region_id: uuid.UUID, officer_id: uuid.UUID
) -> tuple[Region, User] | None:
    """The region and the approving officer where the region signs documents; None elsewhere."""
    region = repository.get_region(session, region_id)
    if region is None or not credentials.region_signs_documents(session, region):
        return None
    officer = repository.get_user(session, region.id, officer_id)
    if officer is None:
        raise LookupError("the approving officer is gone")
    return region, officer


def check_signing_passphrase(session: Session, event: events.FinalApprovalRequested) -> None:
    """Where the region signs documents, the last approval needs the officer's passphrase:
    a wrong or missing one refuses the approval before anything changes."""
    signing = _signing(session, event.region_id, event.officer_id)
    if signing is not None:
        region, officer = signing
        credentials.require_second_factor(region, event.second_factor)
        credentials.unlock(session, region, officer, event.signing_passphrase or "")


def queue_signed_document(session: Session, event: events.ApplicationCompleted) -> None:
    """Where the region signs documents, queue the completed application's signed documents
    (one per product) in the approval's transaction (the worker makes it, ``issuing.issue_due``)."""
    signing = _signing(session, event.region_id, event.officer_id)
    if signing is None:
        return
    region, officer = signing
    unlocked = credentials.unlock(session, region, officer, event.signing_passphrase or "")
    issuing.queue_documents(
        session, region, event.application_id, signer=officer, unlocked=unlocked
    )


def subscribe(registry: events.Registry) -> None:
    registry.subscribe(events.FinalApprovalRequested, check_signing_passphrase)
    registry.subscribe(events.ApplicationCompleted, queue_signed_document)
