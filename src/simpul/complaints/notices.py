"""What complaint notices say, and whom they go to. Written in the caller's transaction through
``applications.service.notify_user``, so they reach each person's chosen channels (the bell,
e-mail, WhatsApp) only if the step commits."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any, Final

from sqlalchemy.orm import Session

from simpul.applications import service as applications
from simpul.applications.service import NoticeText
from simpul.complaints.models import Complaint
from simpul.core.i18n import lazy

_SEE = lazy("Lihat pengaduan")
_OPEN = lazy("Buka di kotak pengaduan")

#: Notices to the citizens who follow a complaint (its reporter and supporters).
CITIZEN_NOTICES: Final = {
    "complaint_filed": NoticeText(
        lazy(
            "Pengaduan %(number)s diterima. Admin pengaduan meneruskannya ke instansi yang "
            "berwenang; tanggapan pertama paling lambat %(due)s."
        ),
        lazy("Pengaduan %(number)s diterima"),
        _SEE,
    ),
    "complaint_routed": NoticeText(
        lazy("Pengaduan %(number)s diteruskan ke %(agency)s."),
        lazy("Pengaduan %(number)s diteruskan"),
        _SEE,
    ),
    "complaint_answered": NoticeText(
        lazy("%(agency)s menanggapi pengaduan %(number)s."),
        lazy("Tanggapan atas pengaduan %(number)s"),
        _SEE,
    ),
    "complaint_info_requested": NoticeText(
        lazy(
            "%(agency)s meminta keterangan tambahan untuk pengaduan %(number)s: %(note)s. "
            "Balas di halaman pengaduan."
        ),
        lazy("Keterangan diminta untuk pengaduan %(number)s"),
        _SEE,
    ),
    "complaint_resolved": NoticeText(
        lazy(
            "Pengaduan %(number)s selesai ditanggapi %(agency)s. Beri nilai tanggapannya, atau "
            "buka kembali bila belum tuntas."
        ),
        lazy("Pengaduan %(number)s selesai"),
        _SEE,
    ),
    "complaint_split": NoticeText(
        lazy(
            "Pengaduan %(number)s menyangkut beberapa instansi dan dipecah menjadi %(numbers)s; "
            "Anda mengikuti semuanya."
        ),
        lazy("Pengaduan %(number)s dipecah"),
        _SEE,
    ),
    "complaint_merged": NoticeText(
        lazy(
            "Pengaduan %(number)s sama dengan pengaduan %(into)s dan digabung ke sana; kabar "
            "selanjutnya datang dari pengaduan itu."
        ),
        lazy("Pengaduan %(number)s digabung"),
        _SEE,
    ),
    "complaint_forwarded": NoticeText(
        lazy("Pengaduan %(number)s diteruskan ke %(target)s, yang berwenang menanganinya."),
        lazy("Pengaduan %(number)s diteruskan"),
        _SEE,
    ),
    "complaint_rejected": NoticeText(
        lazy("Pengaduan %(number)s tidak dapat diproses: %(note)s."),
        lazy("Pengaduan %(number)s tidak dapat diproses"),
        _SEE,
    ),
}

#: Notices to officers and the complaint desk.
STAFF_NOTICES: Final = {
    "complaint_assigned": NoticeText(
        lazy("Pengaduan %(number)s masuk ke %(agency)s. Tanggapan pertama paling lambat %(due)s."),
        lazy("Pengaduan baru untuk %(agency)s: %(number)s"),
        _OPEN,
    ),
    "complaint_citizen_replied": NoticeText(
        lazy("Pelapor menjawab permintaan keterangan pada pengaduan %(number)s."),
        lazy("Jawaban pelapor pada pengaduan %(number)s"),
        _OPEN,
    ),
    "complaint_reopened": NoticeText(
        lazy(
            "Pelapor membuka kembali pengaduan %(number)s: %(note)s. Batas penyelesaian baru: "
            "%(due)s."
        ),
        lazy("Pengaduan %(number)s dibuka kembali"),
        _OPEN,
    ),
    "complaint_escalated": NoticeText(
        lazy(
            "Pengaduan %(number)s di %(agency)s melewati batas %(deadline)s (%(due)s) dan "
            "belum ditindaklanjuti."
        ),
        lazy("Pengaduan %(number)s melewati batas waktu"),
        _OPEN,
    ),
}

applications.register_notice_texts({**CITIZEN_NOTICES, **STAFF_NOTICES})


def back_office_link(complaint: Complaint) -> str:
    return f"petugas/pengaduan/{complaint.number}"


def tell_users(
    session: Session,
    complaint: Complaint,
    user_ids: Iterable[uuid.UUID],
    kind: str,
    **params: Any,
) -> int:
    """Send one notice of ``kind`` to each user (once each); returns how many."""
    staff = kind in STAFF_NOTICES
    link = back_office_link(complaint) if staff else f"pengaduan/{complaint.number}"
    sent = 0
    for user_id in dict.fromkeys(user_ids):
        applications.notify_user(
            session,
            complaint.region_id,
            user_id,
            kind,
            link=link,
            number=complaint.number,
            **params,
        )
        sent += 1
    return sent
