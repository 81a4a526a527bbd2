"""The register book printed on a real LibreOffice pool, read back from the PDF: A3 landscape,
the cover on page 1, the head of the ten columns on every table page, each entry whole."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pdfplumber
import pytest

from service.convert.pool import ConverterPool
from service.usecases.ports import UnitProfile
from tests.conftest import signed_in
from tests.helpers import SignableConverter, other_agency, plan, unit_profile
from tests.integration.conftest import started_pool
from tests.unit.test_register_book_docx import HEADERS

pytestmark = pytest.mark.integration
ENTRIES = 40
A3_LANDSCAPE = (1190.55, 841.89)  # points
# Subjects as long as a commune writes them, and one with a reference that must not break.
SUBJECTS = (
    "Thực hiện xây dựng xã, thị trấn phù hợp với trẻ em năm 2026",
    "Triển khai Quyết định số 06/QĐ-TTg ngày 03/01/2019 của Thủ tướng Chính phủ về việc ban "
    "hành Quy định tiêu chuẩn, trình tự đánh giá và công nhận xã, phường phù hợp với trẻ em",
    "Phòng, chống thiên tai và tìm kiếm cứu nạn",
)


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConverterPool]:
    """A one-instance pool on real LibreOffice (this suite's ports: 4600-4660)."""
    with started_pool(tmp_path_factory.mktemp("pool"), base_port=4600) as pool:
        yield pool


def subject(number: int) -> str:
    return SUBJECTS[number % len(SUBJECTS)] + f" (đợt {number})"


@pytest.fixture()
def clerk(make_app: Any, pool: ConverterPool) -> Any:
    """Lan, văn thư of Y Tịch, on an app printing with the pool, the register holding 40 entries
    of Y Tịch and one of Chi Lăng (issued through the fake converter: only the book is printed)."""
    issuing = make_app(SignableConverter())
    services = issuing.extensions["vb_services"]
    services.units.store.save(UnitProfile(**unit_profile("y-tich")))
    services.units.store.save(UnitProfile(**{**unit_profile("chi-lang"),
                                             "issuer": other_agency()}))
    for number in range(1, ENTRIES + 1):
        day = {"day": 1 + number % 28, "month": 1 + number // 4, "year": 2026}
        services.issuer.issue("ke_hoach", plan(subject=subject(number), date=day), actor="lan",
                              unit="y-tich")
    services.issuer.issue("ke_hoach", plan(issuer=other_agency(), subject="Của xã Chi Lăng"),
                          actor="lan", unit="chi-lang")
    return signed_in(make_app(pool), "lan", "van_thu", "y-tich")


def tables(pdf: bytes) -> tuple[list[str], list[list[list[str]]], list[Any]]:
    """Page 1's lines, each later page's table (cells with their lines joined), and each
    page's size and first line."""
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        cover = (document.pages[0].extract_text() or "").splitlines()
        found = [[[" ".join((cell or "").split()) for cell in row]
                  for row in page.extract_tables()[0]] for page in document.pages[1:]]
        pages = [(round(float(p.width), 2), round(float(p.height), 2),
                  (p.extract_text() or "").splitlines()[0]) for p in document.pages]
    return cover, found, pages


def test_the_printed_book_reads_back_whole_on_a3_landscape(clerk: Any) -> None:
    response = clerk.get("/so-van-ban-di/xuat-pdf?nam=2026")
    assert (response.status_code, response.mimetype) == (200, "application/pdf")
    cover, pages, sheets = tables(response.data)
    assert {(width, height) for width, height, _ in sheets} == {A3_LANDSCAPE}
    # Numbered at the top from page 2; the cover has no number.
    assert [top for _, _, top in sheets[1:]] == [str(n) for n in range(2, len(sheets) + 1)]
    assert [line.strip() for line in cover] == [
        "UBND HUYỆN CHI LĂNG", "ỦY BAN NHÂN DÂN XÃ Y TỊCH", "SỔ ĐĂNG KÝ VĂN BẢN ĐI", "Năm: 2026",
        "Từ ngày 02/01/2026 đến ngày 13/11/2026", "Từ số 01 đến số 40", "Quyển số: 01"]
    assert len(pages) >= 2  # 40 entries do not fit one page: the head must repeat
    for table in pages:
        assert table[0] == HEADERS
        assert table[1] == [f"({n})" for n in range(1, 11)]
    rows = [row for table in pages for row in table[2:]]
    # Every entry once, in number order, none split across pages, no word split in its cell.
    assert [row[0] for row in rows] == [f"{n:02d}/KH-UBND" for n in range(1, ENTRIES + 1)]
    assert rows[1][:3] == ["02/KH-UBND", "03/01/2026", f"Kế hoạch: {subject(2)}"]
    assert rows[1][7:9] == ["", ""]  # ngày chuyển, ký nhận: the văn thư's hand
    assert all("Chi Lăng" not in row[2] for row in rows)


def test_another_units_book_is_not_printed(clerk: Any) -> None:
    response = clerk.get("/so-van-ban-di/xuat-pdf?nam=2026&don_vi=chi-lang",
                         headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert "Không có đơn vị “chi-lang”." in response.get_data(as_text=True)
