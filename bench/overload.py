"""Overload benchmark: ``simpul serve`` under a burst of many times the load it can serve,
from clients that give up, and how soon it is itself again.

On a fresh database seeded with the demo region Kota Bandung, against a real ``simpul serve``
(one uvicorn worker, default settings: a pool of 10 + 10 connections, so 19 requests at work
at once), with the API search ``GET /api/kota-bandung/services?q=akta&limit=5``, in one run:

1. **baseline**: ``--sustainable`` clients (default: the server's concurrent requests, 19)
   for ``--baseline-seconds``: answers per second, latency; every answer must be 200. The
   health check's latency is measured alone too.
2. **burst**: ``--clients`` clients (default 400, about 20 times the baseline) for
   ``--seconds`` (default 30). Each sends its requests one after the other on a keep-alive
   connection, gives up on one after ``--patience`` seconds (hangs up, connects again,
   asks again) and never waits between requests: the opening day of a popular service.
   Meanwhile ``/healthz`` is asked every half second on a new connection.
   When the burst ends every client hangs up at once.
3. **recovery**: from the burst's end, the API is asked every 0.1 s on a new connection until
   an answer is normal again: 200 within twice the baseline's p99 (at least 250 ms). The time
   to it is the figure (target: within 5 s).
4. **pool**: the server's connections to the database by state (``pg_stat_activity``) just
   after the recovery and 5 s later: none may be stuck, i.e. "idle in transaction" for more
   than 2 s (one that is so for a moment belongs to a request being served: after a burst
   the kernel still hands over requests that clients sent before they gave up).
5. **after**: the baseline load again, for ``--after-seconds``: its rate over the baseline's.
6. **shutdown**: a second burst, SIGTERM three seconds into it, and the time until the
   process has exited (``SIMPUL_SHUTDOWN_TIMEOUT_SECONDS``, 10, is the graceful part).

The load generator is in this process (asyncio on uvloop, raw HTTP/1.1), on the same machine
as the server and PostgreSQL: they share the cores, as the other benchmarks here do. Figures
are printed as ratios to the baseline of the same run where a ratio makes sense, and as
seconds and counts where the question is "how long" or "how many": recovery time, 5xx
answers other than 503 (must be 0), clients that gave up, connections stuck in a transaction.

Run it from the repository root::

    .venv/bin/python bench/overload.py [--clients N] [--seconds S] [--patience S]
                                       [--sustainable N] [--baseline-seconds S]

The database server is ``SIMPUL_BENCH_DATABASE_URL`` if set (its database
``simpul_bench_overload`` is dropped and recreated), else the embedded PostgreSQL under
``var/bench-pgdata`` (it keeps running; ``--stop-database`` stops it). The last line is one
JSON object with the figures. Exits 1 if an answer was a 5xx other than 503, normal answers
did not return within 60 s, a connection was stuck in a transaction, or SIGTERM did not stop
the server within its graceful timeout and 5 s (a missed 5 s recovery target is reported,
not an exit status).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import uvloop
from sqlalchemy.engine import make_url
from tests.support.devserver import (
    ServerProcess,
    libpq_url,
    migrate_and_seed_demo,
    recreate_database,
    server_process,
)

from simpul.core.database import sqlalchemy_url
from simpul.core.embedded import start_embedded_server, stop_embedded_server
from simpul.core.settings import get_settings

ROOT = Path(__file__).resolve().parent.parent
BENCH_PGDATA = ROOT / "var" / "bench-pgdata"
BENCH_DATABASE = "simpul_bench_overload"
BENCH_SECRET = "bench-secret-key-not-for-production-0123456789"
TARGET = "/api/kota-bandung/services?q=akta&limit=5"
SERVER_START_TIMEOUT = 60.0
RECOVERY_TARGET = 5.0
RECOVERY_LIMIT = 60.0
SHUTDOWN_AFTER = 3.0

T = TypeVar("T")


# -- a raw HTTP/1.1 client ----------------------------------------------------------------


class Closed(Exception):
    """The server closed the connection before a whole answer."""


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """One whole response: its status, and whether the connection may be used again."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
        raise Closed from exc
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip().lower()
    try:
        if headers.get("transfer-encoding") == "chunked":
            while size := int((await reader.readuntil(b"\r\n")).strip() or b"0", 16):
                await reader.readexactly(size + 2)
            await reader.readuntil(b"\r\n")
        else:
            await reader.readexactly(int(headers.get("content-length", "0")))
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
        raise Closed from exc
    return status, headers.get("connection") != "close"


