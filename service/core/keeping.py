"""What keeps the signature block off a page of its own: the text's last lines go with it."""

from __future__ import annotations

from typing import Any

from docx.oxml.ns import qn
from lxml import etree

from service.core import page, rules, wordml
from service.core.context import SECTION_MARK

# Two lines of body text: the least a page holds above the signature, as a clerk keeps it (the
# paragraph's own widow control keeps two of its lines). Counted as Writer sets them: a short
# closing sentence wraps to two lines already, and keeping the paragraph before it too would
# carry a whole page's foot over with the signature.
KEPT_LINES = 2
BODY_SIZE, BODY_INDENT = 14, 12.7  # VBBody's size and first-line indent
SIGNER_NAME = "VBSignerName"  # the style of the signer's name, inside the signature table


def keep_signature_with_text(body: Any) -> None:
    """Keep the paragraphs (or a table's last row) before the signature table with it."""
    signature = next((table for table in body.iterchildren(qn("w:tbl")) if _signs(table)), None)
    if signature is None:
        return
    kept, node = 0, signature.getprevious()
    while node is not None and kept < KEPT_LINES:
        if node.tag == qn("w:tbl"):  # the text ends on a table: its last row goes along
            for paragraph in node.findall(qn("w:tr"))[-1].iter(qn("w:p")):
                _keep(paragraph)
            return
        if node.tag != qn("w:p") or _starts_section(node):
            return
        _keep(node)
        text = "".join(run.text or "" for run in node.iter(qn("w:t")))
        kept += rules.line_count(text, BODY_SIZE, page.text_width_mm(False), indent_mm=BODY_INDENT)
        node = node.getprevious()


def _signs(table: Any) -> bool:
    """Whether the table holds the signer's name (the document's own signature block)."""
    return any(style.get(qn("w:val")) == SIGNER_NAME for style in table.iter(qn("w:pStyle")))


def _starts_section(paragraph: Any) -> bool:
    """Whether an attached text or appendix begins here: pages never keep across it."""
    return any((mark.get(qn("w:name")) or "").startswith(SECTION_MARK)
               for mark in paragraph.iter(qn("w:bookmarkStart")))


def _keep(paragraph: Any) -> None:
    """Set w:keepNext on the paragraph (over a style's or an explicit `off`)."""
    properties = paragraph.find(qn("w:pPr"))
    if properties is None:
        properties = etree.Element(qn("w:pPr"))
        paragraph.insert(0, properties)
    for old in properties.findall(qn("w:keepNext")):
        properties.remove(old)
    wordml.place(properties, etree.Element(qn("w:keepNext")))
