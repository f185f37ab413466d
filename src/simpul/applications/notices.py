"""In-app notifications about applications, written in the same transaction as the change."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, Final

from sqlalchemy.orm import Session

from simpul.applications import repository
from simpul.applications.models import Application, Notification
from simpul.core.i18n import _, lazy
from simpul.core.models import Region, utcnow
from simpul.notify.outbox import enqueue_for_notification

#: What each kind of notification says; ``%(...)s`` come from its params.
TEXTS: Final = {
    "submitted": lazy(
        "Permohonan %(number)s untuk layanan %(service)s diterima. Instansi menyelesaikannya "
        "paling lambat %(due)s."
    ),
    "advanced": lazy("Permohonan %(number)s lolos tahap %(step)s dan lanjut ke tahap berikutnya."),
    "returned": lazy(
        "Permohonan %(number)s dikembalikan untuk diperbaiki: %(note)s. Perbaiki lalu kirim ulang."
    ),
    "resubmitted": lazy("Perbaikan permohonan %(number)s diterima. Batas selesai: %(due)s."),
    "completed": lazy("Permohonan %(number)s selesai."),
    "document_issued": lazy(
        "Dokumen hasil permohonan %(number)s sudah terbit dengan nomor %(document)s dan "
        "ditandatangani secara elektronik. Unduh di halaman permohonan Anda."
    ),
    "document_revoked": lazy(
        "Dokumen %(document)s untuk permohonan %(number)s dicabut oleh instansi: %(note)s. "
        "Dokumen itu tidak berlaku lagi; hubungi instansi bila ada pertanyaan."
    ),
    "rejected": lazy("Permohonan %(number)s ditolak: %(note)s."),
}


def notify_applicant(
    session: Session, application: Application, kind: str, **params: Any
) -> Notification:
    """Tell the applicant about a change of their application (in the caller's transaction)."""
    if kind not in TEXTS:
        raise ValueError(f"unknown notification kind {kind}")
    notice = Notification(
        region_id=application.region_id,
        user_id=application.applicant_id,
        application_id=application.id,
        kind=kind,
        params={"number": application.tracking_number, **params},
    )
    repository.add(session, notice)
    # The same transaction queues its e-mail/webhook deliveries: they exist only if it commits.
    enqueue_for_notification(session, notice)
    return notice


def text_of(notice: Notification) -> str:
    """The notification in the reader's language."""
    template = TEXTS.get(notice.kind)
    if template is None:
        return notice.kind
    # A note ends the officer's sentence; the text adds its own full stop.
    params = {k: str(v).rstrip(" .") if k == "note" else str(v) for k, v in notice.params.items()}
    try:
        return _(template) % params
    except (KeyError, ValueError):  # a notice written before its text gained a parameter
        return _(template)


def list_for(
    session: Session, region: Region, user_id: uuid.UUID, *, limit: int = 30
) -> Sequence[Notification]:
    return repository.list_notifications(session, region.id, user_id, limit=limit)


def unread_count(session: Session, region: Region, user_id: uuid.UUID) -> int:
    return repository.count_unread_notifications(session, region.id, user_id)


def mark_all_read(session: Session, region: Region, user_id: uuid.UUID) -> None:
    repository.mark_notifications_read(session, region.id, user_id, utcnow())
