"""Hostile inputs that once answered 500: each is a 4xx with a field path and a message."""

from __future__ import annotations

import io
from typing import Any

import pikepdf
import pytest

from service.core import documents, vn
from service.web.register import DATETIME
from tests.conftest import docx_text, load_sample
from tests.helpers import SignableConverter, plan

HUGE = 2**64 + 1  # past every 64-bit integer SQLite or a C long can hold
NUMBER_RANGE = "Phải từ -1.000.000.000.000.000 đến 1.000.000.000.000.000."
MAX_ITEMS = "Tối đa 1.000 mục; hãy gộp bớt hoặc tách sang văn bản khác."
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


@pytest.fixture(scope="module")
def client(make_module_app) -> Any:
    return make_module_app(SignableConverter()).test_client()


def render(client: Any, type_id: str, payload: dict[str, Any]) -> Any:
    """POST a document to the DOCX render endpoint."""
    return client.post(f"/api/documents/{type_id}?format=docx", json=payload)


def test_decision_without_body_is_422(client) -> None:
    payload = load_sample("quyet_dinh_thanh_lap_hoi_dong")
    payload.pop("body")
    response = render(client, "quyet_dinh", payload)
    assert response.status_code == 422
    assert response.json["errors"] == {"body": ["Cần nhập trường này."]}


def test_letter_without_addressee_is_422(client) -> None:
    payload = load_sample("cong_van_de_nghi_ho_tro")
    payload.pop("kinh_gui")
    response = render(client, "cong_van", payload)
    assert response.status_code == 422
    assert response.json["errors"] == {"kinh_gui": ["Cần nhập trường này."]}


def test_indicator_values_beyond_the_number_range_are_422(client) -> None:
    payload = load_sample("bao_cao_ket_qua_tre_em_2023")
    row = {"name": "Chỉ tiêu", "plan": 1.7e308, "achieved": 1.7e308}
    payload["body"] = [{"kind": "indicators", "rows": [row, row], "total": True}]
    response = render(client, "bao_cao", payload)
    assert response.status_code == 422
    assert response.json["errors"] == {
        f"body.0.rows.{i}.{key}": [NUMBER_RANGE] for i in (0, 1) for key in ("plan", "achieved")
    }


def test_an_integer_too_large_for_a_float_is_422(client) -> None:
    payload = load_sample("bao_cao_ket_qua_tre_em_2023")
    payload["body"] = [{"kind": "indicators", "rows": [{"name": "A", "plan": 10**400}]}]
    response = render(client, "bao_cao", payload)
    assert response.status_code == 422
    assert response.json["errors"] == {"body.0.rows.0.plan": [NUMBER_RANGE]}


def test_the_largest_number_still_renders_with_its_total(client) -> None:
    payload = load_sample("bao_cao_ket_qua_tre_em_2023")
    row = {"name": "Chỉ tiêu", "plan": -(10**15), "achieved": 1e15}
    payload["body"] = [{"kind": "indicators", "rows": [row, row], "total": True}]
    response = render(client, "bao_cao", payload)
    assert response.status_code == 200
    assert "2.000.000.000.000.000" in docx_text(response.data)


def test_too_many_sections_on_one_level_is_422(client) -> None:
    payload = load_sample("seed_000_ke_hoach_y_tich")
    payload["body"] = [{"kind": "section", "title": "Mục"}] * 4000
    response = render(client, "ke_hoach", payload)
    assert response.status_code == 422
    assert response.json["errors"] == {"body": [MAX_ITEMS]}


def test_too_many_appendices_is_422(client) -> None:
    payload = load_sample("seed_000_ke_hoach_y_tich")
    appendix = {"title": "Phụ lục", "body": [{"kind": "paragraph", "text": "x"}]}
    payload["appendices"] = [appendix] * 4000
    response = render(client, "ke_hoach", payload)
    assert response.status_code == 422
    assert response.json["errors"] == {"appendices": [MAX_ITEMS]}


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        ({"number": HUGE}, "number", "Phải từ 1 đến 99.999."),
        ({"date": {"day": 1, "month": 1, "year": HUGE}}, "date.year", "Phải từ 1.945 đến 2.100."),
    ],
)
def test_huge_integers_in_a_document_are_422(client, change, path, message) -> None:
    response = render(client, "ke_hoach", plan(**change))
    assert response.status_code == 422
    assert response.json["errors"] == {path: [message]}
    issued = client.post("/api/register/issue/ke_hoach", json=plan(**change))
    # The register refuses any number the clerk gives (it numbers), with its own message.
    assert issued.status_code == 422 and path in issued.json["errors"]


@pytest.mark.parametrize("path", [f"/api/register/{HUGE}", f"/api/register/{HUGE}/pdf",
                                  f"/api/register/{HUGE}/docx", "/api/register/0"])
def test_an_entry_id_that_cannot_exist_is_404(client, path) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert set(response.json) == {"code", "status", "message"}


