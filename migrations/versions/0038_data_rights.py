"""The citizen's data rights (issue 18): an index for "Siapa yang melihat data saya".

``ix_audit_event_target`` (region, target type, target id, time): the data subject's page
lists the staff reads of their applications, documents and complaints, newest first, by
``target_type = ... AND target_id IN (...)``. ``audit_event`` is partitioned by month: the
index made on the parent is made on every partition, and on each new one.

Revision ID: 0038_data_rights
Revises: 0037_account_recovery
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0038_data_rights"
down_revision: str | None = "0037_account_recovery"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_audit_event_target",
        "audit_event",
        ["region_id", "target_type", "target_id", "at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_audit_event_target", table_name="audit_event")
