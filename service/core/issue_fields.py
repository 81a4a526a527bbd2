"""The Số and the date of issue as form fields: their blanks in the header, the fields, the fill.

Decree 30 numbers a document after its signer has signed it. The PDF the signer signs
therefore has the number and the day and month of issue as read-only text fields over the
header's blanks; the service fills them in an incremental update when the văn thư issues it,
which the signer's signature (locked with form filling allowed) survives.
"""

from __future__ import annotations

import ctypes
import functools
import io
from dataclasses import dataclass
from typing import Any

import pikepdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from fontTools import subset
from fontTools.ttLib import TTFont
from PIL import ImageFont
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfError as HankoPdfError

from service.core.pdf_io import InvalidPdf, Rect, open_incremental, pdfium_document
from service.core.vn import day_str, month_str, number_str

__all__ = [
    "DAY",
    "MONTH",
    "NUMBER",
    "IssueBlank",
    "IssueBlanksNotFound",
    "add_issue_fields",
    "fill_issue_fields",
    "issue_field_values",
    "locate_issue_blanks",
]

NUMBER, DAY, MONTH = "So", "Ngay", "Thang"  # field names: printable ASCII, no period
FONT_FILES = {False: "LiberationSerif-Regular.ttf", True: "LiberationSerif-Italic.ttf"}
FONT_RESOURCE = {False: "/VbSerif", True: "/VbSerifItalic"}
CHARS = "0123456789"  # all the fields ever show: the subset keeps the embedded font small
FIRST_CHAR = ord("0")
ITALIC_FLAG = 64  # PDF font descriptor flag, as PDFium reports it
DESCENT, ASCENT = 0.25, 0.95  # of the size: the field box clears descenders and accents
GAP = 0.5  # points between a field and the printed text beside it
READ_ONLY = 1  # /Ff bit 1: a viewer never lets the signer type a number


class IssueBlanksNotFound(ValueError):
    """The first page has no "Số: …/…" or no date line with blank day and month."""


@dataclass(frozen=True)
class IssueBlank:
    """One blank of the header: its field's name, box, baseline, size, slant and alignment."""

    name: str
    rect: Rect
    baseline: float
    size: float
    italic: bool
    right_aligned: bool  # the number ends at the "/"; the day and month sit centred

    def text_position(self, text_width: float) -> tuple[float, float]:
        """Where the text starts inside the field's box for a text this wide."""
        x0, y0, x1, _ = self.rect
        room = x1 - x0
        x = room - text_width if self.right_aligned else (room - text_width) / 2
        return max(0.0, x), self.baseline - y0


def locate_issue_blanks(pdf: bytes) -> tuple[IssueBlank, ...]:
    """The number's blank before "/" and the blank day and month of the first page's date line."""
    with pdfium_document(pdf) as document:
        text = document[0].get_textpage()
        return _blanks(text, text.get_text_range())


def _blanks(text: pdfium.PdfTextPage, chars: str) -> tuple[IssueBlank, ...]:
    number_at = chars.find("Số:")
    slash = chars.find("/", number_at)
    day_at = chars.find("ngày", slash)
    month_at = chars.find("tháng", day_at)
    year_at = chars.find("năm", month_at)
    if min(number_at, slash, day_at, month_at, year_at) < 0:
        raise IssueBlanksNotFound("the first page has no 'Số: …/…' line and date line")
    spans = (
        (NUMBER, number_at + 2, slash, True),
        (DAY, day_at + 3, month_at, False),
        (MONTH, month_at + 4, year_at, False),
    )
    blanks = []
    for name, before, after, right in spans:
        if chars[before + 1 : after].strip():
            raise IssueBlanksNotFound(f"the {name} of the header is already printed")
        blanks.append(_blank(text, name, before, after, right))
    return tuple(blanks)


