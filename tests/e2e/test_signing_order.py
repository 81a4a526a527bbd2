"""Decree 30's order in Chromium: drafted and submitted by a chuyên viên, signed by the lãnh đạo
with their own certificate (downloaded, signed, uploaded), issued and sealed by the văn thư."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path
from typing import Any

import pdfplumber
import pytest
from playwright.sync_api import expect

from service.core.documents import DocumentService
from service.core.signing import load_signer, sign_field
from service.usecases.drafting import for_signature
from tests.e2e.clerk import UNIT, add, create_unit_over_http, download, field, staff_over_http
from tests.e2e.conftest import SCREENSHOTS, logged_in_page, screenshot
from tests.helpers import PASSPHRASE, Authority, seal_png
from tests.integration import calls

pytestmark = pytest.mark.integration
SLUG = "ky-so-y-tich"
PASSWORD = "mat-khau-trinh-ky"
SUBJECT = "Tuyên truyền phòng, chống cháy rừng mùa khô"
LEADER_NAME = UNIT["signer.name"]


def test_drafted_submitted_signed_and_issued_in_the_browser(
    server: str, browser: Any, tmp_path: Path
) -> None:
    create_unit_over_http(server, {**UNIT, "slug": SLUG})
    for username, role in (("lan.cv", "chuyen_vien"), ("son.ld", "lanh_dao"),
                           ("thu.vt", "van_thu")):
        staff_over_http(server, username, PASSWORD, role, SLUG)
    ca = Authority.make()
    with calls.services_at(server) as services:
        services.keys.install(SLUG, ca.issue("Ủy ban nhân dân xã Y Tịch"), PASSPHRASE,
                              seal_png())

    with logged_in_page(browser, server, "lan.cv", PASSWORD) as drafter:
        drafter.goto(f"{server}/van-ban/ke_hoach?unit={SLUG}")
        field(drafter, "subject").fill(SUBJECT)
        add(drafter, "body", "block-section")
        field(drafter, "body.0.title").fill("Mục đích, yêu cầu")
        field(drafter, "body.0.body_text").fill("Không để xảy ra cháy rừng trên địa bàn xã.")
        with drafter.expect_navigation():
            drafter.get_by_role("button", name="Lưu dự thảo").click()
        expect(drafter.get_by_role("status").first).to_contain_text("Đã lưu dự thảo #")
        draft_url = drafter.url.split("#")[0]  # the form posts to its #xem-truoc anchor
        drafter.get_by_label("Trình lãnh đạo ký").select_option("son.ld")
        drafter.get_by_label("Ghi chú cho người ký").fill("Kính trình đồng chí Chủ tịch.")
        with drafter.expect_navigation():
            drafter.get_by_role("button", name="Trình ký", exact=True).click()
        expect(drafter.get_by_role("status").first).to_contain_text("Đã trình ký.")
        expect(drafter.locator("p.lead")).to_contain_text("Chờ ký")
        screenshot(drafter, "20-draft-submitted")

    with logged_in_page(browser, server, "son.ld", PASSWORD) as leader:
        waiting = leader.get_by_role("link", name=re.compile("^Văn bản chờ ký"))
        expect(waiting).to_contain_text("1")
        waiting.click()
        leader.get_by_role("link", name=SUBJECT).click()
        leader.wait_for_url(draft_url + "*")
        expect(leader.get_by_alt_text("Trang 1")).to_be_visible()
        leader.wait_for_function(
            "() => [...document.images].every(i => i.complete && i.naturalWidth > 0)"
        )
        screenshot(leader, "21-leader-reads-the-pages")
        _, prepared = download(leader, "Tải PDF chuẩn bị để ký")
        document = DocumentService().load("ke_hoach", for_signature({
            **_document_of(server, draft_url)}))
        signed = sign_field(prepared, signer=load_signer(ca.issue(LEADER_NAME), PASSPHRASE),
                            field=document.signer_field)
        upload = tmp_path / "da-ky.pdf"
        upload.write_bytes(signed)
        leader.get_by_label(re.compile("^Tệp PDF đã ký số")).set_input_files(str(upload))
        with leader.expect_navigation():
            leader.get_by_role("button", name="Tải lên bản đã ký số").click()
        expect(leader.get_by_role("status").first).to_contain_text("Đã nhận chữ ký số.")
        expect(leader.locator("dl.entry")).to_contain_text(f"Ký số: {LEADER_NAME}")
        screenshot(leader, "22-leader-signed")

    with logged_in_page(browser, server, "thu.vt", PASSWORD) as clerk:
        queue = clerk.get_by_role("link", name=re.compile("^Chờ phát hành"))
        expect(queue).to_contain_text("1")
        queue.click()
        clerk.get_by_role("link", name=SUBJECT).click()
        clerk.get_by_role("link", name=re.compile("^Phát hành")).click()
        number = clerk.locator("#so-se-cap").inner_text()
        assert re.fullmatch(r"\d\d", number), number
        screenshot(clerk, "23-vanthu-confirms")
        with clerk.expect_navigation():
            clerk.get_by_role("button", name=f"Xác nhận phát hành số {number}").click()
        expect(clerk.get_by_role("status").first).to_contain_text(
            f"Đã phát hành: Số: {number}/KH-UBND.")
        screenshot(clerk, "24-issued-entry")
        _, issued = download(clerk, "Tải PDF")
        assert issued.startswith(signed)
        path = SCREENSHOTS / "24-issued.pdf"  # kept beside the screenshots, to look at
        path.write_bytes(issued)
        report = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
        assert report.count("Signature Validation: Signature is Valid.") == 2, report
        with pdfplumber.open(io.BytesIO(issued)) as pdf:
            first_page = pdf.pages[0].extract_text()
        text = subprocess.run(["pdftotext", "-layout", "-l", "1", str(path), "-"],
                              capture_output=True, text=True, check=True).stdout
        assert f"Số: {number}" in " ".join(text.split()), first_page[:400]

        clerk.get_by_role("link", name="Kiểm tra chữ ký số").click()
        clerk.get_by_label(re.compile("^Tệp PDF")).set_input_files(str(path))
        with clerk.expect_navigation():
            clerk.get_by_role("button", name="Kiểm tra").click()
        results = clerk.locator("ol.signatures > li")
        expect(results).to_have_count(2)
        expect(results.nth(0)).to_contain_text(LEADER_NAME)
        expect(results.nth(1)).to_contain_text("Ủy ban nhân dân xã Y Tịch")
        expect(results.nth(1)).to_contain_text("Chữ ký hợp lệ, tệp còn nguyên vẹn như khi ký.")
        screenshot(clerk, "25-verify-page")


def _document_of(server: str, draft_url: str) -> dict[str, Any]:
    """The draft's document as the API gives it (the test key sees every unit)."""
    draft_id = draft_url.rstrip("/").rsplit("/", 1)[-1]
    answer = calls.get(f"{server}/api/drafts/{draft_id}", timeout=30)
    assert answer.status_code == 200, answer.text
    document: dict[str, Any] = answer.json()["document"]
    return document
