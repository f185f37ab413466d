"""How statuses and history steps are named to people (translated at render time)."""

from __future__ import annotations

from typing import Any, Final

from simpul.core.i18n import lazy

STATUS_LABELS: Final = {
    "draft": lazy("Draf"),
    "submitted": lazy("Diproses"),
    "returned": lazy("Perlu perbaikan"),
    "completed": lazy("Selesai"),
    "rejected": lazy("Ditolak"),
    "cancelled": lazy("Dibatalkan"),
}

EVENT_LABELS: Final = {
    "draft": lazy("Draf dibuat"),
    "submit": lazy("Permohonan diajukan"),
    "claim": lazy("Diperiksa petugas"),
    "assign": lazy("Ditugaskan kepada petugas"),
    "approve": lazy("Disetujui, lanjut ke tahap berikutnya"),
    "return": lazy("Dikembalikan untuk diperbaiki"),
    "resubmit": lazy("Perbaikan dikirim"),
    "complete": lazy("Selesai"),
    "reject": lazy("Ditolak"),
    "update": lazy("Data diperbarui petugas"),
    "data_entry": lazy("Isian petugas dicatat"),
    "document_issued": lazy("Dokumen hasil diterbitkan dan ditandatangani secara elektronik"),
    "document_revoked": lazy("Dokumen hasil dicabut"),
    "cancel": lazy("Dibatalkan oleh pemohon"),
}

OUTCOME_LABELS: Final = {
    "approve": lazy("Setujui"),
    "return": lazy("Kembalikan untuk perbaikan"),
    "reject": lazy("Tolak"),
}


def step_names(workflow: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """A service's step codes with their Indonesian and English names, for timelines."""
    return {s["code"]: (s["name"], s["name_en"]) for s in workflow.get("steps", [])}
