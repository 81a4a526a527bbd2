"""Build the .docx templates in doc_templates/ that a clerk can open and edit in Word or Writer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt
from docx.table import _Cell
from docx.text.paragraph import Paragraph

from service.core import page, rules, wordml

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "doc_templates"
FONT = "Times New Roman"
CENTER, BOTH, LEFT = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.JUSTIFY, WD_ALIGN_PARAGRAPH.LEFT
# The header table reaches 5 mm into each margin so the motto fits on one line at 13 pt.
LEFT_COL_MM, RIGHT_COL_MM = 72.0, 103.0
MOTTO = "Độc lập - Tự do - Hạnh phúc"
MOTTO_SIZE = 14
# Broken by hand into three even lines: the column would leave `phép` alone on the third.
LEAVE_CONFIRMATION = "Xác nhận của cơ quan, tổ chức\nhoặc chính quyền địa phương\nnơi nghỉ phép"
# Word keeps this part in step with styles.xml; python-docx's default one is stale, and a
# mismatch is "unreadable content" to Word. Word rebuilds it when it needs it.
STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"
FOOTNOTES_XML = (
    f"<w:footnotes {nsdecls('w')}>"
    '<w:footnote w:type="separator" w:id="-1"><w:p><w:pPr><w:spacing w:after="0" w:line="240" '
    'w:lineRule="auto"/></w:pPr><w:r><w:separator/></w:r></w:p></w:footnote>'
    '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:pPr><w:spacing w:after="0" '
    'w:line="240" w:lineRule="auto"/></w:pPr><w:r><w:continuationSeparator/></w:r></w:p>'
    "</w:footnote></w:footnotes>"
)


@dataclass(frozen=True)
class Style:
    """A paragraph style of the templates."""

    name: str
    size: float = 14
    bold: bool = False
    italic: bool = False
    align: WD_ALIGN_PARAGRAPH = BOTH
    first_indent_mm: float = 0
    before: float = 0
    after: float = 0
    keep_next: bool = False
    line: float = 1.0


STYLES = (
    Style("VBBody", first_indent_mm=12.7, before=6, line=1.15),
    Style("VBBasis", first_indent_mm=12.7, before=6, line=1.15),
    Style("VBHeading1", bold=True, first_indent_mm=12.7, before=6, keep_next=True, line=1.15),
    Style("VBHeading2", bold=True, first_indent_mm=12.7, before=6, keep_next=True, line=1.15),
    Style(
        "VBHeading3",
        bold=True,
        italic=True,
        first_indent_mm=12.7,
        before=6,
        keep_next=True,
        line=1.15,
    ),
    Style("VBHeading4", italic=True, first_indent_mm=12.7, before=6, keep_next=True, line=1.15),
    Style("VBHdrParent", size=13, align=CENTER),
    Style("VBHdrAgency", size=13, bold=True, align=CENTER),
    Style("VBHdrMotto", size=13, bold=True, align=CENTER),
    Style("VBHdrMotto2", size=14, bold=True, align=CENTER),
    Style("VBHdrNumber", size=13, align=CENTER, before=6),
    Style("VBHdrSubjectLine", size=12, align=CENTER, before=3),
    Style("VBHdrDate", size=14, italic=True, align=CENTER, before=6),
    Style("VBUrgency", size=13, bold=True, align=CENTER, before=6),
    Style("VBRule", size=2, align=CENTER, before=1),
    Style("VBTitle", size=14, bold=True, align=CENTER, before=18, keep_next=True),
    Style("VBSubject", size=14, bold=True, align=CENTER, keep_next=True),
    Style("VBAuthority", size=14, bold=True, align=CENTER, before=12, after=6, keep_next=True),
    Style("VBKinhGui", size=14, align=CENTER, before=12),
    Style("VBKinhGuiItem", size=14, align=LEFT),
    Style("VBRecipientsHead", size=12, bold=True, italic=True, align=LEFT),
    Style("VBRecipient", size=11, align=LEFT),
    Style("VBSigner", size=14, bold=True, align=CENTER),
    Style("VBSignerName", size=14, bold=True, align=CENTER, before=80),
    Style("VBTableHead", size=12, bold=True, align=CENTER, before=3, after=3),
    Style("VBTableText", size=12, align=LEFT, before=3, after=3),
    Style("VBAppendixNo", size=14, bold=True, align=CENTER, keep_next=True),
    Style("VBAppendixTitle", size=14, bold=True, align=CENTER, keep_next=True),
    Style("VBAppendixRef", size=14, italic=True, align=CENTER, after=12, keep_next=True),
    Style("VBFootnote", size=10, align=BOTH),
    Style("VBPageNumber", size=14, align=CENTER),
)


@dataclass(frozen=True)
class FormLayout:
    """An Appendix III form of the Mẫu 1.4 family: what it keeps of it and how it is signed."""

    subject: bool = True  # the subject line under the title
    date_line: bool = True  # the place and date in the header's right column
    signature: str = "usual"  # usual, leave (a confirmation beside it), minutes (two signers)


FORM_LAYOUTS = {
    "invitation": FormLayout(),  # Mẫu 1.7, giấy mời
    "introduction": FormLayout(subject=False),  # Mẫu 1.8, giấy giới thiệu
    "minutes": FormLayout(date_line=False, signature="minutes"),  # Mẫu 1.9, biên bản
    "leave": FormLayout(subject=False, signature="leave"),  # Mẫu 1.10, giấy nghỉ phép
}


def build(variant: str) -> DocxDocument:
    """Build one template: `named` (Mẫu 1.4), `letter`, `decision`, `telegram` or a form."""
    doc = Document()
    _drop_styles_with_effects(doc)
    _page_setup(doc)
    _styles(doc, decision=variant == "decision")
    _footnotes_part(doc)
    body = doc.paragraphs[0]._p if doc.paragraphs else None
    if body is not None:
        body.getparent().remove(body)
    if variant in FORM_LAYOUTS:
        _form(doc, FORM_LAYOUTS[variant])
    else:
        _document(doc, variant)
    # A copy's block follows everything copied, whatever the layout (Appendix I part III).
    _copy_blocks(doc)
    _drop_unused_styles(doc)
    return doc


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


def write_all(directory: Path = TEMPLATES_DIR) -> list[Path]:
    """Write every template file and return their paths."""
    written = []
    for name, variant in TEMPLATE_FILES.items():
        path = directory / name
        build(variant).save(str(path))
        written.append(path)
    return written


TEMPLATE_FILES = {
    "van_ban_co_ten_loai.docx": "named",
    "cong_van.docx": "letter",
    "quyet_dinh.docx": "decision",
    "cong_dien.docx": "telegram",
    "giay_moi.docx": "invitation",
    "giay_gioi_thieu.docx": "introduction",
    "giay_nghi_phep.docx": "leave",
    "bien_ban.docx": "minutes",
}


def _page_setup(doc: DocxDocument) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(page.PAGE_WIDTH_MM), Mm(page.PAGE_HEIGHT_MM)
    section.top_margin, section.bottom_margin = Mm(page.MARGIN_TOP_MM), Mm(page.MARGIN_BOTTOM_MM)
    section.left_margin, section.right_margin = Mm(page.MARGIN_LEFT_MM), Mm(page.MARGIN_RIGHT_MM)
    section.header_distance = Mm(page.HEADER_DISTANCE_MM)
    section.footer_distance = Mm(page.HEADER_DISTANCE_MM)
    # Decree 30: no page number on page 1, Arabic numbers centred in the top margin after it.
    section.different_first_page_header_footer = True
    number = section.header.paragraphs[0]
    number.style = doc.styles["VBPageNumber"] if "VBPageNumber" in doc.styles else None
    number.alignment = CENTER
    number._p.append(
        parse_xml(
            f'<w:fldSimple {nsdecls("w")} w:instr=" PAGE "><w:r><w:rPr><w:sz w:val="28"/></w:rPr>'
            "<w:t>2</w:t></w:r></w:fldSimple>"
        )
    )


def _styles(doc: DocxDocument, *, decision: bool) -> None:
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(14)
    rpr = normal.element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    rpr.append(parse_xml(f'<w:lang {nsdecls("w")} w:val="vi-VN" w:eastAsia="vi-VN"/>'))
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.line_spacing = 1.0
    for spec in STYLES:
        style = doc.styles.add_style(spec.name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = normal
        style.quick_style = True
        font = style.font
        font.name, font.size = FONT, Pt(spec.size)
        font.bold = spec.bold
        # Legal bases of a decision are italic (Mẫu 1.2); in other documents they read as body.
        font.italic = spec.italic or (decision and spec.name == "VBBasis")
        fmt = style.paragraph_format
        fmt.alignment = spec.align
        fmt.first_line_indent = Mm(spec.first_indent_mm) if spec.first_indent_mm else None
        fmt.space_before, fmt.space_after = Pt(spec.before), Pt(spec.after)
        fmt.line_spacing = spec.line
        fmt.keep_with_next = spec.keep_next
        fmt.widow_control = True


def _drop_styles_with_effects(doc: DocxDocument) -> None:
    for rel_id, rel in list(doc.part.rels.items()):
        if rel.reltype == STYLES_WITH_EFFECTS:
            doc.part.drop_rel(rel_id)


def _drop_unused_styles(doc: DocxDocument) -> None:
    """Keep the defaults, our VB styles and what they or the template name; drop the rest.

    python-docx's blank document carries about a hundred table styles nobody uses (300 KB of
    its 360 KB styles.xml); LibreOffice parses every one on each load of every document.
    """
    element = doc.styles.element
    styles = {s.get(qn("w:styleId")): s for s in element.findall(qn("w:style"))}
    wanted = {
        style_id for style_id, style in styles.items()
        if style_id.startswith("VB") or style.get(qn("w:default")) in ("1", "true")
    }
    for tag in ("w:pStyle", "w:rStyle", "w:tblStyle", "w:numStyle"):
        wanted |= {ref.get(qn("w:val")) for ref in doc.element.iter(qn(tag))}
    pending = list(wanted)
    while pending:  # what the kept styles are based on, link to or are followed by
        style = styles.get(pending.pop())
        for tag in ("w:basedOn", "w:next", "w:link"):
            ref = style.find(qn(tag)) if style is not None else None
            if ref is not None and ref.get(qn("w:val")) not in wanted:
                wanted.add(ref.get(qn("w:val")))
                pending.append(ref.get(qn("w:val")))
    for style_id, style in styles.items():
        if style_id not in wanted:
            element.remove(style)


def _footnotes_part(doc: DocxDocument) -> None:
    part = Part(
        PackURI("/word/footnotes.xml"), CT.WML_FOOTNOTES, FOOTNOTES_XML.encode(), doc.part.package
    )
    doc.part.relate_to(part, RT.FOOTNOTES)


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
    _listed(doc, "VBKinhGui", "Kính gửi:", "kinh_gui_list", indent_mm=48)


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


def _form(doc: DocxDocument, layout: FormLayout) -> None:
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
    else:
        left, right = _signature_row(doc)
        if layout.signature == "minutes":  # the secretary left, the chair right
            _signer(left, "secretary_lines", "secretary_name")
        else:  # confirmed where the leave is spent, on the left
            _p(left, "VBSigner", LEAVE_CONFIRMATION)
            note = _p(left, "VBSigner").add_run("(Ký tên, đóng dấu)")
            note.bold, note.italic = False, True
        _signer(right, "signer_lines", "signer_name")
        # Nơi nhận goes under the row, its left cell being taken.
        _recipients(doc).paragraph_format.space_before = Pt(12)
    _p(doc, "VBBody", "{{p appendices }}")


def _signature_row(doc: DocxDocument) -> tuple[_Cell, _Cell]:
    spacer = _p(doc, "VBBody")
    spacer.paragraph_format.first_line_indent = None
    spacer.paragraph_format.keep_with_next = True
    ((left, right),) = _table(doc, (80.0, 85.0))
    # Nơi nhận stands level with the first signature line: cells align to the top, and the row
    # must not split across pages.
    for cell in (left, right):
        cell.vertical_alignment = None
    # The table spans the text width, so with no margin before its text Nơi nhận stands flush
    # with the body's left edge.
    wordml.place(
        left._tc.get_or_add_tcPr(),
        parse_xml(f'<w:tcMar {nsdecls("w")}><w:left w:w="0" w:type="dxa"/></w:tcMar>'),
    )
    row = left._tc.getparent()
    row.get_or_add_trPr().append(parse_xml(f"<w:cantSplit {nsdecls('w')}/>"))
    return left, right


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