def _blank(
    text: pdfium.PdfTextPage, name: str, before: int, after: int, right: bool
) -> IssueBlank:
    """The room between the character `before` and the character `after`, on its baseline."""
    size = pdfium_c.FPDFText_GetFontSize(text, after)
    x, baseline = ctypes.c_double(), ctypes.c_double()
    pdfium_c.FPDFText_GetCharOrigin(text, after, x, baseline)
    flags = ctypes.c_int()
    pdfium_c.FPDFText_GetFontInfo(text, after, None, 0, flags)
    left = text.get_charbox(before)[2] + GAP
    right_edge = text.get_charbox(after)[0] - GAP
    rect = (left, baseline.value - DESCENT * size, right_edge, baseline.value + ASCENT * size)
    return IssueBlank(name, rect, baseline.value, size, bool(flags.value & ITALIC_FLAG), right)


def add_issue_fields(document: pikepdf.Pdf, blanks: tuple[IssueBlank, ...]) -> list[str]:
    """Add a read-only, empty text field over each blank of the first page; return their names."""
    acroform = document.Root.get("/AcroForm")
    if acroform is None:
        acroform = document.Root.AcroForm = document.make_indirect(
            pikepdf.Dictionary(Fields=pikepdf.Array())
        )
    fonts = pikepdf.Dictionary()
    for italic in sorted({blank.italic for blank in blanks}):
        fonts[FONT_RESOURCE[italic]] = document.make_indirect(_font(document, italic))
    acroform.DR = pikepdf.Dictionary(Font=fonts)
    page = document.pages[0].obj
    if "/Annots" not in page:
        page.Annots = document.make_indirect(pikepdf.Array())
    for blank in blanks:
        x0, y0, x1, y1 = blank.rect
        empty = document.make_stream(
            b"", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form, BBox=[0, 0, x1 - x0, y1 - y0]
        )
        # No /P back to the page: pyHanko reads a later fill of a widget with one as an
        # unexplained change to the page, and the signer's signature would look broken.
        widget = document.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Annot,
                Subtype=pikepdf.Name.Widget,
                FT=pikepdf.Name.Tx,
                T=pikepdf.String(blank.name),
                Ff=READ_ONLY,
                F=4,  # printed
                Rect=[x0, y0, x1, y1],
                DA=pikepdf.String(_da(blank)),
                AP=pikepdf.Dictionary(N=empty),
            )
        )
        acroform.Fields.append(widget)
        page.Annots.append(widget)
    return [blank.name for blank in blanks]


def _da(blank: IssueBlank) -> str:
    return f"{FONT_RESOURCE[blank.italic]} {blank.size:g} Tf 0 g"


def _font(document: pikepdf.Pdf, italic: bool) -> pikepdf.Dictionary:
    """Liberation Serif (Times New Roman's widths), its digits embedded as a TrueType subset."""
    data, widths, descriptor = _font_parts(italic)
    return pikepdf.Dictionary(
        Type=pikepdf.Name.Font,
        Subtype=pikepdf.Name.TrueType,
        BaseFont=pikepdf.Name("/" + descriptor["FontName"]),
        FirstChar=FIRST_CHAR,
        LastChar=FIRST_CHAR + len(widths) - 1,
        Widths=list(widths),
        Encoding=pikepdf.Name.WinAnsiEncoding,
        FontDescriptor=pikepdf.Dictionary(
            Type=pikepdf.Name.FontDescriptor,
            FontName=pikepdf.Name("/" + descriptor["FontName"]),
            Flags=descriptor["Flags"],
            FontBBox=descriptor["FontBBox"],
            ItalicAngle=descriptor["ItalicAngle"],
            Ascent=descriptor["Ascent"],
            Descent=descriptor["Descent"],
            CapHeight=descriptor["CapHeight"],
            StemV=80,
            FontFile2=document.make_stream(data),
        ),
    )


