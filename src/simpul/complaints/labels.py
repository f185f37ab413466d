"""What complaint statuses, kinds, classes and history steps are called (msgids, translated
at render time with ``_``)."""

from __future__ import annotations

from typing import Final

from simpul.core.i18n import lazy

KIND_LABELS: Final = {
    "complaint": lazy("Pengaduan"),
    "aspiration": lazy("Aspirasi"),
    "information": lazy("Permintaan informasi"),
}

STATUS_LABELS: Final = {
    "new": lazy("Menunggu verifikasi"),
    "routed": lazy("Diteruskan ke instansi"),
    "in_progress": lazy("Ditindaklanjuti"),
    "waiting_citizen": lazy("Menunggu keterangan pelapor"),
    "resolved": lazy("Selesai"),
    "split": lazy("Dipecah ke beberapa instansi"),
    "merged": lazy("Digabung dengan laporan lain"),
    "forwarded": lazy("Diteruskan ke luar daerah"),
    "rejected": lazy("Tidak dapat diproses"),
}

DEADLINE_CLASS_LABELS: Final = {
    "information": lazy("Permintaan informasi"),
    "simple": lazy("Pengaduan sederhana"),
    "no_field_check": lazy("Pengaduan tanpa pemeriksaan lapangan"),
    "field_check": lazy("Pengaduan dengan pemeriksaan lapangan"),
}

#: History steps as the public page and the back office name them.
ACTION_LABELS: Final = {
    "filed": lazy("Laporan dikirim"),
    "routed": lazy("Diteruskan ke instansi"),
    "split": lazy("Dipecah ke beberapa instansi"),
    "split_from": lazy("Dibuat dari pemecahan laporan"),
    "forwarded_agency": lazy("Dialihkan ke instansi lain"),
    "forwarded_out": lazy("Diteruskan ke luar daerah"),
    "answered": lazy("Tanggapan instansi"),
    "info_requested": lazy("Instansi meminta keterangan"),
    "citizen_replied": lazy("Keterangan dari pelapor"),
    "resolved": lazy("Tanggapan akhir: selesai"),
    "rated": lazy("Pelapor menilai tanggapan"),
    "reopened": lazy("Dibuka kembali oleh pelapor"),
    "escalated": lazy("Melewati batas waktu: diteruskan ke pimpinan"),
    "merged": lazy("Digabung dengan laporan lain"),
    "merged_here": lazy("Laporan lain digabung ke sini"),
    "rejected": lazy("Tidak dapat diproses"),
    "received_from": lazy("Diterima dari daerah lain"),
    "forward_failed": lazy("Penerusan ke luar daerah gagal"),
}

#: Who took a step, on the public page, when it was not an agency.
PUBLIC_ACTORS: Final = {
    "reporter": lazy("Pelapor"),
    "desk": lazy("Admin pengaduan"),
    "system": lazy("Sistem"),
}
