"""The region's record of processing activities (RoPA, *catatan kegiatan pemrosesan data
pribadi*, UU 27/2022 Pasal 31), generated from the catalogue and the app inventory.

One row per processing activity: each service (the personal data its eForm and required
documents collect, its purpose, its legal basis from the standard's *dasar hukum*, the
retention settings, the recipients: the agency and the apps given account data through the
provider), each app of the inventory that holds personal data, and each relying party (what
it may receive of a citizen's account)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlalchemy.orm import Session

from simpul.applications import service as applications_service
from simpul.catalogue import service as catalogue_service
from simpul.core.i18n import _, lazy
from simpul.core.models import Region
from simpul.core.settings import get_settings
from simpul.identity import repository
from simpul.identity.models import SCOPE_CLAIMS
from simpul.inventory import service as inventory_service
from simpul.web.downloads import ExportColumn

EXPORT_COLUMNS: Final = [
    ExportColumn("activity", lazy("Kegiatan pemrosesan")),
    ExportColumn("controller", lazy("Unit pengendali")),
    ExportColumn("data", lazy("Data pribadi")),
    ExportColumn("purpose", lazy("Tujuan")),
    ExportColumn("legal_basis", lazy("Dasar hukum")),
    ExportColumn("retention", lazy("Masa retensi")),
    ExportColumn("recipients", lazy("Penerima")),
]


@dataclass(frozen=True)
class Activity:
    kind: str  # "service", "app", "client"
    activity: str
    controller: str
    data: str
    purpose: str
    legal_basis: str
    retention: str
    recipients: str

    def row(self) -> dict[str, str]:
        return {key.key: getattr(self, key.key) for key in EXPORT_COLUMNS}


def record_of_processing(session: Session, region: Region) -> list[Activity]:
    """Every processing activity of the region, services first (by agency and name)."""
    settings = get_settings()
    agencies = {a.id: a.name for a in catalogue_service.all_agencies(session, region)}
    clients = repository.clients_with_scopes(session, region.id)
    retention = _(
        "Selesai: %(docs)d tahun (arsip); lainnya: %(apps)d tahun, tanpa jawaban formulir"
    ) % {
        "docs": settings.pdp_retention_documents_years,
        "apps": settings.pdp_retention_applications_years,
    }
    account = _("Akun: nama, e-mail, nomor HP, NIK")
    rows: list[Activity] = []
    services = sorted(
        catalogue_service.every_service(session, region),
        key=lambda s: (agencies.get(s.agency_id, ""), s.name),
    )
    for service in services:
        fields = [
            f"{label} ({kind.value})"
            for label, kind in applications_service.personal_fields_of(service)
        ]
        documents = [str(d.get("name", "")) for d in service.required_documents or []]
        data = "; ".join(
            part
            for part in (
                account,
                ", ".join(fields),
                _("Unggahan: %(docs)s") % {"docs": ", ".join(documents)} if documents else "",
            )
            if part
        )
        agency = agencies.get(service.agency_id, "")
        rows.append(
            Activity(
                kind="service",
                activity=_("Layanan: %(name)s") % {"name": service.name},
                controller=agency,
                data=data,
                purpose=service.summary,
                legal_basis=str((service.standard or {}).get("dasar_hukum", "")),
                retention=retention,
                recipients=agency,
            )
        )
    for app in inventory_service.list_all_apps(session, region):
        if app.data_classification.value != "personal":
            continue
        rows.append(
            Activity(
                kind="app",
                activity=_("Aplikasi: %(name)s") % {"name": app.name},
                controller=agencies.get(app.agency_id, ""),
                data=_("Data pribadi yang dikelola aplikasi (klasifikasi: data pribadi)"),
                purpose=app.purpose,
                legal_basis=_("Diisi pengelola aplikasi"),
                retention=_("Diisi pengelola aplikasi"),
                recipients=app.name,
            )
        )
    for client in clients:
        claims = sorted(
            {c for s in client.allowed_scopes for c in SCOPE_CLAIMS.get(s, ())} - {"sub"}
        )
        rows.append(
            Activity(
                kind="client",
                activity=_("Masuk sekali ke %(name)s") % {"name": client.name},
                controller=_("Simpul (penyedia identitas daerah)"),
                data=", ".join(claims) or "sub",
                purpose=_("Masuk ke aplikasi daerah dengan satu akun"),
                legal_basis=_("Persetujuan subjek data (UU 27/2022 Pasal 20 ayat 2 huruf a)"),
                retention=_("Sampai persetujuan dicabut atau akun ditutup"),
                recipients=client.name,
            )
        )
    return rows
