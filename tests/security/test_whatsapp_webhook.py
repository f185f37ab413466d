"""Attacks on the WhatsApp status webhook (``/api/{region}/whatsapp/webhook``): a callback
without, with a wrong, or with two ``X-Hub-Signature-256`` headers, a replayed callback, a
status for another region's message, an oversized body, a guessed verify token. Each is
refused or ignored with the delivery log unchanged."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from simpul.accounts.models import User
from simpul.applications import submission
from simpul.core.models import Region
from simpul.notify.api import whatsapp_account
from simpul.notify.config import WhatsAppConfig
from simpul.notify.models import Channel, Delivery, DeliveryAttempt, DeliveryStatus
from tests.factories import make_region, make_user
from tests.notify.conftest import in_app_notice
from tests.support.whatsapp_cloud import CloudApi

API = CloudApi()
WHATSAPP = WhatsAppConfig(
    phone_number_id=API.phone_number_id,
    token=SecretStr(API.token),
    app_secret=SecretStr(API.app_secret),
    verify_token=SecretStr("verify-token-of-the-test"),
    api_url="http://127.0.0.1:9",
)


@dataclass
class Sent:
    region: Region
    delivery: Delivery
    message_id: str

    @property
    def url(self) -> str:
        return f"/api/{self.region.slug}/whatsapp/webhook"


def _sent_message(session: Session, slug: str) -> Sent:
    region = make_region(session, slug, f"Kota {slug}")
    citizen: User = make_user(session, region, f"warga@{slug}.example.org", "sandi-warga-1")
    application = submission.start_draft(session, region, citizen, f"{slug}-layanan")
    application.tracking_number = f"WA-{uuid.uuid4().hex[:6].upper()}"
    notice = in_app_notice(session, application, "completed")
    message_id = "wamid." + uuid.uuid4().hex.upper()
    delivery = Delivery(
        region_id=region.id,
        notification_id=notice.id,
        user_id=citizen.id,
        channel=Channel.WHATSAPP,
        recipient="6281234567890",
        status=DeliveryStatus.DELIVERED,
        attempts=1,
        provider_message_id=message_id,
    )
    session.add(delivery)
    session.flush()
    return Sent(region, delivery, message_id)


@pytest.fixture
def web(client: TestClient) -> Iterator[TestClient]:
    client.app.dependency_overrides[whatsapp_account] = lambda: WHATSAPP  # type: ignore[attr-defined]
    yield client
    client.app.dependency_overrides.pop(whatsapp_account, None)  # type: ignore[attr-defined]


@pytest.fixture
def ours(session: Session) -> Sent:
    return _sent_message(session, "kota-wa")


def _state(session: Session, delivery: Delivery) -> tuple[DeliveryStatus, str, int]:
    session.expire_all()
    row = session.get(Delivery, delivery.id)
    assert row is not None
    attempts = session.scalar(
        select(func.count())
        .select_from(DeliveryAttempt)
        .where(DeliveryAttempt.delivery_id == delivery.id)
    )
    return row.status, row.provider_status, int(attempts or 0)


UNTOUCHED = (DeliveryStatus.DELIVERED, "", 0)


def test_a_callback_without_a_signature_is_refused(
    web: TestClient, session: Session, ours: Sent
) -> None:
    body, _headers = API.status_callback(ours.message_id, "failed", error_code=131026)
    answer = web.post(ours.url, content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 403
    assert _state(session, ours.delivery) == UNTOUCHED


def test_a_wrong_signature_is_refused_and_the_secret_is_not_logged(
    web: TestClient, session: Session, ours: Sent, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    body, headers = API.status_callback(ours.message_id, "failed", secret="not-the-app-secret")
    assert web.post(ours.url, content=body, headers=headers).status_code == 403
    # Signed right, then changed: the signature is over the raw bytes.
    body, headers = API.status_callback(ours.message_id, "delivered")
    tampered = body.replace(b'"delivered"', b'"failed"   ')
    assert web.post(ours.url, content=tampered, headers=headers).status_code == 403
    # Not hex, not sha256=, empty.
    for forged in ("sha256=zz", "sha1=" + "0" * 40, "", headers["X-Hub-Signature-256"][7:]):
        forged_headers = {**headers, "X-Hub-Signature-256": forged}
        assert web.post(ours.url, content=body, headers=forged_headers).status_code == 403
    assert _state(session, ours.delivery) == UNTOUCHED
    assert API.app_secret not in caplog.text
    assert API.token not in caplog.text


def test_duplicated_signature_headers_are_refused_even_if_one_is_right(
    web: TestClient, session: Session, ours: Sent
) -> None:
    body, headers = API.status_callback(ours.message_id, "failed", error_code=131026)
    good = headers["X-Hub-Signature-256"]
    for pair in ((good, "sha256=" + "0" * 64), ("sha256=" + "0" * 64, good), (good, good)):
        raw_headers = [
            ("content-type", "application/json"),
            ("x-hub-signature-256", pair[0]),
            ("x-hub-signature-256", pair[1]),
        ]
        answer = web.post(ours.url, content=body, headers=raw_headers)
        assert answer.status_code == 403
    assert _state(session, ours.delivery) == UNTOUCHED


def test_a_replayed_callback_changes_nothing_the_second_time(
    web: TestClient, session: Session, ours: Sent
) -> None:
    delivered, headers = API.status_callback(ours.message_id, "delivered")
    first = web.post(ours.url, content=delivered, headers=headers)
    assert first.json() == {"applied": 1, "ignored": 0}
    read_body, read_headers = API.status_callback(ours.message_id, "read")
    assert web.post(ours.url, content=read_body, headers=read_headers).json()["applied"] == 1
    after = _state(session, ours.delivery)
    assert after == (DeliveryStatus.DELIVERED, "read", 2)

    for _replay in range(3):
        again = web.post(ours.url, content=delivered, headers=headers)
        assert again.status_code == 200  # Meta would retry anything else for days
        assert again.json() == {"applied": 0, "ignored": 1}
    assert _state(session, ours.delivery) == after


def test_a_status_for_another_regions_message_is_ignored(
    web: TestClient, session: Session, ours: Sent
) -> None:
    theirs = _sent_message(session, "kab-lain")
    body, headers = API.status_callback(theirs.message_id, "failed", error_code=131026)
    answer = web.post(ours.url, content=body, headers=headers)
    assert answer.json() == {"applied": 0, "ignored": 1}
    assert _state(session, theirs.delivery) == UNTOUCHED
    # Nor does our region's message move through the other region's address.
    body, headers = API.status_callback(ours.message_id, "failed", error_code=131026)
    assert web.post(theirs.url, content=body, headers=headers).json()["applied"] == 0
    assert _state(session, ours.delivery) == UNTOUCHED


def test_a_callback_for_another_phone_number_is_ignored(
    web: TestClient, session: Session, ours: Sent
) -> None:
    body, headers = API.status_callback(ours.message_id, "failed", phone_number_id="999999")
    assert web.post(ours.url, content=body, headers=headers).json()["applied"] == 0
    assert _state(session, ours.delivery) == UNTOUCHED


def test_an_oversized_body_is_refused_before_it_is_read(
    web: TestClient, session: Session, ours: Sent
) -> None:
    body, headers = API.status_callback(ours.message_id, "failed", error_code=131026)
    padded = body[:-1] + b',"pad":"' + b"x" * (WHATSAPP.max_webhook_bytes + 1) + b'"}'
    signed = {
        **headers,
        "X-Hub-Signature-256": API.status_callback("x", "read")[1]["X-Hub-Signature-256"],
    }
    answer = web.post(ours.url, content=padded, headers=signed)
    assert answer.status_code == 413
    # Streamed without a declared length, too.
    streamed = web.post(ours.url, content=iter([padded[:40_000], padded[40_000:]]), headers=signed)
    assert streamed.status_code == 413
    assert _state(session, ours.delivery) == UNTOUCHED


def test_signed_junk_is_a_clear_refusal_not_a_crash(
    web: TestClient, session: Session, ours: Sent
) -> None:
    import hashlib
    import hmac

    # Our phone number, a status of odd types, and a real failure whose errors are not a list.
    value = {
        "metadata": {"phone_number_id": API.phone_number_id},
        "statuses": [
            {"id": [1], "status": {"x": 1}},
            {"id": ours.message_id, "status": "failed", "errors": "x"},
        ],
    }
    odd = json.dumps(
        {"object": "whatsapp_business_account", "entry": [{"changes": [{"value": value}]}]}
    ).encode()
    for junk in (
        odd,
        b"not json",
        b"[]",
        b'{"object":"page"}',
        b'{"object":"whatsapp_business_account","entry":[null,{"changes":"x"}]}',
    ):
        digest = hmac.new(API.app_secret.encode(), junk, hashlib.sha256).hexdigest()
        answer = web.post(
            ours.url, content=junk, headers={"X-Hub-Signature-256": f"sha256={digest}"}
        )
        assert answer.status_code in {200, 422}, (junk, answer.status_code, answer.text)
        assert "Traceback" not in answer.text
    assert _state(session, ours.delivery) == (DeliveryStatus.DEAD, "failed", 1)


def test_a_guessed_verify_token_gets_no_challenge_back(web: TestClient, ours: Sent) -> None:
    params = {"hub.mode": "subscribe", "hub.challenge": "424242"}
    for guess in ("", "verify-token-of-the-tes", "verify-token-of-the-test ", API.app_secret):
        answer = web.get(ours.url, params={**params, "hub.verify_token": guess})
        assert answer.status_code == 403
        assert "424242" not in answer.text
    assert (
        web.get(ours.url, params={**params, "hub.verify_token": "verify-token-of-the-test"}).text
        == "424242"
    )


def test_without_a_whatsapp_account_the_webhook_is_not_there(
    client: TestClient, ours: Sent
) -> None:
    client.app.dependency_overrides[whatsapp_account] = lambda: None  # type: ignore[attr-defined]
    try:
        body, headers = API.status_callback(ours.message_id, "read")
        assert client.post(ours.url, content=body, headers=headers).status_code == 404
        assert client.get(ours.url, params={"hub.mode": "subscribe"}).status_code == 404
    finally:
        client.app.dependency_overrides.pop(whatsapp_account, None)  # type: ignore[attr-defined]
