"""The register pages with a fake converter: search, paging, scope, permissions, XLSX, issuing."""

from __future__ import annotations

import io
import json
import re
from typing import Any
from urllib.parse import quote

import openpyxl
import pytest

from service.usecases.ports import AuditQuery, UnitProfile
from service.web import register_pages
from tests.conftest import client_as, csrf_of, docx_text, signed_in
from tests.helpers import PASSPHRASE, SignableConverter, make_key, other_agency, plan, unit_profile

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


@pytest.fixture()
def app(make_app: Any) -> Any:
    built = make_app(SignableConverter())
    units = built.extensions["vb_services"].units.store
    units.save(UnitProfile(**unit_profile("y-tich")))
    units.save(UnitProfile(**{**unit_profile("chi-lang"), "issuer": other_agency()}))
    return built


@pytest.fixture()
def clerk(app: Any) -> Any:
    """Lan, văn thư of commune Y Tịch."""
    return signed_in(app, "lan", "van_thu", "y-tich")


def issue(app: Any, unit: str = "y-tich", **changes: Any) -> Any:
    """Issue the test plan for a unit straight through the Issuer; its entry."""
    issuer = app.extensions["vb_services"].issuer
    payload = plan(**changes)
    if unit == "chi-lang":
        payload["issuer"] = other_agency()
    return issuer.issue("ke_hoach", payload, actor="lan", unit=unit)


def page(client: Any, url: str) -> tuple[int, str]:
    """GET a page as a browser: its status and HTML."""
    response = client.get(url, headers=HTML)
    return response.status_code, response.get_data(as_text=True)


def subjects(html: str) -> list[str]:
    """The subjects listed on a register page, in order."""
    return re.findall(
        r'<td data-label="Trích yếu" class="subject"><a href="/so-van-ban-di/\d+">([^<]+)</a></td>',
        html,
    )


def test_search_finds_subjects_with_or_without_accents_and_d_for_dj(app, clerk) -> None:
    issue(app, subject="Phòng, chống đuối nước")
    issue(app, subject="Tiêm chủng")
    issue(app, subject="Sửa chữa đường giao thông")
    status, html = page(clerk, "/so-van-ban-di")
    assert status == 200
    assert subjects(html) == ["Sửa chữa đường giao thông", "Tiêm chủng", "Phòng, chống đuối nước"]
    for typed in ("duoi nuoc", "đuối  nước", "DUOI NUOC"):
        assert subjects(page(clerk, f"/so-van-ban-di?q={quote(typed)}")[1]) == [
            "Phòng, chống đuối nước"
        ]
    assert subjects(page(clerk, "/so-van-ban-di?q=duong")[1]) == ["Sửa chữa đường giao thông"]
    for printed in ("2", "02/KH-UBND", "02%2FKH", "S%E1%BB%91%3A+02%2FKH-UBND"):
        assert subjects(page(clerk, f"/so-van-ban-di?so={printed}")[1]) == ["Tiêm chủng"]
    assert subjects(page(clerk, "/so-van-ban-di?so=02/BC")[1]) == []
    none = page(clerk, "/so-van-ban-di?loai=bao_cao")[1]
    assert subjects(none) == [] and "Không có văn bản nào khớp điều kiện tìm." in none


def test_date_range_and_bad_values_are_told_in_vietnamese(app, clerk) -> None:
    entry = issue(app, date={"day": 5, "month": 3, "year": 2026})
    issue(app, date={"day": 20, "month": 3, "year": 2026}, subject="Sau")
    found = page(clerk, "/so-van-ban-di?tu=2026-03-01&den=2026-03-10")[1]
    assert subjects(found) == [entry.subject]
    status, html = page(clerk, "/so-van-ban-di?so=x&tu=05/03/2026")
    assert status == 422
    assert "Số văn bản viết như trên văn bản: 02/KH-UBND, 02 hoặc 2/KH." in html
    assert "Không có văn bản nào khớp điều kiện tìm." in html  # not every entry instead
    assert "Từ ngày phải là ngày hợp lệ (năm-tháng-ngày, ví dụ 2026-01-05)." in html


def test_search_text_over_its_length_is_told(app, clerk) -> None:
    status, html = page(clerk, "/so-van-ban-di?q=" + "a" * 50_000)
    assert status == 422 and "Chữ tìm dài tối đa 200 ký tự." in html  # was a 503


