"""The drafting steps in the browser, with a fake converter: save, submit, sign, issue, verify."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest

from service.core.documents import DocumentService
from service.core.form_model import FormModel
from service.core.signing import load_signer, sign_field
from service.usecases.access import SYSTEM
from service.usecases.drafting import for_signature
from tests.conftest import csrf_of
from tests.helpers import PASSPHRASE, Authority, drafting_app, drafting_people
from tests.helpers import this_years_seed as seed
from tests.vn_pdf import SIGNER_NAME

HTML = {"Accept": "text/html"}


@pytest.fixture()
def app(make_app) -> Any:
    return drafting_app(make_app)


@pytest.fixture()
def people(app) -> dict[str, Any]:
    return drafting_people(app)


def page(client: Any, url: str) -> str:
    response = client.get(url, headers=HTML)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def post(client: Any, url: str, data: dict[str, Any], csrf_from: str = "/") -> Any:
    """POST a page's form with the session's CSRF token, as the browser would."""
    token = csrf_of(page(client, csrf_from))
    return client.post(url, data={**data, "csrf_token": token}, headers=HTML)


def saved_from_the_form(app: Any, client: Any, **changes: str) -> int:
    """The seed typed into the plan form (with `changes` to its inputs) saved as a draft; its id."""
    catalog = app.extensions["vb_services"].documents.catalog
    flat = {**FormModel(catalog, catalog.get("ke_hoach")).to_flat(seed()), **changes}
    response = post(client, "/van-ban/ke_hoach",
                    {**flat, "_unit": "y-tich", "_action": "save_draft"}, "/van-ban/ke_hoach")
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    found = re.search(r"/du-thao/(\d+)$", response.headers["Location"])
    assert found
    return int(found.group(1))


def submitted(app: Any, people: dict[str, Any]) -> int:
    draft_id = saved_from_the_form(app, people["drafter"])
    answer = post(people["drafter"], f"/du-thao/{draft_id}/trinh-ky",
                  {"signer": "son.ld", "note": "Kính trình"})
    assert answer.status_code == 303
    return draft_id


def test_the_form_saves_a_draft_and_opens_it_again(app: Any, people: dict[str, Any]) -> None:
    draft_id = saved_from_the_form(app, people["drafter"])
    detail = page(people["drafter"], f"/du-thao/{draft_id}")
    assert f"Đã lưu dự thảo #{draft_id}, phiên bản 1." in detail
    assert "Dự thảo</span>" in detail and "Trình lãnh đạo ký" in detail
    assert f'<option value="son.ld">{SIGNER_NAME} (son.ld)</option>' in detail
    form = page(people["drafter"], f"/van-ban/ke_hoach?du_thao={draft_id}")
    assert f'name="_draft_id" value="{draft_id}"' in form and "Lưu dự thảo" in form
    assert seed()["subject"] in form
    listing = page(people["clerk"], "/du-thao")
    assert f"/du-thao/{draft_id}" in listing and seed()["subject"] in listing


def test_the_agency_keeps_the_line_break_typed_for_the_header(
    app: Any, people: dict[str, Any]
) -> None:
    typed = "Ủy ban nhân dân xã\r\nY Tịch"  # a browser sends a textarea's Enter as CRLF
    draft_id = saved_from_the_form(app, people["drafter"], **{"issuer.agency": typed})
    form = page(people["drafter"], f"/van-ban/ke_hoach?du_thao={draft_id}")
    shown = re.search(r'name="issuer.agency" rows="2"[^>]*>([^<]*)</textarea>', form)
    assert shown and shown.group(1) == "Ủy ban nhân dân xã\nY Tịch"
    assert "Nhấn Enter ở chỗ muốn xuống dòng trong tiêu đề" in form


def test_an_invalid_form_is_not_saved(app: Any, people: dict[str, Any]) -> None:
    catalog = app.extensions["vb_services"].documents.catalog
    flat = FormModel(catalog, catalog.get("ke_hoach")).to_flat({**seed(), "subject": ""})
    response = post(people["drafter"], "/van-ban/ke_hoach",
                    {**flat, "_unit": "y-tich", "_action": "save_draft"}, "/van-ban/ke_hoach")
    assert response.status_code == 422
    assert "Văn bản chưa hợp lệ" in response.get_data(as_text=True)
    assert app.extensions["vb_services"].drafting.visible(SYSTEM) == []


def test_the_leader_sees_the_count_the_pages_and_signs(app: Any, people: dict[str, Any]) -> None:
    draft_id = submitted(app, people)
    menu = page(people["leader"], "/")
    assert re.search(r'Văn bản chờ ký <span class="count"[^>]*>1</span>', menu)
    assert 'href="/cho-ky"' not in page(people["drafter"], "/")  # no sign permission
    waiting = page(people["leader"], "/cho-ky")
    assert f"/du-thao/{draft_id}" in waiting
    detail = page(people["leader"], f"/du-thao/{draft_id}")
    assert "Tải lên bản đã ký số" in detail and "Đã ký bản giấy" in detail
    image = people["leader"].get(f"/du-thao/{draft_id}/prepared/trang-1.png")
    assert image.mimetype == "image/png" and image.data.startswith(b"\x89PNG")
    assert people["leader"].get(f"/du-thao/{draft_id}/prepared/trang-9.png").status_code == 404
    prepared = people["leader"].get(f"/du-thao/{draft_id}/prepared.pdf").data
    document = DocumentService().load("ke_hoach", for_signature(seed()))
    signed = sign_field(prepared, signer=load_signer(Authority.make().issue(SIGNER_NAME),
                                                     PASSPHRASE), field=document.signer_field)
    token = csrf_of(detail)
    answer = people["leader"].post(
        f"/du-thao/{draft_id}/tai-len", headers=HTML, content_type="multipart/form-data",
        data={"csrf_token": token, "signed": (io.BytesIO(signed), "da-ky.pdf")},
    )
    assert answer.status_code == 303
    after = page(people["leader"], f"/du-thao/{draft_id}")
    assert "Đã nhận chữ ký số." in after and f"Ký số: {SIGNER_NAME}" in after


def test_a_refused_upload_says_why(app: Any, people: dict[str, Any]) -> None:
    draft_id = submitted(app, people)
    prepared = people["leader"].get(f"/du-thao/{draft_id}/prepared.pdf").data
    token = csrf_of(page(people["leader"], f"/du-thao/{draft_id}"))
    people["leader"].post(
        f"/du-thao/{draft_id}/tai-len", headers=HTML, content_type="multipart/form-data",
        data={"csrf_token": token, "signed": (io.BytesIO(prepared), "chua-ky.pdf")},
    )
    after = page(people["leader"], f"/du-thao/{draft_id}")
    assert "Không nhận tệp đã ký: Tệp PDF chưa có chữ ký số." in after
    assert "Chờ ký</span>" in after


def test_returned_with_a_comment_the_drafter_reads(app: Any, people: dict[str, Any]) -> None:
    draft_id = submitted(app, people)
    post(people["leader"], f"/du-thao/{draft_id}/tra-lai", {"comment": "Bổ sung kinh phí"})
    detail = page(people["drafter"], f"/du-thao/{draft_id}")
    assert "Lãnh đạo trả lại" in detail and "Bổ sung kinh phí" in detail
    trail = re.findall(r"<li>\d\d/\d\d/\d{4} \d\d:\d\d · ([^<]+)</li>", detail)
    assert trail == ["Lưu dự thảo · lan.cv", "Trình ký · lan.cv", "Trả lại · son.ld"]


def test_paper_signature_then_the_vanthu_issues(app: Any, people: dict[str, Any]) -> None:
    draft_id = submitted(app, people)
    post(people["leader"], f"/du-thao/{draft_id}/ky-giay", {})
    menu = page(people["clerk"], "/")
    assert re.search(r'Chờ phát hành <span class="count"[^>]*>1</span>', menu)
    confirm = page(people["clerk"], f"/du-thao/{draft_id}/phat-hanh")
    assert 'id="so-se-cap">01</span>' in confirm
    issued = post(people["clerk"], f"/du-thao/{draft_id}/phat-hanh", {"expected_number": "1"})
    assert issued.status_code == 303 and "/so-van-ban-di/" in issued.headers["Location"]
    entry = page(people["clerk"], issued.headers["Location"])
    assert "Đã phát hành: Số: 01/KH-UBND." in entry
    assert f'<a href="/du-thao/{draft_id}/prepared.pdf">PDF chuẩn bị để ký</a>' in entry
    drafter_view = page(people["drafter"], f"/du-thao/{draft_id}")
    assert "Đã phát hành</span>" in drafter_view and "Xem trong sổ văn bản đi" in drafter_view
    assert "<strong>Số: 01/KH-UBND</strong>" in drafter_view  # the number her document took


def test_the_verify_page_reads_a_signed_pdf_in_vietnamese(app: Any, people: dict[str, Any]) -> None:
    draft_id = submitted(app, people)
    prepared = people["leader"].get(f"/du-thao/{draft_id}/prepared.pdf").data
    document = DocumentService().load("ke_hoach", for_signature(seed()))
    signed = sign_field(prepared, signer=load_signer(Authority.make().issue(SIGNER_NAME),
                                                     PASSPHRASE), field=document.signer_field)
    token = csrf_of(page(people["drafter"], "/kiem-tra-chu-ky"))
    result = people["drafter"].post(
        "/kiem-tra-chu-ky", headers=HTML, content_type="multipart/form-data",
        data={"csrf_token": token, "pdf": (io.BytesIO(signed), "van-ban.pdf")},
    ).get_data(as_text=True)
    assert f"<strong>{SIGNER_NAME}</strong>" in result
    assert "Chữ ký hợp lệ, tệp còn nguyên vẹn như khi ký." in result
    assert "Chứng thư số chưa thuộc danh sách tin cậy của hệ thống." in result
