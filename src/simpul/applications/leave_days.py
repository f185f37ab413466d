"""The region's own days off (cuti bersama, local holidays), which SLA deadlines skip."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy.orm import Session

from simpul.applications import repository
from simpul.applications.models import CollectiveLeaveDay
from simpul.core.audit import record_audit_event
from simpul.core.errors import Conflict, InvalidInput, NotFound
from simpul.core.i18n import _
from simpul.core.models import Region


def list_leave_days(session: Session, region: Region) -> Sequence[CollectiveLeaveDay]:
    return repository.list_leave_days(session, region.id)


def parse_day(raw: str, field: str = "tanggal") -> dt.date:
    """A date typed as the date input sends it (YYYY-MM-DD); ``InvalidInput`` otherwise."""
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput(
            _("Tanggal hari libur belum benar."),
            details=[{"field": field, "message": _("Isi tanggal, misalnya 2026-12-24.")}],
        ) from None


def add_leave_day(
    session: Session,
    region: Region,
    day: dt.date,
    description: str,
    *,
    actor_label: str = "cli",
    actor_id: uuid.UUID | None = None,
) -> CollectiveLeaveDay:
    """Close the region's offices on ``day``: deadlines counted from now on skip it."""
    description = " ".join(description.split())
    if not 3 <= len(description) <= 200:
        raise InvalidInput(
            _("Keterangan hari libur wajib diisi (3-200 karakter)."),
            details=[{"field": "description", "message": _("Contoh: Cuti bersama Idulfitri.")}],
        )
    if repository.get_leave_day(session, region.id, day) is not None:
        raise Conflict(_("Tanggal ini sudah tercatat sebagai hari libur wilayah."))
    row = CollectiveLeaveDay(region_id=region.id, day=day, description=description)
    repository.add(session, row)
    record_audit_event(
        session,
        region_id=region.id,
        actor_id=actor_id,
        actor_label=actor_label,
        action="leave_day.add",
        target_type="region",
        target_id=str(region.id),
        details={"day": day.isoformat(), "description": description},
    )
    session.flush()
    return row


def remove_leave_day(
    session: Session,
    region: Region,
    day: dt.date,
    *,
    actor_label: str = "cli",
    actor_id: uuid.UUID | None = None,
) -> None:
    row = repository.get_leave_day(session, region.id, day)
    if row is None:
        raise NotFound(_("Tanggal ini tidak tercatat sebagai hari libur wilayah."))
    repository.delete(session, row)
    record_audit_event(
        session,
        region_id=region.id,
        actor_id=actor_id,
        actor_label=actor_label,
        action="leave_day.remove",
        target_type="region",
        target_id=str(region.id),
        details={"day": day.isoformat()},
    )
