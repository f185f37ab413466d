"""In-app notifications about applications, and the security notices of accounts, written in
the same transaction as the change."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy.orm import Session

from simpul.accounts.models import User
from simpul.applications import repository
from simpul.applications.models import Application, Notification
from simpul.core import events
from simpul.core.i18n import _, lazy
from simpul.core.models import Region, utcnow

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

#: Notices about an account rather than an application (``notify_account``).
ACCOUNT_TEXTS: Final = {
    "account_activation": lazy(
        "Terima kasih telah mendaftar di layanan daring %(region)s. Buka tautan di bawah dalam "
        "%(hours)s jam untuk mengaktifkan akun Anda. Bila Anda tidak mendaftar, abaikan pesan "
        "ini: tanpa tautan itu akun tidak dibuat."
    ),
    # Decision 0049 (admin helper): an officer invited by their agency's admin.
    "staff_invitation": lazy(
        "Anda diundang sebagai petugas %(agency)s di layanan daring %(region)s. Buka tautan di "
        "bawah dalam %(hours)s jam untuk memasang kata sandi Anda, lalu masuk dengan alamat "
        "e-mail ini. Bila Anda tidak mengharapkan undangan ini, abaikan pesan ini."
    ),
    "registration_attempt_nik": lazy(
        "Seseorang mencoba mendaftar akun baru di layanan daring %(region)s dengan NIK Anda "
        "(%(nik)s). Akun baru tidak dibuat. Bila itu Anda, Anda sudah punya akun: masuk dengan "
        "alamat e-mail ini. Bila bukan Anda, abaikan pesan ini, atau hubungi layanan bantuan "
        "bila terus berulang."
    ),
    "registration_attempt_email": lazy(
        "Seseorang mencoba mendaftar akun baru di layanan daring %(region)s dengan alamat "
        "e-mail ini. Anda sudah punya akun dengan alamat ini, jadi akun baru tidak dibuat. Bila "
        "itu Anda, silakan masuk. Bila bukan Anda, abaikan pesan ini."
    ),
    # Account recovery and verification (accounts/recovery).
    "password_reset": lazy(
        "Ada permintaan untuk mengganti kata sandi akun Anda di layanan daring %(region)s. Buka "
        "tautan di bawah dalam %(minutes)s menit untuk memasang kata sandi baru; tautan hanya "
        "dapat dipakai sekali. Bila Anda tidak memintanya, abaikan pesan ini: kata sandi Anda "
        "tidak berubah."
    ),
    "password_reset_done": lazy(
        "Kata sandi akun Anda di layanan daring %(region)s baru saja diganti lewat tautan lupa "
        "kata sandi, dan semua login serta token akun Anda diakhiri. Bila bukan Anda yang "
        'menggantinya, segera minta tautan baru lewat "Lupa kata sandi?" di halaman masuk dan '
        "hubungi layanan bantuan."
    ),
    "email_change_confirm": lazy(
        "Anda meminta alamat e-mail ini menjadi alamat akun Anda di layanan daring %(region)s. "
        "Buka tautan di bawah dalam %(hours)s jam untuk memastikannya; sebelum itu alamat akun "
        "tidak berubah. Bila Anda tidak memintanya, abaikan pesan ini."
    ),
    "email_change_requested": lazy(
        "Ada permintaan dari akun Anda di layanan daring %(region)s untuk mengganti alamat e-mail "
        "akun menjadi %(new)s. Alamat belum berubah sampai tautan yang dikirim ke alamat baru "
        "dibuka. Bila bukan Anda yang memintanya, segera ganti kata sandi Anda dan hubungi "
        "layanan bantuan."
    ),
    "email_change_done": lazy(
        "Alamat e-mail akun Anda di layanan daring %(region)s sudah diganti menjadi %(new)s; "
        "pesan tentang akun selanjutnya dikirim ke alamat itu. Bila bukan Anda yang "
        "menggantinya, segera hubungi layanan bantuan."
    ),
    "email_change_taken": lazy(
        "Ada permintaan untuk memakai alamat e-mail ini pada akun lain di layanan daring "
        "%(region)s. Alamat ini sudah dipakai akun Anda, jadi tidak ada yang berubah. Bila "
        "bukan Anda, abaikan pesan ini."
    ),
    "phone_code": lazy("Kode verifikasi dikirim lewat WhatsApp ke nomor %(phone)s."),
}


@dataclass(frozen=True)
class NoticeText:
    """How another domain's notice reads (msgids marked with ``lazy``, translated when read):
    its text, its e-mail subject (both ``%(...)s`` from the params) and its link's label."""

    text: str
    subject: str
    link_label: str


