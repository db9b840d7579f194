"""Agents and tasks are found in a JSON answer however the provider cuts its stream."""

from __future__ import annotations

import json

import pytest

from kasal.generate.stream import ItemScanner, json_object
from tests.generate.support import design

ANSWER = json.dumps({**design(), "notes": {"agents": [{"key": "not-an-item"}]}}, indent=1)


@pytest.mark.parametrize("size", [1, 2, 7, 64, len(ANSWER)])
def test_items_are_found_as_soon_as_they_close(size: int) -> None:
    scanner = ItemScanner()
    found = []
    for start in range(0, len(ANSWER), size):
        found += scanner.feed(ANSWER[start : start + size])

    assert [(kind, item["key"]) for kind, item in found] == [
        ("agents", "researcher"),
        ("agents", "writer"),
        ("tasks", "research"),
        ("tasks", "brief"),
    ]
    assert scanner.text == ANSWER


def test_braces_and_quotes_inside_strings_do_not_confuse_it() -> None:
    tricky = {"agents": [{"key": "a", "goal": 'say "}]" and {x}\\'}], "tasks": []}
    scanner = ItemScanner()

    found = scanner.feed(json.dumps(tricky))

    assert found == [("agents", tricky["agents"][0])]


def test_a_fenced_answer_parses() -> None:
    assert json_object('```json\n{"name": "x"}\n```') == {"name": "x"}
    with pytest.raises(ValueError, match="Expecting value"):
        json_object("Here you are: {}")
