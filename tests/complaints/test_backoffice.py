"""The back office's complaint pages: the desk's and the agencies' inboxes, a complaint's file,
and each action through its form (decision 0056)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.accounts.models import User
from simpul.complaints import service as complaints
from simpul.complaints.models import Complaint, ComplaintEvent, ComplaintStatus
from simpul.core.models import AuditEvent
from tests.complaints.conftest import PASSWORD, ComplaintWorld, build_world, pothole_filing
from tests.factories import csrf_from, make_user, post_form

BASE = "/kota-aduan/petugas/pengaduan"
# Monday 23 November 2026, 09.00 WIB: long past, so its deadlines are overdue today.
LONG_AGO = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def log_in(client: TestClient, user: User) -> None:
    client.cookies.clear()
    response = post_form(client, "/kota-aduan/masuk", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 303, response.text


def file(session: Session, world: ComplaintWorld, **changes: Any) -> Complaint:
    now = changes.pop("now", None)
    reporter = changes.pop("reporter", world.citizen)
    filed = complaints.file_complaint(
        session, world.region, pothole_filing(**changes), reporter=reporter, now=now
    )
    session.flush()
    return filed.complaint


def routed(
    session: Session, world: ComplaintWorld, agency_id: uuid.UUID, **changes: Any
) -> Complaint:
    complaint = file(session, world, **changes)
    complaints.route(session, world.region, world.desk, complaint, agency_id)
    session.flush()
    return complaint


def act(client: TestClient, number: str, action: str, data: dict[str, Any]) -> Any:
    """Post an action's form the way the file page offers it (its token and version)."""
    page = client.get(f"{BASE}/{number}").text
    version = re.search(r'name="versi" value="(\d+)"', page)
    assert version, "the page offers no action form"
    return client.post(
        f"{BASE}/{number}/{action}",
        data={**data, "csrf_token": csrf_from(page), "versi": version.group(1)},
        follow_redirects=False,
    )


def steps(session: Session, complaint: Complaint) -> list[tuple[str, str]]:
    session.expire_all()
    rows = session.scalars(
        select(ComplaintEvent)
        .where(ComplaintEvent.complaint_id == complaint.id)
        .order_by(ComplaintEvent.at, ComplaintEvent.id)
    )
    return [(e.action, e.actor_label) for e in rows]


