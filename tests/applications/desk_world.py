"""A region whose agency runs services the way a standard publishes them (issue 15): an akta
with verification, the operator's register number and the head's signature; a business
licence with a field check; a fee paid at a payment step. Two officers hold every role."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, StaffRoleName, User
from simpul.applications import submission
from simpul.applications.files import StoredFile, receive_upload
from simpul.applications.models import Application
from simpul.applications.uploads import UploadRules
from simpul.core.models import Region
from simpul.core.storage import LocalStorage
from tests.factories import add_agency, make_region, make_user, service_seed
from tests.samples import pdf_bytes

REGISTER_PATTERN = r"^3273-LU-\d{8}-\d{4}$"
GOOD_REGISTER = "3273-LU-20261120-0001"

AKTA_WORKFLOW: dict[str, Any] = {
    "steps": [
        {
            "code": "verifikasi",
            "name": "Verifikasi berkas",
            "name_en": "Document verification",
            "role": "verifikator",
            "actions": ["approve", "return", "reject"],
        },
        {
            "code": "pencatatan",
            "name": "Pencatatan akta",
            "name_en": "Registration",
            "role": "operator",
            "actions": ["approve", "return"],
            "kind": "data_entry",
            "fields": [
                {
                    "code": "nomor_register",
                    "label": "Nomor register akta",
                    "label_en": "Register number",
                    "pattern": REGISTER_PATTERN,
                    "help": "Dari SIAK, misalnya 3273-LU-20261120-0001.",
                    "max_length": 40,
                },
                {
                    "code": "catatan_register",
                    "label": "Catatan register",
                    "required": False,
                    "max_length": 200,
                },
            ],
        },
        {
            "code": "tanda_tangan",
            "name": "Persetujuan dan tanda tangan",
            "name_en": "Approval and signature",
            "role": "penandatangan",
            "actions": ["approve", "return", "reject"],
            "signs": True,
        },
    ],
}

AKTA_PRODUCTS: list[dict[str, Any]] = [
    {
        "code": "akta_kelahiran",
        "title": "Kutipan Akta Kelahiran",
        "fields": [
            {"label": "Nomor register", "source": "step:nomor_register"},
            {"label": "Nama", "source": "form:nama"},
        ],
        "signer_position": "Kepala Dinas Uji",
    }
]

FIELD_CHECK_WORKFLOW: dict[str, Any] = {
    "steps": [
        {
            "code": "verifikasi",
            "name": "Verifikasi berkas",
            "name_en": "Document verification",
            "role": "verifikator",
            "actions": ["approve", "return", "reject"],
        },
        {
            "code": "peninjauan",
            "name": "Peninjauan lapangan",
            "name_en": "Field check",
            "role": "operator",
            "actions": ["approve", "return", "reject"],
            "kind": "field_check",
        },
        {
            "code": "persetujuan",
            "name": "Persetujuan",
            "name_en": "Approval",
            "role": "penyetuju",
            "actions": ["approve", "return", "reject"],
        },
    ]
}

PAYMENT_WORKFLOW: dict[str, Any] = {
    "steps": [
        {
            "code": "pembayaran",
            "name": "Pembayaran retribusi",
            "name_en": "Fee payment",
            "role": "operator",
            "actions": ["approve", "reject"],
            "kind": "payment",
        }
    ]
}

ALL_ROLES = [
    StaffRoleName.VERIFIKATOR,
    StaffRoleName.OPERATOR,
    StaffRoleName.PENYETUJU,
    StaffRoleName.PENANDATANGAN,
]

RULES = UploadRules(
    max_bytes=2_000_000,
    max_image_pixels=40_000_000,
    pending_quota_bytes=50_000_000,
    rate_per_account=100,
    rate_per_address=100,
    rate_window_minutes=10,
    unattached_hours=24,
)


@dataclass
class Desk:
    region: Region
    citizen: User
    #: Two officers of the agency, each holding every step role.
    ani: User
    budi: User
    admin: User
    outsider: User
    storage: LocalStorage

    def upload(self) -> StoredFile:
        key = f"{self.region.slug}/test/{uuid.uuid4()}"
        return receive_upload(
            io.BytesIO(pdf_bytes()), max_bytes=1_000_000, storage=self.storage, key=key
        )

    def submit(self, session: Session, slug: str = "akta-uji") -> Application:
        draft = submission.start_draft(session, self.region, self.citizen, slug)
        submission.save_draft(session, self.region, self.citizen, draft.id, {"nama": "Siti"})
        submission.attach_document(
            session, self.region, self.citizen, draft.id, "ktp", self.upload(), "ktp.pdf"
        )
        return submission.submit(session, self.region, self.citizen, draft.id)


def make_desk(
    session: Session,
    tmp_path: Path,
    *,
    slug: str = "kota-meja",
    akta_workflow: dict[str, Any] | None = None,
    akta_products: list[dict[str, Any]] | None = None,
) -> Desk:
    region = make_region(
        session,
        slug,
        "Kota Meja",
        [
            service_seed(
                "akta-uji",
                "Akta Kelahiran Uji",
                workflow=akta_workflow or AKTA_WORKFLOW,
                products=AKTA_PRODUCTS if akta_products is None else akta_products,
            ),
            service_seed("izin-lapangan", "Izin Usaha Uji", workflow=FIELD_CHECK_WORKFLOW),
            service_seed("retribusi-uji", "Izin Retribusi Uji", workflow=PAYMENT_WORKFLOW),
        ],
    )
    add_agency(
        session, region, "dinas-lain", "Dinas Lain", [service_seed("lain-uji", "Layanan Lain")]
    )
    citizen = make_user(session, region, "warga@example.org", "sandi-warga-1")
    officers = [
        make_user(
            session,
            region,
            email,
            "sandi-petugas-1",
            AccountKind.STAFF,
            roles=[("dinas-uji", role) for role in ALL_ROLES],
        )
        for email in ("ani@example.org", "budi@example.org")
    ]
    admin = make_user(
        session,
        region,
        "admin@example.org",
        "sandi-admin-12",
        AccountKind.STAFF,
        roles=[("dinas-uji", StaffRoleName.ADMIN_OPD)],
    )
    outsider = make_user(
        session,
        region,
        "luar@example.org",
        "sandi-luar-123",
        AccountKind.STAFF,
        roles=[("dinas-lain", role) for role in ALL_ROLES],
    )
    return Desk(
        region, citizen, officers[0], officers[1], admin, outsider, LocalStorage(tmp_path / "up")
    )
