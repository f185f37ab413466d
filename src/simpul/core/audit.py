"""The audit trail: who did what. Rows are only ever inserted (a trigger forbids the rest).

``audit_event`` and the gateway's ``gateway_message`` are partitioned by month (migration
0020): ``ensure_log_partitions`` creates the coming months' partitions of both; ``simpul
worker`` calls it at start and every hour, the web app (``simpul serve``) and the gateway's log
writer when they start. Months older than the retention are archived and dropped by ``simpul
audit archive`` (``simpul.gateway.msglog.trail``, decision 0037).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from simpul.core import audit_repository
from simpul.core.errors import InvalidInput
from simpul.core.i18n import _, lazy
from simpul.core.models import AuditEvent, Region

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


# -- the region admin's audit page ---------------------------------------------------------

#: What each action means, for a reader (the gateway's own codes are added by the page). A
#: code missing here is shown as it is: better an unnamed event than a hidden one.
ACTION_LABELS: Final[Mapping[str, str]] = {
    "account.create": lazy("Akun dibuat"),
    "account.register": lazy("Akun warga diaktifkan"),
    "account.registration_attempt": lazy("Percobaan daftar dengan data akun yang ada"),
    "account.password_reset_request": lazy("Tautan ganti kata sandi diminta"),
    "account.password_reset": lazy("Kata sandi diganti lewat tautan"),
    "account.email_change_request": lazy("Ganti alamat e-mail diminta"),
    "account.email_change_taken": lazy("Ganti ke alamat e-mail akun lain diminta"),
    "account.email_change": lazy("Alamat e-mail diganti"),
    "account.phone_code_sent": lazy("Kode verifikasi nomor HP dikirim"),
    "account.phone_verified": lazy("Nomor HP diverifikasi"),
    "account.password_change": lazy("Kata sandi diganti"),
    "account.data_export": lazy("Data pribadi diunduh pemiliknya"),
    "api_token.create": lazy("Token API dibuat"),
    "api_token.revoke": lazy("Token API dicabut"),
    "staff.invite": lazy("Petugas diundang"),
    "staff.invitation_accept": lazy("Undangan petugas diterima"),
    "staff.deactivate": lazy("Petugas dinonaktifkan"),
    "staff.reactivate": lazy("Petugas diaktifkan kembali"),
    "staff_role.grant": lazy("Peran petugas diberikan"),
    "staff_role.revoke": lazy("Peran petugas dicabut"),
    "staff.identity": lazy("NIP dan jabatan petugas diubah"),
    "staff.absence": lazy("Ketidakhadiran petugas dicatat"),
    "staff.absence_end": lazy("Ketidakhadiran petugas diakhiri"),
    "leave_day.add": lazy("Hari libur wilayah ditambahkan"),
    "leave_day.remove": lazy("Hari libur wilayah dihapus"),
    "region.create": lazy("Wilayah dibuat"),
    "region.letterhead": lazy("Kop surat diubah"),
    "region.emblem": lazy("Lambang daerah diunggah"),
    "region.emblem_removed": lazy("Lambang daerah dihapus"),
    "region.log_retention": lazy("Log lama diarsipkan"),
    "agency.number_format": lazy("Format nomor dokumen instansi diubah"),
    "service.update": lazy("Layanan diubah"),
    "service.products.update": lazy("Produk layanan diubah"),
    "catalogue.copy": lazy("Katalog disalin dari wilayah lain"),
    "application.read": lazy("Berkas permohonan dibuka petugas"),
    "application.personal_data_read": lazy("Data pribadi pemohon dibuka petugas"),
    "inbox.search": lazy("Pencarian di kotak masuk petugas"),
    "document.issue": lazy("Dokumen diterbitkan"),
    "document.reissue": lazy("Dokumen diterbitkan ulang"),
    "document.revoke": lazy("Dokumen dicabut"),
    "document.preview": lazy("Pratinjau dokumen dibuka"),
    "document.download": lazy("Dokumen diunduh"),
    "signing_credential.enrol": lazy("Sertifikat tanda tangan didaftarkan"),
    "inventory.import": lazy("Inventaris aplikasi diimpor"),
    "roadmap.target_set": lazy("Target peta jalan diubah"),
    "savings.rates_set": lazy("Tarif penghematan diubah"),
    "savings.profile_set": lazy("Profil penghematan diubah"),
    "spbe.assessment_started": lazy("Evaluasi SPBE dimulai"),
    "spbe.answer_saved": lazy("Jawaban indikator SPBE disimpan"),
    "spbe.evidence_added": lazy("Bukti SPBE ditambahkan"),
    "spbe.evidence_removed": lazy("Bukti SPBE dihapus"),
    "spbe.assessment_finalised": lazy("Evaluasi SPBE difinalkan"),
    "spbe.assessment_reopened": lazy("Evaluasi SPBE dibuka kembali"),
    "smart_city.evaluation_saved": lazy("Evaluasi smart city disimpan"),
    "smart_city.evaluation_finalised": lazy("Evaluasi smart city difinalkan"),
    "smart_city.evaluation_reopened": lazy("Evaluasi smart city dibuka kembali"),
    "audit.export": lazy("Log audit diekspor"),
}

#: What the subject (``target_type``) of an event is, for a reader and the filter.
TARGET_LABELS: Final[Mapping[str, str]] = {
    "user": lazy("Akun"),
    "user_account": lazy("Akun"),
    "api_token": lazy("Token API"),
    "region": lazy("Wilayah"),
    "agency": lazy("Instansi"),
    "service": lazy("Layanan"),
    "application": lazy("Permohonan"),
    "document": lazy("Dokumen"),
    "issued_document": lazy("Dokumen terbit"),
    "roadmap_target": lazy("Target peta jalan"),
    "savings_rate": lazy("Tarif penghematan"),
    "spbe_assessment": lazy("Evaluasi SPBE"),
    "smart_city_evaluation": lazy("Evaluasi smart city"),
}

#: Rows a page shows, and the deepest page (offset paging stays cheap; narrow the filter to
#: see further back).
PAGE_SIZE: Final = 50
MAX_PAGES: Final = 200
#: Rows an export holds at most; the page says so when a filter matches more.
EXPORT_CAP: Final = 10_000


@dataclass(frozen=True)
class AuditFilter:
    """What the reader asked for: each field narrows, empty means any."""

    actor: str = ""
    action: str = ""
    target_type: str = ""
    target_id: str = ""
    since: dt.date | None = None
    until: dt.date | None = None

    def query(self) -> dict[str, str]:
        """The filter as the page's query string (for paging and export links)."""
        pairs = {
            "pelaku": self.actor,
            "tindakan": self.action,
            "subjek": self.target_type,
            "id_subjek": self.target_id,
            "dari": self.since.isoformat() if self.since else "",
            "sampai": self.until.isoformat() if self.until else "",
        }
        return {k: v for k, v in pairs.items() if v}


