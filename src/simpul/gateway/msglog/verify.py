"""Verification: walk a region's chain and seals and name the first record tampered with."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.orm import Session

from simpul.core.i18n import _
from simpul.gateway.msglog import keys as region_keys
from simpul.gateway.msglog import repository
from simpul.gateway.msglog.models import GatewayLogSeal
from simpul.gateway.msglog.records import ZERO_HASH, canonical_bytes, record_hash
from simpul.gateway.msglog.seals import SealFields, seal_hash


class ProblemKind(enum.StrEnum):
    CHANGED = "changed"
    REMOVED = "removed"
    INSERTED = "inserted"
    SEAL_INVALID = "seal_invalid"


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
            "first_problem": None if self.first_problem is None else self.first_problem.as_dict(),
        }


def _check_seals(
    seals: Sequence[GatewayLogSeal], keys: dict[str, Ed25519PublicKey]
) -> tuple[list[SealFields], Problem | None, tuple[int, int], int]:
    """The seals that verify (in order, up to the first bad one), the problem of the bad one
    and the records it claims to cover, and how many seals were read."""
    valid: list[SealFields] = []
    expected_seq, expected_first, prev_seal_hash = 1, 1, ZERO_HASH
    for checked, seal in enumerate(map(SealFields.of, seals), start=1):
        values = {"seal": seal.seq, "first": seal.first_seq, "last": seal.last_seq}
        problem: str | None = None
        if seal.seq != expected_seq:
            values["seal"] = expected_seq
            problem = _("Segel %(seal)d hilang: nomor segel melompat ke %(next)d.") % {
                **values,
                "next": seal.seq,
            }
        elif seal.first_seq != expected_first or seal.last_seq < seal.first_seq:
            problem = _(
                "Segel %(seal)d mencakup catatan %(first)d sampai %(last)d, padahal seharusnya "
                "mulai dari catatan %(expected)d."
            ) % {**values, "expected": expected_first}
        elif seal.prev_seal_hash != prev_seal_hash:
            problem = (
                _(
                    "Segel %(seal)d tidak tersambung ke segel sebelumnya: ada segel yang diubah "
                    "atau dihapus."
                )
                % values
            )
        elif seal.kid not in keys:
            problem = _(
                "Segel %(seal)d ditandatangani dengan kunci %(kid)s yang tidak dikenal."
            ) % {
                **values,
                "kid": seal.kid,
            }
        else:
            try:
                message = seal.message()
                keys[seal.kid].verify(seal.signature, message)
            except (InvalidSignature, ValueError):
                problem = _(
                    "Segel %(seal)d tidak sah: tanda tangannya tidak cocok dengan isinya dan "
                    "kunci %(kid)s."
                ) % {**values, "kid": seal.kid}
        if problem is not None:
            return (
                valid,
                Problem(expected_first, ProblemKind.SEAL_INVALID, problem),
                (expected_first, max(seal.last_seq, expected_first)),
                checked,
            )
        valid.append(seal)
        prev_seal_hash = seal_hash(message, seal.signature)
        expected_seq, expected_first = seal.seq + 1, seal.last_seq + 1
    return valid, None, (0, 0), len(seals)


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


class _ChainChecker:
    """Walks records in seq order and returns the first problem of the chain itself."""

    def __init__(self) -> None:
        self.expected = 1
        self.prev_hash = ZERO_HASH
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
        if seq < expected:  # only possible below 1: (region_id, seq) is the primary key
            return Problem(
                seq,
                ProblemKind.INSERTED,
                _("Catatan %(seq)d disisipkan: nomor urut catatan dimulai dari 1.") % {"seq": seq},
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


def verify_region(session: Session, region_id: uuid.UUID) -> VerifyReport:
    """Check the region's chain and seals, streaming the records; name the first problem."""
    report = VerifyReport(region_id=region_id)
    keys = region_keys.public_keys(session, region_id)
    # Seals before records: a seal only ever covers committed records, so every record a seal
    # loaded here names is visible to the (later) record query even while gateways append.
    valid_seals, seal_problem, seal_problem_range, report.seals_checked = _check_seals(
        repository.list_seals(session, region_id), keys
    )
    seal_ending_at = {seal.last_seq: seal for seal in valid_seals}
    sealed_up_to = valid_seals[-1].last_seq if valid_seals else 0
    checker = _ChainChecker()
    chain_problem: Problem | None = None
    mismatch: Problem | None = None
    mismatch_range = (0, 0)
    stop_after: int | None = None
    rows = repository.stream_messages(session, region_id)
    for row in rows:
        report.records_checked += 1
        report.last_seq = row.seq
        if chain_problem is None:
            chain_problem = checker.check(row)
            if chain_problem is not None:
                # Only the seal holding the problem can still point further back.
                covering = next(
                    (s for s in valid_seals if s.first_seq <= chain_problem.seq <= s.last_seq),
                    None,
                )
                stop_after = row.seq if covering is None else covering.last_seq
        seal = seal_ending_at.get(row.seq)
        if seal is not None and mismatch is None and row.hash != seal.last_hash:
            mismatch_range = (seal.first_seq, seal.last_seq)
            mismatch = Problem(
                seal.first_seq,
                ProblemKind.CHANGED,
                _(
                    "Catatan %(first)d sampai %(last)d tidak cocok dengan segel %(seal)d: ada "
                    "yang diubah di rentang ini, paling awal mungkin catatan %(first)d."
                )
                % {"first": seal.first_seq, "last": seal.last_seq, "seal": seal.seq},
            )
        if stop_after is not None and (row.seq >= stop_after or mismatch is not None):
            rows.close()
            break
    truncated: Problem | None = None
    if stop_after is None and report.last_seq < sealed_up_to:
        truncated = Problem(
            report.last_seq + 1,
            ProblemKind.REMOVED,
            _(
                "Catatan %(first)d sampai %(last)d dihapus: segel menjamin catatan sampai "
                "%(last)d, tetapi catatan terakhir %(tip)d."
            )
            % {"first": report.last_seq + 1, "last": sealed_up_to, "tip": report.last_seq},
        )
    if stop_after is not None:  # stopped early: the newest record is still worth telling
        tip = repository.log_tip(session, region_id)
        report.last_seq = tip[0] if tip else report.last_seq
    report.unsealed = max(report.last_seq - sealed_up_to, 0)
    # A seal that fails over a range where the chain itself shows what happened is explained
    # by it: tell the precise finding. Otherwise the earliest record wins.
    if chain_problem is not None:
        if mismatch is not None and mismatch_range[0] <= chain_problem.seq <= mismatch_range[1]:
            mismatch = None
        low, high = seal_problem_range
        if seal_problem is not None and low <= chain_problem.seq <= high:
            seal_problem = None
    found = [p for p in (chain_problem, mismatch, truncated, seal_problem) if p is not None]
    report.first_problem = min(found, key=lambda p: p.seq, default=None)
    return report
