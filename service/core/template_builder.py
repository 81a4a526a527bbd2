"""Build the .docx templates in doc_templates/ that a clerk can open and edit in Word or Writer.

Which templates there are, and how each is drawn, is read from forms/_layouts.yaml.
"""

from __future__ import annotations

from pathlib import Path

from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from docx.shared import Mm, Pt
from docx.table import _Cell
from docx.text.paragraph import Paragraph

from service.core import page, rules, wordml
from service.core.definitions import Catalog, DefinitionError, LayoutDef, load_catalog
from service.core.template_styles import blank, drop_unused_styles

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "doc_templates"
# The header table reaches 5 mm into each margin so the motto fits on one line at 13 pt.
LEFT_COL_MM, RIGHT_COL_MM = 72.0, 103.0
MOTTO = "Độc lập - Tự do - Hạnh phúc"
MOTTO_SIZE = 14
# Broken by hand into three even lines: the column would leave `phép` alone on the third.
LEAVE_CONFIRMATION = "Xác nhận của cơ quan, tổ chức\nhoặc chính quyền địa phương\nnơi nghỉ phép"
DOCUMENT_BUILDERS = ("named", "letter", "decision", "telegram")  # the rest is `form`
FORM_SIGNATURES = ("usual", "leave", "minutes")
# Each template file of forms/_layouts.yaml with a layout that draws it.
TEMPLATE_FILES = load_catalog().templates()


def build(layout: LayoutDef) -> DocxDocument:
    """Build the template of a layout: a document (Mẫu 1.1 to 1.6) or an Appendix III form."""
    where = f"_layouts.yaml: {layout.name}"
    if layout.builder not in (*DOCUMENT_BUILDERS, "form"):
        raise DefinitionError(f"{where}: unknown builder {layout.builder!r}")
    if layout.signature not in FORM_SIGNATURES:
        raise DefinitionError(f"{where}: unknown signature {layout.signature!r}")
    doc = blank(decision=layout.builder == "decision")
    if layout.builder == "form":
        _form(doc, layout)
    else:
        _document(doc, layout.builder)
    # A copy's block follows everything copied, whatever the layout (Appendix I part III).
    _copy_blocks(doc)
    drop_unused_styles(doc)
    return doc


def write_all(directory: Path = TEMPLATES_DIR, catalog: Catalog | None = None) -> list[Path]:
    """Write the template file of every layout and return their paths."""
    written = []
    for name, layout in (catalog or load_catalog()).templates().items():
        path = directory / name
        build(layout).save(str(path))
        written.append(path)
    return written


def _document(doc: DocxDocument, variant: str) -> None:
    """The Mẫu 1.2, 1.4, 1.5 and 1.6 layouts: header, title or V/v, text, signature, appendices."""
    _national_header(doc, letter=variant == "letter")
    if variant == "letter":
        _kinh_gui(doc)
    else:
        _p(doc, "VBTitle", "{{ type_name }}")
        _p(doc, "VBSubject", "{{ subject }}")
        # Sized from the subject's width when rendering: 1/3 to 1/2 of it.
        _p(doc, "VBRule", "{{p subject_rule }}")
    if variant == "decision":
        _p(doc, "VBAuthority", "{{ authority }}")
        _p(doc, "VBBasis", "{{p legal_bases }}")
        # QUYẾT ĐỊNH: in a decision, QUYẾT NGHỊ: in a resolution (Mẫu 1.1).
        _p(doc, "VBAuthority", "{{ enacting }}")
    else:
        if variant == "named":
            _kinh_gui(doc)
        if variant == "telegram":
            # `CHỦ TỊCH ỦY BAN NHÂN DÂN XÃ … điện:` and the addressees one per line (Mẫu 1.6).
            _listed(doc, "VBAuthority", "{{ authority }} điện:", "addressee_lines", indent_mm=16)
        _p(doc, "VBBasis", "{{p legal_bases }}")
    _p(doc, "VBBody", "{{p intro }}")
    _p(doc, "VBBody", "{{p body }}")
    _p(doc, "VBBody", "{{p closing }}")
    _signature(doc)
    _p(doc, "VBBody", "{{p appendices }}")


def _p(container: DocxDocument | _Cell, style: str, text: str = "") -> Paragraph:
    """Add a paragraph whose template tag sits in a single run."""
    paragraph = container.add_paragraph(style=style)
    if text:
        paragraph.add_run(text)
    return paragraph


def _repeat(container: DocxDocument | _Cell, style: str, items: str) -> Paragraph:
    """Paragraphs repeated for each entry of a list variable; returns the repeated one."""
    _p(container, style, f"{{%p for line in {items} %}}")
    item = _p(container, style, "{{ line }}")
    _p(container, style, "{%p endfor %}")
    return item


def _when(container: DocxDocument | _Cell, style: str, condition: str, text: str) -> Paragraph:
    """A paragraph kept only when a variable is set; returns it."""
    _p(container, style, f"{{%p if {condition} %}}")
    kept = _p(container, style, text)
    _p(container, style, "{%p endif %}")
    return kept


