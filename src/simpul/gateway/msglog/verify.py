"""Verification: walk a region's chain and seals and name the first record tampered with."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.orm import Session

from simpul.core.i18n import _
from simpul.core.models import utcnow
from simpul.gateway.msglog import keys as region_keys
from simpul.gateway.msglog import repository
from simpul.gateway.msglog.records import ZERO_HASH, canonical_bytes, record_hash
from simpul.gateway.msglog.seals import SealFields, seal_hash


class ProblemKind(enum.StrEnum):
    CHANGED = "changed"
    REMOVED = "removed"
    INSERTED = "inserted"
    SEAL_INVALID = "seal_invalid"
    #: An archive's manifest is unreadable or not signed by the region's key.
    MANIFEST_INVALID = "manifest_invalid"


@dataclass(frozen=True, slots=True)
class Problem:
    """The first thing wrong with a region's log: the record it concerns and what happened."""

    seq: int
    kind: ProblemKind
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "kind": self.kind.value, "message": self.message}


@dataclass(slots=True)
class VerifyReport:
    region_id: uuid.UUID
    #: Records read (verification stops soon after the first problem).
    records_checked: int = 0
    #: The newest record's seq.
    last_seq: int = 0
    seals_checked: int = 0
    #: Records after the last valid seal (protected only by the chain until the next seal).
    unsealed: int = 0
    first_problem: Problem | None = None
    #: Where the walk started: ``beginning``, ``archive`` or ``checkpoint``, and its first seq.
    started_from: str = "beginning"
    first_seq: int = 1

    @property
    def ok(self) -> bool:
        return self.first_problem is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "region_id": str(self.region_id),
            "ok": self.ok,
            "records_checked": self.records_checked,
            "last_seq": self.last_seq,
            "seals_checked": self.seals_checked,
            "unsealed": self.unsealed,
            "started_from": self.started_from,
            "first_seq": self.first_seq,
            "first_problem": None if self.first_problem is None else self.first_problem.as_dict(),
        }


class SealChecker:
    """Checks seals one after the other: numbering, ranges without gaps, the link to the
    previous seal and the signature. Starts after a known seal (or at the beginning)."""

    def __init__(
        self,
        keys: dict[str, Ed25519PublicKey],
        *,
        next_seq: int = 1,
        next_first: int = 1,
        prev_seal_hash: bytes = ZERO_HASH,
    ) -> None:
        self.keys = keys
        self.expected_seq = next_seq
        self.expected_first = next_first
        self.prev_seal_hash = prev_seal_hash
        self.checked = 0

    def check(self, seal: SealFields) -> tuple[Problem, tuple[int, int]] | None:
        """None if ``seal`` is the valid next one (the state moves on), else its problem and
        the records it claims to cover."""
        self.checked += 1
        expected_first = self.expected_first
        values = {"seal": seal.seq, "first": seal.first_seq, "last": seal.last_seq}
        problem: str | None = None
        message = b""
        if seal.seq != self.expected_seq:
            values["seal"] = self.expected_seq
            problem = _("Segel %(seal)d hilang: nomor segel melompat ke %(next)d.") % {
                **values,
                "next": seal.seq,
            }
        elif seal.first_seq != expected_first or seal.last_seq < seal.first_seq:
            problem = _(
                "Segel %(seal)d mencakup catatan %(first)d sampai %(last)d, padahal seharusnya "
                "mulai dari catatan %(expected)d."
            ) % {**values, "expected": expected_first}
        elif seal.prev_seal_hash != self.prev_seal_hash:
            problem = (
                _(
                    "Segel %(seal)d tidak tersambung ke segel sebelumnya: ada segel yang diubah "
                    "atau dihapus."
                )
                % values
            )
        elif seal.kid not in self.keys:
            problem = _(
                "Segel %(seal)d ditandatangani dengan kunci %(kid)s yang tidak dikenal."
            ) % {
                **values,
                "kid": seal.kid,
            }
        else:
            try:
                message = seal.message()
                self.keys[seal.kid].verify(seal.signature, message)
            except (InvalidSignature, ValueError):
                problem = _(
                    "Segel %(seal)d tidak sah: tanda tangannya tidak cocok dengan isinya dan "
                    "kunci %(kid)s."
                ) % {**values, "kid": seal.kid}
        if problem is not None:
            return (
                Problem(expected_first, ProblemKind.SEAL_INVALID, problem),
                (expected_first, max(seal.last_seq, expected_first)),
            )
        self.prev_seal_hash = seal_hash(message, seal.signature)
        self.expected_seq, self.expected_first = seal.seq + 1, seal.last_seq + 1
        return None


