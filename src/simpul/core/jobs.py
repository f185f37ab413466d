"""The worker loop: run each kind of background work until nothing is due, then sleep until
PostgreSQL NOTIFY says work was queued (or a poll interval passes, for due retries).

Each step is a function that claims a batch of its own due work, does it, and returns how many
items it worked on (0: nothing due). Work is queued by writing rows in the same transaction as
the event that causes it (the outbox pattern); claiming them through ``simpul.core.queue``
(``FOR UPDATE SKIP LOCKED`` with leases) lets several workers run side by side.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Engine

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


def run_loop(
    engine: Engine,
    steps: Sequence[Step],
    channels: Sequence[str],
    *,
    poll_seconds: float,
    stop: threading.Event,
) -> int:
    """Run ``steps`` until ``stop`` is set, sleeping on ``channels`` when idle."""
    total = 0
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # The log tables are partitioned by month: keep the coming months' partitions made.
        audit.ensure_log_partitions(conn)
        partitions_checked = time.monotonic()
        listener: Any = conn.connection.driver_connection
        for channel in channels:
            listener.execute(f"LISTEN {channel}")
        try:
            while not stop.is_set():
                if time.monotonic() - partitions_checked > _PARTITIONS_EVERY:
                    audit.ensure_log_partitions(conn)
                    partitions_checked = time.monotonic()
                done = sum(step() for step in steps)
                total += done
                if not done:
                    wait_for_work(listener, poll_seconds, stop)
        finally:
            for channel in channels:
                listener.execute(f"UNLISTEN {channel}")
    return total
