"""What the schemathesis runs share: bounds, seed, the hostile values and how cases use them.

Bounded and repeatable: a fixed seed, derandomised generation, ``MAX_EXAMPLES`` fuzzed cases
per operation and caller on top of schemathesis' coverage cases (boundaries, wrong types,
unexpected methods), no example database on disk. Decision 0024 says what runs and how long.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any, Final
from urllib.parse import quote

import schemathesis

#: Fuzzed cases per operation and caller (coverage cases come on top of these).
MAX_EXAMPLES: Final = 25
SEED: Final = 20261207
#: Values that broke servers like this one before (NUL, integers past bigint, the ends of the
#: calendar, ...): the fuzzer's dictionary. Schemathesis alone draws them rarely in a few
#: examples, so cases get them now and then (``add_hostile_values``) and every parameter gets
#: each of them once (``hostile_cases``).
HOSTILE: Final = (
    "\x00",
    "a\x00b",
    "99999999999999999999",
    "-99999999999999999999",
    "9223372036854775808",
    "9999-12-31",
    "0001-01-01",
    "1e309",
    "NaN",
    "../../../etc/passwd",
    "\u202egpj.exe",
    "x" * 5000,
)


def config(parameters: dict[str, str] | None = None) -> schemathesis.Config:
    """The run's configuration; ``parameters`` pins values (the region under test)."""
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
            },
            "parameters": parameters or {},
        }
    )


def digest(case: schemathesis.Case, name: str, value: object) -> bytes:
    """Choices made from the generated case, so a run repeats exactly."""
    return hashlib.sha256(f"{case.operation.label}|{name}|{value!r}".encode()).digest()


def add_hostile_values(case: schemathesis.Case, keep: frozenset[str] = frozenset()) -> None:
    """Replace one query or path parameter or top-level body field in three (except ``keep``)
    with a ``HOSTILE`` value."""
    containers: list[tuple[dict[str, Any], bool]] = [
        (case.query or {}, False),
        (case.path_parameters or {}, True),
    ]
    if isinstance(case.body, dict):
        containers.append((case.body, False))
    for container, in_path in containers:
        for name in sorted(container):
            chosen = digest(case, name, container[name])
            if name in keep or chosen[0] % 3:
                continue
            value = HOSTILE[chosen[1] % len(HOSTILE)]
            container[name] = quote(value, safe="") if in_path else value


def hostile_cases(
    operation: Any, path: dict[str, str], keep: frozenset[str] = frozenset()
) -> Iterator[schemathesis.Case]:
    """Every ``HOSTILE`` value in every query and path parameter of ``operation`` (but
    ``keep``), one at a time; the other path parameters as in ``path``."""
    path_names = [p.name for p in operation.path_parameters if p.name not in keep]
    query_names = [p.name for p in operation.query]
    for value in HOSTILE:
        for name in path_names:
            yield operation.Case(path_parameters={**path, name: quote(value, safe="")})
        for name in query_names:
            yield operation.Case(path_parameters=path, query={name: value})


def operations(schema: schemathesis.BaseSchema) -> list[Any]:
    return [result.ok() for result in schema.get_all_operations()]


def label(operation: Any) -> str:
    return str(operation.label)
