"""Citizens file complaints, follow them with an account or an access code, rate and reopen
them, and the public sees what is not confidential."""

from __future__ import annotations

import io
import re
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from simpul.complaints import service as complaints
from simpul.complaints.models import Complaint, ComplaintPhoto
from simpul.core.models import AuditEvent
from tests.complaints.conftest import PASSWORD, ComplaintWorld, pothole_filing
from tests.factories import csrf_from

FORM = "/kota-aduan/pengaduan/baru"


def login(client: TestClient, email: str) -> None:
    page = client.get("/kota-aduan/masuk")
    response = client.post(
        "/kota-aduan/masuk",
        data={"email": email, "password": PASSWORD, "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303


def jpeg(colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, "JPEG")
    return out.getvalue()


def file_form(
    client: TestClient,
    fields: dict[str, str] | None = None,
    photos: list[bytes] | None = None,
) -> Any:
    data = {
        "jenis": "complaint",
        "kategori": "jalan-rusak",
        "judul": "Lubang besar di Jalan Dago",
        "isi": "Ada lubang besar di depan nomor 45, sudah dua minggu dan membahayakan motor.",
        "alamat": "Jl. Ir. H. Juanda No. 45",
        "lintang": "-6.8876",
        "bujur": "107.6133",
        **(fields or {}),
    }
    data["csrf_token"] = csrf_from(client.get(FORM).text)
    files = [("foto", (f"foto{i}.jpg", p, "image/jpeg")) for i, p in enumerate(photos or [])]
    return client.post(FORM, data=data, files=files or None, follow_redirects=False)


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Complaint)) or 0


