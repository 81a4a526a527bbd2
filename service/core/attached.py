"""A text a decision issues with it (Mẫu 1.3): a Quy chế or Quy định on pages of its own.

It opens with the national header without number and date, its type name, title and
`(Kèm theo Quyết định số …)` line, holds chapters of articles numbered across chapters, and
ends with the decision's signer block. The header and the signer block are copies of the
decision's own, rendered: marker paragraphs stand where they go until `copy_frames`.
"""

from __future__ import annotations

import copy
from typing import Any

from docx.oxml.ns import qn
from lxml import etree

from service.core import page, rules, vn, wordml
from service.core.body import BodyWriter

HEADER_MARK, SIGNER_MARK = "_vb_header_", "_vb_signer_"
TITLE_SIZE = 14
CHAPTER_SPACE = '<w:spacing w:before="240"/>'  # 12 pt above each chapter's heading


def text_xml(text: dict[str, Any], reference: str, writer: BodyWriter, index: int) -> str:
    """The attached text's paragraphs, with markers for its header and signer block."""
    out = [
        wordml.marker(f"{HEADER_MARK}{index}", 9100 + index),
        wordml.paragraph(wordml.run(vn.upper_vn(text["type_name"])), "VBTitle"),
        wordml.paragraph(wordml.run(text["title"]), "VBSubject"),
        # The rule goes right under the reference line, as under a subject.
        wordml.paragraph(
            wordml.run(reference), "VBAppendixRef", props=['<w:spacing w:after="0"/>']
        ),
        rules.name_rule(text["title"], TITLE_SIZE, page.text_width_mm(False), before_pt=4),
    ]
    for number, chapter in enumerate(text["chapters"], 1):
        out.append(
            wordml.paragraph(
                wordml.run(f"Chương {vn.roman(number)}"), "VBAppendixNo", props=[CHAPTER_SPACE]
            )
        )
        out.append(wordml.paragraph(wordml.run(vn.upper_vn(chapter["title"])), "VBAppendixTitle"))
        out.append(writer.blocks(chapter["body"]))
    # As under the decision: a blank line kept with the signer block that follows it.
    out.append(wordml.paragraph("", "VBBody", props=[wordml.keep_next()]))
    out.append(wordml.marker(f"{SIGNER_MARK}{index}", 9200 + index))
    return "".join(out)


def copy_frames(document: Any) -> None:
    """Replace the markers with copies of the rendered header (first row) and signer block."""
    body = document.element.body
    marked = body.xpath(f'.//w:p[w:bookmarkStart[starts-with(@w:name, "{HEADER_MARK}")]]')
    if not marked:
        return
    header = copy.deepcopy(body.find(qn("w:tbl")))
    for row in header.findall(qn("w:tr"))[1:]:  # the number and date row
        header.remove(row)
    signer = copy.deepcopy(body.xpath('./w:tbl[.//w:pStyle[@w:val="VBRecipientsHead"]]')[0])
    recipients = signer.find(qn("w:tr")).find(qn("w:tc"))
    for paragraph in recipients.findall(qn("w:p")):
        recipients.remove(paragraph)
    etree.SubElement(recipients, qn("w:p"))  # a cell ends with a paragraph
    for mark, frame in ((HEADER_MARK, header), (SIGNER_MARK, signer)):
        for paragraph in body.xpath(f'.//w:p[w:bookmarkStart[starts-with(@w:name, "{mark}")]]'):
            paragraph.addprevious(copy.deepcopy(frame))
            paragraph.getparent().remove(paragraph)
