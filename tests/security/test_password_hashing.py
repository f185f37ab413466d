"""Passwords are stored as argon2id with RFC 9106's parameters, whatever the test suite uses to
go faster (tests/conftest.py hashes with argon2's CHEAPEST profile, decision 0055).

An attacker with a copy of the database gets 64 MiB, three-pass hashes; a hash made with weaker
parameters (an old release, or this suite's) is upgraded the next time its owner logs in.
"""

from __future__ import annotations

from collections.abc import Iterator

import argon2
import pytest
from argon2 import extract_parameters
from sqlalchemy.orm import Session

from simpul.accounts import service as accounts
from simpul.core import security
from tests.factories import make_region, make_user


@pytest.fixture
def real_parameters() -> Iterator[None]:
    security.use_password_parameters(security.PASSWORD_PARAMETERS)
    try:
        yield
    finally:
        security.use_password_parameters(argon2.profiles.CHEAPEST)


def test_the_servers_parameters_are_rfc_9106s_low_memory_argon2id() -> None:
    parameters = security.PASSWORD_PARAMETERS
    assert parameters.type is argon2.Type.ID
    assert (parameters.time_cost, parameters.memory_cost, parameters.parallelism) == (3, 65536, 4)
    assert parameters.salt_len >= 16 and parameters.hash_len >= 32


def test_a_new_password_is_hashed_with_the_servers_parameters(real_parameters: None) -> None:
    stored = extract_parameters(security.hash_password("kata-sandi-rahasia"))
    assert stored == security.PASSWORD_PARAMETERS


def test_a_weaker_hash_is_upgraded_when_its_owner_logs_in(
    session: Session, real_parameters: None
) -> None:
    region = make_region(session, "kota-sandi", "Kota Sandi")
    security.use_password_parameters(argon2.profiles.CHEAPEST)
    user = make_user(session, region, "warga@example.org", "kata-sandi-rahasia")
    assert extract_parameters(user.password_hash).memory_cost == 8
    security.use_password_parameters(security.PASSWORD_PARAMETERS)

    wrong = accounts.login(
        session, region, email="warga@example.org", password="salah-sekali", client="192.0.2.1"
    )
    assert wrong.user is None
    assert extract_parameters(user.password_hash).memory_cost == 8  # a failed guess changes nothing

    result = accounts.login(
        session,
        region,
        email="warga@example.org",
        password="kata-sandi-rahasia",
        client="192.0.2.1",
    )
    assert result.user is not None
    assert extract_parameters(user.password_hash) == security.PASSWORD_PARAMETERS
    assert security.verify_password(user.password_hash, "kata-sandi-rahasia")
