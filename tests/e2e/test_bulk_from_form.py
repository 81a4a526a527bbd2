"""A văn thư starts a district-wide job from a filled form in Chromium, with `{ten_xa}` in the
intro, and reads each commune's own name in its PDF; a bad table shows all its problems."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from service.bulk.communes import commune_table
from service.bulk.table import Table, write_csv
from tests.conftest import bulk_base
from tests.e2e.clerk import (
    UNIT,
    create_unit_over_http,
    download,
    field,
    preview,
    staff_over_http,
    wait_for_preview_image,
)
from tests.e2e.conftest import logged_in_page, screenshot

pytestmark = pytest.mark.integration

SLUG = "ubnd-xa-y-tich-hang-loat"
CLERK, PASSWORD = "vanthu-hang-loat", "mat-khau-van-thu-hang-loat"
COLUMNS = ["commune", "issuer.parent_agency", "issuer.agency", "issuer.agency_short",
           "issuer.place"]
FOUR_PROBLEMS = (
    "commune,issuer.agency,date.day,number,ghi_chu_sai\n"
    "Xã An Lạc,Ủy ban nhân dân xã An Lạc,3,4,x\n"
    "Xã Bình Minh,Ủy ban nhân dân xã Bình Minh,45,ba,x\n"
    "Xã Cao Sơn,Ủy ban nhân dân xã Cao Sơn,5,6,x\n"
    "xã  an lạc,Ủy ban nhân dân xã An Lạc,7,8,x\n"
)


@pytest.fixture(scope="module")
def clerk(server: str) -> str:
    """A văn thư of a commune, made by the administrator on the pages, password set."""
    create_unit_over_http(server, {**UNIT, "slug": SLUG})
    staff_over_http(server, CLERK, PASSWORD, "van_thu", SLUG)
    return CLERK


@pytest.fixture()
def tab(browser: Any, server: str, clerk: str) -> Iterator[Any]:
    """A fresh page logged in as the văn thư."""
    with logged_in_page(browser, server, clerk, PASSWORD, timeout_ms=90_000) as page:
        yield page


def pdf_body(pdf: bytes) -> str:
    """A PDF's text (pdfplumber), whitespace collapsed."""
    import pdfplumber

    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return " ".join(" ".join((p.extract_text() or "") for p in document.pages).split())


def test_a_district_job_from_a_filled_form_names_each_commune(
    server: str, tab: Any, tmp_path: Path
) -> None:
    tab.goto(server + "/van-ban/ke_hoach")
    expect(field(tab, "issuer.agency")).to_have_value("Ủy ban nhân dân xã Y Tịch")
    field(tab, "subject").fill("Xây dựng xã phù hợp với trẻ em năm 2026")
    field(tab, "intro").fill("UBND {ten_xa} xây dựng kế hoạch với nội dung cụ thể như sau:")
    tab.locator('[data-list][data-key="body"] > .add > button[data-add="block-section"]').click()
    field(tab, "body.0.title").fill("Mục đích")
    field(tab, "body.0.body_text").fill("Giữ vững tiêu chuẩn xã phù hợp với trẻ em.")
    preview(tab)
    wait_for_preview_image(tab)
    screenshot(tab, "bulk-from-form-preview")
    _, own = download(tab, "Tải PDF")  # the unit's own copy: {ten_xa} from its profile
    assert "UBND xã Y Tịch xây dựng kế hoạch với nội dung cụ thể như sau:" in pdf_body(own)
    tab.get_by_role("link", name="Tạo hàng loạt từ văn bản này").click()
    expect(tab.locator("#goc-da-chon")).to_contain_text(
        "Xây dựng xã phù hợp với trẻ em năm 2026 (văn bản vừa soạn)")

    communes = commune_table("Lạng Sơn").rows[:15]
    table = tmp_path / "xa-lang-son.csv"
    table.write_bytes(write_csv(Table(COLUMNS, communes)))
    tab.locator("#table").set_input_files(str(table))
    tab.get_by_role("button", name="Tạo hàng loạt", exact=True).click()
    tab.wait_for_url(re.compile(r".*/jobs/[0-9a-f-]+$"))
    zip_link = tab.get_by_role("link", name="Tải ZIP tất cả")
    expect(tab.locator('[data-k="state_label"]')).to_have_text("xong", timeout=300_000)
    expect(zip_link).not_to_have_attribute("aria-disabled", "true")
    expect(tab.locator("#cac-dong tbody tr")).to_have_count(15)
    screenshot(tab, "bulk-job-page")
    links = tab.locator("#cac-dong tbody tr td:nth-child(4) a:first-child")
    for row, commune in enumerate(communes):
        href = links.nth(row).get_attribute("href")
        assert href and href.endswith(f"/rows/{row + 1}.pdf")
        answer = tab.request.get(server + href)
        assert answer.status == 200
        text = pdf_body(answer.body())
        kind, _, place = str(commune["commune"]).partition(" ")
        assert f"UBND {kind.lower()} {place} xây dựng kế hoạch" in text, (commune, text[:600])
        assert "Y Tịch" not in text


