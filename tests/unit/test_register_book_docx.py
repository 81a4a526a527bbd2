"""The register book laid out for printing: an A3 landscape DOCX with the cover of Appendix IV
and the ten columns, the head repeated; served beside the XLSX on the page and in the API."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import docx
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.oxml.ns import qn

from service.core import rules, table_widths
from service.usecases.ports import RegisterRecord
from service.usecases.register_book import Volume
from service.usecases.register_book_docx import register_docx
from tests.conftest import client_as, docx_text, signed_in
from tests.helpers import errors_of
from tests.unit.test_register_pages import HTML, app, clerk, issue, page  # noqa: F401

HEADERS = ["Số, ký hiệu văn bản", "Ngày tháng văn bản", "Tên loại và trích yếu nội dung văn bản",
           "Người ký", "Nơi nhận văn bản", "Đơn vị, người nhận bản lưu", "Số lượng bản",
           "Ngày chuyển", "Ký nhận", "Ghi chú"]
ISSUER = {"parent_agency": "UBND huyện Chi Lăng", "agency": "Ủy ban nhân dân xã Y Tịch"}


def entry(number: int, subject: str = "Xây dựng xã phù hợp với trẻ em", **changes: Any
          ) -> RegisterRecord:
    """An entry of commune Y Tịch's register as the store reads it for the book."""
    fields: dict[str, Any] = {
        "agency_key": "y-tich", "year": 2026, "number": number, "symbol": "KH-UBND",
        "doc_type": "ke_hoach", "agency": ISSUER["agency"], "unit": "y-tich",
        "subject": subject, "document_date": dt.date(2026, 3, number), "issued_by": "lan",
        "file_stem": f"{number:02d}-KH-UBND", "display_name": "x", "docx_sha256": "",
        "pdf_sha256": "", "signed": number == 2, "signed_by": None, "id": number,
        "inputs": {"issuer": ISSUER, "signer": {"title": "Phó Chủ tịch", "name": "Vương Văn Sơn"},
                   "recipients": ["UBND huyện Chi Lăng (b/c); Phòng Văn hóa - Xã hội"],
                   "archive": "VT, VP"},
    }
    fields.update(changes)
    return RegisterRecord(**fields)


def book(entries: list[RegisterRecord], volume: Volume | None = None) -> Any:
    """The book's DOCX, opened."""
    data = register_docx(entries, 2026, lambda _: "Kế hoạch", volume or Volume())
    return docx.Document(io.BytesIO(data))


def cells(row: Any) -> list[str]:
    return [cell.text for cell in row.cells]


def test_the_book_is_a3_landscape_with_the_cover_then_the_ten_columns(tmp_path: Path) -> None:
    data = register_docx([entry(1), entry(2, "Tổng kết\u000b năm")], 2026,
                         lambda _: "Kế hoạch", Volume(3))
    document = docx.Document(io.BytesIO(data))
    [section] = document.sections
    assert section.orientation == WD_ORIENT.LANDSCAPE
    assert (section.page_width.twips, section.page_height.twips) == (23811, 16838)  # A3
    # Page numbers in the top margin, none on the cover.
    assert section.different_first_page_header_footer
    assert section.header._element.xpath(".//w:fldSimple/@w:instr") == ["PAGE"]
    assert section.first_page_header._element.xpath(".//w:fldSimple") == []
    cover = [p.text for p in document.paragraphs if p.text]
    assert cover == ["UBND HUYỆN CHI LĂNG", "ỦY BAN NHÂN DÂN XÃ Y TỊCH", "SỔ ĐĂNG KÝ VĂN BẢN ĐI",
                     "Năm: 2026", "Từ ngày 01/03/2026 đến ngày 02/03/2026", "Từ số 01 đến số 02",
                     "Quyển số: 03"]
    [table] = document.tables
    assert cells(table.rows[0]) == HEADERS
    assert cells(table.rows[1]) == [f"({n})" for n in range(1, 11)]
    # Ngày chuyển and ký nhận are the văn thư's, by hand; the control character is dropped.
    assert cells(table.rows[3]) == [
        "02/KH-UBND", "02/03/2026", "Kế hoạch: Tổng kết năm", "Phó Chủ tịch Vương Văn Sơn",
        "UBND huyện Chi Lăng (b/c); Phòng Văn hóa - Xã hội", "VT, VP", "3", "", "",
        "Văn bản điện tử ký số"]
    repeated = [row._tr.trPr.find(qn("w:tblHeader")) is not None for row in table.rows]
    assert repeated == [True, True, False, False]
    assert all(row._tr.trPr.find(qn("w:cantSplit")) is not None for row in table.rows)
    assert errors_of(data, tmp_path) == []  # Word opens it without repairs


def test_columns_fit_their_longest_word_and_fill_the_width() -> None:
    document = book([entry(n, "Thực hiện Quyết định số 06/QĐ-TTg ngày 03/01/2019") for n in (1, 2)])
    grid = [int(col.get(qn("w:w"))) / 56.6929 for col in
            document.tables[0]._tbl.tblGrid.findall(qn("w:gridCol"))]
    assert abs(sum(grid) - (420 - 25 - 15)) < 0.5
    for width, texts in zip(grid, zip(*(cells(r) for r in document.tables[0].rows), strict=True),
                            strict=True):
        longest = max(rules.text_width_mm(word, 12, bold=True) for text in texts
                      for word in text.split())
        assert width >= longest + table_widths.CELL_MARGINS_MM, (texts[0], width, longest)
    styles = document.styles["Normal"].element.rPr.rFonts
    assert {styles.get(qn(f"w:{s}")) for s in ("ascii", "hAnsi", "cs", "eastAsia")} == {
        "Times New Roman"}


