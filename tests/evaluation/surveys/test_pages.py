"""The citizen's survey form, the invitation on the application page, and the IKM report
with its export, through the web app."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, StaffRoleName
from simpul.applications.models import ApplicationStatus
from tests.evaluation.surveys.conftest import World, application, log_in, responses_of
from tests.factories import csrf_from

REPORT = "/kota-uji/admin/ikm"
ANSWERS = {f"u{n}": "3" for n in range(1, 10)}


def _survey(item_id: object) -> str:
    return f"/kota-uji/permohonan/{item_id}/survei"


def _post(client: TestClient, path: str, data: dict[str, str]) -> Any:
    token = csrf_from(client.get("/kota-uji/masuk").text)
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)


def test_citizen_rates_a_completed_application_once(
    client: TestClient, session: Session, world: World
) -> None:
    item = application(session, world.ktp, world.citizen)
    session.commit()
    log_in(client, session, world.region, "warga@example.org")
    page = client.get(f"/kota-uji/permohonan/{item.id}")
    assert page.status_code == 200
    assert "Beri penilaian layanan" in page.text and f'href="{_survey(item.id)}"' in page.text

    form = client.get(_survey(item.id))
    assert form.status_code == 200
    assert form.text.count('<fieldset class="field radios') == 9
    assert len(re.findall(r'type="radio"', form.text)) == 36
    assert "Waktu penyelesaian" in form.text and "Sangat cepat" in form.text
    token = csrf_from(form.text)

    sent = client.post(
        _survey(item.id),
        data={**ANSWERS, "u1": "4", "saran": "Antrean daring memudahkan.", "csrf_token": token},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/kota-uji/permohonan/{item.id}?pesan=dinilai#penilaian"
    after = client.get(sent.headers["location"])
    assert "Terima kasih, penilaian Anda sudah tercatat" in after.text
    assert "Beri penilaian layanan" not in after.text
    assert responses_of(session, world.region) == 1

    # A double click or the back button: no second response, the thanks again.
    again = client.post(
        _survey(item.id), data={**ANSWERS, "csrf_token": token}, follow_redirects=False
    )
    assert again.status_code == 303
    assert responses_of(session, world.region) == 1
    revisit = client.get(_survey(item.id))
    assert revisit.status_code == 200
    assert "Terima kasih, penilaian Anda sudah tercatat" in revisit.text
    assert 'type="radio"' not in revisit.text


def test_a_missing_answer_shows_the_form_again_and_saves_nothing(
    client: TestClient, session: Session, world: World
) -> None:
    item = application(session, world.ktp, world.citizen)
    session.commit()
    log_in(client, session, world.region, "warga@example.org")
    answers = {**ANSWERS, "u2": "4", "u3": "", "u7": "9", "saran": "Sudah baik."}
    response = _post(client, _survey(item.id), answers)
    assert response.status_code == 422
    text = response.text
    assert "Pilih salah satu jawaban untuk unsur Waktu penyelesaian." in text
    assert "Jawaban untuk unsur Perilaku pelaksana harus salah satu dari empat pilihan." in text
    assert 'id="f-u2-4" name="u2" type="radio" value="4" checked' in text
    assert 'id="f-u3" name="u3" type="radio" value="1" required aria-invalid="true"' in text
    assert "Sudah baik." in text
    assert responses_of(session, world.region) == 0
    # Without a CSRF token nothing happens either.
    refused = client.post(_survey(item.id), data=ANSWERS, follow_redirects=False)
    assert refused.status_code == 403
    assert responses_of(session, world.region) == 0


def test_someone_elses_or_an_unfinished_application_cannot_be_rated(
    client: TestClient, session: Session, world: World
) -> None:
    theirs = application(session, world.ktp, world.neighbour)
    waiting = application(session, world.ktp, world.citizen, status=ApplicationStatus.SUBMITTED)
    session.commit()
    log_in(client, session, world.region, "warga@example.org")
    assert client.get(_survey(theirs.id)).status_code == 404
    assert _post(client, _survey(theirs.id), ANSWERS).status_code == 404
    page = client.get(_survey(waiting.id))
    assert page.status_code == 409
    assert "setelah permohonan selesai" in page.text
    assert _post(client, _survey(waiting.id), ANSWERS).status_code == 409
    assert "Beri penilaian layanan" not in client.get(f"/kota-uji/permohonan/{waiting.id}").text
    assert responses_of(session, world.region) == 0


def test_admin_reads_the_report_of_their_region(
    client: TestClient, session: Session, rated: World
) -> None:
    log_in(client, session, rated.region, "admin@example.org", AccountKind.REGION_ADMIN)
    page = client.get(f"{REPORT}?tahun=2026")
    assert page.status_code == 200, page.text
    text = page.text
    assert "KTP Uji" in text and "Izin Usaha" in text
    assert "84,26" in text and "B (Baik)" in text and "88,19" in text
    assert "Jumlah responden belum memenuhi sampel minimum (3 dari 5)" in text
    assert "Terpenuhi (1 dari 1)" in text
    perbaikan = text.split('id="perbaikan"')[1].split("</p>")[0]
    assert "Waktu penyelesaian" in perbaikan
    assert text.count("<rect ") == 9
    assert "Layanan Khas Kabupaten Lain" not in text  # the other region's service
    assert "ekspor.xlsx?tahun=2026&amp;periode=" in text

    bad = client.get(f"{REPORT}?tahun=20x6")
    assert bad.status_code == 422
    assert 'id="e-tahun"' in bad.text and "Tahun harus angka empat digit" in bad.text
    assert client.get(f"{REPORT}/ekspor.csv?tahun=1800").status_code == 422


def test_admin_downloads_the_table_as_csv_and_xlsx(
    client: TestClient, session: Session, rated: World
) -> None:
    log_in(client, session, rated.region, "admin@example.org", AccountKind.REGION_ADMIN)
    csv_file = client.get(f"{REPORT}/ekspor.csv?tahun=2026&periode=s1")
    assert csv_file.status_code == 200
    assert csv_file.headers["content-disposition"] == (
        'attachment; filename="ikm-kota-uji-2026-s1.csv"'
    )
    # The form Indonesian Excel opens: semicolons, decimal commas, the page's words as headers.
    text = csv_file.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert [
        (r["Layanan"], r["Responden"], r["Populasi"], r["IKM"], r["Mutu pelayanan"]) for r in rows
    ] == [
        ("Izin Usaha", "1", "1", "100,00", "A"),
        ("KTP Uji", "3", "5", "84,26", "B"),
        ("Semua layanan", "1", "1", "100,00", "A"),
        ("Semua layanan", "3", "5", "84,26", "B"),
        ("Semua layanan", "4", "6", "88,19", "B"),
    ]
    assert rows[1]["Unsur terendah"] == "Waktu penyelesaian"
    comma = client.get(f"{REPORT}/ekspor.csv?tahun=2026&periode=s1&pemisah=koma")
    comma_rows = list(csv.DictReader(io.StringIO(comma.content.decode("utf-8-sig"))))
    assert comma_rows[1]["IKM"] == "84.26"
    xlsx_file = client.get(f"{REPORT}/ekspor.xlsx?tahun=2026&periode=s1")
    assert xlsx_file.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx_file.content)).worksheets[0]
    assert sheet.title == "ikm"
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["Periode", "Perangkat daerah", "Layanan"]
    ktp = dict(zip(header, sheet[3], strict=True))
    assert ktp["Layanan"].value == "KTP Uji"
    assert (ktp["IKM"].value, ktp["NRR U9"].value) == (84.26, 2.67)
    assert ktp["IKM"].number_format == "#,##0.00" and ktp["Responden"].value == 3
    assert sheet.max_row == 6


def test_each_region_and_agency_sees_only_its_own(
    client: TestClient, session: Session, rated: World
) -> None:
    # Region B's admin: its own report shows only its own service and response.
    log_in(client, session, rated.other, "admin@example.org", AccountKind.REGION_ADMIN)
    own = client.get("/kab-lain/admin/ikm?tahun=2026")
    assert own.status_code == 200
    assert "Layanan Khas Kabupaten Lain" in own.text
    assert "KTP Uji" not in own.text and "84,26" not in own.text
    # Its login does not reach region A's report or export: it is sent to A's login page.
    for path in (f"{REPORT}?tahun=2026", f"{REPORT}/ekspor.csv?tahun=2026"):
        refused = client.get(path, follow_redirects=False)
        assert refused.status_code == 303
        assert refused.headers["location"].startswith("/kota-uji/masuk?next=")


def test_agency_admin_sees_their_agency_citizens_and_officers_are_refused(
    client: TestClient, session: Session, rated: World
) -> None:
    log_in(
        client,
        session,
        rated.region,
        "opd@example.org",
        AccountKind.STAFF,
        roles=[("dinas-izin", StaffRoleName.ADMIN_OPD)],
    )
    page = client.get(f"{REPORT}?tahun=2026")
    assert page.status_code == 200
    assert "Izin Usaha" in page.text and "KTP Uji" not in page.text
    client.cookies.clear()
    log_in(
        client,
        session,
        rated.region,
        "verif@example.org",
        AccountKind.STAFF,
        roles=[("dinas-uji", StaffRoleName.VERIFIKATOR)],
    )
    assert client.get(f"{REPORT}?tahun=2026").status_code == 403
    client.cookies.clear()
    log_in(client, session, rated.region, "warga@example.org")
    assert client.get(f"{REPORT}?tahun=2026").status_code == 403
