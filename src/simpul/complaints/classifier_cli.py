"""``simpul complaints evaluate-routing``: how well the routing suggestion would have done on the
newest part of a region's routed complaints (decision 0056)."""

from __future__ import annotations

from typing import Annotated

import typer

from simpul.cli.common import RegionOption
from simpul.complaints.cli import complaints_app
from simpul.core.i18n import _


def _pct(value: float) -> str:
    return f"{value * 100:5.1f} %"


@complaints_app.command("evaluate-routing")
def evaluate_routing(
    region: RegionOption = None,
    test_fraction: Annotated[
        float, typer.Option(min=0.05, max=0.5, help="Share of the newest complaints held out.")
    ] = 0.2,
    seed: Annotated[int, typer.Option(help="Breaks ties of equal filing times.")] = 17,
) -> None:
    """Train on the older routed complaints, test on the newest, print the scores."""
    from simpul.cli import _region, session_scope
    from simpul.complaints import service as complaints

    with session_scope() as session:
        the_region = _region(session, region)
        report = complaints.evaluate_routing(
            session, the_region, test_fraction=test_fraction, seed=seed
        )
    typer.echo(
        _("Wilayah %(region)s: dilatih pada %(train)d pengaduan, diuji pada %(test)d terbaru.")
        % {"region": the_region.slug, "train": report.train_size, "test": report.test_size}
    )
    if report.test_size == 0 or report.agency_accuracy == report.agency_top2 == 0.0:
        typer.echo(_("Riwayat terlalu sedikit untuk dinilai."))
        return
    rows = [
        (_("Ketepatan instansi"), report.agency_accuracy),
        (_("Instansi benar di 2 teratas"), report.agency_top2),
        (_("Pembanding: selalu instansi terbanyak"), report.agency_baseline),
        (_("Ketepatan kategori"), report.category_accuracy),
        (_("Kategori benar di 2 teratas"), report.category_top2),
        (_("Pembanding: selalu kategori terbanyak"), report.category_baseline),
        (_("Ketepatan instansi bila saran ditampilkan"), report.accuracy_above_floor),
    ]
    width = max(len(label) for label, _value in rows)
    for label, value in rows:
        typer.echo(f"  {label.ljust(width)}  {_pct(value)}")
    typer.echo(
        _("  Tanpa saran (keyakinan di bawah ambang): %(n)d dari %(total)d")
        % {"n": report.below_floor, "total": report.test_size}
    )
    typer.echo(
        _("  Waktu latih %(train).2f detik; prediksi %(predict).2f ms per pengaduan")
        % {"train": report.train_seconds, "predict": report.predict_ms_per_complaint}
    )
    typer.echo("")
    header = (_("Instansi"), _("Presisi"), _("Perolehan"), _("Jumlah uji"))
    name_width = max([len(header[0])] + [len(a.name) for a in report.per_agency])
    typer.echo(f"  {header[0].ljust(name_width)}  {header[1]:>8}  {header[2]:>9}  {header[3]:>10}")
    for score in report.per_agency:
        typer.echo(
            f"  {score.name.ljust(name_width)}  {_pct(score.precision):>8}  "
            f"{_pct(score.recall):>9}  {score.support:>10}"
        )
