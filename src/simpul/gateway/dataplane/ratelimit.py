"""Per-client rate limits for the gateway: a token bucket per client.

A client with a limit of N requests per minute may burst up to N requests and then gets one
more every 60/N seconds. ``LocalLimiter`` keeps the buckets in the process (one gateway
process, or limits per process); ``RedisLimiter`` keeps them in Redis so every gateway process
of the region shares them (the same algorithm, as GCRA in one Lua script: one round trip).

When Redis cannot be reached the Redis limiter falls back to its local buckets and logs it
once: the gateway keeps serving with per-process limits instead of refusing every call.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Protocol

from simpul.core.ratelimit import MAX_KEYS, TokenBuckets

log = logging.getLogger(__name__)


class Limiter(Protocol):
    async def acquire(self, key: str, per_minute: int) -> float | None:
        """Take one request from ``key``'s allowance: None if allowed, else seconds to wait."""

    async def close(self) -> None: ...


class LocalLimiter:
    """Token buckets in this process's memory (``core.ratelimit.TokenBuckets``)."""

    def __init__(self, max_keys: int = MAX_KEYS) -> None:
        self._buckets = TokenBuckets(max_keys)

    async def acquire(self, key: str, per_minute: int) -> float | None:
        return self.take(key, per_minute, time.monotonic())

    def take(self, key: str, per_minute: int, now: float) -> float | None:
        return self._buckets.take(key, per_minute, now)

    async def close(self) -> None:
        self._buckets.clear()


# GCRA: the bucket is one number, the "theoretical arrival time" (tat), in milliseconds.
# KEYS[1] = bucket key; ARGV = per_minute. Redis TIME keeps every gateway on one clock.
_GCRA = """
local per_minute = tonumber(ARGV[1])
local interval = 60000 / per_minute
local burst = 60000
local now_parts = redis.call('TIME')
local now = now_parts[1] * 1000 + math.floor(now_parts[2] / 1000)
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - burst
if allow_at > now then
  return allow_at - now
end
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil(burst + interval))
return -1
"""


class RedisLimiter:
    """GCRA buckets in Redis, shared by every gateway process that uses the same Redis."""

    def __init__(self, url: str, prefix: str = "simpul:gw:rl:") -> None:
        import redis.asyncio as redis

        self._redis = redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._script = self._redis.register_script(_GCRA)
        self._prefix = prefix
        self._fallback = LocalLimiter()
        self._warned = False

    async def acquire(self, key: str, per_minute: int) -> float | None:
        try:
            wait_ms = await self._script(keys=[self._prefix + key], args=[per_minute])
        except Exception:  # noqa: BLE001 - any Redis failure: keep limiting, per process
            if not self._warned:
                log.warning("Redis is unreachable: rate limits are kept per gateway process")
                self._warned = True
            return await self._fallback.acquire(key, per_minute)
        self._warned = False
        wait = int(wait_ms)
        return None if wait < 0 else wait / 1000.0

    async def close(self) -> None:
        await self._redis.aclose()


def retry_after_header(wait_seconds: float) -> str:
    """Whole seconds, at least 1 (RFC 9110 Retry-After)."""
    return str(max(1, math.ceil(wait_seconds)))


def make_limiter(redis_url: str | None) -> Limiter:
    return RedisLimiter(redis_url) if redis_url else LocalLimiter()
