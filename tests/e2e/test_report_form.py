"""A clerk makes a report with an indicator table in Chromium: error, fix, preview, PDF."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from service.core.clock import today_in_vietnam
from tests.conftest import normalise
from tests.e2e.clerk import (
    add,
    create_unit_over_http,
    download,
    error_of,
    field,
    pdf_table_rows,
    preview,
    wait_for_preview_image,
)
from tests.e2e.conftest import screenshot
from tests.integration.test_documents_pdf import pdf_text

pytestmark = pytest.mark.integration

SUBJECT = "Kết quả thực hiện công tác trẻ em năm 2026"
ROWS = [
    ("Tỷ lệ trẻ em dưới 6 tuổi được cấp thẻ BHYT", "%", "100", "98,5"),
    ("Số trẻ em được tặng quà dịp Tết Trung thu", "em", "1.052", "1.000"),
]


def test_report_with_indicator_table(server: str, page: Any) -> None:
    create_unit_over_http(
        server,
        {
            "slug": "ubnd-xa-thanh-linh",
            "issuer.agency": "Ủy ban nhân dân xã Thành Linh",
            "issuer.agency_code": "UBND",
            "issuer.place": "Thành Linh",
            "signer.collective": "Ủy ban nhân dân",
            "signer.mode": "KT",
            "signer.head_title": "Chủ tịch",
            "signer.title": "Phó Chủ tịch",
            "signer.name": "Nguyễn Thị Hoa",
            "archive": "VT, VHXH",
        },
    )
    today = today_in_vietnam()
    page.goto(server + "/van-ban/bao_cao?unit=ubnd-xa-thanh-linh")
    expect(field(page, "signer.name")).to_have_value("Nguyễn Thị Hoa")
    field(page, "subject").fill(SUBJECT)
    add(page, "body", "block-section")
    field(page, "body.0.title").fill("Kết quả thực hiện")
    field(page, "body.0.body_text").fill("Kết quả các chỉ tiêu cơ bản như sau:")
    page.locator('[data-item][data-key="body.0"] details.nested > summary').click()
    add(page, "body.0.body", "block-indicators")
    for index, (name, unit, plan, achieved) in enumerate(ROWS):
        add(page, "body.0.body.0.rows", "part-indicator_row")
        row = f"body.0.body.0.rows.{index}"
        field(page, f"{row}.name").fill(name)
        field(page, f"{row}.unit").fill(unit)
        field(page, f"{row}.plan").fill("nhiều" if index == 1 else plan)
        field(page, f"{row}.achieved").fill(achieved)
    add(page, "body", "block-section")
    field(page, "body.1.title").fill("Phương hướng năm tới")
    field(page, "body.1.body_text").fill("- Duy trì các chỉ tiêu đã đạt.")
    screenshot(page, "05-report-form")

    preview(page)
    expect(error_of(page, "body.0.body.0.rows.1.plan")).to_have_text("Phải là một số.")
    expect(field(page, "body.0.body.0.rows.1.plan")).to_have_value("nhiều")
    field(page, "body.0.body.0.rows.1.plan").fill(ROWS[1][2])
    preview(page)
    wait_for_preview_image(page)
    screenshot(page, "05-report-preview")

    name, pdf = download(page, "Tải PDF")
    assert name == f"BC-UBND-{today.year}-xa-thanh-linh.pdf"
    text = normalise(pdf_text(pdf))
    assert "ỦY BAN NHÂN DÂN XÃ THÀNH LINH" in text and SUBJECT in text
    assert "I. KẾT QUẢ THỰC HIỆN" in text and "II. PHƯƠNG HƯỚNG NĂM TỚI" in text
    # Numbers as typed the Vietnamese way; the rate (%) is computed by the service.
    rows = [row[:6] for row in pdf_table_rows(pdf)]
    assert ["1", ROWS[0][0], "%", "100", "98,5", "98,5"] in rows
    assert ["2", ROWS[1][0], "em", "1.052", "1.000", "95,1"] in rows
    assert "TM. ỦY BAN NHÂN DÂN" in text and "KT. CHỦ TỊCH" in text
    assert "Nguyễn Thị Hoa" in text