def test_a_table_with_four_problems_shows_them_all_and_keeps_the_files(
    server: str, tab: Any, tmp_path: Path
) -> None:
    table = tmp_path / "xa.csv"
    table.write_text(FOUR_PROBLEMS, encoding="utf-8")
    # The seed naming its commune by {ten_xa}, as a base for other communes must.
    base = tmp_path / "seed_000_ke_hoach_y_tich.json"
    base.write_text(json.dumps(bulk_base(base.stem), ensure_ascii=False), encoding="utf-8")
    tab.goto(server + "/jobs")
    tab.locator("#base").set_input_files(str(base))
    tab.locator("#table").set_input_files(str(table))
    tab.get_by_role("button", name="Tạo hàng loạt", exact=True).click()
    report = tab.locator("#bao-cao")
    expect(report).to_contain_text("4 dòng, 2 dòng hợp lệ, 1 cột không nhận ra; 4 lỗi.")
    lines = tab.locator("#cac-loi tbody tr")
    expect(lines).to_have_count(4)
    shown = [[c.strip() for c in lines.nth(i).locator("td").all_inner_texts()[:3]]
             for i in range(4)]
    assert shown == [["1", "ghi_chu_sai", ""], ["3", "date.day", "45"], ["3", "number", "ba"],
                     ["5", "commune", "xã an lạc"]]
    expect(tab.locator("#goc-da-chon")).to_contain_text("seed_000_ke_hoach_y_tich.json")
    expect(tab.locator("#bang-da-chon")).to_contain_text("xa.csv")
    screenshot(tab, "bulk-report")

    # The clerk fixes only the table; the base is not picked again.
    fixed = FOUR_PROBLEMS.replace(",ghi_chu_sai", "").replace(",x\n", "\n")
    table.write_text(fixed.replace(",45,ba", ",15,9"), encoding="utf-8")
    tab.locator("#table").set_input_files(str(table))
    tab.get_by_label("Vẫn chạy các dòng hợp lệ").check()
    tab.get_by_role("button", name="Tạo hàng loạt", exact=True).click()
    tab.wait_for_url(re.compile(r".*/jobs/[0-9a-f-]+$"))
    expect(tab.locator('[data-k="state_label"]')).to_have_text("xong", timeout=300_000)
    rows = tab.locator("#cac-dong tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.nth(3)).to_contain_text("lỗi")
    expect(rows.nth(3)).to_contain_text(
        "dòng 5 của bảng: Xã/phường 'xã an lạc' trùng với dòng 2; dòng này không được tạo")
    expect(tab.locator("#cac-dong a", has_text=".pdf")).to_have_count(3)
    screenshot(tab, "bulk-job-duplicate")
