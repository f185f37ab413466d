"""Gateway benchmark: ``simpul gateway`` against nginx, in front of the same fast upstream.

The upstream is an nginx (one worker) answering every request with ``return 200`` and a fixed
JSON body of about 100 bytes, so that what is measured is the proxy, not the provider. In one
run, against that upstream, it measures requests per second and latency of:

* **direct**: ``GET /data`` straight to the upstream (the ceiling of this machine);
* **nginx**: through a second nginx process (one worker), a plain reverse proxy:
  ``proxy_pass`` to an ``upstream {}`` with ``keepalive 64``, HTTP/1.1 to the upstream;
* **simpul**: through ``simpul gateway`` (one worker), on
  ``/r1/{region}/GOV/{agency}/{provider app}/{service}/data`` with everything on:
  authentication (``Information-Mediator-Client`` and ``X-API-Key``), the grant check, the
  client's rate limit (600000 per minute, never reached here) and the hash-chained message
  log, whose record of each exchange is committed before the last bytes of the answer leave.
* **user**: the same through ``simpul gateway`` to a second service of the same upstream that
  requires the end user's access token (``end_user_identity`` required, issue 18): the call
  also carries ``X-Simpul-User-Token`` (an RS256 JWT of a key published for the bench region),
  which the gateway verifies before forwarding ``X-Simpul-Subject``.

All three are sent the same two headers. The load generator is ``h2load --h1`` (one thread,
keep-alive connections, an exact number of requests). For each target it first sends
``--warmup`` requests at ``--concurrency`` connections, unmeasured; their rate sizes the
throughput runs to last about ``--seconds`` each (or ``--requests`` exactly, when given).
Each round then runs the three throughput runs at ``--concurrency`` connections and three
latency runs of ``--c1-requests`` on one connection, interleaved (direct, nginx, simpul,
direct, ...), so noise on a shared machine hits all three alike; there are ``--rounds`` rounds
and the summary shows the medians. Latencies are h2load's per-request times (its
``--log-file``): mean, p50 and p99.

nginx and h2load are installed from Debian's packages (``nginx-light``, else ``nginx``;
``nghttp2-client``) with ``apt-get`` when missing, which needs root. The system's nginx
configuration and service are never touched: both nginx processes run in the foreground, owned
by this script, from configurations in a temporary directory (pid, logs and temp paths there).

During each throughput run it reads the CPU time (Linux ``/proc``) of the proxy (every process
of it), of the upstream nginx, of PostgreSQL (when it runs on this machine), of the load
generator, of interrupts and softirqs (the loopback network, charged to no process) and of the
whole machine (the rest is other processes; the busiest are named), and prints it per
request: where the time goes.

Then it checks the message log: ``answered`` (2xx answers h2load counted through the gateway,
warm-up and latency runs included) must equal ``logged`` (records in the bench region's
``gateway_message``); no request may fail or be answered other than 2xx; the region's hash
chain must verify (``gateway.msglog.verify_region``).

Its last line is one JSON object: ``direct_rps``, ``nginx_rps``, ``simpul_rps`` (medians at
``--concurrency``), ``ratio`` = simpul_rps / nginx_rps (target >= 0.20), ``added_ms_c1`` (the
gateway's mean latency at concurrency 1 minus the direct one), ``answered`` and ``logged``,
and more. Exits 1 if a request failed, an answer was not 2xx, ``logged`` != ``answered`` or the
chain does not verify (a missed ratio target is reported, not an exit status).

Run it from the repository root (as root when nginx or h2load must be installed)::

    .venv/bin/python bench/gateway.py [--seconds S | --requests N] [--concurrency C]
                                      [--rounds R] [--c1-requests N] [--warmup N] [--keep]
                                      [--database-url URL] [--stop-database]

The database server is ``--database-url`` or ``SIMPUL_BENCH_DATABASE_URL`` if set, else the
embedded PostgreSQL under ``var/bench-pgdata`` (which keeps running; ``--stop-database`` stops
it). Its database ``simpul_bench_gateway`` is recreated for the run and dropped afterwards
unless ``--keep``.
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import psycopg
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from psycopg import sql
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from tests.support.devserver import free_port, libpq_url, recreate_database, server_process

from simpul.catalogue.models import Agency
from simpul.core.database import make_engine, sqlalchemy_url
from simpul.core.embedded import start_embedded_server, stop_embedded_server, with_database
from simpul.core.migrate import upgrade_to_head
from simpul.core.regions import create_region
from simpul.core.settings import get_settings
from simpul.gateway import msglog
from simpul.gateway.msglog.models import GatewayMessage
from simpul.gateway.registry import service as registry
from simpul.identity.models import OidcClient, OidcSigningKey
from simpul.identity.service import issuer_url
from simpul.inventory.service import import_apps, require_valid

ROOT = Path(__file__).resolve().parent.parent
BENCH_PGDATA = ROOT / "var" / "bench-pgdata"
BENCH_DATABASE = "simpul_bench_gateway"
BENCH_SECRET = "bench-secret-key-not-for-production-0123456789"
REGION = "kota-bench-gateway"
AGENCY = "diskominfo-bench"
PROVIDER_APP = "sidata-bench"
CONSUMER_APP = "portal-bench"
SERVICE_CODE = "sampel"
PATH = "/data"
RATE_LIMIT_PER_MINUTE = 600_000  # a bucket of 600000, refilled at 10000/s: never empty here
#: The upstream's answer: fixed, about 100 bytes.
BODY: Final = (
    '{"id":"3273-0001","status":"aktif","nama":"Data Uji","items":[1,2,3],'
    '"diperbarui":"2025-01-01T00:00:00Z"}'
)
OPENAPI: Final = json.dumps(
    {
        "openapi": "3.0.3",
        "info": {"title": "Data uji benchmark", "version": "1.0"},
        "paths": {
            PATH: {
                "get": {
                    "summary": "Jawaban JSON tetap",
                    "responses": {"200": {"description": "Data"}},
                }
            }
        },
    }
)
TARGETS: Final = ("direct", "nginx", "simpul", "user")
#: The service of the "user" target: the same upstream, asking for the end user's token.
USER_SERVICE_CODE = "sampel-pengguna"
OIDC_CLIENT_ID = "portal-bench"
RATIO_TARGET = 0.20
START_TIMEOUT = 60.0
#: Debian packages, in order of preference, of each tool.
PACKAGES: Final = {"nginx": ("nginx-light", "nginx"), "h2load": ("nghttp2-client",)}


# -- tools: nginx and h2load from Debian's packages -----------------------------------------


def find_tool(name: str) -> str | None:
    return shutil.which(name) or next(
        (str(p) for d in ("/usr/sbin", "/usr/bin") if (p := Path(d) / name).is_file()), None
    )


def apt_install(package: str) -> bool:
    """``apt-get install`` one package (after ``apt-get update`` if it is unknown)."""
    command = ["apt-get", "install", "-y", "-q", "--no-install-recommends", package]
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for attempt in ("install", "update and install"):
        if attempt != "install":
            print("  $ apt-get update -q")
            subprocess.run(["apt-get", "update", "-q"], env=environment, check=False)
        print("  $ " + " ".join(command))
        if subprocess.run(command, env=environment, check=False).returncode == 0:
            return True
    return False


def ensure_tool(name: str) -> str:
    """The path of ``name``, installed from its Debian package when missing."""
    found = find_tool(name)
    if found:
        return found
    packages = PACKAGES[name]
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        sys.exit(
            f"{name} is missing and this is not root with apt-get: install it first "
            f"(apt-get install {packages[0]}) or run this as root."
        )
    print(f"{name} is missing: installing it from Debian's packages")
    for package in packages:
        if apt_install(package) and (found := find_tool(name)):
            print(f"  installed {package}: {found}")
            return found
    sys.exit(f"could not install {name} (tried: {', '.join(packages)})")


def tool_version(command: Sequence[str]) -> str:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    text = (done.stdout + done.stderr).strip().splitlines()
    return text[0].strip() if text else "?"


# -- nginx in the foreground, configured in a temporary directory ----------------------------

NGINX_MAIN: Final = """\
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
{temp_paths}
    keepalive_requests 100000000;
    keepalive_timeout 120s;
{servers}
}}
"""
UPSTREAM_SERVER: Final = """\
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        location / {{
            default_type application/json;
            return 200 '{body}';
        }}
    }}
