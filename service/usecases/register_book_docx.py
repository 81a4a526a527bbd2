"""The book of outgoing documents laid out as a DOCX for printing: A3 landscape, per agency the
cover of Decree 30, Appendix IV part I, then its ten columns with the head on every page."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt

from service.core import page, rules, table_widths, vn
from service.core.wordml import TWIPS_PER_MM, restart_page_numbers
from service.usecases.ports import RegisterRecord
from service.usecases.register_book import (
    COLUMNS,
    TITLE,
    Volume,
    agency_books,
    book_row,
    cover_lines,
    empty_book,
)

FONT = "Times New Roman"
TEXT_SIZE = table_widths.TEXT_SIZE  # the widths are measured at the size the cells are set in
PAGE_MM = (420.0, 297.0)  # A3 landscape
MARGINS_MM = {"top": 20.0, "bottom": 20.0, "left": 25.0, "right": 15.0}  # bound on the left
TABLE_MM = PAGE_MM[0] - MARGINS_MM["left"] - MARGINS_MM["right"]
CENTRED = {0, 1, 6, 7}  # number, date, copies, date passed on: short, read down the column
COVER_GAPS_PT = {TITLE: 220, "Năm": 80}  # the title about the middle of the page, the year under it
COVER_SPACE_PT = 8
AGENCY_LINE = 1  # of cover_lines: the rule of every header goes under it


def register_docx(
    entries: list[RegisterRecord], year: int, type_name: Callable[[str], str],
    volume: Volume,
) -> bytes:
    """The entries (in number order) as a cover and a book per issuing agency."""
    document = _blank()
    books = agency_books(entries, volume)
    for position, kept in enumerate(books):
        if position:
            # Each agency's book is numbered on its own from its cover, which shows no number.
            restart_page_numbers(document.add_section(WD_SECTION.NEW_PAGE)._sectPr)
        _cover(document, kept, year, volume)
        _book(document, [[vn.clean_text(str(value)) for value in book_row(entry, type_name)]
                         for entry in kept])
    if not books:
        _paragraph(document, empty_book(year), 14, bold=True)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _blank() -> Any:
    """A document of one A3 landscape section, set in Times New Roman 12 pt."""
    document = Document()
    # python-docx's template keeps Word 2010's copy of its styles, which no longer matches them:
    # Word would call the file unreadable. Without the copy, Word makes its own.
    for rel_id, rel in list(document.part.rels.items()):
        if rel.reltype.endswith("/stylesWithEffects"):
            del document.part.rels[rel_id]
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(PAGE_MM[0]), Mm(PAGE_MM[1])
    for side, value in MARGINS_MM.items():
        setattr(section, f"{side}_margin", Mm(value))
    _page_numbers(section)
    normal = document.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(TEXT_SIZE)
    # python-docx names only the Latin fonts: Vietnamese text must not fall to a theme font.
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for script in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(script), FONT)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing = 1.0
    language = parse_xml(f'<w:lang {nsdecls("w")} w:val="vi-VN"/>')
    normal.element.get_or_add_rPr().append(language)
    return document


def _page_numbers(section: Any) -> None:
    """Page numbers centred in the top margin, 13 pt, none on the cover (as on every document)."""
    section.header_distance = Mm(page.HEADER_DISTANCE_MM)
    section.different_first_page_header_footer = True
    number = section.header.paragraphs[0]
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    number._p.append(parse_xml(
        f'<w:fldSimple {nsdecls("w")} w:instr="PAGE"><w:r><w:rPr><w:sz w:val="26"/></w:rPr>'
        "<w:t>1</w:t></w:r></w:fldSimple>"))


def _paragraph(container: Any, text: str, size: float, *, bold: bool = False,
               align: Any = WD_ALIGN_PARAGRAPH.CENTER, before: float = 0) -> Any:
    """A paragraph of one run at this size."""
    paragraph = container.add_paragraph()
    paragraph.alignment = align
    paragraph.paragraph_format.space_before = Pt(before)
    if text:
        run = paragraph.add_run(text)
        run.font.size, run.font.bold = Pt(size), bold
    return paragraph


def _cover(document: Any, entries: list[RegisterRecord], year: int, volume: Volume) -> None:
    """The cover page: the agencies with a rule under the agency, the title, year, span, volume."""
    written: list[Any] = []
    for index, (text, size, bold) in enumerate(cover_lines(entries, year, volume)):
        if not text:
            continue  # no parent agency; the cover's blank lines are the gaps below
        gap = next((pt for start, pt in COVER_GAPS_PT.items() if text.startswith(start)),
                   COVER_SPACE_PT if written else 0)
        written.append(_paragraph(document, vn.clean_text(text), size, bold=bold, before=gap))
        if index == AGENCY_LINE:
            _rule_under(written[-1], text, size)
    written[-1].runs[-1].add_break(WD_BREAK.PAGE)  # the book starts on the next page


def _rule_under(paragraph: Any, text: str, size: float) -> None:
    """The short solid line under the agency's name, as in the header of every document."""
    rule = parse_xml(rules.name_rule(text, size, TABLE_MM).replace(
        "<w:p>", f'<w:p {nsdecls("w")}>', 1))
    # Its style is the templates' own; Writer draws no border for a style the file lacks.
    rule.pPr.remove(rule.pPr.find(qn("w:pStyle")))
    paragraph._p.addnext(rule)


