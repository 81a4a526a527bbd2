"""A clerk makes a plan in Chromium: unit profile, sections, tasks, an error, preview, PDF."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from service.core.clock import today_in_vietnam
from tests.conftest import docx_text, normalise
from tests.e2e.clerk import (
    add,
    create_unit_over_http,
    download,
    error_of,
    field,
    item_button,
    pdf_table_rows,
    preview,
    wait_for_preview_image,
)
from tests.e2e.conftest import PHONE, log_in, screenshot
from tests.integration.test_documents_pdf import pdf_text

pytestmark = pytest.mark.integration

SUBJECT = "Triển khai công tác phòng, chống đuối nước cho trẻ em năm 2026"
TASKS = [
    ("Tuyên truyền trên hệ thống loa truyền thanh của xã", "Công chức Văn hóa – Xã hội"),
    ("Rà soát các điểm nước sâu, cắm biển cảnh báo", "Công an xã"),
    ("Tổ chức lớp dạy bơi an toàn cho trẻ em", "Đoàn Thanh niên xã"),
]


@pytest.fixture(scope="module")
def unit(server: str) -> str:
    """The commune's unit profile, set once as an office does."""
    create_unit_over_http(server)
    return "ubnd-xa-y-tich"


def test_unit_profile_page_validates_and_lists(server: str, unit: str, page: Any) -> None:
    page.goto(server + "/don-vi")
    # Other suites add units of the same commune: this one is found by its address.
    link = page.locator(f'a[href="/don-vi/{unit}"]')
    expect(link).to_have_text("Ủy ban nhân dân xã Y Tịch")
    link.click()
    expect(field(page, "issuer.agency")).to_have_value("Ủy ban nhân dân xã Y Tịch")
    page.get_by_label("Chữ viết tắt tên cơ quan").fill("UB ND")
    page.get_by_role("button", name="Lưu hồ sơ").click()
    expect(error_of(page, "issuer.agency_code")).to_contain_text("Chỉ gồm chữ cái và chữ số")
    screenshot(page, "02-unit-profile-error")
    page.get_by_label("Chữ viết tắt tên cơ quan").fill("UBND")
    page.get_by_role("button", name="Lưu hồ sơ").click()
    expect(page.get_by_role("status")).to_contain_text("Đã lưu hồ sơ đơn vị")
    screenshot(page, "02-unit-profiles")


