"""A region with two agencies and their officers, for the staff, delegation and payment tests
(``tests/accounts/test_staff_*``, ``tests/applications/test_delegation*``,
``test_payments*``, ``tests/security/test_staff_attacks.py``, ``test_payment_attacks.py``).

Nothing here is a fixture: each test module makes its own from ``build_desk_world``.
"""

from __future__ import annotations

import io
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, StaffRoleName, User
from simpul.applications import payments, submission
from simpul.applications.files import receive_upload
from simpul.applications.models import Application
from simpul.catalogue import repository as catalogue_repository
from simpul.core.models import Region
from simpul.core.storage import LocalStorage
from tests.factories import add_agency, make_region, make_user, post_form, service_seed
from tests.samples import pdf_bytes

ALL_DESK = [
    StaffRoleName.VERIFIKATOR,
    StaffRoleName.OPERATOR,
    StaffRoleName.PENYETUJU,
    StaffRoleName.PENANDATANGAN,
]
PAYMENT_WORKFLOW: dict[str, Any] = {
    "steps": [
        {
            "code": "verifikasi",
            "name": "Verifikasi berkas",
            "name_en": "Document check",
            "role": "verifikator",
            "actions": ["approve", "return", "reject"],
        },
        {
            "code": "pembayaran",
            "name": "Pembayaran retribusi",
            "name_en": "Fee payment",
            "role": "operator",
            "kind": "payment",
            "actions": ["approve"],
        },
        {
            "code": "persetujuan",
            "name": "Persetujuan",
            "name_en": "Approval",
            "role": "penyetuju",
            "actions": ["approve", "reject"],
        },
    ]
}
FEE = 75_000
PASSWORD = "sandi-petugas-1"


@dataclass
class DeskWorld:
    region: Region
    citizen: User
    #: Admin OPD of dinas-uji, holding every desk role too.
    admin: User
    #: Two more officers of dinas-uji holding every desk role.
    officer_a: User
    officer_b: User
    #: An officer of dinas-uji holding only verifikator.
    verifier_only: User
    #: The admin OPD of dinas-lain (another agency of the same region).
    other_admin: User
    region_admin: User
    storage: LocalStorage


def build_desk_world(session: Session, tmp_path: Path, slug: str = "kota-uji") -> DeskWorld:
    region = make_region(
        session,
        slug,
        "Kota Uji",
        [
            service_seed("izin-bayar", "Izin Berbayar", fee_rupiah=FEE, workflow=PAYMENT_WORKFLOW),
            service_seed("izin-taksir", "Izin Ditaksir", workflow=PAYMENT_WORKFLOW),
        ],
    )
    add_agency(
        session, region, "dinas-lain", "Dinas Lain", [service_seed("izin-lain", "Perizinan Lain")]
    )

    def staff(email: str, roles: list[tuple[str, StaffRoleName]]) -> User:
        return make_user(session, region, email, PASSWORD, AccountKind.STAFF, roles=roles)

    every = [("dinas-uji", r) for r in ALL_DESK]
    world = DeskWorld(
        region=region,
        citizen=make_user(session, region, "warga@example.org", "sandi-warga-1"),
        admin=staff("admin.opd@example.org", [*every, ("dinas-uji", StaffRoleName.ADMIN_OPD)]),
        officer_a=staff("petugas.a@example.org", every),
        officer_b=staff("petugas.b@example.org", every),
        verifier_only=staff("verif@example.org", [("dinas-uji", StaffRoleName.VERIFIKATOR)]),
        other_admin=staff(
            "admin.lain@example.org",
            [("dinas-lain", StaffRoleName.ADMIN_OPD), ("dinas-lain", StaffRoleName.VERIFIKATOR)],
        ),
        region_admin=make_user(
            session, region, "admin.wilayah@example.org", PASSWORD, AccountKind.REGION_ADMIN
        ),
        storage=LocalStorage(tmp_path / "uploads"),
    )
    session.flush()
    return world


def submit(session: Session, world: DeskWorld, service_slug: str = "izin-bayar") -> Application:
    """A submitted application of the world's citizen (waits at verifikasi)."""
    draft = submission.start_draft(session, world.region, world.citizen, service_slug)
    submission.save_draft(session, world.region, world.citizen, draft.id, {"nama": "Siti"})
    stored = receive_upload(
        io.BytesIO(pdf_bytes()),
        max_bytes=1_000_000,
        storage=world.storage,
        key=f"{world.region.slug}/test/{uuid.uuid4()}",
    )
    submission.attach_document(
        session, world.region, world.citizen, draft.id, "ktp", stored, "ktp.pdf"
    )
    return submission.submit(session, world.region, world.citizen, draft.id)


def service_of(session: Session, world: DeskWorld, slug: str) -> Any:
    service = catalogue_repository.get_service_by_slug(session, world.region.id, slug)
    assert service is not None
    return service


def notification(bill: str, reference: str, amount: Any = FEE, paid_at: str | None = None) -> bytes:
    return json.dumps(
        {
            "bill": bill,
            "reference": reference,
            "amount": amount,
            "paid_at": paid_at or datetime.now(UTC).isoformat(),
        }
    ).encode()


def send_notification(
    client: TestClient,
    region: Region,
    body: bytes,
    *,
    signature: str | None = "sign",
    slug: str | None = None,
) -> Any:
    """POST the raw body as the provider does; ``signature="sign"`` signs it correctly."""
    headers = {"Content-Type": "application/json"}
    if signature == "sign":
        headers[payments.SIGNATURE_HEADER] = payments.sign(region, body)
    elif signature is not None:
        headers[payments.SIGNATURE_HEADER] = signature
    return client.post(
        f"/api/{slug or region.slug}/payments/notifications", content=body, headers=headers
    )


def log_in(client: TestClient, slug: str, email: str, password: str = PASSWORD) -> None:
    client.cookies.clear()
    response = post_form(client, f"/{slug}/masuk", {"email": email, "password": password})
    assert response.status_code == 303, response.text
