"""The web pages with a fake converter: forms for every type, CSRF, units, preview, errors."""

from __future__ import annotations

import re
from typing import Any

import pytest

from service.core.clock import today_in_vietnam
from service.core.converter import ConversionFailed, ConverterUnavailable
from service.core.definitions import load_catalog
from service.core.form_model import FormModel
from tests.conftest import load_sample, signed_in
from tests.fakes import FakeConverter

CATALOG = load_catalog()

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
UNIT = {
    "slug": "ubnd-xa-y-tich",
    "issuer.agency": "Ủy ban nhân dân xã Y Tịch",
    "issuer.agency_code": "UBND",
    "issuer.place": "Y Tịch",
    "signer.title": "Chủ tịch",
    "signer.name": "Vương Văn Sơn",
    "recipients": "Phòng LĐTBXH&DT (B/c)\nCT, PCT UBND xã",
    "archive": "VT",
}


def token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


@pytest.fixture()
def client(make_app: Any) -> Any:
    return signed_in(make_app(), "quantri", "quan_tri")


def csrf(client: Any) -> str:
    return token(client.get("/don-vi/moi", headers=HTML).get_data(as_text=True))


def add_unit(client: Any, **changes: str) -> Any:
    return client.post("/don-vi/moi", data={"csrf_token": csrf(client), **UNIT, **changes})


def agency_shown(page: str) -> str:
    """The text of the agency's input: a textarea, where Enter breaks the header's line."""
    found = re.search(r'<textarea id="f-issuer.agency" name="issuer.agency" rows="2"[^>]*>([^<]*)<',
                      page)
    assert found, "no agency textarea"
    return found.group(1)


def plan_form(client: Any, **values: str) -> dict[str, str]:
    """A valid plan as posted by the form (the unit fills issuer and signer)."""
    page = client.get("/van-ban/ke_hoach", headers=HTML).get_data(as_text=True)
    flat = dict(re.findall(r'<input type="text" id="f-[^"]+" name="([^"]+)" value="([^"]*)"', page))
    flat.update(re.findall(r'<textarea id="f-[^"]+" name="([^"]+)"[^>]*>([^<]*)</textarea>', page))
    flat.update(
        {
            "csrf_token": token(page),
            "_unit": "ubnd-xa-y-tich",
            "_action": "preview",
            "subject": 'Kế hoạch <thử> & "nháy" 🙂',
            "body.0.kind": "section",
            "body.0.title": "Mục đích",
            "body.0.body_text": "+ Mục con\nĐoạn **đậm**.",
            **values,
        }
    )
    return flat


def test_start_page_lists_every_type_in_vietnamese(client: Any, make_app: Any) -> None:
    page = client.get("/", headers=HTML).get_data(as_text=True)
    assert '<html lang="vi">' in page
    for doc_type in make_app().extensions["vb_services"].documents.catalog.types.values():
        assert f'href="/van-ban/{doc_type.id}' in page and doc_type.name in page


@pytest.mark.parametrize(
    "type_id",
    [
        "ke_hoach", "bao_cao", "cong_van", "quyet_dinh", "to_trinh", "thong_bao", "nghi_quyet",
        "cong_dien",
    ],
)
def test_each_form_is_generated_from_its_definition(client: Any, type_id: str) -> None:
    page = client.get(f"/van-ban/{type_id}", headers=HTML).get_data(as_text=True)
    assert 'for="f-subject"' in page and 'id="f-subject"' in page
    assert 'name="issuer.agency"' in page and 'name="date.day"' in page
    # Every label is bound to an input that exists on the page.
    for target in re.findall(r'<label for="([^"]+)"', page):
        assert f'id="{target}"' in page, target
    if type_id in ("quyet_dinh", "nghi_quyet"):
        assert 'name="authority"' in page and 'data-add="block-article"' in page
    if type_id == "bao_cao":
        assert 'id="tpl-block-indicators"' in page and 'id="tpl-part-indicator_row"' in page


def test_post_without_csrf_token_is_refused_with_a_page(client: Any) -> None:
    response = client.post("/van-ban/ke_hoach", data={"subject": "x"}, headers=HTML)
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    assert response.content_type.startswith("text/html")


def test_a_logged_in_page_calls_the_json_api_from_its_own_origin_without_a_token(
    client: Any,
) -> None:
    plan = load_sample("seed_000_ke_hoach_y_tich")
    own = client.post("/api/documents/ke_hoach?format=docx", json=plan,
                      headers={"Origin": "http://localhost"})
    assert own.status_code == 200
    # The session cookie alone proves nothing: another site's page could have sent it.
    for origin in ("http://evil.example", None):
        other = client.post("/api/documents/ke_hoach?format=docx", json=plan,
                            headers={"Origin": origin} if origin else {})
        assert other.status_code == 403
        assert other.json["message"].startswith("Yêu cầu từ trang khác bị từ chối")
    with_token = client.post("/api/documents/ke_hoach?format=docx", json=plan,
                             headers={"X-CSRF-Token": csrf(client)})
    assert with_token.status_code == 200


