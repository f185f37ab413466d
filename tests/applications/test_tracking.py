"""Public tracking at /{region}/lacak, the receipt (bukti pendaftaran) and the citizen's
cancellation of an application no officer has taken yet (issue 16, decision 0051)."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageChops
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.applications import registration_schemas, repository, submission, workflow
from simpul.applications.models import (
    Application,
    ApplicationEvent,
    ApplicationStatus,
    Task,
    TaskOutcome,
    TaskStatus,
)
from simpul.applications.tracking import service as tracking
from simpul.core.errors import Conflict, InvalidInput
from simpul.documents.receipt import qr_png
from tests.applications.conftest import VALID_DATA, World
from tests.factories import csrf_from, post_form

# make_user's default NIK: born 17 August 1990 (a woman: 40 added to the day), ends in 0001.
BIRTH_DATE = "1990-08-17"
LAST4 = "0001"


@pytest.fixture
def web(client: TestClient, world: World) -> TestClient:
    client.app.state.storage = world.storage  # type: ignore[attr-defined]
    return client


def submitted(session: Session, world: World) -> Application:
    draft = submission.start_draft(session, world.region, world.citizen, world.service_slug)
    submission.save_draft(session, world.region, world.citizen, draft.id, dict(VALID_DATA))
    submission.attach_document(
        session, world.region, world.citizen, draft.id, "ktp", world.upload(), "ktp-siti.pdf"
    )
    application = submission.submit(session, world.region, world.citizen, draft.id)
    session.flush()
    return application


def log_in(client: TestClient, email: str, password: str) -> None:
    client.cookies.clear()
    response = post_form(client, "/kota-uji/masuk", {"email": email, "password": password})
    assert response.status_code == 303, response.text


def lookup(client: TestClient, number: str, **check: str) -> object:
    return post_form(client, "/kota-uji/lacak", {"nomor": number, **check})


# -- tracking --------------------------------------------------------------------------------


def test_tracking_by_nik_digits_or_birth_date_shows_status_and_nothing_personal(
    web: TestClient, session: Session, world: World
) -> None:
    application = submitted(session, world)
    number = application.tracking_number
    by_digits = lookup(web, number, nik4=LAST4)
    assert by_digits.status_code == 200  # type: ignore[attr-defined]
    page = by_digits.text  # type: ignore[attr-defined]
    assert "Perizinan Uji" in page and "Diproses" in page
    assert "Verifikasi berkas" in page  # the current step of the default workflow
    assert application.due_date is not None
    assert f"{application.due_date.day} " in page and "Batas selesai" in page
    assert "Tidak ada. Petugas sedang memproses" in page
    # Nothing personal: not the name, the e-mail, the NIK, an answer or a file name.
    for secret in ("Warga", "warga@example.org", "3273015708900001", "Warung Sunda", "ktp-siti"):
        assert secret not in page
    # A birth date as the date input sends it, or as people write it; the number as typed.
    for typed in (BIRTH_DATE, "17-08-1990"):
        page = lookup(web, number.lower().replace("-", ""), tanggal_lahir=typed)
        assert page.status_code == 200 and "Diproses" in page.text  # type: ignore[attr-defined]


def test_a_wrong_check_or_a_draft_finds_nothing(
    web: TestClient, session: Session, world: World
) -> None:
    application = submitted(session, world)
    wrong = lookup(web, application.tracking_number, nik4="0002")
    assert wrong.status_code == 404  # type: ignore[attr-defined]
    assert "Permohonan tidak ditemukan" in wrong.text  # type: ignore[attr-defined]
    assert "Perizinan Uji" not in wrong.text  # type: ignore[attr-defined]
    born_else = lookup(web, application.tracking_number, tanggal_lahir="1990-08-18")
    assert born_else.status_code == 404  # type: ignore[attr-defined]
    # Both checks given: both must match.
    half = lookup(web, application.tracking_number, nik4=LAST4, tanggal_lahir="1991-08-17")
    assert half.status_code == 404  # type: ignore[attr-defined]
    draft = submission.start_draft(session, world.region, world.other_citizen, "izin-uji")
    session.flush()
    assert lookup(web, draft.tracking_number, nik4="0002").status_code == 404  # type: ignore[attr-defined]


def test_bad_input_names_the_fields_in_indonesian(web: TestClient) -> None:
    empty = lookup(web, "")
    assert empty.status_code == 422  # type: ignore[attr-defined]
    text = empty.text  # type: ignore[attr-defined]
    assert 'href="#f-nomor"' in text and 'href="#f-tanggal_lahir"' in text
    assert "Nomor permohonan terdiri dari 12 huruf dan angka" in text
    assert "Isi tanggal lahir pemohon atau 4 angka terakhir NIK-nya." in text
    bad = lookup(web, "2611-AAAA-BBBB", nik4="12a", tanggal_lahir="31-02-1990")
    assert bad.status_code == 422  # type: ignore[attr-defined]
    assert 'href="#f-nik4"' in bad.text and "Tanggal lahir tidak valid" in bad.text  # type: ignore[attr-defined]


def test_the_receipt_link_opens_the_form_with_the_number_filled_in(web: TestClient) -> None:
    page = web.get("/kota-uji/lacak", params={"nomor": "2611-7k3q-x9ma"})
    assert page.status_code == 200
    assert 'value="2611-7K3Q-X9MA"' in page.text
    assert page.headers["cache-control"] == "no-store"


def test_parse_lookup_accepts_what_people_type() -> None:
    assert tracking.parse_lookup(" 2611 7k3q x9ma ", "", "0001")[0] == "2611-7K3Q-X9MA"
    assert tracking.parse_lookup("26117K3QX9MA", "17/08/1990", "")[1] is not None
    with pytest.raises(InvalidInput) as refused:
        tracking.parse_lookup("2611-7K3Q", "", "")
    assert set(refused.value.field_errors()) == {"nomor", "tanggal_lahir"}


# -- the receipt -----------------------------------------------------------------------------


def test_the_receipt_pdf_says_what_was_sent_and_its_qr_code_opens_tracking(
    web: TestClient, session: Session, world: World
) -> None:
    application = submitted(session, world)
    log_in(web, "warga@example.org", "sandi-warga-1")
    page = web.get(f"/kota-uji/permohonan/{application.id}")
    receipt_url = f"/kota-uji/permohonan/{application.id}/bukti-pendaftaran"
    assert receipt_url in page.text and "Unduh bukti pendaftaran" in page.text
    response = web.get(receipt_url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert application.tracking_number in response.headers["content-disposition"]
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join((p.extract_text() or "") for p in reader.pages)
    text = re.sub(r"\s+", " ", text)
    assert "BUKTI PENDAFTARAN PERMOHONAN" in text
    assert "PEMERINTAH KOTA UJI" in text  # the region's letterhead
    assert "Perizinan Uji" in text and application.tracking_number in text
    assert application.submitted_at is not None and application.due_date is not None
    months = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus"]
    months += ["September", "Oktober", "November", "Desember"]
    due = application.due_date
    assert f"{due.day} {months[due.month - 1]} {due.year}" in text
    assert "KTP-el pemohon: ktp-siti.pdf" in text
    # The link over the QR code, and the QR code itself: the tracking page, number filled in.
    page_one = reader.pages[0]
    uris = [
        a.get_object()["/A"]["/URI"]
        for a in page_one.get("/Annots", [])
        if "/A" in a.get_object() and "/URI" in a.get_object()["/A"]
    ]
    expected = f"http://127.0.0.1:8000/kota-uji/lacak?nomor={application.tracking_number}"
    assert expected in uris
    query = parse_qs(urlsplit(expected).query)
    assert query["nomor"] == [application.tracking_number]
    images = page_one.images
    assert len(images) == 1
    drawn = images[0].image
    assert drawn is not None
    made = Image.open(io.BytesIO(qr_png(expected)))
    difference = ImageChops.difference(drawn.convert("L"), made.convert("L"))
    assert drawn.size == made.size and difference.getbbox() is None
    other = Image.open(io.BytesIO(qr_png(expected.replace("nomor=", "nomor=X"))))
    assert ImageChops.difference(drawn.convert("L"), other.convert("L")).getbbox() is not None


def test_no_receipt_for_a_draft_or_for_someone_elses_application(
    web: TestClient, session: Session, world: World
) -> None:
    application = submitted(session, world)
    draft = submission.start_draft(session, world.region, world.citizen, "izin-uji")
    session.flush()
    log_in(web, "warga@example.org", "sandi-warga-1")
    refused = web.get(f"/kota-uji/permohonan/{draft.id}/bukti-pendaftaran")
    assert refused.status_code == 409
    assert "Bukti pendaftaran tersedia setelah permohonan diajukan." in refused.text
    log_in(web, "tetangga@example.org", "sandi-warga-2")
    other = web.get(f"/kota-uji/permohonan/{application.id}/bukti-pendaftaran")
    assert other.status_code == 404 and b"%PDF" not in other.content
    web.cookies.clear()
    anonymous = web.get(
        f"/kota-uji/permohonan/{application.id}/bukti-pendaftaran", follow_redirects=False
    )
    assert anonymous.status_code in (303, 401) and b"%PDF" not in anonymous.content


# -- cancellation ----------------------------------------------------------------------------


def test_the_citizen_cancels_an_untaken_application_and_it_leaves_the_inbox(
    web: TestClient, session: Session, world: World
) -> None:
    application = submitted(session, world)
    log_in(web, "verif@example.org", "sandi-verif-1")
    assert application.tracking_number in web.get("/kota-uji/petugas/kotak-masuk").text
    log_in(web, "warga@example.org", "sandi-warga-1")
    detail = f"/kota-uji/permohonan/{application.id}"
    page = web.get(detail)
    assert f"{detail}/batalkan" in page.text and "Batalkan permohonan" in page.text
    confirm = web.get(f"{detail}/batalkan")
    assert "Batalkan permohonan?" in confirm.text and 'id="f-alasan"' in confirm.text
    done = post_form(
        web, f"{detail}/batalkan", {"alasan": "Salah  memilih layanan"}, page=f"{detail}/batalkan"
    )
    assert done.status_code == 303 and done.headers["location"].endswith("pesan=dibatalkan")
    after = web.get(done.headers["location"])
    assert "Permohonan dibatalkan" in after.text and "Dibatalkan oleh pemohon" in after.text
    assert f"{detail}/batalkan" not in after.text
    session.expire_all()
    assert session.get(Application, application.id).status is ApplicationStatus.CANCELLED  # type: ignore[union-attr]
    tasks = session.scalars(select(Task).where(Task.application_id == application.id)).all()
    assert [t.status for t in tasks] == [TaskStatus.CANCELLED]
    event = session.scalars(
        select(ApplicationEvent).where(
            ApplicationEvent.application_id == application.id, ApplicationEvent.action == "cancel"
        )
    ).one()
    assert event.note == "Salah memilih layanan" and event.to_status == "cancelled"
    assert event.actor_id == world.citizen.id
    log_in(web, "verif@example.org", "sandi-verif-1")
    assert application.tracking_number not in web.get("/kota-uji/petugas/kotak-masuk").text
    # The public tracking page says so too.
    web.cookies.clear()
    tracked = lookup(web, application.tracking_number, nik4=LAST4)
    assert "Dibatalkan" in tracked.text  # type: ignore[attr-defined]


def test_cancelling_is_refused_once_an_officer_has_taken_it(
    web: TestClient, session: Session, world: World
) -> None:
    application = submitted(session, world)
    task = repository.open_task_of(session, application.id)
    assert task is not None
    workflow.claim_task(session, world.region, world.verifier, task.id)
    session.flush()
    log_in(web, "warga@example.org", "sandi-warga-1")
    detail = f"/kota-uji/permohonan/{application.id}"
    assert f"{detail}/batalkan" not in web.get(detail).text
    token = csrf_from(web.get(detail).text)
    refused = web.post(f"{detail}/batalkan", data={"csrf_token": token}, follow_redirects=False)
    assert refused.status_code == 409
    assert "petugas sudah mulai memprosesnya" in refused.text
    session.expire_all()
    assert session.get(Application, application.id).status is ApplicationStatus.SUBMITTED  # type: ignore[union-attr]
    assert session.get(Task, task.id).status is TaskStatus.OPEN  # type: ignore[union-attr]


def test_cancelling_is_refused_when_finished_or_returned(session: Session, world: World) -> None:
    application = submitted(session, world)
    task = repository.open_task_of(session, application.id)
    assert task is not None
    workflow.act_on_task(
        session,
        world.region,
        world.verifier,
        task.id,
        TaskOutcome.RETURN,
        "Foto KTP buram, unggah ulang.",
    )
    session.flush()
    with pytest.raises(Conflict):
        tracking.cancel_application(session, world.region, world.citizen, application.id)
    # Sent back after the revision: an officer has had it, so it stays with them.
    submission.submit(session, world.region, world.citizen, application.id)
    session.flush()
    with pytest.raises(Conflict):
        tracking.cancel_application(session, world.region, world.citizen, application.id)


def test_a_reason_with_hidden_characters_or_too_long_changes_nothing(
    web: TestClient, session: Session, world: World
) -> None:
    application = submitted(session, world)
    log_in(web, "warga@example.org", "sandi-warga-1")
    path = f"/kota-uji/permohonan/{application.id}/batalkan"
    too_long = post_form(web, path, {"alasan": "x" * 501})
    assert too_long.status_code == 422
    assert 'href="#f-alasan"' in too_long.text and "Paling banyak 500 karakter." in too_long.text
    hidden = post_form(web, path, {"alasan": "batal\u202eabc"})
    assert hidden.status_code == 422
    session.expire_all()
    assert session.get(Application, application.id).status is ApplicationStatus.SUBMITTED  # type: ignore[union-attr]


def test_dates_are_the_regions_days_not_utcs(
    web: TestClient, session: Session, world: World
) -> None:
    application = submitted(session, world)
    # 18.58 UTC on the 7th is 01.58 WIB on the 8th: the citizen sent it on the 8th.
    application.submitted_at = datetime(2026, 12, 7, 18, 58, tzinfo=UTC)
    session.flush()
    page = lookup(web, application.tracking_number, nik4=LAST4)
    assert "8 Desember 2026" in page.text and "7 Desember 2026" not in page.text  # type: ignore[attr-defined]


def test_a_cancelled_application_reads_as_ended_through_the_govstack_api(
    session: Session, world: World
) -> None:
    application = submitted(session, world)
    tracking.cancel_application(session, world.region, world.citizen, application.id)
    status = registration_schemas.status_of(application)
    assert status.code == "REJECTED" and status.title == "Dibatalkan"
