"""The JSON API with a fake converter: formats, file names, one error shape, status codes."""

from __future__ import annotations

import json

import pytest

from service.core.converter import ConverterUnavailable
from tests.conftest import docx_text, load_sample
from tests.fakes import FakeConverter
from tests.helpers import hand_made_pdf


class BusyConverter(FakeConverter):
    """A converter whose every instance is taken."""

    def convert(self, docx: bytes, *, pdf_version: int | None = None) -> bytes:
        raise ConverterUnavailable("all busy")


@pytest.fixture(scope="module")
def client(make_module_app):
    return make_module_app(max_request_bytes=200_000).test_client()


def test_types_list_fields_with_vietnamese_labels(client) -> None:
    types = client.get("/api/types").json
    plan = next(t for t in types if t["id"] == "ke_hoach")
    subject = next(f for f in plan["fields"] if f["name"] == "subject")
    assert subject["label"] == "Trích yếu" and subject["required"]
    assert client.get("/api/types/cong_van").json["code"] is None


def test_pdf_by_default_with_ascii_and_utf8_names(client) -> None:
    response = client.post("/api/documents/ke_hoach", json=load_sample("seed_000_ke_hoach_y_tich"))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    disposition = response.headers["Content-Disposition"]
    assert 'filename="KH-UBND-2023-xa-y-tich.pdf"' in disposition
    assert "filename*=UTF-8''K%E1%BA%BF%20ho%E1%BA%A1ch" in disposition


@pytest.mark.parametrize("how", ["query", "field", "accept"])
def test_docx_chosen_by_query_field_or_accept(client, how: str) -> None:
    payload = load_sample("seed_000_ke_hoach_y_tich")
    url, headers = "/api/documents/ke_hoach", {}
    if how == "query":
        url += "?format=docx"
    elif how == "field":
        payload["format"] = "docx"
    else:
        headers["Accept"] = (
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        )
    response = client.post(url, json=payload, headers=headers)
    assert response.status_code == 200
    assert "Vương Văn Sơn" in docx_text(response.data)


def test_malformed_json_is_400(client) -> None:
    response = client.post(
        "/api/documents/ke_hoach", data='{"a": ', content_type="application/json"
    )
    assert response.status_code == 400
    assert set(response.json) == {"code", "status", "message"}


def test_wrong_content_type_is_415(client) -> None:
    response = client.post("/api/documents/ke_hoach", data="subject=x", content_type="text/plain")
    assert response.status_code == 415 and response.json["code"] == 415


def test_too_large_is_413(client) -> None:
    payload = load_sample("seed_000_ke_hoach_y_tich")
    payload["intro"] = ["x" * 10_000] * 30
    response = client.post("/api/documents/ke_hoach", json=payload)
    assert response.status_code == 413 and response.json["code"] == 413


def test_invalid_document_is_422_with_paths(client) -> None:
    payload = load_sample("seed_000_ke_hoach_y_tich")
    payload["issuer"].pop("agency")
    payload["body"][1]["body"][0]["title"] = 5
    response = client.post("/api/documents/ke_hoach", json=payload)
    assert response.status_code == 422
    assert response.json["errors"] == {
        "issuer.agency": ["Cần nhập trường này."],
        "body.1.body.0.title": ["Phải là chuỗi ký tự."],
    }


def test_bad_format_and_unknown_type(client) -> None:
    payload = load_sample("seed_000_ke_hoach_y_tich")
    assert client.post("/api/documents/ke_hoach?format=odt", json=payload).status_code == 422
    assert client.post("/api/documents/giay_khen", json=payload).status_code == 404