def test_pages_of_the_register(app, clerk, monkeypatch) -> None:
    monkeypatch.setattr(register_pages, "PER_PAGE", 2)
    for n in range(1, 6):
        issue(app, subject=f"Việc số {n}")
    first = page(clerk, "/so-van-ban-di")[1]
    assert subjects(first) == ["Việc số 5", "Việc số 4"]
    assert "Tìm thấy 5 văn bản, trang 1/3" in first
    assert 'href="/so-van-ban-di?trang=2" rel="next"' in first
    last = page(clerk, "/so-van-ban-di?q=viec&trang=3")[1]
    assert subjects(last) == ["Việc số 1"]
    assert 'href="/so-van-ban-di?trang=2&amp;q=viec" rel="prev"' in last


def test_another_units_entries_are_not_there(app, clerk) -> None:
    own = issue(app)
    other = issue(app, unit="chi-lang", subject="Của xã Chi Lăng")
    assert subjects(page(clerk, "/so-van-ban-di")[1]) == [own.subject]
    assert page(clerk, f"/so-van-ban-di/{own.id}")[0] == 200
    for url in (f"/so-van-ban-di/{other.id}", f"/so-van-ban-di/{other.id}/tai-ve.pdf",
                f"/so-van-ban-di/{other.id}/tai-ve.docx"):
        status, html = page(clerk, url)
        assert status == 404 and f"Sổ văn bản đi không có mục số {other.id}." in html
    assert page(clerk, "/so-van-ban-di/99999999999")[0] == 404
    book = openpyxl.load_workbook(io.BytesIO(clerk.get("/so-van-ban-di/xuat-xlsx").data))
    assert [sheet.title for sheet in book.worksheets] == [
        "Bìa 1. UBND xã Y Tịch", "Sổ 1. UBND xã Y Tịch"]


def test_who_may_read_and_issue(app, clerk) -> None:
    entry = issue(app)
    drafter = signed_in(app, "hoa", "chuyen_vien", "y-tich")
    for url in ("/so-van-ban-di", f"/so-van-ban-di/{entry.id}", "/so-van-ban-di/xuat-xlsx"):
        assert page(drafter, url)[0] == 403
    form = {"csrf_token": csrf_of(page(drafter, "/")[1]), "type_id": "ke_hoach", "token": "x" * 24}
    for url in ("/so-van-ban-di/phat-hanh", "/so-van-ban-di/phat-hanh/xac-nhan"):
        assert drafter.post(url, data=form, headers=HTML).status_code == 403
    assert "Sổ văn bản đi" not in page(drafter, "/")[1]
    assert '<a href="/so-van-ban-di">Sổ văn bản đi</a>' in page(clerk, "/")[1]
    leader = signed_in(app, "son", "lanh_dao", "y-tich")
    assert page(leader, f"/so-van-ban-di/{entry.id}")[0] == 200
    form["csrf_token"] = csrf_of(page(leader, "/")[1])
    assert leader.post("/so-van-ban-di/phat-hanh", data=form, headers=HTML).status_code == 403


def test_year_export_has_one_row_per_entry_in_number_order(app, clerk) -> None:
    for n in range(1, 4):
        issue(app, subject=f"Việc {n}", date={"day": 10 - n, "month": 3, "year": 2026},
              recipients=["=1+1 (B/c)", "TT Đảng ủy; TT HĐND"])
    issue(app, date={"day": 2, "month": 1, "year": 2025})
    response = clerk.get("/so-van-ban-di/xuat-xlsx?nam=2026")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert disposition == 'attachment; filename="so-van-ban-di-2026.xlsx"'
    cover, sheet = openpyxl.load_workbook(io.BytesIO(response.data)).worksheets
    assert [row[0] for row in cover.iter_rows(values_only=True)] == [
        "UBND HUYỆN CHI LĂNG", "ỦY BAN NHÂN DÂN XÃ Y TỊCH", None, "SỔ ĐĂNG KÝ VĂN BẢN ĐI", None,
        "Năm: 2026", "Từ ngày 07/03/2026 đến ngày 09/03/2026", "Từ số 01 đến số 03",
        "Quyển số: 01"]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    # Decree 30, Appendix IV part I: ten columns, in its order, numbered under their names.
    assert rows[0] == ["Số, ký hiệu văn bản", "Ngày tháng văn bản",
                       "Tên loại và trích yếu nội dung văn bản", "Người ký", "Nơi nhận văn bản",
                       "Đơn vị, người nhận bản lưu", "Số lượng bản", "Ngày chuyển", "Ký nhận",
                       "Ghi chú"]
    assert rows[1] == [f"({n})" for n in range(1, 11)]
    signer = "Pho Chu tich " + plan()["signer"]["name"]
    # A cell a spreadsheet would run as a formula stays text; four copies: three and the archive.
    recipients = "'=1+1 (B/c); TT Đảng ủy; TT HĐND"
    # Ngày chuyển and ký nhận are left for the văn thư's hand.
    assert rows[2:] == [
        [f"0{n}/KH-UBND", f"0{10 - n}/03/2026", f"Kế hoạch: Việc {n}", signer, recipients,
         "VT", 4, None, None, None]
        for n in (1, 2, 3)
    ]
    for printed in (cover, sheet):  # A3 landscape, one page wide
        assert (printed.page_setup.paperSize, printed.page_setup.orientation) == (8, "landscape")
        assert printed.sheet_properties.pageSetUpPr.fitToPage
        assert (printed.page_setup.fitToWidth, printed.page_setup.fitToHeight) == (1, 0)
    assert sheet.print_title_rows == "$1:$2"
    second = clerk.get("/so-van-ban-di/xuat-xlsx?nam=2026&quyen=2&tu_so=2&den_so=3")
    cover, sheet = openpyxl.load_workbook(io.BytesIO(second.data)).worksheets
    assert [row[0] for row in cover.iter_rows(values_only=True)][-2:] == [
        "Từ số 02 đến số 03", "Quyển số: 02"]
    assert [row[0] for row in sheet.iter_rows(min_row=3, values_only=True)] == [
        "02/KH-UBND", "03/KH-UBND"]
    assert clerk.get("/so-van-ban-di/xuat-xlsx?nam=2026&quyen=x", headers=HTML
                     ).status_code == 400
    assert clerk.get("/so-van-ban-di/xuat-xlsx?nam=abc", headers=HTML).status_code == 400


