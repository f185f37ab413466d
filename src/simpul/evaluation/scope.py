"""Who reads the evaluation reports: a region admin reads every agency, an agency admin (admin
OPD) their own agencies, anyone else is refused."""

from __future__ import annotations

import uuid

from simpul.accounts.models import AccountKind, User
from simpul.applications.access import administered_agencies
from simpul.core.errors import Forbidden
from simpul.core.i18n import _
from simpul.core.models import Region


def report_scope(region: Region, user: User) -> set[uuid.UUID] | None:
    """None (every agency) for the region's admin, the agencies an agency admin runs; else
    ``Forbidden``."""
    if user.region_id == region.id:
        if user.kind is AccountKind.REGION_ADMIN:
            return None
        agencies = administered_agencies(user)
        if agencies:
            return agencies
    raise Forbidden(_("Halaman ini hanya untuk admin wilayah dan admin OPD."))
