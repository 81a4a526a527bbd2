"""Fitting a document whose last few lines and signature spill onto a page of their own."""

from __future__ import annotations

import html
import io
import re
import zipfile
from typing import Any

from service.core import vn
from service.core.pdf_io import pdfium_document

# A page whose text above Nơi nhận is this many lines or fewer holds a spill, not a page of text.
SPILL_LINES = 3
RECIPIENTS_HEAD = "noi nhan"  # `Nơi nhận:` as search_key reads it
HEAD_LETTERS = RECIPIENTS_HEAD.replace(" ", "")  # the head in a page's text, spaces aside
# The DOCX parts whose text a page prints, and in them each text run and paragraph end.
PRINTED_PARTS = re.compile(r"word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml")
PARAGRAPH_TEXT = re.compile(rb"<w:t(?:\s[^>]*)?>([^<]*)</w:t>|(</w:p>)")
STYLES = "word/styles.xml"
# Line spacing 1.15 (276 of 240ths) in the styles; single (240) is the decree's lower bound for
# the body (1 to 1.5 lines), and paragraph spacing stays at its least already (6 pt).
ONE_FIFTEEN = re.compile(rb'w:line="276"')
SINGLE = b'w:line="240"'
# A section's numbered title as PDFium reads it: `II. MỤC TIÊU`, `2. Nhiệm vụ`, `1.2. …`; not a
# wrapped sentence's year (`2023. Các cơ quan …`).
HEADING = re.compile(r"^(?:[IVXLC]+|\d{1,2}(?:\.\d{1,2})*)\.\s")


def signature_page(pdf: bytes) -> tuple[int, int] | None:
    """The 0-based page holding Nơi nhận, and the text lines above it there; None without."""
    with pdfium_document(pdf) as document:
        return _signature_page(document)


def spill_page(pdf: bytes, docx: bytes | None = None) -> int | None:
    """The page the signature spilled onto with at most SPILL_LINES of text; None if it did not.

    Every conversion asks: a one-page PDF answers without reading any text. Given the DOCX the
    PDF was made from, and it spells the head once (the signature's), the one page that can
    hold a line beginning with it is sought from the last page: the signature stands at the
    end, so the pages before it are mostly left unread.
    """
    last_first = docx is not None and head_spellings(docx) <= 1  # not under PDFium's lock
    with pdfium_document(pdf) as document:
        if len(document) < 2:
            return None
        found = _signature_page(document, last_first=last_first)
    if found is None or found[0] == 0 or found[1] > SPILL_LINES:
        return None
    return found[0]


def spilled(pdf: bytes, docx: bytes | None = None) -> bool:
    """Whether the signature stands on a later page with no more than SPILL_LINES of text."""
    return spill_page(pdf, docx) is not None


def heading_ends_a_page(pdf: bytes) -> bool:
    """Whether a page before the last ends with a numbered title (`II.`, `2.`, `1.2.`): a title
    whose keep-with-next LibreOffice let go."""
    with pdfium_document(pdf) as document:
        for index in range(len(document) - 1):
            lines = page_lines(document, index)
            text = [line for _, line in sorted(lines.items()) if not line.isdigit()]
            if text and HEADING.match(text[0]):
                return True
    return False


def page_lines(document: Any, index: int) -> dict[int, str]:
    """The text lines of one page of an open PDFium document, by their top (points up)."""
    return text_lines(document[index].get_textpage())


def text_lines(text: Any) -> dict[int, str]:
    """The lines of a page's PDFium text, by their top (points up)."""
    lines: dict[int, str] = {}
    for i in range(text.count_rects()):
        left, bottom, right, top = text.get_rect(i)
        found = text.get_text_bounded(left, bottom, right, top).strip()
        if found:
            lines[round(top)] = lines.get(round(top), "") + found
    return lines


def head_spellings(docx: bytes) -> int:
    """How often a paragraph of the DOCX spells the head's letters, spaces and accents aside.

    A line the head begins lies in one paragraph: spelt once, it is on one page at most.
    """
    count = 0
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        for name in archive.namelist():
            if PRINTED_PARTS.fullmatch(name):
                count += _spellings(archive.read(name))
    return count


def _spellings(xml: bytes) -> int:
    """head_spellings in one part: its texts joined paragraph by paragraph."""
    # NUL ends a paragraph: no text holds it, and the letters' folding keeps it.
    pieces = [b"\0" if end else text for text, end in PARAGRAPH_TEXT.findall(xml)]
    letters = _letters(html.unescape(b"".join(pieces).decode("utf-8")))
    return sum(paragraph.count(HEAD_LETTERS) for paragraph in letters.split("\0"))


def _letters(text: str) -> str:
    """The text as the head is sought in it: search_key's letters, spaces aside."""
    return vn.search_key(text).replace(" ", "")


def _signature_page(document: Any, *, last_first: bool = False) -> tuple[int, int] | None:
    """signature_page's search in an open PDFium document, first page first unless asked."""
    pages = range(len(document))
    for index in reversed(pages) if last_first else pages:
        text = document[index].get_textpage()
        if HEAD_LETTERS not in _letters(text.get_text_range()):
            # No line of the page can begin with the head: its rectangles, read one by one
            # (most of a check's time), are left unread.
            continue
        lines = text_lines(text)
        heads = [top for top, line in lines.items()
                 if vn.search_key(line).startswith(RECIPIENTS_HEAD)]
        if heads:
            above = [line for top, line in lines.items()
                     if top > heads[0] + 2 and not line.isdigit()]  # the page number aside
            return index, len(above)
    return None


def tightened(docx: bytes) -> bytes:
    """The DOCX with its styles' line spacing of 1.15 made single; all else as it was."""
    source = zipfile.ZipFile(io.BytesIO(docx))
    out = io.BytesIO()
    with source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target:
        for part in source.infolist():
            data = source.read(part)
            if part.filename == STYLES:
                data = ONE_FIFTEEN.sub(SINGLE, data)
            target.writestr(part, data)
    return out.getvalue()
