"""Attack: lock a citizen out of their own account by typing wrong passwords for it.

Before the fix, five wrong passwords from anywhere blocked the account from everywhere for 15
minutes: a stranger could keep anyone out. Now failures slow down the (account, source address)
pair; a higher ceiling per account across all addresses still stops a guesser with many
addresses. Behind the reverse proxy the source is the address the proxy forwards (uvicorn's
proxy headers, trusted only from FORWARDED_ALLOW_IPS); anyone else's X-Forwarded-For is ignored.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind
from simpul.core.models import Region
from tests.factories import make_region, make_user, post_form
from tests.security.live_site import OWNER_PASSWORD, LiveSite, WebClient, live_site, log_in

PAIR_LIMIT = 5  # SIMPUL_LOGIN_MAX_FAILURES (per account and address), the default
ACCOUNT_CEILING = 12  # SIMPUL_LOGIN_MAX_FAILURES_PER_ACCOUNT, lowered to keep the test short


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSite]:
    env = {
        "FORWARDED_ALLOW_IPS": "127.0.0.1",  # the reverse proxy, as cli/server.py reads it
        "SIMPUL_LOGIN_MAX_FAILURES_PER_ACCOUNT": str(ACCOUNT_CEILING),
    }
    with live_site(tmp_path_factory.mktemp("owner-lockout"), env) as running:
        yield running


def test_a_strangers_wrong_passwords_do_not_lock_the_owner_out(site: LiveSite) -> None:
    region = site.new_region()
    stranger = WebClient(site.base_url, source="127.0.0.2")
    for _ in range(PAIR_LIMIT):
        assert log_in(stranger, region, "tebakan-salah").status == 401
    # The stranger is slowed down, even with the right password ...
    blocked = log_in(stranger, region, OWNER_PASSWORD)
    assert blocked.status == 429
    assert 0 < int(blocked.header("Retry-After") or 0) <= 15 * 60
    # ... the owner, from their own address, is not.
    owner = WebClient(site.base_url, source="127.0.0.3")
    welcome = log_in(owner, region, OWNER_PASSWORD)
    assert welcome.status == 303, welcome.text
    assert welcome.header("Location") == f"/{region.slug}/permohonan"


def test_a_forged_forwarded_header_does_not_give_the_stranger_new_addresses(
    site: LiveSite,
) -> None:
    """Only the proxy's X-Forwarded-For counts; a client's own is ignored."""
    region = site.new_region()
    stranger = WebClient(site.base_url, source="127.0.0.2")
    for n in range(PAIR_LIMIT):
        forged = {"X-Forwarded-For": f"198.51.100.{n + 1}"}
        assert log_in(stranger, region, "tebakan-salah", headers=forged).status == 401
    forged = {"X-Forwarded-For": "198.51.100.99"}
    assert log_in(stranger, region, OWNER_PASSWORD, headers=forged).status == 429


def test_behind_the_proxy_the_forwarded_client_address_is_the_source(site: LiveSite) -> None:
    region = site.new_region()
    proxy = WebClient(site.base_url, source="127.0.0.1")
    stranger = {"X-Forwarded-For": "198.51.100.7"}
    for _ in range(PAIR_LIMIT):
        assert log_in(proxy, region, "tebakan-salah", headers=stranger).status == 401
    assert log_in(proxy, region, OWNER_PASSWORD, headers=stranger).status == 429
    owner = WebClient(site.base_url, source="127.0.0.1")
    welcome = log_in(owner, region, OWNER_PASSWORD, headers={"X-Forwarded-For": "203.0.113.8"})
    assert welcome.status == 303


def test_many_addresses_together_meet_the_account_ceiling(site: LiveSite) -> None:
    """A guesser with many addresses gets the per-account ceiling, not the pair limit each."""
    region = site.new_region()
    addresses = [f"127.0.0.{10 + n}" for n in range(ACCOUNT_CEILING // (PAIR_LIMIT - 1))]
    for address in addresses:
        guesser = WebClient(site.base_url, source=address)
        for _ in range(PAIR_LIMIT - 1):
            assert log_in(guesser, region, "tebakan-salah").status == 401
    # The ceiling is reached: the account waits, from a fresh address too (the owner as well).
    fresh = WebClient(site.base_url, source="127.0.0.99")
    assert log_in(fresh, region, OWNER_PASSWORD).status == 429


# IPv6: one subscriber gets a whole /64, so addresses in it count as one source.


@pytest.fixture
def region(session: Session) -> Region:
    region = make_region(session, "kota-uji", "Kota Uji")
    make_user(session, region, "pemilik@example.org", OWNER_PASSWORD, AccountKind.CITIZEN)
    return region


def test_a_stranger_rotating_addresses_inside_one_ipv6_network_is_one_source(
    client: TestClient, region: Region
) -> None:
    def attempt(address: str, password: str) -> int:
        visitor = TestClient(client.app, client=(address, 40000))
        status: int = post_form(
            visitor, "/kota-uji/masuk", {"email": "pemilik@example.org", "password": password}
        ).status_code
        return status

    for n in range(PAIR_LIMIT):
        assert attempt(f"2001:db8:5:7::{n + 1:x}", "tebakan-salah") == 401
    assert attempt("2001:db8:5:7::ffff", OWNER_PASSWORD) == 429
    assert attempt("2001:db8:9:1::1", OWNER_PASSWORD) == 303
