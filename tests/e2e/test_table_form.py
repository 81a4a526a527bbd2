"""A clerk adds a table of their own columns to a plan in Chromium: a short row, then the PDF."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e import clerk
from tests.e2e.clerk import add, error_of, field, preview
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.integration


def test_a_cost_table_with_its_total(server: str, page: Any) -> None:
    clerk.create_unit_over_http(server, {**clerk.UNIT, "slug": "ubnd-xa-y-tich-bang"})
    page.goto(f"{server}/van-ban/ke_hoach?unit=ubnd-xa-y-tich-bang")
    field(page, "subject").fill("Tổ chức Tháng hành động vì trẻ em năm 2026")
    field(page, "intro").fill("UBND xã xây dựng kế hoạch với nội dung cụ thể như sau:")
    add(page, "body", "block-table")
    # Title, unit line, STT and totals are the block's options, folded until asked for.
    page.locator('[data-key="body.0"] > details.options > summary').click()
    field(page, "body.0.title").fill("Dự toán kinh phí")
    field(page, "body.0.unit").fill("Đơn vị tính: đồng")
    field(page, "body.0.columns").fill("Nội dung chi\nKinh phí")
    expect(field(page, "body.0.numbered")).to_be_checked()
    for index, cells in enumerate(["Diễn đàn trẻ em\n8.000.000", "In tờ rơi"]):
        add(page, "body.0.rows", "part-table_row")
        field(page, f"body.0.rows.{index}.cells").fill(cells)
    field(page, "body.0.totals").fill("Kinh phí")

    preview(page)  # the second row has no figure
    expect(error_of(page, "body.0.rows.1.cells")).to_have_text(
        "Dòng 2 có 1 ô, bảng có 2 cột; mỗi dòng cần đủ một ô cho mỗi cột "
        "(ô không có số liệu ghi “-”).")
    field(page, "body.0.rows.1.cells").fill("In tờ rơi\n12.000.000")
    preview(page)
    clerk.wait_for_preview_image(page)
    expect(page.locator(".error")).to_have_count(0)
    screenshot(page, "05-plan-table-preview")

    _, pdf = clerk.download(page, "Tải PDF")
    rows = clerk.pdf_table_rows(pdf)
    start = rows.index(["STT", "Nội dung chi", "Kinh phí"])
    assert rows[start + 1:start + 4] == [
        ["1", "Diễn đàn trẻ em", "8.000.000"],
        ["2", "In tờ rơi", "12.000.000"],
        ["", "Tổng cộng", "20.000.000"],
    ]
