"""The quản trị installs a unit's signing key on the unit's page in Chromium: a wrong passphrase
is named and replaces nothing, the right one shows the certificate and the seal, on a desktop
and on a phone, and the key is removed after a confirmation."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from service.usecases.unit_keys import NOT_OPENED
from tests.e2e.clerk import UNIT, create_unit_over_http
from tests.e2e.conftest import PHONE, logged_in_page, screenshot
from tests.helpers import DAY, NOW, PASSPHRASE, Authority, seal_png

pytestmark = pytest.mark.integration
SLUG = "khoa-y-tich"
AGENCY = UNIT["issuer.agency"]
WIDE = {"width": 1280, "height": 900}


def facts(page: Any) -> dict[str, str]:
    """The installed key's description as the page shows it: term → text."""
    pairs = page.eval_on_selector_all(
        "#khoa-da-cai dt", "terms => terms.map(t => [t.textContent.trim(), "
        "t.nextElementSibling.textContent.replace(/\\s+/g, ' ').trim()])")
    return dict(pairs)


def test_a_key_installed_on_the_units_page_is_described_there(
    server: str, browser: Any, tmp_path: Path
) -> None:
    create_unit_over_http(server, {**UNIT, "slug": SLUG})
    (tmp_path / "khoa.p12").write_bytes(Authority.make("CA thử nghiệm").issue(
        AGENCY, serial=0x5EA1, organization="UBND tỉnh Lạng Sơn", end=NOW + 400 * DAY))
    (tmp_path / "con-dau.png").write_bytes(seal_png())

    with logged_in_page(browser, server, accept_dialogs=True) as admin:
        admin.set_viewport_size(WIDE)
        admin.goto(f"{server}/don-vi/{SLUG}")
        section = admin.locator("#khoa-ky-so")
        expect(section).to_contain_text("Đơn vị chưa có khóa ký số")
        admin.get_by_label("Tệp khóa ký số").set_input_files(tmp_path / "khoa.p12")
        admin.get_by_label("Mật khẩu của tệp khóa").fill("sai-mat-khau")
        with admin.expect_navigation():
            admin.get_by_role("button", name="Cài khóa").click()
        expect(admin.locator("#loi-khoa")).to_contain_text("Chưa cài được khóa: cần sửa 1 chỗ")
        expect(admin.locator("#loi-khoa")).to_be_in_viewport()  # not above, at the form's top
        expect(admin.locator("#pkcs12-loi")).to_have_text(NOT_OPENED)
        expect(section).to_contain_text("Đơn vị chưa có khóa ký số")

        admin.get_by_label("Tệp khóa ký số").set_input_files(tmp_path / "khoa.p12")
        admin.get_by_label("Mật khẩu của tệp khóa").fill(PASSPHRASE.decode())
        admin.get_by_label("Ảnh con dấu").set_input_files(tmp_path / "con-dau.png")
        with admin.expect_navigation():
            admin.get_by_role("button", name="Cài khóa").click()
        expect(admin.get_by_role("status").first).to_contain_text(
            f"Đã cài khóa ký số “{AGENCY}” cho đơn vị.")
        shown = facts(admin)
        assert list(shown) == ["Chủ thể (CN)", "Tổ chức (O)", "Tổ chức cấp", "Số sê-ri",
                               "Có hiệu lực từ", "Đến", "Con dấu"]
        assert [shown[k] for k in list(shown)[:4]] == [
            AGENCY, "UBND tỉnh Lạng Sơn", "CA thử nghiệm", "5EA1"]
        assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", shown["Đến"]), shown["Đến"]
        seal = admin.get_by_alt_text("Ảnh con dấu của đơn vị")
        expect(seal).to_be_visible()
        assert seal.evaluate("img => img.complete && img.naturalWidth") == 300
        section.scroll_into_view_if_needed()
        screenshot(admin, "unit-key-1280")

        admin.set_viewport_size(PHONE)
        admin.reload()
        assert admin.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        screenshot(admin, "unit-key-390")

        admin.set_viewport_size(WIDE)
        with admin.expect_navigation():
            admin.get_by_role("button", name="Gỡ khóa ký số").click()
        expect(admin.get_by_role("status").first).to_contain_text(
            "Đã gỡ khóa ký số và ảnh con dấu của đơn vị.")
        expect(section).to_contain_text("Đơn vị chưa có khóa ký số")
