"""An akta kelahiran through the steps its standard publishes (issue 15), on phones: officer B
verifies, officer A enters the register number (a bad one first), B is refused the signature
(four eyes: the page says why), A returns it with a note, the citizen resubmits, the task is
back in A's hands, and A signs: the application is completed."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from simpul.accounts.models import StaffRole, User
from simpul.catalogue.models import Agency
from simpul.core.database import sqlalchemy_url
from simpul.core.models import Region
from simpul.demo.signing import DEMO_SIGNING_PASSPHRASE
from tests.applications.desk_world import AKTA_PRODUCTS, AKTA_WORKFLOW, ALL_ROLES, GOOD_REGISTER
from tests.factories import add_agency, make_user, service_seed
from tests.samples import pdf_bytes

pytestmark = pytest.mark.browser

REGION = "/kota-bandung"
SERVICE_SLUG = "akta-kelahiran-meja"
SERVICE_NAME = "Akta Kelahiran Meja Uji"
#: The two demo officers who sign (each has a demo certificate); here both hold every step
#: role in an agency of the test's own, so the inboxes of their real agencies do not change.
OFFICER_A = ("petugas.disdukcapil@example.org", "petugas-demo")
OFFICER_B = ("petugas.dpmptsp@example.org", "petugas-demo")
CITIZEN = ("ibu.meja@example.org", "sandi-meja-2026")
#: A valid Kota Bandung NIK (man born 17-08-1990), used by no other test.
CITIZEN_NIK = "3273011708900006"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
DECIDED = "Keputusan tersimpan dan pemohon sudah diberi tahu."
RETURN_NOTE = "Nama ayah pada formulir berbeda dengan Kartu Keluarga."


def _at(path: str) -> re.Pattern[str]:
    return re.compile(rf"^https?://[^/]+{path}$")


def _fact(page: Page, term: str) -> object:
    return page.locator(f"dl.facts dt:text-is('{term}') + dd")


@pytest.fixture(scope="module")
def desk_service(browser_database_url: str) -> str:
    """The akta service in an agency of its own in Kota Bandung, two officers holding every
    role there, and a citizen (committed: the live server reads the same database)."""
    engine = create_engine(sqlalchemy_url(browser_database_url))
    try:
        with Session(engine, expire_on_commit=False) as session, session.begin():
            region = session.scalars(select(Region).where(Region.slug == "kota-bandung")).one()
            add_agency(
                session,
                region,
                "dinas-meja",
                "Dinas Meja Uji",
                [
                    service_seed(
                        SERVICE_SLUG,
                        SERVICE_NAME,
                        workflow=AKTA_WORKFLOW,
                        products=AKTA_PRODUCTS,
                    )
                ],
            )
            agency = session.scalars(
                select(Agency).where(Agency.region_id == region.id, Agency.slug == "dinas-meja")
            ).one()
            for email, _password in (OFFICER_A, OFFICER_B):
                officer = session.scalars(
                    select(User).where(User.region_id == region.id, User.email == email)
                ).one()
                for role in ALL_ROLES:
                    session.add(
                        StaffRole(
                            region_id=region.id, user_id=officer.id, agency_id=agency.id, role=role
                        )
                    )
            make_user(session, region, CITIZEN[0], CITIZEN[1], nik=CITIZEN_NIK)
    finally:
        engine.dispose()
    return SERVICE_SLUG


@pytest.fixture
def third_phone(browser: Browser, live_server: str) -> Iterator[Page]:
    """A third phone (officer B) with its own cookies."""
    context = browser.new_context(
        base_url=live_server, viewport={"width": 390, "height": 844}, locale="id-ID"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def _log_in(page: Page, email: str, password: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{REGION}/masuk")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("main").get_by_role("button", name="Masuk").click()
    expect(page).not_to_have_url(_at(f"{REGION}/masuk"))


def _decide(
    page: Page, step: str, outcome: str, note: str = "", passphrase: str | None = None
) -> None:
    panel = page.locator("#keputusan-panel")
    expect(panel.get_by_role("heading")).to_have_text(f"Keputusan tahap {step}")
    panel.get_by_label(outcome, exact=True).check()
    panel.get_by_label("Catatan untuk pemohon").fill(note)
    if passphrase is not None:
        panel.get_by_label("Frasa sandi tanda tangan elektronik").fill(passphrase)
    panel.get_by_role("button", name="Simpan keputusan").click()


def test_akta_through_its_published_steps_with_four_eyes(
    phone: Page, second_phone: Page, third_phone: Page, desk_service: str, tmp_path: Path
) -> None:
    citizen, ani, budi = phone, second_phone, third_phone
    ktp = tmp_path / f"ktp-{uuid.uuid4().hex[:6]}.pdf"
    ktp.write_bytes(pdf_bytes("KTP-el pemohon akta"))

    # 1. The citizen applies: the KTP-el and the name, then sends.
    _log_in(citizen, *CITIZEN)
    citizen.goto(f"{REGION}/layanan/{desk_service}")
    citizen.get_by_role("button", name="Ajukan permohonan").click()
    expect(citizen).to_have_url(_at(f"{REGION}/permohonan/{UUID}/isi"))
    form_url = citizen.url
    upload = citizen.locator(".upload").filter(has=citizen.get_by_label("KTP-el pemohon"))
    upload.locator("input[type=file]").set_input_files(ktp)
    upload.get_by_role("button", name="Unggah").click()
    expect(upload.locator(".ok-line")).to_have_text(f"✓ Terunggah: {ktp.name}")
    eform = citizen.get_by_role("region", name="2. Isi formulir")
    eform.get_by_label("Nama", exact=True).fill("Siti Aminah")
    eform.get_by_role("button", name="Kirim permohonan").click()
    expect(citizen).to_have_url(_at(f"{REGION}/permohonan/({UUID})\\?pesan=terkirim"))
    application_id = re.search(UUID, citizen.url)
    assert application_id is not None
    file_url = f"{REGION}/petugas/permohonan/{application_id.group(0)}"

    # 2. Officer B verifies the documents.
    _log_in(budi, *OFFICER_B)
    budi.goto(file_url)
    _decide(budi, "Verifikasi berkas", "Setujui")
    expect(budi.get_by_role("status").filter(has_text=DECIDED)).to_be_visible()

    # 3. Officer A enters the register number: a wrong one is refused next to the field.
    _log_in(ani, *OFFICER_A)
    ani.goto(file_url)
    panel = ani.locator("#keputusan-panel")
    register = panel.get_by_label("Nomor register akta")
    register.fill("3273-LU-2026-1")
    _decide(ani, "Pencatatan akta", "Setujui")
    expect(ani.locator("#e-entry-nomor_register")).to_have_text(
        "Format Nomor register akta tidak sesuai."
    )
    expect(register).to_have_attribute("aria-invalid", "true")
    # Saved without deciding first (the form's second button), then approved.
    register.fill(GOOD_REGISTER)
    panel.get_by_role("button", name="Simpan isian tanpa memutuskan").click()
    expect(ani.get_by_text("Isian tersimpan.")).to_be_visible()
    expect(ani.locator("#keputusan-panel").get_by_label("Nomor register akta")).to_have_value(
        GOOD_REGISTER
    )
    expect(ani.locator("dl.facts dt:text-is('Status') + dd")).to_contain_text("Pencatatan akta")
    _decide(ani, "Pencatatan akta", "Setujui")
    expect(ani.get_by_role("status").filter(has_text=DECIDED)).to_be_visible()
    expect(ani.locator("#isian-tahap")).to_be_visible()
    expect(ani.locator("section", has=ani.locator("#isian-tahap"))).to_contain_text(GOOD_REGISTER)

    # 4. Officer B verified, so B may not sign: the page says why and offers no form.
    budi.goto(file_url)
    expect(budi.locator("#empat-mata")).to_contain_text("prinsip empat mata")
    expect(budi.locator("#empat-mata")).to_contain_text("Verifikasi berkas")
    expect(budi.locator("#keputusan-panel")).to_have_count(0)

    # 5. A, at the signature, returns it to the citizen with a note.
    ani.goto(file_url)
    _decide(ani, "Persetujuan dan tanda tangan", "Kembalikan untuk perbaikan", RETURN_NOTE)
    expect(ani.get_by_role("status").filter(has_text=DECIDED)).to_be_visible()
    expect(ani.locator("dl.facts dt:text-is('Status') + dd")).to_have_text("Perlu perbaikan")

    # 6. The citizen reads the note and sends the fix.
    citizen.goto(form_url)
    expect(citizen.get_by_role("alert").first).to_contain_text(RETURN_NOTE)
    citizen.get_by_role("region", name="2. Isi formulir").get_by_label("Nama", exact=True).fill(
        "Siti Aminah binti Ahmad"
    )
    citizen.get_by_role("button", name="Kirim perbaikan").click()
    expect(citizen).to_have_url(re.compile(r"\?pesan=perbaikan-terkirim$"))

    # 7. The task is back in A's hands: in A's own inbox ("saya"), not the pool.
    ani.goto(f"{REGION}/petugas/kotak-masuk?tampil=saya")
    row = ani.locator("table.inbox tbody tr", has=ani.locator(f"a[href='{file_url}']"))
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Persetujuan dan tanda tangan")
    budi.goto(f"{REGION}/petugas/kotak-masuk?tampil=saya")
    expect(budi.locator(f"a[href='{file_url}']")).to_have_count(0)

    # 8. A signs with the signing passphrase: the akta is completed.
    ani.goto(file_url)
    _decide(ani, "Persetujuan dan tanda tangan", "Setujui", passphrase=DEMO_SIGNING_PASSPHRASE)
    expect(ani.get_by_role("status").filter(has_text=DECIDED)).to_be_visible()
    expect(ani.locator("dl.facts dt:text-is('Status') + dd")).to_have_text("Selesai")
    citizen.goto(f"{REGION}/permohonan/{application_id.group(0)}")
    expect(citizen.locator("dl.facts dt:text-is('Status') + dd")).to_have_text("Selesai")
    expect(citizen.locator("ol.timeline")).to_contain_text("Ditugaskan kepada petugas")