@functools.cache
def _font_parts(italic: bool) -> tuple[bytes, tuple[int, ...], dict[str, Any]]:
    """The subset font file, the digits' widths (1/1000 em) and the descriptor's values."""
    path = ImageFont.truetype(FONT_FILES[italic], 10).path
    font = TTFont(path)
    options = subset.Options()
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.drop_tables += ["FFTM"]  # FontForge's timestamps: nothing a viewer reads
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=CHARS)
    subsetter.subset(font)
    scale = 1000 / font["head"].unitsPerEm
    cmap = font.getBestCmap()
    widths = tuple(round(font["hmtx"][cmap[ord(c)]][0] * scale) for c in CHARS)
    head, os2 = font["head"], font["OS/2"]
    name = f"VBSUBS+{font['name'].getDebugName(6)}"
    descriptor = {
        "FontName": name,
        "Flags": 32 | 2 | (ITALIC_FLAG if italic else 0),  # nonsymbolic, serif
        "FontBBox": [round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax)],
        "ItalicAngle": float(font["post"].italicAngle),
        "Ascent": round(os2.sTypoAscender * scale),
        "Descent": round(os2.sTypoDescender * scale),
        "CapHeight": round(getattr(os2, "sCapHeight", os2.sTypoAscender) * scale),
    }
    out = io.BytesIO()
    font.save(out)
    return out.getvalue(), widths, descriptor


def issue_field_values(number: int, day: int, month: int) -> dict[str, str]:
    """The fields' texts as Decree 30 writes them: "05", "05", "02" (and "3" … "12")."""
    return {NUMBER: number_str(number), DAY: day_str(day), MONTH: month_str(month)}


def fill_issue_fields(pdf: bytes, values: dict[str, str]) -> bytes:
    """Set each named field's value and appearance in one incremental update; earlier bytes stay.

    The fields' boxes, sizes and slants are read back from the PDF prepared for the signer.
    """
    writer = open_incremental(pdf)
    try:
        acroform = writer.root["/AcroForm"]
        fields = {str(f.get_object()["/T"]): f for f in acroform["/Fields"]}
        fonts = acroform["/DR"]["/Font"]
        for name, value in values.items():
            ref = fields[name]
            field = ref.get_object()
            blank = _blank_of(name, field)
            font_name = FONT_RESOURCE[blank.italic]
            appearance = _appearance(blank, value, font_name, fonts.raw_get(font_name))
            field["/V"] = generic.TextStringObject(value)
            field["/AP"] = generic.DictionaryObject(
                {generic.pdf_name("/N"): writer.add_object(appearance)}
            )
            writer.mark_update(ref)
        out = io.BytesIO()
        writer.write(out)
    except (KeyError, ValueError, HankoPdfError) as exc:
        raise InvalidPdf(f"the PDF has not the issue's fields: {exc}") from exc
    return out.getvalue()


def _blank_of(name: str, field: generic.DictionaryObject) -> IssueBlank:
    """The blank a prepared field covers, from its box and its default appearance string."""
    x0, y0, x1, y1 = (float(v) for v in field["/Rect"])
    font, size, *_ = str(field["/DA"]).split()
    italic = {resource: slant for slant, resource in FONT_RESOURCE.items()}[font]
    return IssueBlank(
        name, (x0, y0, x1, y1), y0 + DESCENT * float(size), float(size), italic, name == NUMBER
    )


def _appearance(
    blank: IssueBlank, value: str, font_name: str, font: generic.IndirectObject
) -> generic.StreamObject:
    """A form XObject that shows the value in the field's font, size and place."""
    _, widths, _ = _font_parts(blank.italic)
    width = sum(widths[ord(c) - FIRST_CHAR] for c in value) * blank.size / 1000
    x, y = blank.text_position(width)
    x0, y0, x1, y1 = blank.rect
    content = (
        f"/Tx BMC q BT {font_name} {blank.size:g} Tf 0 g {x:.2f} {y:.2f} Td ({value}) Tj ET Q EMC"
    ).encode("ascii")
    stream = generic.StreamObject(
        {
            generic.pdf_name("/Type"): generic.pdf_name("/XObject"),
            generic.pdf_name("/Subtype"): generic.pdf_name("/Form"),
            generic.pdf_name("/BBox"): generic.ArrayObject(
                [generic.FloatObject(v) for v in (0, 0, x1 - x0, y1 - y0)]
            ),
            generic.pdf_name("/Resources"): generic.DictionaryObject(
                {generic.pdf_name("/Font"): generic.DictionaryObject(
                    {generic.pdf_name(font_name): font}
                )}
            ),
        },
        stream_data=content,
    )
    return stream
