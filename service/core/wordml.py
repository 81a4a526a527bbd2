"""Small builders of WordprocessingML fragments; every text goes through `escape`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any
from xml.sax.saxutils import escape as _xml_escape

from docx.oxml.ns import qn

from service.core.markup import REFERENCE, Footnote, Piece, Span

TWIPS_PER_MM = 56.6929
# The children of a property element in the order the schema fixes (ECMA-376 Part 1,
# CT_PPr §17.3.1.26, CT_TcPr §17.4.70, CT_SectPr §17.6.17): Word reports any other order as
# unreadable content.
SCHEMA_ORDER: dict[str, tuple[str, ...]] = {
    "pPr": (
        "pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl",
        "numPr", "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens",
        "kinsoku", "wordWrap", "overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN",
        "bidi", "adjustRightInd", "snapToGrid", "spacing", "ind", "contextualSpacing",
        "mirrorIndents", "suppressOverlap", "jc", "textDirection", "textAlignment",
        "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr", "sectPr", "pPrChange",
    ),
    "tcPr": (
        "cnfStyle", "tcW", "gridSpan", "hMerge", "vMerge", "tcBorders", "shd", "noWrap",
        "tcMar", "textDirection", "tcFitText", "vAlign", "hideMark", "headers", "cellIns",
        "cellDel", "cellMerge", "tcPrChange",
    ),
    "sectPr": (
        "headerReference", "footerReference", "footnotePr", "endnotePr", "type", "pgSz",
        "pgMar", "paperSrc", "pgBorders", "lnNumType", "pgNumType", "cols", "formProt",
        "vAlign", "noEndnote", "titlePg", "textDirection", "bidi", "rtlGutter", "docGrid",
        "printerSettings", "sectPrChange",
    ),
}  # fmt: skip
TAG = re.compile(r"<w:(\w+)")


class UnknownProperty(ValueError):
    """A property element that the schema order of its parent does not list."""


def mm(value: float) -> int:
    """Millimetres to twentieths of a point."""
    return round(value * TWIPS_PER_MM)


def escape(text: str) -> str:
    """Escape text for a w:t element."""
    return _xml_escape(text)


def rank(parent: str, name: str) -> int:
    """Where a child named `name` stands among the children of `parent` (`pPr`, `tcPr`)."""
    try:
        return SCHEMA_ORDER[parent].index(name)
    except ValueError:
        raise UnknownProperty(f"w:{name} is not a child of w:{parent}") from None


def properties(parent: str, *children: str) -> str:
    """`<w:pPr>` (or another property element) holding the given children in schema order."""
    ordered = sorted((c for c in children if c), key=lambda c: rank(parent, _tag(c)))
    return f"<w:{parent}>{''.join(ordered)}</w:{parent}>"


def place(parent: Any, child: Any) -> None:
    """Insert an lxml child into a property element at its schema position."""
    kind = parent.tag.rsplit("}", 1)[-1]
    here = rank(kind, child.tag.rsplit("}", 1)[-1])
    for sibling in parent:
        if rank(kind, sibling.tag.rsplit("}", 1)[-1]) > here:
            sibling.addprevious(child)
            return
    parent.append(child)


def restart_page_numbers(section: Any) -> None:
    """Make a section's (an lxml w:sectPr's) page numbers start again at 1."""
    numbering = section.find(qn("w:pgNumType"))
    if numbering is None:
        numbering = section.makeelement(qn("w:pgNumType"), {})
        place(section, numbering)
    numbering.set(qn("w:start"), "1")


def out_of_order(parent: Any) -> list[str]:
    """Names of children standing before a sibling the schema puts ahead of them."""
    kind = parent.tag.rsplit("}", 1)[-1]
    names = [c.tag.rsplit("}", 1)[-1] for c in parent if isinstance(c.tag, str)]
    ranks = [rank(kind, n) for n in names]
    return [n for i, n in enumerate(names) if any(r < ranks[i] for r in ranks[i + 1 :])]


def border(*sides: str, size: int = 6) -> str:
    """`w:pBdr` with a single black line on each given side (`top`, `left`, …)."""
    line = '<w:{0} w:val="single" w:sz="{1}" w:space="1" w:color="000000"/>'
    return f"<w:pBdr>{''.join(line.format(s, size) for s in sides)}</w:pBdr>"


def _tag(xml: str) -> str:
    found = TAG.match(xml)
    if found is None:
        raise UnknownProperty(f"not a w: element: {xml[:40]!r}")
    return found.group(1)


def _text(chunk: str) -> str:
    """w:t elements for text; a hyphen inside a reference (`06/QĐ-TTg`) is a w:noBreakHyphen."""
    # LibreOffice exports w:noBreakHyphen as a plain `-` in the PDF's text, so the reference
    # still reads and searches as typed while no line can end inside it.
    cuts = [
        found.start() + i
        for found in REFERENCE.finditer(chunk)
        for i, char in enumerate(found[0])
        if char == "-"
    ]
    out, last = [], 0
    for cut in [*cuts, len(chunk)]:
        if cut > last:
            out.append(f'<w:t xml:space="preserve">{escape(chunk[last:cut])}</w:t>')
        if cut < len(chunk):
            out.append("<w:noBreakHyphen/>")
        last = cut + 1
    return "".join(out)


def run(text: str, *, bold: bool = False, italic: bool = False, superscript: bool = False) -> str:
    """One run; tabs and newlines become w:tab and w:br."""
    props = ("<w:b/><w:bCs/>" if bold else "") + ("<w:i/><w:iCs/>" if italic else "")
    if superscript:
        props += '<w:vertAlign w:val="superscript"/>'
    rpr = f"<w:rPr>{props}</w:rPr>" if props else ""
    parts = []
    for i, line in enumerate(text.split("\n")):
        if i:
            parts.append("<w:br/>")
        for j, chunk in enumerate(line.split("\t")):
            if j:
                parts.append("<w:tab/>")
            if chunk:
                parts.append(_text(chunk))
    return f"<w:r>{rpr}{''.join(parts)}</w:r>"


class Footnotes:
    """Collects footnotes of one document and numbers them from 1 (-1 and 0 are the separators)."""

    FIRST_ID = 1

    def __init__(self) -> None:
        self.notes: list[str] = []

    def reference(self, note: Footnote) -> str:
        """Record a footnote and return the run that marks it in the text."""
        note_id = self.FIRST_ID + len(self.notes)
        body = "".join(run(s.text, bold=s.bold, italic=s.italic) for s in note.spans)
        self.notes.append(
            f'<w:footnote w:id="{note_id}"><w:p><w:pPr><w:pStyle w:val="VBFootnote"/></w:pPr>'
            '<w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr><w:footnoteRef/></w:r>'
            f'<w:r><w:t xml:space="preserve"> </w:t></w:r>{body}</w:p></w:footnote>'
        )
        return (
            '<w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr>'
            f'<w:footnoteReference w:id="{note_id}"/></w:r>'
        )


def runs(
    pieces: Iterable[Piece], notes: Footnotes, *, bold: bool = False, italic: bool = False
) -> str:
    """Runs for parsed markup; `bold`/`italic` add to each span's own style."""
    out = []
    for piece in pieces:
        if isinstance(piece, Span):
            out.append(run(piece.text, bold=bold or piece.bold, italic=italic or piece.italic))
        else:
            out.append(notes.reference(piece))
    return "".join(out)