def _book(document: Any, rows: list[list[str]]) -> None:
    """The ten columns: names and their numbers as the head of every page, a row per entry."""
    names = [name for name, _ in COLUMNS]
    numbers = [f"({n})" for n in range(1, len(COLUMNS) + 1)]
    widths = table_widths.column_widths(
        [weight for _, weight in COLUMNS],
        [[(name, True), *((row[i], False) for row in rows)] for i, name in enumerate(names)],
        TABLE_MM,
    )
    table = document.add_table(rows=0, cols=len(COLUMNS))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False  # a fixed layout: the columns stay as wide as set
    _cell_margins(table)
    for width, column in zip(widths, table.columns, strict=True):
        column.width = Mm(width)
    for head, bold in ((names, True), (numbers, False)):
        _row(table, head, widths, bold=bold, head=True)
    for row in rows:
        _row(table, row, widths)


def _cell_margins(table: Any) -> None:
    """Cells keep 2 mm each side clear of text, as the widths allow for."""
    margin = round(table_widths.CELL_MARGINS_MM / 2 * TWIPS_PER_MM)
    margins = parse_xml(
        f'<w:tblCellMar {nsdecls("w")}><w:left w:w="{margin}" w:type="dxa"/>'
        f'<w:right w:w="{margin}" w:type="dxa"/></w:tblCellMar>')
    properties = table._tbl.tblPr
    look = properties.find(qn("w:tblLook"))  # the schema puts the margins before it
    if look is None:
        properties.append(margins)
    else:
        look.addprevious(margins)


def _row(table: Any, texts: list[str], widths: list[float], *, bold: bool = False,
         head: bool = False) -> None:
    """One row that never splits across pages; a head row repeats on every page."""
    row = table.add_row()
    properties = row._tr.get_or_add_trPr()
    properties.append(parse_xml(f'<w:cantSplit {nsdecls("w")}/>'))
    if head:
        properties.append(parse_xml(f'<w:tblHeader {nsdecls("w")}/>'))
    for index, (cell, text, width) in enumerate(zip(row.cells, texts, widths, strict=True)):
        cell.width = Mm(width)
        paragraph = cell.paragraphs[0]
        paragraph.alignment = (WD_ALIGN_PARAGRAPH.CENTER if head or index in CENTRED
                               else WD_ALIGN_PARAGRAPH.LEFT)
        paragraph.paragraph_format.space_before = Pt(2)
        paragraph.paragraph_format.space_after = Pt(2)
        if text:
            paragraph.add_run(text).font.bold = bold
