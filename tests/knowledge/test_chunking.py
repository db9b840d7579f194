"""Files → chunks: pages and sections kept, sizes bounded, overlap carried over."""

from __future__ import annotations

import itertools

import pytest

from kasal.knowledge.chunking import Unreadable, chunks
from tests.knowledge.documents import pdf, word

LIMIT = 10_000_000


def test_a_pdf_gives_a_chunk_per_short_page_naming_its_page() -> None:
    found = chunks("a.pdf", pdf(["First page text.", "Second page text."]), 500, 50, LIMIT)
    assert [(c.page, c.section, c.text) for c in found] == [
        (1, None, "First page text."),
        (2, None, "Second page text."),
    ]


def test_headings_name_the_section_of_the_chunks_under_them() -> None:
    markdown = b"Intro line.\n\n# Setup\n\nRun it.\n\n## Upgrade\n\nUpgrade it."
    found = chunks("a.md", markdown, 500, 50, LIMIT)
    assert [(c.section, c.text) for c in found] == [
        (None, "Intro line."),
        ("Setup", "Run it."),
        ("Upgrade", "Upgrade it."),
    ]
    assert found[1].embedded_text() == "Setup\nRun it."
    docx_found = chunks("a.docx", word({"Refunds": "Within 30 days."}), 500, 50, LIMIT)
    assert [(c.section, c.text) for c in docx_found] == [("Refunds", "Within 30 days.")]


def test_long_text_is_cut_at_sentences_within_the_size_with_overlap() -> None:
    sentences = [f"Sentence number {n} says something." for n in range(60)]
    found = chunks("a.txt", " ".join(sentences).encode(), 300, 60, LIMIT)
    assert len(found) > 5
    assert all(len(c.text) <= 300 + 60 for c in found)
    for before, after in itertools.pairwise(found):
        assert after.text.startswith(before.text[-60:].split(" ", 1)[1])  # the overlap
    joined = " ".join(c.text for c in found)
    assert all(sentence in joined for sentence in sentences)  # nothing lost


def test_a_csv_is_cut_between_rows_and_a_huge_word_anywhere() -> None:
    rows = "\n".join(f"{n},item {n},{n * 3}" for n in range(200)).encode()
    found = chunks("a.csv", rows, 400, 0, LIMIT)
    assert all(line.count(",") == 2 for c in found for line in c.text.splitlines())
    huge = chunks("a.txt", b"x" * 1000, 300, 0, LIMIT)
    assert [len(c.text) for c in huge] == [300, 300, 300, 100]


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("a.pdf", b"not a pdf", "not a readable PDF file"),
        ("a.docx", b"not a zip", "not a readable DOCX file"),
        ("a.txt", b"  \n ", "holds no text"),
        ("a.pdf", pdf([""]), "holds no text"),
    ],
)
def test_files_without_readable_text_say_why(name: str, data: bytes, reason: str) -> None:
    with pytest.raises(Unreadable, match=reason):
        chunks(name, data, 500, 50, LIMIT)
