"""The gateway's tamper-evident message log: group-commit writer, seals, verification, CLI."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from cryptography.exceptions import InvalidTag
from psycopg.rows import namedtuple_row
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from simpul import cli
from simpul.core import security
from simpul.gateway import msglog
from simpul.gateway.msglog import (
    LogWriter,
    MessageLogUnavailable,
    MessageRecord,
    ProblemKind,
    append_records,
    canonical_bytes,
    decrypt_bodies,
    record_hash,
    seal_pending,
    verify_region,
)
from simpul.gateway.msglog.cli import audit_app
from simpul.gateway.msglog.keys import KEY_PURPOSE, public_keys, region_signing_key
from simpul.gateway.msglog.models import GatewayLogSeal, RegionKey
from tests.factories import make_region
from tests.gateway.conftest import GatewayWorld


def make_record(region_id: uuid.UUID, number: int, **changes: Any) -> MessageRecord:
    values: dict[str, Any] = {
        "region_id": region_id,
        "at": datetime.now(UTC),
        "request_id": uuid.uuid4(),
        "client": "kota-uji/GOV/diskominfo/portal",
        "service": "kota-uji/GOV/disdukcapil/sipenduduk/penduduk",
        "endpoint": "GET /penduduk/{nik}",
        "method": "GET",
        "path": f"/penduduk/{number}",
        "status": 200,
        "error": "",
        "duration_us": 1000 + number,
        "request_bytes": 0,
        "response_bytes": 512,
    }
    values.update(changes)
    return MessageRecord(**values)


def write(url: str, region_id: uuid.UUID, count: int, **options: Any) -> list[int]:
    """Append ``count`` records one after the other through a writer, then close it (which
    seals the rest): with ``seal_every=n`` the seals cover n records each."""

    async def main() -> list[int]:
        writer = LogWriter(url, **options)
        await writer.start()
        try:
            return [await writer.append(make_record(region_id, i)) for i in range(count)]
        finally:
            await writer.close()

    return asyncio.run(main())


def verify(sessions: sessionmaker[Session], region_id: uuid.UUID) -> msglog.VerifyReport:
    with sessions() as session:
        return verify_region(session, region_id)


@contextmanager
def attacker(url: str) -> Iterator[psycopg.Connection[Any]]:
    """A superuser connection that switches the append-only triggers off, as an attacker could."""
    with psycopg.connect(url, autocommit=True, row_factory=namedtuple_row) as conn:
        conn.execute("SET session_replication_role = replica")
        yield conn


def rechain(conn: psycopg.Connection[Any], region_id: uuid.UUID, first_seq: int) -> None:
    """Recompute every hash from ``first_seq`` on, as an attacker covering a change would."""
    previous = conn.execute(
        "SELECT hash FROM gateway_message WHERE region_id = %s AND seq = %s",
        (region_id, first_seq - 1),
    ).fetchone()
    prev_hash = previous.hash if previous else bytes(32)
    rows = conn.execute(
        "SELECT * FROM gateway_message WHERE region_id = %s AND seq >= %s ORDER BY seq",
        (region_id, first_seq),
    ).fetchall()
    for row in rows:
        new_hash = record_hash(prev_hash, canonical_of(row, row.seq))
        conn.execute(
            "UPDATE gateway_message SET prev_hash = %s, hash = %s "
            "WHERE region_id = %s AND seq = %s",
            (prev_hash, new_hash, region_id, row.seq),
        )
        prev_hash = new_hash


def insert_row(conn: psycopg.Connection[Any], row: Any) -> None:
    columns = row._fields
    conn.execute(
        f"INSERT INTO gateway_message ({', '.join(columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})",
        tuple(row),
    )


def canonical_of(row: Any, seq: int) -> bytes:
    return canonical_bytes(
        row.region_id,
        seq,
        at=row.at,
        request_id=row.request_id,
        client=row.client,
        service=row.service,
        endpoint=row.endpoint,
        method=row.method,
        path=row.path,
        status=row.status,
        error=row.error,
        duration_us=row.duration_us,
        request_bytes=row.request_bytes,
        response_bytes=row.response_bytes,
        bodies_encrypted=row.bodies_encrypted,
    )


# -- encoding ----------------------------------------------------------------------------------


def test_canonical_bytes_keep_field_boundaries_and_absent_bodies_apart() -> None:
    region_id, request_id = uuid.uuid4(), uuid.uuid4()
    at = datetime(2025, 3, 14, 1, 2, 3, 456789, tzinfo=UTC)

    def encode(client: str, service: str, bodies: bytes | None = None) -> bytes:
        return canonical_bytes(
            region_id,
            7,
            at=at,
            request_id=request_id,
            client=client,
            service=service,
            endpoint="GET /x",
            method="GET",
            path="/x",
            status=200,
            error="",
            duration_us=1,
            request_bytes=2,
            response_bytes=3,
            bodies_encrypted=bodies,
        )

    assert encode("ab", "c") != encode("a", "bc")
    assert encode("a", "b", None) != encode("a", "b", b"")
    assert encode("a", "b") == encode("a", "b")
    assert record_hash(bytes(32), encode("a", "b")) != record_hash(b"\x01" * 32, encode("a", "b"))


# -- writing -----------------------------------------------------------------------------------


def test_many_tasks_and_two_writers_keep_one_linear_chain(
    committed_url: str, committed_sessions: sessionmaker[Session], gateway_world: GatewayWorld
) -> None:
    region_id = gateway_world.region.id

    async def main() -> tuple[list[int], list[int], LogWriter, LogWriter]:
        # One writer gets bursts of hundreds (binary COPY), the other tiny batches (pipelined
        # INSERTs); both append to the same region at the same time.
        big = LogWriter(committed_url, max_batch=500)
        small = LogWriter(committed_url, max_batch=8, max_delay=0)
        await big.start()
        await small.start()

        async def task(writer: LogWriter, first: int) -> list[int]:
            return [
                await writer.append(make_record(region_id, i)) for i in range(first, first + 60)
            ]

        try:
            burst = asyncio.gather(*(big.append(make_record(region_id, i)) for i in range(400)))
            tasks = asyncio.gather(*(task(small, 1000 * t) for t in range(5)))
            from_big, from_small = await asyncio.gather(burst, tasks)
        finally:
            await big.close()
            await small.close()
        return list(from_big), [s for seqs in from_small for s in seqs], big, small

    from_big, from_small, big, small = asyncio.run(main())
    assert sorted(from_big + from_small) == list(range(1, 701))
    assert big.written == 400 and big.batches <= 8  # large batches: the COPY path
    assert small.written == 300 and small.batches >= 300 // 8
    for seqs in (from_small[i * 60 : (i + 1) * 60] for i in range(5)):
        assert seqs == sorted(seqs)  # a task's records keep its order
    report = verify(committed_sessions, region_id)
    assert report.ok, report.first_problem
    assert report.records_checked == 700 and report.last_seq == 700
    assert report.unsealed == 0  # closing the writers sealed everything


def test_a_writer_notices_another_writer_appended_since_its_last_batch(
    committed_url: str, committed_sessions: sessionmaker[Session], gateway_world: GatewayWorld
) -> None:
    region_id = gateway_world.region.id

    async def main() -> list[int]:
        writer = LogWriter(committed_url, max_delay=0)
        await writer.start()
        try:
            seqs = [await writer.append(make_record(region_id, i)) for i in range(3)]
            # Someone else appends: the writer's remembered tip (3) is stale now.
            with committed_sessions() as session, session.begin():
                assert append_records(session, [make_record(region_id, 9)]) == [4]
            seqs.append(await writer.append(make_record(region_id, 5)))
            seqs.append(await writer.append(make_record(region_id, 6)))
        finally:
            await writer.close()
        return seqs

    assert asyncio.run(main()) == [1, 2, 3, 5, 6]
    assert verify(committed_sessions, region_id).ok


def test_a_lone_request_does_not_wait_for_company(
    committed_url: str, gateway_world: GatewayWorld
) -> None:
    region_id = gateway_world.region.id

    async def main() -> float:
        writer = LogWriter(committed_url, max_delay=2.0)  # absurd, to make any lingering show
        await writer.start()
        try:
            await asyncio.gather(*(writer.append(make_record(region_id, i)) for i in range(20)))
            started = time.monotonic()
            for i in range(5):  # one at a time, as a single client would
                await writer.append(make_record(region_id, i))
            return time.monotonic() - started
        finally:
            await writer.close()

    assert asyncio.run(main()) < 1.5  # at most one short linger (a quarter of max_delay)


def test_append_returns_only_once_the_record_is_committed(
    committed_url: str, gateway_world: GatewayWorld
) -> None:
    region_id = gateway_world.region.id

    async def main(observer: psycopg.Connection[Any]) -> int:
        writer = LogWriter(committed_url)
        await writer.start()
        seen = 0

        async def one(number: int) -> None:
            nonlocal seen
            record = make_record(region_id, number)
            seq = await writer.append(record)
            # Another connection, outside the writer's transaction: the row must be there.
            row = observer.execute(
                "SELECT request_id FROM gateway_message WHERE region_id = %s AND seq = %s",
                (region_id, seq),
            ).fetchone()
            assert row is not None and row[0] == record.request_id
            seen += 1

        try:
            await asyncio.gather(*(one(i) for i in range(50)))
        finally:
            await writer.close()
        return seen

    with psycopg.connect(committed_url, autocommit=True) as observer:
        assert asyncio.run(main(observer)) == 50


KILLED_WRITER = """
import asyncio, sys, uuid
from datetime import UTC, datetime
from simpul.gateway.msglog import LogWriter, MessageRecord

