"""The per-address limit on verification lookups: a token bucket per source address."""

from __future__ import annotations

import pytest

from simpul.core.ratelimit import TokenBuckets
from simpul.core.security import client_source


def test_an_address_gets_its_allowance_then_waits_for_the_next_token() -> None:
    buckets = TokenBuckets()
    assert [buckets.take("203.0.113.9", 6, 100.0) for _ in range(6)] == [None] * 6
    wait = buckets.take("203.0.113.9", 6, 100.0)
    assert wait == pytest.approx(10.0)  # one token every 10 s
    assert buckets.take("198.51.100.1", 6, 100.0) is None  # another address is not affected
    assert buckets.take("203.0.113.9", 6, 109.0) is not None
    assert buckets.take("203.0.113.9", 6, 110.5) is None


def test_ipv6_counts_per_64_and_mapped_ipv4_as_ipv4() -> None:
    assert client_source("2001:db8:1:2:aaaa::1") == client_source("2001:db8:1:2:bbbb::2")
    assert client_source("2001:db8:1:2::1") != client_source("2001:db8:1:3::1")
    assert client_source("::ffff:203.0.113.9") == "203.0.113.9"
    assert client_source("testclient") == "testclient"


def test_many_addresses_do_not_grow_memory_without_bound() -> None:
    buckets = TokenBuckets(max_keys=100)
    for n in range(1000):
        buckets.take(f"10.0.{n // 256}.{n % 256}", 2, float(n))  # each full a minute later
    assert len(buckets) <= 100
    # A flood at one instant: nothing is full yet, so everything is forgotten.
    flood = TokenBuckets(max_keys=10)
    for n in range(50):
        flood.take(f"10.1.0.{n}", 2, 0.0)
    assert len(flood) <= 10
