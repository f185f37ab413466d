"""Cluster bench: a city's multi-host topology on one machine, in network namespaces, with
failover under load.

Every host is a Linux network namespace (``ip netns add``) with its own address on one bridge
(``smpbr0``, 198.18.14.0/24: the range RFC 2544 sets aside for benchmarks; no route leaves
the bridge). The bench process stays in the root namespace (198.18.14.1), drives the load and
runs the SMTP server the workers send to (aiosmtpd, the real server the notify tests use)::

    lb     haproxy: :8000 -> web1, web2 (simpul serve); :8080 -> gw1, gw2 (simpul gateway)
    web1/2 simpul serve           gw1/2  simpul gateway (rate limits in Redis)
    wk1/2  simpul worker          prov   the provider behind the gateway (fixed JSON)
    pool   pgbouncer (session pooling) -> db1, repointed to db2 at failover
    db1    PostgreSQL 15 primary (synchronous_standby_names = db2, decision 0040)
    db2    PostgreSQL 15 streaming replica (pg_basebackup -R), promoted with pg_ctl promote
    cache  Redis (the gateways' shared rate limits)

Load (bounded in rate and time): citizens submit applications through haproxy (Registration
API, with Idempotency-Key; a submission not acknowledged is sent again with the same key until
it is, as a client would, for up to 60 s); an app calls a service through the gateway; a
second app, with a limit of ``--limit`` calls a minute, calls faster than its limit. During
the load it SIGKILLs every process of one host of each kind, in turn: web1, gw1, wk1, then db1
(the primary); the failover (as a failover manager would: two failed health checks 0.5 s apart, then
``pg_ctl promote`` on db2 and pgbouncer repointed and reloaded) is the bench's. Processes that
exit on their own are restarted after a second, as systemd's ``Restart=always`` would (counted
as ``restarts``); killed hosts stay down.

Then it checks and prints: every acknowledged submission is stored (each answered ``fileId`` is
a row of ``application`` on the promoted primary), none twice (one row per Idempotency-Key);
every gateway call answered 2xx is in the message log (its ``X-Request-Id``) and ``simpul
audit verify`` passes; every e-mail
notification of an acknowledged submission reached the SMTP server at least once (duplicates
counted); the limited app got at most its bucket (``limit`` + ``limit``/60 per second) through
both gateways together; and for each kill the time until the service was whole again.
Its last line is one JSON object. Exits 1 when a check fails.

Run it as root from the repository root (``make cluster``)::

    .venv/bin/python -m bench.cluster [--seconds S] [--rate R] [--gateway-rate G]
                                      [--limited-rate L] [--limit N] [--citizens C]
                                      [--drain S] [--asynchronous] [--keep]

The kills come at 1/5, 2/5, 3/5 and 4/5 of ``--seconds``. ``--asynchronous`` leaves the
replica asynchronous (not what decision 0040 chose), to see what a promotion loses then.

haproxy and pgbouncer are installed from Debian's packages when missing (root). Everything
runs from a temporary directory; the namespaces, the bridge and every process are removed at
the end (``--keep`` keeps the directory with the logs).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

ROOT = Path(__file__).resolve().parent.parent
PG_BIN: Final = Path("/usr/lib/postgresql/15/bin")
BRIDGE: Final = "smpbr0"
SUBNET: Final = "198.18.14"  # RFC 2544's benchmarking range: nothing else lives there
BENCH_ADDRESS: Final = f"{SUBNET}.1"  # the bridge itself: the bench process, the SMTP server
NS_PREFIX: Final = "smp-"
SMTP_PORT: Final = 2525
DATABASE: Final = "simpul"
SECRET: Final = "cluster-bench-secret-not-for-production-0123456789"
GATEWAY_REGION: Final = "kota-cluster-gw"
AGENCY: Final = "diskominfo-cluster"
PROVIDER_APP: Final = "sidata-cluster"
BULK_APP: Final = "portal-cluster"
LIMITED_APP: Final = "dashboard-cluster"
SERVICE_CODE: Final = "sampel"
BULK_LIMIT: Final = 600_000  # never reached
SERVICE_PATH: Final = "/data"
SERVICE_OPENAPI: Final = json.dumps(
    {
        "openapi": "3.0.3",
        "info": {"title": "Data uji klaster", "version": "1.0"},
        "paths": {
            SERVICE_PATH: {
                "get": {
                    "summary": "Jawaban JSON tetap",
                    "responses": {"200": {"description": "Data"}},
                }
            }
        },
    }
)
REQUEST_TIMEOUT: Final = 10.0
#: Redis asks for a password (``requirepass``): its port is open to the whole network.
REDIS_PASSWORD: Final = "cluster-bench-redis-password"


@dataclass(frozen=True)
class Host:
    """One machine of the city's deployment: a network namespace with one address."""

    name: str
    octet: int
    role: str
    port: int

    @property
    def namespace(self) -> str:
        return NS_PREFIX + self.name

    @property
    def address(self) -> str:
        return f"{SUBNET}.{self.octet}"


#: The topology: what a city runs (docs/operations.md), one host per line.
HOSTS: Final = (
    Host("lb", 10, "haproxy", 8000),  # and 8080 for the gateway
    Host("web1", 11, "serve", 8000),
    Host("web2", 12, "serve", 8000),
    Host("gw1", 13, "gateway", 8080),
    Host("gw2", 14, "gateway", 8080),
    Host("wk1", 15, "worker", 0),
    Host("wk2", 16, "worker", 0),
    Host("pool", 20, "pgbouncer", 6432),
    Host("db1", 21, "primary", 5815),
    Host("db2", 22, "replica", 5815),
    Host("cache", 23, "redis", 6379),
    Host("prov", 24, "provider", 9000),
)
LB_GATEWAY_PORT: Final = 8080
#: How many hosts of each role the run needs (it kills one of the doubled ones).
ROLES: Final = {
    "haproxy": 1,
    "serve": 2,
    "gateway": 2,
    "worker": 2,
    "pgbouncer": 1,
    "primary": 1,
    "replica": 1,
    "redis": 1,
    "provider": 1,
}


def host(name: str) -> Host:
    return next(h for h in HOSTS if h.name == name)


