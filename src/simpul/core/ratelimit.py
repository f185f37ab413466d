"""Token buckets in this process's memory: the one in-process rate limiter every domain uses.

A key allowed N per minute may burst up to N and then gets one more every 60/N seconds.
Keys may come from outside (source addresses), so the table is bounded: past ``max_keys``
buckets, those untouched for a minute (full again by then, so equal to a new one) go, and if
that is not enough, all of them (a flood from that many addresses must not make every new key
cost a pass over the table). Thread-safe: sync routes run in worker threads.

Limits shared by several processes live in PostgreSQL (logins, registrations, uploads) or
Redis (``gateway.ratelimit.RedisLimiter``); these buckets are exact for one process and
allow N times the limit across N processes.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any, Final

from simpul.core.errors import TooManyRequests

MAX_KEYS: Final = 100_000


class TokenBuckets:
    """Token buckets per key, bounded in number."""

    def __init__(self, max_keys: int = MAX_KEYS) -> None:
        # key -> (tokens, time of the last update)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._max_keys = max_keys
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """How many keys are tracked."""
        return len(self._buckets)

    def take(self, key: str, per_minute: int, now: float) -> float | None:
        """Take one from ``key``'s allowance at monotonic time ``now``: ``None`` if allowed,
        else the seconds until it will be."""
        rate = per_minute / 60.0
        with self._lock:
            if len(self._buckets) >= self._max_keys and key not in self._buckets:
                self._forget_idle(now)
            tokens, last = self._buckets.get(key, (float(per_minute), now))
            tokens = min(float(per_minute), tokens + max(0.0, now - last) * rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return None
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / rate

    def clear(self) -> None:
        with self._lock:
            self._buckets.clear()

    def _forget_idle(self, now: float) -> None:
        self._buckets = {k: b for k, b in self._buckets.items() if now - b[1] < 60.0}
        if len(self._buckets) >= self._max_keys // 2:
            self._buckets.clear()


_creating = threading.Lock()


def monotonic() -> float:
    """The limiters' clock, ``time.monotonic``. Every in-process limit reads time here, so a
    test of a limit can hold it still: on a slow machine a burst of requests may otherwise earn
    a token back before the last one."""
    return time.monotonic()


def buckets_on(state: Any, name: str) -> TokenBuckets:
    """The ``TokenBuckets`` kept as attribute ``name`` of ``state`` (an app's ``state``),
    made on first use: one table per app and purpose."""
    buckets = getattr(state, name, None)
    if buckets is None:
        with _creating:
            buckets = getattr(state, name, None)
            if buckets is None:
                buckets = TokenBuckets()
                setattr(state, name, buckets)
    assert isinstance(buckets, TokenBuckets)
    return buckets


def limit_source(
    state: Any, name: str, source: str, per_minute: int, message: Callable[[int], str]
) -> None:
    """Take one token for ``source`` from the buckets ``name`` of ``state``; without one, 429
    with ``Retry-After`` and ``message(seconds)`` (the caller's words for its limit)."""
    wait = buckets_on(state, name).take(source, per_minute, monotonic())
    if wait is not None:
        seconds = max(1, math.ceil(wait))
        raise TooManyRequests(message(seconds), retry_after_seconds=seconds)