"""
PROXY_SERVER: Final = """\
    upstream bench_upstream {{
        server 127.0.0.1:{upstream_port};
        keepalive 64;
        keepalive_requests 100000000;
    }}
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        location / {{
            proxy_pass http://bench_upstream;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}
    }}
"""


def nginx_temp_paths(nginx: str, directory: Path) -> str:
    """``*_temp_path`` lines for the modules this nginx has, all inside ``directory``."""
    done = subprocess.run([nginx, "-V"], capture_output=True, text=True, check=False)
    built = done.stdout + done.stderr  # nginx -V prints its configure arguments on stderr
    lines = [f"    client_body_temp_path {directory}/client_body;"]
    lines += [
        f"    {module}_temp_path {directory}/{module};"
        for module in ("proxy", "fastcgi", "uwsgi", "scgi")
        if f"--without-http_{module}_module" not in built
    ]
    return "\n".join(lines)


@dataclass(frozen=True)
class Nginx:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    directory: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"{process.args} exited with {process.returncode}:\n{log.read_text()}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{process.args} not listening after {START_TIMEOUT:.0f} s")


@contextmanager
def nginx_process(nginx: str, name: str, servers: str, port: int, workdir: Path) -> Iterator[Nginx]:
    """One nginx master + one worker in the foreground, owned by this process."""
    directory = workdir / f"nginx-{name}"
    directory.mkdir()
    conf = directory / "nginx.conf"
    conf.write_text(
        NGINX_MAIN.format(
            dir=directory, temp_paths=nginx_temp_paths(nginx, directory), servers=servers
        )
    )
    log = directory / "output.log"
    command = [nginx, "-p", str(directory), "-c", str(conf), "-e", str(directory / "error.log")]
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, process, log)
        yield Nginx(name, port, process, directory)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGQUIT)  # graceful: the worker finishes, then exits
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# -- the bench region: an agency, two apps, a service, a client with a key and a grant --------


@dataclass(frozen=True)
class Fixture:
    region_id: uuid.UUID
    key: str
    client_header: str
    path: str  # below the gateway's address
    #: The same call to the service that asks for the end user's access token, and one.
    user_path: str = ""
    user_token: str = ""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signing_key(session: Session, region_id: uuid.UUID) -> rsa.RSAPrivateKey:
    """An RS256 key published for the region (a row the provider would have made)."""
    key = rsa.generate_private_key(65537, 2048)
    numbers = key.public_key().public_numbers()
    session.add(
        OidcSigningKey(
            region_id=region_id,
            kid="bench",
            alg="RS256",
            private_key_encrypted="(unused by the gateway)",
            public_jwk={
                "kty": "RSA",
                "use": "sig",
                "alg": "RS256",
                "kid": "bench",
                "n": _b64(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
                "e": _b64(numbers.e.to_bytes(3, "big")),
            },
        )
    )
    return key


def access_token(key: rsa.RSAPrivateKey, issuer: str) -> str:
    """An access token as the provider issues it (RFC 9068), valid for the whole run."""
    now = int(time.time())
    header = {"alg": "RS256", "typ": "at+jwt", "kid": "bench"}
    claims = {
        "iss": issuer,
        "sub": "bench-subject",
        "aud": OIDC_CLIENT_ID,
        "client_id": OIDC_CLIENT_ID,
        "scope": "openid profile",
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + 6 * 3600,
    }
    signing_input = ".".join(_b64(json.dumps(p).encode()) for p in (header, claims))
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64(signature)}"


def app_row(code: str, name: str) -> dict[str, str]:
    return {
        "kode": code,
        "nama": name,
        "opd": AGENCY,
        "tujuan": f"Aplikasi untuk benchmark gateway: {name}.",
        "pengguna": "staff",
        "hosting": "regional_data_centre",
        "status": "operating",
        "area_spbe": "layanan_publik",
        "klasifikasi_data": "internal",
    }


def prepare(url: str, upstream_url: str) -> Fixture:
    """Create the region and register the service, client, key and grant (committed)."""
    engine = make_engine(sqlalchemy_url(url), get_settings())
    actor = registry.Actor("bench")
    try:
        with Session(engine, expire_on_commit=False) as session, session.begin():
            region = create_region(
                session, slug=REGION, name="Kota Uji Gateway", kind="kota", actor_label="bench"
            )
            session.add(
                Agency(
                    region_id=region.id,
                    slug=AGENCY,
                    name="Dinas Komunikasi dan Informatika (benchmark)",
                    short_name="Diskominfo",
                    name_en="Communication and Informatics Agency (benchmark)",
                )
            )
            session.flush()
            report = import_apps(
                session,
                region,
                [
                    app_row(PROVIDER_APP, "Sistem Data Benchmark"),
                    app_row(CONSUMER_APP, "Portal Benchmark"),
                ],
                all_or_nothing=True,
                actor_label="bench",
            )
            require_valid(report)
            service = registry.register_service(
                session,
                region,
                app_code=PROVIDER_APP,
                code=SERVICE_CODE,
                upstream_url=upstream_url,
                openapi_text=OPENAPI,
                actor=actor,
                title="Data uji benchmark",
            )
            client = registry.register_client(
                session,
                region,
                app_code=CONSUMER_APP,
                actor=actor,
                rate_limit_per_minute=RATE_LIMIT_PER_MINUTE,
            )
            _credential, key = registry.issue_key(session, region, client.id, actor)
            grant = registry.request_grant(
                session,
                region,
                service_id=service.id,
                client_id=client.id,
                actor=actor,
                reason="Benchmark gateway",
            )
            registry.approve_grant(session, region, grant.id, actor)
            user_service = registry.register_service(
                session,
                region,
                app_code=PROVIDER_APP,
                code=USER_SERVICE_CODE,
                upstream_url=upstream_url,
                openapi_text=OPENAPI,
                actor=actor,
                title="Data uji benchmark (token pengguna)",
            )
            registry.update_service_settings(
                session,
                region,
                user_service.id,
                actor=actor,
                end_user_identity="required",
                end_user_scopes="profile",
            )
            user_grant = registry.request_grant(
                session,
                region,
                service_id=user_service.id,
                client_id=client.id,
                actor=actor,
                reason="Benchmark gateway (token pengguna)",
            )
            registry.approve_grant(session, region, user_grant.id, actor)
            session.add(
                OidcClient(
                    region_id=region.id,
                    app_id=client.app_id,
                    client_id=OIDC_CLIENT_ID,
                    name="Portal Benchmark",
                    is_public=True,
                    redirect_uris=["https://portal.bench.example/callback"],
                    allowed_scopes=["openid", "profile"],
                )
            )
            key_pair = signing_key(session, region.id)
            region_id = region.id
    finally:
        engine.dispose()
    member = f"{REGION}/GOV/{AGENCY}"
    return Fixture(
        region_id=region_id,
        key=key,
        client_header=f"{member}/{CONSUMER_APP}",
        path=f"/r1/{member}/{PROVIDER_APP}/{SERVICE_CODE}{PATH}",
        user_path=f"/r1/{member}/{PROVIDER_APP}/{USER_SERVICE_CODE}{PATH}",
        user_token=access_token(key_pair, issuer_url(get_settings().public_url, REGION)),
    )


def count_logged(url: str, region_id: uuid.UUID) -> int:
    engine = make_engine(sqlalchemy_url(url), get_settings())
    try:
        with Session(engine) as session:
            query = select(func.count()).where(GatewayMessage.region_id == region_id)
            return int(session.scalar(query.select_from(GatewayMessage)) or 0)
    finally:
        engine.dispose()


def verify_log(url: str, region_id: uuid.UUID) -> msglog.VerifyReport:
    """``verify_region`` on the bench region: its hash chain and seals."""
    engine = make_engine(sqlalchemy_url(url), get_settings())
    try:
        with Session(engine) as session:
            return msglog.verify_region(session, region_id)
    finally:
        engine.dispose()


# -- where the CPU goes (Linux /proc) -------------------------------------------------------

_TICKS: Final = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class Proc:
    parent: int
    name: str
    cpu: float  # seconds: utime + stime + cutime + cstime (its reaped children too)
    own: float  # seconds: utime + stime


def process_table() -> dict[int, Proc]:
    """Every process of the machine that we can read, by process id."""
    table: dict[int, Proc] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        head, _paren, rest = text.rpartition(")")
        fields = rest.split()  # fields from the state on (field 3)
        ticks = [int(f) for f in fields[11:15]]
        table[int(entry.name)] = Proc(
            int(fields[1]), head.partition("(")[2], sum(ticks) / _TICKS, sum(ticks[:2]) / _TICKS
        )
    return table


def tree(table: dict[int, Proc], root: int | None) -> set[int]:
    """``root`` and its live descendants."""
    if root is None or root not in table:
        return set()
    children: dict[int, list[int]] = defaultdict(list)
    for pid, proc in table.items():
        children[proc.parent].append(pid)
    found: set[int] = set()
    todo = [root]
    while todo:
        pid = todo.pop()
        found.add(pid)
        todo += children.get(pid, [])
    return found


def machine_cpu() -> tuple[float, float] | None:
    """CPU seconds since boot the machine was busy (not idle nor waiting for I/O), and the part
    of it spent in interrupts and softirqs (network processing not charged to a process)."""
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except OSError:
        return None
    ticks = [int(v) for v in first[1:9]]  # user nice system idle iowait irq softirq steal
    return (sum(ticks) - ticks[3] - ticks[4]) / _TICKS, (ticks[5] + ticks[6]) / _TICKS


def postmaster_pid(url: str) -> int | None:
    """The PostgreSQL server's process id, when it runs on this machine and is readable."""
    try:
        with psycopg.connect(libpq_url(url)) as conn:
            row = conn.execute("SHOW data_directory").fetchone()
        pid_file = Path(str(row[0])) / "postmaster.pid" if row else None
        return int(pid_file.read_text().split()[0]) if pid_file else None
    except (OSError, ValueError, IndexError, psycopg.Error):
        return None


