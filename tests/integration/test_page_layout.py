"""Real LibreOffice, documents of every type and growing length: the signature never stands
alone on a page, no page ends with a section's title, and no table cell splits a word or a
reference across its lines."""

from __future__ import annotations

import io
import json
from concurrent.futures import ThreadPoolExecutor

import pypdfium2 as pdfium
import pytest
from docx import Document as open_docx

from service.convert.pool import ConverterPool
from service.core import fitting
from service.core.documents import DocumentService
from tests.conftest import SAMPLES

pytestmark = pytest.mark.integration
SENTENCE = ("Các cơ quan, đơn vị rà soát, cập nhật số liệu và báo cáo kết quả thực hiện về "
            "Ủy ban nhân dân xã đúng thời hạn quy định. ")
GROWTH = range(0, 40, 5)  # sentences added to the opening paragraph: a line or so each


def documents() -> list[tuple[str, str, dict]]:
    """Every sample, and each one with an opening paragraph of growing length (60 or more)."""
    made = []
    for path in sorted(SAMPLES.glob("*.json")):
        payload = json.loads(path.read_text("utf-8"))
        grown = [0] if not payload.get("intro") else [n + len(made) % 5 for n in GROWTH]
        for added in grown:
            longer = dict(payload, intro=lengthened(payload["intro"], added)) if added else payload
            made.append((f"{path.stem}+{added}", payload["doc_type"], longer))
    return made


def lengthened(intro: str | list[str], sentences: int) -> str | list[str]:
    """The opening text with `sentences` more: at the end of its (last) paragraph."""
    if isinstance(intro, list):
        return [*intro[:-1], f"{intro[-1]} {SENTENCE * sentences}"]
    return f"{intro} {SENTENCE * sentences}"


@pytest.fixture(scope="module")
def converted(converter_pool: ConverterPool) -> dict[str, tuple[bytes, bytes]]:
    """Every document's DOCX and PDF, by name, converted once for the module."""
    service = DocumentService(converter_pool)
    cases = documents()
    assert len(cases) >= 60

    def convert(case: tuple[str, str, dict]) -> tuple[str, tuple[bytes, bytes]]:
        name, doc_type, payload = case
        rendered = service.render(doc_type, payload)
        return name, (rendered.docx, service.to_pdf(rendered))

    with ThreadPoolExecutor(2) as pool:
        return dict(pool.map(convert, cases))


def test_no_page_holds_the_signature_block_alone(converted) -> None:
    found = {name: fitting.signature_page(pdf) for name, (_, pdf) in converted.items()}
    missing = [name for name, place in found.items() if place is None]
    alone = [name for name, place in found.items() if place is not None and place[1] == 0]
    assert missing == [] and alone == [], (missing, alone)


def test_no_page_ends_with_a_section_title(converted) -> None:
    ended = {}
    for name, (docx, pdf) in converted.items():
        titles = [" ".join(p.text.split()) for p in open_docx(io.BytesIO(docx)).paragraphs
                  if p.style.name.startswith("VBHeading")]
        for number, last in enumerate(last_lines(pdf)[:-1], 1):
            # A title's first line (label and all) or its whole; a short line is no evidence.
            if len(last) >= 8 and any(t.startswith(last) or t.endswith(last) for t in titles):
                ended[name] = (number, last)
    assert ended == {}


def last_lines(pdf: bytes) -> list[str]:
    """Each page's lowest line of text (runs PDFium sets on one baseline, left to right)."""
    document = pdfium.PdfDocument(pdf)
    found = []
    for page in document:
        text = page.get_textpage()
        rects = [text.get_rect(i) for i in range(text.count_rects())]
        runs = [(round(r[1]), r[0], text.get_text_bounded(*r).strip()) for r in rects]
        runs = [run for run in runs if run[2] and not run[2].isdigit()]  # the page number aside
        lowest = min((run[0] for run in runs), default=None)
        found.append(" ".join(t for b, _, t in sorted(runs, key=lambda r: r[1]) if b == lowest))
    document.close()
    return found


def test_no_table_cell_splits_a_word_or_a_reference(converted) -> None:
    split = {}
    for name, (docx, pdf) in converted.items():
        words = {word for table in open_docx(io.BytesIO(docx)).tables for cell in table._cells
                 for word in cell.text.split() if len(word) > 1 and readable(word)}
        lines = pdf_lines(pdf)
        broken = sorted(w for w in words if not any(w in line for line in lines))
        if broken:
            split[name] = broken
    assert split == {}


def readable(word: str) -> bool:
    """Whether PDFium gives the word back as typed: Vietnamese letters, figures, punctuation
    (an emoji comes back as its fallback font's glyphs)."""
    return all(ord(char) < 0x2000 for char in word)


def pdf_lines(pdf: bytes) -> list[str]:
    """Every text line of every page, as PDFium finds its runs."""
    document = pdfium.PdfDocument(pdf)
    lines = []
    for page in document:
        text = page.get_textpage()
        lines += [text.get_text_bounded(*text.get_rect(i)) for i in range(text.count_rects())]
    document.close()
    return lines
