"""On a 390 px wide phone no page a clerk uses scrolls sideways: a form's tables scroll in their
own box, list rows stack with each value named, and required inputs carry their mark."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from service.core.definitions import load_catalog
from tests.conftest import bulk_base, load_sample
from tests.e2e.clerk import add, field, preview, van_thu_page, wait_for_preview_image
from tests.e2e.conftest import PHONE, logged_in_page, own_server, screenshot
from tests.helpers import PASSPHRASE, Authority, seal_png
from tests.integration import calls

pytestmark = pytest.mark.integration
SLUG = "dien-thoai-y-tich"
PLAN = "seed_000_ke_hoach_y_tich"
CLERK, CLERK_PASSWORD = "vanthu-dien-thoai", "mat-khau-van-thu-dien-thoai"
PORT, POOL_BASE_PORT = 3539, 3520  # this suite's ports: the service, then its unoserver pool
FORMS = [f"/van-ban/{type_id}" for type_id in sorted(load_catalog().types)]
# The cells of stacked list rows that do not show their column's name: [column, label, shown].
UNNAMED_CELLS = """() => [...document.querySelectorAll('table.units')].flatMap(table => {
  const names = [...table.querySelectorAll('thead th')].map(th => th.textContent.trim());
  return [...table.querySelectorAll('tbody tr')].flatMap(row => [...row.cells].map((cell, i) =>
    [names[i], cell.dataset.label, getComputedStyle(cell, '::before').content]))
    .filter(([name, label, shown]) => label !== name || shown === 'none');
})"""

server = own_server(PORT, POOL_BASE_PORT)


@pytest.fixture(scope="module")
def van_thu(server: str, browser: Any) -> Iterator[Any]:
    """A văn thư of a Y Tịch unit on her phone."""
    with van_thu_page(server, browser, SLUG, CLERK, CLERK_PASSWORD) as clerk:
        clerk.set_viewport_size(PHONE)
        yield clerk


@pytest.fixture(scope="module")
def records(server: str, van_thu: Any) -> dict[str, str]:
    """Her unit's issued entry, draft and bulk job, made over her own session: their ids."""
    http = calls.session_of(server, CLERK, CLERK_PASSWORD, csrf=True)
    plan = load_sample(PLAN)
    made = {
        "entry": http.post(f"{server}/api/register/issue/ke_hoach?unit={SLUG}", json=plan),
        "draft": http.post(f"{server}/api/drafts",
                           json={"doc_type": "ke_hoach", "unit": SLUG, "document": plan}),
        "job": http.post(f"{server}/api/jobs", json={"base": bulk_base(PLAN), "rows": [
            {"commune": "Xã Thất Khê", "issuer.agency": "Ủy ban nhân dân xã Thất Khê"}]}),
    }
    for answer in made.values():
        assert answer.status_code in (201, 202), answer.text[:2000]
    return {name: str(answer.json()["id"]) for name, answer in made.items()}