def test_a_stored_control_character_cannot_break_the_year_book(app, clerk) -> None:
    signer = {**plan()["signer"], "name": plan()["signer"]["name"] + "\u001b"}
    issue(app, subject="Việc\u000b có ký tự lạ", signer=signer,
          recipients=["Phòng\u001b Nội vụ"], date={"day": 9, "month": 3, "year": 2026})
    response = clerk.get("/so-van-ban-di/xuat-xlsx?nam=2026")
    assert response.status_code == 200  # was a 500 (openpyxl IllegalCharacterError) for good
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).worksheets[1]
    row = list(next(sheet.iter_rows(min_row=3, values_only=True)))
    assert row[2:5] == [
        "Kế hoạch: Việc có ký tự lạ", "Pho Chu tich " + plan()["signer"]["name"], "Phòng Nội vụ"
    ]


def test_download_names_carry_the_number_in_both_forms_on_api_and_pages(app, clerk) -> None:
    first, second = issue(app), issue(app)
    api = client_as(app, "mot-cua", units=["y-tich"])
    for entry in (first, second):
        stem = f"{entry.number_text}-KH-UBND-{entry.year}-xa-y-tich"
        html = page(clerk, f"/so-van-ban-di/{entry.id}")[1]
        for kind in ("pdf", "docx"):
            expected = f"attachment; filename=\"{stem}.{kind}\"; filename*=UTF-8''{stem}.{kind}"
            for response in (clerk.get(f"/so-van-ban-di/{entry.id}/tai-ve.{kind}"),
                             api.get(f"/api/register/{entry.id}/{kind}")):
                assert response.status_code == 200
                assert response.headers["Content-Disposition"] == expected
            assert f'download="{stem}.{kind}"' in html
    assert first.file_name("pdf") != second.file_name("pdf")


def test_entry_page_shows_files_issuer_hashes_and_events(app, clerk) -> None:
    entry = issue(app)
    html = page(clerk, f"/so-van-ban-di/{entry.id}")[1]
    assert "<h1>Kế hoạch số 01/KH-UBND</h1>" in html
    assert "<dt>Người phát hành</dt><dd>lan</dd>" in html  # no name given: the account's
    assert ("<dt>Nơi nhận</dt><dd>- Phòng LĐTBXH&amp;DT (B/c);<br>- TT Đảng ủy (B/c); TT HĐND "
            "(B/c);<br>- CT, PCT UBND xã;<br>- Các thành viên hội đồng đánh giá;<br>- Lưu: VT."
            "</dd>") in html
    assert f'<code class="hash">{entry.pdf_sha256}</code>' in html
    assert f'<code class="hash">{entry.docx_sha256}</code>' in html
    events = re.findall(
        r'<tr><td data-label="Thời điểm">[^<]+</td><td data-label="Việc">([^<]+)</td>'
        r'<td data-label="Người làm">lan</td><td data-label="Đối tượng">([^<]+)</td></tr>', html
    )
    assert events == [
        ("Tạo văn bản", f"{entry.file_stem}.docx"),
        ("Ban hành, cấp số", "Số: 01/KH-UBND - Ủy ban nhân dân xã Y Tịch"),
    ]


