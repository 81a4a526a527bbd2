"""The signature block keeps with the text's last lines, and a spill of a few lines is fitted."""

from __future__ import annotations

import io
import zipfile

import pytest
from docx import Document as open_docx
from docx.oxml.ns import qn

from service.core import fitting
from service.core.documents import DocumentService
from tests.conftest import load_sample
from tests.fakes import FakeConverter
from tests.helpers import BODY, block, make_pdf

FULL_PAGE = [(90, 780 - 20 * n, f"Dong thu {n} cua van ban.") for n in range(30)]
SPILL = [(90, 585, "con lai hai dong cuoi cua van ban."), (90, 570, "./.")]  # above Noi nhan


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


def test_a_spill_of_a_few_lines_is_found_and_a_page_of_text_is_not() -> None:
    assert fitting.spilled(make_pdf(FULL_PAGE, SPILL + block()))
    assert not fitting.spilled(make_pdf(FULL_PAGE, FULL_PAGE[:10] + block()))
    assert not fitting.spilled(make_pdf(BODY + block()))  # one page: nothing to fit


def test_the_head_counts_only_where_a_line_begins_with_it() -> None:
    mention = [(90, 780, "Gui ve noi nhan dung han."), (90, 760, "Noi")]  # not a line's head
    assert fitting.signature_page(make_pdf(mention, SPILL + block())) == (1, 2)
    assert fitting.signature_page(make_pdf(mention, FULL_PAGE[:3])) is None


def test_tightening_makes_the_line_spacing_single_and_nothing_else() -> None:
    docx = DocumentService().render("cong_van", load_sample("cong_van_de_nghi_ho_tro")).docx
    tight = fitting.tightened(docx)
    with zipfile.ZipFile(io.BytesIO(docx)) as a, zipfile.ZipFile(io.BytesIO(tight)) as b:
        assert a.namelist() == b.namelist()
        styles = a.read("word/styles.xml")
        assert styles.count(b'w:line="276"') > 0
        assert b.read("word/styles.xml") == styles.replace(b'w:line="276"', b'w:line="240"')
        assert all(a.read(n) == b.read(n) for n in a.namelist() if n != "word/styles.xml")


class SpillingConverter(FakeConverter):
    """Spills two lines and the signature unless the line spacing is single (or `fits` is off)."""

    def __init__(self, fits: bool) -> None:
        super().__init__()
        self.fits = fits

    def convert(self, docx: bytes, *, pdf_version: int | None = None) -> bytes:
        super().convert(docx, pdf_version=pdf_version)
        with zipfile.ZipFile(io.BytesIO(docx)) as package:
            single = b'w:line="276"' not in package.read("word/styles.xml")
        if single and self.fits:
            return make_pdf(FULL_PAGE[:10] + SPILL + block())
        return make_pdf(FULL_PAGE, SPILL + block())


@pytest.mark.parametrize(("fits", "place"), [(True, (0, 12)), (False, (1, 2))],
                         ids=["fitted-onto-the-page-before", "usual-spacing-kept"])
def test_a_spilled_document_is_converted_again_tighter_and_kept_if_it_fits(
    fits: bool, place: tuple[int, int]
) -> None:
    converter = SpillingConverter(fits)
    service = DocumentService(converter)
    pdf = service.to_pdf(service.render("cong_van", load_sample("cong_van_de_nghi_ho_tro")))
    assert len(converter.calls) == 2
    assert fitting.signature_page(pdf) == place
