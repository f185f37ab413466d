"""The gateway's tamper-evident message log.

**What is kept.** One record per exchange of an identified caller through the gateway
(``MessageRecord``): time, the caller, the service and endpoint, method and path (never the
query string), status, duration, sizes and request id. Parameters the service's OpenAPI marks
personal are kept only as keyed hashes (``personal``: ``/penduduk/{nik=h:...}``, and for such
query parameters ``?{nik=h:...}``). Bodies only when the service asks for it
(``GatewayService.log_bodies``), then encrypted with AES-256-GCM under a key derived for the
purpose ``gateway-bodies``, bound to the record's region and request id. Calls refused before
the caller was identified are not records: they are counted per minute and reason beside the
log (``refusals``, table ``gateway_refusal``), outside the chain and the seals.

**Hash chain.** Each region's records are numbered 1, 2, 3 ... without gaps. Each record stores
``hash = SHA-256(prev_hash || canonical_bytes(record))`` where ``prev_hash`` is the hash of the
record before it (32 zero bytes for record 1). Changing a stored field breaks that record's
hash; removing or inserting a record breaks the numbering or a link. ``canonical_bytes`` (v1)
is, in this order: the 4 bytes ``SGM1``; the region id (16 bytes); seq (int64); ``at`` as
microseconds since 1970-01-01 UTC (int64); the request id (16 bytes); client, service,
endpoint, method and path, each as a uint32 byte length and its UTF-8 bytes; status (int64);
error (uint32 length + UTF-8); duration_us, request_bytes, response_bytes (int64 each); then
one byte 0 when no bodies were kept, or 1 followed by the SHA-256 of the stored ciphertext.
Integers are big-endian. Hashing the digest of the bodies, not the bodies, lets an auditor
recompute every hash from an export that leaves the bodies out (``simpul audit export``).

**Seals.** Anyone who can write the table can also recompute a chain, so the gateway regularly
signs its tip: a ``GatewayLogSeal`` states, with the region's Ed25519 key (``gateway.keys``),
that records ``first_seq..last_seq`` ended in ``last_hash``. The signed bytes are
``seal_message(...)``: ``SGS1``, region id, seal seq, first_seq, last_seq (int64 each),
last_hash, prev_seal_hash (32 bytes each), sealed_at in microseconds (int64). Seals form a chain
of their own (``prev_seal_hash`` = SHA-256 of the previous seal's signed bytes and signature),
so a removed or forged seal is noticed, and ranges follow each other without gaps. A writer
seals when a region has ``seal_every`` unsealed records or its oldest unsealed record is
``seal_interval`` seconds old; ``simpul audit seal`` seals by hand. ``verify_region`` checks
all of it and names the first record that was changed, removed or inserted; an attacker who
rewrites a record *and* every later hash is caught by the first seal whose range holds it.
Records after the last seal are only protected by the chain until the next seal. Seals are
checked with the public keys in ``region_key``; a database superuser could add a key of their
own there, so an auditor keeps a copy of the region's public keys (``simpul audit keys``).

**Group commit and durability.** The data plane calls ``await LogWriter.append(record)`` and
answers its caller only after it returns. ``append`` queues the record and waits; one
background task owns a psycopg connection and writes whatever has queued as one transaction:
take each region's advisory lock (so several gateway processes keep one linear chain per
region), read the region's tip under the lock, chain the records, insert them (pipelined
``executemany`` for small batches, binary ``COPY`` from 64 rows on: measured cheaper in CPU per
row from there), ``COMMIT``, and only then resolve the waiting callers. When the writer itself
made the region's last commit it skips reading the tip and sends BEGIN, lock, INSERT and COMMIT
in one round trip; if another writer appended meanwhile, the primary key refuses the reused seq
and the batch is redone the careful way. A batch thus costs one or two round trips and one WAL
flush however many requests it holds; while it commits, the next batch gathers, and under load
the writer lingers up to ``max_delay`` for more (not after a lone record, and not once arrivals
pause): fewer, larger commits cost less CPU at the price of a millisecond or two.
If the connection is lost after COMMIT was sent, the retry looks for the batch's first row
under the lock before writing anything again: a record is never stored twice.
``synchronous_commit`` is forced back on if the server has it off. A gateway killed with
SIGKILL loses only records whose callers are still waiting, i.e. requests never answered.
When the write fails, ``append`` raises ``MessageLogUnavailable`` and the data plane answers
503 instead of pretending.

**Months, archives, verification.** The table is partitioned by month of ``at`` (decision
0037). Months older than a region's ``log_retention_months`` are written to signed archive
files (``archive``, ``retention``: records and seals up to a seal's end, a manifest signed
with the region's key), checked as read back, recorded in ``gateway_log_archive``, and their
partitions dropped once every region's records in them are archived. ``verify_region`` streams
records and seals from the newest of: the first record, the archived boundary, the last seal a
previous run found intact (``gateway_log_verification``; ``full=True`` ignores it). The staff
audit trail (core's ``audit_event``) is archived and dropped the same way by ``trail``.

Modules: ``records`` (the record, its canonical bytes and hash, encrypted bodies), ``seals``,
``writer`` (``LogWriter``), ``verify`` (``verify_region``), ``archive``, ``retention``, ``trail``,
``personal`` (keyed hashes of personal parameters), ``refusals`` (counts of unidentified
refusals); tables in ``models``, queries in ``repository``, the region's signing keys in
``keys``, the ``simpul audit`` commands in ``cli``.
"""

from simpul.gateway.msglog.records import (
    BODIES_PURPOSE,
    ZERO_HASH,
    MessageRecord,
    append_records,
    bodies_digest,
    canonical_bytes,
    decrypt_bodies,
    encrypt_bodies,
    record_hash,
    storable,
)
from simpul.gateway.msglog.seals import (
    SealFields,
    build_seal,
    seal_hash,
    seal_message,
    seal_pending,
)
from simpul.gateway.msglog.verify import Problem, ProblemKind, VerifyReport, verify_region
from simpul.gateway.msglog.writer import (
    COPY_THRESHOLD,
    LogWriter,
    MessageLogUnavailable,
    libpq_conninfo,
)

__all__ = [
    "BODIES_PURPOSE",
    "COPY_THRESHOLD",
    "ZERO_HASH",
    "LogWriter",
    "MessageLogUnavailable",
    "MessageRecord",
    "Problem",
    "ProblemKind",
    "SealFields",
    "VerifyReport",
    "append_records",
    "bodies_digest",
    "build_seal",
    "canonical_bytes",
    "decrypt_bodies",
    "encrypt_bodies",
    "libpq_conninfo",
    "record_hash",
    "seal_hash",
    "seal_message",
    "seal_pending",
    "storable",
    "verify_region",
]