#: Where the CPU goes: the proxy (nginx or simpul gateway, all its processes), the upstream
#: nginx, PostgreSQL, h2load, interrupts and softirqs (the loopback network), other processes.
PARTIES: Final = ("proxy", "upstream", "postgres", "loadgen", "irq", "other")


@dataclass(frozen=True)
class CpuSample:
    seconds: dict[str, float]  # party -> CPU seconds ("machine": everything)
    others: dict[str, float]  # name -> CPU seconds of processes outside the parties
    wall: float


@dataclass(frozen=True)
class CpuMeter:
    proxy_pid: int | None
    upstream_pid: int
    postgres_pid: int | None

    def sample(self) -> CpuSample:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)  # h2load, once reaped
        machine = machine_cpu()
        table = process_table()
        seconds: dict[str, float] = {
            "loadgen": children.ru_utime + children.ru_stime,
            "self": time.process_time(),
        }
        mine: set[int] = {os.getpid()}
        for party, root in (
            ("proxy", self.proxy_pid),
            ("upstream", self.upstream_pid),
            ("postgres", self.postgres_pid),
        ):
            pids = tree(table, root)
            seconds[party] = sum(table[pid].cpu for pid in pids)
            mine |= pids
        others: dict[str, float] = defaultdict(float)
        for pid, proc in table.items():
            if pid not in mine:  # its own time only: a shell's children may belong to anything
                others[proc.name] += proc.own
        if machine is not None:
            seconds["machine"], seconds["irq"] = machine
        return CpuSample(seconds, dict(others), time.perf_counter())


