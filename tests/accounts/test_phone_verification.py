"""Phone verification by a six-digit code: wrong, expired, too many tries."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.accounts import recovery
from simpul.accounts.models import PhoneVerification, User
from simpul.core.errors import InvalidInput, TooManyRequests
from simpul.core.models import Region, utcnow
from simpul.notify import config as notify_config_module
from simpul.notify.channels import WhatsAppChannel
from simpul.notify.models import Channel
from simpul.notify.worker import claim
from tests.factories import make_region, make_user, post_form
from tests.notify.conftest import make_config
from tests.notify.test_whatsapp import whatsapp_of
from tests.support.whatsapp_cloud import CloudApi, running_cloud_api

KONTAK = "/kota-uji/akun/kontak"


@pytest.fixture
def user(session: Session) -> User:
    region = make_region(session, "kota-uji", "Kota Uji")
    return make_user(session, region, "hp@example.org", "sandi-warga-1")


def region_of(session: Session, user: User) -> Region:
    region = session.get(Region, user.region_id)
    assert region is not None
    return region


def code_for(session: Session, user: User) -> tuple[PhoneVerification, str]:
    row = session.scalars(
        select(PhoneVerification).where(PhoneVerification.used_at.is_(None))
    ).one()
    return row, recovery.phone_code(row.id, row.region_id)


def test_the_right_code_verifies_the_number(session: Session, user: User) -> None:
    region = region_of(session, user)
    recovery.request_phone_code(session, region, user, "0812-3456-7890", client="10.0.0.1")
    assert user.phone_verified_at is None
    row, code = code_for(session, user)
    assert code.encode() not in row.code_hash
    recovery.verify_phone(session, region, user, code)
    assert user.phone == "081234567890" and user.phone_verified_at is not None


def test_five_wrong_codes_need_a_new_one(session: Session, user: User) -> None:
    region = region_of(session, user)
    recovery.request_phone_code(session, region, user, "081234567890", client="10.0.0.1")
    _row, code = code_for(session, user)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        with pytest.raises(InvalidInput):
            recovery.verify_phone(session, region, user, wrong)
    with pytest.raises(InvalidInput, match="Minta kode baru"):
        recovery.verify_phone(session, region, user, code)
    assert user.phone_verified_at is None


def test_an_expired_code_is_refused_and_resending_is_throttled(
    session: Session, user: User
) -> None:
    region = region_of(session, user)
    recovery.request_phone_code(session, region, user, "081234567890", client="10.0.0.1")
    with pytest.raises(TooManyRequests):
        recovery.request_phone_code(session, region, user, "081234567890", client="10.0.0.1")
    row, code = code_for(session, user)
    row.expires_at = row.created_at - timedelta(seconds=1)
    with pytest.raises(InvalidInput, match="tidak berlaku"):
        recovery.verify_phone(session, region, user, code)


@pytest.fixture(scope="module")
def cloud() -> Iterator[CloudApi]:
    with running_cloud_api() as api:
        yield api


def test_the_code_goes_by_whatsapp_and_the_page_verifies_the_number(
    client: TestClient,
    session: Session,
    user: User,
    cloud: CloudApi,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The owner asks for a code on /akun/kontak; the worker's WhatsApp channel carries it to
    a server speaking the Cloud API; a wrong code is refused, the right one verifies."""
    whatsapp = whatsapp_of(cloud)
    monkeypatch.setattr(notify_config_module, "whatsapp_config", lambda: whatsapp)
    post_form(client, "/kota-uji/masuk", {"email": "hp@example.org", "password": "sandi-warga-1"})
    sent = post_form(client, "/kota-uji/akun/kontak/hp", {"phone": "0812 9999 8888"}, page=KONTAK)
    assert sent.status_code == 200 and "081299998888" in sent.text
    assert user.phone_verified_at is None
    config = make_config(whatsapp=whatsapp)
    jobs, _settled = claim(session, config, utcnow())
    assert [(j.channel, j.recipient) for j in jobs] == [(Channel.WHATSAPP, "6281299998888")]
    before = len(cloud.sent)
    WhatsAppChannel(whatsapp).send(jobs[0])
    _wamid, payload = cloud.sent[before]
    text = payload["template"]["components"][0]["parameters"][0]["text"]
    code = re.search(r"\b(\d{6})\b", text)
    assert code, text
    wrong = f"{(int(code.group(1)) + 1) % 1_000_000:06d}"
    refused = post_form(client, "/kota-uji/akun/kontak/hp/kode", {"code": wrong}, page=KONTAK)
    assert refused.status_code == 422 and "Sisa 4 percobaan" in refused.text
    done = post_form(client, "/kota-uji/akun/kontak/hp/kode", {"code": code.group(1)}, page=KONTAK)
    assert done.status_code == 200 and "sudah diverifikasi" in done.text
    session.refresh(user)
    assert user.phone == "081299998888" and user.phone_verified_at is not None
