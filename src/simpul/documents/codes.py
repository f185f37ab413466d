"""Verification codes: random, typeable, printed under the document's QR code.

A code is 16 symbols of Crockford's base32 (the digits and the letters without I, L, O and
U): 80 random bits, so guessing one is hopeless even before the lookups are rate-limited.
It is stored and printed in groups of four, ``K7QM-3XH2-9TFA-WP4D``. What a person types is
read as Crockford says: upper or lower case, dashes and spaces anywhere, O read as 0 and I
or L as 1. Codes of the first format (``secrets.token_urlsafe(16)``: 22 letters, digits,
``-`` and ``_``, case-sensitive) are still looked up exactly as typed. Pure: no database.
"""

from __future__ import annotations

import re
import secrets
from typing import Final

ALPHABET: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SYMBOLS: Final = 16
GROUP: Final = 4
#: Random bits in a code: five per symbol.
BITS: Final = SYMBOLS * 5
#: A code's printed length (with the dashes between its groups).
LENGTH: Final = SYMBOLS + SYMBOLS // GROUP - 1
#: The shape of a first-format code (and the most a lookup is tried with as typed).
FIRST_FORMAT: Final = re.compile(r"[A-Za-z0-9_-]{8,40}")
#: The length of every first-format code (16 random bytes in URL-safe base64).
FIRST_FORMAT_LENGTH: Final = 22
#: Anything a person may put between groups: spaces and the dashes keyboards make.
_SEPARATORS: Final = re.compile(r"[\s\-\u2010-\u2015\u2212]+")
#: Crockford's decoding of the letters that look like digits.
_LOOK_ALIKES: Final = str.maketrans({"O": "0", "I": "1", "L": "1"})
_URL_CODE: Final = re.compile(r"/verifikasi/([^/?#\s]+)")


def new_code() -> str:
    """A fresh random code, as stored and printed (``K7QM-3XH2-9TFA-WP4D``)."""
    value = secrets.randbits(BITS)
    return grouped("".join(ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(SYMBOLS))))


def grouped(symbols: str) -> str:
    """``K7QM3XH29TFAWP4D`` -> ``K7QM-3XH2-9TFA-WP4D``."""
    return "-".join(symbols[i : i + GROUP] for i in range(0, len(symbols), GROUP))


def normalised(text: str) -> str | None:
    """The code a person meant by ``text``, in its stored form; ``None`` if it is not one."""
    compact = _SEPARATORS.sub("", text).upper().translate(_LOOK_ALIKES)
    if len(compact) != SYMBOLS or any(symbol not in ALPHABET for symbol in compact):
        return None
    return grouped(compact)


def candidates(text: str) -> list[str]:
    """The stored codes ``text`` may stand for (none: it cannot be a code, look nothing up).

    The code read as Crockford says, and the text as typed when it has the shape of a
    first-format code (those are case-sensitive).
    """
    text = text.strip()
    found: list[str] = []
    code = normalised(text)
    if code is not None:
        found.append(code)
    if FIRST_FORMAT.fullmatch(text) and text not in found:
        found.append(text)
    return found


def from_input(text: str) -> str | None:
    """The code in what a visitor typed or pasted (the code, or the QR code's URL), in the form
    to open its page with; ``None`` when it cannot be a code."""
    text = text.strip()
    match = _URL_CODE.search(text)
    candidate = match.group(1) if match else text
    code = normalised(candidate)
    if code is not None and len(candidate) != FIRST_FORMAT_LENGTH:
        return code
    if FIRST_FORMAT.fullmatch(candidate):
        return candidate  # its page tries both readings
    return code