def cpu_between(before: CpuSample, after: CpuSample) -> dict[str, float]:
    """CPU seconds per party between two samples; "other" is the rest of the machine."""
    used = {k: after.seconds[k] - before.seconds.get(k, 0.0) for k in after.seconds}
    used["wall"] = after.wall - before.wall
    if "machine" in used:
        known = sum(used[k] for k in ("proxy", "upstream", "postgres", "loadgen", "self", "irq"))
        used["other"] = max(0.0, used["machine"] - known)
    return used


def busiest_others(before: CpuSample, after: CpuSample, count: int = 3) -> dict[str, float]:
    """The processes outside the parties that took the most CPU seconds between the samples."""
    used = {name: seconds - before.others.get(name, 0.0) for name, seconds in after.others.items()}
    top = sorted(used.items(), key=lambda item: -item[1])[:count]
    return {name: seconds for name, seconds in top if seconds > 0}


# -- load: h2load with an exact number of requests ------------------------------------------


@dataclass
class Run:
    target: str
    phase: str  # "warmup", "throughput" or "c1"
    round: int
    requests: int
    concurrency: int
    seconds: float
    rps: float
    status_2xx: int
    status_other: int  # 3xx, 4xx and 5xx
    failed: int  # no answer: failed, errored or timed out
    mean_ms: float
    p50_ms: float
    p99_ms: float
    cpu: dict[str, float] = field(default_factory=dict)
    others: dict[str, float] = field(default_factory=dict)  # busiest other processes