class _SealStream:
    """The valid seals in order, read lazily as the records advance (constant memory)."""

    def __init__(self, seals: Iterator[SealFields], checker: SealChecker) -> None:
        self._seals = seals
        self.checker = checker
        self.current: SealFields | None = None
        self.problem: Problem | None = None
        self.problem_range = (0, 0)
        #: The last valid seal read so far and the records valid seals cover up to.
        self.last_valid: SealFields | None = None
        self.sealed_up_to = checker.expected_first - 1
        self._advance()

    def _advance(self) -> None:
        self.current = None
        if self.problem is not None:
            return
        seal = next(self._seals, None)
        if seal is None:
            return
        found = self.checker.check(seal)
        if found is not None:
            self.problem, self.problem_range = found
            return
        self.current = self.last_valid = seal
        self.sealed_up_to = seal.last_seq

    def covering(self, seq: int) -> SealFields | None:
        """The valid seal whose range holds record ``seq`` (None if no valid seal does)."""
        while self.current is not None and self.current.last_seq < seq:
            self._advance()
        if self.current is not None and self.current.first_seq <= seq:
            return self.current
        return None

    def drain(self) -> None:
        """Read (and check) the remaining seals."""
        while self.current is not None:
            self._advance()


#: How far back a record's ``prev_hash`` is looked up to recognise inserted records.
_RECENT_WINDOW: Final = 4096
#: How far a renumbering (records removed, later ones shifted down) is looked for.
_RENUMBER_WINDOW: Final = 16


def _row_hash(row: Any, seq: int) -> bytes:
    return record_hash(
        row.prev_hash,
        canonical_bytes(
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
        ),
    )


class ChainChecker:
    """Walks records in seq order and returns the first problem of the chain itself."""

    def __init__(self, *, next_seq: int = 1, prev_hash: bytes = ZERO_HASH) -> None:
        self.first = next_seq
        self.expected = next_seq
        self.prev_hash = prev_hash
        self._recent: dict[bytes, int] = {}
        self._older: dict[bytes, int] = {}

    def check(self, row: Any) -> Problem | None:
        seq: int = row.seq
        problem = self._problem(row, seq)
        if len(self._recent) >= _RECENT_WINDOW:
            self._older, self._recent = self._recent, {}
        self._recent[row.hash] = seq
        self.expected, self.prev_hash = seq + 1, row.hash
        return problem

    def _problem(self, row: Any, seq: int) -> Problem | None:
        expected = self.expected
        if seq < expected:  # a seq used twice, or one below 1
            return Problem(
                seq,
                ProblemKind.INSERTED,
                _("Catatan %(seq)d disisipkan: nomor urut catatan dimulai dari 1.") % {"seq": seq}
                if seq < 1
                else _("Catatan %(seq)d disisipkan: nomor urutnya sudah dipakai.") % {"seq": seq},
            )
        if seq > expected:
            values = {"first": expected, "last": seq - 1, "prev": expected - 1, "seq": seq}
            if seq - 1 > expected:
                message = _(
                    "Catatan %(first)d sampai %(last)d dihapus: sesudah catatan %(prev)d "
                    "langsung catatan %(seq)d."
                )
            else:
                message = _(
                    "Catatan %(first)d dihapus: sesudah catatan %(prev)d langsung catatan %(seq)d."
                )
            return Problem(expected, ProblemKind.REMOVED, message % values)
        if row.prev_hash != self.prev_hash:
            return self._broken_link(row, seq)
        if _row_hash(row, seq) != row.hash:
            return Problem(
                seq,
                ProblemKind.CHANGED,
                _("Catatan %(seq)d diubah: isinya tidak lagi cocok dengan hash-nya.")
                % {"seq": seq},
            )
        return None

    def _broken_link(self, row: Any, seq: int) -> Problem:
        earlier = self._recent.get(row.prev_hash, self._older.get(row.prev_hash))
        if earlier is not None and earlier < seq - 1:
            # Record ``seq`` was chained to ``earlier``: what now lies between was inserted.
            return Problem(
                earlier + 1,
                ProblemKind.INSERTED,
                _(
                    "Catatan %(first)d disisipkan: catatan %(seq)d semula langsung menyusul "
                    "catatan %(prev)d."
                )
                % {"first": earlier + 1, "seq": seq, "prev": earlier},
            )
        if _row_hash(row, seq) == row.hash:
            # The record is intact but its predecessor is not the one it was chained to.
            if seq == 1:
                return Problem(
                    1,
                    ProblemKind.CHANGED,
                    _("Catatan 1 diubah: catatan pertama tidak dimulai dari hash nol."),
                )
            if seq == self.first:
                return Problem(
                    seq,
                    ProblemKind.CHANGED,
                    _(
                        "Catatan %(seq)d diubah atau diganti: tidak tersambung ke hash catatan "
                        "terakhir yang sudah diperiksa (arsip atau pemeriksaan sebelumnya)."
                    )
                    % {"seq": seq},
                )
            return Problem(
                seq - 1,
                ProblemKind.CHANGED,
                _(
                    "Catatan %(prev)d diubah atau diganti (atau catatan %(seq)d disisipkan): "
                    "catatan %(seq)d tidak tersambung ke catatan %(prev)d."
                )
                % {"prev": seq - 1, "seq": seq},
            )
        for shift in range(1, _RENUMBER_WINDOW + 1):
            if _row_hash(row, seq + shift) == row.hash:
                # It was record ``seq + shift``: earlier ones were removed, later ones renumbered.
                return Problem(
                    seq,
                    ProblemKind.REMOVED,
                    _(
                        "Ada %(count)d catatan yang dihapus sebelum catatan %(seq)d lalu "
                        "catatan sesudahnya dinomori ulang (catatan %(seq)d semula %(old)d)."
                    )
                    % {"count": shift, "seq": seq, "old": seq + shift},
                )
        return Problem(
            seq,
            ProblemKind.CHANGED,
            _("Catatan %(seq)d diubah: isinya tidak lagi cocok dengan hash-nya.") % {"seq": seq},
        )


