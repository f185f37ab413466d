"""The audit trail: who did what. Rows are only ever inserted (a trigger forbids the rest)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from simpul.core.models import AuditEvent


def record_audit_event(
    session: Session,
    *,
    region_id: uuid.UUID | None,
    actor_id: uuid.UUID | None,
    actor_label: str,
    action: str,
    target_type: str,
    target_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an event in the caller's transaction: it lands only if the change lands.

    ``actor_label`` names the actor for a reader (an e-mail or ``cli``); ``details`` must
    not hold personal data such as a NIK.
    """
    event = AuditEvent(
        region_id=region_id,
        actor_id=actor_id,
        actor_label=actor_label,
        action=action,
        target_type=target_type,
        target_id=target_id,
        details=details or {},
    )
    session.add(event)
    return event