@dataclass
class Tally:
    """What a group of clients saw."""

    statuses: Counter[int] = field(default_factory=Counter)
    latencies_200: list[float] = field(default_factory=list)
    gave_up: int = 0  # no answer within the client's patience: it hung up
    dropped: int = 0  # the connection closed or failed before an answer
    seconds: float = 0.0

    @property
    def answered(self) -> int:
        return sum(self.statuses.values())

    @property
    def ok_per_second(self) -> float:
        return self.statuses[200] / self.seconds if self.seconds else 0.0

    def other_5xx(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500 and status != 503)


def percentile(values: Sequence[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


async def client(host: str, port: int, request: bytes, patience: float, tally: Tally) -> None:
    """Ask again and again on a keep-alive connection; hang up and reconnect on giving up."""
    while True:
        writer = None
        try:
            reader, writer = await asyncio.open_connection(host, port)
            while True:
                started = time.perf_counter()
                writer.write(request)
                try:
                    async with asyncio.timeout(patience):
                        status, reusable = await read_answer(reader)
                except TimeoutError:
                    tally.gave_up += 1
                    break
                tally.statuses[status] += 1
                if status == 200:
                    tally.latencies_200.append(time.perf_counter() - started)
                if not reusable:
                    break
        except (OSError, Closed):
            tally.dropped += 1
            await asyncio.sleep(0.05)
        finally:
            if writer is not None:
                writer.close()


async def load(
    host: str, port: int, clients: int, seconds: float, patience: float, target: str = TARGET
) -> Tally:
    """``clients`` clients for ``seconds``; at the end every one hangs up at once."""
    tally = Tally()
    request = f"GET {target} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    tasks = [
        asyncio.create_task(client(host, port, request, patience, tally)) for _ in range(clients)
    ]
    started = time.perf_counter()
    await asyncio.sleep(seconds)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    tally.seconds = time.perf_counter() - started
    return tally


async def ask_once(host: str, port: int, target: str, wait: float) -> tuple[int | None, float]:
    """One request on a new connection: its status (None: no answer in time) and seconds."""
    started = time.perf_counter()
    writer = None
    try:
        async with asyncio.timeout(wait):
            reader, writer = await asyncio.open_connection(host, port)
            request = f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
            writer.write(request.encode())
            status, _reusable = await read_answer(reader)
            return status, time.perf_counter() - started
    except (TimeoutError, OSError, Closed):
        return None, time.perf_counter() - started
    finally:
        if writer is not None:
            writer.close()


@dataclass
class Probes:
    """The health check, asked now and then during a burst."""

    latencies: list[float] = field(default_factory=list)
    failed: int = 0  # no 200 within the timeout


async def probe_health(host: str, port: int, every: float, probes: Probes) -> None:
    while True:
        status, seconds = await ask_once(host, port, "/healthz", 5.0)
        if status == 200:
            probes.latencies.append(seconds)
        else:
            probes.failed += 1
        await asyncio.sleep(every)


async def while_running(work: Awaitable[T], side: Callable[[], Awaitable[None]]) -> T:
    """Run ``side`` for as long as ``work`` runs."""
    task = asyncio.create_task(side())
    try:
        return await work
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def time_to_normal(host: str, port: int, normal_seconds: float) -> tuple[float, float]:
    """Seconds from now to the first answer (any 200), and to the first normal one (a 200
    within ``normal_seconds``); ``inf`` when none within ``RECOVERY_LIMIT``."""
    started = time.perf_counter()
    first_200 = normal = float("inf")
    while (elapsed := time.perf_counter() - started) < RECOVERY_LIMIT:
        status, seconds = await ask_once(host, port, TARGET, 5.0)
        if status == 200:
            first_200 = min(first_200, elapsed + seconds)
            if seconds <= normal_seconds:
                normal = elapsed + seconds
                break
        await asyncio.sleep(0.1)
    return first_200, normal


# -- the database -------------------------------------------------------------------------


def server_url() -> str:
    configured = os.environ.get("SIMPUL_BENCH_DATABASE_URL")
    return configured or start_embedded_server(BENCH_PGDATA)


#: A connection idle inside a transaction for longer than this is stuck, not busy.
STUCK_SECONDS = 2.0


def connection_states(url: str) -> dict[str, int]:
    """The server's connections to the bench database by state (pg_stat_activity), and
    ``stuck``: those idle inside a transaction for more than ``STUCK_SECONDS``."""
    name = make_url(sqlalchemy_url(url)).database
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT coalesce(state, '?'), count(*), count(*) FILTER (WHERE "
            "state = 'idle in transaction' AND now() - state_change > make_interval(secs => %s)) "
            "FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() "
            "GROUP BY 1 ORDER BY 1",
            (STUCK_SECONDS, name),
        ).fetchall()
    states = {str(state): int(count) for state, count, _stuck in rows}
    states["stuck"] = sum(int(stuck) for _state, _count, stuck in rows)
    return states


# -- the run ------------------------------------------------------------------------------


def row(name: str, tally: Tally, clients: int) -> str:
    p50 = percentile(tally.latencies_200, 0.5) * 1000
    p99 = percentile(tally.latencies_200, 0.99) * 1000
    others = {s: n for s, n in sorted(tally.statuses.items()) if s not in (200, 503)}
    return (
        f"{name:<9} {clients:>7} {tally.seconds:>7.1f} {tally.statuses[200]:>7} "
        f"{tally.ok_per_second:>8.1f} {p50:>8.1f} {p99:>8.1f} {tally.statuses[503]:>7} "
        f"{tally.gave_up:>7} {tally.dropped:>7} {others or '-'}"
    )


async def bench(args: argparse.Namespace, server: ServerProcess, url: str) -> dict[str, Any]:
    host, port_text = server.base_url.removeprefix("http://").split(":")
    port = int(port_text)
    await load(host, port, 4, 3.0, 30.0)  # warm-up, unmeasured

    print(f"baseline: {args.sustainable} clients for {args.baseline_seconds:.0f} s", flush=True)
    baseline = await load(host, port, args.sustainable, args.baseline_seconds, 30.0)
    health_alone = [(await ask_once(host, port, "/healthz", 5.0))[1] for _ in range(40)]

    print(
        f"burst: {args.clients} clients ({args.clients / args.sustainable:.1f} x baseline) for "
        f"{args.seconds:.0f} s, each giving up after {args.patience:.0f} s",
        flush=True,
    )
    probes = Probes()
    burst = await while_running(
        load(host, port, args.clients, args.seconds, args.patience),
        lambda: probe_health(host, port, 0.5, probes),
    )
    normal_seconds = max(0.25, 2 * percentile(baseline.latencies_200, 0.99))
    first_200, recovered = await time_to_normal(host, port, normal_seconds)
    states_recovered = connection_states(url)
    await asyncio.sleep(5)
    states_quiet = connection_states(url)

    print(f"after: {args.sustainable} clients for {args.after_seconds:.0f} s", flush=True)
    after = await load(host, port, args.sustainable, args.after_seconds, 30.0)

    print(f"shutdown: SIGTERM {SHUTDOWN_AFTER:.0f} s into another burst", flush=True)
    second = asyncio.create_task(load(host, port, args.clients, 30.0, args.patience))
    await asyncio.sleep(SHUTDOWN_AFTER)
    server.process.send_signal(signal.SIGTERM)
    signalled = time.perf_counter()
    try:
        await asyncio.to_thread(server.process.wait, 60)
        stopped: float | None = time.perf_counter() - signalled
    except subprocess.TimeoutExpired:
        stopped = None
    second.cancel()
    await asyncio.gather(second, return_exceptions=True)

    graceful = get_settings().shutdown_timeout_seconds
    other_5xx = sum(t.other_5xx() for t in (baseline, burst, after))
    stuck = max(states["stuck"] for states in (states_recovered, states_quiet))
    baseline_p50 = percentile(baseline.latencies_200, 0.5)
    health_p99_alone = percentile(health_alone, 0.99)
    health_p99_burst = percentile(probes.latencies, 0.99)

    print(
        f"\n{'run':<9} {'clients':>7} {'seconds':>7} {'200':>7} {'200/s':>8} {'p50 ms':>8} "
        f"{'p99 ms':>8} {'503':>7} {'gave up':>7} {'dropped':>7} other statuses"
    )
    for name, tally, clients in (
        ("baseline", baseline, args.sustainable),
        ("burst", burst, args.clients),
        ("after", after, args.sustainable),
    ):
        print(row(name, tally, clients))

    def ratio(a: float, b: float) -> float:
        return a / b if b else 0.0

    print(
        "\nburst 200/s over baseline 200/s: "
        f"{ratio(burst.ok_per_second, baseline.ok_per_second):.3f}; "
        "burst p50 of 200s over baseline p50: "
        f"{ratio(percentile(burst.latencies_200, 0.5), baseline_p50):.2f}"
    )
    print(
        f"healthz during the burst: {len(probes.latencies)} answered, {probes.failed} not within "
        f"5 s; p99 {health_p99_burst * 1000:.1f} ms = "
        f"{ratio(health_p99_burst, health_p99_alone):.1f} x its p99 alone "
        f"({health_p99_alone * 1000:.1f} ms)"
        if probes.latencies
        else f"healthz during the burst: none of {probes.failed} answered within 5 s"
    )
    print(
        f"recovery after the burst: first 200 after {first_200:.2f} s, first normal answer "
        f"(200 within {normal_seconds * 1000:.0f} ms) after {recovered:.2f} s (target "
        f"{RECOVERY_TARGET:.0f} s: {'met' if recovered <= RECOVERY_TARGET else 'NOT met'})"
        if recovered < RECOVERY_LIMIT
        else f"recovery after the burst: no normal answer within {RECOVERY_LIMIT:.0f} s "
        f"(first 200: {'none' if first_200 == float('inf') else f'{first_200:.2f} s'})"
    )
    print(
        f"5xx other than 503: {other_5xx}; the pool (pg_stat_activity) just after: "
        f"{states_recovered}, 5 s later: {states_quiet}; stuck in a transaction: {stuck}"
    )
    print(
        f"after / baseline 200/s: {ratio(after.ok_per_second, baseline.ok_per_second):.3f}; "
        f"SIGTERM under load stopped the server in "
        + (f"{stopped:.2f} s" if stopped is not None else "NOT within 60 s")
        + f" (graceful timeout {graceful} s)"
    )
    ok = (
        other_5xx == 0
        and recovered < RECOVERY_LIMIT
        and stuck == 0
        and stopped is not None
        and stopped <= graceful + 5
        and baseline.statuses[200] == baseline.answered
    )
    return {
        "ok": ok,
        "clients": args.clients,
        "sustainable": args.sustainable,
        "times_baseline": round(args.clients / args.sustainable, 1),
        "seconds": args.seconds,
        "patience": args.patience,
        "baseline_ok_per_s": round(baseline.ok_per_second, 1),
        "burst_ok_per_s": round(burst.ok_per_second, 1),
        "after_ok_per_s": round(after.ok_per_second, 1),
        "burst_over_baseline": round(ratio(burst.ok_per_second, baseline.ok_per_second), 3),
        "after_over_baseline": round(ratio(after.ok_per_second, baseline.ok_per_second), 3),
        "burst_statuses": dict(sorted(burst.statuses.items())),
        "burst_gave_up": burst.gave_up,
        "burst_dropped": burst.dropped,
        "other_5xx": other_5xx,
        "healthz_failed_during_burst": probes.failed,
        "healthz_p99_ms_alone": round(health_p99_alone * 1000, 1),
        "healthz_p99_ms_burst": round(health_p99_burst * 1000, 1),
        "first_200_s": round(first_200, 2) if first_200 < RECOVERY_LIMIT else None,
        "recovery_s": round(recovered, 2) if recovered < RECOVERY_LIMIT else None,
        "recovery_target_met": recovered <= RECOVERY_TARGET,
        "pool_just_after": states_recovered,
        "pool_quiet": states_quiet,
        "stuck_in_transaction": stuck,
        "sigterm_stop_s": None if stopped is None else round(stopped, 2),
        "graceful_timeout_s": graceful,
        "baseline_p50_ms": round(baseline_p50 * 1000, 1),
        "cpu_count": os.cpu_count(),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0] if __doc__ else "")
    parser.add_argument("--clients", type=int, default=400, help="clients in the burst")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the burst")
    parser.add_argument(
        "--patience", type=float, default=5.0, help="seconds a client waits before giving up"
    )
    parser.add_argument(
        "--sustainable",
        type=int,
        default=get_settings().concurrent_requests(),
        help="clients of the baseline and after runs (default: the server's concurrent requests)",
    )
    parser.add_argument("--baseline-seconds", type=float, default=15.0)
    parser.add_argument("--after-seconds", type=float, default=10.0)
    parser.add_argument(
        "--stop-database", action="store_true", help="stop the embedded PostgreSQL at the end"
    )
    args = parser.parse_args(argv)
    if min(args.clients, args.sustainable) < 1 or min(args.seconds, args.patience) <= 0:
        parser.error("--clients and --sustainable must be >= 1, --seconds and --patience > 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="simpul-bench-overload-") as tmp:
        data_dir = Path(tmp)
        os.environ["SIMPUL_SECRET_KEY"] = BENCH_SECRET
        os.environ["SIMPUL_DATA_DIR"] = str(data_dir)
        try:
            url = recreate_database(server_url(), BENCH_DATABASE)
            migrate_and_seed_demo(url)
            with server_process(
                url, secret_key=BENCH_SECRET, data_dir=data_dir, timeout=SERVER_START_TIMEOUT
            ) as server:
                load_average = ", ".join(f"{x:.2f}" for x in os.getloadavg())
                print(
                    f"simpul serve at {server.base_url} (one worker); {os.cpu_count()} CPUs, "
                    f"load average {load_average}"
                )
                with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                    result = runner.run(bench(args, server, url))
        finally:
            if args.stop_database and not os.environ.get("SIMPUL_BENCH_DATABASE_URL"):
                stop_embedded_server(BENCH_PGDATA)
    print(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
