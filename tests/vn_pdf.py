"""Small PDFs with Vietnamese text at known places (PDFium embeds Liberation Serif), no LibreOffice.

The header's "Số: …/…" and date line and a signature block are enough for the steps that
find the issue blanks and the signature space, so the signing order runs in unit tests.
"""

from __future__ import annotations

import ctypes
import functools
import io
from collections.abc import Sequence

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from fontTools import subset
from fontTools.ttLib import TTFont
from PIL import ImageFont

from service.core.pdf_io import PDFIUM_LOCK
from service.core.vn import BLANK
from tests.fakes import FakeConverter

Line = tuple[float, float, str, bool]  # x, baseline y, text, italic
SIGNER_NAME = "Vương Văn Sơn"  # seed 000's signer, "Chủ tịch"
FILES = {False: "LiberationSerif-Regular.ttf", True: "LiberationSerif-Italic.ttf"}


def header(symbol: str = "KH-UBND", place: str = "Y Tịch", year: int = 2023) -> list[Line]:
    """The number and date line with the day and month blank, as a PDF for signing has them."""
    return [
        (90, 760, f"Số: {BLANK}/{symbol}", False),
        (300, 760, f"{place}, ngày {BLANK} tháng {BLANK} năm {year}", True),
    ]


def signature_block(lines: Sequence[str], name: str) -> list[Line]:
    """The signer's title lines, then their name 80 pt lower, in the right column."""
    top = 300 + 16 * len(lines)
    block = [(340, top - 16 * i, line, False) for i, line in enumerate(lines)]
    return [*block, (340, top - 16 * (len(lines) - 1) - 80, name, False)]


@functools.cache
def vietnamese_pdf(lines: tuple[Line, ...], size: float = 13.0) -> bytes:
    """An A4 page with each line of text where it says, in Liberation Serif."""
    with PDFIUM_LOCK:
        raw = pdfium_c.FPDF_CreateNewDocument()
        page = pdfium_c.FPDFPage_New(raw, 0, 595.28, 841.89)
        keep = []  # PDFium reads the font data and strings after the calls return
        fonts = {}
        for italic in sorted({line[3] for line in lines}):
            data = _font(italic, "".join(sorted({c for line in lines for c in line[2]})))
            buffer = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
            keep.append(buffer)
            fonts[italic] = pdfium_c.FPDFText_LoadFont(
                raw, buffer, len(data), pdfium_c.FPDF_FONT_TRUETYPE, 1
            )
        for x, y, text, italic in lines:
            obj = pdfium_c.FPDFPageObj_CreateTextObj(raw, fonts[italic], size)
            wide = ctypes.create_string_buffer((text + "\x00").encode("utf-16-le"))
            keep.append(wide)
            pdfium_c.FPDFText_SetText(obj, ctypes.cast(wide, pdfium_c.FPDF_WIDESTRING))
            pdfium_c.FPDFPageObj_Transform(obj, 1, 0, 0, 1, x, y)
            pdfium_c.FPDFPage_InsertObject(page, obj)
        pdfium_c.FPDFPage_GenerateContent(page)
        pdfium_c.FPDF_ClosePage(page)
        document = pdfium.PdfDocument(raw)
        out = io.BytesIO()
        document.save(out)
        document.close()
    return out.getvalue()


@functools.cache
def _font(italic: bool, chars: str) -> bytes:
    """Liberation Serif cut down to the characters drawn: a page of 20 kB, not 450."""
    font = TTFont(ImageFont.truetype(FILES[italic], 10).path)
    options = subset.Options()
    options.drop_tables += ["FFTM"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=chars)
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


class SigningPageConverter(FakeConverter):
    """A fake converter whose page has the header's blanks and seed 000's signature block."""

    def convert(self, docx: bytes, *, pdf_version: int | None = None) -> bytes:
        super().convert(docx, pdf_version=pdf_version)
        return vietnamese_pdf(tuple(header() + signature_block(["CHỦ TỊCH"], SIGNER_NAME)))
