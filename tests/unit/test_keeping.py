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


def last_paragraphs(payload: dict) -> list:
    """The three paragraphs before the empty one that precedes the signature table, last first."""
    rendered = DocumentService().render("cong_van", payload)
    document = open_docx(io.BytesIO(rendered.docx))
    body = list(document.element.body.iterchildren())
    signature = next(i for i, node in enumerate(body) if node.tag == qn("w:tbl")
                     and "Lộc Văn Thành" in "".join(node.itertext()))
    return [next(p for p in document.paragraphs if p._p is body[signature - n]) for n in (2, 3, 4)]


def test_two_lines_of_text_keep_with_the_signature() -> None:
    last, earlier, before = last_paragraphs(load_sample("cong_van_de_nghi_ho_tro"))
    # Two lines as Writer sets it (its first line indented): enough on its own. Keeping the
    # paragraph before too carried seven lines over and left a third of page one empty.
    assert last.text.endswith("trân trọng đề nghị các cơ quan xem xét, giải quyết./.")
    assert kept(last) and not kept(earlier) and not kept(before)


def test_a_one_line_ending_keeps_the_paragraph_before_it_too() -> None:
    payload = load_sample("cong_van_de_nghi_ho_tro")
    payload["closing"] = [*payload["closing"][:-1], "Trân trọng./."]
    last, earlier, before = last_paragraphs(payload)
    assert last.text == "Trân trọng./."
    assert kept(last) and kept(earlier) and not kept(before)


def test_a_spill_of_a_few_lines_is_found_and_a_page_of_text_is_not() -> None:
    assert fitting.spilled(make_pdf(FULL_PAGE, SPILL + block()))
    assert not fitting.spilled(make_pdf(FULL_PAGE, FULL_PAGE[:10] + block()))
    assert not fitting.spilled(make_pdf(BODY + block()))  # one page: nothing to fit


def test_the_head_counts_only_where_a_line_begins_with_it() -> None:
    mention = [(90, 780, "Gui ve noi nhan dung han."), (90, 760, "Noi")]  # not a line's head
    assert fitting.signature_page(make_pdf(mention, SPILL + block())) == (1, 2)
    assert fitting.signature_page(make_pdf(mention, FULL_PAGE[:3])) is None


def docx_of(*paragraphs: str, header: str = "") -> bytes:
    """A DOCX of these paragraphs, each run split at `|`, and a header's text."""
    document = open_docx()
    for text in paragraphs:
        paragraph = document.add_paragraph()
        for run in text.split("|"):
            paragraph.add_run(run)
    document.sections[0].header.paragraphs[0].text = header
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("docx", "spellings"),
    [
        (docx_of("Kính gửi: các xã.", "Nơi nhận:", "- Như trên;"), 1),
        (docx_of("Nơi |nh|ận:"), 1),  # runs of one paragraph join
        (docx_of("NƠI  NHẬN: a", "gửi về nơi nhận hồ sơ"), 2),  # any case, accents, spaces
        (docx_of("Nơi", "nhận:"), 0),  # a line never spans paragraphs
        (docx_of("Nơi nhận:", header="Nơi nhận"), 2),  # a header prints on every page
        (docx_of("Nơi nh&ận"), 0),  # stored as &amp;
    ],
)
def test_the_docx_counts_the_paragraphs_spelling_the_head(docx: bytes, spellings: int) -> None:
    assert fitting.head_spellings(docx) == spellings


def test_the_head_written_as_character_references_counts_too() -> None:
    docx = docx_of("NOI NHAN:")
    source = zipfile.ZipFile(io.BytesIO(docx))
    out = io.BytesIO()
    with source, zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "word/document.xml":  # as another writer may store `Nơi nhận:`
                data = data.replace(b"NOI NHAN:", b"N&#417;i nh&#x1EAD;n:")
            target.writestr(name, data)
    assert fitting.head_spellings(out.getvalue()) == 1


def test_a_head_spelt_once_is_sought_from_the_last_page() -> None:
    early = [*FULL_PAGE[:-1], (90, 200, "Noi nhan ho so: Van phong.")]  # a line's head, page 1
    pdf = make_pdf(FULL_PAGE, early, SPILL + block())
    # Spelt twice, the first page with a head line is the one (first page first): no spill.
    assert fitting.spill_page(pdf, docx_of("Nơi nhận hồ sơ", "Nơi nhận:")) is None
    assert fitting.spill_page(pdf) is None
    # Spelt once, the one page is sought from the end; the answer is the same for a real one.
    assert fitting.spill_page(pdf, docx_of("Nơi nhận:")) == 2
    real = make_pdf(FULL_PAGE, SPILL + block())
    assert fitting.spill_page(real, docx_of("Nơi nhận:")) == fitting.spill_page(real) == 1


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


class TitleLeavingConverter(FakeConverter):
    """A page of text before the spill; tightened, the spill fits but a title ends page one."""

    def convert(self, docx: bytes, *, pdf_version: int | None = None) -> bytes:
        super().convert(docx, pdf_version=pdf_version)
        with zipfile.ZipFile(io.BytesIO(docx)) as package:
            single = b'w:line="276"' not in package.read("word/styles.xml")
        if single:
            titled = [*FULL_PAGE[:-1], (90, 200, "2. Xay dung moi truong an toan")]
            return make_pdf(titled, FULL_PAGE[:10] + SPILL + block())
        return make_pdf(FULL_PAGE, FULL_PAGE, SPILL + block())


def test_a_tighter_layout_that_ends_a_page_with_a_title_is_not_taken() -> None:
    converter = TitleLeavingConverter()
    service = DocumentService(converter)
    pdf = service.to_pdf(service.render("cong_van", load_sample("cong_van_de_nghi_ho_tro")))
    assert len(converter.calls) == 2
    assert fitting.signature_page(pdf) == (2, 2)  # the usual spacing's layout, spill and all
    assert not fitting.heading_ends_a_page(pdf)


@pytest.mark.parametrize(("last", "titled"), [
    ("II. TO CHUC THUC HIEN", True), ("2. Xay dung moi truong", True), ("1.2. Kinh phi", True),
    ("12. Nhiem vu", True), ("20.000.000 dong.", False), ("2023. Cac co quan", False),
    ("- Thoi gian: thang 4;", False),
])
def test_a_title_at_a_pages_foot_is_told_from_text(last: str, titled: bool) -> None:
    pages = [[*FULL_PAGE[:-1], (90, 200, last)], BODY]
    assert fitting.heading_ends_a_page(make_pdf(*pages)) is titled
    assert not fitting.heading_ends_a_page(make_pdf(pages[1], pages[0]))  # the last page's
