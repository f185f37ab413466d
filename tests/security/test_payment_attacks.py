"""Attacks on the payment provider's notification endpoint: forged, missing, replayed and
reordered notifications, a signature over another body or under another region's secret,
duplicate JSON keys, a huge body, amounts that are not whole positive rupiah, another region's
bill, one reference for two bills. Each is refused with nothing changed (or, for a replay,
recorded once)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from simpul.applications import payments, workflow
from simpul.applications.models import Application, Task, TaskOutcome, TaskStatus
from simpul.applications.payment_models import ApplicationPayment
from tests.support.desk_world import (
    FEE,
    DeskWorld,
    build_desk_world,
    notification,
    send_notification,
    submit,
)


@pytest.fixture
def desk(session: Session, tmp_path: Path) -> DeskWorld:
    return build_desk_world(session, tmp_path)


def at_payment(session: Session, desk: DeskWorld) -> Application:
    application = submit(session, desk)
    task = session.scalars(select(Task).where(Task.application_id == application.id)).one()
    workflow.act_on_task(session, desk.region, desk.officer_b, task.id, TaskOutcome.APPROVE)
    session.commit()
    return application


def paid_count(session: Session) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(ApplicationPayment)) or 0)


def current_step(session: Session, application: Application) -> str:
    session.expire_all()
    task = session.scalars(
        select(Task).where(Task.application_id == application.id, Task.status == TaskStatus.OPEN)
    ).one()
    return task.step


def test_forged_signatures_get_a_bare_401(
    client: TestClient, session: Session, desk: DeskWorld
) -> None:
    application = at_payment(session, desk)
    body = notification(application.tracking_number, "REF-FORGED")
    other_body = notification(application.tracking_number, "REF-OTHER")
    attempts = [
        None,
        "",
        "sha256=",
        "sha256=" + "0" * 64,
        payments.sign(desk.region, other_body),  # a signature over a different body
        payments.sign(desk.region, body).upper(),
        payments.sign(desk.region, body) + "00",
        "sha1=" + payments.sign(desk.region, body)[7:],
        "x" * 10_000,
    ]
    for signature in attempts:
        response = send_notification(client, desk.region, body, signature=signature)
        assert response.status_code == 401, signature
        error = response.json()["error"]
        assert error["details"] == []
        assert "REF-FORGED" not in response.text
    assert paid_count(session) == 0
    assert current_step(session, application) == "pembayaran"


def test_another_regions_secret_and_bill_are_refused(
    client: TestClient, session: Session, desk: DeskWorld, tmp_path: Path
) -> None:
    other = build_desk_world(session, tmp_path / "b", slug="kota-lain")
    ours = at_payment(session, desk)
    theirs = at_payment(session, other)
    assert payments.webhook_secret(desk.region) != payments.webhook_secret(other.region)
    # Signed with region B's secret, sent to region A.
    body = notification(ours.tracking_number, "REF-X1")
    wrong_key = send_notification(
        client, desk.region, body, signature=payments.sign(other.region, body)
    )
    assert wrong_key.status_code == 401
    # Region B's bill, correctly signed for region A: region A does not know it.
    foreign = send_notification(client, desk.region, notification(theirs.tracking_number, "REF-X2"))
    assert foreign.status_code == 404
    assert paid_count(session) == 0
    assert current_step(session, theirs) == "pembayaran"


def test_replays_record_once_and_reuse_for_another_bill_is_refused(
    client: TestClient, session: Session, desk: DeskWorld
) -> None:
    first = at_payment(session, desk)
    second = at_payment(session, desk)
    body = notification(first.tracking_number, "REF-ONCE")
    for _ in range(3):
        assert send_notification(client, desk.region, body).status_code == 200
    assert paid_count(session) == 1
    reused = send_notification(
        client, desk.region, notification(second.tracking_number, "REF-ONCE")
    )
    assert reused.status_code == 409
    # The same bill paid again under another reference: the step is no longer waiting.
    twice = send_notification(client, desk.region, notification(first.tracking_number, "REF-TWICE"))
    assert twice.status_code == 409
    assert paid_count(session) == 1
    assert current_step(session, second) == "pembayaran"
    assert current_step(session, first) == "persetujuan"


def test_reordered_notification_before_the_payment_step(
    client: TestClient, session: Session, desk: DeskWorld
) -> None:
    application = submit(session, desk)
    session.commit()
    body = notification(application.tracking_number, "REF-EARLY")
    assert send_notification(client, desk.region, body).status_code == 409
    assert paid_count(session) == 0
    assert current_step(session, application) == "verifikasi"
    # Once the application reaches the step, the provider's retry goes through.
    task = session.scalars(select(Task).where(Task.application_id == application.id)).one()
    workflow.act_on_task(session, desk.region, desk.officer_b, task.id, TaskOutcome.APPROVE)
    session.commit()
    assert send_notification(client, desk.region, body).status_code == 200


@pytest.mark.parametrize(
    ("amount", "field"),
    [
        (75000.0, "amount"),
        ("75000", "amount"),
        (-FEE, "amount"),
        (0, "amount"),
        (True, "amount"),
        (None, "amount"),
        (10**30, "amount"),
        (FEE - 1, "amount"),
    ],
)
def test_amounts_that_are_not_the_bill(
    client: TestClient, session: Session, desk: DeskWorld, amount: object, field: str
) -> None:
    application = at_payment(session, desk)
    response = send_notification(
        client, desk.region, notification(application.tracking_number, "REF-AMT", amount)
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"][0]["field"] == field
    assert paid_count(session) == 0


def test_malformed_bodies(client: TestClient, session: Session, desk: DeskWorld) -> None:
    application = at_payment(session, desk)
    number = application.tracking_number
    now = datetime.now(UTC).isoformat()
    duplicate = (
        f'{{"bill": "{number}", "reference": "REF-D", "amount": 1, "amount": {FEE}, '
        f'"paid_at": "{now}"}}'
    ).encode()
    bodies = [
        duplicate,
        b"[]",
        b"not json",
        b"\xff\xfe",
        json.dumps({"bill": number, "reference": "REF-N", "amount": FEE}).encode(),
        notification(number, "REF-F", paid_at=(datetime.now(UTC) + timedelta(days=1)).isoformat()),
        notification(number, "REF-Z", paid_at="2026-12-01T10:00:00"),  # no zone
        notification(number, "REF\u202e1"),
        json.dumps(
            {"bill": number, "reference": "REF-E", "amount": FEE, "paid_at": now, "admin": True}
        ).encode(),
        b'{"bill": "%s", "reference": "REF-I", "amount": Infinity, "paid_at": "%s"}'
        % (number.encode(), now.encode()),
        b"[" * 5000 + b"]" * 5000,
    ]
    for body in bodies:
        response = send_notification(client, desk.region, body)
        assert response.status_code in (413, 422), (body[:80], response.status_code)
    assert paid_count(session) == 0


def test_huge_body_is_refused_unread(client: TestClient, session: Session, desk: DeskWorld) -> None:
    application = at_payment(session, desk)
    padding = "x" * (2 * 1024 * 1024)
    body = json.dumps(
        {"bill": application.tracking_number, "reference": "REF-H", "amount": FEE,
         "paid_at": datetime.now(UTC).isoformat(), "pad": padding}
    ).encode()  # fmt: skip
    response = send_notification(client, desk.region, body)
    assert response.status_code == 413
    assert paid_count(session) == 0
