"""``simpul serve --workers N`` spreads kept-alive connections over its workers.

A real ``simpul serve --workers 3`` on loopback; many kept-alive connections, each answered once
(``GET /healthz``) and left open. Which worker holds each connection is read from the kernel,
not asked of the server: the connection's server-side socket (``/proc/net/tcp``, by its
addresses) and the worker whose file descriptors include that socket (``/proc/PID/fd``).

With one shared listening socket (uvicorn's supervisor) nearly all of them landed on one
worker; with a ``SO_REUSEPORT`` socket per worker the kernel hashes them over the three. With 60
connections and three workers, a worker left without any by chance has a probability of about
1e-10, so the test is as good as deterministic.

Then one worker is killed with SIGKILL: the supervisor starts another, and the port answers
throughout.
"""

from __future__ import annotations

import http.client
import os
import signal
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import TEST_SECRET
from tests.support.devserver import server_process

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads /proc; SO_REUSEPORT as Linux has it"
)

WORKERS = 3
CONNECTIONS = 60
START_TIMEOUT = 120.0
ANSWERED = {200, 503}  # three fresh interpreters importing the app on a shared 2-core machine


def children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rpartition(")")[2].split()[1]) == pid:
            found.add(int(entry.name))
    return found


def socket_inodes(pid: int) -> set[int]:
    """Inodes of the sockets process ``pid`` holds open."""
    inodes = set()
    fd_dir = Path(f"/proc/{pid}/fd")
    try:
        entries = list(fd_dir.iterdir())
    except OSError:
        return inodes
    for fd in entries:
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    return inodes


def server_side_inodes(server_port: int) -> dict[int, int]:
    """Established loopback connections to ``server_port``: client port -> server socket inode."""
    found: dict[int, int] = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, state, inode = fields[1], fields[2], fields[3], int(fields[9])
        if state == "01" and int(local.split(":")[1], 16) == server_port:
            found[int(remote.split(":")[1], 16)] = inode
    return found


def worker_of_each_connection(
    supervisor: int, server_port: int, connections: list[http.client.HTTPConnection]
) -> list[int | None]:
    by_inode = {inode: worker for worker in children(supervisor) for inode in socket_inodes(worker)}
    inodes = server_side_inodes(server_port)
    owners: list[int | None] = []
    for conn in connections:
        assert conn.sock is not None
        client_port = conn.sock.getsockname()[1]
        inode = inodes.get(client_port)
        owners.append(by_inode.get(inode) if inode is not None else None)
    return owners


def listening_workers(supervisor: int, server_port: int) -> set[int]:
    """Children of the supervisor holding a listening socket on ``server_port``."""
    listening = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "0A" and int(fields[1].split(":")[1], 16) == server_port:
            listening.add(int(fields[9]))
    return {worker for worker in children(supervisor) if socket_inodes(worker) & listening}


def healthz(conn: http.client.HTTPConnection) -> int:
    conn.request("GET", "/healthz")
    response = conn.getresponse()
    response.read()
    return response.status


def wait_for(condition: object, timeout: float) -> None:
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_kept_alive_connections_spread_over_the_workers(database_url: str, tmp_path: Path) -> None:
    with server_process(
        database_url,
        secret_key=TEST_SECRET,
        data_dir=tmp_path,
        workers=WORKERS,
        timeout=START_TIMEOUT,
    ) as server:
        supervisor = server.process.pid
        port = int(server.base_url.rsplit(":", 1)[1])
        # The first worker may answer the health check before the others listen.
        wait_for(lambda: len(listening_workers(supervisor, port)) == WORKERS, START_TIMEOUT)
        workers = listening_workers(supervisor, port)

        connections = [
            http.client.HTTPConnection("127.0.0.1", port, timeout=30) for _ in range(CONNECTIONS)
        ]
        try:
            # Answered: 200, or 503 from a worker whose first database ping is still under
            # way on a busy machine (core.database.DatabaseProbe); which worker answers is
            # what counts here.
            statuses = [healthz(conn) for conn in connections]
            assert set(statuses) <= ANSWERED, statuses
            owners = worker_of_each_connection(supervisor, port, connections)
            # Each kept-alive connection answered again on the same connection.
            assert {healthz(conn) for conn in connections} <= ANSWERED
        finally:
            for conn in connections:
                conn.close()

        assert None not in owners, owners
        counts = Counter(owners)
        assert set(counts) == workers, counts  # every worker holds some
        assert max(counts.values()) < 0.8 * CONNECTIONS, counts  # and none nearly all

        victim = next(iter(workers))
        os.kill(victim, signal.SIGKILL)
        wait_for(
            lambda: len(listening_workers(supervisor, port) - {victim}) == WORKERS,
            START_TIMEOUT,
        )

        def healthy() -> bool:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                return healthz(conn) == 200
            finally:
                conn.close()

        wait_for(healthy, START_TIMEOUT)
        assert server.process.poll() is None  # the supervisor itself keeps running