@dataclass(frozen=True, slots=True)
class StartPoint:
    """Where a walk starts: after record ``last_seq`` (hash ``last_hash``), which the seal
    ``seal_seq`` (hash ``seal_hash``) ends at. The beginning is all zeros."""

    last_seq: int = 0
    last_hash: bytes = ZERO_HASH
    seal_seq: int = 0
    seal_hash: bytes = ZERO_HASH


class _Walk:
    """Records and seals checked together, in seq order: the first problem of each kind."""

    def __init__(self, start: StartPoint, keys: dict[str, Ed25519PublicKey]) -> None:
        self.chain = ChainChecker(next_seq=start.last_seq + 1, prev_hash=start.last_hash)
        self.seals: _SealStream | None = None
        self._seal_checker = SealChecker(
            keys,
            next_seq=start.seal_seq + 1,
            next_first=start.last_seq + 1,
            prev_seal_hash=start.seal_hash,
        )
        self.records = 0
        self.last_seq = start.last_seq
        self.chain_problem: Problem | None = None
        self.mismatch: Problem | None = None
        self.mismatch_range = (0, 0)
        self.stop_after: int | None = None
        #: The last valid seal whose records were all read and matched it.
        self.verified_seal: SealFields | None = None

    def start_seals(self, seals: Iterator[SealFields]) -> None:
        self.seals = _SealStream(seals, self._seal_checker)

    def record(self, row: Any) -> bool:
        """Check one record; False once nothing more can be learned (stop reading)."""
        assert self.seals is not None
        self.records += 1
        self.last_seq = row.seq
        seal = self.seals.covering(row.seq)
        if self.chain_problem is None:
            self.chain_problem = self.chain.check(row)
            if self.chain_problem is not None:
                # Only the seal holding the problem can still point further back.
                self.stop_after = row.seq if seal is None else seal.last_seq
        if seal is not None and seal.last_seq == row.seq and self.mismatch is None:
            if row.hash != seal.last_hash:
                self.mismatch_range = (seal.first_seq, seal.last_seq)
                self.mismatch = Problem(
                    seal.first_seq,
                    ProblemKind.CHANGED,
                    _(
                        "Catatan %(first)d sampai %(last)d tidak cocok dengan segel %(seal)d: "
                        "ada yang diubah di rentang ini, paling awal mungkin catatan %(first)d."
                    )
                    % {"first": seal.first_seq, "last": seal.last_seq, "seal": seal.seq},
                )
            elif self.chain_problem is None:
                self.verified_seal = seal
        return not (self.stop_after is not None and (row.seq >= self.stop_after or self.mismatch))

    def finish(self) -> tuple[Problem | None, int]:
        """The first problem (earliest record wins) and the records valid seals cover."""
        assert self.seals is not None
        seals = self.seals
        if self.stop_after is None:
            seals.drain()
        truncated: Problem | None = None
        if self.stop_after is None and self.last_seq < seals.sealed_up_to:
            truncated = Problem(
                self.last_seq + 1,
                ProblemKind.REMOVED,
                _(
                    "Catatan %(first)d sampai %(last)d dihapus: segel menjamin catatan sampai "
                    "%(last)d, tetapi catatan terakhir %(tip)d."
                )
                % {"first": self.last_seq + 1, "last": seals.sealed_up_to, "tip": self.last_seq},
            )
        chain_problem, mismatch, seal_problem = self.chain_problem, self.mismatch, seals.problem
        # A seal that fails over a range where the chain itself shows what happened is
        # explained by it: tell the precise finding. Otherwise the earliest record wins.
        if chain_problem is not None:
            low, high = self.mismatch_range
            if mismatch is not None and low <= chain_problem.seq <= high:
                mismatch = None
            low, high = seals.problem_range
            if seal_problem is not None and low <= chain_problem.seq <= high:
                seal_problem = None
        found = [p for p in (chain_problem, mismatch, truncated, seal_problem) if p is not None]
        return min(found, key=lambda p: p.seq, default=None), seals.sealed_up_to


