"""The demo region Kota Bandung: its catalogue (from the shipped files) and demo accounts.

Running it again adds only what is missing, so `make demo` can call it every time.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from simpul.accounts import repository as accounts_repository
from simpul.accounts import service as accounts_service
from simpul.accounts.models import AccountKind, StaffRoleName
from simpul.catalogue import service as catalogue_service
from simpul.catalogue.seed import DEMO_FOLDER, load_catalogue_folder
from simpul.core.models import Region
from simpul.core.regions import create_region, get_region_by_slug


@dataclass(frozen=True)
class DemoAccount:
    email: str
    password: str
    full_name: str
    kind: AccountKind
    agency: str | None = None
    nik: str | None = None
    phone: str = ""


#: Demo only: these passwords are published in the README.
DEMO_ACCOUNTS = (
    DemoAccount(
        "warga@example.org",
        "warga-demo",
        "Siti Rahayu",
        AccountKind.CITIZEN,
        nik="3273015708900001",
        phone="081234567890",
    ),
    DemoAccount(
        "petugas.disdukcapil@example.org",
        "petugas-demo",
        "Asep Sunandar",
        AccountKind.STAFF,
        agency="disdukcapil",
    ),
    DemoAccount(
        "petugas.dpmptsp@example.org",
        "petugas-demo",
        "Rina Marlina",
        AccountKind.STAFF,
        agency="dpmptsp",
    ),
    DemoAccount("admin@example.org", "admin-demo", "Admin Kota Bandung", AccountKind.REGION_ADMIN),
)


@dataclass
class DemoReport:
    region: Region
    created_region: bool
    agencies: int
    services: int
    accounts: int


def seed_demo(session: Session) -> DemoReport:
    """Create or complete the demo region; returns what was added."""
    seed = load_catalogue_folder(DEMO_FOLDER)
    region = get_region_by_slug(session, seed.region.slug)
    created = region is None
    if region is None:
        region = create_region(
            session,
            slug=seed.region.slug,
            name=seed.region.name,
            kind=seed.region.kind,
            code=seed.region.code,
            actor_label="demo",
        )
    report = catalogue_service.import_catalogue(
        session, region, life_events=seed.region.life_events, agencies=seed.agencies
    )
    accounts = 0
    for account in DEMO_ACCOUNTS:
        if accounts_repository.get_user_by_email(session, region.id, account.email) is not None:
            continue
        roles = (
            [
                accounts_service.RoleGrant(account.agency, StaffRoleName.VERIFIKATOR),
                accounts_service.RoleGrant(account.agency, StaffRoleName.PENYETUJU),
            ]
            if account.agency
            else []
        )
        accounts_service.create_user(
            session,
            region,
            email=account.email,
            full_name=account.full_name,
            password=account.password,
            kind=account.kind,
            nik=account.nik,
            phone=account.phone,
            roles=roles,
            actor_label="demo",
        )
        accounts += 1
    return DemoReport(region, created, report.agencies, report.services, accounts)