def _day(raw: str, field: str) -> dt.date | None:
    if not raw.strip():
        return None
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput(
            _("Filter log audit belum benar."),
            details=[{"field": field, "message": _("Tanggal ditulis TTTT-BB-HH.")}],
        ) from None


def audit_filter(
    *, actor: str, action: str, target_type: str, target_id: str, since: str, until: str
) -> AuditFilter:
    """Read the page's filter fields; raises ``InvalidInput`` naming the faulty field."""
    start, end = _day(since, "dari"), _day(until, "sampai")
    if start and end and end < start:
        raise InvalidInput(
            _("Filter log audit belum benar."),
            details=[{"field": "sampai", "message": _("Tanggal akhir sebelum tanggal awal.")}],
        )
    return AuditFilter(
        actor=" ".join(actor.split())[:200],
        action=action.strip()[:80],
        target_type=target_type.strip()[:60],
        target_id=target_id.strip()[:80],
        since=start,
        until=end,
    )


def _query(region: Region, wanted: AuditFilter) -> audit_repository.EventQuery:
    """The filter as a query of the region's events; its days, on the region's wall clock,
    become the instants [since, until)."""
    zone = ZoneInfo(region.timezone)
    since = dt.datetime.combine(wanted.since, dt.time(), tzinfo=zone) if wanted.since else None
    until = (
        dt.datetime.combine(wanted.until + dt.timedelta(days=1), dt.time(), tzinfo=zone)
        if wanted.until
        else None
    )
    return audit_repository.EventQuery(
        region.id,
        actor=wanted.actor,
        action=wanted.action,
        target_type=wanted.target_type,
        target_id=wanted.target_id,
        since=since,
        until=until,
    )


@dataclass(frozen=True)
class AuditPage:
    events: Sequence[AuditEvent]
    page: int
    #: Matching rows counted up to ``MAX_PAGES * PAGE_SIZE + 1`` (more: "lebih dari").
    total: int
    pages: int
    capped: bool


def audit_page(session: Session, region: Region, wanted: AuditFilter, page: int) -> AuditPage:
    """One page of the region's events matching ``wanted``, newest first."""
    query = _query(region, wanted)
    cap = MAX_PAGES * PAGE_SIZE
    total = audit_repository.count_audit_events(session, query, cap=cap + 1)
    pages = max(1, min(MAX_PAGES, -(-total // PAGE_SIZE)))
    page = max(1, min(page, pages))
    events = audit_repository.search_audit_events(
        session, query, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    return AuditPage(events, page, min(total, cap), pages, total > cap)


def audit_export_rows(
    session: Session, region: Region, wanted: AuditFilter
) -> Sequence[AuditEvent]:
    """The matching events for a download, newest first, at most ``EXPORT_CAP``."""
    return audit_repository.search_audit_events(session, _query(region, wanted), limit=EXPORT_CAP)


def details_text(details: Mapping[str, Any]) -> str:
    """An event's details as one line a reader can scan: ``key: value; key: value``."""
    parts = []
    for key, value in details.items():
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        parts.append(f"{key}: {shown}")
    return "; ".join(parts)


# -- the data subject's view: who read my data (identity.rights) ---------------------------


def events_about(
    session: Session,
    region: Region,
    targets: Mapping[str, Collection[str]],
    actions: Collection[str],
    *,
    exclude_actor: uuid.UUID | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> Sequence[AuditEvent]:
    """The region's events of ``actions`` on any of ``targets`` (``target_type`` -> ids, e.g.
    a citizen's applications), newest first; the actor ``exclude_actor`` (the citizen
    themselves) left out."""
    return audit_repository.events_about(
        session,
        region.id,
        targets,
        actions,
        exclude_actor=exclude_actor,
        limit=limit,
        offset=offset,
    )


def count_events_about(
    session: Session,
    region: Region,
    targets: Mapping[str, Collection[str]],
    actions: Collection[str],
    *,
    exclude_actor: uuid.UUID | None = None,
) -> int:
    return audit_repository.count_events_about(
        session, region.id, targets, actions, exclude_actor=exclude_actor
    )
