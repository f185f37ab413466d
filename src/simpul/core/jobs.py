"""The worker loop: run each kind of background work until nothing is due, then sleep until
PostgreSQL NOTIFY says work was queued (or a poll interval passes, for due retries).

Each step is a function that claims a batch of its own due work, does it, and returns how many
items it worked on (0: nothing due). Work is queued by writing rows in the same transaction as
the event that causes it (the outbox pattern); claiming them through ``simpul.core.queue``
(``FOR UPDATE SKIP LOCKED`` with leases) lets several workers run side by side.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import psycopg
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from simpul.core import audit

#: Seconds between two checks that the coming months' log partitions exist.
_PARTITIONS_EVERY = 3600.0

Step = Callable[[], int]


def wait_for_work(listener: Any, timeout: float, stop: threading.Event) -> None:
    """Sleep until a NOTIFY arrives on ``listener``, ``timeout`` passes or ``stop`` is set.

    ``listener`` is a psycopg connection that LISTENs; notices sent while the worker was busy
    wait on it, so none is missed between two waits.
    """
    remaining = timeout
    while remaining > 0 and not stop.is_set():
        step = min(remaining, 1.0)  # look at ``stop`` at least once a second
        for _notice in listener.notifies(timeout=step, stop_after=1):
            return
        remaining -= step


def run_steps_once(steps: Sequence[Step]) -> int:
    """Run every step until none has anything due; returns how many items were worked on."""
    total = 0
    while done := sum(step() for step in steps):
        total += done
    return total


#: Seconds before reconnecting after the database connection was lost, doubling up to the
#: maximum while the database stays away.
_RECONNECT_FIRST = 0.5
_RECONNECT_MAX = 30.0

log = logging.getLogger(__name__)


def run_loop(
    engine: Engine,
    steps: Sequence[Step],
    channels: Sequence[str],
    *,
    poll_seconds: float,
    stop: threading.Event,
) -> int:
    """Run ``steps`` until ``stop`` is set, sleeping on ``channels`` when idle.

    A lost database connection (a restart, a failover to the replica) does not end the loop:
    it waits, reconnects and goes on; work queued meanwhile waits in its table, so nothing is
    lost (leases make a half-done item due again).
    """
    done = [0]
    delay = _RECONNECT_FIRST
    while True:  # at least one pass, even if ``stop`` is already set (it makes the partitions)
        began = time.monotonic()
        try:
            _run_connected(engine, steps, channels, poll_seconds, stop, done)
        except (DBAPIError, psycopg.OperationalError) as error:
            cause = error.orig if isinstance(error, DBAPIError) else error
            lost = not isinstance(error, DBAPIError) or error.connection_invalidated
            if not lost and not isinstance(cause, psycopg.OperationalError):
                raise
            log.warning(
                "worker: lost the database connection (%s); reconnecting in %.1f s",
                type(cause).__name__,
                delay,
            )
        else:
            break
        if stop.is_set():
            break
        if time.monotonic() - began > _RECONNECT_MAX:
            delay = _RECONNECT_FIRST  # it had been up a while: a new outage starts small
        stop.wait(delay)
        delay = min(delay * 2, _RECONNECT_MAX)
    return done[0]


def _run_connected(
    engine: Engine,
    steps: Sequence[Step],
    channels: Sequence[str],
    poll_seconds: float,
    stop: threading.Event,
    done: list[int],
) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # The log tables are partitioned by month: keep the coming months' partitions made.
        audit.ensure_log_partitions(conn)
        partitions_checked = time.monotonic()
        listener: Any = conn.connection.driver_connection
        for channel in channels:
            listener.execute(f"LISTEN {channel}")
        while not stop.is_set():
            if time.monotonic() - partitions_checked > _PARTITIONS_EVERY:
                audit.ensure_log_partitions(conn)
                partitions_checked = time.monotonic()
            worked = sum(step() for step in steps)
            done[0] += worked
            if not worked:
                wait_for_work(listener, poll_seconds, stop)
        for channel in channels:
            listener.execute(f"UNLISTEN {channel}")
