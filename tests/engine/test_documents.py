"""`document_read` on real PDF, DOCX, XLSX, CSV, JSON, HTML and text files made here."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

from kasal.engine.tools.base import ToolError
from kasal.engine.tools.catalog import DocumentReadConfig
from kasal.engine.tools.documents import DocumentReadTool


def write_pdf(path: Path, pages: list[str]) -> None:
    """A real PDF whose pages show `pages` in Helvetica (pypdf writes no text by itself)."""
    writer = PdfWriter()
    font = writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
            }
        )
    )
    for text in pages:
        page = writer.add_blank_page(612, 792)
        fonts = DictionaryObject({NameObject("/F1"): font})
        page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): fonts})
        content = DecodedStreamObject()
        content.set_data(f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode())
        page[NameObject("/Contents")] = writer._add_object(content)
    writer.write(path)


def write_docx(path: Path) -> None:
    document = docx.Document()
    document.add_heading("Quarterly report", level=1)
    document.add_paragraph("Sales grew in the north.")
    table = document.add_table(rows=2, cols=2)
    for row, cells in zip(table.rows, [("Region", "Sales"), ("North", "120")], strict=True):
        for cell, value in zip(row.cells, cells, strict=True):
            cell.text = value
    document.add_paragraph("End of report.")
    document.save(str(path))


def write_xlsx(path: Path) -> None:
    workbook = openpyxl.Workbook()
    sales = workbook.active
    assert sales is not None
    sales.title = "Sales"
    sales.append(["Region", "Amount"])
    sales.append(["North", 120])
    sales.append(["South", 80])
    costs = workbook.create_sheet("Costs")
    costs.append(["Rent", 50])
    workbook.save(path)


def read(work: Path, path: str, **config: int) -> str:
    tool = DocumentReadTool(work_dir=work, config=DocumentReadConfig(**config))
    result: str = tool.run(path=path)
    return result


def test_pdf_pages_are_marked(tmp_path: Path) -> None:
    write_pdf(tmp_path / "tides.pdf", ["Tides follow the moon.", "Page two text."])
    assert read(tmp_path, "tides.pdf") == (
        "--- page 1 ---\nTides follow the moon.\n--- page 2 ---\nPage two text."
    )
    assert read(tmp_path, "tides.pdf", max_pages=1) == (
        "--- page 1 ---\nTides follow the moon.\n[1 more pages not read: the limit is max_pages]"
    )


def test_docx_keeps_headings_paragraphs_and_tables_in_order(tmp_path: Path) -> None:
    write_docx(tmp_path / "report.docx")
    assert read(tmp_path, "report.docx") == (
        "# Quarterly report\nSales grew in the north.\nRegion | Sales\nNorth | 120\nEnd of report."
    )


def test_xlsx_sheets_are_marked(tmp_path: Path) -> None:
    write_xlsx(tmp_path / "book.xlsx")
    assert read(tmp_path, "book.xlsx") == (
        "--- sheet Sales ---\nRegion\tAmount\nNorth\t120\nSouth\t80\n--- sheet Costs ---\nRent\t50"
    )


def test_text_formats(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("a,b\n1,2\n")
    (tmp_path / "a.json").write_text(json.dumps({"k": [1, "é"]}))
    (tmp_path / "a.md").write_text("# Title\n\nBody")
    (tmp_path / "page.html").write_text(
        "<html><head><title>T</title></head><body><nav>Menu</nav><article><h1>Moon</h1>"
        "<p>The moon pulls the oceans, which is why the tides rise and fall twice a day "
        "along most of the coasts of the world.</p></article></body></html>"
    )
    assert read(tmp_path, "a.csv") == "a,b\n1,2\n"
    assert read(tmp_path, "a.json") == '{\n  "k": [\n    1,\n    "é"\n  ]\n}'
    assert read(tmp_path, "a.md") == "# Title\n\nBody"
    page = read(tmp_path, "page.html")
    assert "The moon pulls the oceans" in page
    assert "Menu" not in page


def test_long_text_is_cut(tmp_path: Path) -> None:
    (tmp_path / "long.txt").write_text("x" * 500)
    assert read(tmp_path, "long.txt", max_chars=100) == "x" * 100 + (
        "\n[truncated after 100 characters]"
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("broken.pdf", b"%PDF-1.4 nonsense", "not a readable PDF file"),
        ("broken.docx", b"not a zip", "not a readable DOCX file"),
        ("broken.xlsx", b"not a zip", "not a readable XLSX file"),
        ("broken.json", b"{", "not valid JSON"),
        ("old.doc", b"\xd0\xcf", "save it as .docx"),
        ("image.png", b"\x89PNG", "document_read reads"),
    ],
)
def test_unreadable_files_are_tool_errors(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(ToolError, match=message):
        read(tmp_path, name)


@pytest.mark.parametrize("name", ["bomb.docx", "bomb.xlsx"])
def test_an_archive_that_unpacks_too_large_is_refused(tmp_path: Path, name: str) -> None:
    with zipfile.ZipFile(tmp_path / name, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * 2_000_000)  # packs to ~2 kB
    with pytest.raises(ToolError, match="more than 10 times max_bytes"):
        read(tmp_path, name, max_bytes=100_000)


def test_size_limit_and_the_folder_guard(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "big.txt").write_text("x" * 50)
    (tmp_path / "secret.txt").write_text("secret")
    (work / "link.txt").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(ToolError, match="larger than 10 bytes"):
        read(work, "big.txt", max_bytes=10)
    for path in ("../secret.txt", "/etc/passwd.txt", "link.txt"):
        with pytest.raises(ToolError, match=r"not allowed|outside"):
            read(work, path)
