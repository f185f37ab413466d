"""Worker processes of ``simpul serve --workers N`` that share the connections evenly.

uvicorn's own supervisor binds one listening socket and hands it to every worker: they all
wait on the same accept queue, and whichever worker is idle when a connection arrives takes
it. Under load the busiest worker keeps winning (it is the one awake), so kept-alive
connections, which stay with the worker that accepted them, pile up on one process (about 95 %
of them on one of two workers, measured with ``bench/submissions.py``).

Here every worker binds a listening socket of its own on the same address with
``SO_REUSEPORT`` (Linux >= 3.9): the kernel then spreads new connections over the workers'
sockets by a hash of the connection's addresses, whatever the workers are doing. The
supervisor listens on nothing; it only holds the address bound (``SO_REUSEPORT``, not
listening, so it gets no connection) so that no other program takes the port while a worker
restarts. Only processes of the same user can join such a group of sockets.

The supervisor starts the workers (``spawn``, a fresh interpreter each, as uvicorn does),
replaces one that dies, stops all with SIGTERM (each finishes its requests within uvicorn's
graceful timeout) on SIGTERM, SIGINT or SIGHUP, and gives up when a worker fails to start
(uvicorn's exit status 3: the app or the socket is broken and would fail again).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import signal
import socket
import threading
import time
from multiprocessing.context import SpawnProcess
from types import FrameType

from uvicorn.config import STARTUP_FAILURE, Config
from uvicorn.server import Server

log = logging.getLogger("uvicorn.error")

#: A worker that dies this soon after it started counts as a failed start.
EARLY_DEATH_SECONDS = 10.0
#: Failed starts in a row after which the supervisor stops.
MAX_FAILED_STARTS = 3


def reuse_port_available() -> bool:
    return hasattr(socket, "SO_REUSEPORT")


def reuse_port_socket(host: str, port: int, *, listen_backlog: int | None) -> socket.socket:
    """A TCP socket bound to ``host:port`` with ``SO_REUSEPORT``, listening when a backlog is
    given (a worker's) and merely bound otherwise (the supervisor's placeholder)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        if listen_backlog is not None:
            sock.listen(listen_backlog)
            sock.setblocking(False)  # noqa: FBT003 - the socket module's own signature
    except BaseException:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _worker_main(config: Config, host: str, port: int) -> None:  # pragma: no cover - a child
    """One worker: its own listening socket in the group, then uvicorn's server on it."""
    config.configure_logging()
    sock = reuse_port_socket(host, port, listen_backlog=config.backlog)
    with contextlib.suppress(KeyboardInterrupt):  # the supervisor stops us: no traceback
        Server(config).run(sockets=[sock])


class ReusePortSupervisor:
    """Runs ``workers`` uvicorn servers, each on its own ``SO_REUSEPORT`` socket."""

    def __init__(self, config: Config, workers: int) -> None:
        self.config = config
        self.workers = workers
        self.host = config.host
        self.port = config.port
        self._stop = threading.Event()
        self._spawn = multiprocessing.get_context("spawn")
        self._processes: list[SpawnProcess] = []
        self._started_at: dict[int, float] = {}

    def _start(self) -> SpawnProcess:
        process = self._spawn.Process(
            target=_worker_main, args=(self.config, self.host, self.port), daemon=False
        )
        process.start()
        assert process.pid is not None
        self._started_at[process.pid] = time.monotonic()
        log.info("Started worker process [%d]", process.pid)
        return process

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self._stop.set()

    def run(self) -> int:
        """Serve until told to stop; the exit status (0, or 1 when workers cannot start)."""
        placeholder = reuse_port_socket(self.host, self.port, listen_backlog=None)
        self.port = placeholder.getsockname()[1]  # port 0: the one the system chose
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, self._on_signal)
        log.info(
            "Simpul serving on http://%s:%d with %d worker processes (SO_REUSEPORT)",
            self.host,
            self.port,
            self.workers,
        )
        status = 0
        failed_starts = 0
        try:
            self._processes = [self._start() for _ in range(self.workers)]
            while not self._stop.wait(0.5):
                for index, process in enumerate(self._processes):
                    if process.is_alive():
                        continue
                    process.join()
                    assert process.pid is not None
                    lived = time.monotonic() - self._started_at.pop(process.pid, 0.0)
                    early = process.exitcode == STARTUP_FAILURE or lived < EARLY_DEATH_SECONDS
                    failed_starts = failed_starts + 1 if early else 0
                    log.error(
                        "Worker process [%d] ended (exit status %s) after %.1f s",
                        process.pid,
                        process.exitcode,
                        lived,
                    )
                    if process.exitcode == STARTUP_FAILURE or failed_starts >= MAX_FAILED_STARTS:
                        log.error("Workers cannot start: stopping")
                        status = 1
                        self._stop.set()
                        break
                    self._processes[index] = self._start()
        finally:
            self._stop_all()
            placeholder.close()
        return status

    def _stop_all(self) -> None:
        for process in self._processes:
            if process.is_alive() and process.pid is not None:
                process.terminate()  # SIGTERM: uvicorn finishes what it is answering
        grace = (self.config.timeout_graceful_shutdown or 0) + 5.0
        deadline = time.monotonic() + grace
        for process in self._processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                log.warning("Worker process [%d] did not stop in time: killed", process.pid)
                process.kill()
                process.join()