def test_deep_nesting_is_not_a_500(client) -> None:
    deep = "[" * 50_000 + "]" * 50_000
    response = client.post("/api/documents/ke_hoach", data=deep, content_type="application/json")
    assert response.status_code == 400
    assert response.json["message"] == "Dữ liệu lồng nhau quá sâu."
    nested = {"kind": "section", "title": "x", "body": []}
    node = nested
    for _ in range(400):
        child = {"kind": "section", "title": "x", "body": []}
        node["body"].append(child)
        node = child
    payload = load_sample("seed_000_ke_hoach_y_tich")
    payload["body"] = [nested]
    response = client.post(
        "/api/documents/ke_hoach", data=json.dumps(payload), content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json["message"] == "Dữ liệu lồng nhau quá sâu."


def test_busy_converter_is_503_with_retry_after(make_app) -> None:
    app = make_app(BusyConverter(), retry_after=7)
    response = app.test_client().post(
        "/api/documents/ke_hoach", json=load_sample("seed_000_ke_hoach_y_tich")
    )
    assert response.status_code == 503 and response.headers["Retry-After"] == "7"
    assert response.json["message"].startswith("Bộ chuyển đổi PDF đang bận")


def test_openapi_and_docs_page_work_offline(client) -> None:
    spec = client.get("/openapi.json").json
    assert "/api/documents/ke_hoach" in spec["paths"]
    assert "KeHoachDocument" in spec["components"]["schemas"]
    page = client.get("/docs").data.decode()
    assert "/swagger-ui/swagger-ui-bundle.js" in page and "cdn" not in page.lower()
    assert client.get("/swagger-ui/swagger-ui-bundle.js").status_code == 200
    health = client.get("/health")
    assert health.status_code == 200 and health.json["pool"]["ready"] == 1


def test_signing_without_a_findable_signature_space_is_422(client) -> None:
    response = client.post(
        "/api/documents/ke_hoach?signing=1", json=load_sample("seed_000_ke_hoach_y_tich")
    )
    assert response.status_code == 422
    assert list(response.json["errors"]) == ["signing"]


def test_verify_reports_a_signed_pdf(client) -> None:
    from tests.helpers import make_key
    from tests.unit.test_signing import SIGNER_FIELD, signed_pdf

    response = client.post(
        "/api/verify", data=signed_pdf(make_key()[0]), content_type="application/pdf"
    )
    assert response.status_code == 200
    assert response.json["count"] == 1
    (signature,) = response.json["signatures"]
    assert signature["intact"] is True and signature["field"] == SIGNER_FIELD
    assert signature["signer"] == "Nguyen Van Hien" and signature["covers_whole_document"]
    assert "/api/verify" in client.get("/openapi.json").json["paths"]


@pytest.mark.parametrize(
    "broken", [{"root": "5"}, {"startxref": "99999999999999999999"}],
    ids=["root-is-a-number", "startxref-past-any-integer"],
)
def test_verify_refuses_a_pdf_that_breaks_the_format(client, broken: dict[str, str]) -> None:
    assert client.post("/api/verify", data=hand_made_pdf(), content_type="application/pdf"
                       ).json["count"] == 0
    response = client.post("/api/verify", data=hand_made_pdf(**broken),
                           content_type="application/pdf")
    assert response.status_code == 400  # was a 500 (AttributeError, OverflowError)
    assert response.json["message"] == "Tệp gửi lên không phải PDF đọc được."


def test_verify_wants_a_pdf(client) -> None:
    response = client.post("/api/verify", data="%PDF-1.7", content_type="text/plain")
    assert response.status_code == 415 and response.json["code"] == 415
    response = client.post("/api/verify", data=b"garbage", content_type="application/pdf")
    assert response.status_code == 400
    assert set(response.json) == {"code", "status", "message", "errors"}


def test_a_repeated_form_line_is_422_naming_the_field(client) -> None:
    payload = load_sample("giay_gioi_thieu_lien_he_kinh_phi")
    payload["closing"] = ["Đề nghị Quý cơ quan tạo điều kiện để ông (bà) có tên ở trên hoàn thành "
                          "nhiệm vụ."]
    response = client.post("/api/documents/giay_gioi_thieu", json=payload)
    assert response.status_code == 422
    assert response.json["errors"] == {"closing.0": [
        "Mẫu văn bản đã tự in dòng “Đề nghị Quý cơ quan tạo điều kiện để ông (bà) có tên ở trên "
        "hoàn thành nhiệm vụ …”; "
        "hãy bỏ đoạn này để không in hai lần."]}
