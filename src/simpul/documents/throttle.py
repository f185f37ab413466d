"""A limit on verification lookups per source address, so codes cannot be enumerated.

Every lookup of a code (the QR code's page, ``GET /api/{region}/documents/{code}``) and every
file checked (the page's upload, ``POST /api/{region}/documents/verify``) takes one token
from its source address's bucket: ``SIMPUL_VERIFICATION_LOOKUPS_PER_MINUTE`` a minute, as a
burst or spread out. An address without tokens gets 429 with ``Retry-After``. IPv6 addresses
count per /64, the block one subscriber usually holds.

The buckets live in the process (one ``simpul serve`` process: exact; N processes: each
allows the limit, so N times as many). Codes carry 80 random bits, so even that leaves
guessing hopeless; the limit is what keeps a scripted search (and pyHanko's work per upload)
from costing the server anything. When more addresses than ``MAX_ADDRESSES`` are tracked, the
full buckets are forgotten first.
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from typing import Final

from fastapi import Request

from simpul.core.errors import TooManyRequests
from simpul.core.i18n import _

MAX_ADDRESSES: Final = 100_000
_STATE_KEY: Final = "verification_lookup_limiter"
_creating = threading.Lock()


class LookupLimiter:
    """Token buckets per source address (thread-safe: sync routes run in worker threads)."""

    def __init__(self, per_minute: int, max_addresses: int = MAX_ADDRESSES) -> None:
        self.per_minute = per_minute
        self.max_addresses = max_addresses
        self._buckets: dict[str, tuple[float, float]] = {}  # address -> (tokens, when)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """How many addresses are tracked."""
        return len(self._buckets)

    def take(self, address: str, now: float) -> float | None:
        """Take one lookup for ``address``: ``None`` if allowed, else seconds until it is."""
        rate = self.per_minute / 60.0
        capacity = float(self.per_minute)
        with self._lock:
            tokens, last = self._buckets.get(address, (capacity, now))
            tokens = min(capacity, tokens + max(0.0, now - last) * rate)
            if tokens >= 1.0:
                self._buckets[address] = (tokens - 1.0, now)
                if len(self._buckets) > self.max_addresses:
                    self._forget_full(now, rate, capacity)
                return None
            self._buckets[address] = (tokens, now)
            return (1.0 - tokens) / rate

    def _forget_full(self, now: float, rate: float, capacity: float) -> None:
        full = [
            address
            for address, (tokens, last) in self._buckets.items()
            if tokens + (now - last) * rate >= capacity
        ]
        for address in full:
            del self._buckets[address]
        if len(self._buckets) > self.max_addresses:  # a flood from very many addresses
            self._buckets.clear()


def source_key(host: str) -> str:
    """The bucket of a client address: the address itself, or its /64 for IPv6."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def _limiter(request: Request) -> LookupLimiter:
    state = request.app.state
    limiter = getattr(state, _STATE_KEY, None)
    if limiter is None:
        with _creating:
            limiter = getattr(state, _STATE_KEY, None)
            if limiter is None:
                limiter = LookupLimiter(state.settings.verification_lookups_per_minute)
                setattr(state, _STATE_KEY, limiter)
    assert isinstance(limiter, LookupLimiter)
    return limiter


async def limit_lookups(request: Request) -> None:
    """A route dependency: one lookup from the caller's address, or 429 with Retry-After.

    Async: it does no I/O, so it needs no worker thread of its own.
    """
    host = request.client.host if request.client else "unknown"
    wait = _limiter(request).take(source_key(host), time.monotonic())
    if wait is not None:
        seconds = max(1, math.ceil(wait))
        raise TooManyRequests(
            _(
                "Terlalu banyak pemeriksaan dokumen dari alamat Anda. Coba lagi dalam "
                "%(seconds)d detik."
            )
            % {"seconds": seconds},
            retry_after_seconds=seconds,
        )
