"""The group-commit writer the data plane appends through (see the package docstring)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from simpul.core.models import utcnow
from simpul.gateway.monitor import repository as traffic
from simpul.gateway.msglog import keys as region_keys
from simpul.gateway.msglog import repository
from simpul.gateway.msglog.records import (
    ZERO_HASH,
    MessageRecord,
    chained_row,
    encrypted_bodies_of,
    storable,
)
from simpul.gateway.msglog.seals import SealFields, build_seal

log = logging.getLogger(__name__)

#: From this many rows a batch is written with binary COPY, below with pipelined INSERTs.
COPY_THRESHOLD: Final = 64
#: Months of partitions made ahead of time (at start; ``simpul worker`` keeps them coming).
PARTITIONS_AHEAD: Final = 3
#: After this long without a write the connection may have died unnoticed: take the path
#: whose first round trip can be retried safely.
_IDLE_BEFORE_CHECK: Final = 10.0


class MessageLogUnavailable(Exception):
    """The record is not durable: the caller must not answer as if the exchange was logged."""


def libpq_conninfo(url: str) -> str:
    """A database URL as libpq reads it, whatever SQLAlchemy driver it names."""
    for scheme in ("postgresql+psycopg://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql://" + url[len(scheme) :]
    return url


@dataclass(slots=True)
class _Pending:
    record: MessageRecord
    bodies_encrypted: bytes | None
    future: asyncio.Future[int]
    since: float


@dataclass(slots=True)
class _Plan:
    """A batch chained onto known tips: the rows to insert and what to tell whom after."""

    rows: list[tuple[Any, ...]]
    written: list[tuple[_Pending, int]]
    refused: list[_Pending]
    #: The tips after these rows.
    tips: dict[uuid.UUID, tuple[int, bytes]]


@dataclass(slots=True)
class _Unsealed:
    count: int
    since: float


class LogWriter:
    """Appends records in batches, one transaction each; ``append`` returns once it committed.

    Run one per process inside its event loop: ``await start()``, then ``await append(r)``
    from any task, ``await close()`` on shutdown (writes what is queued and seals).
    """

    def __init__(
        self,
        conninfo: str,
        *,
        max_batch: int = 500,
        max_delay: float = 0.002,
        seal_every: int = 1000,
        seal_interval: float = 5.0,
        statement_timeout: float = 10.0,
        reconnect_delay: float = 0.5,
    ) -> None:
        if max_batch < 1 or seal_every < 1:
            raise ValueError("max_batch and seal_every must be at least 1")
        self._conninfo = libpq_conninfo(conninfo)
        self._max_batch = max_batch
        self._max_delay = max_delay
        self._seal_every = seal_every
        self._seal_interval = seal_interval
        self._statement_timeout_ms = int(statement_timeout * 1000)
        self._reconnect_delay = reconnect_delay
        self._pending: list[_Pending] = []
        self._unsealed: dict[uuid.UUID, _Unsealed] = {}
        self._lock_keys: dict[uuid.UUID, int] = {}
        self._signing_keys: dict[uuid.UUID, tuple[str, Ed25519PrivateKey]] = {}
        #: The tip this writer last committed per region, and the regions where that is
        #: still believed to be the tip (nobody else appended): those take the fast path.
        self._last_tips: dict[uuid.UUID, tuple[int, bytes]] = {}
        self._trusted: set[uuid.UUID] = set()
        self._last_used = 0.0
        self._conn: psycopg.AsyncConnection[tuple[Any, ...]] | None = None
        self._retry_after = 0.0
        self._last_error: BaseException | None = None
        self._wakeup: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._linger = False
        #: Counters for metrics: records committed, batches committed, records refused.
        self.written = 0
        self.batches = 0
        self.failed = 0

    # -- public ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect (raising if the database cannot be reached), make sure the coming months'
        partitions exist, and start the writer task."""
        if self._task is not None:
            raise RuntimeError("LogWriter already started")
        self._conn = await self._connect()
        await self._conn.execute(repository.ENSURE_PARTITIONS_SQL, (PARTITIONS_AHEAD,))
        self._wakeup = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(
            self._run(), name="simpul-message-log-writer"
        )

    async def append(self, record: MessageRecord) -> int:
        """Write ``record``; return its seq once committed, or raise ``MessageLogUnavailable``.

        Text too long for its column is cut; a naive ``at`` or a negative number is a bug of
        the caller and raises ``ValueError`` at once.
        """
        if self._task is None or self._wakeup is None or self._closing or self._task.done():
            raise MessageLogUnavailable("the message log writer is not running")
        record = storable(record)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[int] = loop.create_future()
        self._pending.append(_Pending(record, encrypted_bodies_of(record), future, loop.time()))
        if len(self._pending) == 1 or len(self._pending) >= self._max_batch:
            self._wakeup.set()
        return await future

    async def close(self) -> None:
        """Write everything queued, seal what is unsealed, disconnect."""
        if self._task is None or self._wakeup is None:
            return
        self._closing = True
        self._wakeup.set()
        try:
            await self._task
        finally:
            if self._conn is not None:
                await self._conn.close()
                self._conn = None

    # -- the writer task ------------------------------------------------------------------

    async def _run(self) -> None:
        try:
            while True:
                await self._wait_for_work()
                if self._pending:
                    batch = self._pending[: self._max_batch]
                    del self._pending[: self._max_batch]
                    # Wait for company (up to max_delay) only while there is some: a lone
                    # record means a quiet moment, where waiting would only add latency.
                    self._linger = len(batch) > 1
                    await self._write(batch)
                await self._seal_due()
                if self._closing and not self._pending:
                    return
        finally:
            # Cancelled (or broken): nobody may wait forever for a write that will not happen.
            self._fail(self._pending, MessageLogUnavailable("the message log writer stopped"))
            self._pending = []

    async def _wait_for_work(self) -> None:
        """Return when there is a batch to write or a seal is due.

        With records queued, linger for more (group commit) up to ``max_delay`` after the
        oldest, but only while it pays: not after a lone record (a quiet moment), and not once
        a quarter of ``max_delay`` went by without a new record (everyone in flight is in).
        """
        assert self._wakeup is not None
        loop = asyncio.get_running_loop()
        seen = -1
        while True:
            now = loop.time()
            if self._pending:
                count = len(self._pending)
                if self._closing or not self._linger or count >= self._max_batch or count == seen:
                    return
                seen = count
                timeout: float | None = min(
                    self._pending[0].since + self._max_delay - now, self._max_delay / 4
                )
            elif self._closing:
                return
            else:
                due = min((u.since for u in self._unsealed.values()), default=None)
                timeout = None if due is None else due + self._seal_interval - now
            if timeout is not None and timeout <= 0:
                return
            self._wakeup.clear()
            # A timer that sets the event: cheaper than wait_for (no extra task, no cancel).
            timer = None if timeout is None else loop.call_later(timeout, self._wakeup.set)
            await self._wakeup.wait()
            if timer is not None:
                timer.cancel()

    def _fail(self, batch: Iterable[_Pending], error: BaseException) -> None:
        for pending in batch:
            self.failed += 1
            if not pending.future.done():
                pending.future.set_exception(error)

    def _lock_key(self, region_id: uuid.UUID) -> int:
        key = self._lock_keys.get(region_id)
        if key is None:
            key = self._lock_keys[region_id] = repository.region_log_lock_key(region_id)
        return key

    async def _write(self, batch: list[_Pending]) -> None:
        regions = sorted({p.record.region_id for p in batch}, key=self._lock_key)
        try:
            written, refused = await self._commit_batch(batch, regions)
        except Exception as exc:  # noqa: BLE001 - whatever failed, every waiting caller must hear it
            log.warning("message log: a batch of %d records failed: %s", len(batch), exc)
            self._trusted.difference_update(regions)
            await self._abandon_transaction()
            if isinstance(exc, MessageLogUnavailable):
                self._fail(batch, exc)
            else:
                error = MessageLogUnavailable(f"the message log could not be written: {exc}")
                error.__cause__ = exc
                self._fail(batch, error)
            return
        self._fail(refused, MessageLogUnavailable("the record's region does not exist"))
        self.batches += 1
        self.written += len(written)
        now = asyncio.get_running_loop().time()
        self._last_used = now
        for pending, seq in written:
            if not pending.future.done():
                pending.future.set_result(seq)
            unsealed = self._unsealed.get(pending.record.region_id)
            if unsealed is None:
                self._unsealed[pending.record.region_id] = _Unsealed(1, now)
            else:
                unsealed.count += 1

    async def _commit_batch(
        self, batch: list[_Pending], regions: list[uuid.UUID]
    ) -> tuple[list[tuple[_Pending, int]], list[_Pending]]:
        """Chain and commit ``batch``; return (record, seq) written and the records refused.

        Fast path, one round trip: when this writer made the last commit to every region of the
        batch and nobody else wrote since, it chains onto the tips it remembers and sends
        BEGIN, the locks, the INSERT and COMMIT together. Had another writer appended after
        all, its first record holds the seq we try to use and the primary key refuses ours:
        roll back and take the careful path, which reads the tips under the lock first.

        A connection lost mid-way is retried once on a new one. If a COMMIT had been sent, it
        may have landed: under the lock (which waits out the old transaction) the retry looks
        for the batch's first row with its hash, and reports success instead of writing twice.
        """
        lock_keys = [self._lock_key(region_id) for region_id in regions]
        loop = asyncio.get_running_loop()
        fast = loop.time() - self._last_used < _IDLE_BEFORE_CHECK and self._trusted.issuperset(
            regions
        )
        sent: _Plan | None = None  # a plan whose COMMIT was sent without an answer
        for attempt in (1, 2):
            conn = await self._connection()
            try:
                if fast:
                    fast = False
                    sent = plan = self._chain(batch, dict(self._last_tips))
                    expected = [(r, self._last_tips[r][0]) for r in regions]
                    try:
                        await self._insert_and_commit(conn, plan.rows, lock_keys, expected)
                    except psycopg.errors.UniqueViolation:
                        sent = None
                        await conn.execute("ROLLBACK")
                        self._trusted.difference_update(regions)
                    else:
                        self._last_tips.update(plan.tips)
                        return plan.written, plan.refused
                read = await self._lock_and_read_tips(conn, lock_keys, regions)
                if sent is not None and await self._landed(conn, sent):
                    await conn.execute("ROLLBACK")
                    self._last_tips.update(sent.tips)
                    return sent.written, sent.refused
                sent = plan = self._chain(batch, dict(read))
                await self._insert_and_commit(conn, plan.rows, None)
            except psycopg.OperationalError:
                if attempt == 2:
                    raise
                await self._discard_connection()
                continue
            for region_id in regions:
                if region_id in read and read[region_id] == self._last_tips.get(region_id):
                    self._trusted.add(region_id)  # nobody else wrote between our two commits
                else:
                    self._trusted.discard(region_id)
            self._last_tips.update(plan.tips)
            return plan.written, plan.refused
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    async def _landed(conn: psycopg.AsyncConnection[tuple[Any, ...]], plan: _Plan) -> bool:
        """Whether the plan's transaction committed (it is atomic: its first row tells)."""
        if not plan.rows:
            return False
        first = plan.rows[0]
        cursor = await conn.execute(repository.HASH_AT_SQL, (first[0], first[1]))
        found = await cursor.fetchone()
        return found is not None and found[0] == first[-1]

    @staticmethod
    def _chain(batch: list[_Pending], tips: dict[uuid.UUID, tuple[int, bytes]]) -> _Plan:
        """Number and hash the batch onto ``tips`` (updated in place)."""
        plan = _Plan(rows=[], written=[], refused=[], tips=tips)
        for pending in batch:
            region_id = pending.record.region_id
            tip = tips.get(region_id)
            if tip is None:
                plan.refused.append(pending)
                continue
            seq = tip[0] + 1
            row = chained_row(pending.record, pending.bodies_encrypted, seq, tip[1])
            tips[region_id] = (seq, row[-1])
            plan.rows.append(row)
            plan.written.append((pending, seq))
        return plan

    async def _lock_and_read_tips(
        self,
        conn: psycopg.AsyncConnection[tuple[Any, ...]],
        lock_keys: list[int],
        regions: list[uuid.UUID],
    ) -> dict[uuid.UUID, tuple[int, bytes]]:
        async with conn.pipeline():
            await conn.execute("BEGIN")
            for key in lock_keys:  # in key order: two writers never deadlock
                await conn.execute(repository.LOCK_SQL, (key,))
            cursor = await conn.execute(repository.TIPS_SQL, (regions,))
        return {
            region_id: (seq or 0, tip_hash or ZERO_HASH)
            for region_id, seq, tip_hash in await cursor.fetchall()
        }

    async def _insert_and_commit(
        self,
        conn: psycopg.AsyncConnection[tuple[Any, ...]],
        rows: list[tuple[Any, ...]],
        begin_with_locks: list[int] | None,
        expected_tips: list[tuple[uuid.UUID, int]] | None = None,
    ) -> None:
        """Insert and commit; with ``begin_with_locks`` also open the transaction and lock,
        and check that every region's tip is still the ``expected_tips`` one."""
        if not rows:
            await conn.execute("ROLLBACK")
            return
        if len(rows) < COPY_THRESHOLD:
            async with conn.pipeline():
                await self._begin(conn, begin_with_locks, expected_tips)
                if len(rows) == 1:
                    await conn.execute(repository.INSERT_MESSAGE_SQL, rows[0])
                else:
                    async with conn.cursor() as cursor:
                        await cursor.executemany(repository.INSERT_MESSAGE_SQL, rows)
                await traffic.add_traffic(conn, rows)  # the monitor's rollup, same transaction
                done = await conn.execute("COMMIT")
        else:
            if begin_with_locks is not None:
                async with conn.pipeline():
                    await self._begin(conn, begin_with_locks, expected_tips)
            async with conn.cursor() as cursor, cursor.copy(repository.COPY_MESSAGES_SQL) as copy:
                copy.set_types(list(repository.MESSAGE_COPY_TYPES))
                for row in rows:
                    await copy.write_row(row)
            async with conn.pipeline():
                await traffic.add_traffic(conn, rows)  # the monitor's rollup, same transaction
                done = await conn.execute("COMMIT")
        # COMMIT of a failed transaction "succeeds" as ROLLBACK: never take that for durable.
        if done.statusmessage != "COMMIT":
            raise MessageLogUnavailable(f"the transaction ended with {done.statusmessage}")

    @staticmethod
    async def _begin(
        conn: psycopg.AsyncConnection[tuple[Any, ...]],
        lock_keys: list[int] | None,
        expected_tips: list[tuple[uuid.UUID, int]] | None,
    ) -> None:
        if lock_keys is not None:
            await conn.execute("BEGIN")
            for key in lock_keys:
                await conn.execute(repository.LOCK_SQL, (key,))
            # The key holds ``at`` (partitions), so a reused seq is not refused by it: ask.
            for region_id, seq in expected_tips or ():
                await conn.execute(repository.EXPECT_TIP_SQL, (region_id, seq))

    # -- sealing --------------------------------------------------------------------------

    async def _seal_due(self) -> None:
        if not self._unsealed:
            return
        now = asyncio.get_running_loop().time()
        for region_id, unsealed in list(self._unsealed.items()):
            if not (
                self._closing
                or unsealed.count >= self._seal_every
                or now - unsealed.since >= self._seal_interval
            ):
                continue
            try:
                await self._seal(region_id)
            except Exception as exc:  # noqa: BLE001 - the log keeps working; sealing retries later
                log.warning("message log: sealing region %s failed: %s", region_id, exc)
                await self._abandon_transaction()
                unsealed.since = now  # try again after another interval
                if self._closing:
                    return
            else:
                self._unsealed.pop(region_id, None)

    async def _seal(self, region_id: uuid.UUID) -> None:
        conn = await self._connection()
        async with conn.pipeline():
            await conn.execute("BEGIN")
            await conn.execute(repository.LOCK_SQL, (self._lock_key(region_id),))
            last_cursor = await conn.execute(repository.LAST_SEAL_SQL, (region_id,))
            tip_cursor = await conn.execute(repository.TIP_SQL, {"r": region_id})
            key_cursor = await conn.execute(repository.CURRENT_KEY_SQL, (region_id,))
        last = await last_cursor.fetchone()
        tip = await tip_cursor.fetchone()
        key_row = await key_cursor.fetchone()
        previous = None if last is None else SealFields(region_id, *last)
        new_key = None
        if key_row is None:
            new_key = region_keys.generate_signing_key()
            kid, key = new_key.kid, new_key.private_key
        else:
            kid, key = self._signing_key(region_id, key_row[0], key_row[1])
        fields = (
            None
            if tip is None
            else build_seal(region_id, previous, (tip[0], tip[1]), kid, key, utcnow())
        )
        if fields is None:  # another writer sealed it already
            await conn.execute("ROLLBACK")
            return
        async with conn.pipeline():
            if new_key is not None:
                await conn.execute(
                    repository.INSERT_KEY_SQL,
                    (
                        uuid.uuid4(),
                        region_id,
                        new_key.kid,
                        new_key.public_key,
                        new_key.private_key_encrypted,
                    ),
                )
            await conn.execute(
                repository.INSERT_SEAL_SQL,
                (
                    region_id,
                    fields.seq,
                    fields.first_seq,
                    fields.last_seq,
                    fields.last_hash,
                    fields.prev_seal_hash,
                    fields.sealed_at,
                    fields.kid,
                    fields.signature,
                ),
            )
            done = await conn.execute("COMMIT")
        if done.statusmessage != "COMMIT":
            raise MessageLogUnavailable(f"the seal transaction ended with {done.statusmessage}")
        self._last_used = asyncio.get_running_loop().time()
        if new_key is not None:
            self._signing_keys[region_id] = (new_key.kid, new_key.private_key)

    def _signing_key(
        self, region_id: uuid.UUID, kid: str, encrypted: str
    ) -> tuple[str, Ed25519PrivateKey]:
        cached = self._signing_keys.get(region_id)
        if cached is not None and cached[0] == kid:
            return cached
        key = region_keys.decrypt_private_key(kid, encrypted)
        self._signing_keys[region_id] = (kid, key)
        return kid, key

    # -- the connection -------------------------------------------------------------------

    async def _connect(self) -> psycopg.AsyncConnection[tuple[Any, ...]]:
        conn = await psycopg.AsyncConnection.connect(
            self._conninfo,
            autocommit=True,  # transactions are spelled out, so BEGIN joins the first pipeline
            application_name="simpul-gateway-log",
            connect_timeout=5,
            options=f"-c statement_timeout={self._statement_timeout_ms}",
        )
        cursor = await conn.execute("SHOW synchronous_commit")
        setting = await cursor.fetchone()
        if setting is not None and setting[0] == "off":
            await conn.execute("SET synchronous_commit = on")  # a record must survive a crash
        return conn

    async def _connection(self) -> psycopg.AsyncConnection[tuple[Any, ...]]:
        if self._conn is not None and not self._conn.closed:
            return self._conn
        loop = asyncio.get_running_loop()
        if loop.time() < self._retry_after:
            raise MessageLogUnavailable("the message log database is unreachable") from (
                self._last_error
            )
        try:
            self._conn = await self._connect()
        except Exception as exc:
            self._retry_after = loop.time() + self._reconnect_delay
            self._last_error = exc
            raise
        return self._conn

    async def _discard_connection(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                await conn.close()
            except Exception:  # it is being thrown away anyway
                log.debug("message log: closing a broken connection failed", exc_info=True)

    async def _abandon_transaction(self) -> None:
        """Roll back whatever the connection holds; drop the connection if even that fails."""
        conn = self._conn
        if conn is None:
            return
        if conn.closed or conn.broken:
            await self._discard_connection()
            return
        try:
            await conn.execute("ROLLBACK")
        except Exception:  # noqa: BLE001 - a fresh connection will be made
            await self._discard_connection()