def start_point(
    session: Session, region_id: uuid.UUID, *, full: bool = False
) -> tuple[StartPoint, str]:
    """Where verifying the live log starts, and from what: the last verified seal
    (``checkpoint``) unless ``full``, else the archived boundary (``archive``), else the first
    record (``beginning``). All three are seal boundaries."""
    starts: list[tuple[StartPoint, str]] = [(StartPoint(), "beginning")]
    archived = repository.last_archive(session, region_id)
    if archived is not None:
        starts.append(
            (
                StartPoint(
                    archived.last_seq,
                    archived.last_hash,
                    archived.last_seal_seq,
                    archived.last_seal_hash,
                ),
                "archive",
            )
        )
    checkpoint = None if full else repository.verification_checkpoint(session, region_id)
    if checkpoint is not None:
        starts.append(
            (
                StartPoint(
                    checkpoint.last_seq,
                    checkpoint.last_hash,
                    checkpoint.seal_seq,
                    checkpoint.seal_hash,
                ),
                "checkpoint",
            )
        )
    return max(starts, key=lambda item: item[0].seal_seq)


def verify_region(
    session: Session,
    region_id: uuid.UUID,
    *,
    full: bool = True,
    save_checkpoint: bool = False,
) -> VerifyReport:
    """Check the region's chain and seals, streaming both; name the first problem.

    ``full=False`` starts after the last verified seal (``gateway_log_verification``); the
    walk always starts after the archived months. ``save_checkpoint`` stores the last seal
    found intact (flushed, not committed) when no problem was found.
    """
    report = VerifyReport(region_id=region_id)
    start, report.started_from = start_point(session, region_id, full=full)
    report.first_seq = start.last_seq + 1
    keys = region_keys.public_keys(session, region_id)
    walk = _Walk(start, keys)
    # Seals before records: a seal only ever covers committed records, so every record a seal
    # that existed before the records' cursor opened names is visible to it even while gateways
    # append. Seals made later are left for the next run.
    newest = repository.last_seal(session, region_id)
    walk.start_seals(
        map(
            SealFields.of,
            repository.stream_seals(
                session,
                region_id,
                after_seq=start.seal_seq,
                up_to_seq=0 if newest is None else newest.seq,
            ),
        )
    )
    rows = repository.stream_messages(session, region_id, first_seq=start.last_seq + 1)
    for row in rows:
        if not walk.record(row):
            rows.close()
            break
    report.records_checked = walk.records
    report.last_seq = walk.last_seq
    report.first_problem, sealed_up_to = walk.finish()
    assert walk.seals is not None
    report.seals_checked = walk.seals.checker.checked
    if walk.stop_after is not None:  # stopped early: the newest record is still worth telling
        tip = repository.log_tip(session, region_id)
        report.last_seq = tip[0] if tip else report.last_seq
    report.unsealed = max(report.last_seq - sealed_up_to, 0)
    if save_checkpoint and report.ok and walk.verified_seal is not None:
        seal = walk.verified_seal
        repository.save_verification_checkpoint(
            session,
            {
                "region_id": region_id,
                "seal_seq": seal.seq,
                "seal_hash": seal_hash(seal.message(), seal.signature),
                "last_seq": seal.last_seq,
                "last_hash": seal.last_hash,
                "verified_at": utcnow(),
            },
        )
    return report
