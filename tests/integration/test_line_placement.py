"""Real LibreOffice: where Kính gửi's dashes, the minutes' signers and the header's agency lines
stand in the PDF, read from PDFium's glyph origins (x from the left edge, y up from the bottom)."""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest

from service.core import page
from service.core.documents import DocumentService
from tests.conftest import load_sample
from tests.integration.conftest import started_pool

pytestmark = pytest.mark.integration
BASE_PORT = 4600  # this module's converter ports (4600-4619)
PT_PER_MM = 72 / 25.4
ADDRESSEES = [
    "Phòng Tài chính - Kế hoạch huyện Chi Lăng",
    "Phòng Lao động - Thương binh, Xã hội và Dân tộc huyện Chi Lăng, Trung tâm Y tế huyện "
    "Chi Lăng và các trường học trên địa bàn xã Y Tịch",  # wraps
    "Ủy ban Mặt trận Tổ quốc Việt Nam xã",
]
CHAIR = {"collective": "Ủy ban nhân dân", "mode": "KT", "head_title": "Chủ tịch",
         "title": "Phó Chủ tịch", "name": "Vương Văn Sơn"}  # three lines: TM., KT., the title
SECRETARY = "Chuyên viên Văn phòng - Thống kê kiêm thư ký"  # two lines in its column


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, bytes]]:
    """This module's letters and minutes, converted by one instance."""
    letter = load_sample("cong_van_de_nghi_ho_tro")
    minutes = load_sample("bien_ban_hop_phong_chong_thien_tai")
    secretary = {**minutes["secretary"], "title": SECRETARY}
    cases: dict[str, tuple[str, dict[str, Any]]] = {
        "several": ("cong_van", {**letter, "kinh_gui": ADDRESSEES}),
        "one": ("cong_van", {**letter, "kinh_gui": ADDRESSEES[:1]}),
        # The chair's title longer than the secretary's, then the secretary's the longer.
        "chair_longer": ("bien_ban", {**minutes, "signer": CHAIR}),
        "secretary_longer": ("bien_ban", {**minutes, "secretary": secretary}),
        "broken_agency": ("cong_van", {**letter, "issuer": {
            **letter["issuer"], "agency": "Ủy ban nhân dân xã\nY Tịch"}}),
    }
    with started_pool(tmp_path_factory.mktemp("pool"), BASE_PORT) as pool:
        service = DocumentService(pool)
        yield {name: service.to_pdf(service.render(t, p)) for name, (t, p) in cases.items()}


def glyphs(pdf: bytes) -> tuple[str, list[tuple[float, float]]]:
    """Every page's text and each character's origin (x, baseline y) in points; a later page's
    y lies below an earlier one's (less by a page height for each page before it)."""
    document = pdfium.PdfDocument(pdf)
    chars, origins = "", []
    try:
        x, y = ctypes.c_double(), ctypes.c_double()
        for number, sheet in enumerate(document):
            text = sheet.get_textpage()
            chars += text.get_text_range()
            for index in range(text.count_chars()):
                pdfium_c.FPDFText_GetCharOrigin(text.raw, index, ctypes.byref(x), ctypes.byref(y))
                origins.append((x.value, y.value - number * sheet.get_height()))
        return chars, origins
    finally:
        document.close()


def at(pdf: bytes, phrase: str, after: str = "") -> tuple[float, float]:
    """The origin of the phrase's first character (of the first one after `after`)."""
    chars, origins = glyphs(pdf)
    start = chars.index(after) + len(after) if after else 0
    index = chars.index(phrase, start)
    return origins[index]


def after_colon(pdf: bytes, lead: str) -> tuple[float, float]:
    """The origin of the first character printed after `lead` (spaces and tabs aside)."""
    chars, origins = glyphs(pdf)
    index = chars.index(lead) + len(lead)
    while chars[index].isspace():
        index += 1
    return origins[index]


def test_several_addressees_hang_their_dashes_from_the_colon(pdfs: dict[str, bytes]) -> None:
    pdf = pdfs["several"]
    first = after_colon(pdf, "Kính gửi:")
    kinh_gui = at(pdf, "Kính gửi:")
    assert first[1] == pytest.approx(kinh_gui[1], abs=0.5)  # the first addressee on its line
    dashes = [at(pdf, f"- {a.split()[0]} {a.split()[1]}") for a in ADDRESSEES]
    assert dashes[0] == first
    for dash in dashes:
        assert abs(dash[0] - first[0]) < PT_PER_MM, (dash, first)
    assert dashes[0][1] > dashes[1][1] > dashes[2][1]  # one a line, downwards
    # The second entry wraps under its own text, after its dash.
    chars, origins = glyphs(pdf)
    entry = chars.index("Phòng Lao động")
    wrapped = next(o for o in origins[entry:] if o[1] < dashes[1][1] - 10)
    assert wrapped[0] == pytest.approx(origins[entry][0], abs=0.5) and wrapped[0] > dashes[1][0]


def test_one_addressee_stands_on_the_kinh_gui_line_centred(pdfs: dict[str, bytes]) -> None:
    pdf = pdfs["one"]
    lead, name = at(pdf, "Kính gửi:"), at(pdf, ADDRESSEES[0])
    assert name[1] == pytest.approx(lead[1], abs=0.5) and name[0] > lead[0]
    assert "- Phòng" not in glyphs(pdf)[0]
    # Centred: as far from the left margin as the line's end is from the right one.
    chars, origins = glyphs(pdf)
    end = chars.index(ADDRESSEES[0]) + len(ADDRESSEES[0]) - 1
    left_gap = lead[0] - page.MARGIN_LEFT_MM * PT_PER_MM
    right_gap = (page.PAGE_WIDTH_MM - page.MARGIN_RIGHT_MM) * PT_PER_MM - origins[end][0]
    assert abs(left_gap - right_gap) < 4 * PT_PER_MM  # the last glyph's own width aside


@pytest.mark.parametrize("case", ["chair_longer", "secretary_longer"])
def test_minutes_names_and_titles_share_their_lines(pdfs: dict[str, bytes], case: str) -> None:
    pdf = pdfs[case]
    secretary, chair = at(pdf, "Lò Thị Lan", after="./."), at(pdf, "Vương Văn Sơn", after="./.")
    assert abs(secretary[1] - chair[1]) < 0.5 and secretary[0] < chair[0]
    title = "CHUYÊN VIÊN" if case == "secretary_longer" else "THƯ KÝ"
    chair_title = "TM. ỦY BAN" if case == "chair_longer" else "CHỦ TỌA"
    assert abs(at(pdf, title, after="./.")[1] - at(pdf, chair_title, after="./.")[1]) < 0.5
    # The longer title takes more lines than the other: its last line is lower.
    longer = "PHÓ CHỦ TỊCH" if case == "chair_longer" else "THƯ KÝ"
    shorter = "THƯ KÝ" if case == "chair_longer" else "CHỦ TỌA"
    assert at(pdf, longer, after="./.")[1] < at(pdf, shorter, after="./.")[1] - 10


def test_the_header_breaks_the_agency_where_the_clerk_did(pdfs: dict[str, bytes]) -> None:
    pdf = pdfs["broken_agency"]
    chars, origins = glyphs(pdf)
    first = chars.index("ỦY BAN NHÂN DÂN XÃ")  # one line, though Writer would wrap after DÂN
    commune, name = origins[first + len("ỦY BAN NHÂN DÂN ")], at(pdf, "Y TỊCH")
    assert commune[1] == pytest.approx(origins[first][1], abs=0.5)
    assert name[1] < commune[1] - 10
