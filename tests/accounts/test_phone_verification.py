"""Phone verification by a six-digit code: wrong, expired, too many tries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.accounts import recovery
from simpul.accounts.models import PhoneVerification, User
from simpul.core.errors import InvalidInput, TooManyRequests
from simpul.core.models import Region
from tests.factories import make_region, make_user


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
