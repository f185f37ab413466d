"""Personal data a respondent (or an officer) may type into free text, masked before the text
is published: e-mail addresses, NIK/KK-like runs of 16 digits, phone numbers, and any other
long number that could identify someone."""

from __future__ import annotations

import re
from typing import Final

from simpul.core.personal import BULLET, PersonalKind, mask_sixteen_digit_numbers, mask_value

_EMAIL: Final = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
#: Indonesian mobile and fixed numbers: +62 / 62 / 0, then 8-13 digits with spaces, dots or
#: dashes between groups (0812-3456-7890, +62 812 3456 7890, (022) 4234567).
_PHONE: Final = re.compile(
    r"(?<![\w])(?:\+62|62|\(0\d{1,3}\)|0)[\s.\-]?\d(?:[\s.\-]?\d){6,12}(?!\d)"
)
#: Any other run of eight or more digits (a passport, a JKN card, a register number).
_LONG_NUMBER: Final = re.compile(r"(?<!\d)\d{8,}(?!\d)")


def mask_personal_text(text: str) -> str:
    """``text`` fit for publication: personal identifiers masked, everything else unchanged."""
    masked = _EMAIL.sub(lambda m: mask_value(PersonalKind.EMAIL, m.group(0)), text)
    masked = mask_sixteen_digit_numbers(masked)
    masked = _PHONE.sub(lambda m: mask_value(PersonalKind.PHONE, m.group(0)), masked)
    return _LONG_NUMBER.sub(
        lambda m: m.group(0)[:2] + BULLET * (len(m.group(0)) - 4) + m.group(0)[-2:], masked
    )
