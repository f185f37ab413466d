"""The audit trail: who did what. Rows are only ever inserted (a trigger forbids the rest).

``audit_event`` and the gateway's ``gateway_message`` are partitioned by month (migration
0020): ``ensure_log_partitions`` creates the coming months' partitions of both; ``simpul
worker`` calls it at start and every hour, the web app (``simpul serve``) and the gateway's log
writer when they start. Months older than the retention are archived and dropped by ``simpul
audit archive`` (``simpul.gateway.msglog.trail``, decision 0037).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from simpul.core.models import AuditEvent

#: Months of partitions made ahead of time.
PARTITIONS_AHEAD = 3


def ensure_log_partitions(connection: Connection | Session, ahead: int = PARTITIONS_AHEAD) -> int:
    """Create last month's, this month's and the next ``ahead`` months' partitions of the log
    tables (the audit trail and the gateway's message log) if missing; returns how many were
    made."""
    created = connection.execute(
        text("SELECT simpul_log_ensure_partitions(:ahead)"), {"ahead": ahead}
    ).scalar_one()
    return int(created)


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
