"""A limit on verification lookups per source address, so codes cannot be enumerated.

Every lookup of a code (the QR code's page, ``GET /api/{region}/documents/{code}``) and every
file checked (the page's upload, ``POST /api/{region}/documents/verify``) takes one token
from its source address's bucket: ``SIMPUL_VERIFICATION_LOOKUPS_PER_MINUTE`` a minute, as a
burst or spread out. An address without tokens gets 429 with ``Retry-After``. IPv6 addresses
count per /64, the block one subscriber usually holds (``core.security.client_source``).

The buckets live in the process (``core.ratelimit.TokenBuckets``; one ``simpul serve``
process: exact; N processes: each allows the limit, so N times as many). Codes carry 80 random
bits, so even that leaves guessing hopeless; the limit is what keeps a scripted search (and
pyHanko's work per upload) from costing the server anything.
"""

from __future__ import annotations

from typing import Final

from fastapi import Request

from simpul.core.i18n import _
from simpul.core.ratelimit import limit_source
from simpul.core.security import client_source

_STATE_KEY: Final = "verification_lookup_buckets"


async def limit_lookups(request: Request) -> None:
    """A route dependency: one lookup from the caller's address, or 429 with Retry-After.

    Async: it does no I/O, so it needs no worker thread of its own.
    """
    limit_source(
        request.app.state,
        _STATE_KEY,
        client_source(request.client.host if request.client else None),
        request.app.state.settings.verification_lookups_per_minute,
        lambda seconds: (
            _(
                "Terlalu banyak pemeriksaan dokumen dari alamat Anda. Coba lagi dalam "
                "%(seconds)d detik."
            )
            % {"seconds": seconds}
        ),
    )
