"""Inline markup: bold, italic, footnotes, escapes, literal text, pasted marks and numbers."""

from typing import Any

import pytest

from service.core.definitions import load_catalog
from service.core.documents import DocumentService
from service.core.form_model import FormModel
from service.core.markup import Footnote, Span, parse, plain, strip_bullet, strip_label
from tests.conftest import docx_text, load_sample

CATALOG = load_catalog()


def test_bold_and_italic_spans() -> None:
    assert parse("a **b** c *d* ***e***") == [
        Span("a "),
        Span("b", bold=True),
        Span(" c "),
        Span("d", italic=True),
        Span(" "),
        Span("e", bold=True, italic=True),
    ]


def test_nested_emphasis() -> None:
    assert parse("*a **b** c*") == [
        Span("a ", italic=True),
        Span("b", bold=True, italic=True),
        Span(" c", italic=True),
    ]


def test_footnote_with_markup_inside() -> None:
    assert parse("trẻ em^[Luật **Trẻ em** [2016]].") == [
        Span("trẻ em"),
        Footnote((Span("Luật "), Span("Trẻ em", bold=True), Span(" [2016]"))),
        Span("."),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "2 * 3 = 6",
        "{{ 7*7 }}",
        "**unclosed",
        "a ^[ unclosed",
        "<b>&amp;</b> \"q\" 'q'",
        "🎉 ** 👶🏽",
    ],
)
def test_unmatched_marks_stay_literal(text: str) -> None:
    assert parse(text) == [Span(text)]


def test_escaped_asterisks() -> None:
    assert parse(r"\*không nghiêng\* và \\") == [Span("*không nghiêng* và \\")]


def test_plain_drops_marks_and_footnotes() -> None:
    assert plain("**Kế hoạch** số 05^[ghi chú]") == "Kế hoạch số 05"


def test_a_star_between_letters_or_digits_is_literal() -> None:
    assert parse("${7*7} và ${8*8}, a*b*c") == [Span("${7*7} và ${8*8}, a*b*c")]
    assert parse("${7*7} rồi *nghiêng*") == [Span("${7*7} rồi "), Span("nghiêng", italic=True)]


@pytest.mark.parametrize(
    ("title", "kept"),
    [
        ("I. MỤC ĐÍCH, YÊU CẦU", "MỤC ĐÍCH, YÊU CẦU"),
        ("XII. Tổ chức", "Tổ chức"),
        ("2. Yêu cầu", "Yêu cầu"),
        ("1.2. Chi tiết", "Chi tiết"),
        ("a) Tuyên truyền", "Tuyên truyền"),
        ("đ) Kiểm tra", "Kiểm tra"),
        ("(3) Báo cáo", "Báo cáo"),
        ("1.000 hộ dân", "1.000 hộ dân"),
        ("C. Mác", "C. Mác"),
        ("2026 là năm", "2026 là năm"),
        ("VI.Việc", "VI.Việc"),
    ],
)
def test_strip_label_removes_only_a_typed_section_number(title: str, kept: str) -> None:
    assert strip_label(title) == kept


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        ("• Một", "Một"),
        ("–\tHai", "Hai"),
        ("+ Ba", "Ba"),
        ("- Bốn", "Bốn"),
        ("* Năm", "Năm"),
        ("*Sáu*", "*Sáu*"),
        ("-5 độ C", "-5 độ C"),
        ("•", "•"),
    ],
)
def test_strip_bullet_removes_a_pasted_mark_followed_by_a_space(line: str, kept: str) -> None:
    assert strip_bullet(line) == kept


def plan(documents: DocumentService, body: list[dict[str, Any]]) -> str:
    """The DOCX text of seed 000 with another body."""
    payload = {**load_sample("seed_000_ke_hoach_y_tich"), "body": body}
    return docx_text(documents.render("ke_hoach", payload).docx)


def test_typed_section_numbers_print_once(documents: DocumentService) -> None:
    outline = FormModel(CATALOG, CATALOG.get("ke_hoach")).outline(
        "+ I. MỤC ĐÍCH, YÊU CẦU\n++ 1. Mục đích\nNâng cao nhận thức.\n++ b) Yêu cầu\nĐúng hạn."
    )
    lines = plan(documents, outline).splitlines()
    assert "I. MỤC ĐÍCH, YÊU CẦU" in lines
    assert "1. Mục đích" in lines
    assert "2. Yêu cầu" in lines
    assert not [line for line in lines if "I. I." in line or "1. 1." in line]


def test_pasted_bullets_print_as_the_documents_dashes(documents: DocumentService) -> None:
    outline = FormModel(CATALOG, CATALOG.get("ke_hoach")).outline(
        "+ Tuyên truyền\n•\tTreo băng rôn\n– Phát loa\n* Họp dân"
    )
    api_bullet = {"kind": "bullet", "text": "• Kiểm tra"}
    lines = plan(documents, [*outline, api_bullet]).splitlines()
    for item in ("Treo băng rôn", "Phát loa", "Họp dân", "Kiểm tra"):
        assert f"- {item}" in lines
    assert not [line for line in lines if "•" in line or "–" in line]


def test_lone_stars_print_as_typed(documents: DocumentService) -> None:
    body = [{"kind": "paragraph", "text": "Tính ${7*7} và ${8*8}."}]
    assert "Tính ${7*7} và ${8*8}." in plan(documents, body).splitlines()