def hosts_of(role: str) -> list[Host]:
    return [h for h in HOSTS if h.role == role]


def topology_problems(hosts: Sequence[Host]) -> list[str]:
    """What is wrong with a topology (empty when it is well-formed)."""
    problems: list[str] = []
    names = [h.name for h in hosts]
    octets = [h.octet for h in hosts]
    if len(set(names)) != len(names):
        problems.append("two hosts share a name")
    if len(set(octets)) != len(octets):
        problems.append("two hosts share an address")
    for h in hosts:
        if not 2 <= h.octet <= 254:
            problems.append(f"{h.name}: address {h.address} is not a host of {SUBNET}.0/24")
        if len(h.namespace) > 15:  # the host-side veth is named after the namespace
            problems.append(f"{h.name}: {h.namespace} is longer than an interface name may be")
        if not re.fullmatch(r"[a-z][a-z0-9]*", h.name):
            problems.append(f"{h.name}: a host name is lower-case letters and digits")
    for role, count in ROLES.items():
        found = sum(1 for h in hosts if h.role == role)
        if found != count:
            problems.append(f"{count} host(s) of role {role} needed, {found} found")
    unknown = {h.role for h in hosts} - set(ROLES)
    if unknown:
        problems.append(f"unknown roles: {', '.join(sorted(unknown))}")
    return problems


# -- configuration files --------------------------------------------------------------------


def haproxy_config(hosts: Sequence[Host]) -> str:
    """haproxy in front of the serve and gateway hosts: health checks every 500 ms, a host
    down after two failures; a request whose connection failed is sent to the other host."""
    lb = next(h for h in hosts if h.role == "haproxy")

    def servers(role: str) -> str:
        return "\n".join(
            f"    server {h.name} {h.address}:{h.port} check inter 500ms fall 2 rise 2"
            for h in hosts
            if h.role == role
        )

    return f"""\
global
    maxconn 2000
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    retries 3
    option redispatch
    retry-on conn-failure
frontend web
    bind {lb.address}:{lb.port}
    default_backend serve
frontend gateway
    bind {lb.address}:{LB_GATEWAY_PORT}
    default_backend gateway
backend serve
    balance roundrobin
    option forwardfor
    option httpchk GET /healthz
{servers("serve")}
backend gateway
    balance roundrobin
    option httpchk GET /healthz
{servers("gateway")}
"""


def pgbouncer_config(hosts: Sequence[Host], target: Host, directory: Path) -> str:
    """pgbouncer in session mode (LISTEN/NOTIFY and server-side prepared statements need it)
    pointing at ``target``, the primary of the moment."""
    pool = next(h for h in hosts if h.role == "pgbouncer")
    return f"""\
[databases]
{DATABASE} = host={target.address} port={target.port} dbname={DATABASE}
[pgbouncer]
listen_addr = {pool.address}
listen_port = {pool.port}
unix_socket_dir =
auth_type = trust
auth_file = {directory}/userlist.txt
pool_mode = session
max_client_conn = 1000
default_pool_size = 200
ignore_startup_parameters = extra_float_digits,options
server_connect_timeout = 2
server_login_retry = 1
logfile = {directory}/pgbouncer.log
pidfile = {directory}/pgbouncer.pid
"""


POSTGRES_CONF: Final = """\
wal_level = replica
max_wal_senders = 5
hot_standby = on
max_connections = 300
shared_buffers = 128MB
fsync = on
synchronous_commit = on
wal_keep_size = 256MB
log_min_messages = warning
"""


# -- processes in namespaces ----------------------------------------------------------------


def run(
    command: Sequence[str], *, check: bool = True, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(command), check=check, text=True, capture_output=True, **kwargs)


def in_ns(h: Host, command: Sequence[str]) -> list[str]:
    return ["ip", "netns", "exec", h.namespace, *command]


