"""Token buckets per client, in the process and shared through a real Redis."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

from simpul.gateway.dataplane.ratelimit import LocalLimiter, RedisLimiter, retry_after_header
from tests.support.devserver import free_port


def test_a_bucket_allows_its_burst_then_refills() -> None:
    limiter = LocalLimiter()
    now = 1000.0
    assert all(limiter.take("a", 60, now) is None for _ in range(60))
    wait = limiter.take("a", 60, now)
    assert wait == pytest.approx(1.0)
    assert limiter.take("b", 60, now) is None  # other clients are not affected
    assert limiter.take("a", 60, now + 1.01) is None  # one token back after a second
    assert limiter.take("a", 60, now + 1.02) is not None


def test_buckets_of_many_keys_stay_bounded() -> None:
    """Source addresses come from outside: a flood of them must not grow the table forever."""
    limiter = LocalLimiter(max_keys=100)
    now = 1000.0
    for number in range(99):
        assert limiter.take(f"old-{number}", 5, now) is None
    assert limiter.take("busy", 1, now + 30) is None
    assert limiter.take("busy", 1, now + 30) is not None  # empty for the next minute
    # The old buckets are full again after a minute: forgetting them changes nothing.
    assert limiter.take("new", 5, now + 61) is None
    assert len(limiter._buckets) == 2  # "busy" (touched 31 s ago) and "new"
    assert limiter.take("busy", 1, now + 61) is not None  # its state was kept
    # From as many addresses at once as the table holds, it starts over, never grows.
    for number in range(500):
        limiter.take(f"flood-{number}", 5, now + 62)
    assert len(limiter._buckets) <= 100


def test_retry_after_is_whole_seconds_at_least_one() -> None:
    assert retry_after_header(0.01) == "1"
    assert retry_after_header(2.2) == "3"


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """A real Redis of our own (``make tools`` installs ``redis-server``)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed: run `make tools`")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_gateways_sharing_redis_share_one_limit(redis_url: str) -> None:
    async def scenario() -> list[float | None]:
        first, second = RedisLimiter(redis_url), RedisLimiter(redis_url)
        key = f"client-{time.monotonic_ns()}"
        try:
            results = [await first.acquire(key, 10) for _ in range(5)]
            results += [await second.acquire(key, 10) for _ in range(5)]
            results.append(await first.acquire(key, 10))  # the eleventh, from either process
            results.append(await second.acquire(key, 10))
        finally:
            await first.close()
            await second.close()
        return results

    results = asyncio.run(scenario())
    assert results[:10] == [None] * 10
    assert results[10] is not None
    assert 0 < results[10] <= 6.0  # ten per minute: the next one within six seconds
    assert results[11] is not None


def test_without_redis_the_limiter_falls_back_to_the_process() -> None:
    async def scenario() -> list[float | None]:
        limiter = RedisLimiter(f"redis://127.0.0.1:{free_port()}/0")
        try:
            return [await limiter.acquire("c", 2) for _ in range(3)]
        finally:
            await limiter.close()

    results = asyncio.run(scenario())
    assert results[:2] == [None, None]
    assert results[2] is not None
