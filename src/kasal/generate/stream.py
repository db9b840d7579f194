"""Complete agents and tasks out of a JSON answer that is still arriving.

A model streams its design as text; the canvas should show each agent and task as soon as
its object is closed, long before the whole answer parses. This scanner follows strings and
nesting, so it finds the end of each item of the top-level `agents` and `tasks` arrays
without parsing anything twice. Text around the object (a Markdown fence) is skipped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from typing import Any

_FENCE = re.compile(r"^\s*```[a-zA-Z]*\s*|\s*```\s*$")


class ItemScanner:
    def __init__(self, arrays: Collection[str] = ("agents", "tasks")) -> None:
        self.arrays = frozenset(arrays)
        self.text = ""
        self._pos = 0
        self._depth = 0
        self._in_string = False
        self._escaped = False
        self._string_start = 0
        self._last_string: str | None = None
        self._array: str | None = None
        self._item_start: int | None = None

    def feed(self, piece: str) -> list[tuple[str, dict[str, Any]]]:
        """Add text; answer the items it completed, as (array name, parsed object)."""
        self.text += piece
        found: list[tuple[str, dict[str, Any]]] = []
        while self._pos < len(self.text):
            item = self._step(self.text[self._pos])
            if item is not None:
                found.append(item)
            self._pos += 1
        return found

    def _step(self, char: str) -> tuple[str, dict[str, Any]] | None:
        if self._in_string:
            if self._escaped:
                self._escaped = False
            elif char == "\\":
                self._escaped = True
            elif char == '"':
                self._in_string = False
                if self._depth == 1:  # a key (or a value) of the top-level object
                    self._last_string = self.text[self._string_start + 1 : self._pos]
            return None
        if char == '"':
            self._in_string, self._string_start = True, self._pos
        elif char in "{[":
            self._depth += 1
            if self._depth == 2 and char == "[" and self._last_string in self.arrays:
                self._array = self._last_string
            elif self._depth == 3 and char == "{" and self._array is not None:
                self._item_start = self._pos
        elif char in "}]" and self._depth > 0:
            item = None
            if self._depth == 3 and char == "}" and self._item_start is not None:
                item = self._item(self.text[self._item_start : self._pos + 1])
                self._item_start = None
            self._depth -= 1
            if self._depth == 1:
                self._array = None
            return item
        return None

    def _item(self, text: str) -> tuple[str, dict[str, Any]] | None:
        try:
            value = json.loads(text)
        except ValueError:
            return None
        if self._array is None or not isinstance(value, dict):
            return None
        return self._array, value


def json_object(answer: str) -> Any:
    """The JSON value of a whole answer, without a Markdown fence around it (ValueError)."""
    return json.loads(_FENCE.sub("", answer.strip()))
