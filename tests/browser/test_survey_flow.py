"""The IKM survey on phones: a citizen whose application is completed rates the service (a
missing answer first), and the region admin reads the IKM report. Screenshots 20-22."""

from __future__ import annotations

import io
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from simpul.accounts import repository as accounts_repository
from simpul.accounts.models import AccountKind
from simpul.accounts.service import create_user
from simpul.applications import repository as applications_repository
from simpul.applications import submission, workflow
from simpul.applications.files import receive_upload
from simpul.applications.models import ApplicationStatus, TaskOutcome
from simpul.catalogue import repository as catalogue_repository
from simpul.core.database import sqlalchemy_url
from simpul.core.regions import get_region_by_slug
from simpul.core.storage import LocalStorage
from simpul.demo.signing import DEMO_SIGNING_PASSPHRASE
from tests.browser.test_accessibility import serious_violations
from tests.samples import pdf_bytes
from tests.support.eform_data import valid_data_for

pytestmark = pytest.mark.browser

REGION = "/kota-bandung"
SLUG = "kartu-identitas-anak"
#: A Kota Bandung NIK (3273 01, man born 28-08-1985) used by no other test.
NIK = "3273012808850003"
EMAIL = "agus.survei@example.org"
PASSWORD = "rahasia-agus-2024"
THANKS = "Terima kasih, penilaian Anda sudah tercatat."
#: The answer chosen for each element, by its legend; U3 is left out on the first try.
ANSWERS = {
    "1. Persyaratan": "Sesuai",
    "2. Sistem, mekanisme dan prosedur": "Sangat mudah",
    "3. Waktu penyelesaian": "Kurang cepat",
    "4. Biaya/tarif": "Gratis",
    "5. Produk spesifikasi jenis pelayanan": "Sesuai",
    "6. Kompetensi pelaksana": "Kompeten",
    "7. Perilaku pelaksana": "Sangat sopan dan ramah",
    "8. Penanganan pengaduan, saran dan masukan": "Dikelola dengan baik",
    "9. Sarana dan prasarana": "Baik",
}


@dataclass(frozen=True)
class Completed:
    path: str
    service_name: str


