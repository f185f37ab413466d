"""The app inventory: validating rows (from a form or a spreadsheet), importing, listing, exporting.

A spreadsheet row is a mapping of the column names in ``COLUMNS`` to text. Values may be
written as codes (``operating``) or as the Indonesian labels people use (``Beroperasi``);
the owner agency by its slug or short name (``disdukcapil``, ``Disdukcapil``).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy.orm import Session

from simpul.catalogue import service as catalogue
from simpul.catalogue.models import Agency
from simpul.core.audit import record_audit_event
from simpul.core.errors import InvalidInput
from simpul.core.i18n import _
from simpul.core.models import Region
from simpul.inventory import repository
from simpul.inventory.models import (
    CLASSIFICATION_LABELS,
    HOSTING_LABELS,
    INTEGRATION_LABELS,
    SPBE_AREAS,
    STATUS_LABELS,
    USERS_LABELS,
    App,
    AppStatus,
    AppUsers,
    DataClassification,
    Hosting,
    IntegrationState,
)

# Re-exported: the inventory pages filter with it.
from simpul.inventory.repository import AppFilter as AppFilter  # noqa: PLC0414

#: The columns of the inventory spreadsheet, in order (the template has exactly these).
COLUMNS: Final = (
    "kode",
    "nama",
    "opd",
    "tujuan",
    "pengguna",
    "url",
    "hosting",
    "status",
    "area_spbe",
    "klasifikasi_data",
    "status_integrasi",
    "tahun_rencana",
    "tanggal_integrasi",
)
REQUIRED: Final = (
    "kode",
    "nama",
    "opd",
    "pengguna",
    "hosting",
    "status",
    "area_spbe",
    "klasifikasi_data",
)
#: Codes that are page addresses under /{region}/aplikasi/.
RESERVED_CODES: Final = frozenset({"peta-jalan"})
_CODE = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
MIN_YEAR, MAX_YEAR = 2000, 2100


@dataclass(frozen=True)
class AppData:
    """One valid inventory row, ready to store."""

    code: str
    name: str
    agency_id: uuid.UUID
    purpose: str
    users: AppUsers
    url: str
    hosting: Hosting
    status: AppStatus
    spbe_area: str
    data_classification: DataClassification
    integration_state: IntegrationState
    planned_year: int | None
    integrated_on: dt.date | None


@dataclass(frozen=True)
class RowProblem:
    """Why one line of a file was refused. ``line`` counts the header as line 1."""

    line: int
    column: str
    message: str


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    #: True when nothing was written because of ``all_or_nothing`` and a bad row.
    refused: bool = False


def _choice(value: str, labels: Mapping[str, str]) -> str | None:
    """Accept a code or its Indonesian label, case-insensitively."""
    wanted = " ".join(value.split()).lower().replace(" ", "_")
    for code, label in labels.items():
        if wanted in (code, label.lower().replace(" ", "_")):
            return code
    return None


def _agency_lookup(agencies: Sequence[Agency]) -> dict[str, Agency]:
    found: dict[str, Agency] = {}
    for agency in agencies:
        for key in (agency.slug, agency.short_name, agency.name):
            found[key.strip().lower()] = agency
    return found


def parse_row(  # noqa: PLR0912 - one check per column, in the order of the file
    row: Mapping[str, str | None], agencies: Mapping[str, Agency]
) -> tuple[AppData | None, list[tuple[str, str]]]:
    """Check one row; return its data, or the (column, message) problems found."""
    value = {k: " ".join(str(row.get(k) or "").split()) for k in COLUMNS}
    problems: list[tuple[str, str]] = [
        (column, _("Wajib diisi.")) for column in REQUIRED if not value[column]
    ]

    def pick(column: str, labels: Mapping[str, str]) -> str | None:
        if not value[column]:
            return None
        code = _choice(value[column], labels)
        if code is None:
            options = ", ".join(labels)
            problems.append(
                (
                    column,
                    _("Nilai '%(value)s' tidak dikenal; pilih: %(options)s.")
                    % {"value": value[column], "options": options},
                )
            )
        return code

    code = value["kode"].lower()
    if code and (not _CODE.match(code) or len(code) > 60):
        problems.append(("kode", _("Kode hanya huruf kecil, angka, - dan _ (maks. 60).")))
    elif code in RESERVED_CODES:
        problems.append(("kode", _("Kode ini dipakai sistem; pilih yang lain.")))
    if len(value["nama"]) > 200:
        problems.append(("nama", _("Maksimal %(n)d karakter.") % {"n": 200}))
    agency = agencies.get(value["opd"].lower()) if value["opd"] else None
    if value["opd"] and agency is None:
        problems.append(
            ("opd", _("OPD '%(value)s' tidak ada di wilayah ini.") % {"value": value["opd"]})
        )
    url = value["url"]
    if url and not re.match(r"^https?://\S+$", url):
        problems.append(("url", _("URL harus diawali http:// atau https://.")))
    users = pick("pengguna", USERS_LABELS)
    hosting = pick("hosting", HOSTING_LABELS)
    status = pick("status", STATUS_LABELS)
    area = pick("area_spbe", SPBE_AREAS)
    classification = pick("klasifikasi_data", CLASSIFICATION_LABELS)
    integration = (
        pick("status_integrasi", INTEGRATION_LABELS) if value["status_integrasi"] else "not_planned"
    )
    planned_year = None
    if value["tahun_rencana"]:
        try:
            planned_year = int(value["tahun_rencana"])
        except ValueError:
            planned_year = -1
        if not MIN_YEAR <= planned_year <= MAX_YEAR:
            problems.append(("tahun_rencana", _("Tahun tidak valid, contoh: 2027.")))
            planned_year = None
    if (
        integration == "planned"
        and planned_year is None
        and not any(c == "tahun_rencana" for c, _m in problems)
    ):
        problems.append(("tahun_rencana", _("Aplikasi yang direncanakan perlu tahun rencana.")))
    if integration != "planned":
        planned_year = None
    integrated_on = None
    if value["tanggal_integrasi"]:
        try:
            integrated_on = dt.date.fromisoformat(value["tanggal_integrasi"][:10])
        except ValueError:
            problems.append(("tanggal_integrasi", _("Tanggal harus berbentuk YYYY-MM-DD.")))
    if problems:
        return None, problems
    # parse_row reported every missing value above; these hold by now.
    assert agency is not None
    assert users and hosting and status and area and classification and integration  # noqa: PT018
    return (
        AppData(
            code=code,
            name=value["nama"],
            agency_id=agency.id,
            purpose=str(row.get("tujuan") or "").strip()[:2000],
            users=AppUsers(users),
            url=url,
            hosting=Hosting(hosting),
            status=AppStatus(status),
            spbe_area=area,
            data_classification=DataClassification(classification),
            integration_state=IntegrationState(integration),
            planned_year=planned_year,
            integrated_on=integrated_on if integration == "integrated" else None,
        ),
        [],
    )


def import_apps(
    session: Session,
    region: Region,
    rows: Iterable[Mapping[str, str | None]],
    *,
    all_or_nothing: bool,
    progress: Callable[[int], None] | None = None,
    actor_label: str = "cli",
) -> ImportReport:
    """Add or update apps (by ``kode``) from rows; every bad row is reported with its line.

    With ``all_or_nothing`` a single bad row means nothing is written; otherwise the good rows
    are stored and the bad ones reported. A code that appears twice is a problem on its
    second line.
    """
    agencies = _agency_lookup(catalogue.all_agencies(session, region))
    report = ImportReport()
    valid: list[AppData] = []
    seen: dict[str, int] = {}
    for index, row in enumerate(rows):
        line = index + 2  # line 1 is the header
        data, problems = parse_row(row, agencies)
        if data is not None and data.code in seen:
            problems = [
                ("kode", _("Kode sudah dipakai di baris %(line)d.") % {"line": seen[data.code]})
            ]
            data = None
        report.problems.extend(RowProblem(line, column, message) for column, message in problems)
        if data is not None:
            seen[data.code] = line
            valid.append(data)
        if progress:
            progress(1)
    if report.problems and all_or_nothing:
        report.refused = True
        return report
    existing = {app.code: app for app in repository.list_all_apps(session, region.id)}
    for data in valid:
        app = existing.get(data.code)
        if app is None:
            repository.add(session, App(region_id=region.id, **data.__dict__))
            report.created += 1
        else:
            for key, new_value in data.__dict__.items():
                setattr(app, key, new_value)
            report.updated += 1
    session.flush()
    record_audit_event(
        session,
        region_id=region.id,
        actor_id=None,
        actor_label=actor_label,
        action="inventory.import",
        target_type="region",
        target_id=str(region.id),
        details={
            "created": report.created,
            "updated": report.updated,
            "bad_rows": len(report.problems),
        },
    )
    return report


def list_all_apps(session: Session, region: Region) -> Sequence[App]:
    """Every app of the region, by code (for choosers, such as the gateway's provider app)."""
    return repository.list_all_apps(session, region.id)


def find_apps(
    session: Session, region: Region, where: AppFilter, *, limit: int, offset: int
) -> tuple[Sequence[App], int]:
    """The apps matching ``where``, a page of them, and how many match in all."""
    return repository.find_apps(session, region.id, where, limit=limit, offset=offset)


def get_app_by_code(session: Session, region: Region, code: str) -> App | None:
    return repository.get_app_by_code(session, region.id, code)


def count_apps(session: Session, region: Region) -> int:
    return repository.count_apps(session, region.id)


def count_apps_by(session: Session, region: Region, column: str) -> dict[str, int]:
    """How many apps there are per value of ``column`` (``status``, ``hosting``...)."""
    return repository.count_apps_by(session, region.id, column)


def export_rows(session: Session, region: Region) -> list[dict[str, str]]:
    """The inventory as spreadsheet rows (the import's format), ordered by code."""
    agencies = {a.id: a.slug for a in catalogue.all_agencies(session, region)}
    return [
        {
            "kode": app.code,
            "nama": app.name,
            "opd": agencies.get(app.agency_id, ""),
            "tujuan": app.purpose,
            "pengguna": app.users.value,
            "url": app.url,
            "hosting": app.hosting.value,
            "status": app.status.value,
            "area_spbe": app.spbe_area,
            "klasifikasi_data": app.data_classification.value,
            "status_integrasi": app.integration_state.value,
            "tahun_rencana": str(app.planned_year or ""),
            "tanggal_integrasi": app.integrated_on.isoformat() if app.integrated_on else "",
        }
        for app in repository.list_all_apps(session, region.id)
    ]


def require_valid(report: ImportReport) -> None:
    """Raise ``InvalidInput`` listing the bad rows (for callers that answer with an error)."""
    if report.problems:
        raise InvalidInput(
            _("Ada baris yang tidak valid."),
            details=[
                {"field": f"baris {p.line}: {p.column}", "message": p.message}
                for p in report.problems
            ],
        )
