"""An uploaded file → the chunks a knowledge base stores, each with where it comes from.

The text comes from the same readers as the `document_read` tool (`engine.tools.readers`):
a PDF page by page (a chunk names its page), every other format as Markdown-ish text whose
headings (`# Setup`, a Word heading, an HTML `<h2>`) name the section of the chunks under
them. A section's text is cut into chunks of about `size` characters at the largest
boundary that fits (paragraph, line, sentence, word), and each chunk starts with the last
`overlap` characters of the one before, so a fact on a boundary is whole in one of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from kasal.engine.tools.base import ToolError
from kasal.engine.tools.catalog import DocumentReadConfig
from kasal.engine.tools.readers import READ_ERRORS, reader_of, unreadable

# The formats a knowledge base takes, by file name ending, with their usual media type.
ACCEPTED: dict[str, str] = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".txt": "text/plain",
    ".html": "text/html",
    ".htm": "text/html",
    ".csv": "text/csv",
}
MAX_PAGES = 10_000
MAX_READ_BYTES = 200_000_000  # what the readers' configuration allows at most

_PAGE = re.compile(r"--- page (\d+) ---\n?")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$")
# Where text is cut, largest first, and what joins two of its pieces again in a chunk.
_BOUNDARIES = (
    (re.compile(r"\n\s*\n"), "\n\n"),
    (re.compile(r"\n"), "\n"),
    (re.compile(r"(?<=[.!?])\s+"), " "),
)
_WORD = re.compile(r"\s+")


class Unreadable(ValueError):
    """The file's text cannot be read: damaged, not what its name says, or no text at all."""


@dataclass(frozen=True)
class Chunk:
    text: str
    page: int | None = None
    section: str | None = None

    def embedded_text(self) -> str:
        """What is embedded: the section's heading helps a question find its chunks."""
        return f"{self.section}\n{self.text}" if self.section else self.text


def suffix_of(name: str) -> str:
    return PurePosixPath(name).suffix.lower()


def chunks(name: str, data: bytes, size: int, overlap: int, max_bytes: int) -> list[Chunk]:
    """Every chunk of the file, in order. Raises Unreadable, saying why in plain words.
    `max_bytes`: the upload limit, which also bounds what a Word file may unpack to."""
    config = DocumentReadConfig(max_bytes=min(max_bytes, MAX_READ_BYTES), max_pages=MAX_PAGES)
    try:
        parts = list(reader_of(name)(data, config))
    except ToolError as exc:
        raise Unreadable(str(exc)) from None
    except READ_ERRORS as exc:
        raise Unreadable(str(unreadable(name, exc))) from None
    found = [
        Chunk(text, page, section)
        for page, section, body in _sections(parts, paged=suffix_of(name) == ".pdf")
        for text in _split(body, size, overlap)
    ]
    if not found:
        raise Unreadable(
            f"{name!r} holds no text to search (a scanned PDF needs text recognition first)."
        )
    return found


def _sections(parts: list[str], *, paged: bool) -> Iterator[tuple[int | None, str | None, str]]:
    """(page, section, text) of the reader's parts: a PDF's pages, or the text under each
    heading of the others."""
    if paged:
        for part in parts:
            marker = _PAGE.match(part)
            yield (int(marker[1]), None, part[marker.end() :]) if marker else (None, None, part)
        return
    section: str | None = None
    lines: list[str] = []
    for line in "\n\n".join(parts).splitlines():
        heading = _HEADING.match(line)
        if heading is None:
            lines.append(line)
            continue
        yield None, section, "\n".join(lines)
        section, lines = heading[1], []
    yield None, section, "\n".join(lines)


def _split(text: str, size: int, overlap: int) -> list[str]:
    """`text` in chunks of at most `size` characters (plus the overlap carried over)."""
    packed: list[str] = []
    current = ""
    for piece, joiner in _pieces(text.strip(), size, "\n\n"):
        if not piece.strip():
            continue
        if current and len(current) + len(joiner) + len(piece) > size:
            packed.append(current)
            current = _tail(current, overlap)
        current = f"{current}{joiner}{piece}" if current else piece
    if current:
        packed.append(current)
    return packed


def _pieces(text: str, size: int, joiner: str, level: int = 0) -> list[tuple[str, str]]:
    """`text` cut at the largest boundary whose pieces fit in `size`, words cut last; each
    piece with what joins it to the one before."""
    if len(text) <= size:
        return [(text, joiner)]
    if level == len(_BOUNDARIES):
        words = [
            word[start : start + size]  # a "word" longer than a chunk (a URL, a hash) is cut
            for word in _WORD.split(text)
            for start in range(0, len(word), size)
        ]
        return [(word, " ") for word in words]
    boundary, inner = _BOUNDARIES[level]
    return [
        small
        for piece in boundary.split(text)
        for small in _pieces(piece.strip(), size, inner, level + 1)
    ]


def _tail(text: str, overlap: int) -> str:
    """The last `overlap` characters of `text`, from a word's start."""
    if overlap <= 0:
        return ""
    tail = text[-overlap:]
    if len(text) > overlap and " " in tail:
        tail = tail.split(" ", 1)[1]
    return tail