async def main(url, region_id):
    writer = LogWriter(url)
    await writer.start()

    async def caller(n):
        while True:
            record = MessageRecord(region_id, datetime.now(UTC), uuid.uuid4(), "c", "s", "GET /",
                                   "GET", "/", 200, "", 1, 0, 0)
            seq = await writer.append(record)
            sys.stdout.write(f"{seq}\\n")  # "answered": only after append returned
            sys.stdout.flush()

    await asyncio.gather(*(caller(n) for n in range(20)))

asyncio.run(main(sys.argv[1], uuid.UUID(sys.argv[2])))
"""


def test_a_writer_killed_with_sigkill_loses_no_answered_record(
    committed_url: str, committed_sessions: sessionmaker[Session], gateway_world: GatewayWorld
) -> None:
    region_id = gateway_world.region.id
    answered: list[int] = []
    with subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, committed_url, str(region_id)],
        stdout=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stdout is not None
        deadline = time.monotonic() + 60
        while len(answered) < 500 and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            answered.append(int(line))
        os.kill(process.pid, signal.SIGKILL)
        answered += [int(line) for line in process.stdout.read().split()]
    assert len(answered) >= 500, "the writer did not get going"
    with psycopg.connect(committed_url) as conn:
        stored = {
            seq
            for (seq,) in conn.execute(
                "SELECT seq FROM gateway_message WHERE region_id = %s", (region_id,)
            )
        }
    assert set(answered) <= stored
    assert verify(committed_sessions, region_id).ok


@pytest.fixture
def writer_role(committed_url: str) -> Iterator[tuple[str, psycopg.Connection[Any]]]:
    """A login role of its own for the writer, so an outage can be staged for it alone."""
    role = f"simpul_log_writer_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(committed_url, autocommit=True) as admin:
        admin.execute(f'CREATE ROLE "{role}" LOGIN SUPERUSER')
        try:
            yield role, admin
        finally:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
                (role,),
            )
            admin.execute(f'DROP ROLE "{role}"')


def test_failed_writes_raise_and_the_writer_recovers(
    committed_url: str,
    committed_sessions: sessionmaker[Session],
    gateway_world: GatewayWorld,
    writer_role: tuple[str, psycopg.Connection[Any]],
) -> None:
    region_id = gateway_world.region.id
    role, admin = writer_role
    url = psycopg.conninfo.make_conninfo(committed_url, user=role)

    def drop_connections() -> None:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (role,)
        )

    async def main() -> None:
        writer = LogWriter(url, reconnect_delay=0.05)
        await writer.start()
        try:
            assert await writer.append(make_record(region_id, 1)) == 1
            # A record for a region that does not exist fails alone, not its batch neighbours.
            missing = writer.append(make_record(uuid.uuid4(), 2))
            fine = writer.append(make_record(region_id, 3))
            results = await asyncio.gather(missing, fine, return_exceptions=True)
            assert isinstance(results[0], MessageLogUnavailable) and results[1] == 2

            # The server drops the writer's connection: the next append reconnects by itself.
            drop_connections()
            assert await writer.append(make_record(region_id, 4)) == 3

            # The database refuses the writer: appends fail (the gateway answers 503) ...
            admin.execute(f'ALTER ROLE "{role}" NOLOGIN')
            try:
                drop_connections()
                with pytest.raises(MessageLogUnavailable):
                    await writer.append(make_record(region_id, 5))
            finally:
                admin.execute(f'ALTER ROLE "{role}" LOGIN')
            # ... and once it is back, the writer serves again.
            await asyncio.sleep(0.1)
            assert await writer.append(make_record(region_id, 6)) == 4
        finally:
            await writer.close()
        with pytest.raises(MessageLogUnavailable):
            await writer.append(make_record(region_id, 7))

    asyncio.run(main())
    report = verify(committed_sessions, region_id)
    assert report.ok and report.last_seq == 4


def test_a_commit_whose_answer_was_lost_is_not_written_twice(
    committed_url: str, committed_sessions: sessionmaker[Session], gateway_world: GatewayWorld
) -> None:
    region_id = gateway_world.region.id

    lost: set[bool] = set()

    async def main() -> list[int]:
        writer = LogWriter(committed_url, max_delay=0)
        await writer.start()
        real = writer._insert_and_commit

        async def answer_lost(
            conn: Any, rows: Any, lock_keys: list[int] | None, *rest: Any
        ) -> None:
            await real(conn, rows, lock_keys, *rest)
            fast_path = lock_keys is not None
            if fast_path not in lost:  # lose the answer once on each path
                lost.add(fast_path)
                raise psycopg.OperationalError("server closed the connection unexpectedly")

        writer._insert_and_commit = answer_lost  # type: ignore[method-assign]
        try:
            return [await writer.append(make_record(region_id, i)) for i in range(5)]
        finally:
            await writer.close()

    assert asyncio.run(main()) == [1, 2, 3, 4, 5]
    assert lost == {True, False}
    report = verify(committed_sessions, region_id)
    assert report.ok and report.last_seq == 5  # every record once, none twice


def test_writer_refuses_to_start_without_a_database(committed_url: str) -> None:
    bad_url = psycopg.conninfo.make_conninfo(committed_url, dbname="simpul_no_such_database")

    async def main() -> None:
        await LogWriter(bad_url).start()

    with pytest.raises(psycopg.OperationalError):
        asyncio.run(main())


def test_odd_text_is_stored_cut_and_cleaned_not_refused(
    committed_url: str, committed_sessions: sessionmaker[Session], gateway_world: GatewayWorld
) -> None:
    region_id = gateway_world.region.id

    async def main() -> None:
        writer = LogWriter(committed_url)
        await writer.start()
        try:
            odd = make_record(region_id, 1, client="x" * 1000, path="/a\x00b\udcff")
            assert await writer.append(odd) == 1
            with pytest.raises(ValueError, match="timezone-aware"):
                await writer.append(make_record(region_id, 2, at=datetime(2025, 1, 1)))  # noqa: DTZ001
        finally:
            await writer.close()

    asyncio.run(main())
    with psycopg.connect(committed_url) as conn:
        client, path = conn.execute(
            "SELECT client, path FROM gateway_message WHERE region_id = %s", (region_id,)
        ).fetchone() or ("", "")
    assert client == "x" * 300 and "\x00" not in path and path.startswith("/a")
    assert verify(committed_sessions, region_id).ok


def test_bodies_are_stored_encrypted_and_decrypt_back(
    committed_url: str, committed_sessions: sessionmaker[Session], gateway_world: GatewayWorld
) -> None:
    region_id = gateway_world.region.id
    bodies = b'{"request": {"nik": "3273010101900001"}, "response": {"nama": "Siti"}}'
    record = make_record(region_id, 1, bodies=bodies)

    async def main() -> None:
        writer = LogWriter(committed_url)
        await writer.start()
        try:
            await writer.append(record)
            await writer.append(make_record(region_id, 2))
        finally:
            await writer.close()

    asyncio.run(main())
    with psycopg.connect(committed_url) as conn:
        stored = [
            row[0]
            for row in conn.execute(
                "SELECT bodies_encrypted FROM gateway_message WHERE region_id = %s ORDER BY seq",
                (region_id,),
            )
        ]
    assert stored[1] is None
    assert stored[0] != bodies and b"3273010101900001" not in stored[0]
    assert decrypt_bodies(region_id, record.request_id, stored[0]) == bodies
    with pytest.raises(InvalidTag):  # bound to its record: another request id does not open it
        decrypt_bodies(region_id, uuid.uuid4(), stored[0])
    assert verify(committed_sessions, region_id).ok


# -- seals -------------------------------------------------------------------------------------


def seal_ranges(sessions: sessionmaker[Session], region_id: uuid.UUID) -> list[tuple[int, int]]:
    with sessions() as session:
        rows = session.execute(
            select(GatewayLogSeal.first_seq, GatewayLogSeal.last_seq)
            .where(GatewayLogSeal.region_id == region_id)
            .order_by(GatewayLogSeal.seq)
        ).all()
    return [(row.first_seq, row.last_seq) for row in rows]


def test_writer_seals_every_n_records_and_on_close(
    committed_url: str, committed_sessions: sessionmaker[Session], gateway_world: GatewayWorld
) -> None:
    region_id = gateway_world.region.id

    async def main() -> list[tuple[int, int]]:
        writer = LogWriter(committed_url, seal_every=50, seal_interval=600)
        await writer.start()
        try:
            for i in range(120):
                await writer.append(make_record(region_id, i))
            return seal_ranges(committed_sessions, region_id)
        finally:
            await writer.close()

    assert asyncio.run(main()) == [(1, 50), (51, 100)]
    assert seal_ranges(committed_sessions, region_id) == [(1, 50), (51, 100), (101, 120)]
    with committed_sessions() as session:
        seals = session.scalars(
            select(GatewayLogSeal).where(GatewayLogSeal.region_id == region_id)
        ).all()
        keys = public_keys(session, region_id)
    assert {s.kid for s in seals} == set(keys) and next(iter(keys)).startswith("r1-")
    report = verify(committed_sessions, region_id)
    assert report.ok and report.seals_checked == 3 and report.unsealed == 0


def test_writer_seals_when_idle(
    committed_url: str, committed_sessions: sessionmaker[Session], gateway_world: GatewayWorld
) -> None:
    region_id = gateway_world.region.id

    async def main() -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        writer = LogWriter(committed_url, seal_every=1000, seal_interval=0.2)
        await writer.start()
        try:
            for i in range(5):
                await writer.append(make_record(region_id, i))
            before = seal_ranges(committed_sessions, region_id)
            await asyncio.sleep(0.6)  # no more traffic: the timer seals
            return before, seal_ranges(committed_sessions, region_id)
        finally:
            await writer.close()

    before, after_idle = asyncio.run(main())
    assert before == [] and after_idle == [(1, 5)]


def test_seal_pending_and_keys_from_a_session(
    committed_sessions: sessionmaker[Session], gateway_world: GatewayWorld
) -> None:
    region_id = gateway_world.region.id
    with committed_sessions() as session, session.begin():
        assert seal_pending(session, region_id) is None  # nothing to seal yet
        assert append_records(session, [make_record(region_id, i) for i in range(5)]) == [
            1,
            2,
            3,
            4,
            5,
        ]
    with committed_sessions() as session, session.begin():
        seal = seal_pending(session, region_id)
        assert seal is not None and (seal.seq, seal.first_seq, seal.last_seq) == (1, 1, 5)
        assert seal_pending(session, region_id) is None
        kid, key = region_signing_key(session, region_id)
        assert kid == seal.kid
        row = session.scalars(select(RegionKey).where(RegionKey.region_id == region_id)).one()
        plain = base64.b64encode(key.private_bytes_raw()).decode()
        assert plain not in row.private_key_encrypted
        assert security.decrypt(KEY_PURPOSE, row.private_key_encrypted) == plain
        row.retired_at = datetime.now(UTC)  # rotation: the next seal gets a new key
    with committed_sessions() as session, session.begin():
        append_records(session, [make_record(region_id, 9)])
        second = seal_pending(session, region_id)
        assert second is not None and (second.first_seq, second.last_seq) == (6, 6)
        assert second.kid != seal.kid
    report = verify(committed_sessions, region_id)
    assert report.ok and report.seals_checked == 2  # the retired key still checks seal 1


# -- tampering ---------------------------------------------------------------------------------


def test_the_log_refuses_changes_without_a_superuser_bypass(
    committed_url: str, gateway_world: GatewayWorld
) -> None:
    region_id = gateway_world.region.id
    write(committed_url, region_id, 3)
    with psycopg.connect(committed_url) as conn:
        for statement in (
            "UPDATE gateway_message SET status = 500 WHERE region_id = %s",
            "DELETE FROM gateway_message WHERE region_id = %s",
            "DELETE FROM gateway_log_seal WHERE region_id = %s",
        ):
            with pytest.raises(psycopg.errors.RaiseException):
                conn.execute(statement, (region_id,))
            conn.rollback()


def test_a_changed_field_names_the_record(
    committed_url: str, committed_sessions: sessionmaker[Session], gateway_world: GatewayWorld
) -> None:
    region_id = gateway_world.region.id
    write(committed_url, region_id, 30, seal_every=10)
    with attacker(committed_url) as conn:
        conn.execute(
            "UPDATE gateway_message SET status = 403 WHERE region_id = %s AND seq = 17",
            (region_id,),
        )
    problem = verify(committed_sessions, region_id).first_problem
    assert problem is not None
    assert (problem.seq, problem.kind) == (17, ProblemKind.CHANGED)
    assert "17" in problem.message


def test_a_changed_record_with_its_own_hash_recomputed_is_named(
    committed_url: str, committed_sessions: sessionmaker[Session], gateway_world: GatewayWorld
) -> None:
    region_id = gateway_world.region.id
    write(committed_url, region_id, 12)
    with attacker(committed_url) as conn:
        row = conn.execute(
            "SELECT * FROM gateway_message WHERE region_id = %s AND seq = 5", (region_id,)
        ).fetchone()
        changed = row._replace(client="kota-uji/GOV/lain/penyusup")
        conn.execute(
            "UPDATE gateway_message SET client = %s, hash = %s WHERE region_id = %s AND seq = 5",
            (changed.client, record_hash(row.prev_hash, canonical_of(changed, 5)), region_id),
        )
    problem = verify(committed_sessions, region_id).first_problem
    assert problem is not None and (problem.seq, problem.kind) == (5, ProblemKind.CHANGED)


def test_a_removed_record_is_named(
    committed_url: str, committed_sessions: sessionmaker[Session], gateway_world: GatewayWorld
) -> None:
    region_id = gateway_world.region.id
    write(committed_url, region_id, 30, seal_every=10)
    with attacker(committed_url) as conn:
        conn.execute("DELETE FROM gateway_message WHERE region_id = %s AND seq = 23", (region_id,))
    problem = verify(committed_sessions, region_id).first_problem
    assert problem is not None and (problem.seq, problem.kind) == (23, ProblemKind.REMOVED)


def test_a_removed_record_with_the_rest_renumbered_is_named(
    committed_url: str, committed_sessions: sessionmaker[Session], gateway_world: GatewayWorld
) -> None:
    region_id = gateway_world.region.id
    write(committed_url, region_id, 20)
    with attacker(committed_url) as conn:
        conn.execute("DELETE FROM gateway_message WHERE region_id = %s AND seq = 8", (region_id,))
        conn.execute(
            "UPDATE gateway_message SET seq = -seq WHERE region_id = %s AND seq > 8", (region_id,)
        )
        conn.execute(
            "UPDATE gateway_message SET seq = -seq - 1 WHERE region_id = %s AND seq < 0",
            (region_id,),
        )
    problem = verify(committed_sessions, region_id).first_problem
    assert problem is not None and (problem.seq, problem.kind) == (8, ProblemKind.REMOVED)


def test_removed_sealed_records_at_the_end_are_named(
    committed_url: str, committed_sessions: sessionmaker[Session], gateway_world: GatewayWorld
) -> None:
    region_id = gateway_world.region.id
    write(committed_url, region_id, 25, seal_every=10)  # sealed up to 25 on close
    with attacker(committed_url) as conn:
        conn.execute("DELETE FROM gateway_message WHERE region_id = %s AND seq > 21", (region_id,))
    problem = verify(committed_sessions, region_id).first_problem
    assert problem is not None and (problem.seq, problem.kind) == (22, ProblemKind.REMOVED)


def test_an_inserted_record_is_named(
    committed_url: str, committed_sessions: sessionmaker[Session], gateway_world: GatewayWorld
) -> None:
    region_id = gateway_world.region.id
    write(committed_url, region_id, 20)
    with attacker(committed_url) as conn:
        # Make room at 11 and slip a well-formed, correctly hashed forgery in.
        conn.execute(
            "UPDATE gateway_message SET seq = -seq WHERE region_id = %s AND seq >= 11", (region_id,)
        )
        conn.execute(
            "UPDATE gateway_message SET seq = -seq + 1 WHERE region_id = %s AND seq < 0",
            (region_id,),
        )
        before = conn.execute(
            "SELECT * FROM gateway_message WHERE region_id = %s AND seq = 10", (region_id,)
        ).fetchone()
        forged = before._replace(seq=11, request_id=uuid.uuid4(), path="/penduduk/palsu")
        forged_hash = record_hash(before.hash, canonical_of(forged, 11))
        insert_row(conn, forged._replace(prev_hash=before.hash, hash=forged_hash))
    problem = verify(committed_sessions, region_id).first_problem
    assert problem is not None and (problem.seq, problem.kind) == (11, ProblemKind.INSERTED)


def test_a_rewritten_chain_fails_the_seal_that_covers_it(
    committed_url: str, committed_sessions: sessionmaker[Session], gateway_world: GatewayWorld
) -> None:
    region_id = gateway_world.region.id
    write(committed_url, region_id, 45, seal_every=10)
    with committed_sessions() as session:
        ranges = session.execute(
            select(GatewayLogSeal.seq, GatewayLogSeal.first_seq, GatewayLogSeal.last_seq)
            .where(GatewayLogSeal.region_id == region_id)
            .order_by(GatewayLogSeal.seq)
        ).all()
    holding = next(r for r in ranges if r.first_seq <= 27 <= r.last_seq)
    with attacker(committed_url) as conn:
        conn.execute(
            "UPDATE gateway_message SET status = 200, error = '' , path = '/penduduk/lain' "
            "WHERE region_id = %s AND seq = 27",
            (region_id,),
        )
        rechain(conn, region_id, 27)
    report = verify(committed_sessions, region_id)
    problem = report.first_problem
    assert problem is not None
    assert (problem.seq, problem.kind) == (holding.first_seq, ProblemKind.CHANGED)
    assert f"segel {holding.seq}" in problem.message
    assert f"{holding.first_seq} sampai {holding.last_seq}" in problem.message


def test_a_forged_seal_is_invalid(
    committed_url: str, committed_sessions: sessionmaker[Session], gateway_world: GatewayWorld
) -> None:
    region_id = gateway_world.region.id
    write(committed_url, region_id, 30, seal_every=10)
    with attacker(committed_url) as conn:
        # Cover a rewritten chain by making seal 2 claim the new hash at its end.
        conn.execute(
            "UPDATE gateway_message SET status = 500 WHERE region_id = %s AND seq = 15",
            (region_id,),
        )
        rechain(conn, region_id, 15)
        conn.execute(
            "UPDATE gateway_log_seal s SET last_hash = m.hash FROM gateway_message m "
            "WHERE s.region_id = %s AND m.region_id = s.region_id AND m.seq = s.last_seq "
            "AND s.seq >= 2",
            (region_id,),
        )
    problem = verify(committed_sessions, region_id).first_problem
    assert problem is not None
    assert problem.kind == ProblemKind.SEAL_INVALID and problem.seq == 11


def test_a_seal_signed_with_an_unknown_key_is_invalid(
    committed_url: str, committed_sessions: sessionmaker[Session], gateway_world: GatewayWorld
) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    region_id = gateway_world.region.id
    write(committed_url, region_id, 10, seal_every=5)
    with attacker(committed_url) as conn:
        last = conn.execute(
            "SELECT * FROM gateway_log_seal WHERE region_id = %s ORDER BY seq DESC LIMIT 1",
            (region_id,),
        ).fetchone()
    # The attacker appends a record and seals it with a key of their own.
    with committed_sessions() as session, session.begin():
        append_records(session, [make_record(region_id, 99)])
    previous = msglog.SealFields(
        region_id,
        *(
            getattr(last, f)
            for f in (
                "seq",
                "first_seq",
                "last_seq",
                "last_hash",
                "prev_seal_hash",
                "sealed_at",
                "kid",
                "signature",
            )
        ),
    )
    with psycopg.connect(committed_url) as conn:
        tip = conn.execute(
            "SELECT seq, hash FROM gateway_message WHERE region_id = %s ORDER BY seq DESC LIMIT 1",
            (region_id,),
        ).fetchone()
        assert tip is not None
        forged = msglog.build_seal(
            region_id,
            previous,
            (tip[0], tip[1]),
            "r1-penyusup",
            Ed25519PrivateKey.generate(),
            datetime.now(UTC),
        )
        assert forged is not None
        conn.execute(
            "INSERT INTO gateway_log_seal VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                region_id,
                forged.seq,
                forged.first_seq,
                forged.last_seq,
                forged.last_hash,
                forged.prev_seal_hash,
                forged.sealed_at,
                forged.kid,
                forged.signature,
            ),
        )
    report = verify(committed_sessions, region_id)
    problem = report.first_problem
    assert problem is not None and problem.kind == ProblemKind.SEAL_INVALID
    assert problem.seq == 11 and "r1-penyusup" in problem.message


# -- the CLI -----------------------------------------------------------------------------------


@pytest.fixture
def run_audit(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    runner = CliRunner()

    def invoke(sessions: sessionmaker[Session], *args: str):  # type: ignore[no-untyped-def]
        monkeypatch.setattr(cli, "session_factory", lambda: sessions)
        return runner.invoke(audit_app, list(args))

    return invoke


def test_audit_verify_exit_codes(  # type: ignore[no-untyped-def]
    run_audit,
    committed_url: str,
    committed_sessions: sessionmaker[Session],
    gateway_world: GatewayWorld,
) -> None:
    region = gateway_world.region
    write(committed_url, region.id, 20, seal_every=10)
    clean = run_audit(committed_sessions, "verify", "--region", region.slug)
    assert clean.exit_code == 0, clean.output
    report = json.loads(clean.stdout.splitlines()[0])
    assert report["ok"] is True and report["records_checked"] == 20 and report["seals_checked"] == 2

    with attacker(committed_url) as conn:
        conn.execute(
            "UPDATE gateway_message SET duration_us = 1 WHERE region_id = %s AND seq = 6",
            (region.id,),
        )
    # The first run remembered seal 2 as verified: the next starts after it, and only a
    # full walk goes back over record 6.
    incremental = run_audit(committed_sessions, "verify", "--region", region.slug)
    assert incremental.exit_code == 0, incremental.output
    report = json.loads(incremental.stdout.splitlines()[0])
    assert report["started_from"] == "checkpoint" and report["records_checked"] == 0
    tampered = run_audit(committed_sessions, "verify", "--region", region.slug, "--full")
    assert tampered.exit_code == 1
    report = json.loads(tampered.stdout.splitlines()[0])
    assert report["ok"] is False
    assert report["first_problem"]["seq"] == 6 and report["first_problem"]["kind"] == "changed"
    assert "Catatan 6 diubah" in tampered.stderr

    both = run_audit(committed_sessions, "verify", "--region", region.slug, "--all")
    assert both.exit_code == 2
    unknown = run_audit(committed_sessions, "verify", "--region", "tidak-ada")
    assert unknown.exit_code == 2
    bad_option = run_audit(committed_sessions, "verify", "--regoin", region.slug)
    assert bad_option.exit_code == 2


def test_audit_verify_all_regions(  # type: ignore[no-untyped-def]
    run_audit, session_factory: sessionmaker[Session], session: Session
) -> None:
    # The rolled-back test database holds only the regions made here.
    first = make_region(session, "kota-satu", "Kota Satu")
    second = make_region(session, "kota-dua", "Kota Dua", agency_slug="dinas-dua")
    append_records(session, [make_record(first.id, i) for i in range(4)])
    append_records(session, [make_record(second.id, i) for i in range(3)])
    seal_pending(session, first.id)
    session.commit()
    result = run_audit(session_factory, "verify", "--all")
    assert result.exit_code == 0, result.output
    reports = {r["region"]: r for r in map(json.loads, result.stdout.splitlines())}
    assert reports["kota-satu"]["unsealed"] == 0 and reports["kota-dua"]["unsealed"] == 3

    session.execute(text("SET LOCAL session_replication_role = replica"))
    session.execute(
        text("DELETE FROM gateway_message WHERE region_id = :r AND seq = 2"), {"r": second.id}
    )
    session.execute(text("SET LOCAL session_replication_role = origin"))
    result = run_audit(session_factory, "verify", "--all")
    assert result.exit_code == 1
    reports = {r["region"]: r for r in map(json.loads, result.stdout.splitlines())}
    assert reports["kota-satu"]["ok"] is True
    assert reports["kota-dua"]["first_problem"]["kind"] == "removed"


def test_audit_seal_and_export(  # type: ignore[no-untyped-def]
    run_audit, committed_sessions: sessionmaker[Session], gateway_world: GatewayWorld
) -> None:
    region = gateway_world.region
    with committed_sessions() as session, session.begin():
        append_records(
            session,
            [make_record(region.id, 1, bodies=b"isi"), make_record(region.id, 2)]
            + [make_record(region.id, i) for i in range(3, 8)],
        )
    sealed = run_audit(committed_sessions, "seal", "--region", region.slug)
    assert sealed.exit_code == 0 and "segel 1" in sealed.stdout
    again = run_audit(committed_sessions, "seal", "--region", region.slug)
    assert again.exit_code == 0 and "sudah disegel" in again.stdout

    exported = run_audit(
        committed_sessions, "export", "--region", region.slug, "--from", "1", "--to", "3"
    )
    assert exported.exit_code == 0, exported.output
    lines = [json.loads(line) for line in exported.stdout.splitlines()]
    assert [line["seq"] for line in lines] == [1, 2, 3]
    assert "bodies" not in lines[0] and lines[0]["bodies_sha256"] and not lines[1]["bodies_sha256"]
    # An auditor can recompute every hash from the export alone.
    prev = bytes(32)
    for line in lines:
        digest = line["bodies_sha256"]
        canonical = canonical_bytes(
            uuid.UUID(str(region.id)),
            line["seq"],
            at=datetime.fromisoformat(line["at"]),
            request_id=uuid.UUID(line["request_id"]),
            client=line["client"],
            service=line["service"],
            endpoint=line["endpoint"],
            method=line["method"],
            path=line["path"],
            status=line["status"],
            error=line["error"],
            duration_us=line["duration_us"],
            request_bytes=line["request_bytes"],
            response_bytes=line["response_bytes"],
            bodies_encrypted=None,
        )
        if digest:  # the canonical form holds the digest of the bodies, not the bodies
            canonical = canonical[:-1] + b"\x01" + bytes.fromhex(digest)
        assert bytes.fromhex(line["prev_hash"]) == prev
        prev = record_hash(prev, canonical)
        assert prev.hex() == line["hash"]
    listed = run_audit(committed_sessions, "keys", "--region", region.slug)
    assert listed.exit_code == 0, listed.output
    (key,) = [json.loads(line) for line in listed.stdout.splitlines()]
    with committed_sessions() as session:
        assert base64.b64decode(key["public_key"]) == next(
            k for kid, k in public_keys_raw(session, region.id) if kid == key["kid"]
        )
    backwards = run_audit(
        committed_sessions, "export", "--region", region.slug, "--from", "5", "--to", "2"
    )
    assert backwards.exit_code == 2


def public_keys_raw(session: Session, region_id: uuid.UUID) -> list[tuple[str, bytes]]:
    rows = session.scalars(select(RegionKey).where(RegionKey.region_id == region_id)).all()
    return [(row.kid, row.public_key) for row in rows]
