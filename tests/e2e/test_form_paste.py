"""Text pasted from old documents and spreadsheets, and drafts per tab, in Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import normalise
from tests.e2e.clerk import (
    UNIT,
    add,
    create_unit_over_http,
    delete_unit_over_http,
    download,
    field,
    paste,
    pdf_table_rows,
    preview,
    wait_for_draft,
    wait_for_preview_image,
)
from tests.e2e.conftest import SCREENSHOTS
from tests.integration.test_documents_pdf import pdf_text

pytestmark = pytest.mark.integration

# Four indicators as a spreadsheet copies them: its header row, its STT column, a quoted cell
# with a line break, Vietnamese numbers.
SPREADSHEET = (
    "STT\tChỉ tiêu\tĐơn vị tính\tKế hoạch\tThực hiện\tGhi chú\r\n"
    "1\tTrẻ em được khám sức khỏe\ttrẻ\t1.200\t1.150\t\r\n"
    '2\tTrẻ em được học bơi\ttrẻ\t300\t240\t"Hè 2026\nở hồ xã"\r\n'
    "3\tĐiểm nước sâu có biển cảnh báo\tđiểm\t12\t12\t\r\n"
    "4\tHộ gia đình được tuyên truyền\thộ\t2.500\t2.610\tVượt\r\n"
)


# A commune of its own, deleted after this module: the plan tests create Y Tịch's profile in
# the same session and expect it to be the only one.
QUAN_SON = {
    **UNIT,
    "slug": "ubnd-xa-quan-son",
    "issuer.agency": "Ủy ban nhân dân xã Quan Sơn",
    "issuer.agency_short": "UBND xã Quan Sơn",
    "issuer.place": "Quan Sơn",
}


@pytest.fixture(scope="module")
def unit(server: str) -> Iterator[str]:
    """The commune's unit profile, for this module only."""
    create_unit_over_http(server, QUAN_SON)
    yield QUAN_SON["slug"]
    delete_unit_over_http(server, QUAN_SON["slug"])


def test_pasted_numbers_and_bullets_print_once(server: str, unit: str, page: Any) -> None:
    page.goto(f"{server}/van-ban/ke_hoach?unit={unit}")
    field(page, "subject").fill("Phòng, chống đuối nước cho trẻ em năm 2026")
    add(page, "body", "block-section")
    field(page, "body.0.title").fill("I. MỤC ĐÍCH, YÊU CẦU")
    expect(page.locator('[id="f-body.0.title"] + .number-hint')).to_have_text(
        "Số mục được đánh tự động; “I.” gõ ở đầu tên mục sẽ không in lặp lại."
    )
    field(page, "body.0.body_text").fill(
        "+ 1. Mục đích\n•\tNâng cao nhận thức của cha mẹ.\n– Giảm số vụ đuối nước.\n"
        "+ 2. Yêu cầu\n* Bảo đảm tiến độ.\nKinh phí ${7*7} triệu, ${8*8} triệu."
    )
    add(page, "body", "block-section")
    field(page, "body.1.title").fill("II. TỔ CHỨC THỰC HIỆN")
    tasks = "\n".join(f"- Nhiệm vụ {n}." for n in range(1, 21))
    field(page, "body.1.body_text").fill(tasks)
    # The content box grew to show its twenty lines, with no scroll bar of its own.
    box = page.evaluate(
        "(() => { const t = document.querySelector('[name=\"body.1.body_text\"]');"
        " return [t.clientHeight, t.scrollHeight]; })()"
    )
    assert box[0] > 400 and box[1] <= box[0] + 1, f"the box did not grow: {box}"
    preview(page)
    wait_for_preview_image(page)
    expect(page.locator(".error")).to_have_count(0)

    _, pdf = download(page, "Tải PDF")
    text = normalise(pdf_text(pdf))
    assert text.index("I. MỤC ĐÍCH, YÊU CẦU") < text.index("II. TỔ CHỨC THỰC HIỆN")
    assert "1. Mục đích" in text and "2. Yêu cầu" in text
    for doubled in ("I. I.", "II. II.", "1. 1.", "2. 2."):
        assert doubled not in text
    assert "- Nâng cao nhận thức của cha mẹ." in text
    assert "- Giảm số vụ đuối nước." in text
    assert "- Bảo đảm tiến độ." in text
    assert "•" not in text and "–" not in text
    assert "Kinh phí ${7*7} triệu, ${8*8} triệu." in text
    assert "- Nhiệm vụ 20." in text


