"""The demo's akta kelahiran through the steps its standard publishes (issue 15), with the two
Disdukcapil officers of the demo: Asep (Kepala Bidang) verifies, marks the family card tidak
sesuai with a note and returns it; the citizen sees the note beside that document, uploads a new
one and resubmits; the task comes back to Asep, who verifies and enters the register number;
Asep is refused the signature (he verified: four eyes); the Kepala Dinas signs; the worker
issues the akta and the updated KK, and the akta's PDF text carries the service's own fields,
the signer's position and NIP and an Indonesian date."""

from __future__ import annotations

import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from simpul.core.database import sqlalchemy_url
from simpul.core.kit.periods import today_in
from simpul.core.models import Region
from simpul.demo.signing import DEMO_SIGNING_PASSPHRASE
from simpul.documents.render import indonesian_date
from tests.browser.test_application_flow import _run_document_worker
from tests.factories import make_user
from tests.samples import pdf_bytes

pytestmark = pytest.mark.browser

REGION = "/kota-bandung"
SERVICE = f"{REGION}/layanan/akta-kelahiran"
ASEP = ("petugas.disdukcapil@example.org", "petugas-demo")
KEPALA = ("kepala.disdukcapil@example.org", "petugas-demo")
CITIZEN = ("ayah.akta@example.org", "sandi-akta-2026")
#: A valid Kota Bandung NIK (man born 03-04-1991), used by no other test.
CITIZEN_NIK = "3273010304910007"
CHILD = "Nadia Putri Ramadhani"
REGISTER = "3273-LU-20112026-0042"
KK_NOTE = "KK yang diunggah belum memuat nama ibu; unggah KK terbaru."
DECIDED = "Keputusan tersimpan dan pemohon sudah diberi tahu."
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def _at(path: str) -> re.Pattern[str]:
    return re.compile(rf"^https?://[^/]+{path}$")


def _fact(page: Page, term: str) -> object:
    return page.locator(f"dl.facts dt:text-is('{term}') + dd")


