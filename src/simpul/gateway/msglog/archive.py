"""Archive files of the message log: a region's month of records with its seals, and a manifest
signed with the region's key, checked offline (no database) in constant memory.

**Data file** (``<slug>/<YYYY>-<MM>.jsonl.gz``): gzip of JSON lines, in seq order. A record
line holds every stored column (bodies as base64 of the ciphertext) with ``"t": "r"``; a seal
line (``"t": "s"``) follows the record it ends at, so one pass checks both. **Manifest**
(``.manifest.json``): what the archive holds (region, month, records ``first_seq..last_seq``,
the chain's boundary hashes: ``first_prev_hash`` and ``last_hash``; seals
``first_seal_seq..last_seal_seq`` with ``first_prev_seal_hash`` and ``last_seal_hash``), the
data file's SHA-256 and size, the region's public keys, and an Ed25519 signature by the region's
key over the manifest's canonical JSON (keys sorted, no spaces, ``signature`` left out). An
archive always ends at a seal, so the live chain (and the next archive) continues from exactly
``last_hash`` and ``last_seal_hash``.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO, Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from simpul.core.i18n import _
from simpul.gateway.msglog.seals import SealFields
from simpul.gateway.msglog.verify import ChainChecker, Problem, ProblemKind, SealChecker

FORMAT: Final = "simpul-log-archive/1"
_MANIFEST_FIELDS: Final = (
    "format",
    "region_id",
    "region",
    "month",
    "first_seq",
    "last_seq",
    "records",
    "first_prev_hash",
    "last_hash",
    "first_seal_seq",
    "last_seal_seq",
    "first_prev_seal_hash",
    "last_seal_hash",
    "data_key",
    "data_sha256",
    "data_bytes",
    "public_keys",
    "kid",
    "signed_at",
)


def archive_keys(region_slug: str, month: date) -> tuple[str, str]:
    """Storage keys of the data file and the manifest of a region's month."""
    base = f"gateway-log/{region_slug}/{month:%Y-%m}"
    return f"{base}.jsonl.gz", f"{base}.manifest.json"


def record_line(row: Any) -> bytes:
    """A ``gateway_message`` row as one JSON line (region left out: the manifest names it)."""
    bodies = row.bodies_encrypted
    return _line(
        {
            "t": "r",
            "seq": row.seq,
            "at": row.at.isoformat(),
            "request_id": str(row.request_id),
            "client": row.client,
            "service": row.service,
            "endpoint": row.endpoint,
            "method": row.method,
            "path": row.path,
            "status": row.status,
            "error": row.error,
            "duration_us": row.duration_us,
            "request_bytes": row.request_bytes,
            "response_bytes": row.response_bytes,
            "bodies": None if bodies is None else base64.b64encode(bodies).decode(),
            "prev_hash": row.prev_hash.hex(),
            "hash": row.hash.hex(),
        }
    )


def seal_line(seal: SealFields) -> bytes:
    return _line(
        {
            "t": "s",
            "seq": seal.seq,
            "first_seq": seal.first_seq,
            "last_seq": seal.last_seq,
            "last_hash": seal.last_hash.hex(),
            "prev_seal_hash": seal.prev_seal_hash.hex(),
            "sealed_at": seal.sealed_at.isoformat(),
            "kid": seal.kid,
            "signature": base64.b64encode(seal.signature).decode(),
        }
    )


