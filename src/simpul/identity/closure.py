"""Closing an account (UU 27/2022 tentang Pelindungan Data Pribadi, Pasal 8 and 43: hak
penghapusan): what is erased, what the region must keep by law (with its legal basis and
retention period, settings the region documents), and the purge once a period has passed.

One transaction does everything, each domain through its own service module: the account's
name, e-mail, phone and NIK are replaced by placeholders (``accounts.service.close_account``;
the row stays, since the records the law keeps point at it), the answers and uploads of
applications the archive does not keep are erased (``applications.service.erase_applicant``),
complaints lose their reporter (``complaints.service.unlink_reporter``), notifications and
their deliveries are deleted, consents and every app's tokens are revoked, every browser
session and API token ends.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from simpul.accounts import service as accounts_service
from simpul.accounts.models import AccountKind, User
from simpul.applications import service as applications_service
from simpul.complaints import service as complaints_service
from simpul.core.errors import Conflict, Forbidden, InvalidInput
from simpul.core.i18n import _, lazy
from simpul.core.models import Region, utcnow
from simpul.core.regions import list_regions
from simpul.core.settings import Settings, get_settings
from simpul.identity import mfa
from simpul.identity import service as identity_service
from simpul.notify import service as notify_service

#: What closing the account erases or pseudonymises (shown before the citizen confirms).
ERASED: tuple[Any, ...] = (
    lazy("Nama, e-mail, nomor HP, dan NIK pada akun (diganti tanda 'Pengguna terhapus')"),
    lazy(
        "Jawaban formulir dan berkas unggahan permohonan yang tidak selesai (draf, ditolak, "
        "dibatalkan, masih diproses)"
    ),
    lazy("Notifikasi dan catatan pengirimannya ke e-mail atau WhatsApp Anda"),
    lazy(
        "Identitas Anda sebagai pelapor pengaduan (isi pengaduan tetap sebagai catatan "
        "pelayanan publik)"
    ),
    lazy("Persetujuan ke aplikasi terhubung, semua token aplikasi, sesi login, dan token API"),
)


@dataclass(frozen=True)
class KeptKind:
    """A kind of record the region keeps after closure, why, and for how long."""

    code: str
    label: Any
    legal_basis: Any
    #: Kept this many days after the account was closed (``delete_on``).
    days: int
    period: str

    def delete_on(self, closed_at: datetime) -> date:
        return (closed_at + timedelta(days=self.days)).date()


def _years(n: int) -> str:
    return _("%(n)d tahun") % {"n": n}


def kept_kinds(settings: Settings | None = None) -> list[KeptKind]:
    """The records the law keeps, with their legal basis and retention (settings under
    "Data rights" in ``core.settings``)."""
    s = settings or get_settings()
    return [
        KeptKind(
            "issued_documents",
            _(
                "Dokumen yang diterbitkan (izin, surat keterangan) dan berkas permohonan yang "
                "selesai: jawaban formulir dan unggahan"
            ),
            _("Arsip: UU 43/2009 tentang Kearsipan dan Jadwal Retensi Arsip (JRA) daerah"),
            s.pdp_retention_documents_years * 365,
            _years(s.pdp_retention_documents_years),
        ),
        KeptKind(
            "applications",
            _(
                "Catatan permohonan lain: nomor, layanan, status, tanggal, riwayat (tanpa "
                "jawaban dan unggahan)"
            ),
            _("UU 25/2009 tentang Pelayanan Publik dan Jadwal Retensi Arsip (JRA) daerah"),
            s.pdp_retention_applications_years * 365,
            _years(s.pdp_retention_applications_years),
        ),
        KeptKind(
            "complaints",
            _("Pengaduan: isi dan tanggapannya, tanpa identitas pelapor"),
            _("Perpres 76/2013 tentang Pengelolaan Pengaduan Pelayanan Publik dan JRA daerah"),
            s.pdp_retention_complaints_years * 365,
            _years(s.pdp_retention_complaints_years),
        ),
        KeptKind(
            "audit",
            _("Jejak audit: siapa melakukan apa dan petugas yang membaca data Anda"),
            _(
                "UU 27/2022 (PDP) Pasal 31 dan PP 71/2019 tentang Penyelenggaraan Sistem dan "
                "Transaksi Elektronik"
            ),
            s.pdp_retention_audit_years * 365,
            _years(s.pdp_retention_audit_years),
        ),
    ]


@dataclass(frozen=True)
class ClosurePreview:
    erased: tuple[Any, ...]
    kept: list[KeptKind]
    applications: int
    completed: int


def preview(session: Session, region: Region, user: User) -> ClosurePreview:
    """What closing the account would do (the page before the confirmation)."""
    applications = applications_service.applications_of_closed(session, region.id, [user.id])
    completed = sum(1 for a in applications if applications_service.is_completed(a))
    return ClosurePreview(ERASED, kept_kinds(), len(applications), completed)


@dataclass(frozen=True)
class ClosureResult:
    closed_at: datetime
    pseudonym: str
    #: Each kept kind with the date it is deleted.
    kept: list[tuple[KeptKind, date]]
    applications_erased: int
    applications_kept: int
    uploads_deleted: int
    complaints_unlinked: int
    notifications_deleted: int
    consents_revoked: int
    app_tokens_revoked: int
    sessions_ended: int
    api_tokens_revoked: int


def close_account(
    session: Session, region: Region, user: User, *, password: str, confirmed: bool
) -> ClosureResult:
    """Close the citizen's account after checking the password and the confirmation.
    Everything happens in the caller's transaction; on a refusal nothing is written.
    Raises Forbidden for staff accounts (their admin ends them), Conflict when the account
    is already closed (a second submit waits for the first on the row lock, then gets this),
    InvalidInput naming ``password`` / ``confirm``."""
    if user.kind is not AccountKind.CITIZEN:
        raise Forbidden(_("Akun petugas dan admin ditutup oleh admin wilayah, bukan di sini."))
    locked = accounts_service.lock_account(session, user)
    if locked is None or locked.closed_at is not None or not locked.is_active:
        raise Conflict(_("Akun ini sudah ditutup."))
    errors: list[dict[str, str]] = []
    if not confirmed:
        errors.append(
            {"field": "confirm", "message": _("Centang pernyataan bahwa Anda memahaminya.")}
        )
    if not password or not accounts_service.password_matches(locked, password):
        errors.append({"field": "password", "message": _("Kata sandi salah.")})
    if errors:
        raise InvalidInput(_("Akun belum ditutup."), details=errors)
    pseudonym = accounts_service.pseudonym_of(locked.id)
    deliveries = notify_service.forget_user(session, region, locked)
    erasure = applications_service.erase_applicant(session, region.id, locked.id)
    complaints = complaints_service.unlink_reporter(session, region.id, locked.id)
    consents, app_tokens = identity_service.forget_user(session, locked)
    mfa.forget_user(session, locked)
    closure = accounts_service.close_account(session, locked)
    closed_at = locked.closed_at or utcnow()
    return ClosureResult(
        closed_at=closed_at,
        pseudonym=pseudonym,
        kept=[(kind, kind.delete_on(closed_at)) for kind in kept_kinds()],
        applications_erased=len(erasure.erased),
        applications_kept=len(erasure.kept),
        uploads_deleted=erasure.uploads_deleted,
        complaints_unlinked=complaints,
        notifications_deleted=erasure.notifications_deleted + deliveries,
        consents_revoked=consents,
        app_tokens_revoked=app_tokens,
        sessions_ended=closure.sessions_ended,
        api_tokens_revoked=closure.api_tokens_revoked,
    )


@dataclass(frozen=True)
class PurgeResult:
    accounts: int
    applications_erased: int
    uploads_deleted: int


def purge(session: Session, region: Region, *, now: datetime | None = None) -> PurgeResult:
    """Erase what closed accounts left once its retention has passed: the answers and
    uploads of their completed applications after the archive period
    (``pdp_retention_documents_years``). Idempotent; the caller commits."""
    settings = get_settings()
    cutoff = (now or utcnow()) - timedelta(days=settings.pdp_retention_documents_years * 365)
    accounts = accounts_service.closed_accounts(session, region, closed_before=cutoff)
    erased = uploads = 0
    for account in accounts:
        result = applications_service.erase_applicant(
            session,
            region.id,
            account.id,
            keep_completed=False,
        )
        erased += sum(1 for a in result.erased if applications_service.is_completed(a))
        uploads += result.uploads_deleted
    return PurgeResult(len(accounts), erased, uploads)


#: The worker runs the purge at most this often (retention periods pass by the day).
PURGE_INTERVAL_SECONDS: Final = 6 * 3600.0


def purge_all_regions(sessions: sessionmaker[Session], *, now: datetime | None = None) -> int:
    """``purge`` in every region, each in its own committed transaction; returns how many
    applications were erased."""
    with sessions() as session:
        region_ids = [r.id for r in list_regions(session)]
    erased = 0
    for region_id in region_ids:
        with sessions() as session, session.begin():
            region = session.get(Region, region_id)
            if region is not None:
                erased += purge(session, region, now=now).applications_erased
    return erased


def purge_step(engine: Engine) -> Callable[[], int]:
    """The retention purge as a step of ``simpul worker`` (``simpul.core.jobs``): at most
    every ``PURGE_INTERVAL_SECONDS``."""
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    next_run = 0.0

    def step() -> int:
        nonlocal next_run
        if time.monotonic() < next_run:
            return 0
        next_run = time.monotonic() + PURGE_INTERVAL_SECONDS
        return purge_all_regions(sessions)

    return step