def _log_in(page: Page, email: str, password: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{REGION}/masuk")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("main").get_by_role("button", name="Masuk").click()
    expect(page).not_to_have_url(_at(f"{REGION}/masuk"))


def _upload(page: Page, requirement: str, file: Path) -> None:
    form = page.locator(".upload").filter(has=page.get_by_label(requirement, exact=True))
    form.locator("input[type=file]").set_input_files(file)
    form.locator("button[type=submit]").click()
    expect(form.locator(".ok-line")).to_contain_text(file.name)


def _decide(
    page: Page, step: str, outcome: str, note: str = "", passphrase: str | None = None
) -> None:
    panel = page.locator("#keputusan-panel")
    expect(panel.get_by_role("heading").first).to_have_text(f"Keputusan tahap {step}")
    panel.get_by_label(outcome, exact=True).check()
    if note:
        panel.get_by_label("Catatan untuk pemohon").fill(note)
    if passphrase is not None:
        panel.get_by_label("Frasa sandi tanda tangan elektronik").fill(passphrase)
    panel.get_by_role("button", name="Simpan keputusan").click()
    expect(page.get_by_role("status").filter(has_text=DECIDED)).to_be_visible()


@pytest.fixture(scope="module")
def akta_citizen(browser_database_url: str) -> str:
    """A father with an account (committed: the live server reads the same database); returns
    today's date in the region as the akta prints it."""
    engine = create_engine(sqlalchemy_url(browser_database_url))
    try:
        with Session(engine, expire_on_commit=False) as session, session.begin():
            region = session.scalars(select(Region).where(Region.slug == "kota-bandung")).one()
            make_user(session, region, CITIZEN[0], CITIZEN[1], nik=CITIZEN_NIK)
            return indonesian_date(today_in(region))
    finally:
        engine.dispose()


def test_demo_akta_follows_its_standard_with_two_officers_and_prints_its_own_fields(
    phone: Page,
    second_phone: Page,
    akta_citizen: str,
    browser_database_url: str,
    browser_data_dir: Path,
    tmp_path: Path,
    screenshots: Path,
) -> None:
    citizen, officer = phone, second_phone
    today = akta_citizen
    files = {
        "Surat keterangan kelahiran": tmp_path / f"sk-lahir-{uuid.uuid4().hex[:6]}.pdf",
        "Buku nikah/kutipan akta perkawinan orang tua": tmp_path / "buku-nikah.pdf",
        "Kartu Keluarga": tmp_path / "kk-lama.pdf",
    }
    for name, path in files.items():
        path.write_bytes(pdf_bytes(name))

    # 1. The father applies for the akta from his phone.
    _log_in(citizen, *CITIZEN)
    citizen.goto(SERVICE)
    citizen.get_by_role("button", name="Ajukan permohonan").click()
    expect(citizen).to_have_url(_at(f"{REGION}/permohonan/{UUID}/isi"))
    form_url = citizen.url.removeprefix(citizen.url.split(REGION)[0])
    for name, path in files.items():
        _upload(citizen, name, path)
    eform = citizen.get_by_role("region", name="2. Isi formulir")
    eform.get_by_label("Nama lengkap anak").fill(CHILD)
    eform.get_by_label("Perempuan").check()
    eform.get_by_label("Tanggal lahir").fill("2026-11-20")
    eform.get_by_label("Tempat dilahirkan").select_option(value="rs")
    eform.get_by_label("Kota/kabupaten tempat lahir").fill("Kota Bandung")
    eform.get_by_label("Anak ke-").fill("1")
    eform.get_by_label("Tunggal").check()
    eform.get_by_label("Bidan/perawat").check()
    eform.get_by_label("Nama lengkap ayah").fill("Ahmad Ramadhan")
    eform.get_by_label("NIK ibu").fill("3273014506930003")
    eform.get_by_label("Nama lengkap ibu").fill("Dewi Lestari")
    eform.get_by_label("Nomor Kartu Keluarga").fill("3273012001150004")
    eform.get_by_label(re.compile("Perkawinan orang tua sudah tercatat")).check()
    eform.get_by_label("Ya", exact=True).check()
    eform.get_by_role("button", name="Kirim permohonan").click()
    expect(citizen).to_have_url(_at(f"{REGION}/permohonan/({UUID})\\?pesan=terkirim"))
    found = re.search(UUID, citizen.url)
    assert found is not None
    application_id = found.group(0)
    file_url = f"{REGION}/petugas/permohonan/{application_id}"

    # 2. Asep verifies: the family card is the wrong one, marked tidak sesuai with a note,
    #    and the application returned; the return lists it.
    _log_in(officer, *ASEP)
    officer.goto(file_url)
    check = officer.locator("#cek-document-kartu_keluarga")
    check.locator("summary").click()
    check.get_by_label("Tidak sesuai", exact=True).check()
    check.get_by_label("Catatan pemeriksaan Kartu Keluarga").fill(KK_NOTE)
    check.get_by_role("button", name="Simpan pemeriksaan").click()
    expect(officer.locator("#keputusan-panel .to-return")).to_contain_text(
        f"Kartu Keluarga: {KK_NOTE}"
    )
    _decide(officer, "Verifikasi berkas", "Kembalikan untuk perbaikan")
    expect(_fact(officer, "Status")).to_have_text("Perlu perbaikan")

    # 3. The father sees the note beside the family card, uploads the new one and resubmits.
    citizen.goto(f"{REGION}/permohonan/{application_id}")
    expect(citizen.locator("#catatan-dok-kartu_keluarga")).to_have_text(
        f"Perlu perbaikan: {KK_NOTE}"
    )
    citizen.goto(form_url)
    new_card = tmp_path / "kk-terbaru.pdf"
    new_card.write_bytes(pdf_bytes("Kartu Keluarga terbaru"))
    _upload(citizen, "Kartu Keluarga", new_card)
    citizen.get_by_role("button", name="Kirim perbaikan").click()
    expect(citizen).to_have_url(re.compile(r"\?pesan=perbaikan-terkirim$"))
    expect(citizen.get_by_role("status").first).to_contain_text("Perbaikan terkirim")

    # 4. The task is back in Asep's own inbox, not the pool; he verifies it this time.
    officer.goto(f"{REGION}/petugas/kotak-masuk?tampil=saya")
    expect(officer.locator(f"a[href='{file_url}']")).to_have_count(1)
    officer.goto(file_url)
    _decide(officer, "Verifikasi berkas", "Setujui")

    # 5. Asep, as operator, enters the register number from SIAK (a wrong one first).
    officer.goto(file_url)
    register = officer.locator("#keputusan-panel").get_by_label("Nomor register akta kelahiran")
    register.fill("3273-LU-2026-42")
    officer.locator("#keputusan-panel").get_by_label("Setujui", exact=True).check()
    officer.locator("#keputusan-panel").get_by_role("button", name="Simpan keputusan").click()
    expect(officer.locator("#e-entry-nomor_register")).to_be_visible()
    expect(register).to_have_attribute("aria-invalid", "true")
    register.fill(REGISTER)
    _decide(officer, "Entri data dan pencatatan", "Setujui")

    # 6. Asep verified this application, so he may not sign it: the page says why.
    officer.goto(file_url)
    expect(officer.locator("#empat-mata")).to_contain_text("Verifikasi berkas")
    expect(officer.locator("#keputusan-panel")).to_have_count(0)

    # 7. The Kepala Dinas signs with the passphrase of his key.
    _log_in(officer, *KEPALA)
    officer.goto(file_url)
    _decide(
        officer,
        "Persetujuan dan tanda tangan",
        "Setujui",
        passphrase=DEMO_SIGNING_PASSPHRASE,
    )
    expect(_fact(officer, "Status")).to_have_text("Selesai")

    # 8. The worker issues both products; the akta carries the service's own fields.
    _run_document_worker(browser_database_url, browser_data_dir)
    citizen.goto(f"{REGION}/permohonan/{application_id}")
    expect(citizen.locator("#produk-kartu_keluarga")).to_be_visible()
    link = citizen.get_by_role("link", name="Unduh Kutipan Akta Kelahiran (PDF)")
    with citizen.expect_download() as pending:
        link.click()
    pdf = Path(pending.value.path())
    assert pdf.read_bytes().startswith(b"%PDF")
    text = " ".join(
        subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    # The signed akta as the README shows it.
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-singlefile", str(pdf), str(tmp_path / "akta")],
        check=True,
    )
    shutil.copyfile(tmp_path / "akta.png", screenshots / "26-akta-kelahiran.png")
    for printed in (
        "KUTIPAN AKTA KELAHIRAN",
        REGISTER,
        CHILD,
        "20 November 2026",  # the birth date from the form, in Indonesian
        "Dewi Lestari",
        "Kepala Dinas Kependudukan dan Pencatatan Sipil",
        "NIP. 197105121995031002",
        today,  # the date it was set, in Indonesian
    ):
        assert printed in text, f"{printed!r} not in the akta: {text}"
