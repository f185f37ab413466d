"""Attack: guess one account's password with many requests at once, so that every request
reads the failure count before any of the others has recorded its failure.

Before the fix, of 20 simultaneous wrong passwords 19 or 20 were checked against the account's
password (the limit is 5): the count and the check were not one step. Now the count comes
first and is atomic per account, and no more than the limit are ever checked.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from simpul.accounts.models import LoginAttempt
from simpul.core.models import Region
from tests.security.live_site import (
    OWNER_EMAIL,
    OWNER_PASSWORD,
    LiveSite,
    WebClient,
    csrf_in,
    live_site,
    log_in,
)

PARALLEL = 20
LIMIT = 5  # SIMPUL_LOGIN_MAX_FAILURES, the default


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSite]:
    with live_site(tmp_path_factory.mktemp("parallel-guessing")) as running:
        yield running


def burst(site: LiveSite, region: Region, attacker: WebClient, size: int) -> list[int]:
    """Send ``size`` wrong passwords at once, each on its own connection opened beforehand;
    returns the status of each answer."""
    token = csrf_in(attacker.get(f"/{region.slug}/masuk").text)
    form = {"email": OWNER_EMAIL, "password": "tebakan-salah", "csrf_token": token}
    connections = [attacker.connection() for _ in range(size)]
    start = threading.Barrier(size)

    def guess(conn: http.client.HTTPConnection) -> int:
        start.wait(timeout=30)
        client = WebClient(site.base_url, cookies=dict(attacker.cookies))
        try:
            return client.send(conn, "POST", f"/{region.slug}/masuk", form).status
        finally:
            conn.close()

    with ThreadPoolExecutor(size) as pool:
        return list(pool.map(guess, connections))


def failed_attempts(site: LiveSite, region: Region) -> int:
    with site.sessions()() as session:
        return (
            session.scalar(
                select(func.count(LoginAttempt.id)).where(
                    LoginAttempt.region_id == region.id, LoginAttempt.succeeded.is_(False)
                )
            )
            or 0
        )


def test_twenty_simultaneous_guesses_check_no_more_than_the_limit(site: LiveSite) -> None:
    region = site.new_region()
    attacker = WebClient(site.base_url)
    statuses = burst(site, region, attacker, PARALLEL)
    # 401 "E-mail atau kata sandi salah." means the guess was checked against the password;
    # 429 means it was refused before that.
    checked = statuses.count(401)
    assert checked + statuses.count(429) == PARALLEL, statuses
    assert checked <= LIMIT, f"{checked} of {PARALLEL} guesses were checked: {statuses}"
    assert failed_attempts(site, region) == checked
    # Once the limit is used up, even the right password from this address waits.
    while checked < LIMIT:
        assert log_in(attacker, region, "tebakan-salah").status == 401
        checked += 1
    blocked = log_in(attacker, region, OWNER_PASSWORD)
    assert blocked.status == 429
    assert blocked.header("Retry-After")


def test_guessing_in_waves_never_gets_past_the_limit(site: LiveSite) -> None:
    """Bursts one after another: the total checked stays within the limit."""
    region = site.new_region()
    attacker = WebClient(site.base_url)
    checked = 0
    for _wave in range(4):
        statuses = burst(site, region, attacker, 8)
        assert set(statuses) <= {401, 429}, statuses
        checked += statuses.count(401)
    assert checked <= LIMIT
    assert failed_attempts(site, region) == checked