def test_api_errors_stay_json_even_for_a_browser(client: Any) -> None:
    response = client.get("/api/types/khong_co", headers=HTML)
    assert response.status_code == 404 and response.is_json


def test_unknown_page_is_an_html_page_for_a_browser(client: Any) -> None:
    response = client.get("/van-ban/khong_co", headers=HTML)
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.get_data(as_text=True)


def test_unknown_address_is_explained_in_vietnamese(client: Any) -> None:
    page = client.get("/khong-co-trang-nay", headers=HTML)
    assert page.status_code == 404
    assert "kiểm tra lại địa chỉ" in page.get_data(as_text=True)
    assert "requested URL" not in page.get_data(as_text=True)
    assert client.get("/api/khong-co").json["message"].startswith("Không có trang")


def test_unit_profiles_create_validate_edit_delete(client: Any) -> None:
    assert add_unit(client).status_code == 302
    listing = client.get("/don-vi", headers=HTML).get_data(as_text=True)
    assert "Ủy ban nhân dân xã Y Tịch" in listing
    taken = add_unit(client, **{"issuer.agency": "UBND khác"})
    assert taken.status_code == 422 and "đã dùng cho" in taken.get_data(as_text=True)
    bad = add_unit(client, slug="", **{"issuer.agency_code": "UB ND", "signer.title": ""})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert 'id="e-issuer.agency_code"' in text and "không dấu cách" in text
    assert 'id="e-signer.title"' in text
    edited = client.post(
        "/don-vi/ubnd-xa-y-tich",
        data={"csrf_token": csrf(client), **UNIT, "signer.name": "Nguyễn Văn Hiến"},
    )
    assert edited.status_code == 302
    form = client.get("/van-ban/ke_hoach?unit=ubnd-xa-y-tich", headers=HTML)
    assert 'value="Nguyễn Văn Hiến"' in form.get_data(as_text=True)
    deleted = client.post("/don-vi/ubnd-xa-y-tich/xoa", data={"csrf_token": csrf(client)})
    assert deleted.status_code == 302
    assert "Ủy ban nhân dân xã Y Tịch" not in client.get("/don-vi").get_data(as_text=True)


def test_form_prefills_the_unit_and_today(client: Any) -> None:

    add_unit(client)
    page = client.get("/van-ban/ke_hoach", headers=HTML).get_data(as_text=True)
    today = today_in_vietnam()  # the office's date, whatever the server's zone
    assert agency_shown(page) == "Ủy ban nhân dân xã Y Tịch"
    assert f'name="date.day" value="{today.day}"' in page
    assert f'name="date.year" value="{today.year}"' in page
    assert "Phòng LĐTBXH&amp;DT (B/c)\nCT, PCT UBND xã</textarea>" in page


def test_form_prefills_the_callers_own_unit_among_several(make_app: Any) -> None:
    app = make_app()
    admin = signed_in(app, "quantri", "quan_tri")
    add_unit(admin)
    add_unit(admin, slug="ubnd-xa-an-lac", **{"issuer.agency": "Ủy ban nhân dân xã An Lạc"})
    clerk = signed_in(app, "vanthu", "van_thu", "ubnd-xa-an-lac")
    own = clerk.get("/van-ban/ke_hoach", headers=HTML).get_data(as_text=True)
    assert agency_shown(own) == "Ủy ban nhân dân xã An Lạc"
    unchosen = admin.get("/van-ban/ke_hoach", headers=HTML).get_data(as_text=True)
    assert agency_shown(unchosen) == ""  # of no unit, two to choose from


def test_invalid_form_shows_vietnamese_errors_by_the_fields(client: Any) -> None:
    add_unit(client)
    posted = plan_form(client, **{"subject": "", "body.1.kind": "section", "body.1.title": ""})
    response = client.post("/van-ban/ke_hoach", data=posted, headers=HTML)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="e-subject" data-key="subject">Không được để trống.' in page
    assert 'id="e-body.1.title" data-key="body.1.title">Không được để trống.' in page
    assert 'aria-invalid="true"' in page
    assert "+ Mục con\nĐoạn **đậm**.</textarea>" in page  # nothing typed is lost