def test_two_tabs_keep_two_drafts(server: str, unit: str, page: Any) -> None:
    url = f"{server}/van-ban/ke_hoach?unit={unit}"
    page.goto(url)
    field(page, "subject").fill("Kế hoạch phòng, chống đuối nước")
    wait_for_draft(page, "Kế hoạch phòng, chống đuối nước")

    second = page.context.new_page()
    second.goto(url)
    expect(field(second, "subject")).to_have_value("")  # a new tab starts a new draft
    drafts = second.locator("#ban-nhap")
    expect(drafts).to_be_visible()
    expect(drafts.get_by_role("link", name="Kế hoạch phòng, chống đuối nước")).to_be_visible()
    field(second, "subject").fill("Kế hoạch tháng hành động vì trẻ em")
    wait_for_draft(second, "Kế hoạch tháng hành động vì trẻ em")

    # Each tab, reloaded, gets back its own plan.
    page.goto(url)
    expect(page.get_by_text("Đã khôi phục bản nháp")).to_be_visible()
    expect(field(page, "subject")).to_have_value("Kế hoạch phòng, chống đuối nước")
    second.goto(url)
    expect(second.get_by_text("Đã khôi phục bản nháp")).to_be_visible()
    expect(field(second, "subject")).to_have_value("Kế hoạch tháng hành động vì trẻ em")
    current = second.locator("#ban-nhap li.current")
    expect(current).to_contain_text("Kế hoạch tháng hành động vì trẻ em — đang soạn ở thẻ này")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    drafts.screenshot(path=str(SCREENSHOTS / "11-open-drafts.png"))

    # The list opens the other tab's draft in a third tab.
    href = drafts.get_by_role("link", name="Kế hoạch phòng, chống đuối nước").get_attribute("href")
    third = page.context.new_page()
    third.goto(server + href)
    expect(field(third, "subject")).to_have_value("Kế hoạch phòng, chống đuối nước")
    stored = page.evaluate(
        "Object.keys(localStorage).filter(k => k.startsWith('vb-draft:ke_hoach:')).length"
    )
    assert stored == 2


def test_rows_pasted_from_a_spreadsheet_fill_the_table(server: str, unit: str, page: Any) -> None:
    page.goto(f"{server}/van-ban/bao_cao?unit={unit}")
    field(page, "subject").fill("Kết quả công tác trẻ em 6 tháng đầu năm 2026")
    add(page, "body", "block-indicators")
    add(page, "body.0.rows", "part-indicator_row")
    paste(page, "body.0.rows.0.name", SPREADSHEET)

    expect(page.locator('[data-key="body.0.rows"] tbody > tr[data-item]')).to_have_count(4)
    expect(field(page, "body.0.rows.0.name")).to_have_value("Trẻ em được khám sức khỏe")
    expect(field(page, "body.0.rows.0.plan")).to_have_value("1.200")
    expect(field(page, "body.0.rows.1.note")).to_have_value("Hè 2026 ở hồ xã")
    expect(field(page, "body.0.rows.3.unit")).to_have_value("hộ")
    expect(field(page, "body.0.rows.3.achieved")).to_have_value("2.610")
    # A value pasted into one cell stays an ordinary paste.
    paste(page, "body.0.rows.2.note", "Đủ")
    expect(field(page, "body.0.rows.2.note")).to_have_value("")
    page.locator('[data-key="body.0"] > details.options > summary').click()
    field(page, "body.0.total").check()
    table = page.locator('fieldset[data-key="body.0.rows"]')
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    table.screenshot(path=str(SCREENSHOTS / "11-indicator-table-pasted.png"))

    preview(page)
    wait_for_preview_image(page)
    expect(page.locator(".error")).to_have_count(0)
    _, pdf = download(page, "Tải PDF")
    rows = pdf_table_rows(pdf)
    assert ["1", "Trẻ em được khám sức khỏe", "trẻ", "1.200", "1.150", "95,8", ""] in rows
    assert ["2", "Trẻ em được học bơi", "trẻ", "300", "240", "80,0", "Hè 2026 ở hồ xã"] in rows
    assert ["4", "Hộ gia đình được tuyên truyền", "hộ", "2.500", "2.610", "104,4", "Vượt"] in rows
    assert ["", "Tổng cộng", "", "4.012", "4.012", "100,0", ""] in rows
