"""Rules a service's eForm may declare on a field beyond JSON Schema, and their checks.

Declared in the field's schema, next to its JSON Schema keywords (validators that do not know
them ignore them, as JSON Schema asks of unknown keywords):

- ``"x-simpul-not-future": true`` on a date: not after today (a birth date);
- ``"x-simpul-min-words": 2`` on text: at least that many words (a full name);
- ``"x-simpul-must-be": "ya"`` on a choice: the only answer that lets the application go
  ahead (a declaration answered "Ya").

``validate`` enforces them on submission (drafts may break them), with messages naming the
field; ``eform_render`` shows them before anyone types (``max=`` on the date, a hint).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from simpul.applications.eform_schema import Schema, label_of, options_of, walk_scalars
from simpul.core.i18n import _, ngettext

NOT_FUTURE: Final = "x-simpul-not-future"
MIN_WORDS: Final = "x-simpul-min-words"
MUST_BE: Final = "x-simpul-must-be"
#: The easternmost time zone of Indonesia (WIT): its "today" is the latest in the country, so a
#: date that is today anywhere in Indonesia is never refused as being in the future.
_LATEST_TODAY: Final = ZoneInfo("Asia/Jayapura")


def latest_today() -> date:
    """Today's date in Indonesia's easternmost zone (the latest date anyone there has)."""
    return datetime.now(_LATEST_TODAY).date()


def not_future(node: Schema) -> bool:
    return node.get(NOT_FUTURE) is True


def min_words(node: Schema) -> int | None:
    value = node.get(MIN_WORDS)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 1 else None


def must_be(node: Schema) -> tuple[Any, str] | None:
    """The value a choice must have and its label, or None."""
    if MUST_BE not in node:
        return None
    wanted = node[MUST_BE]
    label = next((text for value, text in options_of(node) if value == wanted), str(wanted))
    return wanted, label


def min_words_hint(count: int) -> str:
    return ngettext("Minimal %(n)d kata.", "Minimal %(n)d kata.", count) % {"n": count}


def must_be_hint(label: str) -> str:
    return _("Permohonan hanya dapat diproses bila dijawab \u201c%(option)s\u201d.") % {
        "option": label
    }


def rule_errors(
    schema: Schema, data: Mapping[str, Any], already: Mapping[str, str], today: date | None = None
) -> dict[str, str]:
    """A message per field that breaks a declared rule (fields with an error in ``already``
    keep that one: the more basic problem is told first)."""
    day = today or latest_today()
    errors: dict[str, str] = {}
    for path, key, node, value in walk_scalars(schema, data):
        if path in already:
            continue
        label = label_of(node, key)
        message = _check(node, value, label, day)
        if message:
            errors[path] = message
    return errors


def _check(node: Schema, value: Any, label: str, today: date) -> str | None:
    if not_future(node) and isinstance(value, str):
        try:
            given = date.fromisoformat(value)
        except ValueError:
            given = None
        if given is not None and given > today:
            return _("%(label)s tidak boleh melewati hari ini.") % {"label": label}
    words = min_words(node)
    if words is not None and isinstance(value, str) and len(value.split()) < words:
        return ngettext(
            "%(label)s harus terdiri dari paling sedikit %(n)d kata.",
            "%(label)s harus terdiri dari paling sedikit %(n)d kata.",
            words,
        ) % {"label": label, "n": words}
    wanted = must_be(node)
    if wanted is not None and value != wanted[0]:
        return _(
            "%(label)s harus dijawab \u201c%(option)s\u201d agar permohonan dapat diproses."
        ) % {"label": label, "option": wanted[1]}
    return None