def _line(value: dict[str, Any]) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def signed_bytes(manifest: dict[str, Any]) -> bytes:
    """What the manifest's signature covers: its canonical JSON without ``signature``."""
    unsigned = {k: v for k, v in manifest.items() if k != "signature"}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def sign_manifest(manifest: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    return {**manifest, "signature": base64.b64encode(key.sign(signed_bytes(manifest))).decode()}


class DataFileWriter:
    """Writes the gzip'd lines to ``target`` and counts size and SHA-256 of what was written."""

    def __init__(self, target: IO[bytes]) -> None:
        self._target = target
        self._digest = hashlib.sha256()
        self.size = 0
        self._gzip = gzip.GzipFile(fileobj=self, mode="wb", compresslevel=6, mtime=0)

    def write(self, data: bytes) -> int:  # the GzipFile's output
        self._target.write(data)
        self._digest.update(data)
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        self._target.flush()

    def add(self, line: bytes) -> None:
        self._gzip.write(line)

    def close(self) -> bytes:
        """Finish the gzip stream; the SHA-256 of the whole file."""
        self._gzip.close()
        return self._digest.digest()


class HashingReader(io.RawIOBase):
    """A readable stream over chunks that hashes and counts what passes through."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks: Iterator[bytes] = iter(chunks)
        self._buffer = b""
        self.digest = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._buffer:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self.digest.update(chunk)
            self.size += len(chunk)
            self._buffer = chunk
        count = min(len(buffer), len(self._buffer))
        buffer[:count] = self._buffer[:count]
        self._buffer = self._buffer[count:]
        return count

    def drain(self) -> None:
        """Hash whatever the gzip reader left unread (trailing bytes count too)."""
        while self.read(65536):
            pass


@dataclass(slots=True)
class _ArchivedRecord:
    region_id: uuid.UUID
    seq: int
    at: datetime
    request_id: uuid.UUID
    client: str
    service: str
    endpoint: str
    method: str
    path: str
    status: int
    error: str
    duration_us: int
    request_bytes: int
    response_bytes: int
    bodies_encrypted: bytes | None
    prev_hash: bytes
    hash: bytes

    @classmethod
    def parse(cls, region_id: uuid.UUID, line: dict[str, Any]) -> _ArchivedRecord:
        bodies = line["bodies"]
        return cls(
            region_id=region_id,
            seq=_int(line["seq"]),
            at=_aware(line["at"]),
            request_id=uuid.UUID(line["request_id"]),
            client=_str(line["client"]),
            service=_str(line["service"]),
            endpoint=_str(line["endpoint"]),
            method=_str(line["method"]),
            path=_str(line["path"]),
            status=_int(line["status"]),
            error=_str(line["error"]),
            duration_us=_int(line["duration_us"]),
            request_bytes=_int(line["request_bytes"]),
            response_bytes=_int(line["response_bytes"]),
            bodies_encrypted=None if bodies is None else base64.b64decode(bodies, validate=True),
            prev_hash=_hash(line["prev_hash"]),
            hash=_hash(line["hash"]),
        )


def _int(value: Any) -> int:
    if type(value) is not int:
        raise ValueError("not an integer")
    return value


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("not a string")
    return value


def _hash(value: Any) -> bytes:
    data = bytes.fromhex(_str(value))
    if len(data) != 32:
        raise ValueError("not a 32-byte hash")
    return data


def _aware(value: Any) -> datetime:
    parsed = datetime.fromisoformat(_str(value))
    if parsed.tzinfo is None:
        raise ValueError("time without time zone")
    return parsed


def _seal(region_id: uuid.UUID, line: dict[str, Any]) -> SealFields:
    return SealFields(
        region_id=region_id,
        seq=_int(line["seq"]),
        first_seq=_int(line["first_seq"]),
        last_seq=_int(line["last_seq"]),
        last_hash=_hash(line["last_hash"]),
        prev_seal_hash=_hash(line["prev_seal_hash"]),
        sealed_at=_aware(line["sealed_at"]),
        kid=_str(line["kid"]),
        signature=base64.b64decode(_str(line["signature"]), validate=True),
    )


def public_keys_of(entries: Iterable[dict[str, Any]]) -> dict[str, Ed25519PublicKey]:
    """Keys by kid from ``simpul audit keys`` lines or a manifest's ``public_keys``."""
    return {
        _str(entry["kid"]): Ed25519PublicKey.from_public_bytes(
            base64.b64decode(_str(entry["public_key"]), validate=True)
        )
        for entry in entries
    }


@dataclass(slots=True)
class ArchiveReport:
    """What checking an archive found; ``first_problem`` None means intact."""

    region: str = ""
    month: str = ""
    records_checked: int = 0
    seals_checked: int = 0
    first_seq: int = 0
    last_seq: int = 0
    #: Whether the manifest was checked against keys given by the auditor (not its own).
    keys_pinned: bool = False
    manifest: dict[str, Any] = field(default_factory=dict)
    first_problem: Problem | None = None

    @property
    def ok(self) -> bool:
        return self.first_problem is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "month": self.month,
            "ok": self.ok,
            "records_checked": self.records_checked,
            "seals_checked": self.seals_checked,
            "first_seq": self.first_seq,
            "last_seq": self.last_seq,
            "keys_pinned": self.keys_pinned,
            "first_problem": None if self.first_problem is None else self.first_problem.as_dict(),
        }


def _manifest_problem(message: str) -> Problem:
    return Problem(0, ProblemKind.MANIFEST_INVALID, message)


def _parse_manifest(data: bytes, format_: str, fields: tuple[str, ...]) -> dict[str, Any]:
    manifest = json.loads(data)
    if not isinstance(manifest, dict) or manifest.get("format") != format_:
        raise ValueError("not an archive manifest")
    missing = [name for name in (*fields, "signature") if name not in manifest]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    return manifest


