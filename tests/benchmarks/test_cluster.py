"""The cluster bench's topology (``bench/cluster.py``) is well-formed and its haproxy and
pgbouncer configurations name the hosts it starts. The run itself is a bench (``make cluster``,
root, network namespaces), not a test."""

from __future__ import annotations

import dataclasses
import ipaddress
import uuid
from pathlib import Path

from bench import cluster


def test_the_topology_has_every_role_once_or_twice_and_distinct_addresses() -> None:
    assert cluster.topology_problems(cluster.HOSTS) == []
    addresses = [ipaddress.ip_address(h.address) for h in cluster.HOSTS]
    network = ipaddress.ip_network(f"{cluster.SUBNET}.0/24")
    assert all(a in network for a in addresses)
    # RFC 2544's benchmarking range: the namespaces never take an address used elsewhere.
    assert network.subnet_of(ipaddress.ip_network("198.18.0.0/15"))


def test_a_broken_topology_is_named() -> None:
    web1 = cluster.host("web1")
    twin = dataclasses.replace(cluster.host("web2"), octet=web1.octet)
    no_gateway = [h for h in cluster.HOSTS if h.name != "gw2"]
    long_name = dataclasses.replace(web1, name="webserver-number-one")
    assert "two hosts share an address" in cluster.topology_problems(
        [twin if h.name == "web2" else h for h in cluster.HOSTS]
    )
    assert "2 host(s) of role gateway needed, 1 found" in cluster.topology_problems(no_gateway)
    problems = cluster.topology_problems(
        [long_name if h.name == "web1" else h for h in cluster.HOSTS]
    )
    assert any("longer than an interface name" in p for p in problems)


def test_haproxy_balances_both_serve_and_both_gateway_hosts_with_health_checks() -> None:
    config = cluster.haproxy_config(cluster.HOSTS)
    for name in ("web1", "web2", "gw1", "gw2"):
        h = cluster.host(name)
        assert f"server {name} {h.address}:{h.port} check" in config
    assert config.count("option httpchk GET /healthz") == 2
    # simpul serve takes the client's address from it (FORWARDED_ALLOW_IPS = the balancer)
    assert config.count("option forwardfor") == 1
    lb = cluster.host("lb")
    assert f"bind {lb.address}:{lb.port}" in config
    assert f"bind {lb.address}:{cluster.LB_GATEWAY_PORT}" in config


def test_pgbouncer_points_at_the_primary_of_the_moment(tmp_path: Path) -> None:
    for name in ("db1", "db2"):
        target = cluster.host(name)
        config = cluster.pgbouncer_config(cluster.HOSTS, target, tmp_path)
        assert f"host={target.address} port={target.port}" in config
        assert "pool_mode = session" in config


def test_recovery_is_the_end_of_the_last_failure_the_kill_caused() -> None:
    def outcome(stream: str, began: float, ended: float, status: int) -> cluster.Outcome:
        return cluster.Outcome(stream, began, ended, status == 200, status)

    outcomes = [
        outcome("web", 9.0, 9.5, 503),  # before the kill: not its doing
        outcome("web", 10.1, 10.4, 503),
        outcome("web", 10.2, 11.5, 503),
        outcome("gateway", 10.3, 12.0, 503),  # another stream
        outcome("web", 11.0, 11.2, 200),
        outcome("web", 20.5, 21.0, 503),  # begun after the next kill
    ]
    seconds, failed = cluster.recovery(outcomes, "web", since=10.0, before=20.0)
    assert (round(seconds, 2), failed) == (1.5, 2)
    assert cluster.recovery(outcomes, "web", since=30.0, before=40.0) == (0.0, 0)


def test_the_worst_notification_delay_counts_submissions_acknowledged_in_the_window() -> None:
    early, late, outside = (uuid.uuid4() for _ in range(3))
    load = cluster.Load(acknowledged_at={early: 9.0, late: 11.0, outside: 25.0})
    checks = cluster.Checks(
        stored=3,
        doubled=0,
        missing_submissions=[],
        logged=0,
        missing_log=[],
        audit_ok=True,
        audit_output="",
        deliveries=3,
        delivered=3,
        undelivered=[],
        duplicates=1,
        application_of={"a" * 32: early, "b" * 32: late, "c" * 32: outside},
    )
    mailbox = cluster.Mailbox(
        received=[(9.5, "a" * 32), (21.0, "b" * 32), (22.0, "b" * 32), (60.0, "c" * 32)]
    )
    # late's first e-mail came 10 s after it; outside's is past the window; a repeat is ignored
    assert cluster.worst_delay(load, checks, mailbox, since=8.0, before=20.0) == 10.0
