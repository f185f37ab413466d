"""Builders for test data, going through the same services the application uses."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, StaffRoleName, User
from simpul.accounts.service import RoleGrant, create_user
from simpul.catalogue.seed import AgencySeed, LifeEventSeed
from simpul.catalogue.service import import_catalogue
from simpul.catalogue.standard import STANDARD_COMPONENTS
from simpul.core.models import Region
from simpul.core.regions import create_region


def standard(topic: str) -> dict[str, str]:
    return {
        key: f"{key.replace('_', ' ').capitalize()} untuk {topic}." for key in STANDARD_COMPONENTS
    }


def service_seed(slug: str, name: str, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "slug": slug,
        "name": name,
        "name_en": f"{name} (en)",
        "summary": f"Layanan {name} untuk warga, diajukan secara daring.",
        "summary_en": f"The {name} service for residents, applied for online.",
        "keywords": [],
        "life_events": [],
        "sla_working_days": 3,
        "fee_rupiah": 0,
        "standard": standard(name),
        "required_documents": [{"code": "ktp", "name": "KTP-el pemohon"}],
        "eform": {
            "schema": {
                "type": "object",
                "title": name,
                "properties": {"nama": {"type": "string", "title": "Nama"}},
                "required": ["nama"],
            }
        },
    }
    data.update(extra)
    return data


def make_region(
    session: Session,
    slug: str,
    name: str,
    services: list[dict[str, Any]] | None = None,
    agency_slug: str = "dinas-uji",
) -> Region:
    """A region with one agency and the given services (published)."""
    region = create_region(session, slug=slug, name=name)
    add_agency(
        session,
        region,
        agency_slug,
        f"Dinas Uji {name}",
        services or [service_seed(f"{slug}-layanan", f"Layanan Khas {name}")],
    )
    return region


def add_agency(
    session: Session, region: Region, slug: str, name: str, services: list[dict[str, Any]]
) -> None:
    """Another agency of the region, with its services."""
    agency = AgencySeed.model_validate(
        {
            "slug": slug,
            "name": name,
            "short_name": "Disuji" if slug == "dinas-uji" else slug.upper()[:40],
            "name_en": f"Test Agency {name}",
            "description": f"Instansi untuk pengujian: {name}.",
            "address": "Jl. Uji No. 1",
            "phone": "(022) 000000",
            "email": "uji@example.org",
            "services": services,
        }
    )
    events = [LifeEventSeed(slug="usaha", name="Usaha", name_en="Business")]
    import_catalogue(session, region, life_events=events, agencies=[agency])
    session.flush()


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def post_form(
    client: TestClient, path: str, data: dict[str, str], *, page: str | None = None
) -> Any:
    """Submit a page form the way a browser does: fetch the page for its CSRF token first."""
    token = csrf_from(client.get(page or path).text)
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)


def make_user(
    session: Session,
    region: Region,
    email: str,
    password: str,
    kind: AccountKind = AccountKind.CITIZEN,
    *,
    nik: str | None = "3273015708900001",
    roles: list[tuple[str, StaffRoleName]] | None = None,
) -> User:
    """An account made the way `simpul user create` makes it."""
    user = create_user(
        session,
        region,
        email=email,
        full_name=email.split("@", maxsplit=1)[0].replace(".", " ").title(),
        password=password,
        kind=kind,
        nik=nik if kind is AccountKind.CITIZEN else None,
        roles=[RoleGrant(agency, role) for agency, role in roles or []],
    )
    session.flush()
    return user
