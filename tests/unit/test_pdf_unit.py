"""service.core.pdf without LibreOffice: small PDFs with text at known positions."""

from __future__ import annotations

import io

import pikepdf
import pytest

from service.core.pdf import (
    SignatureSpace,
    SignatureSpaceNotFound,
    field_name,
    locate_signature_space,
    prepare_for_signing,
    seal_rect,
)
from service.core.pdf_io import InvalidPdf
from tests.helpers import BODY, LEFT, LINES, NAME, NAME_Y, SIZE, TITLE_Y, block, make_pdf, prepare

# Helvetica's glyph boxes, as pdfminer measures them: from the descent (0.207 em) under the
# baseline to one em above it.
DESCENT = 0.207 * SIZE


def under_title(y: float) -> bool:
    """2 pt under the title's ink: its baseline for capitals, its descent at the lowest."""
    return TITLE_Y - DESCENT - 2.5 <= y <= TITLE_Y - 1.5


APPENDIX = [(250, 780, "Phu luc I"), (90, 740, "PHO CHU TICH phu trach van hoa")]


def test_space_between_title_and_name() -> None:
    space = locate_signature_space(make_pdf(BODY + block()), LINES, NAME)
    assert space.page_index == 0
    x1, y1, x2, y2 = space.rect
    assert x1 == pytest.approx(LEFT - 4, abs=0.5)
    assert LEFT + 100 < x2 < 595 - 20  # past the widest line, inside the page
    assert under_title(y2)
    # Just above the name's ink: over its capitals, under the top of its em box plus a margin.
    assert NAME_Y + 0.6 * SIZE < y1 < NAME_Y - DESCENT + SIZE + 4
    assert space.height == pytest.approx(y2 - y1)


def test_block_found_before_a_trailing_appendix() -> None:
    pdf = make_pdf(BODY, BODY + block(), APPENDIX, APPENDIX)
    assert locate_signature_space(pdf, LINES, NAME).page_index == 1


def test_last_block_wins() -> None:
    pdf = make_pdf(block(), block(), APPENDIX)
    assert locate_signature_space(pdf, LINES, NAME).page_index == 1


def test_lines_match_after_whitespace_normalisation() -> None:
    lines = ["TM.  UY BAN NHAN DAN ", "KT. CHU\tTICH", " PHO CHU TICH"]
    space = locate_signature_space(make_pdf(block()), lines, " Nguyen  Van Hien")
    assert space.page_index == 0


def test_single_title_line() -> None:
    space = locate_signature_space(make_pdf(block(lines=["CHU TICH"])), ["CHU TICH"], NAME)
    assert under_title(space.rect[3])


def test_without_a_name_the_space_is_80_pt_under_the_title() -> None:
    space = locate_signature_space(make_pdf(block(name="")), LINES, "")
    assert under_title(space.rect[3])
    assert space.height == pytest.approx(80)


@pytest.mark.parametrize(
    ("lines", "name"),
    [
        (LINES, "Tran Van An"),  # another signer
        (["KT. CHU TICH", "CHU TICH"], NAME),  # another title
        (["TM. UY BAN NHAN DAN", "PHO CHU TICH"], NAME),  # a line missing in the PDF
    ],
)
def test_not_found(lines: list[str], name: str) -> None:
    with pytest.raises(SignatureSpaceNotFound):
        locate_signature_space(make_pdf(BODY + block(), APPENDIX), lines, name)


def test_name_must_follow_the_title() -> None:
    pdf = make_pdf(BODY + block(name=""), [(LEFT, 700, NAME)])
    with pytest.raises(SignatureSpaceNotFound):
        locate_signature_space(pdf, LINES, NAME)


def test_title_in_the_left_column_does_not_count() -> None:
    texts = [(90, TITLE_Y + 20 * i, line) for i, line in enumerate(reversed(LINES))]
    with pytest.raises(SignatureSpaceNotFound):
        locate_signature_space(make_pdf([*texts, (90, NAME_Y, NAME)]), LINES, NAME)


def test_not_a_pdf() -> None:
    with pytest.raises(InvalidPdf):
        locate_signature_space(b"not a pdf", LINES, NAME)


def test_seal_square_centred_on_the_left_third() -> None:
    seal = seal_rect(SignatureSpace(0, (300.0, 400.0, 450.0, 480.0)))
    assert seal == pytest.approx((310.0, 400.0, 390.0, 480.0))
    assert seal[2] - seal[0] == seal[3] - seal[1] == 80


@pytest.mark.parametrize(
    ("prefix", "name", "expected"),
    [
        ("Chữ ký", "Nguyễn Văn Hiến", "Chu ky - Nguyen Van Hien"),
        ("Chữ ký", "Đặng Thị Ánh  Tuyết", "Chu ky - Dang Thi Anh Tuyet"),
        ("Dấu cơ quan", "", "Dau co quan"),
        ("Chữ ký", "Lê Đ. Hùng", "Chu ky - Le D Hung"),  # no '.': it separates field names
    ],
)
def test_field_name(prefix: str, name: str, expected: str) -> None:
    assert field_name(prefix, name) == expected


def test_prepare_adds_empty_fields_and_metadata() -> None:
    source = make_pdf(BODY + block(), APPENDIX)
    space = locate_signature_space(source, LINES, NAME)
    with pikepdf.open(io.BytesIO(prepare(source))) as pdf:
        fields = {str(f.T): f for f in pdf.Root.AcroForm.Fields}
        assert set(fields) == {"Chu ky - Nguyen Van Hien", "Dau co quan"}
        for field in fields.values():
            assert field.FT == "/Sig" and "/V" not in field
            assert field.P.objgen == pdf.pages[0].obj.objgen
        assert [float(v) for v in fields["Dau co quan"].Rect] == pytest.approx(seal_rect(space))
        assert str(pdf.Root.Lang) == "vi-VN"
        assert str(pdf.docinfo.Title) == "Kế hoạch tổ chức Tết"
        assert str(pdf.docinfo.Author) == "Ủy ban nhân dân xã Thanh Lĩnh"
        meta = pdf.open_metadata()
        assert meta["dc:title"] == "Kế hoạch tổ chức Tết"
        assert meta["dc:description"] == "Kế hoạch 05/KH-UBND"
        assert meta["pdf:Keywords"] == "Kế hoạch, KH-UBND"
        assert len(pdf.pages) == 2


def test_prepare_without_a_seal() -> None:
    with pikepdf.open(io.BytesIO(prepare(make_pdf(block()), seal_field=None))) as pdf:
        assert [str(f.T) for f in pdf.Root.AcroForm.Fields] == ["Chu ky - Nguyen Van Hien"]


def test_prepare_is_an_incremental_update() -> None:
    source = make_pdf(block())
    assert prepare(source).count(b"%%EOF") == 2


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"seal_field": "Chu ky - Nguyen Van Hien"}, "must differ"),
        ({"signer_field": "Chu ky - Le D. Hung"}, "without '.'"),
        ({"signer_field": "Chữ ký"}, "printable ASCII"),
        ({"space": SignatureSpace(3, (0, 0, 10, 10))}, "outside the PDF's 1 pages"),
    ],
)
def test_prepare_rejects(overrides: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        prepare(make_pdf(block()), **overrides)


def test_prepare_rejects_a_non_pdf() -> None:
    space = SignatureSpace(0, (0, 0, 10, 10))
    with pytest.raises(InvalidPdf):
        prepare_for_signing(
            b"%PDF-1.7 broken",
            title="",
            author="",
            subject="",
            keywords=[],
            signer_field="x",
            seal_field=None,
            space=space,
        )