def preview(client: Any, **values: str) -> str:
    """Fill the plan form for Y Tịch and press Xem trước; the preview page."""
    form = page(client, "/van-ban/ke_hoach?unit=y-tich")[1]
    flat = dict(re.findall(r'<input type="text" id="f-[^"]+" name="([^"]+)" value="([^"]*)"', form))
    flat.update(re.findall(r'<textarea id="f-[^"]+" name="([^"]+)"[^>]*>([^<]*)</textarea>', form))
    flat.update({"csrf_token": csrf_of(form), "_unit": "y-tich", "_action": "preview",
                 "signer.mode": "KT",  # a select: the test signer's block is "KT."
                 "subject": "Phòng chống đuối nước cho trẻ em", "body.0.kind": "section",
                 "body.0.title": "Mục đích", "body.0.body_text": "Nội dung.", **values})
    response = client.post("/van-ban/ke_hoach", data=flat, headers=HTML)
    assert response.status_code == 200, response.get_data(as_text=True)[:3000]
    return response.get_data(as_text=True)


def issue_form(html: str) -> dict[str, str]:
    """The hidden fields of the preview's (or confirmation's) issue form."""
    form = re.search(r'<form class="issue-from-preview".*?</form>|<form method="post" '
                     r'action="/so-van-ban-di/phat-hanh/xac-nhan">.*?</form>', html, re.S)
    assert form, "no issue form on the page"
    return dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(0)))


def test_issue_from_the_preview_after_confirming_the_number(app, clerk) -> None:
    issue(app)  # 01 is taken already
    shown = preview(clerk)
    assert '<button type="submit" class="primary">Phát hành</button>' in shown
    confirm = clerk.post("/so-van-ban-di/phat-hanh", data=issue_form(shown), headers=HTML)
    html = confirm.get_data(as_text=True)
    assert confirm.status_code == 200, html[:3000]
    assert '<span class="number-shown" id="so-se-cap">Số: 02/KH-UBND</span>' in html
    assert "Ký số bằng khóa của đơn vị" not in html  # no key installed
    assert len(subjects(page(clerk, "/so-van-ban-di")[1])) == 1  # nothing taken yet
    done = clerk.post("/so-van-ban-di/phat-hanh/xac-nhan", data=issue_form(html), headers=HTML)
    assert done.status_code == 302
    entry_page = page(clerk, done.headers["Location"])[1]
    assert "Đã phát hành văn bản Số: 02/KH-UBND" in entry_page
    assert "<dd>Phòng chống đuối nước cho trẻ em</dd>" in entry_page
    entry_id = int(done.headers["Location"].rsplit("/", 1)[1])
    docx = clerk.get(f"/so-van-ban-di/{entry_id}/tai-ve.docx").data
    assert "Số: 02/KH-UBND" in docx_text(docx) and "Nội dung." in docx_text(docx)


def test_a_direct_issue_needs_the_paper_signature_confirmed(app, clerk) -> None:
    confirm = clerk.post("/so-van-ban-di/phat-hanh", data=issue_form(preview(clerk)), headers=HTML)
    html = confirm.get_data(as_text=True)
    assert '<input type="checkbox" id="da-ky-giay" name="paper_signed" value="1" required>' in html
    fields = {k: v for k, v in issue_form(html).items() if k != "paper_signed"}
    refused = clerk.post("/so-van-ban-di/phat-hanh/xac-nhan", data=fields, headers=HTML)
    assert refused.status_code == 422
    assert "Chỉ phát hành trực tiếp văn bản mà người ký đã ký bản giấy" in refused.get_data(
        as_text=True)
    assert subjects(page(clerk, "/so-van-ban-di")[1]) == []  # no number taken
    done = clerk.post("/so-van-ban-di/phat-hanh/xac-nhan", data=issue_form(html), headers=HTML)
    assert done.status_code == 302
    trail = app.extensions["vb_services"].audit.search(AuditQuery(action="sign")).items
    assert [(e["actor"], e["details"]["paper"], e["details"]["signer"]) for e in trail] == [
        ("lan", True, f"{plan()['signer']['title']} {plan()['signer']['name']}")
    ]


