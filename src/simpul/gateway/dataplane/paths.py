"""The path of a call as the gateway reads it: from the raw bytes, checked, in one canonical form.

The server's decoded ``scope["path"]`` cannot be used: it turns ``%2F`` into a separator,
``%2e%2e`` into a dot segment and ``%0d%0a`` into a line break. ``canonical_path`` works on
``scope["raw_path"]`` instead and normalises as RFC 3986 section 6.2.2 does: percent-encoded
unreserved characters are decoded (``%61`` -> ``a``, ``%2E`` -> ``.``), every other encoding is
kept with upper-case hex (``%2f`` -> ``%2F``, so an encoded slash stays inside its segment), and
raw bytes a path may not hold are encoded (``"`` -> ``%22``). The result is plain ASCII that is
matched against the endpoints' templates (written in the same form, ``config.template_pattern``)
and sent to the provider as it is: path parameters arrive encoded, whatever the caller sent.

Refused (``PathRefused``, answered 400 before any matching):

- dot segments: ``.`` and ``..``, also percent-encoded in any case (``%2e%2E``, ``.%2e``), also
  followed by a path parameter (Tomcat reads ``..;x`` as ``..``), also inside a segment once
  ``%2F`` is decoded (``a%2F..%2Fb``), for providers that decode before they route;
- backslashes (raw or ``%5C``): some servers read them as separators;
- NUL and the other control characters, raw or encoded (``%00``, ``%0D%0A``, ``%7F``): no byte
  of a path can end the request line or start a header line upstream;
- a ``%`` not followed by two hex digits;
- double-encoded dots, slashes, backslashes and control characters (``%252e``, ``%250d``),
  harmless for the gateway (it decodes once) but not for a provider that decodes twice.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import unquote

#: A path of these characters only needs no rewriting (the common case, checked first).
_PLAIN: Final = re.compile(rb"[A-Za-z0-9\-._~!$&'()*+,;=:@/]*")
#: Raw bytes that are refused outright: control characters, space, DEL and backslash.
_FORBIDDEN_RAW: Final = re.compile(rb"[\x00-\x20\x7f\\]")
#: A percent sign that does not start an escape.
_BAD_ESCAPE: Final = re.compile(rb"%(?![0-9A-Fa-f]{2})")
#: An escape, or a raw byte that must be escaped.
_TO_NORMALISE: Final = re.compile(rb"%([0-9A-Fa-f]{2})|([^A-Za-z0-9\-._~!$&'()*+,;=:@/%])")
#: ``%25`` (an escaped ``%``) before what would decode, a second time, to a refused character.
_DOUBLE_ENCODED: Final = re.compile(r"%25(?:2[EF]|5C|[01][0-9A-F]|7F)", re.IGNORECASE)
_UNRESERVED: Final = frozenset(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
)
_DOT_SEGMENTS: Final = frozenset({".", ".."})


class PathRefused(ValueError):
    """The raw path cannot be forwarded; ``reason`` says why (in English, for the log)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _normalise_match(match: re.Match[bytes]) -> bytes:
    escaped = match.group(1)
    if escaped is None:  # a raw byte outside the set a path may hold
        return b"%%%02X" % match.group(2)[0]
    value = int(escaped, 16)
    if value < 0x20 or value in {0x7F, 0x5C}:
        raise PathRefused("an encoded control character or backslash")
    if value in _UNRESERVED:
        return bytes((value,))
    return b"%" + escaped.upper()


def _check_segment(segment: str) -> None:
    if "%" in segment:
        if _DOUBLE_ENCODED.search(segment):
            raise PathRefused("a double-encoded dot, slash, backslash or control character")
        pieces = unquote(segment, errors="replace").split("/")
    else:
        pieces = [segment]
    for piece in pieces:
        if piece.split(";", 1)[0] in _DOT_SEGMENTS:
            raise PathRefused("a dot segment")


def canonical_path(raw: bytes) -> str:
    """The raw path (no query string) in canonical form; raises ``PathRefused``."""
    if _PLAIN.fullmatch(raw):
        text = raw.decode("ascii")
        if "/." in text:
            for segment in text.split("/"):
                _check_segment(segment)
        return text
    if _FORBIDDEN_RAW.search(raw):
        raise PathRefused("a control character, space or backslash")
    if _BAD_ESCAPE.search(raw):
        raise PathRefused("a % that does not start an escape")
    text = _TO_NORMALISE.sub(_normalise_match, raw).decode("ascii")
    for segment in text.split("/"):
        _check_segment(segment)
    return text


def shown_raw_path(raw: bytes, limit: int = 1000) -> str:
    """A refused raw path as text for the log: printable, control bytes escaped, cut."""
    return raw[:limit].decode("latin-1").encode("unicode_escape").decode("ascii")
