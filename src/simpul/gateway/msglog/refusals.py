"""Calls refused before a caller was identified: counted per minute and reason, not one by one.

A call without a client name or key, with a key nobody holds, naming a client that does not
exist or holding two identities is refused before the gateway knows who sent it. Anyone who
reaches the gateway can send such calls, as many as they like; a record each would let them
fill the region's log (and its disk) and bury the records that matter. So these refusals are
counted in memory per (region, minute, reason) and written every few seconds to
``gateway_refusal`` beside the log, one row per region, minute and reason, adding to what other
gateway processes wrote (``INSERT ... ON CONFLICT DO UPDATE``). Calls of an identified client,
answered or refused, are still records of the hash-chained log, one each.

These counts are not chained or sealed: they are traffic statistics, not evidence of an
exchange, and nothing was given to the caller that a record would have to prove. A gateway
killed with SIGKILL loses the counts of its last few seconds.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

#: (region id, minute since the epoch, reason)
RefusalKey = tuple[uuid.UUID, int, str]


class RefusalTally:
    """Counts of refused calls not written yet; ``take`` hands them over for writing."""

    def __init__(self) -> None:
        self._counts: Counter[RefusalKey] = Counter()

    def count(self, region_id: uuid.UUID, reason: str, now: float | None = None) -> None:
        minute = int((time.time() if now is None else now) // 60)
        self._counts[region_id, minute, reason] += 1

    def take(self) -> Counter[RefusalKey]:
        counts, self._counts = self._counts, Counter()
        return counts

    def give_back(self, counts: Counter[RefusalKey]) -> None:
        """Counts whose write failed: they are written with the next ones."""
        self._counts.update(counts)

    def __len__(self) -> int:
        return len(self._counts)


def refusal_rows(counts: Counter[RefusalKey]) -> list[dict[str, Any]]:
    """The ``gateway_refusal`` rows to add for ``counts``."""
    return [
        {
            "region_id": region_id,
            "minute": datetime.fromtimestamp(minute * 60, UTC),
            "reason": reason,
            "refusals": refusals,
        }
        for (region_id, minute, reason), refusals in sorted(counts.items())
    ]