def check_manifest(
    manifest_data: bytes,
    trusted_keys: dict[str, Ed25519PublicKey] | None,
    *,
    format_: str = FORMAT,
    fields: tuple[str, ...] = _MANIFEST_FIELDS,
) -> tuple[dict[str, Any], Problem | None]:
    """The manifest and, if it cannot be trusted, why: unreadable, incomplete, or its
    signature does not verify with the region's key (``trusted_keys``, else its own keys).
    ``format_`` and ``fields``: what kind of archive it must be (the message log's by
    default; the audit trail's in ``trail``)."""
    try:
        manifest = _parse_manifest(manifest_data, format_, fields)
        keys = trusted_keys if trusted_keys is not None else public_keys_of(manifest["public_keys"])
        signature = base64.b64decode(_str(manifest["signature"]), validate=True)
        if format_ == FORMAT:
            uuid.UUID(_str(manifest["region_id"]))
    except (ValueError, TypeError, KeyError) as error:
        return {}, _manifest_problem(
            _("Manifes arsip tidak terbaca: %(error)s.") % {"error": str(error)}
        )
    kid = manifest["kid"]
    key = keys.get(kid) if isinstance(kid, str) else None
    if key is None:
        return manifest, _manifest_problem(
            _("Manifes arsip ditandatangani dengan kunci %(kid)s yang tidak dikenal.")
            % {"kid": str(kid)}
        )
    try:
        key.verify(signature, signed_bytes(manifest))
    except InvalidSignature:
        return manifest, _manifest_problem(
            _(
                "Manifes arsip tidak sah: tanda tangannya tidak cocok dengan isinya dan kunci "
                "%(kid)s."
            )
            % {"kid": kid}
        )
    return manifest, None


def verify_archive(
    manifest_data: bytes,
    data_chunks: Iterable[bytes],
    *,
    trusted_keys: dict[str, Ed25519PublicKey] | None = None,
) -> ArchiveReport:
    """Check an archive offline: the manifest's signature, then every record's hash and link
    from ``first_prev_hash``, every seal (signature, chain, the record hash it ends at), the
    boundaries and the data file's SHA-256. Streams the data: memory does not grow with it.

    ``trusted_keys`` are the region's public keys as the auditor keeps them (``simpul audit
    keys``); without them the manifest's own keys are used, which proves integrity but not
    that the region signed it.
    """
    report = ArchiveReport(keys_pinned=trusted_keys is not None)
    manifest, problem = check_manifest(manifest_data, trusted_keys)
    report.manifest = manifest
    if problem is not None:
        report.first_problem = problem
        return report
    report.region, report.month = str(manifest["region"]), str(manifest["month"])
    region_id = uuid.UUID(manifest["region_id"])
    keys = trusted_keys if trusted_keys is not None else public_keys_of(manifest["public_keys"])
    try:
        first_seq, last_seq = _int(manifest["first_seq"]), _int(manifest["last_seq"])
        first_prev_hash, last_hash = (
            _hash(manifest["first_prev_hash"]),
            _hash(manifest["last_hash"]),
        )
        first_seal, last_seal = _int(manifest["first_seal_seq"]), _int(manifest["last_seal_seq"])
        first_prev_seal_hash = _hash(manifest["first_prev_seal_hash"])
        last_seal_hash = _hash(manifest["last_seal_hash"])
        data_sha256 = bytes.fromhex(_str(manifest["data_sha256"]))
        records_expected = _int(manifest["records"])
    except (ValueError, TypeError) as error:
        report.first_problem = _manifest_problem(
            _("Manifes arsip tidak terbaca: %(error)s.") % {"error": str(error)}
        )
        return report
    report.first_seq = first_seq
    chain = ChainChecker(next_seq=first_seq, prev_hash=first_prev_hash)
    seals = SealChecker(
        keys, next_seq=first_seal, next_first=first_seq, prev_seal_hash=first_prev_seal_hash
    )
    reader = HashingReader(data_chunks)
    walked = _walk_data(reader, region_id, chain, seals, (first_seq - 1, first_prev_hash))
    report.records_checked, last = walked.records, walked.last
    report.seals_checked = seals.checked
    report.last_seq = last[0]
    found = walked.problems
    if not found:
        found = _boundary_problems(
            last,
            report.records_checked,
            records_expected,
            (last_seq, last_hash),
            seals,
            (last_seal, last_seal_hash),
        )
    if not found and reader.digest.digest() != data_sha256:
        found.append(
            Problem(
                first_seq,
                ProblemKind.CHANGED,
                _("Berkas data arsip tidak cocok dengan manifesnya (SHA-256 berbeda)."),
            )
        )
    report.first_problem = min(found, key=lambda p: p.seq, default=None)
    return report


