"""What the OpenAPI modules share: a problem (where, what), the internal refusal, locations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from simpul.core.i18n import _

#: How many problems one refusal lists (the first ones found).
MAX_PROBLEMS: Final = 20
#: How deep the document may nest (and how far a ``oneOf`` is followed).
MAX_DEPTH: Final = 200


@dataclass(frozen=True)
class Problem:
    """One thing wrong: where (a location or a line of the file) and what, in words."""

    where: str
    message: str


class Refused(Exception):
    """Internal: the problems found; ``parse_openapi`` turns them into the public error."""

    def __init__(self, *problems: Problem) -> None:
        super().__init__(problems[0].message if problems else "")
        self.problems = problems


def root() -> str:
    """The location of a problem that is about the whole document."""
    return _("akar dokumen")


def location(path: Sequence[str | int]) -> str:
    """Where a node is: ``paths./pets/{id}.get.parameters[0]`` for that list of keys."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def short(text: str, limit: int = 120) -> str:
    """``text`` cut to ``limit`` characters (with an ellipsis) for a message."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