def test_a_commune_cannot_take_another_communes_numbers_from_the_pages(app, clerk) -> None:
    typed = {"issuer.agency": other_agency()["agency"]}  # Y Tịch's clerk types Chi Lăng's
    confirm = clerk.post("/so-van-ban-di/phat-hanh", data=issue_form(preview(clerk, **typed)),
                         headers=HTML)
    html = confirm.get_data(as_text=True)
    assert confirm.status_code == 422
    assert "Văn bản của đơn vị này phải do “Ủy ban nhân dân xã Y Tịch” ban hành" in html
    assert subjects(page(clerk, "/so-van-ban-di")[1]) == []  # neither series moved


def test_another_units_clerk_cannot_use_a_preview_token(app, clerk) -> None:
    fields = issue_form(preview(clerk))
    token = fields["token"]
    other = signed_in(app, "binh", "van_thu", "chi-lang")
    urls = [f"/xem-truoc/{token}/trang-1.png", f"/tai-ve/{token}.pdf", f"/tai-ve/{token}.docx",
            f"/tai-ve/{token}.json", f"/jobs?goc={token}"]
    for url in urls:
        assert clerk.get(url, headers=HTML).status_code == 200, url
        # Each was a 200 with unit Y Tịch's document: the token was the only key.
        assert other.get(url, headers=HTML).status_code == 404, url
    form = other.get("/van-ban/ke_hoach?unit=chi-lang", headers=HTML).get_data(as_text=True)
    confirm = other.post("/so-van-ban-di/phat-hanh", headers=HTML,
                         data={**fields, "unit": "chi-lang", "csrf_token": csrf_of(form)})
    assert confirm.status_code == 404


def test_a_number_taken_meanwhile_is_shown_again_before_issuing(app, clerk) -> None:
    confirm = clerk.post("/so-van-ban-di/phat-hanh", data=issue_form(preview(clerk)), headers=HTML)
    fields = issue_form(confirm.get_data(as_text=True))
    assert fields["expect"] == "1"
    issue(app)  # another clerk takes 01
    again = clerk.post("/so-van-ban-di/phat-hanh/xac-nhan", data=fields, headers=HTML)
    html = again.get_data(as_text=True)
    assert again.status_code == 409
    assert "Số 01 vừa được cấp cho văn bản khác. Văn bản này sẽ nhận số 02" in html
    assert issue_form(html)["expect"] == "2"
    assert subjects(page(clerk, "/so-van-ban-di")[1]) == [plan()["subject"]]


def test_sealing_is_offered_when_the_unit_has_a_key(app, clerk) -> None:
    app.extensions["vb_services"].keys.install("y-tich", make_key()[0], PASSPHRASE)
    confirm = clerk.post("/so-van-ban-di/phat-hanh", data=issue_form(preview(clerk)), headers=HTML)
    html = confirm.get_data(as_text=True)
    assert '<input type="checkbox" id="dong-dau" name="seal" value="1">' in html
    fields = {**issue_form(html), "seal": "1"}
    done = clerk.post("/so-van-ban-di/phat-hanh/xac-nhan", data=fields, headers=HTML)
    assert done.status_code == 302
    entry_page = page(clerk, done.headers["Location"])[1]
    assert "Đã ký bằng khóa của đơn vị" in entry_page and "Ký số (con dấu)" in entry_page


def test_an_expired_or_foreign_preview_cannot_be_issued(app, clerk) -> None:
    fields = issue_form(preview(clerk))
    expired = clerk.post("/so-van-ban-di/phat-hanh", data={**fields, "token": "y" * 24},
                         headers=HTML)
    assert expired.status_code == 404
    assert "Bản xem trước đã hết hạn" in expired.get_data(as_text=True)
    foreign = clerk.post("/so-van-ban-di/phat-hanh", data={**fields, "unit": "chi-lang"},
                         headers=HTML)
    assert foreign.status_code == 404
    # A JSON file a bulk job keeps (a refused attempt's base) was never previewed.
    kept = app.extensions["vb_services"].bulk.inputs.keep(json.dumps(plan()).encode(), "goc.json")
    unseen = clerk.post("/so-van-ban-di/phat-hanh", data={**fields, "token": kept}, headers=HTML)
    assert unseen.status_code == 404 and "Bản xem trước đã hết hạn" in unseen.get_data(as_text=True)


def test_entry_page_names_the_person_who_issued_it(app) -> None:
    clerk = signed_in(app, "lan.vt", "van_thu", "y-tich", display_name="Lò Thị Lan")
    entry = app.extensions["vb_services"].issuer.issue("ke_hoach", plan(), actor="lan.vt",
                                                       unit="y-tich")
    html = page(clerk, f"/so-van-ban-di/{entry.id}")[1]
    assert "<dt>Người phát hành</dt><dd>Lò Thị Lan (lan.vt)</dd>" in html
