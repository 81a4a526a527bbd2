"""Typography set in the DOCX: titles keep with the next line, references never break."""

from __future__ import annotations

import io

import docx
import pytest
from lxml import etree

from service.core import rules, wordml
from service.core.body import BodyWriter
from service.core.documents import DocumentService
from service.core.template_builder import MOTTO, MOTTO_SIZE, RIGHT_COL_MM, TEMPLATES_DIR
from tests.conftest import load_sample

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
NS = {"w": W[1:-1]}


def paragraphs(xml: str) -> list[etree._Element]:
    """The w:p elements of a fragment of body XML."""
    return etree.fromstring(f'<w:body xmlns:w="{W[1:-1]}">{xml}</w:body>').findall(f"{W}p")


def keeps(p: etree._Element) -> bool | None:
    """True/False where the paragraph says so, None where its style decides."""
    found = p.find(f"{W}pPr/{W}keepNext")
    return None if found is None else found.get(f"{W}val") != "0"


def text(p: etree._Element) -> str:
    return "".join(t.text or "" for t in p.iter(f"{W}t"))


def test_every_title_with_content_keeps_with_the_next_line() -> None:
    bullets = [{"kind": "bullet", "text": "Một việc;"}]
    blocks = [
        {
            "kind": "section",
            "title": "Phần",
            "body": [
                {
                    "kind": "section",
                    "title": "Mục",
                    "numbering": "alpha",
                    "body": [
                        {"kind": "section", "title": "Có nội dung", "body": bullets},
                        {"kind": "section", "title": "Không có nội dung"},
                        {"kind": "paragraph", "text": "Các việc gồm **như sau**:"},
                        *bullets,
                    ],
                }
            ],
        }
    ]
    assert keeps(_by_text(blocks, "Có nội dung")) is True
    # A title with nothing under it titles nothing: a run of them must not move together.
    assert keeps(_by_text(blocks, "Không có nội dung")) is False
    assert keeps(_by_text(blocks, "Các việc gồm")) is True
    assert keeps(_by_text(blocks, "Một việc")) is None
    assert keeps(_by_text(blocks, "PHẦN")) is True and keeps(_by_text(blocks, "Mục")) is True


def test_an_article_that_introduces_a_list_keeps_with_it() -> None:
    blocks = [
        {"kind": "article", "text": "Thành phần gồm:", "body": [{"kind": "bullet", "text": "A."}]},
        {"kind": "article", "text": "Hiệu lực thi hành."},
    ]
    first, *rest = paragraphs(BodyWriter().blocks(blocks))
    assert keeps(first) is True and [keeps(p) for p in rest] == [None, None]


@pytest.mark.parametrize(
    "style", ["VBBody", "VBBasis", "VBHeading1", "VBHeading2", "VBHeading3", "VBHeading4"]
)
def test_body_styles_have_widow_and_orphan_control(style: str) -> None:
    document = docx.Document(str(TEMPLATES_DIR / "van_ban_co_ten_loai.docx"))
    assert document.styles[style].paragraph_format.widow_control is True


@pytest.mark.parametrize(
    ("typed", "pieces"),
    [
        ("số 06/QĐ-TTg ngày", ["số 06/QĐ", "-", "TTg ngày"]),
        ("34/2014/QĐ-TTg", ["34/2014/QĐ", "-", "TTg"]),
        ("965/KH-UBND;", ["965/KH", "-", "UBND;"]),
        ("Chỉ thị 06-CT/TU", ["Chỉ thị 06", "-", "CT/TU"]),
        ("ngày 03/01/2019", ["ngày 03/01/2019"]),
        ("giai đoạn 2021-2025", ["giai đoạn 2021-2025"]),
        ("Độc lập - Tự do", ["Độc lập - Tự do"]),
    ],
)
def test_hyphens_inside_references_do_not_break(typed: str, pieces: list[str]) -> None:
    run = etree.fromstring(f'<w:x xmlns:w="{W[1:-1]}">{wordml.run(typed)}</w:x>')[0]
    found = ["-" if e.tag == f"{W}noBreakHyphen" else e.text for e in run]
    assert found == pieces


def test_rules_are_sized_from_the_text() -> None:
    motto = rules.text_width_mm(MOTTO, MOTTO_SIZE)
    assert 58 < motto < 63  # 14 pt bold Times New Roman
    ppr = paragraphs(rules.rule(motto, RIGHT_COL_MM, cell_margin_mm=rules.CELL_MARGIN_MM))[0][0]
    indent = int(ppr.find(f"{W}ind").get(f"{W}left")) / wordml.TWIPS_PER_MM
    assert RIGHT_COL_MM - 2 * rules.CELL_MARGIN_MM - 2 * indent == pytest.approx(motto, abs=0.05)
    wrapped = rules.text_width_mm("ỦY BAN NHÂN DÂN XÃ Y TỊCH VÀ MỘT TÊN RẤT DÀI", 13, column_mm=68)
    assert wrapped <= 68 < rules.text_width_mm("ỦY BAN NHÂN DÂN XÃ Y TỊCH VÀ MỘT TÊN RẤT DÀI", 13)


def test_docx_keywords_are_type_symbol_and_agency(documents: DocumentService) -> None:
    payload = load_sample("seed_000_ke_hoach_y_tich")
    properties = docx.Document(io.BytesIO(documents.render("ke_hoach", payload).docx))
    # No-break spaces: LibreOffice splits keywords at plain spaces when it writes the PDF.
    assert properties.core_properties.keywords.split(", ") == [
        "Kế\u00a0hoạch",
        "KH-UBND",
        "Ủy\u00a0ban\u00a0nhân\u00a0dân\u00a0xã\u00a0Y\u00a0Tịch",
    ]


def _by_text(blocks: list[dict], needle: str) -> etree._Element:
    return next(p for p in paragraphs(BodyWriter().blocks(blocks)) if needle in text(p))