_UNITS: Final = {"us": 1e-6, "ms": 1e-3, "s": 1.0}


def _seconds(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if not match:
        raise ValueError(f"not a duration: {text!r}")
    return float(match[1]) * _UNITS[match[2]]


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values (0 when empty)."""
    if not ordered:
        return 0.0
    rank = max(1, -int(-fraction * len(ordered) // 1))
    return ordered[min(rank, len(ordered)) - 1]


def parse_h2load(output: str) -> dict[str, float]:
    """The totals h2load printed: seconds, req/s, status classes and failures."""
    finished = re.search(r"finished in ([\d.]+(?:us|ms|s)), ([\d.]+) req/s", output)
    requests = re.search(
        r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, "
        r"(\d+) errored, (\d+) timeout",
        output,
    )
    codes = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", output)
    if not (finished and requests and codes):
        raise RuntimeError(f"cannot read h2load's output:\n{output}")
    return {
        "seconds": _seconds(finished[1]),
        "rps": float(finished[2]),
        "done": int(requests[3]),
        "2xx": int(codes[1]),
        "other": int(codes[2]) + int(codes[3]) + int(codes[4]),
    }


@dataclass(frozen=True)
class Load:
    h2load: str
    headers: tuple[str, ...]
    workdir: Path
    #: Headers only some targets are sent (the "user" target's access token).
    extra: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def run(
        self,
        target: str,
        url: str,
        *,
        phase: str,
        round_: int,
        requests: int,
        concurrency: int,
        meter: CpuMeter,
    ) -> Run:
        log_file = self.workdir / f"h2load-{target}-{phase}-{round_}.tsv"
        command = [self.h2load, "--h1", "-n", str(requests), "-c", str(concurrency), "-t", "1"]
        for header in (*self.headers, *self.extra.get(target, ())):
            command += ["-H", header]
        command += [f"--log-file={log_file}", url]
        before = meter.sample()
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=3600)
        after = meter.sample()
        if done.returncode != 0:
            raise RuntimeError(f"h2load exited with {done.returncode}:\n{done.stdout}{done.stderr}")
        totals = parse_h2load(done.stdout)
        durations = sorted(
            int(line.split("\t")[2]) / 1000.0
            for line in log_file.read_text().splitlines()
            if line.count("\t") >= 2
        )
        log_file.unlink()
        return Run(
            target=target,
            phase=phase,
            round=round_,
            requests=requests,
            concurrency=concurrency,
            seconds=totals["seconds"],
            rps=totals["rps"],
            status_2xx=int(totals["2xx"]),
            status_other=int(totals["other"]),
            failed=max(0, requests - int(totals["2xx"]) - int(totals["other"])),
            mean_ms=statistics.fmean(durations) if durations else 0.0,
            p50_ms=percentile(durations, 0.50),
            p99_ms=percentile(durations, 0.99),
            cpu=cpu_between(before, after),
            others=busiest_others(before, after),
        )


# -- database --------------------------------------------------------------------------------


def server_url(configured: str | None) -> str:
    """The PostgreSQL server to use: the given one, the configured one or the embedded one."""
    configured = configured or os.environ.get("SIMPUL_BENCH_DATABASE_URL")
    if configured:
        return configured
    return start_embedded_server(BENCH_PGDATA)


def drop_database(url: str) -> None:
    name = make_url(sqlalchemy_url(url)).database
    assert name
    with psycopg.connect(libpq_url(with_database(url, "postgres")), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


# -- report ----------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0


def print_runs(runs: Sequence[Run]) -> None:
    print(
        f"\n{'target':<8} {'phase':<10} {'round':>5} {'requests':>9} {'conc':>5} {'seconds':>8} "
        f"{'req/s':>9} {'mean ms':>8} {'p50 ms':>8} {'p99 ms':>8} {'2xx':>7} {'other':>6} "
        f"{'failed':>6}"
    )
    for r in runs:
        print(
            f"{r.target:<8} {r.phase:<10} {r.round:>5} {r.requests:>9} {r.concurrency:>5} "
            f"{r.seconds:>8.2f} {r.rps:>9.1f} {r.mean_ms:>8.3f} {r.p50_ms:>8.3f} {r.p99_ms:>8.3f} "
            f"{r.status_2xx:>7} {r.status_other:>6} {r.failed:>6}"
        )


def cpu_ms_per_request(runs: Sequence[Run]) -> dict[str, float]:
    """CPU milliseconds per request of each party over the given runs; cores busy."""
    requests = sum(r.requests for r in runs)
    total: dict[str, float] = defaultdict(float)
    for r in runs:
        for party, seconds in r.cpu.items():
            total[party] += seconds
    result = {party: 1000 * total[party] / requests for party in PARTIES if party in total}
    if total.get("wall") and "machine" in total:
        result["cores_busy"] = total["machine"] / total["wall"]
    if total.get("wall"):
        result["proxy_cores"] = total["proxy"] / total["wall"]
    return result


@dataclass(frozen=True)
class Summary:
    rps: float
    p50_ms: float
    p99_ms: float
    c1_mean_ms: float
    c1_p50_ms: float
    c1_p99_ms: float
    cpu: dict[str, float]


def summarise(runs: Sequence[Run], target: str) -> Summary:
    throughput = [r for r in runs if r.target == target and r.phase == "throughput"]
    c1 = [r for r in runs if r.target == target and r.phase == "c1"]
    return Summary(
        rps=median([r.rps for r in throughput]),
        p50_ms=median([r.p50_ms for r in throughput]),
        p99_ms=median([r.p99_ms for r in throughput]),
        c1_mean_ms=median([r.mean_ms for r in c1]),
        c1_p50_ms=median([r.p50_ms for r in c1]),
        c1_p99_ms=median([r.p99_ms for r in c1]),
        cpu=cpu_ms_per_request(throughput),
    )


def print_summary(summaries: dict[str, Summary], runs: Sequence[Run], concurrency: int) -> None:
    print(
        f"\nmedians over the rounds ({concurrency} connections for req/s; one for c1):\n"
        f"{'target':<8} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'c1 mean':>8} {'c1 p50':>8} "
        f"{'c1 p99':>8}"
    )
    for target, s in summaries.items():
        print(
            f"{target:<8} {s.rps:>9.1f} {s.p50_ms:>8.3f} {s.p99_ms:>8.3f} {s.c1_mean_ms:>8.3f} "
            f"{s.c1_p50_ms:>8.3f} {s.c1_p99_ms:>8.3f}"
        )
    print(
        f"\nCPU ms per request in the throughput runs (irq: interrupts and softirqs, the loopback "
        f"network; other: other processes):\n{'target':<8}"
        + "".join(f" {p:>9}" for p in PARTIES)
        + f" {'cores busy':>11} {'proxy cores':>12}"
    )
    for target, s in summaries.items():
        cpu = s.cpu
        print(
            f"{target:<8}"
            + "".join(f" {cpu.get(p, 0.0):>9.4f}" for p in PARTIES)
            + f" {cpu.get('cores_busy', 0.0):>11.2f} {cpu.get('proxy_cores', 0.0):>12.2f}"
        )
    for target in summaries:
        others: dict[str, float] = defaultdict(float)
        for r in runs:
            if r.target == target and r.phase == "throughput":
                for name, seconds in r.others.items():
                    others[name] += seconds
        busiest = sorted(others.items(), key=lambda item: -item[1])[:3]
        if busiest:
            shown = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in busiest)
            print(f"  other processes during the {target} runs: {shown}")


# -- main ------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0] if __doc__ else "")
    parser.add_argument(
        "--seconds",
        type=float,
        default=8.0,
        help="length of a throughput run: its requests are sized from the target's warm-up",
    )
    parser.add_argument(
        "--requests",
        type=int,
        help="a fixed number of requests per throughput run and target instead of --seconds",
    )
    parser.add_argument(
        "--concurrency", type=int, default=32, help="connections of the throughput runs"
    )
    parser.add_argument("--rounds", type=int, default=3, help="interleaved repetitions")
    parser.add_argument(
        "--c1-requests", type=int, default=3000, help="requests per latency run (one connection)"
    )
    parser.add_argument(
        "--warmup", type=int, default=5000, help="unmeasured requests per target first"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--database-url",
        help="PostgreSQL server (default SIMPUL_BENCH_DATABASE_URL, else the embedded one)",
    )
    parser.add_argument(
        "--stop-database", action="store_true", help="stop the embedded PostgreSQL at the end"
    )
    args = parser.parse_args(argv)
    if min(args.concurrency, args.rounds, args.c1_requests) < 1 or args.seconds <= 0:
        parser.error("--concurrency, --rounds and --c1-requests must be >= 1, --seconds > 0")
    if args.requests is not None and args.requests < args.concurrency:
        parser.error("--requests must be at least --concurrency")
    if args.warmup < args.concurrency:
        parser.error("--warmup must be at least --concurrency (it sizes the throughput runs)")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    nginx = ensure_tool("nginx")
    h2load = ensure_tool("h2load")
    tools = {
        "nginx": tool_version([nginx, "-v"]).removeprefix("nginx version: "),
        "h2load": tool_version([h2load, "--version"]),
    }
    print(f"tools: {tools['nginx']} ({nginx}); {tools['h2load']} ({h2load})")
    averages = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} CPUs, load average {averages}")
    with tempfile.TemporaryDirectory(prefix="simpul-bench-gateway-") as tmp:
        workdir = Path(tmp)
        os.environ["SIMPUL_SECRET_KEY"] = BENCH_SECRET
        os.environ["SIMPUL_DATA_DIR"] = str(workdir)
        server = server_url(args.database_url)
        url = recreate_database(server, BENCH_DATABASE)
        try:
            upgrade_to_head(sqlalchemy_url(url))
            result = bench(args, url, nginx, h2load, workdir)
        finally:
            if not args.keep:
                drop_database(url)
            external = args.database_url or os.environ.get("SIMPUL_BENCH_DATABASE_URL")
            if args.stop_database and not external:
                stop_embedded_server(BENCH_PGDATA)
    result["tools"] = tools
    print(json.dumps(result))
    return 0 if result["ok"] else 1


def bench(
    args: argparse.Namespace, url: str, nginx: str, h2load: str, workdir: Path
) -> dict[str, Any]:
    up_port, proxy_port = free_port(), free_port()
    upstream_conf = UPSTREAM_SERVER.format(port=up_port, body=BODY)
    proxy_conf = PROXY_SERVER.format(port=proxy_port, upstream_port=up_port)
    with (
        nginx_process(nginx, "upstream", upstream_conf, up_port, workdir) as upstream,
        nginx_process(nginx, "proxy", proxy_conf, proxy_port, workdir) as proxy,
    ):
        fixture = prepare(url, upstream.url)
        print(f"upstream nginx at {upstream.url}, proxy nginx at {proxy.url}")
        with server_process(
            url,
            secret_key=BENCH_SECRET,
            data_dir=workdir,
            workers=1,
            timeout=START_TIMEOUT,
            program="gateway",
        ) as gateway:
            print(f"simpul gateway --workers 1 at {gateway.base_url}")
            postgres = postmaster_pid(url)
            targets = {
                "direct": (upstream.url + PATH, CpuMeter(None, upstream.process.pid, postgres)),
                "nginx": (
                    proxy.url + PATH,
                    CpuMeter(proxy.process.pid, upstream.process.pid, postgres),
                ),
                "simpul": (
                    gateway.base_url + fixture.path,
                    CpuMeter(gateway.process.pid, upstream.process.pid, postgres),
                ),
                "user": (
                    gateway.base_url + fixture.user_path,
                    CpuMeter(gateway.process.pid, upstream.process.pid, postgres),
                ),
            }
            load = Load(
                h2load,
                (
                    f"Information-Mediator-Client: {fixture.client_header}",
                    f"X-API-Key: {fixture.key}",
                ),
                workdir,
                {"user": (f"X-Simpul-User-Token: {fixture.user_token}",)},
            )
            runs = drive(args, load, targets)
            logged = count_logged(url, fixture.region_id)
        verified = verify_log(url, fixture.region_id)
    return report(args, runs, logged, verified)


def drive(
    args: argparse.Namespace, load: Load, targets: dict[str, tuple[str, CpuMeter]]
) -> list[Run]:
    runs: list[Run] = []

    def run(target: str, phase: str, round_: int, requests: int, concurrency: int) -> Run:
        address, meter = targets[target]
        result = load.run(
            target,
            address,
            phase=phase,
            round_=round_,
            requests=requests,
            concurrency=concurrency,
            meter=meter,
        )
        runs.append(result)
        print(
            f"  {target:<7} {phase:<10} round {round_}: {result.rps:>9.1f} req/s, "
            f"mean {result.mean_ms:.3f} ms, {result.status_2xx} 2xx, "
            f"{result.status_other} other, {result.failed} failed",
            flush=True,
        )
        return result

    sizes: dict[str, int] = {}
    for target in TARGETS:
        warm = run(target, "warmup", 0, args.warmup, args.concurrency)
        sizes[target] = args.requests or max(args.concurrency, round(warm.rps * args.seconds))
    print("requests per throughput run: " + ", ".join(f"{t} {n}" for t, n in sizes.items()))
    for round_ in range(1, args.rounds + 1):
        for target in TARGETS:
            run(target, "throughput", round_, sizes[target], args.concurrency)
        for target in TARGETS:
            run(target, "c1", round_, args.c1_requests, 1)
    return runs


def report(
    args: argparse.Namespace, runs: Sequence[Run], logged: int, verified: msglog.VerifyReport
) -> dict[str, Any]:
    print_runs(runs)
    summaries = {target: summarise(runs, target) for target in TARGETS}
    print_summary(summaries, runs, args.concurrency)
    simpul_runs = [r for r in runs if r.target in {"simpul", "user"}]
    answered = sum(r.status_2xx for r in simpul_runs)
    not_2xx = sum(r.status_other for r in runs)
    failed = sum(r.failed for r in runs)
    direct, nginx, simpul, user = (summaries[t] for t in TARGETS)
    ratio = simpul.rps / nginx.rps if nginx.rps else 0.0
    user_ratio = user.rps / simpul.rps if simpul.rps else 0.0
    print(
        f"user token: user / simpul = {user_ratio:.3f}; user / nginx = "
        f"{user.rps / nginx.rps if nginx.rps else 0.0:.3f}; latency added at concurrency 1 "
        f"(mean) over the plain gateway path: {user.c1_mean_ms - simpul.c1_mean_ms:.3f} ms"
    )
    added = simpul.c1_mean_ms - direct.c1_mean_ms
    ok = logged == answered and not_2xx == 0 and failed == 0 and verified.ok
    print(
        f"\nratio simpul / nginx = {ratio:.3f} (target >= {RATIO_TARGET:.2f}: "
        f"{'met' if ratio >= RATIO_TARGET else 'NOT met'}); simpul / direct = "
        f"{simpul.rps / direct.rps if direct.rps else 0.0:.3f}"
    )
    print(
        f"latency added at concurrency 1 (mean): simpul {added:.3f} ms, "
        f"nginx {nginx.c1_mean_ms - direct.c1_mean_ms:.3f} ms"
    )
    print(
        f"message log: answered {answered}, logged {logged} "
        f"({'equal' if logged == answered else 'DIFFERENT'}); not 2xx {not_2xx}, failed {failed}; "
        f"hash chain {'verifies' if verified.ok else 'BROKEN'} ({verified.records_checked} "
        f"records, {verified.seals_checked} seals checked"
        + (f"; first problem: {verified.first_problem}" if verified.first_problem else "")
        + ")"
    )
    cpu = simpul.cpu
    return {
        "direct_rps": round(direct.rps, 1),
        "nginx_rps": round(nginx.rps, 1),
        "simpul_rps": round(simpul.rps, 1),
        "ratio": round(ratio, 4),
        "user_rps": round(user.rps, 1),
        "user_vs_simpul": round(user_ratio, 4),
        "user_added_ms_c1": round(user.c1_mean_ms - simpul.c1_mean_ms, 3),
        "added_ms_c1": round(added, 3),
        "answered": answered,
        "logged": logged,
        "ok": ok,
        "verify_ok": verified.ok,
        "not_2xx": not_2xx,
        "failed": failed,
        "rounds": args.rounds,
        "concurrency": args.concurrency,
        "seconds_per_run": None if args.requests else args.seconds,
        "requests_per_run": {
            t: next((r.requests for r in runs if r.target == t and r.phase == "throughput"), 0)
            for t in TARGETS
        },
        "c1_requests": args.c1_requests,
        "warmup": args.warmup,
        "direct_c1_ms": round(direct.c1_mean_ms, 3),
        "nginx_c1_ms": round(nginx.c1_mean_ms, 3),
        "simpul_c1_ms": round(simpul.c1_mean_ms, 3),
        "nginx_added_ms_c1": round(nginx.c1_mean_ms - direct.c1_mean_ms, 3),
        "p99_ms": {t: round(s.p99_ms, 3) for t, s in summaries.items()},
        "cpu_ms_per_request": {
            t: {p: round(v, 4) for p, v in s.cpu.items()} for t, s in summaries.items()
        },
        "simpul_cpu_ms": round(cpu.get("proxy", 0.0), 4),
        "nginx_cpu_ms": round(nginx.cpu.get("proxy", 0.0), 4),
        "cpu_count": os.cpu_count(),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }


if __name__ == "__main__":
    sys.exit(main())