@pytest.fixture(scope="module")
def completed(browser_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Completed:
    """A new citizen's application for a child identity card, approved at both steps by the
    demo's Disdukcapil officer (committed, so the live server sees it)."""
    storage = LocalStorage(tmp_path_factory.mktemp("survey-uploads"))
    engine = create_engine(sqlalchemy_url(browser_database_url))
    try:
        with Session(engine, expire_on_commit=False) as session, session.begin():
            region = get_region_by_slug(session, "kota-bandung")
            assert region is not None
            citizen = create_user(
                session,
                region,
                email=EMAIL,
                full_name="Agus Setiawan",
                password=PASSWORD,
                kind=AccountKind.CITIZEN,
                nik=NIK,
                actor_label="test",
            )
            service = catalogue_repository.get_service_by_slug(session, region.id, SLUG)
            assert service is not None
            draft = submission.start_draft(session, region, citizen, SLUG)
            submission.save_draft(session, region, citizen, draft.id, valid_data_for(service.eform))
            for requirement in service.required_documents:
                stored = receive_upload(
                    io.BytesIO(pdf_bytes(requirement["name"])),
                    max_bytes=1_000_000,
                    storage=storage,
                    key=f"kota-bandung/test/{uuid.uuid4()}",
                )
                submission.attach_document(
                    session, region, citizen, draft.id, requirement["code"], stored, "berkas.pdf"
                )
            submission.submit(session, region, citizen, draft.id)
            # Verification by one officer, the signature by the other (four eyes, issue 15).
            officers = [
                accounts_repository.get_user_by_email(session, region.id, email)
                for email in ("petugas.disdukcapil@example.org", "kepala.disdukcapil@example.org")
            ]
            for officer in officers:
                assert officer is not None
                task = applications_repository.open_task_of(session, draft.id)
                assert task is not None
                application = workflow.act_on_task(
                    session,
                    region,
                    officer,
                    task.id,
                    TaskOutcome.APPROVE,
                    signing_passphrase=DEMO_SIGNING_PASSPHRASE,
                )
            assert application.status is ApplicationStatus.COMPLETED
            found = Completed(f"{REGION}/permohonan/{draft.id}", service.name)
    finally:
        engine.dispose()
    return found


def _log_in(page: Page, email: str, password: str) -> None:
    page.goto(f"{REGION}/masuk")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("main").get_by_role("button", name="Masuk").click()
    expect(page).not_to_have_url(re.compile(r"/masuk"))


def test_citizen_rates_the_service_and_the_admin_reads_the_ikm(
    phone: Page, second_phone: Page, completed: Completed, screenshots: Path
) -> None:
    citizen, admin = phone, second_phone

    # 1. The completed application invites the citizen to rate the service.
    _log_in(citizen, EMAIL, PASSWORD)
    citizen.goto(completed.path)
    invite = citizen.get_by_role("region", name="Penilaian layanan")
    invite.get_by_role("link", name="Beri penilaian layanan").click()
    expect(citizen).to_have_url(re.compile(rf"{completed.path}/survei$"))
    expect(citizen.get_by_role("heading", level=1)).to_have_text("Penilaian layanan")
    expect(citizen.locator("fieldset.radios")).to_have_count(9)

    # 2. Sending with "Waktu penyelesaian" unanswered shows what is missing, keeps the rest.
    for legend, answer in ANSWERS.items():
        if legend.startswith("3."):
            continue
        citizen.get_by_role("group", name=legend).get_by_label(answer, exact=True).check()
    citizen.get_by_label("Saran").fill("Status permohonan bisa diperbarui lebih sering.")
    citizen.screenshot(path=screenshots / "20-survei-kepuasan.png", full_page=True)
    with citizen.expect_response(re.compile(r"/survei$")) as sent:
        citizen.get_by_role("button", name="Kirim penilaian").click()
    assert sent.value.status == 422
    summary = citizen.get_by_role("alert")
    expect(summary.get_by_role("listitem")).to_have_text(
        ["Pilih salah satu jawaban untuk unsur Waktu penyelesaian."]
    )
    timing = citizen.get_by_role("group", name="3. Waktu penyelesaian")
    expect(timing.locator(".error")).to_have_text(
        "Pilih salah satu jawaban untuk unsur Waktu penyelesaian."
    )
    expect(
        citizen.get_by_role("group", name="4. Biaya/tarif").get_by_label("Gratis")
    ).to_be_checked()
    expect(citizen.get_by_label("Saran")).to_have_value(
        "Status permohonan bisa diperbarui lebih sering."
    )
    assert not serious_violations(citizen)
    citizen.screenshot(path=screenshots / "21-survei-isian-kurang.png", full_page=True)

    # 3. Answering it stores the rating and thanks the citizen on the application page.
    timing.get_by_label(ANSWERS["3. Waktu penyelesaian"], exact=True).check()
    citizen.get_by_role("button", name="Kirim penilaian").click()
    expect(citizen).to_have_url(re.compile(rf"{completed.path}\?pesan=dinilai#penilaian$"))
    expect(citizen.get_by_role("status").filter(has_text=THANKS)).to_have_text(THANKS)
    expect(citizen.get_by_role("link", name="Beri penilaian layanan")).to_have_count(0)
    # Back to the form (the back button): the thanks again, no second form.
    citizen.goto(f"{completed.path}/survei")
    expect(citizen.get_by_role("status")).to_have_text(THANKS)
    expect(citizen.get_by_role("radio")).to_have_count(0)

    # 4. The region admin reads the IKM of the year with this response in it.
    _log_in(admin, "admin@example.org", "admin-demo")
    admin.goto(f"{REGION}/admin/ikm")
    expect(admin.get_by_role("heading", level=1)).to_have_text("Indeks Kepuasan Masyarakat")
    row = admin.locator("table.ikm-agency tbody tr", has_text=completed.service_name)
    expect(row).to_have_count(1)
    expect(row.locator("td").first).not_to_have_text("0")
    expect(admin.locator("#per-unsur tbody tr")).to_have_count(9)
    expect(admin.locator("figure.chart svg rect")).to_have_count(9)
    expect(admin.locator("#perbaikan")).to_contain_text("Yang perlu diperbaiki lebih dulu:")
    assert not serious_violations(admin)
    admin.screenshot(path=screenshots / "22-laporan-ikm.png", full_page=True)

    # A year that does not exist is refused with the field named.
    admin.get_by_label("Tahun").fill("20x6")
    admin.get_by_role("button", name="Tampilkan").click()
    expect(admin.locator("#e-tahun")).to_contain_text("Tahun harus angka empat digit")
