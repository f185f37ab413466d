"""The dashboard's complaint section: its monthly chart and its export (the figures themselves
come from ``simpul.complaints.service.complaint_figures``, which defines them)."""

from __future__ import annotations

from typing import Final

from simpul.complaints.service import ComplaintFigures
from simpul.core.i18n import lazy
from simpul.evaluation.kpis.report import MonthChart, month_chart
from simpul.web.downloads import ExportColumn, Kind, Value


def chart(figures: ComplaintFigures) -> MonthChart:
    """Complaints filed and deadlines kept per month, as the applications' paired bars."""
    return month_chart([(m.month, m.filed, m.deadlines.kept) for m in figures.months])


EXPORT_COLUMNS: Final = (
    ExportColumn("bulan", lazy("Bulan"), Kind.DATE),
    ExportColumn("masuk", lazy("Pengaduan masuk"), Kind.INTEGER),
    ExportColumn("tepat_waktu", lazy("Tepat waktu"), Kind.INTEGER),
    ExportColumn("terlambat", lazy("Terlambat"), Kind.INTEGER),
    ExportColumn("belum_jatuh_tempo", lazy("Belum jatuh tempo"), Kind.INTEGER),
    ExportColumn("persen_tepat_waktu", lazy("Persen tepat waktu"), Kind.PERCENT),
    ExportColumn("tanggapan_pertama", lazy("Tanggapan pertama"), Kind.INTEGER),
    ExportColumn(
        "hari_tanggapan_pertama", lazy("Rata-rata hari kerja tanggapan pertama"), Kind.DECIMAL
    ),
    ExportColumn("dieskalasi", lazy("Dieskalasi"), Kind.INTEGER),
    ExportColumn("dibuka_kembali", lazy("Dibuka kembali"), Kind.INTEGER),
    ExportColumn("penilaian", lazy("Penilaian"), Kind.INTEGER),
    ExportColumn("rata_rata_penilaian", lazy("Rata-rata penilaian (1-5)"), Kind.INDEX),
)


def export_rows(figures: ComplaintFigures) -> list[dict[str, Value]]:
    """One row per month of the period, in EXPORT_COLUMNS (shares 0..1)."""
    return [
        {
            "bulan": m.month,
            "masuk": m.filed,
            "tepat_waktu": m.deadlines.kept,
            "terlambat": m.deadlines.missed,
            "belum_jatuh_tempo": m.deadlines.pending,
            "persen_tepat_waktu": m.deadlines.kept_share,
            "tanggapan_pertama": m.first_answered,
            "hari_tanggapan_pertama": m.first_answer_days,
            "dieskalasi": m.escalated,
            "dibuka_kembali": m.reopened,
            "penilaian": m.ratings.count,
            "rata_rata_penilaian": m.ratings.average,
        }
        for m in figures.months
    ]