#: Notices of other domains (complaints), registered once at import by their owner.
OTHER_TEXTS: dict[str, NoticeText] = {}


def register_notice_texts(texts: Mapping[str, NoticeText]) -> None:
    """Let another domain write notices of its own kinds (``notify_user``)."""
    for kind in texts:
        if kind in TEXTS or kind in ACCOUNT_TEXTS:
            raise ValueError(f"notice kind {kind} is taken")
    OTHER_TEXTS.update(texts)


def notify_user(
    session: Session,
    region_id: uuid.UUID,
    user_id: uuid.UUID,
    kind: str,
    *,
    link: str,
    **params: Any,
) -> Notification:
    """Tell a user (a citizen or an officer) something another domain registered the words
    for; ``link`` is the page's path inside the region (``pengaduan/ADU-...``). In the
    caller's transaction, through the user's chosen channels like every notice."""
    if kind not in OTHER_TEXTS:
        raise ValueError(f"unknown notification kind {kind}")
    notice = Notification(
        region_id=region_id,
        user_id=user_id,
        application_id=None,
        kind=kind,
        params={**params, "link": link},
    )
    _publish(session, notice)
    return notice


def link_of(notice: Notification) -> str | None:
    """The page a notice is about, as a path inside the region; None: no page."""
    if notice.application_id is not None:
        return f"permohonan/{notice.application_id}"
    link = notice.params.get("link")
    return str(link) if link else None


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
    _publish(session, notice)
    return notice


def notify_account(
    session: Session,
    user: User,
    kind: str,
    *,
    channel: str = "",
    recipient: str = "",
    **params: Any,
) -> Notification:
    """Tell the owner of ``user`` something about the account itself (in the caller's
    transaction). Goes by e-mail only, whatever channels they chose: it is about the
    account's security, and the phone number on an account was never proved to be theirs.
    ``channel`` and ``recipient`` (account recovery): only that channel, to that address (a
    new e-mail address or phone number the owner is proving)."""
    if kind not in ACCOUNT_TEXTS:
        raise ValueError(f"unknown account notice kind {kind}")
    notice = Notification(
        region_id=user.region_id, user_id=user.id, application_id=None, kind=kind, params=params
    )
    _publish(session, notice, email_only=True, channel=channel, recipient=recipient)
    return notice


def _publish(
    session: Session,
    notice: Notification,
    *,
    email_only: bool = False,
    channel: str = "",
    recipient: str = "",
) -> None:
    """Write the notice and say so: notify queues its e-mail/webhook deliveries in the same
    transaction (``NotificationCreated``), so they exist only if it commits."""
    repository.add(session, notice)
    session.flush()  # the deliveries refer to the notice's id
    events.publish(
        session,
        events.NotificationCreated(
            region_id=notice.region_id,
            notification_id=notice.id,
            email_only=email_only,
            channel=channel,
            recipient=recipient,
        ),
    )


def delete_for_users(session: Session, region: Region, user_ids: Sequence[uuid.UUID]) -> None:
    """Remove the notifications of accounts that are being deleted (their deliveries go with
    the accounts)."""
    if user_ids:
        repository.delete_notifications_of_users(session, region.id, user_ids)


def text_of(notice: Notification) -> str:
    """The notification in the reader's language."""
    other = OTHER_TEXTS.get(notice.kind)
    template = (
        TEXTS.get(notice.kind) or ACCOUNT_TEXTS.get(notice.kind) or (other.text if other else None)
    )
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
