"""`document_read`: the documents people hand an agent, as text it can read.

The file is read through the same guard as `file_read` (`files.read_bytes`: confined to the
run folder, no links followed, regular files only), whole but bounded by `max_bytes`; then
the reader of its format turns it into text, page by page or sheet by sheet, and stops as
soon as `max_chars` are written, so a 900-page PDF costs the pages that fit, not all of them.
A file that is damaged or not what its name says becomes a ToolError the model can act on.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from crewai.tools import BaseTool
from pydantic import BaseModel, Field

from kasal.engine.tools.base import ToolError
from kasal.engine.tools.catalog import CATALOG, DocumentReadConfig
from kasal.engine.tools.files import read_bytes
from kasal.engine.tools.readers import READ_ERRORS, reader_of, unreadable


def _collect(chunks: Iterator[str], max_chars: int) -> str:
    """The chunks joined by line breaks, cut at `max_chars`; no chunk is made past the cut."""
    parts: list[str] = []
    size = 0
    for chunk in chunks:
        parts.append(chunk)
        size += len(chunk) + 1
        if size > max_chars:
            return "\n".join(parts)[:max_chars] + f"\n[truncated after {max_chars} characters]"
    return "\n".join(parts)


class DocumentReadArgs(BaseModel):
    path: str = Field(
        description="File path relative to the working directory, e.g. attachments/report.pdf."
    )


class DocumentReadTool(BaseTool):
    name: str = "document_read"
    description: str = CATALOG["document_read"].description
    args_schema: type[BaseModel] = DocumentReadArgs
    work_dir: Path
    config: DocumentReadConfig = Field(default_factory=DocumentReadConfig)

    def _run(self, path: str) -> str:
        reader = reader_of(path)
        limit = self.config.max_bytes
        data = read_bytes(self.work_dir, path, limit + 1)
        if len(data) > limit:
            raise ToolError(f"{path!r} is larger than {limit} bytes (max_bytes); not read.")
        try:
            text = _collect(reader(data, self.config), self.config.max_chars)
        except READ_ERRORS as exc:
            raise unreadable(path, exc) from None
        return text if text.strip() else f"{path!r} holds no text."