@pytest.mark.parametrize(
    ("query", "path", "message"),
    [
        (f"/api/register?number={HUGE}", "query.number", "Số văn bản từ 1 đến 2.147.483.647."),
        (f"/api/register?year={HUGE}", "query.year", "Năm từ 1 đến 9999."),
        ("/api/register?year=0", "query.year", "Năm từ 1 đến 9999."),
        (f"/api/register?page={HUGE}", "query.page", "Trang đánh số từ 1 đến 2.147.483.647."),
        (f"/api/register?per_page={HUGE}", "query.per_page", "Mỗi trang từ 1 đến 200 mục."),
        (f"/api/audit?page={HUGE}", "query.page", "Trang đánh số từ 1 đến 2.147.483.647."),
        (f"/api/audit?per_page={HUGE}", "query.per_page", "Mỗi trang từ 1 đến 200 mục."),
    ],
)
def test_huge_query_integers_are_422(client, query, path, message) -> None:
    response = client.get(query)
    assert response.status_code == 422
    assert response.json["errors"] == {path: [message]}


@pytest.mark.parametrize(
    ("name", "moment"),
    [("since", "9999-12-31T23:59:59-14:00"), ("until", "0001-01-01T00:00:00+14:00")],
)
def test_a_moment_outside_the_utc_calendar_is_422(client, name, moment) -> None:
    response = client.get("/api/audit", query_string={name: moment})
    assert response.status_code == 422
    assert response.json["errors"] == {f"query.{name}": [DATETIME["utc"]]}


def pdf_with_form(make_form: Any) -> bytes:
    """A one-page PDF whose /AcroForm is what make_form(pdf) gives."""
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.Root.AcroForm = make_form(pdf)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def signature_field_with_value(pdf: pikepdf.Pdf) -> pikepdf.Dictionary:
    """A form with one /Sig field whose value /V is the number 5, not a signature dictionary."""
    field = pikepdf.Dictionary(FT=pikepdf.Name.Sig, T=pikepdf.String("Chu ky"), V=5)
    return pikepdf.Dictionary(Fields=pikepdf.Array([pdf.make_indirect(field)]))


@pytest.mark.parametrize("make_form", [signature_field_with_value, lambda pdf: 5])
def test_verify_a_pdf_whose_form_is_malformed_is_400(client, make_form) -> None:
    # 400, as /api/verify answers for any PDF it cannot read.
    response = client.post(
        "/api/verify", data=pdf_with_form(make_form), content_type="application/pdf"
    )
    assert response.status_code == 400
    assert response.json["message"] == "Tệp gửi lên không phải PDF đọc được."
    assert list(response.json["errors"]) == ["body"]


def test_clean_text_drops_bidirectional_controls() -> None:
    assert vn.clean_text("gnp\u202e.exe") == "gnp.exe"
    assert vn.clean_text(f"a{BIDI}b") == "ab"
    # Joiners and the soft hyphen are not direction controls: Vietnamese text may hold them.
    assert vn.clean_text("a\u200db\u00adc") == "a\u200db\u00adc"


def test_bidirectional_controls_never_reach_the_docx(client) -> None:
    payload = load_sample("seed_000_ke_hoach_y_tich")
    payload["subject"] = "Tệp gnp\u202e.exe đính kèm"
    payload["intro"] = [f"Đoạn {BIDI}mở đầu"]
    response = render(client, "ke_hoach", payload)
    assert response.status_code == 200
    text = docx_text(response.data)
    assert "gnp.exe" in text and "Đoạn mở đầu" in text
    assert not set(BIDI) & set(text)


def section(title: str, *children: dict[str, Any], number: str | None = None) -> dict[str, Any]:
    """A section block with its children."""
    block: dict[str, Any] = {"kind": "section", "title": title, "body": list(children)}
    if number is not None:
        block["number"] = number
    return block


@pytest.mark.parametrize(
    "body",
    [
        # a)…y) has 23 letters: a 24th lettered item (the fourth level) has no label.
        [section("I", section("1", section("1.1", *(
            section(f"Ý {i}", {"kind": "paragraph", "text": "x"}) for i in range(24)
        ))))],
        # An explicit "3999." asks the next first-level section for Roman numeral 4000.
        [section("Cuối", {"kind": "paragraph", "text": "x"}, number="3999."),
         section("Sau", {"kind": "paragraph", "text": "x"})],
    ],
    ids=["24-lettered-items", "past-roman-3999"],
)
def test_an_outline_past_its_labels_is_422(client, body: list[dict[str, Any]]) -> None:
    payload = load_sample("seed_000_ke_hoach_y_tich")
    payload["body"] = body
    response = render(client, "ke_hoach", payload)
    assert response.status_code == 422
    assert response.json["errors"] == {"body": [documents.NUMBERING_EXHAUSTED]}