@dataclass(slots=True)
class _Walked:
    records: int
    last: tuple[int, bytes]
    problems: list[Problem]


def _walk_data(
    reader: HashingReader,
    region_id: uuid.UUID,
    chain: ChainChecker,
    seals: SealChecker,
    last: tuple[int, bytes],
) -> _Walked:
    """Read the data file's lines once: records through the chain, seals as they come."""
    chain_problem: Problem | None = None
    seal_problem: Problem | None = None
    unreadable: Problem | None = None
    records = 0
    try:
        with gzip.GzipFile(fileobj=reader, mode="rb") as lines:
            for number, raw in enumerate(lines, start=1):
                try:
                    line = json.loads(raw)
                    kind = line["t"]
                    if kind == "r":
                        row = _ArchivedRecord.parse(region_id, line)
                        records += 1
                        if chain_problem is None:
                            chain_problem = chain.check(row)
                        last = (row.seq, row.hash)
                    elif kind == "s":
                        seal = _seal(region_id, line)
                        if seal_problem is None:
                            seal_problem = _check_archived_seal(seals, seal, last)
                    else:
                        raise_unknown_line(kind)
                except (ValueError, TypeError, KeyError) as error:
                    unreadable = Problem(
                        last[0] + 1,
                        ProblemKind.CHANGED,
                        _("Arsip rusak di baris %(line)d: %(error)s.")
                        % {"line": number, "error": str(error)},
                    )
                    break
        reader.drain()
    except (OSError, EOFError) as error:  # gzip.BadGzipFile is an OSError
        unreadable = Problem(
            last[0] + 1,
            ProblemKind.CHANGED,
            _("Berkas data arsip rusak: %(error)s.") % {"error": str(error)},
        )
    problems = [p for p in (chain_problem, seal_problem, unreadable) if p is not None]
    return _Walked(records, last, problems)


def raise_unknown_line(kind: object) -> None:
    raise ValueError(f"unknown line type {kind!r}")


def _check_archived_seal(
    seals: SealChecker, seal: SealFields, last: tuple[int, bytes]
) -> Problem | None:
    found = seals.check(seal)
    if found is not None:
        return found[0]
    if seal.last_seq != last[0] or seal.last_hash != last[1]:
        return Problem(
            seal.first_seq,
            ProblemKind.CHANGED,
            _(
                "Catatan %(first)d sampai %(last)d tidak cocok dengan segel %(seal)d: ada yang "
                "diubah di rentang ini, paling awal mungkin catatan %(first)d."
            )
            % {"first": seal.first_seq, "last": seal.last_seq, "seal": seal.seq},
        )
    return None


def _boundary_problems(
    last: tuple[int, bytes],
    records: int,
    records_expected: int,
    expected_last: tuple[int, bytes],
    seals: SealChecker,
    expected_seal: tuple[int, bytes],
) -> list[Problem]:
    last_seq, _last_hash = expected_last
    if last[0] < last_seq:
        return [
            Problem(
                last[0] + 1,
                ProblemKind.REMOVED,
                _(
                    "Catatan %(first)d sampai %(last)d dihapus dari arsip: manifesnya menjamin "
                    "catatan sampai %(last)d."
                )
                % {"first": last[0] + 1, "last": last_seq},
            )
        ]
    if last != expected_last or records != records_expected:
        return [
            Problem(
                last_seq,
                ProblemKind.INSERTED,
                _("Arsip memuat catatan yang tidak disebut manifesnya (sesudah %(last)d).")
                % {"last": last_seq},
            )
        ]
    if (seals.expected_seq - 1, seals.prev_seal_hash) != expected_seal:
        return [
            Problem(
                last_seq,
                ProblemKind.SEAL_INVALID,
                _("Segel di arsip tidak berakhir di segel %(seal)d yang disebut manifesnya.")
                % {"seal": expected_seal[0]},
            )
        ]
    return []


__all__ = [
    "FORMAT",
    "ArchiveReport",
    "DataFileWriter",
    "HashingReader",
    "archive_keys",
    "check_manifest",
    "public_keys_of",
    "record_line",
    "seal_line",
    "sign_manifest",
    "signed_bytes",
    "verify_archive",
]
