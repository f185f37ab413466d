"""WhatsApp as a channel: the worker sends template messages to a local server that speaks the
Cloud API (bearer token, payload shape checked), retries 5xx and 429, stops on a refusal, and
the signed status callbacks the server posts back update the delivery log."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from simpul.accounts.models import User
from simpul.core.models import utcnow
from simpul.core.settings import Settings
from simpul.notify import repository as notify_repository
from simpul.notify.api import whatsapp_account
from simpul.notify.config import NotifyConfig, WhatsAppConfig
from simpul.notify.models import Channel, Delivery, DeliveryAttempt, DeliveryStatus
from simpul.notify.worker import deliver_due
from tests.conftest import ROOT, TEST_SECRET
from tests.notify.conftest import NotifyWorld, make_config, notify
from tests.support.whatsapp_cloud import CloudApi, running_cloud_api


@pytest.fixture(scope="module")
def cloud() -> Iterator[CloudApi]:
    with running_cloud_api() as api:
        yield api


def whatsapp_of(api: CloudApi, **changes: Any) -> WhatsAppConfig:
    values: dict[str, Any] = {
        "phone_number_id": api.phone_number_id,
        "token": SecretStr(api.token),
        "app_secret": SecretStr(api.app_secret),
        "verify_token": SecretStr("verify-" + api.app_secret),
        "api_url": api.url,
        "api_version": "v21.0",
        "timeout": 5.0,
    }
    values.update(changes)
    return WhatsAppConfig(**values)


@pytest.fixture
def config(cloud: CloudApi) -> NotifyConfig:
    cloud.answers.clear()
    return make_config(whatsapp=whatsapp_of(cloud))


@pytest.fixture
def on_whatsapp(committed_sessions: sessionmaker[Session], notify_world: NotifyWorld) -> None:
    """The citizen gave 0812-3456-7890 and ticked WhatsApp (and left e-mail off)."""
    with committed_sessions() as session, session.begin():
        citizen = _citizen(session, notify_world)
        citizen.phone = "081234567890"
        notify_repository.set_preference(
            session, citizen.region_id, citizen.id, Channel.WHATSAPP, enabled=True
        )
        notify_repository.set_preference(
            session, citizen.region_id, citizen.id, Channel.EMAIL, enabled=False
        )


def _citizen(session: Session, world: NotifyWorld) -> User:
    citizen = session.get(User, world.citizen.id)
    assert citizen is not None
    return citizen


def _delivery(sessions: sessionmaker[Session], delivery_id: uuid.UUID) -> Delivery:
    with sessions() as session:
        delivery = session.get(Delivery, delivery_id)
        assert delivery is not None
        return delivery


def _log(sessions: sessionmaker[Session], delivery_id: uuid.UUID) -> list[tuple[str, str]]:
    with sessions() as session:
        rows = session.scalars(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.delivery_id == delivery_id)
            .order_by(DeliveryAttempt.at, DeliveryAttempt.number)
        )
        return [(a.outcome.value, a.detail) for a in rows]


@pytest.mark.usefixtures("on_whatsapp")
def test_a_notice_goes_out_as_the_template_its_kind_maps_to(
    committed_engine: Engine,
    committed_sessions: sessionmaker[Session],
    notify_world: NotifyWorld,
    cloud: CloudApi,
    config: NotifyConfig,
) -> None:
    _notice, deliveries = notify(committed_sessions, notify_world.application, config, "completed")
    assert [(d.channel, d.recipient) for d in deliveries] == [(Channel.WHATSAPP, "6281234567890")]
    before = len(cloud.sent)

    assert deliver_due(committed_engine, config) == 1

    wamid, payload = cloud.sent[before]
    template = payload["template"]
    assert payload["to"] == "6281234567890"
    assert template["name"] == "simpul_permohonan_selesai"
    assert template["language"] == {"code": "id"}
    text, link = (p["text"] for p in template["components"][0]["parameters"])
    number = notify_world.application.tracking_number
    assert text == f"Permohonan {number} selesai."
    assert link.startswith("https://layanan.example.go.id/")
    delivery = _delivery(committed_sessions, deliveries[0].id)
    assert delivery.status is DeliveryStatus.DELIVERED
    assert delivery.provider_message_id == wamid
    assert cloud.requests[-1][0] == f"Bearer {cloud.token}"


@pytest.mark.usefixtures("on_whatsapp")
def test_5xx_and_429_are_tried_again_and_a_bad_token_is_final(
    committed_engine: Engine,
    committed_sessions: sessionmaker[Session],
    notify_world: NotifyWorld,
    cloud: CloudApi,
    config: NotifyConfig,
) -> None:
    _notice, (delivery,) = notify(committed_sessions, notify_world.application, config)
    cloud.answers.extend([503, 429])
    sent_before = len(cloud.sent)
    now = utcnow()
    for _try in range(3):
        assert deliver_due(committed_engine, config, now=now) == 1
        now = _delivery(committed_sessions, delivery.id).next_attempt_at + timedelta(seconds=1)
    row = _delivery(committed_sessions, delivery.id)
    assert row.status is DeliveryStatus.DELIVERED
    assert [outcome for outcome, _detail in _log(committed_sessions, delivery.id)] == [
        "failed",
        "failed",
        "delivered",
    ]
    details = [detail for _outcome, detail in _log(committed_sessions, delivery.id)]
    assert details[:2] == ["WhatsApp API HTTP 503 code 131000", "WhatsApp API HTTP 429 code 130429"]
    assert len(cloud.sent) == sent_before + 1

    wrong = make_config(whatsapp=whatsapp_of(cloud, token=SecretStr("EAAG-revoked")))
    _notice, (refused,) = notify(committed_sessions, notify_world.application, wrong)
    assert deliver_due(committed_engine, wrong) == 1
    row = _delivery(committed_sessions, refused.id)
    assert row.status is DeliveryStatus.DEAD
    assert row.last_error == "WhatsApp API HTTP 401 code 190"
    assert "EAAG" not in row.last_error


def test_without_a_number_or_an_account_nothing_is_queued_for_whatsapp(
    committed_sessions: sessionmaker[Session], notify_world: NotifyWorld, cloud: CloudApi
) -> None:
    with committed_sessions() as session, session.begin():
        citizen = _citizen(session, notify_world)
        notify_repository.set_preference(
            session, citizen.region_id, citizen.id, Channel.WHATSAPP, enabled=True
        )
    # Ticked, but no number on the account: e-mail only.
    config = make_config(whatsapp=whatsapp_of(cloud))
    _notice, deliveries = notify(committed_sessions, notify_world.application, config)
    assert [d.channel for d in deliveries] == [Channel.EMAIL]
    # A number, but the deployment has no WhatsApp account.
    with committed_sessions() as session, session.begin():
        _citizen(session, notify_world).phone = "081234567890"
    _notice, deliveries = notify(committed_sessions, notify_world.application, make_config())
    assert [d.channel for d in deliveries] == [Channel.EMAIL]


@pytest.fixture
def app_client(committed_engine: Engine, cloud: CloudApi) -> Iterator[TestClient]:
    """The web app on the committed database, with the fake account as its WhatsApp account."""
    from simpul.web.app import create_app

    settings = Settings(secret_key=TEST_SECRET, debug=True, data_dir=ROOT / "var" / "test")
    app = create_app(settings, committed_engine)
    app.dependency_overrides[whatsapp_account] = lambda: whatsapp_of(cloud)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.mark.usefixtures("on_whatsapp")
def test_status_callbacks_posted_back_update_the_delivery_log(
    committed_engine: Engine,
    committed_sessions: sessionmaker[Session],
    notify_world: NotifyWorld,
    cloud: CloudApi,
    config: NotifyConfig,
    app_client: TestClient,
) -> None:
    url = f"/api/{notify_world.region.slug}/whatsapp/webhook"
    _notice, (ok,) = notify(committed_sessions, notify_world.application, config)
    _notice, (lost,) = notify(committed_sessions, notify_world.application, config, "rejected")
    assert deliver_due(committed_engine, config) == 2
    ok_id = _delivery(committed_sessions, ok.id).provider_message_id
    lost_id = _delivery(committed_sessions, lost.id).provider_message_id
    assert ok_id and lost_id

    for status in ("sent", "delivered", "read"):
        answer = cloud.post_status(app_client, url, ok_id, status)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"applied": 1, "ignored": 0}
    answer = cloud.post_status(app_client, url, lost_id, "failed", error_code=131026)
    assert answer.json() == {"applied": 1, "ignored": 0}

    read = _delivery(committed_sessions, ok.id)
    assert (read.status, read.provider_status) == (DeliveryStatus.DELIVERED, "read")
    assert _log(committed_sessions, ok.id)[1:] == [
        ("delivered", "WhatsApp: sent"),
        ("delivered", "WhatsApp: delivered"),
        ("delivered", "WhatsApp: read"),
    ]
    failed = _delivery(committed_sessions, lost.id)
    assert failed.status is DeliveryStatus.DEAD
    assert failed.last_error == "WhatsApp: failed (code 131026)"
    assert _log(committed_sessions, lost.id)[-1] == ("failed", "WhatsApp: failed (code 131026)")
    # A late "delivered" after "failed" does not bring it back.
    late = cloud.post_status(app_client, url, lost_id, "delivered")
    assert late.json() == {"applied": 0, "ignored": 1}
    assert _delivery(committed_sessions, lost.id).status is DeliveryStatus.DEAD


def test_the_subscription_handshake_echoes_the_challenge_only_for_our_token(
    notify_world: NotifyWorld, cloud: CloudApi, app_client: TestClient
) -> None:
    url = f"/api/{notify_world.region.slug}/whatsapp/webhook"
    good = {
        "hub.mode": "subscribe",
        "hub.verify_token": "verify-" + cloud.app_secret,
        "hub.challenge": "1158201444",
    }
    answer = app_client.get(url, params=good)
    assert (answer.status_code, answer.text) == (200, "1158201444")
    assert app_client.get(url, params={**good, "hub.verify_token": "guess"}).status_code == 403
    assert app_client.get(url, params={**good, "hub.mode": "unsubscribe"}).status_code == 403
    assert app_client.get(url).status_code == 403
