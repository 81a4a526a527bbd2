"""The signature block keeps with the text's last lines."""

from __future__ import annotations

import io

from docx import Document as open_docx
from docx.oxml.ns import qn

from service.core.documents import DocumentService
from tests.conftest import load_sample


def kept(paragraph) -> bool:
    return paragraph._p.pPr is not None and paragraph._p.pPr.find(qn("w:keepNext")) is not None


def test_the_text_before_the_signature_keeps_with_it() -> None:
    rendered = DocumentService().render("cong_van", load_sample("cong_van_de_nghi_ho_tro"))
    document = open_docx(io.BytesIO(rendered.docx))
    body = list(document.element.body.iterchildren())
    signature = next(i for i, node in enumerate(body) if node.tag == qn("w:tbl")
                     and "Lộc Văn Thành" in "".join(node.itertext()))
    earlier, last = (p for p in document.paragraphs if p._p is body[signature - 2]
                     or p._p is body[signature - 3])
    # The empty paragraph before the table kept with it already; the text did not.
    assert last.text.endswith("trân trọng đề nghị các cơ quan xem xét, giải quyết./.")
    assert kept(last) and kept(earlier)  # the last paragraph is one line: the one before too
    assert not any(kept(p) for p in document.paragraphs if p._p is body[signature - 4])
