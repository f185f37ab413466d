"""The desk forwards a complaint out of the region by signed webhook; another region's Simpul
receives it (decision 0056)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from simpul.complaints import service as complaints
from simpul.complaints.forwarding import deliver_due
from simpul.complaints.models import ComplaintForward, ComplaintSource, ComplaintStatus
from simpul.core.models import utcnow
from tests.complaints.conftest import ComplaintWorld, build_world, pothole_filing
from tests.support.complaint_receiver import Receiver, complaint_receiver

SECRET = "rahasia-bersama-kota-aduan-dan-penerima-0123456789"
B = "kota-penerima"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with complaint_receiver(SECRET) as server:
        yield server


def _target(session: Session, world: ComplaintWorld, url: str) -> uuid.UUID:
    form = complaints.TargetForm(
        code=B, name="Pemerintah Kota Penerima", kind="region", url=url, secret=SECRET
    )
    return complaints.save_forward_target(session, world.region, form, None, debug=True).id


def _forward(
    session: Session, world: ComplaintWorld, target_id: uuid.UUID, **changes: object
) -> tuple[complaints.Complaint, ComplaintForward]:
    complaint = complaints.file_complaint(
        session, world.region, pothole_filing(**changes), reporter=world.citizen
    ).complaint
    row = complaints.forward_out(
        session, world.region, world.desk, complaint, target_id, "Jalan provinsi, bukan kota."
    )
    return complaint, row


def _deliver(
    session: Session, session_factory: sessionmaker[Session], now: datetime | None = None
) -> int:
    session.flush()
    done = deliver_due(session_factory, debug=True, now=now)
    session.expire_all()
    return done


def test_a_forward_rolled_back_sends_nothing(
    session: Session,
    session_factory: sessionmaker[Session],
    world: ComplaintWorld,
    receiver: Receiver,
) -> None:
    target_id = _target(session, world, receiver.url)
    complaint = complaints.file_complaint(
        session, world.region, pothole_filing(), reporter=world.citizen
    ).complaint
    savepoint = session.begin_nested()
    complaints.forward_out(session, world.region, world.desk, complaint, target_id, "")
    savepoint.rollback()
    assert complaints.forwards_of(session, world.region, complaint) == []
    assert _deliver(session, session_factory) == 0
    assert receiver.deliveries == []


def test_the_delivery_is_signed_and_the_receiver_s_number_kept(
    session: Session,
    session_factory: sessionmaker[Session],
    world: ComplaintWorld,
    receiver: Receiver,
) -> None:
    target_id = _target(session, world, receiver.url)
    complaint, row = _forward(session, world, target_id)
    assert complaint.status is ComplaintStatus.FORWARDED
    assert _deliver(session, session_factory) == 1

    [delivery] = receiver.deliveries
    assert delivery.signature_valid
    assert delivery.headers["x-simpul-delivery"] == str(row.id)
    assert delivery.headers["content-type"] == "application/json"
    payload = delivery.payload
    assert payload["number"] == complaint.number
    assert payload["category"] == {"code": "jalan-rusak", "name": "Jalan rusak"}
    assert payload["note"] == "Jalan provinsi, bukan kota."
    assert payload["from"] == {"region": "kota-aduan", "name": "Kota Aduan"}
    assert payload["reporter"] == {"name": world.citizen.full_name, "email": world.citizen.email}
    assert row.status.value == "sent"
    assert row.response_status == 201
    assert row.remote_reference == "REMOTE-1"
    # Delivered once: nothing is due any more.
    assert _deliver(session, session_factory) == 0


def test_a_server_error_is_retried_later_then_sent(
    session: Session,
    session_factory: sessionmaker[Session],
    world: ComplaintWorld,
    receiver: Receiver,
) -> None:
    receiver.statuses = [500, 201]
    target_id = _target(session, world, receiver.url)
    _complaint, row = _forward(session, world, target_id)
    assert _deliver(session, session_factory) == 1
    assert row.status.value == "retry"
    assert row.last_error == "HTTP 500"
    assert row.next_attempt_at > utcnow()
    assert _deliver(session, session_factory) == 0  # not yet due
    assert _deliver(session, session_factory, now=utcnow() + timedelta(hours=2)) == 1
    assert row.status.value == "sent"
    assert row.attempts == 2
    assert len(receiver.deliveries) == 2
    # The same delivery id both times: the receiver can tell a retry from a new complaint.
    assert {d.headers["x-simpul-delivery"] for d in receiver.deliveries} == {str(row.id)}


def test_a_refusal_fails_at_once_and_shows_in_the_back_office_history_only(
    session: Session,
    session_factory: sessionmaker[Session],
    world: ComplaintWorld,
    receiver: Receiver,
) -> None:
    receiver.statuses = [400]
    target_id = _target(session, world, receiver.url)
    complaint, row = _forward(session, world, target_id)
    assert _deliver(session, session_factory) == 1
    assert row.status.value == "failed"
    assert row.last_error == "HTTP 400"
    assert _deliver(session, session_factory, now=utcnow() + timedelta(days=2)) == 0
    staff = [
        e.action for e in complaints.history(session, world.region, complaint, public_only=False)
    ]
    public = [
        e.action for e in complaints.history(session, world.region, complaint, public_only=True)
    ]
    assert "forward_failed" in staff
    assert "forward_failed" not in public


def test_an_anonymous_complaint_is_sent_without_its_reporter(
    session: Session,
    session_factory: sessionmaker[Session],
    world: ComplaintWorld,
    receiver: Receiver,
) -> None:
    target_id = _target(session, world, receiver.url)
    _forward(session, world, target_id, anonymous=True)
    _deliver(session, session_factory)
    [delivery] = receiver.deliveries
    assert "reporter" not in delivery.payload
    assert world.citizen.email not in delivery.body.decode()
    assert world.citizen.full_name not in delivery.body.decode()


# -- receiving ---------------------------------------------------------------------------


@pytest.fixture
def region_b(session: Session) -> ComplaintWorld:
    """The receiving region, which knows Kota Aduan as a target with the same secret."""
    world = build_world(session, B)
    form = complaints.TargetForm(
        code="kota-aduan",
        name="Pemerintah Kota Aduan",
        kind="region",
        url="https://aduan.example.go.id/api/kota-aduan/complaints/inbound/kota-penerima",
        secret=SECRET,
    )
    complaints.save_forward_target(session, world.region, form, None, debug=False)
    session.flush()
    return world


def _payload(**changes: object) -> bytes:
    data: dict[str, object] = {
        "number": "ADU-2612-AAAA-BBBB",
        "kind": "complaint",
        "category": {"code": "sampah", "name": "Sampah menumpuk"},
        "title": "Sampah di perbatasan kota",
        "description": "Tumpukan sampah di perbatasan sudah seminggu tidak diangkut petugas.",
        "anonymous": False,
        "confidential": False,
        "place": {"latitude": -6.9, "longitude": 107.6, "address": "Jl. Batas Kota 1"},
        "filed_at": "2026-12-01T02:00:00+00:00",
        "note": "Wilayah Anda.",
        "from": {"region": "kota-aduan", "name": "Kota Aduan"},
        "reporter": {"name": "Siti Warga", "email": "siti@example.org"},
        **changes,
    }
    return json.dumps(data).encode()


def _signed(
    body: bytes, *, timestamp: int | None = None, delivery: str | None = None
) -> dict[str, str]:
    moment = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": "application/json",
        "X-Simpul-Timestamp": str(moment),
        "X-Simpul-Signature": complaints.forward_signature(SECRET, moment, body),
        "X-Simpul-Delivery": delivery or str(uuid.uuid4()),
    }


INBOUND = f"/api/{B}/complaints/inbound/kota-aduan"


def test_an_inbound_complaint_is_filed_in_the_receiving_region(
    client: TestClient, session: Session, region_b: ComplaintWorld
) -> None:
    body = _payload()
    response = client.post(INBOUND, content=body, headers=_signed(body))
    assert response.status_code == 201, response.text
    number = response.json()["number"]
    complaint = complaints.handled_complaint(session, region_b.region, number, region_b.desk)
    assert complaint.source is ComplaintSource.FORWARDED_IN
    assert complaint.status is ComplaintStatus.NEW
    assert complaint.category_id == region_b.garbage.id  # mapped by code
    assert complaint.reporter_id is None
    assert complaints.contact_of(complaint)["name"] == "Siti Warga"
    steps = complaints.history(session, region_b.region, complaint, public_only=True)
    received = [e for e in steps if e.action == "received_from"]
    assert received and received[0].public_actor == "Pemerintah Kota Aduan"
    assert received[0].details["number"] == "ADU-2612-AAAA-BBBB"


def test_an_unknown_category_lands_in_the_first_active_one(
    client: TestClient, session: Session, region_b: ComplaintWorld
) -> None:
    body = _payload(category={"code": "tidak-ada", "name": "?"})
    response = client.post(INBOUND, content=body, headers=_signed(body))
    assert response.status_code == 201
    complaint = complaints.handled_complaint(
        session, region_b.region, response.json()["number"], region_b.desk
    )
    first = complaints.categories(session, region_b.region)[0]
    assert complaint.category_id == first.id


def test_a_replayed_delivery_is_refused(
    client: TestClient, session: Session, region_b: ComplaintWorld
) -> None:
    body = _payload()
    headers = _signed(body)
    assert client.post(INBOUND, content=body, headers=headers).status_code == 201
    again = client.post(INBOUND, content=body, headers=headers)
    assert again.status_code == 409
    # A fresh signature does not make the same delivery new.
    fresh = _signed(body, delivery=headers["X-Simpul-Delivery"])
    assert client.post(INBOUND, content=body, headers=fresh).status_code == 409


def test_a_bad_signature_or_an_old_timestamp_is_refused(
    client: TestClient, session: Session, region_b: ComplaintWorld
) -> None:
    body = _payload()
    forged = _signed(body)
    forged["X-Simpul-Signature"] = complaints.forward_signature(
        "another-secret-another-secret-another", int(time.time()), body
    )
    assert client.post(INBOUND, content=body, headers=forged).status_code == 401
    tampered = _signed(body)
    assert (
        client.post(INBOUND, content=_payload(title="Diubah"), headers=tampered).status_code == 401
    )
    old = _signed(body, timestamp=int(time.time()) - 600)
    assert client.post(INBOUND, content=body, headers=old).status_code == 401
    future = _signed(body, timestamp=int(time.time()) + 600)
    assert client.post(INBOUND, content=body, headers=future).status_code == 401
    unsigned = {"Content-Type": "application/json"}
    assert client.post(INBOUND, content=body, headers=unsigned).status_code == 401
    # A sender the region does not know.
    unknown = f"/api/{B}/complaints/inbound/kota-lain"
    assert client.post(unknown, content=body, headers=_signed(body)).status_code == 401


def test_simpul_to_simpul_end_to_end_through_a_real_http_server(
    client: TestClient,
    session: Session,
    session_factory: sessionmaker[Session],
    world: ComplaintWorld,
    region_b: ComplaintWorld,
    receiver: Receiver,
) -> None:
    """Region A's worker posts to a real server on loopback, which checks the signature and
    hands the request to region B's app under test."""

    def to_region_b(headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        passed = {k: v for k, v in headers.items() if k.startswith("x-simpul-")}
        passed["content-type"] = headers["content-type"]
        answer = client.post(INBOUND, content=body, headers=passed)
        return answer.status_code, answer.content

    receiver.relay = to_region_b
    target_id = _target(session, world, receiver.url)
    complaint, row = _forward(session, world, target_id)
    assert _deliver(session, session_factory) == 1
    assert receiver.deliveries[0].signature_valid
    assert row.status.value == "sent", row.last_error
    received = complaints.handled_complaint(
        session, region_b.region, row.remote_reference, region_b.desk
    )
    assert received.title == complaint.title
    assert received.source is ComplaintSource.FORWARDED_IN
    assert received.region_id != complaint.region_id
