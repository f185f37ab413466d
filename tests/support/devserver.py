"""A throwaway Simpul for the browser tests and the benchmarks: a fresh database with the demo
region, and a real ``simpul serve`` in a subprocess on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import psycopg
from psycopg import sql
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from simpul.core.database import sqlalchemy_url
from simpul.core.embedded import with_database
from simpul.core.migrate import upgrade_to_head
from simpul.demo.seed import DemoReport, seed_demo
from simpul.wiring import subscribe_all


def libpq_url(url: str) -> str:
    """The URL as libpq (psycopg) reads it, whatever SQLAlchemy driver it names."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def recreate_database(server_url: str, name: str) -> str:
    """Drop and create database ``name`` on the server of ``server_url``; return its URL."""
    with psycopg.connect(libpq_url(server_url), autocommit=True) as conn:
        database = sql.Identifier(name)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(database))
    return with_database(server_url, name)


def migrate_and_seed_demo(url: str, data_dir: Path | None = None) -> DemoReport:
    """Migrate to head and seed the demo region Kota Bandung, committed (with ``data_dir``,
    its officers sign documents with a demo PKI kept there)."""
    upgrade_to_head(sqlalchemy_url(url))
    subscribe_all()  # the seed approves applications: their events need their subscribers
    engine = create_engine(sqlalchemy_url(url))
    try:
        with Session(engine, expire_on_commit=False) as session, session.begin():
            return seed_demo(session, None, data_dir)
    finally:
        engine.dispose()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_healthy(
    base_url: str, server: subprocess.Popen[bytes], log: Path, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            output = log.read_text()
            raise RuntimeError(f"{server.args!r} exited with {server.returncode}:\n{output}")
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except urllib.error.HTTPError as error:
            error.close()  # listening, but not healthy yet
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass  # not listening yet
        time.sleep(0.2)
    raise RuntimeError(f"{server.args!r} not healthy after {timeout:.0f} s:\n{log.read_text()}")


@dataclass(frozen=True)
class ServerProcess:
    """A running ``simpul serve``: where it listens, its process and its output file."""

    base_url: str
    process: subprocess.Popen[bytes]
    log: Path


@contextmanager
def server_process(
    database_url: str,
    *,
    secret_key: str,
    data_dir: Path,
    workers: int = 1,
    timeout: float = 30.0,
    program: Literal["serve", "gateway"] = "serve",
    env: Mapping[str, str] | None = None,
    port: int | None = None,
) -> Iterator[ServerProcess]:
    """Run ``simpul serve`` (or ``simpul gateway``) against ``database_url`` until the block ends.

    ``secret_key`` must be the one the data was written with (it decrypts stored NIKs). The
    block may kill the process itself (a crash test); otherwise it is stopped when it ends.
    Output goes to ``data_dir/{program}-{port}.log``, so several servers may share ``data_dir``
    one after the other. ``port``: listen there (e.g. to set ``SIMPUL_PUBLIC_URL`` to it), else
    a free one. Raises ``RuntimeError`` with that output when the server does not
    become healthy.
    """
    port = port or free_port()
    log = data_dir / f"{program}-{port}.log"
    environment = {
        **os.environ,
        **(env or {}),
        "SIMPUL_DATABASE_URL": database_url,
        "SIMPUL_DEBUG": "1",
        "SIMPUL_SECRET_KEY": secret_key,
        "SIMPUL_DATA_DIR": str(data_dir),
    }
    simpul = Path(sys.executable).parent / "simpul"
    command = [str(simpul), program, "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(workers)]
    with log.open("wb") as output:
        server = subprocess.Popen(command, env=environment, stdout=output, stderr=subprocess.STDOUT)
    try:
        base_url = f"http://127.0.0.1:{port}"
        _wait_until_healthy(base_url, server, log, timeout)
        yield ServerProcess(base_url, server, log)
    finally:
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


@contextmanager
def running_server(
    database_url: str, *, secret_key: str, data_dir: Path, timeout: float = 30.0
) -> Iterator[str]:
    """``server_process`` with one worker, yielding only its base URL."""
    with server_process(
        database_url, secret_key=secret_key, data_dir=data_dir, timeout=timeout
    ) as server:
        yield server.base_url
