"""The per-address limit on verification lookups: a token bucket per source address."""

from __future__ import annotations

import pytest

from simpul.documents.throttle import LookupLimiter, source_key


def test_an_address_gets_its_allowance_then_waits_for_the_next_token() -> None:
    limiter = LookupLimiter(per_minute=6)
    assert [limiter.take("203.0.113.9", 100.0) for _ in range(6)] == [None] * 6
    wait = limiter.take("203.0.113.9", 100.0)
    assert wait == pytest.approx(10.0)  # one token every 10 s
    assert limiter.take("198.51.100.1", 100.0) is None  # another address is not affected
    assert limiter.take("203.0.113.9", 109.0) is not None
    assert limiter.take("203.0.113.9", 110.5) is None


def test_ipv6_counts_per_64_and_mapped_ipv4_as_ipv4() -> None:
    assert source_key("2001:db8:1:2:aaaa::1") == source_key("2001:db8:1:2:bbbb::2")
    assert source_key("2001:db8:1:2::1") != source_key("2001:db8:1:3::1")
    assert source_key("::ffff:203.0.113.9") == "203.0.113.9"
    assert source_key("testclient") == "testclient"


def test_many_addresses_do_not_grow_memory_without_bound() -> None:
    limiter = LookupLimiter(per_minute=2, max_addresses=100)
    for n in range(1000):
        limiter.take(f"10.0.{n // 256}.{n % 256}", float(n))  # each bucket full a minute later
    assert len(limiter) <= 101
    # A flood at one instant: nothing is full yet, so everything is forgotten.
    flood = LookupLimiter(per_minute=2, max_addresses=10)
    for n in range(50):
        flood.take(f"10.1.0.{n}", 0.0)
    assert len(flood) <= 11
