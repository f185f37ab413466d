"""Attacks on forwarding complaints out and in: the shared secret leaking, a target URL that
reaches inside the network (SSRF), oversized or cross-region inbound bodies, other staff
forwarding."""

from __future__ import annotations

import json
import logging
import time
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from simpul.accounts.models import AccountKind, User
from simpul.complaints import service as complaints
from simpul.complaints.forwarding import deliver_due, resolves_inside, url_problem
from simpul.core.errors import InvalidInput, NotFound
from tests.complaints.conftest import PASSWORD, ComplaintWorld, build_world, pothole_filing
from tests.factories import csrf_from, make_user, post_form
from tests.support.complaint_receiver import complaint_receiver

SECRET = "jangan-pernah-tampil-0123456789abcdefghijkl"
ADMIN = "/kota-aduan/admin/pengaduan"


def log_in(client: TestClient, email: str) -> None:
    response = post_form(client, "/kota-aduan/masuk", {"email": email, "password": PASSWORD})
    assert response.status_code == 303


@pytest.fixture
def world(session: Session) -> ComplaintWorld:
    return build_world(session)


@pytest.fixture
def admin(session: Session, world: ComplaintWorld) -> User:
    user = make_user(
        session, world.region, "admin.aduan@example.org", PASSWORD, AccountKind.REGION_ADMIN
    )
    session.flush()
    return user


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "https://169.254.169.254/latest/meta-data/",
        "file:///etc/passwd",
        "gopher://127.0.0.1:6379/_FLUSHALL",
        "https://10.0.0.5/inbound",
        "https://[::1]/inbound",
        "https://localhost/inbound",
        "https://user:pass@lapor.example.go.id/inbound",
        "http://lapor.example.go.id/inbound",
        "http://127.0.0.1:8000/inbound",  # loopback over http: only while debugging
    ],
)
def test_a_target_url_inside_the_network_or_not_https_is_refused(
    session: Session, world: ComplaintWorld, url: str
) -> None:
    assert url_problem(url, debug=False) is not None
    form = complaints.TargetForm(code="tujuan", name="Tujuan", url=url, secret=SECRET)
    with pytest.raises(InvalidInput) as refused:
        complaints.save_forward_target(session, world.region, form, None, debug=False)
    assert "url" in refused.value.field_errors()


def test_loopback_http_is_allowed_only_in_debug() -> None:
    assert url_problem("http://127.0.0.1:8000/inbound", debug=True) is None
    assert url_problem("http://169.254.169.254/", debug=True) is not None
    assert url_problem("https://lapor.example.go.id/inbound", debug=False) is None


def test_a_name_resolving_inside_the_network_is_caught_before_posting() -> None:
    """A public-looking name can point at 127.0.0.1 or 169.254.169.254: the worker resolves
    it before posting and refuses internal addresses."""
    assert resolves_inside("localhost")
    assert resolves_inside("127.0.0.1")
    assert resolves_inside("169.254.169.254")
    assert not resolves_inside("8.8.8.8")
    assert not resolves_inside("nama-yang-tidak-ada.invalid")


def test_a_url_that_became_refused_is_not_posted_to(
    session: Session, session_factory: sessionmaker[Session], world: ComplaintWorld
) -> None:
    """Saved while debugging (loopback http), delivered by a production worker: refused."""
    with complaint_receiver(SECRET) as receiver:
        form = complaints.TargetForm(code="lokal", name="Lokal", url=receiver.url, secret=SECRET)
        target = complaints.save_forward_target(session, world.region, form, None, debug=True)
        complaint = complaints.file_complaint(
            session, world.region, pothole_filing(), reporter=world.citizen
        ).complaint
        row = complaints.forward_out(session, world.region, world.desk, complaint, target.id, "")
        session.flush()
        deliver_due(session_factory, debug=False)
        session.expire_all()
        assert receiver.deliveries == []
        assert row.status.value == "failed"


