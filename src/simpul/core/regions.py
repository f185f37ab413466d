"""Regions (tenancy): lookup, creation, and the dependency that scopes every request."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from simpul.core import repository
from simpul.core.audit import record_audit_event
from simpul.core.database import DbSession
from simpul.core.errors import Conflict, InvalidInput, NotFound
from simpul.core.i18n import _
from simpul.core.models import Region

REGION_KINDS = ("kota", "kabupaten", "provinsi")
#: A region's status: only ``active`` ones are listed publicly and compared (decision 0053).
REGION_STATUSES = ("active", "test", "inactive")
ACTIVE = "active"
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
#: Slugs that would clash with top-level URLs.
RESERVED_SLUGS = frozenset({"api", "static", "lang", "healthz", "favicon.ico", "robots.txt"})


def get_region_by_slug(session: Session, slug: str) -> Region | None:
    return repository.get_region_by_slug(session, slug)


def list_regions(session: Session) -> Sequence[Region]:
    """Every region, by name."""
    return repository.list_regions(session)


def list_active_regions(session: Session) -> Sequence[Region]:
    """The regions the public front page lists and the comparison ranks, by name: neither
    a test copy nor a region that left."""
    return repository.list_regions_with_status(session, ACTIVE)


def set_region_status(
    session: Session, region: Region, status: str, *, actor_label: str = "cli"
) -> Region:
    """Mark the region active, test or inactive; audited. Its pages keep working: the status
    only decides whether it is listed and compared."""
    if status not in REGION_STATUSES:
        raise InvalidInput(
            _("Data wilayah tidak valid."),
            details=[
                {
                    "field": "status",
                    "message": _("Status wilayah harus active, test atau inactive."),
                }
            ],
        )
    previous = region.status
    region.status = status
    record_audit_event(
        session,
        region_id=region.id,
        actor_id=None,
        actor_label=actor_label,
        action="region.status",
        target_type="region",
        target_id=str(region.id),
        details={"from": previous, "to": status},
    )
    return region


def guess_kind(name: str) -> str:
    """'Kabupaten Semarang' -> kabupaten; 'Kota Bandung' -> kota."""
    first = name.strip().split(" ", 1)[0].lower()
    if first in ("kabupaten", "kab.", "kab"):
        return "kabupaten"
    if first in ("provinsi", "prov.", "prov"):
        return "provinsi"
    return "kota"


def create_region(
    session: Session,
    *,
    slug: str,
    name: str,
    kind: str | None = None,
    code: str | None = None,
    actor_label: str = "cli",
) -> Region:
    """Create a region; the slug becomes its URL prefix and cannot clash with another."""
    errors = []
    if not _SLUG.match(slug) or len(slug) > 60:
        errors.append(
            {
                "field": "slug",
                "message": _("Slug hanya boleh huruf kecil, angka dan tanda hubung (maks. 60)."),
            }
        )
    elif slug in RESERVED_SLUGS:
        errors.append({"field": "slug", "message": _("Slug ini dipakai sistem; pilih yang lain.")})
    if not name.strip():
        errors.append({"field": "name", "message": _("Nama wilayah wajib diisi.")})
    kind = kind or guess_kind(name)
    if kind not in REGION_KINDS:
        errors.append(
            {"field": "kind", "message": _("Jenis wilayah harus kota, kabupaten atau provinsi.")}
        )
    if code is not None and not re.fullmatch(r"\d{2}(\.\d{2}){0,3}", code):
        errors.append({"field": "code", "message": _("Kode wilayah Kemendagri berbentuk 32.73.")})
    if errors:
        raise InvalidInput(_("Data wilayah tidak valid."), details=errors)
    if get_region_by_slug(session, slug) is not None:
        raise Conflict(
            _("Wilayah dengan slug ini sudah ada."), details=[{"field": "slug", "message": slug}]
        )
    region = Region(slug=slug, name=name.strip(), kind=kind, code=code)
    repository.add_region(session, region)
    record_audit_event(
        session,
        region_id=region.id,
        actor_id=None,
        actor_label=actor_label,
        action="region.create",
        target_type="region",
        target_id=str(region.id),
        details={"slug": slug, "name": region.name},
    )
    return region


#: Longest log retention accepted: a century (the column is a 32-bit integer).
MAX_LOG_RETENTION_MONTHS = 1200


def set_log_retention(
    session: Session, region: Region, months: int, *, actor_label: str = "cli"
) -> Region:
    """How many months of the region's message log and audit trail stay in the database
    before ``simpul audit archive`` moves them to signed archive files."""
    if not 1 <= months <= MAX_LOG_RETENTION_MONTHS:
        raise InvalidInput(
            _("Data wilayah tidak valid."),
            details=[
                {
                    "field": "log_retention_months",
                    "message": _("Masa simpan log harus antara 1 dan %(max)d bulan.")
                    % {"max": MAX_LOG_RETENTION_MONTHS},
                }
            ],
        )
    previous = region.log_retention_months
    region.log_retention_months = months
    record_audit_event(
        session,
        region_id=region.id,
        actor_id=None,
        actor_label=actor_label,
        action="region.log_retention",
        target_type="region",
        target_id=str(region.id),
        details={"from": previous, "to": months},
    )
    return region


def require_region(session: Session, slug: str) -> Region:
    region = get_region_by_slug(session, slug)
    if region is None:
        raise NotFound(_("Wilayah tidak ditemukan."))
    return region


# -- dependency ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RegionView:
    """What pages and error pages show of the region; stays readable after a rollback."""

    id: uuid.UUID
    slug: str
    name: str
    kind: str
    timezone: str = "Asia/Jakarta"

    @classmethod
    def of(cls, region: Region) -> RegionView:
        return cls(region.id, region.slug, region.name, region.kind, region.timezone)


def current_region(region: str, session: DbSession, request: Request) -> Region:
    """The region named by the ``{region}`` path segment; 404 when there is none."""
    found = require_region(session, region)
    request.state.region = RegionView.of(found)
    return found


CurrentRegion = Annotated[Region, Depends(current_region)]
