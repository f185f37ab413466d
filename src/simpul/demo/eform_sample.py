"""Valid example data for any eForm: the demo's answers (also used by tests and the submission
benchmark)."""

from __future__ import annotations

import contextlib
import math
import re
import string
from collections.abc import Callable
from typing import Any, Final

from jsonschema import Draft202012Validator

from simpul.applications.eform_schema import (
    Schema,
    items_of,
    kind_of,
    options_of,
    properties_of,
    schema_type,
)

#: A NIK registered in Kota Bandung (32.73.01), born 25 May 1995, sequence 0003.
SAMPLE_NIK: Final = "3273012505950003"
SAMPLE_PHONE: Final = "081234567890"
SAMPLE_DATE: Final = "2024-01-15"
SAMPLE_EMAIL: Final = "warga@contoh.id"
SAMPLE_TEXT: Final = "Contoh isian"
_FORMATS = Draft202012Validator.FORMAT_CHECKER


def sample_data(schema: Schema) -> dict[str, Any]:
    """Data that fills every property of ``schema`` validly (every row group with
    ``max(minItems, 1)`` rows); raises ``ValueError`` for a property it cannot satisfy."""
    value = _sample(schema, "")
    return value if isinstance(value, dict) else {}


def _sample(node: Schema, key: str) -> Any:  # noqa: PLR0911 - one answer per JSON type
    if "const" in node:
        return node["const"]
    options = options_of(node)
    if options:
        return options[0][0]
    json_type = schema_type(node)
    if json_type == "object":
        return {k: _sample(child, k) for k, child in properties_of(node).items()}
    if json_type == "array":
        count = max(int(node.get("minItems", 0)), 1)
        if node.get("maxItems") is not None:
            count = min(count, int(node["maxItems"]))
        return [_sample(items_of(node), key) for _ in range(count)]
    if json_type == "boolean":
        return True
    if json_type in ("integer", "number"):
        return _sample_number(node, integer=json_type == "integer")
    return _sample_string(node, key)


def _sample_number(node: Schema, *, integer: bool) -> int | float:
    low, high = node.get("minimum"), node.get("maximum")
    above, below = node.get("exclusiveMinimum"), node.get("exclusiveMaximum")
    candidates = [low, 1, high]
    if above is not None:
        candidates.append(math.floor(above) + 1 if integer else above + 0.5)
    for candidate in candidates:
        if candidate is None:
            continue
        value = math.ceil(candidate) if integer else candidate
        if (
            (low is None or value >= low)
            and (high is None or value <= high)
            and (above is None or value > above)
            and (below is None or value < below)
        ):
            return value
    raise ValueError(f"no number fits {dict(node)}")


def _sample_string(node: Schema, key: str) -> str:
    kind = kind_of(node, {}, key)
    candidates = {
        "nik": [SAMPLE_NIK],
        "phone": [SAMPLE_PHONE],
        "date": [SAMPLE_DATE],
        "email": [SAMPLE_EMAIL],
    }.get(kind, [])
    pattern = node.get("pattern")
    if isinstance(pattern, str):
        candidates += [SAMPLE_NIK, SAMPLE_PHONE]
        with contextlib.suppress(ValueError):
            candidates.append(pattern_example(pattern))
    least, most = int(node.get("minLength", 0)), node.get("maxLength")
    text = (SAMPLE_TEXT + "x" * max(0, least - len(SAMPLE_TEXT)))[: most or None].strip()
    candidates.append(text)
    for candidate in candidates:
        if _fits(node, candidate):
            return candidate
    raise ValueError(f"no text fits {dict(node)}")


def _fits(node: Schema, text: str) -> bool:
    most = node.get("maxLength")
    pattern = node.get("pattern")
    fmt = node.get("format")
    return (
        len(text) >= int(node.get("minLength", 0))
        and (most is None or len(text) <= int(most))
        and (not isinstance(pattern, str) or re.search(pattern, text) is not None)
        and (not isinstance(fmt, str) or _FORMATS.conforms(text, fmt))
    )


