"""Document readers: the bytes of a PDF, Word, Excel, CSV, JSON, HTML, Markdown or text file
as text, part by part. `document_read` gives them to an agent; knowledge ingestion chunks
them. No crewai here: the API process reads uploaded documents with them too.

A PDF yields one part per page (with a `--- page N ---` marker line), a workbook its sheet
markers and rows, a Word file its paragraphs and tables in order (headings as Markdown).

Each format's library is imported by its reader, when a file of that format is read: together
they take seconds to import, which the API process would otherwise pay at every start.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Iterator
from pathlib import PurePosixPath

from kasal.engine.tools.base import ToolError
from kasal.engine.tools.catalog import DocumentReadConfig

Reader = Callable[[bytes, DocumentReadConfig], Iterator[str]]
UNPACKED_RATIO = 10


def _text(data: bytes, _: DocumentReadConfig) -> Iterator[str]:
    yield data.decode("utf-8-sig", errors="replace")


def _json(data: bytes, _: DocumentReadConfig) -> Iterator[str]:
    try:
        parsed = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ToolError("The file is not UTF-8 text, so it is not JSON.") from None
    except json.JSONDecodeError as exc:
        raise ToolError(f"The file is not valid JSON: {exc.msg} (line {exc.lineno}).") from None
    yield json.dumps(parsed, indent=2, ensure_ascii=False)


def _html(data: bytes, _: DocumentReadConfig) -> Iterator[str]:
    """The page's main content as Markdown; a page trafilatura finds no article in (a bare
    fragment, a table alone) still gives its plain text."""
    import trafilatura

    html = data.decode("utf-8-sig", errors="replace")
    main = trafilatura.extract(html, output_format="markdown", include_tables=True)
    yield main or trafilatura.html2txt(html)


def _pdf(data: bytes, config: DocumentReadConfig) -> Iterator[str]:
    """pypdf's own errors (a damaged file) come out as ValueError, one of READ_ERRORS."""
    import pypdf

    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ToolError("The PDF is protected by a password.")
        pages = reader.pages
        for number, page in enumerate(pages[: config.max_pages], start=1):
            yield f"--- page {number} ---\n{page.extract_text().strip()}"
        if len(pages) > config.max_pages:
            yield f"[{len(pages) - config.max_pages} more pages not read: the limit is max_pages]"
    except pypdf.errors.PyPdfError as exc:
        raise ValueError(str(exc)) from exc


def _check_unpacked(data: bytes, config: DocumentReadConfig) -> None:
    """DOCX and XLSX are zip archives: a small one can unpack to gigabytes (python-docx
    parses its XML whole), so the sizes its entries declare (zipfile holds them to it)
    may add up to UNPACKED_RATIO times `max_bytes`, no more."""
    declared = sum(entry.file_size for entry in zipfile.ZipFile(io.BytesIO(data)).infolist())
    if declared > UNPACKED_RATIO * config.max_bytes:
        raise ToolError(
            f"The file unpacks to {declared} bytes, more than {UNPACKED_RATIO} times max_bytes."
        )


def _docx(data: bytes, config: DocumentReadConfig) -> Iterator[str]:
    """Paragraphs and tables in document order; headings keep their level as Markdown."""
    import docx
    from docx.table import Table

    _check_unpacked(data, config)
    for block in docx.Document(io.BytesIO(data)).iter_inner_content():
        if isinstance(block, Table):
            yield "\n".join(" | ".join(cell.text for cell in row.cells) for row in block.rows)
            continue
        style = block.style.name if block.style is not None else ""
        level = style.removeprefix("Heading ")
        prefix = "#" * int(level) + " " if style.startswith("Heading ") and level.isdigit() else ""
        if block.text.strip():
            yield prefix + block.text


def _xlsx(data: bytes, config: DocumentReadConfig) -> Iterator[str]:
    """Each sheet's non-empty rows, cells separated by tabs; formulas as their last value."""
    import openpyxl

    _check_unpacked(data, config)
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheets = workbook.worksheets
        for sheet in sheets[: config.max_pages]:
            yield f"--- sheet {sheet.title} ---"
            for row in sheet.iter_rows(values_only=True):
                if any(value is not None for value in row):
                    yield "\t".join("" if value is None else str(value) for value in row)
        if len(sheets) > config.max_pages:
            yield f"[{len(sheets) - config.max_pages} more sheets not read: the limit is max_pages]"
    finally:
        workbook.close()


READERS: dict[str, Reader] = {
    ".pdf": _pdf,
    ".docx": _docx,
    ".xlsx": _xlsx,
    ".xlsm": _xlsx,
    ".csv": _text,
    ".tsv": _text,
    ".json": _json,
    ".html": _html,
    ".htm": _html,
    ".md": _text,
    ".markdown": _text,
    ".txt": _text,
}
_LEGACY = {".doc": ".docx", ".xls": ".xlsx", ".ppt": ".pdf"}


def reader_of(path: str) -> Reader:
    """The reader of the file's format, by its name; a ToolError for any other file."""
    suffix = PurePosixPath(path).suffix.lower()
    if suffix in READERS:
        return READERS[suffix]
    if suffix in _LEGACY:
        raise ToolError(
            f"{path!r} is an old binary Office file; save it as {_LEGACY[suffix]} to read it."
        )
    known = ", ".join(sorted(READERS))
    raise ToolError(f"document_read reads {known} files; {path!r} is none of these.")


# What a reader raises on a file that is damaged or not what its name says.
READ_ERRORS = (zipfile.BadZipFile, KeyError, ValueError)


def unreadable(path: str, exc: Exception) -> ToolError:
    kind = PurePosixPath(path).suffix.lstrip(".").upper()
    return ToolError(f"{path!r} is not a readable {kind} file ({exc}).")
