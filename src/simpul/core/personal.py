"""Kinds of personal data a form field can hold, how each is masked, and its lookup hash.

A service's eForm marks a field with ``"x-simpul-personal": "<kind>"`` (decision 0022). The
kinds say three things about a value: how it is shown to someone who may not read it in full
(the mask), whether it can be looked up (a keyed hash, like the account NIK of decision 0003),
and whether it is printed on the document issued for the application.
"""

from __future__ import annotations

import enum
import re
import uuid
from dataclasses import dataclass
from typing import Any, Final

from simpul.core.security import keyed_hash

MARK: Final = "x-simpul-personal"
BULLET: Final = "•"
#: What a value that shows nothing of itself looks like.
HIDDEN: Final = BULLET * 3


class PersonalKind(enum.StrEnum):
    NIK = "nik"  # Nomor Induk Kependudukan, 16 digits
    KK = "kk"  # Nomor Kartu Keluarga, 16 digits
    PHONE = "phone"
    EMAIL = "email"
    NAME = "name"  # a person's name
    ADDRESS = "address"  # a street address (a text field or an object of its parts)
    IDENTIFIER = "identifier"  # another number that identifies a person (JKN card, passport)
    OTHER = "other"  # anything else personal (a birth date, a diagnosis)


KINDS: Final = frozenset(kind.value for kind in PersonalKind)


@dataclass(frozen=True)
class KindRule:
    #: A keyed hash is kept so that applications can be found by the value.
    lookup: bool
    #: Printed in full on the document issued for the application.
    printed: bool
    #: Only on fields of type string (the others may also mark an object or an array).
    text_only: bool


RULES: Final = {
    PersonalKind.NIK: KindRule(lookup=True, printed=True, text_only=True),
    PersonalKind.KK: KindRule(lookup=True, printed=True, text_only=True),
    PersonalKind.PHONE: KindRule(lookup=True, printed=False, text_only=True),
    PersonalKind.EMAIL: KindRule(lookup=True, printed=False, text_only=True),
    PersonalKind.NAME: KindRule(lookup=False, printed=True, text_only=True),
    PersonalKind.ADDRESS: KindRule(lookup=False, printed=True, text_only=False),
    PersonalKind.IDENTIFIER: KindRule(lookup=True, printed=True, text_only=True),
    PersonalKind.OTHER: KindRule(lookup=False, printed=True, text_only=False),
}

_NOT_DIGITS = re.compile(r"\D")
_SEPARATORS = re.compile(r"[\s.\-()/]")
#: A run of 16 digits (a NIK, a KK or a card number), alone or in groups of four.
_SIXTEEN_DIGITS = re.compile(r"(?<!\d)(\d{4})[ .\-]?(\d{4})[ .\-]?(\d{4})[ .\-]?(\d{4})(?!\d)")


def _mask_digits(text: str) -> str:
    digits = _NOT_DIGITS.sub("", text)
    return digits[:4] + BULLET * 8 + digits[-4:] if len(digits) == 16 else HIDDEN


def _mask_phone(text: str) -> str:
    compact = _SEPARATORS.sub("", text)
    return compact[:4] + BULLET * (len(compact) - 7) + compact[-3:] if len(compact) > 9 else HIDDEN


def _mask_email(text: str) -> str:
    local, at, domain = text.partition("@")
    return f"{local[:1]}{HIDDEN}@{domain}" if at and local else HIDDEN


def _mask_name(text: str) -> str:
    return " ".join(word[:1] + BULLET * (len(word) - 1) for word in text.split()) or HIDDEN


def _mask_identifier(text: str) -> str:
    compact = _SEPARATORS.sub("", text)
    return BULLET * 4 + compact[-4:] if len(compact) > 8 else HIDDEN


_MASKS: Final = {
    PersonalKind.NIK: _mask_digits,
    PersonalKind.KK: _mask_digits,
    PersonalKind.PHONE: _mask_phone,
    PersonalKind.EMAIL: _mask_email,
    PersonalKind.NAME: _mask_name,
    PersonalKind.IDENTIFIER: _mask_identifier,
}


def mask_value(kind: PersonalKind, value: Any) -> Any:
    """What may be shown of ``value`` to someone not entitled to read it in full:
    3273••••••••0001, 0812•••••890, n•••@example.org, N•••• P••••, ••••1234, or •••."""
    if value is None:
        return None
    mask = _MASKS.get(kind)
    return mask(str(value)) if mask else HIDDEN


def normalise(kind: PersonalKind, value: str) -> str:
    """The form of a value that is hashed: what people type around it does not count."""
    if kind in (PersonalKind.NIK, PersonalKind.KK):
        return _NOT_DIGITS.sub("", value)
    if kind is PersonalKind.PHONE:
        phone = _SEPARATORS.sub("", value)
        if phone.startswith("+62"):
            return "0" + phone[3:]
        return "0" + phone[2:] if phone.startswith("62") else phone
    if kind is PersonalKind.EMAIL:
        return value.strip().lower()
    return _SEPARATORS.sub("", value).upper()


def lookup_hash(region_id: uuid.UUID, kind: PersonalKind, value: str) -> bytes:
    """The keyed hash a value is found by. A NIK hashes exactly as an account's NIK does
    (``accounts.service.nik_hash``), so an account and the answers naming it can be joined."""
    normalised = normalise(kind, value)
    if kind is PersonalKind.NIK:
        return keyed_hash("nik", f"{region_id}:{normalised}")
    return keyed_hash(f"personal:{kind.value}", f"{region_id}:{normalised}")


def mask_sixteen_digit_numbers(text: str) -> str:
    """``text`` with every NIK-like run of 16 digits masked (3273••••••••0001): for notes
    officers type, which go to e-mails, notifications and public verification pages."""
    return _SIXTEEN_DIGITS.sub(lambda m: m.group(1) + BULLET * 8 + m.group(4), text)
