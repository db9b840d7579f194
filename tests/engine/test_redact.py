"""The redactor: a run's own credentials anywhere, other keys by their shape or field name."""

from __future__ import annotations

import pytest

from kasal.engine.redact import MASK, Redactor


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer abcdef1234567890xyz", f"Authorization: Bearer {MASK}"),
        (
            "https://api.example/v1?api_key=abc123def&q=tea",
            f"https://api.example/v1?api_key={MASK}&q=tea",
        ),
        ('{"token": "zzzz9999", "n": 1}', f'{{"token": "{MASK}", "n": 1}}'),
        ("x-subscription-token: BSAabc123", f"x-subscription-token: {MASK}"),
        ("use sk-proj-ABCDEFGHIJKLMNOPQRST now", f"use {MASK} now"),
        ("ghp_0123456789abcdefghijABCDEFGHIJ", MASK),
        ("tvly-dev-0123456789abcdef", MASK),
        ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlMTIz", MASK),
    ],
)
def test_key_shaped_values_are_masked(text: str, expected: str) -> None:
    assert Redactor().text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "basic understanding of tea",
        "max_tokens=100 and 1234 tokens: fine",
        "The secret of good tea is patience.",
        "https://example.org/tides?page=2",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert Redactor().text(text) == text


def test_the_runs_own_credentials_are_masked_wherever_they_are() -> None:
    redactor = Redactor(["plain-looking-value", "abc"])  # too short to mask: "abc"
    value = {
        "q": "find plain-looking-value please",
        "headers": {"X-API-KEY": "anything", "Accept": "json"},
        "list": ["abc", ("plain-looking-value",)],
        "password": "",
    }
    assert redactor.value(value) == {
        "q": f"find {MASK} please",
        "headers": {"X-API-KEY": MASK, "Accept": "json"},
        "list": ["abc", [MASK]],
        "password": "",
    }
