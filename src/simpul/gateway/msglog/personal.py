"""Personal parameters in the message log: a keyed hash in place of the value.

A service's OpenAPI document marks a path or query parameter personal with
``x-simpul-personal`` (``openapi_docs.PERSONAL_EXTENSION``). For such a service the log keeps:

- the path with each personal path parameter replaced by ``{name=h:<hash>}``
  (``/penduduk/{nik=h:5f0c...}/keluarga/2``), its other parameters as called;
- after ``?``, only the personal query parameters, the same way
  (``/cari?{nik=h:5f0c...}``); other query parameters are never kept (as for every service);
- a path that matches none of the service's templates only as ``{path=h:<hash>}``: nothing
  says which of its segments is a NIK, so none is kept.

``<hash>`` is HMAC-SHA256 under a key derived from the server secret for the purpose
``gateway-personal`` (``core.security.derived_key``), over the value's bytes once percent-
decoded (``+`` is a space in the query), cut to 128 bits and written in hex. The same value
gives the same hash in every record, so an auditor finds every call about one NIK by hashing
it the same way (``simpul audit hash``) without the log holding it. Without the secret the hash
cannot be computed, so the 16-digit NIK space cannot be searched from a copy of the log.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Final
from urllib.parse import unquote_to_bytes

from simpul.core import security
from simpul.gateway.dataplane.config import ServiceConf

PERSONAL_PURPOSE: Final = "gateway-personal"
#: Written before the hex digest, so a hash in a path is told from a value at a glance.
TOKEN_PREFIX: Final = "h:"  # noqa: S105 - a label, not a secret


def personal_token(value: bytes) -> str:
    """``h:`` and 32 hex digits: the keyed hash the log keeps instead of ``value``."""
    digest = hmac.digest(security.derived_key(PERSONAL_PURPOSE), value, hashlib.sha256)
    return TOKEN_PREFIX + digest[:16].hex()


def _query_values(query: bytes, names: frozenset[str]) -> list[tuple[str, bytes]]:
    found = []
    for pair in query.split(b"&"):
        raw_name, _equals, raw_value = pair.partition(b"=")
        name = unquote_to_bytes(raw_name.replace(b"+", b" ")).decode("utf-8", "replace")
        if name in names:
            found.append((name, unquote_to_bytes(raw_value.replace(b"+", b" "))))
    return found


def logged_path(service: ServiceConf, method: str, path: str, query: bytes) -> str:
    """What the log keeps of ``path`` (canonical, below the service) and ``query`` (raw) for a
    service with personal parameters (``service.has_personal``)."""
    endpoint = service.match(method, path) or service.match(None, path)
    if endpoint is None:
        return "{path=" + personal_token(path.encode()) + "}"
    kept = path
    if endpoint.personal_path:
        match = endpoint.pattern.fullmatch(path or "/")
        assert match is not None  # the endpoint was chosen because it matches
        pieces: list[str] = []
        position = 0
        for group, name in endpoint.personal_path:
            start, end = match.span(group)
            value = unquote_to_bytes(match.group(group))
            pieces += (path[position:start], "{", name, "=", personal_token(value), "}")
            position = end
        pieces.append(path[position:])
        kept = "".join(pieces)
    if endpoint.personal_query and query:
        tokens = [
            "{" + name + "=" + personal_token(value) + "}"
            for name, value in _query_values(query, endpoint.personal_query)
        ]
        if tokens:
            kept += "?" + "&".join(tokens)
    return kept