def test_plan_with_two_sections_and_three_tasks(server: str, unit: str, page: Any) -> None:
    today = today_in_vietnam()
    page.goto(f"{server}/?unit={unit}")  # other suites add units of their own
    expect(page.get_by_role("heading", name="Chọn loại văn bản")).to_be_visible()
    screenshot(page, "01-start")
    page.get_by_role("link", name="Kế hoạch", exact=True).click()
    expect(page.get_by_role("heading", name="Soạn kế hoạch")).to_be_visible()
    # The unit profile prefilled the issuer and the signer; today is the date.
    expect(field(page, "issuer.agency")).to_have_value("Ủy ban nhân dân xã Y Tịch")
    expect(field(page, "signer.name")).to_have_value("Vương Văn Sơn")
    expect(field(page, "date.year")).to_have_value(str(today.year))

    field(page, "subject").fill(SUBJECT)
    field(page, "date.day").fill("")  # left blank, written by hand when signed
    field(page, "intro").fill("UBND xã xây dựng kế hoạch với nội dung cụ thể như sau:")
    # Sections added out of order, one too many: move and remove as a clerk would.
    add(page, "body", "block-section")
    field(page, "body.0.title").fill("Tổ chức thực hiện")
    field(page, "body.0.body_text").fill("Các ban, ngành thực hiện theo bảng phân công dưới đây.")
    add(page, "body", "block-section")
    field(page, "body.1.title").fill("Phần thừa")
    add(page, "body", "block-section")
    field(page, "body.2.title").fill("Mục đích, yêu cầu")
    field(page, "body.2.body_text").fill(
        "+ Mục đích\nNâng cao **nhận thức** của cha mẹ và cộng đồng.\n"
        "+ Yêu cầu\n- Bảo đảm *đúng tiến độ*.\n- Phối hợp chặt chẽ."
    )
    item_button(page, "body.1", "remove").click()
    item_button(page, "body.1", "up").click()  # "Mục đích, yêu cầu" first
    expect(field(page, "body.0.title")).to_have_value("Mục đích, yêu cầu")
    expect(field(page, "body.1.title")).to_have_value("Tổ chức thực hiện")

    add(page, "body", "block-assignments")
    for index, (task, lead) in enumerate(TASKS):
        add(page, "body.2.rows", "part-assignment_row")
        field(page, f"body.2.rows.{index}.task").fill(task)
        if index < 2:
            field(page, f"body.2.rows.{index}.lead").fill(lead)
    field(page, "body.2.rows.1.deadline").fill("Tháng 5/2026")

    preview(page)  # the third task has no lead
    expect(error_of(page, "body.2.rows.2.lead")).to_have_text("Không được để trống.")
    expect(page.locator("#loi")).to_contain_text(
        "Bảng phân công nhiệm vụ 3 › Các nhiệm vụ › Nhiệm vụ 3 › Cơ quan chủ trì"
    )
    expect(field(page, "body.2.rows.2.task")).to_have_value(TASKS[2][0])  # nothing lost
    screenshot(page, "03-plan-error")

    # A reload (a fresh GET) restores the draft kept in the browser.
    page.goto(server + "/van-ban/ke_hoach")
    expect(page.get_by_text("Đã khôi phục bản nháp")).to_be_visible()
    expect(field(page, "subject")).to_have_value(SUBJECT)
    expect(field(page, "body.2.rows.2.task")).to_have_value(TASKS[2][0])

    field(page, "body.2.rows.2.lead").fill(TASKS[2][1])
    preview(page)
    wait_for_preview_image(page)
    expect(page.locator(".error")).to_have_count(0)
    screenshot(page, "04-plan-preview")

    name, pdf = download(page, "Tải PDF")
    assert name == f"KH-UBND-{today.year}-xa-y-tich.pdf"
    text = normalise(pdf_text(pdf))
    assert "ỦY BAN NHÂN DÂN XÃ Y TỊCH" in text and "UBND HUYỆN CHI LĂNG" in text
    date_line = rf"Y Tịch, ngày\s+tháng {today.month:02d} năm {today.year}"
    assert re.search(date_line, pdf_text(pdf, layout=True))
    assert SUBJECT in text
    assert text.index("I. MỤC ĐÍCH, YÊU CẦU") < text.index("II. TỔ CHỨC THỰC HIỆN")
    assert "1. Mục đích" in text and "- Bảo đảm đúng tiến độ" in text
    assert "Phần thừa" not in text
    rows = pdf_table_rows(pdf)
    assert rows[0][:3] == ["STT", "Nội dung nhiệm vụ", "Cơ quan chủ trì"]
    for number, (task, lead) in enumerate(TASKS, start=1):
        assert [str(number), task, lead] in [row[:3] for row in rows]
    assert any(row[4] == "Tháng 5/2026" for row in rows)
    assert text.index("CHỦ TỊCH") < text.index("Vương Văn Sơn")
    assert "Phòng LĐTBXH&DT (B/c)" in text and "Lưu: VT" in text

    docx_name, docx = download(page, "Tải DOCX")
    assert docx_name == f"KH-UBND-{today.year}-xa-y-tich.docx"
    assert SUBJECT in docx_text(docx)


def test_phone_width_form(server: str, unit: str, browser: Any) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        phone = context.new_page()
        log_in(phone, server)
        phone.goto(server + "/van-ban/ke_hoach")
        add(phone, "body", "block-section")
        field(phone, "body.0.title").fill("Mục đích, yêu cầu")
        expect(phone.get_by_role("button", name="Xem trước")).to_be_visible()
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the form scrolls sideways at 390 px: {width}"
        screenshot(phone, "06-phone-form")
    finally:
        context.close()


def test_keyboard_adds_and_labels_are_bound(server: str, unit: str, page: Any) -> None:
    page.goto(server + "/van-ban/ke_hoach")
    button = page.locator('[data-list][data-key="body"] > .add > button[data-add="block-section"]')
    button.focus()
    page.keyboard.press("Enter")
    # The new section's first input has the focus and a label bound to it.
    focused = page.evaluate("document.activeElement.name")
    assert focused == "body.0.title"
    page.keyboard.type("Mục đích")
    expect(page.get_by_label("Tên mục")).to_have_value("Mục đích")
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('#doc-form input:not([type=hidden]),'
                 + '#doc-form textarea, #doc-form select')]
              .filter(e => !e.labels || e.labels.length === 0).map(e => e.name)"""
    )
    assert unlabelled == []