def paragraph(
    content: str, style: str, *, align: str | None = None, props: Sequence[str] = ()
) -> str:
    """A paragraph of the given style holding already-built runs; `props` go in schema order."""
    jc = f'<w:jc w:val="{align}"/>' if align else ""
    ppr = properties("pPr", f'<w:pStyle w:val="{style}"/>', *props, jc)
    return f"<w:p>{ppr}{content}</w:p>"


def marker(name: str, bookmark_id: int) -> str:
    """An empty paragraph holding a named bookmark: a place the renderer finds afterwards."""
    return (
        f'<w:p><w:bookmarkStart w:id="{bookmark_id}" w:name="{name}"/>'
        f'<w:bookmarkEnd w:id="{bookmark_id}"/></w:p>'
    )


def keep_next(keep: bool = True) -> str:
    """w:keepNext, on or off (off overrides a style that keeps with the next paragraph)."""
    return "<w:keepNext/>" if keep else '<w:keepNext w:val="0"/>'


def table(
    widths_mm: Sequence[float],
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    align: Sequence[str] | None = None,
) -> str:
    """A bordered table whose header row repeats on every page; rows hold built cell XML."""
    border = '<w:{0} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
    borders = "".join(
        border.format(e) for e in ("top", "left", "bottom", "right", "insideH", "insideV")
    )
    grid = "".join(f'<w:gridCol w:w="{mm(w)}"/>' for w in widths_mm)
    head = "".join(
        _cell(paragraph(run(text, bold=True), "VBTableHead", align="center"), w)
        for text, w in zip(header, widths_mm, strict=True)
    )
    body = []
    for cells in rows:
        xml = "".join(_cell(c, w) for c, w in zip(cells, widths_mm, strict=True))
        body.append(f"<w:tr><w:trPr><w:cantSplit/></w:trPr>{xml}</w:tr>")
    return (
        '<w:tbl><w:tblPr><w:tblW w:w="0" w:type="auto"/><w:jc w:val="center"/>'
        f'<w:tblBorders>{borders}</w:tblBorders><w:tblLayout w:type="fixed"/>'
        # 2 mm each side (table_widths.CELL_MARGINS_MM): figures stand clear of the border.
        '<w:tblCellMar><w:left w:w="113" w:type="dxa"/>'
        '<w:right w:w="113" w:type="dxa"/></w:tblCellMar>'
        f"</w:tblPr><w:tblGrid>{grid}</w:tblGrid>"
        f"<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>{head}</w:tr>{''.join(body)}</w:tbl>"
    )


def _cell(content: str, width_mm: float) -> str:
    return (
        f'<w:tc><w:tcPr><w:tcW w:w="{mm(width_mm)}" w:type="dxa"/>'
        '<w:vAlign w:val="center"/></w:tcPr>'
        f"{content}</w:tc>"
    )


def cell_text(text: str, *, bold: bool = False, align: str = "left") -> str:
    """A plain table-cell paragraph."""
    return paragraph(run(text, bold=bold), "VBTableText", align=align)
