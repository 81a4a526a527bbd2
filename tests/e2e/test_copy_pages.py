"""A văn thư issues a plan, then makes a sao y, a trích sao and a sao lục from its entry."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from service.core.clock import today_in_vietnam
from tests.e2e.clerk import add, download, field, preview, van_thu_page
from tests.e2e.conftest import own_server, screenshot
from tests.integration.test_documents_pdf import pdf_text

pytestmark = pytest.mark.integration
SLUG = "sao-y-tich"
CLERK, CLERK_PASSWORD = "vanthu-sao", "mat-khau-van-thu-sao"
PORT, POOL_BASE_PORT = 4399, 4380  # this suite's ports: the service, then its unoserver pool

server = own_server(PORT, POOL_BASE_PORT)


@pytest.fixture(scope="module")
def van_thu(server: str, browser: Any) -> Iterator[Any]:
    """A văn thư of Y Tịch, logged in on her own."""
    with van_thu_page(server, browser, SLUG, CLERK, CLERK_PASSWORD) as clerk:
        yield clerk


def confirm_copy(page: Any, shown: str) -> None:
    """On the copy form: see the number it will take, then take it."""
    with page.expect_navigation():
        page.get_by_role("button", name="Xem số sẽ cấp").click()
    expect(page.get_by_role("heading", name="Xác nhận cấp số bản sao")).to_be_visible()
    expect(page.locator("#so-se-cap")).to_have_text(shown)
    number = shown.split(" ")[1].split("/")[0]
    with page.expect_navigation():
        page.get_by_role("button", name=f"Xác nhận cấp số {number}").click()
    expect(page.get_by_role("status")).to_contain_text(f"Đã cấp số bản sao {shown}")


def test_copies_from_the_register_entry(server: str, van_thu: Any) -> None:
    page = van_thu
    today = today_in_vietnam()
    page.goto(f"{server}/van-ban/ke_hoach?unit={SLUG}")
    field(page, "subject").fill("Tuyên truyền phòng, chống dịch bệnh mùa mưa năm 2026")
    for index, (title, text) in enumerate(
        [
            ("Mục đích, yêu cầu", "Nâng cao nhận thức của người dân về phòng bệnh."),
            ("Nội dung", "Tuyên truyền trên loa truyền thanh của xã hằng tuần."),
            ("Tổ chức thực hiện", "Trạm Y tế xã chủ trì, phối hợp với các thôn."),
        ]
    ):
        add(page, "body", "block-section")
        field(page, f"body.{index}.title").fill(title)
        field(page, f"body.{index}.body_text").fill(text)
    preview(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Phát hành", exact=True).click()
    page.get_by_label(re.compile("đã ký bản giấy của văn bản này$")).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Xác nhận phát hành số 01").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kế hoạch số 01/KH-UBND")
    source = page.url

    # Sao y: the signer comes from the unit; the clerk adds where the copy goes.
    page.get_by_role("link", name="Sao y", exact=True).click()
    expect(field(page, "signer.title")).to_have_value("Chủ tịch")
    expect(field(page, "signer.name")).to_have_value("Vương Văn Sơn")
    field(page, "signer.mode").fill("TL")
    field(page, "signer.head_title").fill("Chủ tịch")
    field(page, "signer.title").fill("Chánh Văn phòng")
    field(page, "signer.name").fill("Hoàng Văn Tùng")
    field(page, "recipients").fill("Trạm Y tế xã\nCác thôn")
    screenshot(page, "40-copy-form")
    confirm_copy(page, "Số: 01/SY-UBND")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bản sao y số 01/SY-UBND")
    screenshot(page, "41-copy-entry")
    name, pdf = download(page, "Tải PDF")
    assert name == f"01-SY-UBND-{today.year}-xa-y-tich.pdf"
    text = pdf_text(pdf)
    assert text.index("Nâng cao nhận thức") < text.index("SAO Y") < text.index("Hoàng Văn Tùng")
    assert "Số: 01/SY-UBND" in text and "TL. CHỦ TỊCH" in text
    sao_y = page.url

    # Trích sao of parts I and III, from the original.
    page.goto(source)
    expect(page.locator("table.copies")).to_contain_text("Số: 01/SY-UBND")
    page.get_by_role("link", name="Trích sao", exact=True).click()
    page.get_by_label("I. MỤC ĐÍCH, YÊU CẦU").check()
    page.get_by_label("III. TỔ CHỨC THỰC HIỆN").check()
    confirm_copy(page, "Số: 02/TS-UBND")
    _, pdf = download(page, "Tải PDF")
    text = pdf_text(pdf)
    assert "III. TỔ CHỨC THỰC HIỆN" in text and "TRÍCH SAO" in text
    assert "Tuyên truyền trên loa" not in text

    # Sao lục, offered on the sao y only.
    page.goto(sao_y)
    expect(page.get_by_role("link", name="Trích sao", exact=True)).to_have_count(0)
    page.get_by_role("link", name="Sao lục", exact=True).click()
    confirm_copy(page, "Số: 03/SL-UBND")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bản sao lục số 03/SL-UBND")
    expect(page.locator(".copy-source")).to_have_text("Sao từ văn bản Số: 01/SY-UBND (Bản sao y).")