def pattern_example(pattern: str) -> str:
    """A short string the regular expression matches (literals, classes, groups,
    alternation, quantifiers); raises ``ValueError`` for what it does not understand."""
    text = _PatternReader(pattern).example()
    if re.search(pattern, text) is None:
        raise ValueError(f"cannot make an example of {pattern!r}")
    return text


# Characters tried, in order, when a class allows several.
_PREFERRED: Final = "1aA" + string.digits + string.ascii_letters + string.punctuation + " "
_ESCAPES: Final[dict[str, Callable[[str], bool]]] = {
    "d": str.isdigit,
    "D": lambda c: not c.isdigit(),
    "w": lambda c: c.isalnum() or c == "_",
    "W": lambda c: not (c.isalnum() or c == "_"),
    "s": str.isspace,
    "S": lambda c: not c.isspace(),
}


class _PatternReader:
    """Reads a regular expression left to right, keeping the first alternative and the
    fewest repetitions of everything."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.pos = 0

    def example(self) -> str:
        text = self.alternation()
        if self.pos != len(self.pattern):
            raise ValueError(f"unbalanced pattern {self.pattern!r}")
        return text

    def peek(self) -> str:
        return self.pattern[self.pos] if self.pos < len(self.pattern) else ""

    def take(self) -> str:
        char = self.peek()
        if not char:
            raise ValueError(f"pattern ends early: {self.pattern!r}")
        self.pos += 1
        return char

    def alternation(self) -> str:
        first = self.sequence()
        while self.peek() == "|":
            self.pos += 1
            self.sequence()
        return first

    def sequence(self) -> str:
        parts = []
        while self.peek() not in ("", "|", ")"):
            atom = self.atom()
            parts.append(atom * self.fewest())
        return "".join(parts)

    def atom(self) -> str:  # noqa: PLR0911 - one answer per kind of atom
        char = self.take()
        if char in "^$":
            return ""
        if char == ".":
            return "a"
        if char == "[":
            return self.char_class()
        if char == "\\":
            escaped = self.take()
            if escaped in "bBAZz":
                return ""
            test = _ESCAPES.get(escaped)
            return _pick([test], negated=False) if test else escaped
        if char == "(":
            if self.pattern.startswith("?:", self.pos):
                self.pos += 2
            elif self.peek() == "?":
                raise ValueError(f"unsupported group in {self.pattern!r}")
            text = self.alternation()
            if self.take() != ")":
                raise ValueError(f"unbalanced pattern {self.pattern!r}")
            return text
        return char

    def fewest(self) -> int:
        """Read a quantifier, if any, and return its minimum."""
        char = self.peek()
        if char in ("*", "?", "+"):
            self.pos += 1
            least = 1 if char == "+" else 0
        elif char == "{" and (match := re.match(r"\{(\d+)(,\d*)?\}", self.pattern[self.pos :])):
            self.pos += match.end()
            least = int(match[1])
        else:
            return 1
        if self.peek() in ("?", "+"):  # lazy or possessive
            self.pos += 1
        return least

    def char_class(self) -> str:
        negated = self.peek() == "^"
        if negated:
            self.pos += 1
        tests: list[Callable[[str], bool]] = []
        first = True
        while first or self.peek() != "]":
            first = False
            char = self.take()
            if char == "\\":
                escaped = self.take()
                test = _ESCAPES.get(escaped)
                if test:
                    tests.append(test)
                    continue
                char = escaped
            if self.peek() == "-" and self.pattern[self.pos + 1 : self.pos + 2] not in ("", "]"):
                self.pos += 1
                high = self.take()
                if high == "\\":
                    high = self.take()
                tests.append(_between(char, high))
            else:
                tests.append(_between(char, char))
        self.pos += 1
        return _pick(tests, negated=negated)


def _between(low: str, high: str) -> Callable[[str], bool]:
    return lambda char: low <= char <= high


def _pick(tests: list[Callable[[str], bool]], *, negated: bool) -> str:
    for char in _PREFERRED:
        if any(test(char) for test in tests) != negated:
            return char
    raise ValueError("no character fits the class")