def too_wide(page: Any, server: str, paths: list[str]) -> dict[str, int]:
    """The pages among `paths` wider than the phone, with their width."""
    wide = {}
    for path in paths:
        page.goto(server + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            wide[path] = width
    return wide


def unnamed_cells(page: Any, server: str, paths: list[str]) -> dict[str, list[Any]]:
    """The list rows' cells that do not show their column's name, by page."""
    found = {}
    for path in paths:
        page.goto(server + path)
        page.locator("table.units tbody tr").first.wait_for()
        if cells := page.evaluate(UNNAMED_CELLS):
            found[path] = cells
    return found


def test_the_log_in_page_fits_a_phone_and_speaks_to_all_staff(server: str, browser: Any) -> None:
    context = browser.new_context(viewport=PHONE, locale="vi-VN")
    try:
        page = context.new_page()
        assert too_wide(page, server, ["/dang-nhap"]) == {}
        expect(page.locator("p.lead")).to_contain_text("văn thư, lãnh đạo và quản trị")
        expect(page.get_by_label("Tên đăng nhập")).to_be_visible()
        screenshot(page, "phone-login")
    finally:
        context.close()


def test_a_clerks_pages_fit_a_phone(server: str, van_thu: Any, records: dict[str, str]) -> None:
    entry, draft, job = records["entry"], records["draft"], records["job"]
    lists = ["/so-van-ban-di", f"/so-van-ban-di/{entry}", "/du-thao", "/jobs", f"/jobs/{job}"]
    pages = [*lists, "/", f"/so-van-ban-di/{entry}/sao", f"/du-thao/{draft}", "/cho-phat-hanh",
             "/kiem-tra-chu-ky", "/doi-mat-khau", *FORMS, f"/van-ban/ke_hoach?du_thao={draft}"]
    assert too_wide(van_thu, server, pages) == {}
    assert unnamed_cells(van_thu, server, lists) == {}
    van_thu.goto(server + "/so-van-ban-di")
    screenshot(van_thu, "phone-register")


def test_the_bulk_form_with_a_table_and_its_report_fits_a_phone(
    van_thu: Any, server: str, tmp_path: Path
) -> None:
    base, table = tmp_path / "goc.json", tmp_path / "xa.csv"
    base.write_text(json.dumps(bulk_base(PLAN), ensure_ascii=False), encoding="utf-8")
    # A refused table: the report lists each problem by row and column beside the kept files.
    table.write_text("commune,issuer.agency,date.day,ghi_chu_sai\n"
                     "Xã An Lạc,Ủy ban nhân dân xã An Lạc,45,x\n", encoding="utf-8")
    van_thu.goto(server + "/jobs")
    van_thu.locator("#base").set_input_files(str(base))
    van_thu.locator("#table").set_input_files(str(table))
    van_thu.get_by_role("button", name="Tạo hàng loạt", exact=True).click()
    expect(van_thu.locator("#cac-loi tbody tr")).to_have_count(2)
    # The unknown column's problem has no cell value: its card leaves "Giá trị:" out.
    empty = van_thu.locator('#cac-loi td[data-label="Giá trị"]:empty')
    expect(empty).to_have_count(1)
    expect(empty).to_be_hidden()
    expect(van_thu.locator("#bang-da-chon")).to_contain_text("xa.csv")
    assert van_thu.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(van_thu, "phone-bulk-form-table")


def test_the_admin_pages_fit_a_phone(server: str, browser: Any, van_thu: Any) -> None:
    with calls.services_at(server) as services:  # the unit's page then describes its key too
        services.unit_keys.install("tests", SLUG, Authority.make().issue(
            "Ủy ban nhân dân xã Y Tịch (điện thoại)", organization="UBND tỉnh Lạng Sơn"),
            PASSPHRASE, seal_png())
    lists = ["/quan-tri/tai-khoan", "/quan-tri/khoa-api", "/don-vi"]
    pages = [*lists, "/quan-tri/tai-khoan/moi", f"/quan-tri/tai-khoan/{CLERK}",
             "/quan-tri/khoa-api/moi", "/don-vi/moi", f"/don-vi/{SLUG}"]
    with logged_in_page(browser, server) as admin:
        admin.set_viewport_size(PHONE)
        assert too_wide(admin, server, pages) == {}
        assert unnamed_cells(admin, server, lists) == {}
        admin.goto(f"{server}/don-vi/{SLUG}")
        expect(admin.locator("#khoa-da-cai")).to_contain_text("UBND tỉnh Lạng Sơn")


def test_a_form_with_tables_fits_a_phone_and_marks_what_is_required(
    server: str, browser: Any, van_thu: Any
) -> None:
    with logged_in_page(browser, server, CLERK, CLERK_PASSWORD) as page:  # no draft kept yet
        page.set_viewport_size(PHONE)
        fill_a_plan_with_tables(page, server)


def fill_a_plan_with_tables(page: Any, server: str) -> None:
    """Check the marks, add a table of each kind with a row, check the widths, preview."""
    page.goto(f"{server}/van-ban/giay_moi?unit={SLUG}")
    expect(page.locator('label[for="f-time.hour"] abbr.req')).to_be_visible()
    expect(field(page, "time.hour")).to_have_attribute("required", "")
    # A blank minute is on the hour, in the form as in the API: not marked.
    expect(page.locator('label[for="f-time.minute"] abbr.req')).to_have_count(0)

    page.goto(f"{server}/van-ban/ke_hoach?unit={SLUG}")
    field(page, "subject").fill("Phòng, chống đuối nước cho trẻ em dịp hè năm 2026")
    add(page, "body", "block-assignments")
    add(page, "body.0.rows", "part-assignment_row")
    field(page, "body.0.rows.0.task").fill("Tuyên truyền kỹ năng an toàn khi bơi")
    field(page, "body.0.rows.0.lead").fill("Trạm Y tế xã")
    add(page, "body", "block-indicators")
    add(page, "body.1.rows", "part-indicator_row")
    field(page, "body.1.rows.0.name").fill("Trẻ em được học bơi")
    expect(page.locator("table.grid th.col-task abbr.req")).to_be_visible()
    expect(field(page, "body.0.rows.0.task")).to_have_attribute("required", "")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    boxes = page.eval_on_selector_all(
        ".grid-wrap", "boxes => boxes.map(b => [b.scrollWidth > b.clientWidth, b.clientWidth])")
    assert boxes and all(scrolls and width <= PHONE["width"] for scrolls, width in boxes), boxes
    screenshot(page, "phone-form-with-table")

    preview(page)
    wait_for_preview_image(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