def test_the_desk_sees_every_new_complaint_an_agency_only_its_own(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    new = file(session, world, title="Lubang baru di Jalan Dago")
    roads = routed(session, world, world.roads.id, title="Jalan berlubang di Cihampelas")
    waste = routed(session, world, world.waste.id, title="Sampah menumpuk di pasar")

    log_in(client, world.desk)
    inbox = client.get(BASE)
    assert inbox.status_code == 200
    # The desk's default view is what it must sort: the new one only.
    assert new.number in inbox.text
    assert roads.number not in inbox.text and waste.number not in inbox.text
    everything = client.get(f"{BASE}?tampil=semua").text
    assert all(c.number in everything for c in (new, roads, waste))
    # The staff menu says how many wait.
    assert "Pengaduan (1 perlu tindakan)" in inbox.text

    log_in(client, world.roads_officer)
    mine = client.get(BASE).text
    assert roads.number in mine
    assert new.number not in mine and waste.number not in mine
    assert waste.number not in client.get(f"{BASE}?tampil=semua").text
    # Another agency's complaint does not exist for this officer.
    assert client.get(f"{BASE}/{waste.number}").status_code == 404
    assert client.get(f"{BASE}/{new.number}").status_code == 404
    assert client.get(f"{BASE}/{roads.number}").status_code == 200


def test_filters_search_and_the_overdue_flag(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    old = file(session, world, title="Lubang lama di Jalan Riau", now=LONG_AGO)
    fresh = file(session, world, category="sampah", title="Sampah di Jalan Riau", anonymous=True)
    escalated = file(session, world, title="Trotoar ambles", confidential=True)
    escalated.first_response_escalated_at = datetime.now(UTC)
    session.flush()

    log_in(client, world.desk)
    page = client.get(BASE).text
    # Oldest deadline first; the overdue one says so in red.
    assert page.index(old.number) < page.index(fresh.number)
    row = page[page.index(f'id="aduan-{old.number}"') :].split("</tr>")[0]
    assert "Terlambat" in row
    fresh_row = page[page.index(f'id="aduan-{fresh.number}"') :].split("</tr>")[0]
    assert "Terlambat" not in fresh_row and "anonim" in fresh_row
    escalated_row = page[page.index(f'id="aduan-{escalated.number}"') :].split("</tr>")[0]
    assert "Dieskalasi ke pimpinan" in escalated_row and "rahasia" in escalated_row

    late = client.get(f"{BASE}?terlambat=1").text
    assert old.number in late and fresh.number not in late
    by_category = client.get(f"{BASE}?kategori=sampah").text
    assert fresh.number in by_category and old.number not in by_category
    by_word = client.get(f"{BASE}?cari=riau").text
    assert old.number in by_word and fresh.number in by_word and escalated.number not in by_word
    by_number = client.get(f"{BASE}?cari={old.number[:13].lower()}").text
    assert old.number in by_number and fresh.number not in by_number
    assert escalated.number in client.get(f"{BASE}?status=new&jenis=complaint").text
    assert old.number not in client.get(f"{BASE}?tampil=selesai").text

    bad = client.get(f"{BASE}?kategori=tidak-ada&cari=x")
    assert bad.status_code == 422
    assert "Pilih kategori dari daftar." in bad.text
    assert old.number not in bad.text


def test_pages_follow_each_other_without_repeating_a_complaint(
    client: TestClient, session: Session, world: ComplaintWorld, monkeypatch: Any
) -> None:
    from simpul.complaints import backoffice

    monkeypatch.setattr(backoffice, "PAGE_SIZE", 2)
    numbers = {file(session, world, title=f"Lubang nomor {i}").number for i in range(5)}
    log_in(client, world.desk)
    seen: list[str] = []
    url: str | None = BASE
    while url:
        text = client.get(url).text
        seen += re.findall(r'id="aduan-(ADU-[0-9A-Z-]+)"', text)
        found = re.search(r'rel="next" href="([^"]+)"', text)
        url = found.group(1).replace("&amp;", "&") if found else None
    assert sorted(seen) == sorted(numbers)
    tampered = client.get(f"{BASE}?setelah=abc.def")
    assert tampered.status_code == 422


def test_the_file_shows_everything_and_each_read_is_audited(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    complaint = file(session, world)
    log_in(client, world.desk)
    for _ in range(2):
        page = client.get(f"{BASE}/{complaint.number}")
        assert page.status_code == 200
    text = page.text
    assert complaint.description in text
    assert "Jl. Ir. H. Juanda No. 45" in text and "-6.887600, 107.613300" in text
    assert world.citizen.full_name in text and world.citizen.email in text
    assert "Laporan dikirim" in text  # the history
    assert f"{BASE}/{complaint.number}/duplikat" in text
    assert f"{BASE}/{complaint.number}/teruskan" in text
    audits = session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "complaint.viewed", AuditEvent.target_id == str(complaint.id)
        )
    ).all()
    assert len(audits) == 2
    assert all(a.actor_id == world.desk.id for a in audits)
    assert world.citizen.email not in str([a.details for a in audits])


def test_an_anonymous_complaint_never_shows_its_reporter(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    complaint = file(session, world, anonymous=True)
    log_in(client, world.desk)
    text = client.get(f"{BASE}/{complaint.number}").text
    assert "Pelapor memilih anonim" in text
    assert world.citizen.full_name not in text and world.citizen.email not in text


def test_the_suggestion_is_shown_and_accepting_it_routes_there(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    complaint = file(session, world, category="pelayanan-petugas", title="Petugas kasar")
    complaint.suggested_agency_id = world.waste.id
    complaint.suggested_category_id = world.garbage.id
    complaint.suggestion_confidence = 0.82
    session.flush()
    log_in(client, world.desk)
    page = client.get(f"{BASE}/{complaint.number}").text
    assert "Saran sistem: Dinas Lingkungan Uji (Sampah menumpuk), keyakinan 82%" in page
    # The agency select is pre-selected to the suggestion.
    assert f'<option value="{world.waste.id}" selected>' in page

    version = re.search(r'name="versi" value="(\d+)"', page)
    assert version
    response = client.post(
        f"{BASE}/{complaint.number}/disposisi",
        data={
            "csrf_token": csrf_from(page),
            "versi": version.group(1),
            "instansi": str(world.waste.id),
            "kategori": str(world.garbage.id),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"].endswith("?pesan=diteruskan")
    session.expire_all()
    assert complaint.status is ComplaintStatus.ROUTED
    assert complaint.agency_id == world.waste.id and complaint.category_id == world.garbage.id
    assert steps(session, complaint)[-1] == ("routed", "Meja Aduan (admin pengaduan)")
    assert "Pengaduan diteruskan ke instansi." in client.get(response.headers["location"]).text


def test_without_a_suggestion_the_category_default_agency_is_preselected(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    complaint = file(session, world, category="sampah")
    log_in(client, world.desk)
    page = client.get(f"{BASE}/{complaint.number}").text
    assert "Saran sistem" not in page
    assert f'<option value="{world.waste.id}" selected>' in page


def test_the_desk_splits_and_rejects_through_the_page(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    both = file(session, world, title="Jalan rusak dan sampah menumpuk")
    spam = file(session, world, title="Iklan pinjaman online")
    log_in(client, world.desk)
    split = act(
        client,
        both.number,
        "pecah",
        {
            "instansi": [str(world.roads.id), str(world.waste.id), "", ""],
            "kategori": ["", str(world.garbage.id), "", ""],
            "catatan": ["Bagian jalan", "Bagian sampah", "", ""],
        },
    )
    assert split.status_code == 303
    session.expire_all()
    assert both.status is ComplaintStatus.SPLIT
    parts = complaints.children(session, world.region, both)
    assert {p.agency_id for p in parts} == {world.roads.id, world.waste.id}
    assert steps(session, both)[-1] == ("split", "Meja Aduan (admin pengaduan)")

    rejected = act(client, spam.number, "tolak", {"alasan": "Bukan pengaduan: iklan."})
    assert rejected.status_code == 303
    session.expire_all()
    assert spam.status is ComplaintStatus.REJECTED
    assert steps(session, spam)[-1] == ("rejected", "Meja Aduan (admin pengaduan)")


def test_the_agency_answers_asks_and_forwards_through_the_page(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    complaint = routed(session, world, world.roads.id)
    other = routed(session, world, world.roads.id, title="Lubang di Jalan Braga")
    log_in(client, world.roads_officer)
    page = client.get(f"{BASE}/{complaint.number}").text
    assert "Kirim tanggapan" in page and "Tanggapan akhir (selesai)" in page
    assert "Teruskan ke instansi" not in page  # the desk's actions are not offered

    answered = act(
        client, complaint.number, "tanggapi", {"tanggapan": "Kami cek besok.", "akhir": "0"}
    )
    assert answered.status_code == 303
    session.expire_all()
    assert complaint.status is ComplaintStatus.IN_PROGRESS
    assert steps(session, complaint)[-1] == ("answered", "Petugas Jalan (Disuji)")

    asked = act(client, complaint.number, "minta-keterangan", {"pertanyaan": "Di sisi mana?"})
    assert asked.status_code == 303
    session.expire_all()
    assert complaint.status is ComplaintStatus.WAITING_CITIZEN

    final = act(
        client, complaint.number, "tanggapi", {"tanggapan": "Sudah ditambal.", "akhir": "1"}
    )
    assert final.status_code == 303 and final.headers["location"].endswith("pesan=selesai")
    session.expire_all()
    assert complaint.status is ComplaintStatus.RESOLVED
    # A resolved complaint offers no more action to the agency.
    assert 'name="versi"' not in client.get(f"{BASE}/{complaint.number}").text

    moved = act(
        client, other.number, "alihkan", {"instansi": str(world.waste.id), "catatan": "Urusan DLH"}
    )
    assert moved.status_code == 303
    session.expire_all()
    assert other.agency_id == world.waste.id
    assert steps(session, other)[-1] == ("forwarded_agency", "Petugas Jalan (Disuji)")
    # The complaint left the agency: it is no longer this officer's to read.
    assert client.get(moved.headers["location"]).status_code == 404


def test_bad_input_is_shown_next_to_its_field_and_changes_nothing(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    other_region = build_world(session, "kota-lain")
    complaint = file(session, world)
    answered = routed(session, world, world.roads.id, title="Lubang di Jalan Braga")
    before, before_answered = steps(session, complaint), steps(session, answered)

    log_in(client, world.desk)
    for agency in ("", "bukan-uuid", str(uuid.uuid4()), str(other_region.roads.id)):
        response = act(client, complaint.number, "disposisi", {"instansi": agency})
        assert response.status_code == 422, agency
        assert "Pilih instansi yang menangani." in response.text
        assert 'id="disposisi-instansi"' in response.text
    wrong_category = act(
        client,
        complaint.number,
        "disposisi",
        {"instansi": str(world.roads.id), "kategori": str(other_region.garbage.id)},
    )
    assert wrong_category.status_code == 422 and "Kategori ini tidak ada." in wrong_category.text
    too_few = act(
        client, complaint.number, "pecah", {"instansi": [str(world.roads.id), "", "", ""]}
    )
    assert too_few.status_code == 422
    bad_part = act(
        client,
        complaint.number,
        "pecah",
        {"instansi": [str(world.roads.id), str(other_region.waste.id)], "catatan": ["a", "b"]},
    )
    assert bad_part.status_code == 422
    assert act(client, complaint.number, "tolak", {"alasan": "  "}).status_code == 422

    log_in(client, world.roads_officer)
    empty = act(client, answered.number, "tanggapi", {"tanggapan": "   ", "akhir": "1"})
    assert empty.status_code == 422 and "Tuliskan pesannya." in empty.text

    session.expire_all()
    assert complaint.status is ComplaintStatus.NEW and complaint.agency_id is None
    assert complaints.children(session, world.region, complaint) == []
    assert answered.status is ComplaintStatus.ROUTED
    assert steps(session, complaint) == before
    assert steps(session, answered) == before_answered


def test_an_action_the_status_no_longer_allows_is_a_clean_conflict(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    complaint = routed(session, world, world.roads.id)
    log_in(client, world.desk)
    page = client.get(f"{BASE}/{complaint.number}").text
    version = re.search(r'name="versi" value="(\d+)"', page)
    assert version  # the desk may hand it on
    response = client.post(
        f"{BASE}/{complaint.number}/disposisi",
        data={
            "csrf_token": csrf_from(page),
            "versi": version.group(1),
            "instansi": str(world.waste.id),
        },
        follow_redirects=False,
    )
    assert response.status_code == 409
    assert "Pengaduan ini sudah tidak dapat diubah dengan cara ini." in response.text


def test_a_form_shown_before_a_colleague_acted_is_refused(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    complaint = file(session, world)
    log_in(client, world.desk)
    page = client.get(f"{BASE}/{complaint.number}").text
    version = re.search(r'name="versi" value="(\d+)"', page)
    assert version
    form = {
        "csrf_token": csrf_from(page),
        "versi": version.group(1),
        "instansi": str(world.roads.id),
    }
    first = client.post(f"{BASE}/{complaint.number}/disposisi", data=form, follow_redirects=False)
    assert first.status_code == 303
    again = client.post(f"{BASE}/{complaint.number}/disposisi", data=form, follow_redirects=False)
    assert again.status_code == 409 and "baru saja diubah" in again.text
    assert [a for a, _ in steps(session, complaint)].count("routed") == 1


def test_a_region_admin_works_the_desk(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    from simpul.accounts.models import AccountKind

    admin = make_user(
        session, world.region, "admin.aduan@example.org", PASSWORD, AccountKind.REGION_ADMIN
    )
    complaint = file(session, world)
    log_in(client, admin)
    assert complaint.number in client.get(BASE).text
    assert (
        act(client, complaint.number, "disposisi", {"instansi": str(world.roads.id)}).status_code
        == 303
    )


def test_contact_given_without_an_account_is_shown_unless_anonymous(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    contact = {"first_name": "Budi", "last_name": "Santoso", "email": "budi.s@example.org"}
    named = file(session, world, reporter=None, contact=dict(contact))
    hidden = file(session, world, reporter=None, contact=dict(contact), anonymous=True)
    log_in(client, world.desk)
    shown = client.get(f"{BASE}/{named.number}").text
    assert "Budi Santoso" in shown and "budi.s@example.org" in shown
    secret = client.get(f"{BASE}/{hidden.number}").text
    assert "Budi" not in secret and "budi.s@example.org" not in secret
