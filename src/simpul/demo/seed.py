"""The demo region Kota Bandung: its catalogue (from the shipped files) and demo accounts.

Running it again adds only what is missing, so `make demo` can call it every time.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from simpul.accounts import repository as accounts_repository
from simpul.accounts import service as accounts_service
from simpul.accounts.models import AccountKind, StaffRole, StaffRoleName, User
from simpul.applications import repository as applications_repository
from simpul.applications import submission, workflow
from simpul.applications.models import TaskOutcome
from simpul.applications.uploads import store_upload
from simpul.catalogue import repository as catalogue_repository
from simpul.catalogue import service as catalogue_service
from simpul.catalogue.seed import DEMO_FOLDER, load_catalogue_folder
from simpul.core.models import Region
from simpul.core.regions import create_region, get_region_by_slug
from simpul.core.settings import get_settings
from simpul.core.storage import Storage
from simpul.demo.assessments import seed_demo_assessments
from simpul.demo.complaints import (
    seed_demo_categories,
    seed_demo_complaints,
    seed_demo_open311_key,
)
from simpul.demo.eform_sample import sample_data
from simpul.demo.gateway import seed_demo_gateway
from simpul.demo.history import seed_demo_history
from simpul.demo.inventory import seed_demo_inventory
from simpul.demo.letterhead import seed_demo_letterhead
from simpul.demo.oidc import seed_demo_relying_party
from simpul.demo.rights import seed_demo_citizen_rights, seed_demo_complaint_photo
from simpul.demo.second_factors import seed_demo_second_factors
from simpul.demo.signing import DEMO_SIGNING_PASSPHRASE, seed_demo_signing
from simpul.demo.survey_responses import seed_demo_responses
from simpul.documents.pki import default_pki_dir
from simpul.evaluation.savings import ledger as savings_ledger

#: What each demo officer holds in their agency: every desk role, so that two officers can
#: carry an application through verification (one) and approval and signing (the other)
#: under the four-eyes rule (decision 0041); the first officer also manages the desk.
DESK_ROLES = (
    StaffRoleName.VERIFIKATOR,
    StaffRoleName.OPERATOR,
    StaffRoleName.PENYETUJU,
    StaffRoleName.PENANDATANGAN,
)


@dataclass(frozen=True)
class DemoAccount:
    email: str
    password: str
    full_name: str
    kind: AccountKind
    agency: str | None = None
    nik: str | None = None
    phone: str = ""
    roles: tuple[StaffRoleName, ...] = ()
    #: An officer's NIP and position (jabatan), printed under their signature.
    nip: str = ""
    position: str = ""


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
        roles=(*DESK_ROLES, StaffRoleName.ADMIN_OPD),
        nip="198203152006041003",
        position="Kepala Bidang Pelayanan Pencatatan Sipil",
    ),
    DemoAccount(
        "kepala.disdukcapil@example.org",
        "petugas-demo",
        "Dedi Supriadi",
        AccountKind.STAFF,
        agency="disdukcapil",
        roles=DESK_ROLES,
        nip="197105121995031002",
        position="Kepala Dinas Kependudukan dan Pencatatan Sipil",
    ),
    DemoAccount(
        "petugas.dpmptsp@example.org",
        "petugas-demo",
        "Rina Marlina",
        AccountKind.STAFF,
        agency="dpmptsp",
        roles=(*DESK_ROLES, StaffRoleName.ADMIN_OPD),
        nip="198507222010012004",
        position="Kepala Bidang Pelayanan Perizinan",
    ),
    DemoAccount(
        "kepala.dpmptsp@example.org",
        "petugas-demo",
        "Bambang Hermawan",
        AccountKind.STAFF,
        agency="dpmptsp",
        roles=DESK_ROLES,
        nip="197309141998031005",
        position="Kepala Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu",
    ),
    DemoAccount("admin@example.org", "admin-demo", "Admin Kota Bandung", AccountKind.REGION_ADMIN),
    # The complaint desk (it sorts every complaint), and the officers of the agencies most
    # complaints go to; the head of DSDABM (a signer) is told when a complaint is overdue.
    DemoAccount(
        "pengaduan@example.org",
        "petugas-demo",
        "Admin Pengaduan",
        AccountKind.STAFF,
        agency="diskominfo",
        roles=(StaffRoleName.ADMIN_PENGADUAN,),
        nip="198811032012022001",
        position="Pengelola Pengaduan Masyarakat",
    ),
    DemoAccount(
        "petugas.dsdabm@example.org",
        "petugas-demo",
        "Wawan Kurniawan",
        AccountKind.STAFF,
        agency="dsdabm",
        roles=(StaffRoleName.VERIFIKATOR,),
        nip="198604172011011006",
        position="Pengawas Jalan dan Drainase",
    ),
    DemoAccount(
        "kepala.dsdabm@example.org",
        "petugas-demo",
        "Iwan Setiawan",
        AccountKind.STAFF,
        agency="dsdabm",
        roles=(StaffRoleName.PENANDATANGAN,),
        nip="197202081997031004",
        position="Kepala Dinas Sumber Daya Air dan Bina Marga",
    ),
    DemoAccount(
        "petugas.dlh@example.org",
        "petugas-demo",
        "Yanti Susilawati",
        AccountKind.STAFF,
        agency="dlh",
        roles=(StaffRoleName.VERIFIKATOR,),
        nip="198909262014022003",
        position="Pengawas Kebersihan",
    ),
)

#: The two officers of each demo agency: (the first, who manages the desk and signs; the
#: second, who verifies).
DEMO_OFFICER_PAIRS = {
    "disdukcapil": ("petugas.disdukcapil@example.org", "kepala.disdukcapil@example.org"),
    "dpmptsp": ("petugas.dpmptsp@example.org", "kepala.dpmptsp@example.org"),
}


@dataclass
class DemoReport:
    region: Region
    created_region: bool
    agencies: int
    services: int
    accounts: int
    applications: int = 0
    apps: int = 0
    gateway: bool = False
    past_applications: int = 0
    complaint_categories: int = 0
    past_complaints: int = 0


def seed_demo(
    session: Session,
    storage: Storage | None = None,
    data_dir: Path | None = None,
    *,
    past: bool = False,
) -> DemoReport:
    """Create or complete the demo region; returns what was added.

    With a ``data_dir``, the demo officers get signing certificates from a demo CA under
    ``<data_dir>/pki/<region>``, so the region signs the documents it issues. With a
    ``storage``, the demo citizen also gets applications in several states (one waiting at
    Disdukcapil, two completed (their signed documents are made by the worker, or by
    ``simpul demo`` right after seeding), one returned by DPMPTSP), so every page has
    something to show.
    """
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
        session,
        region,
        life_events=seed.region.life_events,
        agencies=seed.agencies,
        search_synonyms=seed.region.synonyms,
    )
    seed_demo_letterhead(session, region)
    apps = seed_demo_inventory(session, region)
    gateway = seed_demo_gateway(session, region).created
    seed_demo_relying_party(session, region)
    complaint_categories = seed_demo_categories(session, region)
    seed_demo_open311_key(session, region)
    accounts = 0
    for account in DEMO_ACCOUNTS:
        existing = accounts_repository.get_user_by_email(session, region.id, account.email)
        if existing is not None:
            _complete_officer(session, region, existing, account)
            continue
        roles = [
            accounts_service.RoleGrant(account.agency, r) for r in account.roles if account.agency
        ]
        user = accounts_service.create_user(
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
        user.nip, user.position = account.nip, account.position
        accounts += 1
    # Off in the test suite, whose browser tests log the demo's officers in with a password.
    if get_settings().mfa_required:
        session.flush()
        seed_demo_second_factors(session, region)
    if data_dir is not None:
        seed_demo_signing(session, region, default_pki_dir(data_dir, region.slug))
    applications = seed_demo_applications(session, region, storage) if storage else 0
    if storage:
        seed_demo_citizen_rights(session, region)
    past_applications = seed_demo_history(session, region) if past else 0
    if past:
        citizen = accounts_repository.get_user_by_email(session, region.id, "warga@example.org")
        seed_demo_responses(
            session, region, skip_applicants=frozenset({citizen.id} if citizen else ())
        )
        seed_demo_assessments(session, region)
    past_complaints = seed_demo_complaints(session, region) if past else 0
    if storage:
        seed_demo_complaint_photo(session, region, storage)
    # The demo's past applications did not pass through the officer's approval.
    savings_ledger.record_missing(session, region.id)
    return DemoReport(
        region,
        created,
        report.agencies,
        report.services,
        accounts,
        applications,
        apps,
        gateway,
        past_applications,
        complaint_categories,
        past_complaints,
    )


def _complete_officer(session: Session, region: Region, user: User, account: DemoAccount) -> None:
    """A demo officer seeded by an earlier version: the roles, NIP and position added since."""
    if account.agency is None:
        return
    agency = catalogue_repository.get_agency_by_slug(session, region.id, account.agency)
    if agency is None:
        return
    held = {r.role for r in user.roles if r.agency_id == agency.id}
    for role in account.roles:
        if role not in held:
            accounts_repository.add_staff_role(
                session,
                StaffRole(region_id=region.id, user_id=user.id, agency_id=agency.id, role=role),
            )
    user.nip = user.nip or account.nip
    user.position = user.position or account.position
    session.flush()
    session.refresh(user, ["roles"])


#: A one-page PDF standing in for a scanned document in the demo.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _demo_application(
    session: Session, region: Region, storage: Storage, citizen: User, slug: str
) -> uuid.UUID:
    """A submitted application with valid sample answers and every required document."""
    draft = submission.start_draft(session, region, citizen, slug)
    service = catalogue_repository.get_service_by_slug(session, region.id, slug)
    assert service is not None
    submission.save_draft(session, region, citizen, draft.id, sample_data(service.eform["schema"]))
    for requirement in service.required_documents:
        stored = store_upload(io.BytesIO(DEMO_PDF), region, storage=storage, max_bytes=1_000_000)
        submission.attach_document(
            session,
            region,
            citizen,
            draft.id,
            requirement["code"],
            stored,
            f"{requirement['code']}.pdf",
        )
    submission.submit(session, region, citizen, draft.id)
    return draft.id


def _officer(session: Session, region: Region, email: str) -> User | None:
    return accounts_repository.get_user_by_email(session, region.id, email)


def seed_demo_applications(session: Session, region: Region, storage: Storage) -> int:
    """Applications of the demo citizen in several states (only once).

    Completed ones go through every step of their service with the agency's two officers as
    four eyes ask: the second verifies, the first does the rest and signs.
    """
    citizen = _officer(session, region, "warga@example.org")
    pairs = {
        agency: (_officer(session, region, first), _officer(session, region, second))
        for agency, (first, second) in DEMO_OFFICER_PAIRS.items()
    }
    if citizen is None or any(o is None for pair in pairs.values() for o in pair):
        return 0
    _items, count = applications_repository.list_applications_of_applicant(
        session, region.id, citizen.id, limit=1, offset=0
    )
    if count:
        return 0
    _demo_application(session, region, storage, citizen, "akta-kelahiran")
    for slug, agency in (
        ("kartu-identitas-anak", "disdukcapil"),
        # Services whose steps are all reviews: the seed decides them without the entries a
        # data-entry, field-check or payment step asks for.
        ("nib-usaha-mikro-kecil", "dpmptsp"),
    ):
        first, second = pairs[agency]
        assert first is not None
        assert second is not None
        completed = _demo_application(session, region, storage, citizen, slug)
        for _step in range(10):  # a workflow has at most 10 steps
            task = applications_repository.open_task_of(session, completed)
            if task is None:
                break
            officer = second if task.role is StaffRoleName.VERIFIKATOR else first
            workflow.act_on_task(
                session,
                region,
                officer,
                task.id,
                TaskOutcome.APPROVE,
                signing_passphrase=DEMO_SIGNING_PASSPHRASE,
            )
    dpmptsp = pairs["dpmptsp"][0]
    assert dpmptsp is not None
    returned = _demo_application(session, region, storage, citizen, "izin-reklame")
    task = applications_repository.open_task_of(session, returned)
    assert task is not None
    workflow.act_on_task(
        session,
        region,
        dpmptsp,
        task.id,
        TaskOutcome.RETURN,
        "Foto lokasi reklame belum menunjukkan titik pemasangan; unggah foto yang lebih jelas.",
    )
    return 4
