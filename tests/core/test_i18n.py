"""Which language a request gets: the explicit choice, else the browser's by q-value."""

from __future__ import annotations

import pytest

from simpul.core.i18n import pick_locale


@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [
        ("en;q=0.1, id", "id"),  # Indonesian is wanted more, though named second
        ("en-US,en;q=0.9", "en"),
        ("en-US, id;q=0.5", "en"),  # a regional variant counts for its language
        ("fr, EN;q=0.5", "en"),  # unknown languages are passed over; case does not matter
        ("id;q=0, en;q=0.2", "en"),  # q=0 means "not this one"
        ("en;q=nonsense, id;q=0.3", "id"),  # a malformed weight drops its entry
        ("*", "id"),
        ("garbage;;;,,,q=", "id"),
        ("", "id"),
        (None, "id"),
    ],
)
def test_the_browser_language_follows_q_values(accept_language: str | None, expected: str) -> None:
    assert pick_locale(None, accept_language) == expected


def test_an_explicit_choice_wins_over_the_browser() -> None:
    assert pick_locale("id", "en") == "id"
    assert pick_locale("en", "id") == "en"
    assert pick_locale("fr", "en;q=0.1, id") == "id"
