"""Hidden characters in free text: one rule for every place text comes in or is printed.

Bidirectional controls (U+202A-U+202E embeddings and overrides, U+2066-U+2069 isolates) make
text read differently from what it is ("Budi[RLO]fdp.exe" shows as "Budiexe.pdf"); NUL is
refused by PostgreSQL, so a stored NUL would end the request in an error. Text that people
type is refused when it holds one (``unsafe_text_error``, ``SafeText`` for API fields);
what is printed (pages, PDFs) goes through ``strip_unsafe_characters``. Other scripts,
right-to-left letters and the invisible marks U+200E/U+200F are ordinary text and pass.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated, Any, Final

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from simpul.core.i18n import _

#: NUL, the embeddings and overrides U+202A-U+202E, the isolates U+2066-U+2069.
UNSAFE_CHARACTERS: Final = frozenset(
    ["\x00", *map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A))]
)
_REMOVE: Final = dict.fromkeys(map(ord, UNSAFE_CHARACTERS))


def has_unsafe_characters(value: str) -> bool:
    return not UNSAFE_CHARACTERS.isdisjoint(value)


def strip_unsafe_characters(value: str) -> str:
    """``value`` without NUL and bidirectional controls (for what is printed)."""
    return value.translate(_REMOVE) if has_unsafe_characters(value) else value


def unsafe_text_message(label: str) -> str:
    """What a person reads when a field held a hidden character (Indonesian msgid)."""
    return _(
        "%(field)s berisi karakter tersembunyi yang tidak diizinkan (pengatur arah teks atau "
        "NUL), biasanya terbawa saat menyalin teks. Ketik ulang isian ini."
    ) % {"field": label}


def unsafe_text_error(value: str, *, field: str, label: str) -> dict[str, str] | None:
    """A field error (``{"field", "message"}``) when ``value`` holds a hidden character."""
    if has_unsafe_characters(value):
        return {"field": field, "message": unsafe_text_message(label)}
    return None


def unsafe_paths(value: Any, path: str = "") -> Iterator[str]:
    """Paths (``a.0.b``) of every string in JSON-like ``value`` that holds a hidden character;
    a mapping key that holds one is reported at the path it would have had."""
    if isinstance(value, str):
        if has_unsafe_characters(value):
            yield path
    elif isinstance(value, Mapping):
        for key, child in value.items():
            child_path = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and has_unsafe_characters(key):
                yield strip_unsafe_characters(child_path)
            else:
                yield from unsafe_paths(child, child_path)
    elif isinstance(value, list | tuple):
        for index, child in enumerate(value):
            yield from unsafe_paths(child, f"{path}.{index}" if path else str(index))


def _refuse_unsafe(value: str) -> str:
    if has_unsafe_characters(value):
        raise PydanticCustomError(
            "unsafe_text",
            str(
                _(
                    "Teks berisi karakter tersembunyi yang tidak diizinkan (pengatur arah teks "
                    "atau NUL)."
                )
            ),
        )
    return value


#: A string field of an API body that is stored or printed: refused (422, naming the field)
#: when it holds a NUL or a bidirectional control.
SafeText = Annotated[str, AfterValidator(_refuse_unsafe)]
