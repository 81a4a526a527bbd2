"""A văn thư issues from the preview and finds, opens and downloads the entry in the register."""

from __future__ import annotations

import io
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pdfplumber
import pytest
from playwright.sync_api import expect

from service.core.clock import today_in_vietnam
from tests.conftest import load_sample
from tests.e2e.clerk import add, download, field, preview, van_thu_page
from tests.e2e.clerk import wait_for_preview_image as wait_for_image
from tests.e2e.conftest import SCREENSHOTS, screenshot
from tests.integration import calls

pytestmark = pytest.mark.integration
SLUG = "so-di-y-tich"
CLERK, CLERK_PASSWORD = "vanthu-so-di", "mat-khau-van-thu-so-di"
SUBJECT = "Phòng, chống đuối nước cho trẻ em dịp hè năm 2026"


@pytest.fixture(scope="module")
def van_thu(server: str, browser: Any) -> Iterator[Any]:
    """A văn thư of Y Tịch, made by the quản trị on the account page, logged in on her own."""
    with van_thu_page(server, browser, SLUG, CLERK, CLERK_PASSWORD) as clerk:
        yield clerk


def test_issue_from_preview_find_without_accents_and_read_the_number(
    server: str, van_thu: Any
) -> None:
    page = van_thu
    year = today_in_vietnam().year
    expect(page.get_by_role("link", name="Sổ văn bản đi", exact=True)).to_be_visible()
    page.goto(f"{server}/van-ban/ke_hoach?unit={SLUG}")
    expect(field(page, "issuer.agency")).to_have_value("Ủy ban nhân dân xã Y Tịch")
    field(page, "subject").fill(SUBJECT)
    add(page, "body", "block-section")
    field(page, "body.0.title").fill("Mục đích, yêu cầu")
    field(page, "body.0.body_text").fill("Không để xảy ra trẻ em bị đuối nước trên địa bàn xã.")
    preview(page)
    wait_for_image(page)
    screenshot(page, "10-preview-issue")

    with page.expect_navigation():
        page.get_by_role("button", name="Phát hành", exact=True).click()
    expect(page.get_by_role("heading", name="Xác nhận phát hành")).to_be_visible()
    shown = page.locator("#so-se-cap").inner_text()
    found = re.fullmatch(r"Số: (\d\d)/KH-UBND", shown)
    assert found, shown
    number = found.group(1)
    screenshot(page, "11-register-confirm")
    page.get_by_label(re.compile("đã ký bản giấy của văn bản này$")).check()
    with page.expect_navigation():
        page.get_by_role("button", name=f"Xác nhận phát hành số {number}").click()
    expect(page.get_by_role("status")).to_contain_text(f"Đã phát hành văn bản Số: {number}/KH-UBND")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Kế hoạch số {number}/KH-UBND")

    # Later: the register, searched without accents as clerks type.
    page.get_by_role("link", name="Sổ văn bản đi", exact=True).click()
    page.get_by_label("Trích yếu").fill("duoi nuoc cho tre em dip he")
    with page.expect_navigation():
        page.get_by_role("button", name="Tìm", exact=True).click()
    expect(page.locator("caption")).to_have_text("Tìm thấy 1 văn bản")
    expect(page.get_by_role("link", name=f"{number}/KH-UBND")).to_be_visible()
    screenshot(page, "12-register-list")
    page.get_by_role("link", name=SUBJECT).click()
    expect(page.locator("dl.entry dt:text-is('Người phát hành') + dd")).to_have_text(CLERK)
    expect(page.locator("table.events")).to_contain_text("Ban hành, cấp số")
    screenshot(page, "13-register-entry")

    name, pdf = download(page, "Tải PDF")
    assert name == f"{number}-KH-UBND-{year}-xa-y-tich.pdf"
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        text = document.pages[0].extract_text()
    assert f"Số: {number}/KH-UBND" in text, text[:600]
    assert "PHÒNG, CHỐNG ĐUỐI NƯỚC CHO TRẺ EM" in text.upper()


def test_the_year_book_printed_from_the_register_page(server: str, van_thu: Any) -> None:
    page = van_thu
    year = today_in_vietnam().year
    http = calls.session_of(server, CLERK, CLERK_PASSWORD, csrf=True)
    subjects = [f"Kiểm tra an toàn hồ ao, sông suối đợt {n}" for n in range(1, 4)]
    for subject in subjects:
        answer = http.post(f"{server}/api/register/issue/ke_hoach?unit={SLUG}",
                           json={**load_sample("seed_000_ke_hoach_y_tich"), "subject": subject})
        assert answer.status_code == 201, answer.text[:2000]
    page.goto(f"{server}/so-van-ban-di")
    expect(page.get_by_role("button", name="Tải sổ (XLSX)")).to_be_visible()
    screenshot(page, "14-register-book-links")
    with page.expect_download() as info:
        page.get_by_role("button", name="Tải sổ (PDF)").click()
    assert info.value.suggested_filename == f"so-van-ban-di-{year}.pdf"
    pdf = Path(info.value.path()).read_bytes()
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        sizes = {(round(float(p.width)), round(float(p.height))) for p in document.pages}
        cover = document.pages[0].extract_text()
        rows = [[" ".join((c or "").split()) for c in row]
                for p in document.pages[1:] for row in p.extract_tables()[0]]
    assert sizes == {(1191, 842)}  # A3 landscape
    assert "SỔ ĐĂNG KÝ VĂN BẢN ĐI" in cover and f"Năm: {year}" in cover
    assert [row[2] for row in rows[-3:]] == [f"Kế hoạch: {s}" for s in subjects]
    # The cover and the first page of the book as the văn thư will print them.
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-l", "2", "-", str(SCREENSHOTS / "15-book")],
                   input=pdf, check=True)
