"""``simpul worker`` outlives a lost database connection (a restart, a failover): it
reconnects and goes on with the work queued meanwhile (core.jobs.run_loop)."""

from __future__ import annotations

import threading
import time

from sqlalchemy import Engine, text

from simpul.core import jobs

CHANNEL = "simpul_test_worker_reconnects"


def _listener_pids(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT pid FROM pg_stat_activity WHERE query = :q AND pid <> pg_backend_pid()"
                ),
                {"q": f"LISTEN {CHANNEL}"},
            ).scalars()
        )


def _wait(condition: object, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_the_worker_loop_reconnects_after_its_connection_is_killed(
    committed_engine: Engine,
) -> None:
    due = [0]
    worked: list[int] = []

    def step() -> int:
        if due[0]:
            due[0] -= 1
            worked.append(1)
            return 1
        return 0

    stop = threading.Event()
    result: list[int] = []
    thread = threading.Thread(
        target=lambda: result.append(
            jobs.run_loop(committed_engine, [step], [CHANNEL], poll_seconds=30, stop=stop)
        ),
        daemon=True,
    )
    thread.start()
    try:
        assert _wait(lambda: _listener_pids(committed_engine)), "the worker never listened"
        (pid,) = _listener_pids(committed_engine)
        with committed_engine.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        # A new connection listens again, and a job queued now is worked on.
        assert _wait(lambda: _listener_pids(committed_engine) not in ([], [pid])), (
            "the worker did not reconnect"
        )
        assert thread.is_alive()
        due[0] = 1
        with committed_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f"NOTIFY {CHANNEL}"))
        assert _wait(lambda: worked == [1]), "the queued job was not worked on"
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
    assert result == [1]