def test_preview_then_download_with_meaningful_names(client: Any) -> None:
    add_unit(client)
    response = client.post("/van-ban/ke_hoach", data=plan_form(client), headers=HTML)
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert "Kế hoạch &lt;thử&gt; &amp; &#34;nháy&#34; 🙂" in page
    image = re.search(r'src="(/xem-truoc/[^"]+/trang-1\.png)"', page)
    assert image, "no preview image"
    png = client.get(image.group(1))
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG")
    pdf_link = re.search(r'href="(/tai-ve/[^"]+\.pdf)"', page)
    assert pdf_link
    pdf = client.get(pdf_link.group(1))
    assert pdf.data.startswith(b"%PDF")
    year = re.search(r'name="date.year" value="(\d+)"', page)
    assert year
    name = f"KH-UBND-{year.group(1)}-xa-y-tich"
    assert f'filename="{name}.pdf"' in pdf.headers["Content-Disposition"]
    docx = client.get(pdf_link.group(1).replace(".pdf", ".docx"))
    assert f'filename="{name}.docx"' in docx.headers["Content-Disposition"]
    assert docx.data.startswith(b"PK")
    assert client.get("/tai-ve/khong-co-ma-nay-dau-nhe.pdf").status_code == 404


@pytest.mark.parametrize(
    ("error", "status", "words"),
    [
        (ConverterUnavailable("busy"), 503, "đang bận"),
        (ConversionFailed("crashed"), 502, "Không chuyển được"),
    ],
)
def test_converter_trouble_is_a_page_not_a_trace(
    make_app: Any, error: Exception, status: int, words: str
) -> None:
    client = signed_in(make_app(converter=FakeConverter(error=error)), "quantri", "quan_tri")
    add_unit(client)
    response = client.post("/van-ban/ke_hoach", data=plan_form(client), headers=HTML)
    page = response.get_data(as_text=True)
    assert response.status_code == status
    assert words in page and "Traceback" not in page
    assert response.headers["Retry-After"]
    assert 'name="body.0.title"' in page and ">Mục đích</textarea>" in page


def test_restored_draft_takes_a_newly_chosen_units_profile(client: Any) -> None:
    add_unit(client)
    add_unit(client, slug="ubnd-xa-khac", **{"issuer.agency": "Ủy ban nhân dân xã Khác"})
    posted = plan_form(client, _action="restore", _unit="ubnd-xa-khac")
    posted["_draft_unit"] = "ubnd-xa-y-tich"
    page = client.post("/van-ban/ke_hoach", data=posted, headers=HTML).get_data(as_text=True)
    assert "Đã khôi phục bản nháp" in page
    assert agency_shown(page) == "Ủy ban nhân dân xã Khác"
    assert ">Mục đích</textarea>" in page


def test_nav_hides_pages_that_are_not_registered(make_app: Any) -> None:
    from service.web.nav import add_nav_link

    app = make_app()
    add_nav_link(app, "khong.co", "Không có")
    page = app.test_client().get("/", headers=HTML).get_data(as_text=True)
    assert "Đơn vị" in page and "Không có" not in page


def test_a_repeated_form_line_is_shown_by_its_field(client: Any) -> None:
    add_unit(client)
    payload = load_sample("giay_gioi_thieu_lien_he_kinh_phi")
    payload["closing"] = ["Đề nghị Quý cơ quan tạo điều kiện để ông (bà) có tên ở trên hoàn thành "
                          "nhiệm vụ."]
    flat = FormModel(CATALOG, CATALOG.get("giay_gioi_thieu")).to_flat(payload)
    page = client.get("/van-ban/giay_gioi_thieu", headers=HTML).get_data(as_text=True)
    flat.update({"csrf_token": token(page), "_unit": "ubnd-xa-y-tich", "_action": "preview"})
    response = client.post("/van-ban/giay_gioi_thieu", data=flat, headers=HTML)
    assert response.status_code == 422
    assert ('id="e-closing" data-key="closing">Mẫu văn bản đã tự in dòng “Đề nghị Quý cơ quan tạo '
            "điều kiện để ông (bà) có tên ở trên hoàn thành nhiệm vụ …”; hãy bỏ đoạn này để không "
            "in hai lần.") in response.get_data(as_text=True)


def test_a_new_blocks_checkbox_shows_its_default(client: Any) -> None:
    from service.web.form_view import NEW_KEY

    page = client.get("/van-ban/ke_hoach", headers=HTML).get_data(as_text=True)
    template = page[page.index('<template id="tpl-block-table">'):]
    template = template[:template.index("</template>")]
    assert (f'<input type="checkbox" id="f-{NEW_KEY}.numbered" name="{NEW_KEY}.numbered" '
            'value="1" checked') in template