def test_each_agency_has_its_own_cover_and_book_and_a_volume_keeps_its_numbers(
    tmp_path: Path,
) -> None:
    other = {**ISSUER, "agency": "Ủy ban nhân dân xã Chi Lăng"}
    entries = [entry(1), entry(2), entry(3),
               entry(1, agency_key="chi-lang", agency=other["agency"],
                     inputs={**(entry(1).inputs or {}), "issuer": other})]
    document = book(entries, Volume(2, 2, 3))
    agencies = [p.text for p in document.paragraphs if p.text.startswith("ỦY BAN")]
    assert agencies == ["ỦY BAN NHÂN DÂN XÃ Y TỊCH"]  # Chi Lăng's 01 is outside numbers 2-3
    assert [cells(r)[0] for r in document.tables[0].rows[2:]] == ["02/KH-UBND", "03/KH-UBND"]
    data = register_docx(entries, 2026, lambda _: "Kế hoạch", Volume())
    assert errors_of(data, tmp_path) == []
    both = docx.Document(io.BytesIO(data))
    assert [p.text for p in both.paragraphs if p.text.startswith("ỦY BAN")] == [
        "ỦY BAN NHÂN DÂN XÃ Y TỊCH", "ỦY BAN NHÂN DÂN XÃ CHI LĂNG"]
    # Each book a section of its own, numbered from its cover again.
    assert len(both.sections) == 2 and len(both.tables) == 2
    assert both.sections[1].start_type == WD_SECTION.NEW_PAGE
    assert both.sections[1]._sectPr.find(qn("w:pgNumType")).get(qn("w:start")) == "1"
    assert [p.text for p in book([]).paragraphs] == [
        "SỔ ĐĂNG KÝ VĂN BẢN ĐI NĂM 2026: chưa có văn bản nào."]


def test_the_register_page_offers_the_pdf_beside_the_xlsx(app, clerk) -> None:  # noqa: F811
    made = issue(app, subject="Việc in sổ", date={"day": 9, "month": 3, "year": 2026})
    html = page(clerk, "/so-van-ban-di")[1]
    assert '<button type="submit">Tải sổ (XLSX)</button>' in html
    assert ('<button type="submit" formaction="/so-van-ban-di/xuat-pdf">Tải sổ (PDF)</button>'
            in html)
    converter = app.extensions["vb_services"].converter
    response = clerk.get("/so-van-ban-di/xuat-pdf?nam=2026&quyen=2")
    assert (response.status_code, response.mimetype) == (200, "application/pdf")
    disposition = response.headers["Content-Disposition"]
    assert disposition == 'attachment; filename="so-van-ban-di-2026.pdf"'
    printed = docx_text(converter.calls[-1][0])  # what went to the documents' converter
    assert "Quyển số: 02" in printed and "Kế hoạch: Việc in sổ" in printed
    assert f"{made.number_text}/KH-UBND" in printed
    assert clerk.get("/so-van-ban-di/xuat-pdf?nam=abc", headers=HTML).status_code == 400


def test_another_units_book_is_not_found_and_a_drafter_has_none(app, clerk) -> None:  # noqa: F811
    issue(app, unit="chi-lang", subject="Của xã Chi Lăng")
    for kind in ("pdf", "xlsx"):
        status, html = page(clerk, f"/so-van-ban-di/xuat-{kind}?don_vi=chi-lang")
        assert status == 404 and "Không có đơn vị “chi-lang”." in html
    drafter = signed_in(app, "hoa", "chuyen_vien", "y-tich")
    assert page(drafter, "/so-van-ban-di/xuat-pdf")[0] == 403
    key = client_as(app, "y-tich-key", units=["y-tich"])
    answer = key.get("/api/register/book?unit=chi-lang&format=pdf")
    assert answer.status_code == 404
    assert answer.get_json()["errors"] == {"unit": ["Không có đơn vị có mã 'chi-lang'."]}
    reader = client_as(app, "reader", scopes=["render"])
    assert reader.get("/api/register/book").status_code == 403


def test_the_api_serves_both_layouts_and_documents_them(app) -> None:  # noqa: F811
    issue(app, date={"day": 9, "month": 3, "year": 2026})
    client = app.test_client()
    pdf = client.get("/api/register/book?year=2026&unit=y-tich")
    assert (pdf.status_code, pdf.mimetype) == (200, "application/pdf")
    assert pdf.headers["Content-Disposition"] == (
        'attachment; filename="so-van-ban-di-2026-y-tich.pdf"')
    xlsx = client.get("/api/register/book?year=2026&format=xlsx&volume=2&from_number=1")
    assert xlsx.status_code == 200 and xlsx.data.startswith(b"PK")
    refused = client.get("/api/register/book?format=doc&to_number=0")
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == {
        "query.format": ["Phải là pdf hoặc xlsx."],
        "query.to_number": ["Phải là số nguyên từ 1 đến 2.147.483.647."]}
    spec = client.get("/openapi.json").get_json()["paths"]["/api/register/book"]["get"]
    names = [p["name"] for p in spec["parameters"]]
    assert names == ["year", "unit", "volume", "from_number", "to_number", "format"]
    assert set(spec["responses"]["200"]["content"]) == {
        "application/pdf", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
