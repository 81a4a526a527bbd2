"""Inline markup: bold, italic, footnotes, escapes, literal text."""

import pytest

from service.core.markup import Footnote, Span, parse, plain


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
