"""Small builders of WordprocessingML fragments; every text goes through `escape`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from xml.sax.saxutils import escape as _xml_escape

from service.core.markup import Footnote, Piece, Span

TWIPS_PER_MM = 56.6929


def mm(value: float) -> int:
    """Millimetres to twentieths of a point."""
    return round(value * TWIPS_PER_MM)


def escape(text: str) -> str:
    """Escape text for a w:t element."""
    return _xml_escape(text)


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
                parts.append(f'<w:t xml:space="preserve">{escape(chunk)}</w:t>')
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


def paragraph(content: str, style: str, *, align: str | None = None, extra_ppr: str = "") -> str:
    """A paragraph of the given style holding already-built runs."""
    jc = f'<w:jc w:val="{align}"/>' if align else ""
    # CT_PPr order: pStyle, keepNext … before jc (Word rejects other orders).
    return f'<w:p><w:pPr><w:pStyle w:val="{style}"/>{extra_ppr}{jc}</w:pPr>{content}</w:p>'


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
        '<w:tblCellMar><w:left w:w="85" w:type="dxa"/>'
        '<w:right w:w="85" w:type="dxa"/></w:tblCellMar>'
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
