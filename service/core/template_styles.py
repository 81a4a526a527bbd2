"""The blank template every layout starts from: A4 page, page numbers, VB styles, footnotes."""

from __future__ import annotations

from dataclasses import dataclass

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt

from service.core import page

FONT = "Times New Roman"
CENTER, BOTH, LEFT = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.JUSTIFY, WD_ALIGN_PARAGRAPH.LEFT
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


def blank(*, decision: bool) -> DocxDocument:
    """A document with the page, the styles (a decision's bases italic) and no paragraph."""
    doc = Document()
    _drop_styles_with_effects(doc)
    _page_setup(doc)
    _styles(doc, decision=decision)
    _footnotes_part(doc)
    body = doc.paragraphs[0]._p if doc.paragraphs else None
    if body is not None:
        body.getparent().remove(body)
    return doc


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


def drop_unused_styles(doc: DocxDocument) -> None:
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