def test_the_secret_never_appears_in_pages_or_logs(
    client: TestClient,
    session: Session,
    session_factory: sessionmaker[Session],
    world: ComplaintWorld,
    admin: User,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    log_in(client, admin.email)
    fields = {"kode": "kota-lain", "nama": "Kota Lain", "jenis": "region", "rahasia": SECRET}
    # A refused form does not send the typed secret back either.
    refused = post_form(
        client,
        f"{ADMIN}/tujuan",
        {**fields, "url": "http://10.0.0.1/"},
        page=f"{ADMIN}/tujuan/baru",
    )
    assert refused.status_code == 422 and SECRET not in refused.text
    with complaint_receiver(SECRET) as receiver:
        receiver.statuses = [400]
        form = complaints.TargetForm(
            code="penerima", name="Penerima", url=receiver.url, secret=SECRET
        )
        target = complaints.save_forward_target(session, world.region, form, None, debug=True)
        saved = post_form(
            client,
            f"{ADMIN}/tujuan",
            {**fields, "url": "https://kota-lain.example.go.id/inbound", "aktif": "1"},
            page=f"{ADMIN}/tujuan/baru",
        )
        assert saved.status_code == 303
        complaint = complaints.file_complaint(
            session, world.region, pothole_filing(), reporter=world.citizen
        ).complaint
        complaints.forward_out(session, world.region, world.desk, complaint, target.id, "")
        session.flush()
        deliver_due(session_factory, debug=True)
    stored = complaints.forward_targets(session, world.region, active_only=False)
    assert all(SECRET not in t.secret_encrypted for t in stored)
    pages = [client.get(ADMIN).text] + [client.get(f"{ADMIN}/tujuan/{t.id}").text for t in stored]
    log_in(client, world.desk.email)
    pages.append(client.get(f"/kota-aduan/petugas/pengaduan/{complaint.number}/teruskan").text)
    assert "Gagal dikirim" in pages[-1]  # the desk sees the failure ...
    for page in pages:
        assert SECRET not in page  # ... never the secret
    assert SECRET not in caplog.text
    assert world.citizen.email not in caplog.text


def test_only_the_desk_forwards(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    form = complaints.TargetForm(
        code="lapor", name="SP4N-LAPOR!", url="https://lapor.example.go.id/in", secret=SECRET
    )
    target = complaints.save_forward_target(session, world.region, form, None, debug=False)
    complaint = complaints.file_complaint(
        session, world.region, pothole_filing(), reporter=world.citizen
    ).complaint
    session.flush()
    path = f"/kota-aduan/petugas/pengaduan/{complaint.number}/teruskan"
    log_in(client, world.roads_officer.email)
    assert client.get(path).status_code == 404
    token_page = client.get("/kota-aduan/petugas").text
    refused = client.post(
        path,
        data={"tujuan": str(target.id), "catatan": "", "csrf_token": csrf_from(token_page)},
        follow_redirects=False,
    )
    assert refused.status_code == 404
    assert complaints.forwards_of(session, world.region, complaint) == []

    log_in(client, world.desk.email)
    page = client.get(path)
    assert page.status_code == 200 and "SP4N-LAPOR!" in page.text
    done = post_form(client, path, {"tujuan": str(target.id), "catatan": "Wewenang pusat."})
    assert done.status_code == 303
    assert len(complaints.forwards_of(session, world.region, complaint)) == 1
    # Forwarded once: the form is gone and a second post is refused.
    again = post_form(client, path, {"tujuan": str(target.id), "catatan": ""})
    assert again.status_code == 409
    assert len(complaints.forwards_of(session, world.region, complaint)) == 1


def test_another_region_s_target_cannot_be_chosen(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    other = build_world(session, "kota-tetangga")
    form = complaints.TargetForm(
        code="lapor", name="Target tetangga", url="https://lapor.example.go.id/in", secret=SECRET
    )
    foreign = complaints.save_forward_target(session, other.region, form, None, debug=False)
    complaint = complaints.file_complaint(
        session, world.region, pothole_filing(), reporter=world.citizen
    ).complaint
    with pytest.raises(InvalidInput):
        complaints.forward_out(session, world.region, world.desk, complaint, foreign.id, "")


def test_an_oversized_inbound_body_is_refused(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    form = complaints.TargetForm(
        code="kota-lain", name="Kota Lain", url="https://lain.example.go.id/in", secret=SECRET
    )
    complaints.save_forward_target(session, world.region, form, None, debug=False)
    session.flush()
    body = b'{"title": "' + b"x" * (70 * 1024) + b'"}'
    moment = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "X-Simpul-Timestamp": str(moment),
        "X-Simpul-Signature": complaints.forward_signature(SECRET, moment, body),
        "X-Simpul-Delivery": str(uuid.uuid4()),
    }
    response = client.post(
        "/api/kota-aduan/complaints/inbound/kota-lain", content=body, headers=headers
    )
    assert response.status_code == 413


def test_a_delivery_signed_for_one_region_is_refused_by_another(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    """Region B knows the sender; region A does not: the same signed body is refused there."""
    other = build_world(session, "kota-tetangga")
    form = complaints.TargetForm(
        code="kota-lain", name="Kota Lain", url="https://lain.example.go.id/in", secret=SECRET
    )
    complaints.save_forward_target(session, other.region, form, None, debug=False)
    session.flush()
    body = b'{"title": "Sampah", "description": "Tumpukan sampah sudah seminggu di sini."}'
    moment = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "X-Simpul-Timestamp": str(moment),
        "X-Simpul-Signature": complaints.forward_signature(SECRET, moment, body),
        "X-Simpul-Delivery": str(uuid.uuid4()),
    }
    response = client.post(
        "/api/kota-aduan/complaints/inbound/kota-lain", content=body, headers=headers
    )
    assert response.status_code == 401


def test_a_confidential_anonymous_complaint_stays_so_when_received(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    """Forwarded in, a confidential complaint is not public in the receiving region either,
    and an anonymous one carries no reporter."""
    form = complaints.TargetForm(
        code="kota-lain", name="Kota Lain", url="https://lain.example.go.id/in", secret=SECRET
    )
    complaints.save_forward_target(session, world.region, form, None, debug=False)
    session.flush()
    body = json.dumps(
        {
            "kind": "complaint",
            "category": {"code": "pelayanan-petugas"},
            "title": "Pungutan liar di loket",
            "description": "Petugas loket meminta uang tambahan di luar tarif resmi kemarin.",
            "anonymous": True,
            "confidential": True,
            "from": {"region": "kota-lain", "name": "Kota Lain"},
        }
    ).encode()
    moment = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "X-Simpul-Timestamp": str(moment),
        "X-Simpul-Signature": complaints.forward_signature(SECRET, moment, body),
        "X-Simpul-Delivery": str(uuid.uuid4()),
    }
    response = client.post(
        "/api/kota-aduan/complaints/inbound/kota-lain", content=body, headers=headers
    )
    assert response.status_code == 201, response.text
    number = response.json()["number"]
    with pytest.raises(NotFound):
        complaints.public_complaint(session, world.region, number)
    received = complaints.handled_complaint(session, world.region, number, world.desk)
    assert received.confidential and received.anonymous
    assert received.reporter_id is None and complaints.contact_of(received) == {}