def _xml_paragraph(container: DocxDocument | _Cell, xml: str) -> None:
    """Add a paragraph built by wordml (its properties already in schema order)."""
    placeholder = _p(container, "VBRule")._p
    placeholder.addnext(parse_xml(xml.replace("<w:p>", f"<w:p {nsdecls('w')}>", 1)))
    placeholder.getparent().remove(placeholder)


def _table(doc: DocxDocument, widths: tuple[float, float], rows: int = 1) -> list[list[_Cell]]:
    table = doc.add_table(rows=rows, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    cells = []
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Mm(width)
            cell.paragraphs[0]._p.getparent().remove(cell.paragraphs[0]._p)
        cells.append(list(row.cells))
    for col, width in zip(table.columns, widths, strict=True):
        col.width = Mm(width)
    return cells


def _national_header(doc: DocxDocument, *, letter: bool, date_line: bool = True) -> None:
    (left, right), (left2, right2) = _table(doc, (LEFT_COL_MM, RIGHT_COL_MM), rows=2)
    _when(left, "VBHdrParent", "parent_agency", "{{ parent_agency }}")
    _p(left, "VBHdrAgency", "{{ agency }}")
    # Sized from the agency's name when rendering: 1/3 to 1/2 of its width.
    _p(left, "VBRule", "{{p agency_rule }}")
    _p(right, "VBHdrMotto", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    _p(right, "VBHdrMotto2", MOTTO)
    motto = rules.text_width_mm(MOTTO, MOTTO_SIZE)
    _xml_paragraph(right, rules.rule(motto, RIGHT_COL_MM, cell_margin_mm=rules.CELL_MARGIN_MM))
    _p(left2, "VBHdrNumber", "{{ number_line }}")
    if letter:
        _p(left2, "VBHdrSubjectLine", "{{ vv_line }}")
    urgency = _when(left2, "VBUrgency", "urgency", "{{ urgency }}")
    urgency.paragraph_format.left_indent = Mm(20)
    urgency.paragraph_format.right_indent = Mm(20)
    box = wordml.border("top", "left", "bottom", "right", size=8)
    wordml.place(
        urgency._p.get_or_add_pPr(), parse_xml(box.replace("<w:pBdr>", f"<w:pBdr {nsdecls('w')}>"))
    )
    # A cell holds at least one paragraph: without the date line it stays empty.
    _p(right2, "VBHdrDate", "{{ date_line }}" if date_line else "")


def _kinh_gui(doc: DocxDocument) -> None:
    _when(doc, "VBKinhGui", "kinh_gui_single", "Kính gửi: {{ kinh_gui_single }}")
    # Several addressees: `Kính gửi:` and the dashes under its text, placed when rendering.
    _p(doc, "VBKinhGui", "{{p kinh_gui_list }}")


def _listed(doc: DocxDocument, style: str, lead: str, items: str, *, indent_mm: float) -> None:
    """`lead` on a line of its own, then each entry of `items` one per line; none when empty."""
    _when(doc, style, items, lead)
    # The list stands inside the `if` above: its closing tag is written after the items.
    endif = doc.paragraphs[-1]._p
    item = _repeat(doc, "VBKinhGuiItem", items)
    # A wrapped entry lines up after its dash.
    item.paragraph_format.left_indent = Mm(indent_mm)
    item.paragraph_format.first_line_indent = Mm(-3)
    doc.paragraphs[-1]._p.addnext(endif)


def _signature(doc: DocxDocument) -> None:
    left, right = _signature_row(doc)
    _recipients(left)
    _signer(right, "signer_lines", "signer_name")


def _recipients(container: DocxDocument | _Cell) -> Paragraph:
    head = _p(container, "VBRecipientsHead", "Nơi nhận:")
    _repeat(container, "VBRecipient", "recipients")
    return head


def _signer(cell: _Cell, lines: str, name: str) -> None:
    _repeat(cell, "VBSigner", lines)
    _p(cell, "VBSignerName", f"{{{{ {name} }}}}")


def _form(doc: DocxDocument, layout: LayoutDef) -> None:
    """An Appendix III form: its own lines around the body, its own signature."""
    _national_header(doc, letter=False, date_line=layout.date_line)
    _p(doc, "VBTitle", "{{ type_name }}")
    if layout.subject:
        _p(doc, "VBSubject", "{{ subject }}")
        _p(doc, "VBRule", "{{p subject_rule }}")
    for slot in ("form_head", "intro", "body", "closing", "form_tail"):
        _p(doc, "VBBody", f"{{{{p {slot} }}}}")
    if layout.signature == "usual":
        _signature(doc)
    elif layout.signature == "minutes":
        _minutes_signatures(doc)
    else:
        left, right = _signature_row(doc)
        # Confirmed where the leave is spent, on the left.
        _p(left, "VBSigner", LEAVE_CONFIRMATION)
        note = _p(left, "VBSigner").add_run("(Ký tên, đóng dấu)")
        note.bold, note.italic = False, True
        _signer(right, "signer_lines", "signer_name")
    if layout.signature != "usual":
        # Nơi nhận goes under the row, its left cell being taken.
        _recipients(doc).paragraph_format.space_before = Pt(12)
    _p(doc, "VBBody", "{{p appendices }}")


def _minutes_signatures(doc: DocxDocument) -> None:
    """The secretary left, the chair right (Mẫu 1.9): titles in one row, names in the next, so
    the names share a line however many lines either title takes."""
    (left, right), (left_name, right_name) = _signature_rows(doc, 2)
    for cell, lines in ((left, "secretary_lines"), (right, "signer_lines")):
        # The titles' row goes to the page its names go to.
        _repeat(cell, "VBSigner", lines).paragraph_format.keep_with_next = True
    _p(left_name, "VBSignerName", "{{ secretary_name }}")
    _p(right_name, "VBSignerName", "{{ signer_name }}")


def _signature_row(doc: DocxDocument) -> tuple[_Cell, _Cell]:
    ((left, right),) = _signature_rows(doc, 1)
    return left, right


def _signature_rows(doc: DocxDocument, rows: int) -> list[list[_Cell]]:
    spacer = _p(doc, "VBBody")
    spacer.paragraph_format.first_line_indent = None
    spacer.paragraph_format.keep_with_next = True
    cells = _table(doc, (80.0, 85.0), rows=rows)
    for left, right in cells:
        # Nơi nhận stands level with the first signature line: cells align to the top, and a
        # row must not split across pages.
        for cell in (left, right):
            cell.vertical_alignment = None
        # The table spans the text width, so with no margin before its text Nơi nhận stands
        # flush with the body's left edge.
        wordml.place(
            left._tc.get_or_add_tcPr(),
            parse_xml(f'<w:tcMar {nsdecls("w")}><w:left w:w="0" w:type="dxa"/></w:tcMar>'),
        )
        row = left._tc.getparent()
        row.get_or_add_trPr().append(parse_xml(f"<w:cantSplit {nsdecls('w')}/>"))
    return cells


def _copy_blocks(doc: DocxDocument) -> None:
    """Under everything copied, each copy's block (Decree 30, Appendix I part III): a rule
    across the text, then the copying agency, number and Nơi nhận beside the kind, date, signer.
    """
    width = page.text_width_mm(False)
    _p(doc, "VBRule", "{%p for copy in copies %}")
    _xml_paragraph(doc, rules.rule(width, width, before_pt=12))
    doc.paragraphs[-1].paragraph_format.keep_with_next = True
    (left, right), (left2, right2) = _table(doc, (80.0, width - 80.0), rows=2)
    # At the text's left edge, landscape too: indented by the cells' margin, so that Nơi nhận
    # (its cell has none) stands where the body's lines start.
    table = doc.tables[-1]
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    indent = f'<w:tblInd {nsdecls("w")} w:w="{wordml.mm(rules.CELL_MARGIN_MM)}" w:type="dxa"/>'
    table._tbl.tblPr.get_or_add_jc().addnext(parse_xml(indent))
    _when(left, "VBHdrParent", "copy.parent_agency", "{{ copy.parent_agency }}")
    _p(left, "VBHdrAgency", "{{ copy.agency }}")
    _p(left, "VBHdrNumber", "{{ copy.number_line }}")
    _p(right, "VBSigner", "{{ copy.mark }}")
    _p(right, "VBHdrDate", "{{ copy.date_line }}")
    _p(left2, "VBRecipientsHead", "Nơi nhận:")
    _repeat(left2, "VBRecipient", "copy.recipients")
    _repeat(right2, "VBSigner", "copy.signer_lines")
    _p(right2, "VBSignerName", "{{ copy.signer_name }}")
    # Nơi nhận and the signer start level, a line below the number and date; Nơi nhận flush
    # with the text's left edge.
    for cell, left_margin in ((left2, '<w:left w:w="0" w:type="dxa"/>'), (right2, "")):
        wordml.place(
            cell._tc.get_or_add_tcPr(),
            parse_xml(
                f'<w:tcMar {nsdecls("w")}><w:top w:w="240" w:type="dxa"/>{left_margin}</w:tcMar>'
            ),
        )
    for row in (left._tc.getparent(), left2._tc.getparent()):
        row.get_or_add_trPr().append(parse_xml(f"<w:cantSplit {nsdecls('w')}/>"))
    # The rows stay on one page: Word and Writer keep a row whose paragraphs keep with the next.
    for paragraph in (*left.paragraphs, *right.paragraphs):
        paragraph.paragraph_format.keep_with_next = True
    _p(doc, "VBRule")  # a body does not end on a table
    _p(doc, "VBRule", "{%p endfor %}")