def test_a_citizen_files_with_an_account_and_lands_on_the_page(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    login(client, world.citizen.email)
    form = client.get(FORM)
    assert "Instansi tidak melihat nama Anda" in form.text
    assert "Laporan tidak tampil untuk umum" in form.text
    # Without tiles the form has the plain latitude and longitude inputs and no map.
    assert 'name="lintang"' in form.text and "data-peta" not in form.text
    response = file_form(client, photos=[jpeg()])
    assert response.status_code == 303
    page = client.get(response.headers["location"])
    assert page.status_code == 200
    assert "Lubang besar di Jalan Dago" in page.text
    assert "Menunggu verifikasi" in page.text
    assert "/foto/" in page.text
    # The reporter follows it; the access code is only for those without an account.
    assert "1 warga" in page.text
    mine = client.get("/kota-aduan/pengaduan/saya")
    assert "Lubang besar di Jalan Dago" in mine.text


def test_without_an_account_the_code_is_shown_once_and_opens_the_owner_view(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    response = file_form(
        client,
        {"rahasia": "1", "nama": "Budi Santoso", "kontak": "budi@example.org"},
        photos=[jpeg()],
    )
    assert response.status_code == 200
    number = re.search(r"ADU-\d{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", response.text)
    code = re.search(r'<strong class="tracking">([0-9A-Z]{10})</strong>', response.text)
    assert number and code and "Simpan kode ini" in response.text
    # Confidential: the public gets "not found".
    assert client.get(f"/kota-aduan/pengaduan/{number.group(0)}").status_code == 404
    track = client.get("/kota-aduan/pengaduan/lacak")
    wrong = client.post(
        "/kota-aduan/pengaduan/lacak",
        data={"nomor": number.group(0), "kode": "ZZZZZZZZZZ", "csrf_token": csrf_from(track.text)},
    )
    assert wrong.status_code == 404 and "Lubang besar" not in wrong.text
    right = client.post(
        "/kota-aduan/pengaduan/lacak",
        data={"nomor": number.group(0), "kode": code.group(1), "csrf_token": csrf_from(track.text)},
    )
    assert right.status_code == 200 and "Lubang besar di Jalan Dago" in right.text
    assert "Rahasia" in right.text
    # Its photo is not linked (an image's URL cannot carry the code): no broken image.
    assert "/foto/" not in right.text and "1 foto terlampir" in right.text
    # The contact is stored encrypted and never shown on the page.
    assert "Budi Santoso" not in right.text and "budi@example.org" not in right.text
    complaint = session.scalars(select(Complaint).where(Complaint.number == number.group(0))).one()
    assert complaints.contact_of(complaint) == {"name": "Budi Santoso", "email": "budi@example.org"}


def test_errors_name_each_field_keep_the_typed_values_and_write_nothing(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    before = count(session)
    response = file_form(
        client,
        {"kategori": "", "isi": "terlalu pendek", "judul": "Judul yang saya ketik"},
        photos=[b"<html><script>alert(1)</script></html>"],
    )
    assert response.status_code == 422
    assert 'href="#f-kategori"' in response.text
    assert 'href="#f-isi"' in response.text
    assert 'href="#f-foto"' in response.text
    assert "JPEG, PNG atau WebP" in response.text
    assert 'value="Judul yang saya ketik"' in response.text
    assert count(session) == before
    assert session.scalar(select(func.count()).select_from(ComplaintPhoto)) == 0


def test_more_than_five_photos_are_refused(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    before = count(session)
    response = file_form(client, photos=[jpeg()] * 6)
    assert response.status_code == 422 and "Paling banyak 5 foto" in response.text
    assert count(session) == before


def test_bad_coordinates_are_named(client: TestClient, world: ComplaintWorld) -> None:
    response = file_form(client, {"lintang": "utara", "bujur": "107"})
    assert response.status_code == 422 and 'href="#f-lokasi"' in response.text


def test_anonymous_complaint_never_shows_the_name(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    login(client, world.citizen.email)
    response = file_form(client, {"anonim": "1"})
    number = response.headers["location"].rsplit("/", 1)[1]
    client.cookies.clear()
    public = client.get(f"/kota-aduan/pengaduan/{number}")
    assert public.status_code == 200
    assert world.citizen.full_name not in public.text
    login(client, world.desk.email)
    assert world.citizen.full_name not in client.get(f"/kota-aduan/pengaduan/{number}").text


def test_confidential_never_in_public_list_map_or_photo(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    login(client, world.citizen.email)
    secret = file_form(client, {"rahasia": "1", "judul": "Rahasia sekali"}, photos=[jpeg()])
    number = secret.headers["location"].rsplit("/", 1)[1]
    file_form(client, {"judul": "Terbuka untuk umum"})
    own = client.get(f"/kota-aduan/pengaduan/{number}")
    assert own.status_code == 200
    photo_url = re.search(r'src="(/kota-aduan/pengaduan/[^"]+/foto/[^"]+)"', own.text)
    assert photo_url
    owned_photo = client.get(photo_url.group(1))
    assert owned_photo.status_code == 200
    assert owned_photo.headers["cache-control"].startswith("private")
    client.cookies.clear()
    assert client.get(f"/kota-aduan/pengaduan/{number}").status_code == 404
    assert client.get(photo_url.group(1)).status_code == 404
    listing = client.get("/kota-aduan/pengaduan")
    assert "Terbuka untuk umum" in listing.text and "Rahasia sekali" not in listing.text
    points = client.get("/kota-aduan/pengaduan/peta.json").json()
    numbers = [f["properties"]["number"] for f in points["features"]]
    assert number not in numbers and len(numbers) == 1
    assert set(points["features"][0]["properties"]) == {
        "number",
        "title",
        "status",
        "category",
        "url",
    }
    # Another citizen does not see it either; the desk does.
    login(client, world.other_citizen.email)
    assert client.get(f"/kota-aduan/pengaduan/{number}").status_code == 404
    client.cookies.clear()
    login(client, world.desk.email)
    assert client.get(f"/kota-aduan/pengaduan/{number}").status_code == 200


def test_list_filters_by_category_and_status(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    complaints.file_complaint(session, world.region, pothole_filing(), reporter=world.citizen)
    complaints.file_complaint(
        session,
        world.region,
        pothole_filing(category="sampah", title="Sampah di pasar"),
        reporter=world.citizen,
    )
    session.flush()
    roads = client.get("/kota-aduan/pengaduan?kategori=jalan-rusak")
    assert "Lubang besar" in roads.text and "Sampah di pasar" not in roads.text
    closed = client.get("/kota-aduan/pengaduan?status=closed")
    assert "Lubang besar" not in closed.text and "Belum ada pengaduan" in closed.text
    assert "Sampah di pasar" in client.get("/kota-aduan/pengaduan?status=open").text


def _resolved(session: Session, world: ComplaintWorld, **changes: object) -> Complaint:
    filed = complaints.file_complaint(
        session, world.region, pothole_filing(**changes), reporter=world.citizen
    )
    complaint = filed.complaint
    complaints.route(session, world.region, world.desk, complaint, world.roads.id)
    complaints.answer(
        session, world.region, world.roads_officer, complaint, "Sudah kami tambal.", final=True
    )
    session.flush()
    return complaint


def test_owner_rates_once_and_may_reopen_once(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    complaint = _resolved(session, world)
    page = f"/kota-aduan/pengaduan/{complaint.number}"
    # A stranger sees no owner actions and cannot rate.
    login(client, world.other_citizen.email)
    assert "Nilai tanggapan instansi" not in client.get(page).text
    token = csrf_from(client.get(page).text)
    refused = client.post(f"{page}/nilai", data={"nilai": "1", "csrf_token": token})
    assert refused.status_code == 404
    client.cookies.clear()
    login(client, world.citizen.email)
    shown = client.get(page)
    assert "Nilai tanggapan instansi" in shown.text and "Buka kembali" in shown.text
    no_stars = client.post(f"{page}/nilai", data={"nilai": "", "csrf_token": csrf_from(shown.text)})
    assert no_stars.status_code == 422 and "Pilih nilai 1 sampai 5" in no_stars.text
    rated = client.post(
        f"{page}/nilai",
        data={"nilai": "4", "komentar": "Cepat", "csrf_token": csrf_from(shown.text)},
        follow_redirects=False,
    )
    assert rated.status_code == 303
    after = client.get(rated.headers["location"])
    assert "Nilai Anda: 4 dari 5" in after.text and "Nilai tanggapan instansi" not in after.text
    reopened = client.post(
        f"{page}/buka-kembali",
        data={"alasan": "Lubangnya muncul lagi", "csrf_token": csrf_from(after.text)},
        follow_redirects=False,
    )
    assert reopened.status_code == 303
    again = client.get(page)
    assert "Ditindaklanjuti" in again.text and "Buka kembali" not in again.text
    second = client.post(
        f"{page}/buka-kembali",
        data={"alasan": "Sekali lagi", "csrf_token": csrf_from(again.text)},
    )
    assert second.status_code == 409


def test_owner_with_the_code_replies_to_a_question(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    filed = complaints.file_complaint(session, world.region, pothole_filing(), reporter=None)
    complaint, code = filed.complaint, filed.access_code
    assert code
    complaints.route(session, world.region, world.desk, complaint, world.roads.id)
    complaints.request_info(
        session, world.region, world.roads_officer, complaint, "Di sisi jalan yang mana?"
    )
    session.flush()
    track = client.get("/kota-aduan/pengaduan/lacak")
    view = client.post(
        "/kota-aduan/pengaduan/lacak",
        data={"nomor": complaint.number, "kode": code, "csrf_token": csrf_from(track.text)},
    )
    assert "Jawab pertanyaan instansi" in view.text
    assert f'name="kode" value="{code}"' in view.text
    # Without the code the same form is "not found".
    stolen = client.post(
        f"/kota-aduan/pengaduan/{complaint.number}/balas",
        data={"keterangan": "palsu", "csrf_token": csrf_from(view.text)},
    )
    assert stolen.status_code == 404
    replied = client.post(
        f"/kota-aduan/pengaduan/{complaint.number}/balas",
        data={"keterangan": "Sisi timur", "kode": code, "csrf_token": csrf_from(view.text)},
    )
    assert replied.status_code == 200
    assert "Keterangan Anda sudah dikirim" in replied.text and "Sisi timur" in replied.text
    # The code never travels in a URL.
    assert code not in str(replied.url)


def test_a_citizen_supports_and_unfollows(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    filed = complaints.file_complaint(
        session, world.region, pothole_filing(), reporter=world.citizen
    )
    session.flush()
    page = f"/kota-aduan/pengaduan/{filed.complaint.number}"
    assert "Masuk untuk mendukung" in client.get(page).text
    login(client, world.other_citizen.email)
    shown = client.get(page)
    followed = client.post(
        f"{page}/dukung", data={"csrf_token": csrf_from(shown.text)}, follow_redirects=True
    )
    assert "2 warga" in followed.text and "Berhenti mengikuti" in followed.text
    left = client.post(
        f"{page}/berhenti-ikuti",
        data={"csrf_token": csrf_from(followed.text)},
        follow_redirects=True,
    )
    assert "1 warga" in left.text and f'action="{page}/dukung"' in left.text


def test_public_history_masks_sixteen_digit_numbers(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    complaint = _resolved(
        session,
        world,
        description="Petugas meminta NIK saya 3273015708900001 lalu jalan tetap berlubang.",
    )
    page = client.get(f"/kota-aduan/pengaduan/{complaint.number}")
    assert "3273015708900001" not in page.text
    assert "Sudah kami tambal." in page.text and "Tanggapan akhir: selesai" in page.text


def test_filing_about_an_application_names_it_and_its_agency(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    from datetime import date

    from simpul.applications.models import Application, ApplicationStatus
    from simpul.catalogue.models import Service
    from simpul.core.models import utcnow

    service = session.scalars(
        select(Service).where(
            Service.region_id == world.region.id, Service.agency_id == world.waste.id
        )
    ).first()
    assert service is not None
    application = Application(
        region_id=world.region.id,
        service_id=service.id,
        applicant_id=world.citizen.id,
        tracking_number="AB12CD34EF56",
        status=ApplicationStatus.SUBMITTED,
        submitted_at=utcnow(),
        due_date=date(2026, 12, 31),
        data={},
    )
    session.add(application)
    session.flush()
    path = f"{FORM}?permohonan={application.id}"
    # Without an account: log in first.
    assert client.get(path, follow_redirects=False).status_code == 303
    login(client, world.other_citizen.email)
    assert client.get(path).status_code == 404  # not their application
    client.cookies.clear()
    login(client, world.citizen.email)
    own_page = client.get(f"/kota-aduan/permohonan/{application.id}")
    assert f'href="/kota-aduan/pengaduan/baru?permohonan={application.id}"' in own_page.text
    form = client.get(path)
    assert "AB12CD34EF56" in form.text and service.name in form.text
    data = {
        "jenis": "complaint",
        "kategori": "pelayanan-petugas",
        "judul": "Permohonan saya lama sekali",
        "isi": "Sudah lewat batas waktu dan belum ada kabar dari petugas sama sekali.",
        "permohonan": str(application.id),
        "csrf_token": csrf_from(form.text),
    }
    response = client.post(FORM, data=data, follow_redirects=False)
    assert response.status_code == 303
    number = response.headers["location"].rsplit("/", 1)[1]
    complaint = session.scalars(select(Complaint).where(Complaint.number == number)).one()
    assert complaint.application_id == application.id
    assert complaint.suggested_agency_id == world.waste.id


def test_staff_opening_a_complaints_photo_is_recorded_the_reporter_is_not(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    login(client, world.citizen.email)
    filed = file_form(client, {"rahasia": "1"}, photos=[jpeg()])
    number = filed.headers["location"].rsplit("/", 1)[1]
    own = client.get(f"/kota-aduan/pengaduan/{number}")
    photo_url = re.search(r'src="(/kota-aduan/pengaduan/[^"]+/foto/([^"]+))"', own.text)
    assert photo_url
    assert client.get(photo_url.group(1)).status_code == 200

    def reads() -> list[tuple[object, object]]:
        rows = session.execute(
            select(AuditEvent.actor_id, AuditEvent.details).where(
                AuditEvent.action == "complaint.photo_viewed",
                AuditEvent.region_id == world.region.id,
            )
        )
        return [tuple(r) for r in rows]

    assert reads() == []  # the reporter reading their own photo is not staff reading
    client.cookies.clear()
    login(client, world.desk.email)
    assert client.get(photo_url.group(1)).status_code == 200
    assert reads() == [(world.desk.id, {"photo": photo_url.group(2)})]