def as_postgres(command: Sequence[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command]


def namespace_pids(h: Host) -> list[int]:
    done = run(["ip", "netns", "pids", h.namespace], check=False)
    return [int(p) for p in done.stdout.split()]


def host_memory() -> dict[str, float]:
    """Resident memory (MiB) of every process of each host still up, added up."""
    memory: dict[str, float] = {}
    for h in HOSTS:
        kib = 0
        for pid in namespace_pids(h):
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
            kib += int(found.group(1)) if found else 0
        if kib:
            memory[h.name] = round(kib / 1024, 1)
    return memory


def kill_host(h: Host) -> int:
    """SIGKILL every process of the host (the machine is lost); how many there were."""
    pids = namespace_pids(h)
    for pid in pids:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return len(pids)


def network_down() -> None:
    for h in HOSTS:
        if h.namespace in run(["ip", "netns", "list"], check=False).stdout:
            kill_host(h)
            time.sleep(0.05)
            run(["ip", "netns", "del", h.namespace], check=False)
    run(["ip", "link", "del", BRIDGE], check=False)


def network_up() -> None:
    network_down()  # what a previous run left
    run(["ip", "link", "add", BRIDGE, "type", "bridge"])
    run(["ip", "addr", "add", f"{BENCH_ADDRESS}/24", "dev", BRIDGE])
    run(["ip", "link", "set", BRIDGE, "up"])
    for h in HOSTS:
        run(["ip", "netns", "add", h.namespace])
        peer = ["peer", "name", "eth0", "netns", h.namespace]
        run(["ip", "link", "add", h.namespace, "type", "veth", *peer])
        run(["ip", "link", "set", h.namespace, "master", BRIDGE, "up"])
        run(["ip", "-n", h.namespace, "addr", "add", f"{h.address}/24", "dev", "eth0"])
        run(["ip", "-n", h.namespace, "link", "set", "eth0", "up"])
        run(["ip", "-n", h.namespace, "link", "set", "lo", "up"])


@dataclass
class Managed:
    """A long-running process on a host, restarted when it exits (unless its host was killed)."""

    name: str
    host: Host
    command: list[str]
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    lost: bool = False  # its host was killed: not restarted

    def start(self) -> None:
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                in_ns(self.host, self.command),
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def exited(self) -> bool:
        return self.process is not None and self.process.poll() is not None


def wait_tcp(address: str, port: int, timeout: float, what: str) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((address, port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} not listening on {address}:{port} after {timeout:.0f} s")


def wait_healthy(url: str, timeout: float, what: str) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} not healthy at {url} after {timeout:.0f} s")


def find_tool(name: str) -> str | None:
    return shutil.which(name) or next(
        (str(p) for d in ("/usr/sbin", "/usr/bin") if (p := Path(d) / name).is_file()), None
    )


def ensure_tools() -> None:
    missing = [name for name in ("haproxy", "pgbouncer") if find_tool(name) is None]
    if not (PG_BIN / "initdb").is_file():
        missing.append("postgresql-15")
    if find_tool("redis-server") is None:
        missing.append("redis-server")
    if not missing:
        return
    if os.geteuid() != 0:
        sys.exit(f"missing: {', '.join(missing)}; run as root (apt-get install them)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    command = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing]
    print("  $ " + " ".join(command))
    if subprocess.run(command, env=env, check=False).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, check=False)
        subprocess.run(command, env=env, check=True)


# -- the cluster ----------------------------------------------------------------------------


@dataclass
class Cluster:
    workdir: Path
    managed: dict[str, Managed] = field(default_factory=dict)
    primary: Host = field(default_factory=lambda: host("db1"))
    #: False: asynchronous streaming replication, to see what a promotion loses without it.
    synchronous: bool = True

    @property
    def pool_url(self) -> str:
        pool = hosts_of("pgbouncer")[0]
        return f"postgresql://postgres@{pool.address}:{pool.port}/{DATABASE}"

    def direct_url(self, h: Host) -> str:
        return f"postgresql://postgres@{h.address}:{h.port}/{DATABASE}"

    def pgdata(self, h: Host) -> Path:
        return self.workdir / h.name / "pgdata"

    def pg_ctl(self, h: Host, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(PG_BIN / "pg_ctl"), "-D", str(self.pgdata(h)), *args]
        return run(in_ns(h, as_postgres(command)))

    def start_postgres(self, h: Host, extra: str = "") -> None:
        options = f"-c listen_addresses={h.address} -c port={h.port} -c cluster_name={h.name}"
        options += f" -c unix_socket_directories={self.workdir / h.name} {extra}"
        log = self.workdir / h.name / "postgres.log"
        self.pg_ctl(h, "-l", str(log), "-o", options, "-w", "-t", "60", "start")

    def databases(self) -> None:
        primary, replica = host("db1"), host("db2")
        for h in (primary, replica):
            (self.workdir / h.name).mkdir()
            shutil.chown(self.workdir / h.name, "postgres", "postgres")
        initdb = [str(PG_BIN / "initdb"), "-D", str(self.pgdata(primary)), "-U", "postgres"]
        initdb += ["--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]
        run(as_postgres(initdb))
        with (self.pgdata(primary) / "postgresql.conf").open("a") as conf:
            conf.write(POSTGRES_CONF)
        with (self.pgdata(primary) / "pg_hba.conf").open("a") as hba:
            hba.write(f"host all all {SUBNET}.0/24 trust\n")
            hba.write(f"host replication all {SUBNET}.0/24 trust\n")
        self.start_postgres(primary)
        run(
            in_ns(
                primary,
                as_postgres(
                    [
                        str(PG_BIN / "createdb"),
                        "-h",
                        primary.address,
                        "-p",
                        str(primary.port),
                        DATABASE,
                    ]
                ),
            )
        )
        backup = [str(PG_BIN / "pg_basebackup"), "-h", primary.address, "-p", str(primary.port)]
        backup += ["-U", "postgres", "-D", str(self.pgdata(replica)), "-R", "-X", "stream"]
        backup += ["--checkpoint=fast"]
        run(in_ns(replica, as_postgres(backup)))
        self.start_postgres(replica)
        # Synchronous once the replica is there, in the primary's postgresql.auto.conf only:
        # the replica, once promoted, has no standby of its own and must not wait for one
        # (decision 0040).
        psql = [
            str(PG_BIN / "psql"),
            "-h",
            primary.address,
            "-p",
            str(primary.port),
            "-d",
            DATABASE,
        ]
        wanted = "sync" if self.synchronous else "async"
        names = replica.name if self.synchronous else ""
        for statement in (
            f"ALTER SYSTEM SET synchronous_standby_names = '{names}'",
            "SELECT pg_reload_conf()",
        ):
            run(in_ns(primary, as_postgres([*psql, "-c", statement])))
        query = "SELECT sync_state FROM pg_stat_replication"
        deadline = time.monotonic() + 30
        while run(in_ns(primary, as_postgres([*psql, "-Atc", query]))).stdout.strip() != wanted:
            if time.monotonic() > deadline:
                raise RuntimeError(f"db2 is not streaming ({wanted})")
            time.sleep(0.2)

    def add(self, name: str, h: Host, command: list[str], env: dict[str, str]) -> Managed:
        process = Managed(name, h, command, env, self.workdir / f"{name}.log")
        process.start()
        self.managed[name] = process
        return process

    def pgbouncer(self) -> None:
        directory = self.workdir / "pool"
        directory.mkdir()
        (directory / "userlist.txt").write_text('"postgres" ""\n')
        (directory / "pgbouncer.ini").write_text(pgbouncer_config(HOSTS, self.primary, directory))
        shutil.chown(directory, "postgres", "postgres")
        for path in directory.iterdir():
            shutil.chown(path, "postgres", "postgres")
        pool = hosts_of("pgbouncer")[0]
        command = as_postgres(
            [find_tool("pgbouncer") or "pgbouncer", str(directory / "pgbouncer.ini")]
        )
        self.add("pgbouncer", pool, command, dict(os.environ))
        wait_tcp(pool.address, pool.port, 20, "pgbouncer")

    def repoint_pgbouncer(self, target: Host) -> None:
        directory = self.workdir / "pool"
        (directory / "pgbouncer.ini").write_text(pgbouncer_config(HOSTS, target, directory))
        # RELOAD (its pid from its pidfile: runuser is the process we started)
        pid = int((directory / "pgbouncer.pid").read_text().split()[0])
        os.kill(pid, signal.SIGHUP)  # new server connections go to target
        self.primary = target

    def simpul_env(self) -> dict[str, str]:
        cache = hosts_of("redis")[0]
        return {
            **os.environ,
            "SIMPUL_DATABASE_URL": self.pool_url,
            "SIMPUL_SECRET_KEY": SECRET,
            "SIMPUL_DATA_DIR": str(self.workdir / "data"),  # uploads: one disk for both hosts
            "SIMPUL_DEBUG": "1",
            "SIMPUL_REDIS_URL": f"redis://:{REDIS_PASSWORD}@{cache.address}:{cache.port}/0",
            "SIMPUL_SMTP_HOST": BENCH_ADDRESS,
            "SIMPUL_SMTP_PORT": str(SMTP_PORT),
            "SIMPUL_PUBLIC_URL": f"http://{hosts_of('haproxy')[0].address}:8000",
            "SIMPUL_DB_POOL_SIZE": "5",
            "SIMPUL_DB_MAX_OVERFLOW": "5",
            "SIMPUL_NOTIFY_LEASE_SECONDS": "10",
            "SIMPUL_NOTIFY_POLL_SECONDS": "1",
            "SIMPUL_NOTIFY_RETRY_BASE_SECONDS": "1",
            "SIMPUL_NOTIFY_RETRY_MAX_SECONDS": "5",
            "SIMPUL_NOTIFY_MAX_ATTEMPTS": "50",
            "SIMPUL_UPLOAD_RATE_PER_ACCOUNT": "1000000",
            "SIMPUL_UPLOAD_RATE_PER_ADDRESS": "1000000",
            "SIMPUL_GATEWAY_REFRESH_SECONDS": "2",
            # The client's address from haproxy's X-Forwarded-For (docs/operations.md).
            "FORWARDED_ALLOW_IPS": hosts_of("haproxy")[0].address,
        }

    def services(self) -> None:
        simpul = str(Path(sys.executable).parent / "simpul")
        env = self.simpul_env()
        cache = hosts_of("redis")[0]
        self.add(
            "redis",
            cache,
            [
                find_tool("redis-server") or "redis-server",
                "--bind",
                cache.address,
                "--port",
                str(cache.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--requirepass",
                REDIS_PASSWORD,
            ],
            env,
        )
        prov = hosts_of("provider")[0]
        self.add(
            "provider",
            prov,
            [
                sys.executable,
                "-m",
                "bench.cluster_upstream",
                "--host",
                prov.address,
                "--port",
                str(prov.port),
            ],
            env,
        )
        for h in hosts_of("serve"):
            self.add(h.name, h, [simpul, "serve", "--host", h.address, "--port", str(h.port)], env)
        for h in hosts_of("gateway"):
            self.add(
                h.name, h, [simpul, "gateway", "--host", h.address, "--port", str(h.port)], env
            )
        for h in hosts_of("worker"):
            self.add(h.name, h, [simpul, "worker"], env)
        config = self.workdir / "haproxy.cfg"
        config.write_text(haproxy_config(HOSTS))
        lb = hosts_of("haproxy")[0]
        self.add("haproxy", lb, [find_tool("haproxy") or "haproxy", "-db", "-f", str(config)], env)
        wait_tcp(cache.address, cache.port, 20, "redis")
        wait_tcp(prov.address, prov.port, 30, "provider")
        for h in hosts_of("serve") + hosts_of("gateway"):
            wait_healthy(f"http://{h.address}:{h.port}/healthz", 90, h.name)
        wait_tcp(lb.address, lb.port, 20, "haproxy")
        wait_healthy(f"http://{lb.address}:{lb.port}/healthz", 30, "haproxy")

    def supervise_once(self) -> list[str]:
        """Restart what exited by itself (systemd's Restart=always); what was restarted."""
        restarted = []
        for process in self.managed.values():
            if process.exited() and not process.lost:
                process.restarts += 1
                process.start()
                restarted.append(process.name)
        return restarted

    def lose(self, h: Host) -> float:
        """Kill host ``h`` (every process, SIGKILL); the moment it happened."""
        for process in self.managed.values():
            if process.host == h:
                process.lost = True
        at = time.monotonic()
        kill_host(h)
        return at

    def stop(self) -> None:
        for process in self.managed.values():
            process.lost = True
            if process.process is not None and process.process.poll() is None:
                process.process.terminate()
        for process in self.managed.values():
            if process.process is not None:
                try:
                    process.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.process.kill()
        for h in (host("db1"), host("db2")):
            if self.pgdata(h).exists():
                self.pg_ctl_quiet(h)

    def pg_ctl_quiet(self, h: Host) -> None:
        command = [str(PG_BIN / "pg_ctl"), "-D", str(self.pgdata(h)), "-m", "immediate", "stop"]
        run(in_ns(h, as_postgres(command)), check=False)


@contextmanager
def cluster(workdir: Path, *, synchronous: bool = True) -> Iterator[Cluster]:
    network_up()
    the_cluster = Cluster(workdir, synchronous=synchronous)
    try:
        yield the_cluster
    finally:
        the_cluster.stop()
        network_down()


# -- data: the demo region, citizens, the gateway's service and its two clients ---------------


@dataclass(frozen=True)
class GatewayFixture:
    region_id: uuid.UUID
    path: str
    bulk: tuple[str, str]  # (client header, key)
    limited: tuple[str, str]


def prepare_gateway(url: str, limit: int) -> GatewayFixture:
    from sqlalchemy.orm import Session

    from simpul.catalogue.models import Agency
    from simpul.core.database import make_engine, sqlalchemy_url
    from simpul.core.regions import create_region
    from simpul.core.settings import get_settings
    from simpul.gateway.registry import service as registry
    from simpul.inventory.service import import_apps, require_valid

    def app_row(code: str, name: str) -> dict[str, str]:
        return {
            "kode": code,
            "nama": name,
            "opd": AGENCY,
            "tujuan": f"Aplikasi untuk uji klaster: {name}.",
            "pengguna": "staff",
            "hosting": "regional_data_centre",
            "status": "operating",
            "area_spbe": "layanan_publik",
            "klasifikasi_data": "internal",
        }

    engine = make_engine(sqlalchemy_url(url), get_settings())
    actor = registry.Actor("cluster-bench")
    prov = hosts_of("provider")[0]
    member = f"{GATEWAY_REGION}/GOV/{AGENCY}"
    clients: dict[str, tuple[str, str]] = {}
    try:
        with Session(engine, expire_on_commit=False) as session, session.begin():
            region = create_region(
                session,
                slug=GATEWAY_REGION,
                name="Kota Uji Klaster",
                kind="kota",
                actor_label="cluster-bench",
            )
            session.add(
                Agency(
                    region_id=region.id,
                    slug=AGENCY,
                    name="Diskominfo (uji klaster)",
                    short_name="Diskominfo",
                    name_en="Communication agency (cluster)",
                )
            )
            session.flush()
            rows = [
                app_row(PROVIDER_APP, "Sistem Data"),
                app_row(BULK_APP, "Portal"),
                app_row(LIMITED_APP, "Dasbor"),
            ]
            report = import_apps(
                session, region, rows, all_or_nothing=True, actor_label="cluster-bench"
            )
            require_valid(report)
            service = registry.register_service(
                session,
                region,
                app_code=PROVIDER_APP,
                code=SERVICE_CODE,
                upstream_url=f"http://{prov.address}:{prov.port}",
                openapi_text=SERVICE_OPENAPI,
                actor=actor,
                title="Data uji klaster",
            )
            for code, per_minute in ((BULK_APP, BULK_LIMIT), (LIMITED_APP, limit)):
                client = registry.register_client(
                    session, region, app_code=code, actor=actor, rate_limit_per_minute=per_minute
                )
                _credential, key = registry.issue_key(session, region, client.id, actor)
                grant = registry.request_grant(
                    session,
                    region,
                    service_id=service.id,
                    client_id=client.id,
                    actor=actor,
                    reason="Uji klaster",
                )
                registry.approve_grant(session, region, grant.id, actor)
                clients[code] = (f"{member}/{code}", key)
            region_id = region.id
    finally:
        engine.dispose()
    return GatewayFixture(
        region_id,
        f"/r1/{member}/{PROVIDER_APP}/{SERVICE_CODE}{SERVICE_PATH}",
        clients[BULK_APP],
        clients[LIMITED_APP],
    )


# -- mail: the SMTP server the workers send to ----------------------------------------------


@dataclass
class Mailbox:
    received: list[tuple[float, str]] = field(default_factory=list)  # (when, delivery id hex)

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
        from email import message_from_bytes

        message = message_from_bytes(envelope.content)
        found = re.search(r"([0-9a-f]{32})", str(message.get("Message-ID", "")))
        self.received.append((time.monotonic(), found.group(1) if found else ""))
        return "250 OK"


# -- the load -------------------------------------------------------------------------------


@dataclass
class Outcome:
    stream: str
    began: float
    ended: float
    ok: bool
    status: int


@dataclass
class Load:
    outcomes: list[Outcome] = field(default_factory=list)
    acknowledged: set[uuid.UUID] = field(default_factory=set)
    acknowledged_at: dict[uuid.UUID, float] = field(default_factory=dict)
    unacknowledged: int = 0  # submissions given up (never acknowledged)
    gateway_answered: set[uuid.UUID] = field(default_factory=set)
    limited_allowed: int = 0
    limited_refused: int = 0
    limited_other: int = 0
    limited_seconds: float = 0.0
    #: Seconds from a submission's first request to its acknowledgement (retries included).
    submit_seconds: list[float] = field(default_factory=list)


async def submissions(
    client: Any, jobs: Sequence[Any], load: Load, *, rate: float, until: float, region: str
) -> None:
    """Send the jobs at ``rate`` a second until ``until``; each until acknowledged."""
    from bench.submissions import CLIENT_IDENTITY

    async def one(job: Any) -> None:
        body = {
            "applicantId": str(job.citizen.id),
            "formData": {"eFormId": str(job.service.id), "data": job.service.data},
            "documentUrls": list(job.document_urls),
        }
        headers = {
            "Authorization": f"Bearer {job.citizen.token}",
            "Idempotency-Key": job.key,
            "Information-Mediator-Client": CLIENT_IDENTITY,
        }
        path = f"/api/{region}/registration/services/{job.service.id}/applications"
        first = time.monotonic()
        give_up = first + 60
        while time.monotonic() < give_up:
            began = time.monotonic()
            status = 0
            try:
                response = await client.post(path, json=body, headers=headers)
                status = response.status_code
                if status == 200:
                    file_id = uuid.UUID(response.json()["fileId"])
                    load.acknowledged.add(file_id)
                    load.acknowledged_at.setdefault(file_id, time.monotonic())
            except Exception:  # noqa: BLE001 - any failure: not acknowledged, send again
                status = 0
            load.outcomes.append(Outcome("web", began, time.monotonic(), status == 200, status))
            if status == 200:
                load.submit_seconds.append(time.monotonic() - first)
                return
            await asyncio.sleep(0.5)
        load.unacknowledged += 1

    tasks: list[asyncio.Task[None]] = []
    start = time.monotonic()
    for n, job in enumerate(jobs):
        at = start + n / rate
        if at >= until:
            break
        await asyncio.sleep(max(0.0, at - time.monotonic()))
        tasks.append(asyncio.create_task(one(job)))
    await asyncio.gather(*tasks)


async def gateway_calls(
    client: Any,
    fixture: GatewayFixture,
    load: Load,
    *,
    rate: float,
    until: float,
    limited: bool,
) -> None:
    """Call the service at ``rate`` a second until ``until`` (as the bulk or the limited app)."""
    header, key = fixture.limited if limited else fixture.bulk
    headers = {"Information-Mediator-Client": header, "X-API-Key": key}

    async def one() -> None:
        began = time.monotonic()
        status = 0
        try:
            response = await client.get(fixture.path, headers=headers)
            status = response.status_code
            if 200 <= status < 300:
                load.gateway_answered.add(uuid.UUID(response.headers["x-request-id"]))
        except Exception:  # noqa: BLE001 - a failed call is counted, not retried
            status = 0
        ok = 200 <= status < 300
        if limited:
            if ok:
                load.limited_allowed += 1
            elif status == 429:
                load.limited_refused += 1
            else:
                load.limited_other += 1
        else:
            load.outcomes.append(Outcome("gateway", began, time.monotonic(), ok, status))

    tasks: list[asyncio.Task[None]] = []
    start = time.monotonic()
    n = 0
    while (at := start + n / rate) < until:
        await asyncio.sleep(max(0.0, at - time.monotonic()))
        tasks.append(asyncio.create_task(one()))
        n += 1
    await asyncio.gather(*tasks)
    if limited:
        load.limited_seconds = time.monotonic() - start


@dataclass
class Kill:
    what: str
    host: str
    at: float
    notes: dict[str, float] = field(default_factory=dict)


async def chaos(the_cluster: Cluster, kills: list[Kill], *, start: float, every: float) -> None:
    """Kill web1, gw1, wk1, then the primary (and fail over to the replica)."""
    for n, (what, name) in enumerate(
        (("serve", "web1"), ("gateway", "gw1"), ("worker", "wk1"), ("primary", "db1"))
    ):
        await asyncio.sleep(max(0.0, start + every * (n + 1) - time.monotonic()))
        h = host(name)
        kill = Kill(what, name, await asyncio.to_thread(the_cluster.lose, h))
        kills.append(kill)
        print(f"  t={kill.at - start:5.1f} s  SIGKILL every process of {name} ({what})")
        if what == "primary":
            await failover(the_cluster, kill)


async def failover(the_cluster: Cluster, kill: Kill) -> None:
    """As a failover manager: two failed checks 0.5 s apart, promote db2, repoint pgbouncer."""
    import psycopg

    old, new = host("db1"), host("db2")
    failures = 0
    while failures < 2:
        await asyncio.sleep(0.5)
        try:
            conn = await psycopg.AsyncConnection.connect(
                the_cluster.direct_url(old), connect_timeout=1
            )
            await conn.close()
            failures = 0
        except psycopg.Error:
            failures += 1
    kill.notes["detected_s"] = time.monotonic() - kill.at
    await asyncio.to_thread(the_cluster.pg_ctl, new, "-w", "-t", "60", "promote")
    kill.notes["promoted_s"] = time.monotonic() - kill.at
    await asyncio.to_thread(the_cluster.repoint_pgbouncer, new)
    kill.notes["repointed_s"] = time.monotonic() - kill.at
    print(
        f"        primary lost: detected +{kill.notes['detected_s']:.1f} s, db2 promoted "
        f"+{kill.notes['promoted_s']:.1f} s, pgbouncer repointed +{kill.notes['repointed_s']:.1f} s"
    )


async def supervisor(the_cluster: Cluster, restarts: list[str]) -> None:
    while True:
        await asyncio.sleep(1.0)
        for name in await asyncio.to_thread(the_cluster.supervise_once):
            restarts.append(name)
            print(f"        {name} exited by itself: restarted")


def recovery(
    outcomes: Sequence[Outcome], stream: str, since: float, before: float
) -> tuple[float, int]:
    """Seconds from ``since`` until the last failure of ``stream`` (among requests begun before
    ``before``) ended, and how many failed; 0 when none failed."""
    failed = [
        o
        for o in outcomes
        if o.stream == stream and not o.ok and since <= o.ended and o.began < before
    ]
    if not failed:
        return 0.0, 0
    return max(o.ended for o in failed) - since, len(failed)


# -- checks after the run -------------------------------------------------------------------


@dataclass
class Checks:
    stored: int
    doubled: int
    missing_submissions: list[str]
    logged: int
    missing_log: list[str]
    audit_ok: bool
    audit_output: str
    deliveries: int
    delivered: int
    undelivered: list[str]
    duplicates: int
    application_of: dict[str, uuid.UUID]  # delivery id (hex) -> application


def worst_delay(load: Load, checks: Checks, mailbox: Mailbox, since: float, before: float) -> float:
    """The longest wait from a submission's acknowledgement (between ``since`` and ``before``)
    to the first e-mail of its notification."""
    first: dict[str, float] = {}
    for at, hex_id in mailbox.received:
        first.setdefault(hex_id, at)
    delays = [
        first[hex_id] - acked
        for hex_id, application in checks.application_of.items()
        if hex_id in first
        and since <= (acked := load.acknowledged_at.get(application, -1.0)) < before
    ]
    return max(delays, default=0.0)


def check(
    the_cluster: Cluster,
    load: Load,
    mailbox: Mailbox,
    fixture: GatewayFixture,
    drain_seconds: float,
) -> Checks:
    import psycopg

    url = the_cluster.direct_url(the_cluster.primary)
    acked = list(load.acknowledged)
    answered = list(load.gateway_answered)
    with psycopg.connect(url) as conn:
        stored = {
            row[0]
            for row in conn.execute("SELECT id FROM application WHERE id = ANY(%s)", (acked,))
        }
        # Sent again after a failure, with the same Idempotency-Key: stored once each.
        doubled = conn.execute(
            "SELECT count(*) - count(DISTINCT (applicant_id, idempotency_key)) FROM application"
            " WHERE idempotency_key LIKE 'bench-cluster-%'"
        ).fetchone()
        logged = {
            row[0]
            for row in conn.execute(
                "SELECT request_id FROM gateway_message WHERE region_id = %s"
                " AND request_id = ANY(%s)",
                (fixture.region_id, answered),
            )
        }
        # Wait for the outbox to drain (the surviving worker takes over expired leases).
        deadline = time.monotonic() + drain_seconds
        query = (
            "SELECT d.id, n.application_id FROM notification_delivery d JOIN notification n"
            " ON n.id = d.notification_id WHERE n.application_id = ANY(%s) AND d.channel = 'email'"
        )
        while True:
            rows = conn.execute(query, (acked,)).fetchall()
            deliveries = [row[0] for row in rows]
            seen = {hex_id for _at, hex_id in mailbox.received}
            undelivered = [d.hex for d in deliveries if d.hex not in seen]
            if not undelivered or time.monotonic() > deadline:
                break
            time.sleep(1.0)
    counts: dict[str, int] = {}
    for _at, hex_id in mailbox.received:
        counts[hex_id] = counts.get(hex_id, 0) + 1
    wanted = {d.hex for d in deliveries}
    duplicates = sum(c - 1 for hex_id, c in counts.items() if hex_id in wanted and c > 1)
    simpul = str(Path(sys.executable).parent / "simpul")
    env = {**the_cluster.simpul_env(), "SIMPUL_DATABASE_URL": url}
    audit = subprocess.run(
        [simpul, "audit", "verify", "--region", GATEWAY_REGION],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return Checks(
        stored=len(stored),
        doubled=int(doubled[0]) if doubled else 0,
        missing_submissions=[str(a) for a in acked if a not in stored],
        logged=len(logged),
        missing_log=[str(a) for a in answered if a not in logged],
        audit_ok=audit.returncode == 0,
        audit_output=(audit.stdout + audit.stderr).strip(),
        deliveries=len(deliveries),
        delivered=len(deliveries) - len(undelivered),
        undelivered=undelivered,
        duplicates=duplicates,
        application_of={row[0].hex: row[1] for row in rows},
    )


# -- main -----------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Cluster bench: failover under load.")
    parser.add_argument("--seconds", type=float, default=60.0, help="load duration (>= 30)")
    parser.add_argument("--rate", type=float, default=5.0, help="submissions a second")
    parser.add_argument("--gateway-rate", type=float, default=20.0, help="gateway calls a second")
    parser.add_argument(
        "--limited-rate", type=float, default=4.0, help="calls a second of the rate-limited app"
    )
    parser.add_argument("--limit", type=int, default=60, help="the limited app's calls a minute")
    parser.add_argument("--citizens", type=int, default=100)
    parser.add_argument(
        "--drain", type=float, default=90.0, help="seconds to wait for the outbox after the load"
    )
    parser.add_argument("--keep", action="store_true", help="keep the working directory")
    parser.add_argument(
        "--asynchronous",
        action="store_true",
        help="asynchronous replication (not what decision 0040 chose): what promotion loses",
    )
    args = parser.parse_args(argv)
    if args.seconds < 30:
        parser.error("--seconds must be at least 30 (four kills, apart)")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if os.geteuid() != 0:
        sys.exit("the cluster bench makes network namespaces: run it as root")
    problems = topology_problems(HOSTS)
    if problems:
        sys.exit("topology: " + "; ".join(problems))
    ensure_tools()
    logging.basicConfig(level=logging.WARNING)
    workdir = Path(tempfile.mkdtemp(prefix="simpul-cluster-"))
    workdir.chmod(0o755)  # the postgres user works in it
    (workdir / "data").mkdir()
    os.environ.update({"SIMPUL_SECRET_KEY": SECRET, "SIMPUL_DATA_DIR": str(workdir / "data")})
    print(f"working directory: {workdir}")

    def terminated(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)  # clean up (namespaces, processes) on SIGTERM too

    signal.signal(signal.SIGTERM, terminated)
    try:
        with cluster(workdir, synchronous=not args.asynchronous) as the_cluster:
            return asyncio.run(bench(the_cluster, args))
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


async def bench(the_cluster: Cluster, args: argparse.Namespace) -> int:
    import httpx2
    from aiosmtpd.controller import Controller
    from bench.submissions import REGION, plan_jobs, preupload_parallel
    from tests.support.devserver import migrate_and_seed_demo

    from simpul.core.database import make_engine, make_session_factory, sqlalchemy_url
    from simpul.core.regions import get_region_by_slug
    from simpul.core.settings import get_settings

    began = time.monotonic()
    await asyncio.to_thread(the_cluster.databases)
    kind = "synchronous" if the_cluster.synchronous else "asynchronous"
    print(f"db1 (primary) and db2 ({kind} replica) up in {time.monotonic() - began:.1f} s")
    direct = the_cluster.direct_url(host("db1"))
    get_settings.cache_clear()
    await asyncio.to_thread(migrate_and_seed_demo, direct)
    fixture = await asyncio.to_thread(prepare_gateway, direct, args.limit)
    from bench.submissions import create_citizens, service_plans

    engine = make_engine(sqlalchemy_url(direct), get_settings())
    factory = make_session_factory(engine)
    with factory() as session, session.begin():
        region = get_region_by_slug(session, REGION)
        assert region is not None
        people = create_citizens(session, region, args.citizens)
        plans = service_plans(session, region)
    count = int(args.rate * args.seconds) + 10
    jobs = await asyncio.to_thread(
        preupload_parallel, factory, plan_jobs(people, plans, count, "cluster")
    )
    engine.dispose()
    print(
        f"seeded Kota Bandung, {len(people)} citizens, {len(jobs)} submissions planned, "
        f"in {time.monotonic() - began:.1f} s"
    )

    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname=BENCH_ADDRESS, port=SMTP_PORT)
    smtp.start()
    try:
        await asyncio.to_thread(the_cluster.pgbouncer)
        await asyncio.to_thread(the_cluster.services)
        print(
            f"cluster up in {time.monotonic() - began:.1f} s: "
            + ", ".join(f"{h.name} {h.address}" for h in HOSTS)
        )
        return await drive_and_report(the_cluster, args, fixture, jobs, mailbox, httpx2)
    finally:
        smtp.stop()


async def drive_and_report(
    the_cluster: Cluster,
    args: argparse.Namespace,
    fixture: GatewayFixture,
    jobs: Sequence[Any],
    mailbox: Mailbox,
    httpx2: Any,
) -> int:
    from bench.submissions import REGION

    lb = hosts_of("haproxy")[0]
    load = Load()
    kills: list[Kill] = []
    restarts: list[str] = []
    start = time.monotonic()
    until = start + args.seconds
    every = args.seconds / 5  # kills at 1/5, 2/5, 3/5, 4/5 of the run
    timeout = httpx2.Timeout(REQUEST_TIMEOUT)
    limits = httpx2.Limits(max_connections=50)
    supervising = asyncio.create_task(supervisor(the_cluster, restarts))
    async with (
        httpx2.AsyncClient(
            base_url=f"http://{lb.address}:{lb.port}", timeout=timeout, limits=limits
        ) as web,
        httpx2.AsyncClient(
            base_url=f"http://{lb.address}:{LB_GATEWAY_PORT}", timeout=timeout, limits=limits
        ) as gateway,
    ):
        print(
            f"load for {args.seconds:.0f} s: {args.rate:g} submissions/s, "
            f"{args.gateway_rate:g} gateway calls/s, limited app {args.limited_rate:g}/s "
            f"(limit {args.limit}/min)"
        )
        await asyncio.gather(
            submissions(web, jobs, load, rate=args.rate, until=until, region=REGION),
            gateway_calls(
                gateway, fixture, load, rate=args.gateway_rate, until=until, limited=False
            ),
            gateway_calls(
                gateway, fixture, load, rate=args.limited_rate, until=until, limited=True
            ),
            chaos(the_cluster, kills, start=start, every=every),
        )
    memory = host_memory()
    print(f"load done in {time.monotonic() - start:.1f} s; waiting for the outbox")
    checks = await asyncio.to_thread(check, the_cluster, load, mailbox, fixture, args.drain)
    supervising.cancel()
    return report(args, load, kills, restarts, checks, mailbox, memory)


def audit_summary(checks: Checks) -> str:
    """``ok (N records)`` from the JSON line ``simpul audit verify`` prints, or FAILED."""
    if not checks.audit_ok:
        return "FAILED"
    for line in checks.audit_output.splitlines():
        if line.startswith("{"):
            return f"ok ({json.loads(line).get('records_checked', '?')} records checked)"
    return "ok"


def report(
    args: argparse.Namespace,
    load: Load,
    kills: Sequence[Kill],
    restarts: Sequence[str],
    checks: Checks,
    mailbox: Mailbox,
    memory: dict[str, float],
) -> int:
    ends = [k.at for k in kills[1:]] + [float("inf")]
    rows: list[dict[str, Any]] = []
    for kill, before in zip(kills, ends, strict=True):
        if kill.what == "serve":
            seconds, failed = recovery(load.outcomes, "web", kill.at, before)
        elif kill.what == "gateway":
            seconds, failed = recovery(load.outcomes, "gateway", kill.at, before)
        elif kill.what == "worker":
            # The e-mails a lost worker held go out when their lease expires: the worst delay
            # from a submission's acknowledgement to its first e-mail, for those made since.
            seconds, failed = worst_delay(load, checks, mailbox, kill.at - 2.0, before), 0
        else:
            web_s, web_failed = recovery(load.outcomes, "web", kill.at, before)
            gw_s, gw_failed = recovery(load.outcomes, "gateway", kill.at, before)
            seconds, failed = max(web_s, gw_s), web_failed + gw_failed
        rows.append(
            {
                "kill": kill.what,
                "host": kill.host,
                "recover_s": round(seconds, 2),
                "failed_requests": failed,
                **{k: round(v, 2) for k, v in kill.notes.items()},
            }
        )
    bound = args.limit + args.limit / 60 * load.limited_seconds
    histogram: dict[str, int] = {}
    for o in load.outcomes:
        if not o.ok:
            name = f"{o.stream} {o.status or 'no answer'}"
            histogram[name] = histogram.get(name, 0) + 1
    failures = ", ".join(f"{k}: {v}" for k, v in sorted(histogram.items()))
    print()
    print(f"{'kill (SIGKILL)':<18}{'host':<7}{'recover s':>10}{'failed req.':>13}  notes")
    for row in rows:
        notes = ", ".join(
            f"{k} {v}"
            for k, v in row.items()
            if k not in {"kill", "host", "recover_s", "failed_requests"}
        )
        print(
            f"{row['kill']:<18}{row['host']:<7}{row['recover_s']:>10.2f}"
            f"{row['failed_requests']:>13}  {notes}"
        )
    print()
    lines = [
        ("submissions acknowledged", len(load.acknowledged)),
        ("  of them stored after failover", checks.stored),
        ("  given up (never acknowledged)", load.unacknowledged),
        ("  stored twice (same key)", checks.doubled),
        ("gateway calls answered 2xx", len(load.gateway_answered)),
        ("  of them in the message log", checks.logged),
        ("  simpul audit verify", audit_summary(checks)),
        ("e-mail notifications due", checks.deliveries),
        ("  received at least once", checks.delivered),
        ("  duplicates received", checks.duplicates),
        ("limited app: allowed", load.limited_allowed),
        ("  bound (limit + refill)", round(bound, 1)),
        ("  refused 429 / other", f"{load.limited_refused} / {load.limited_other}"),
        ("processes restarted", ", ".join(restarts) or "none"),
        ("slowest acknowledgement, s", round(max(load.submit_seconds, default=0.0), 2)),
        ("failed requests (stream status)", failures or "none"),
    ]
    for label, value in lines:
        print(f"{label:<34}{value}")
    ok = (
        not checks.missing_submissions
        and not checks.missing_log
        and checks.audit_ok
        and not checks.undelivered
        and load.limited_allowed <= bound
        and load.unacknowledged == 0
        and checks.doubled == 0
    )
    print()
    print("resident memory at the end of the load (MiB, every process of the host):")
    print("  " + ", ".join(f"{name} {mib:g}" for name, mib in memory.items()))
    if not checks.audit_ok:
        print(checks.audit_output)
    result = {
        "ok": ok,
        "seconds": args.seconds,
        "replication": "asynchronous" if args.asynchronous else "synchronous",
        "acknowledged": len(load.acknowledged),
        "stored": checks.stored,
        "unacknowledged": load.unacknowledged,
        "stored_twice": checks.doubled,
        "gateway_answered": len(load.gateway_answered),
        "gateway_logged": checks.logged,
        "audit_verify_ok": checks.audit_ok,
        "notifications": checks.deliveries,
        "notifications_delivered": checks.delivered,
        "notification_duplicates": checks.duplicates,
        "limited_allowed": load.limited_allowed,
        "limited_bound": round(bound, 1),
        "limit_per_minute": args.limit,
        "restarts": list(restarts),
        "slowest_acknowledgement_s": round(max(load.submit_seconds, default=0.0), 2),
        "failed_requests": histogram,
        "memory_mib": memory,
        "kills": rows,
    }
    print(json.dumps(result))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
