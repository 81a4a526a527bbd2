"""The register over HTTP with a fake converter: issue, entry, files, search, errors."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from service.web.context import EXTENSION
from tests.conftest import client_as, docx_text
from tests.helpers import PASSPHRASE, SignableConverter, make_key, plan, unit_profile


@pytest.fixture()
def app(make_app) -> Any:
    return make_app(SignableConverter())


@pytest.fixture()
def client(app) -> Any:
    return client_as(app, "lan")


def issue(client: Any, query: str = "", **changes: Any) -> Any:
    """POST the test plan to the issue endpoint."""
    return client.post(
        f"/api/register/issue/ke_hoach{query}", json=plan(**changes)
    )


def test_issue_answers_201_with_the_entry_and_its_location(client) -> None:
    response = issue(client)
    assert response.status_code == 201
    entry = response.json
    assert entry["number"] == 1 and entry["number_text"] == "01"
    assert entry["number_line"] == "Số: 01/KH-UBND" and entry["issued_by"] == "key:lan"
    assert response.headers["Location"] == entry["links"]["self"] == f"/api/register/{entry['id']}"
    assert issue(client).json["number_line"] == "Số: 02/KH-UBND"

    detail = client.get(entry["links"]["self"]).json
    assert detail["inputs"]["number"] == 1 and detail["subject"] == entry["subject"]
    pdf = client.get(entry["links"]["pdf"])
    assert pdf.mimetype == "application/pdf"
    assert hashlib.sha256(pdf.data).hexdigest() == entry["pdf_sha256"]
    assert pdf.headers["ETag"] == f'"{entry["pdf_sha256"]}"'
    assert 'filename="01-KH-UBND-' in pdf.headers["Content-Disposition"]
    docx = client.get(entry["links"]["docx"])
    assert hashlib.sha256(docx.data).hexdigest() == entry["docx_sha256"]
    assert "Số: 01/KH-UBND" in docx_text(docx.data)


def test_a_number_and_its_symbol_are_searched(client) -> None:
    issue(client)
    issue(client)
    found = client.get("/api/register?number=2&symbol=kh-ub").json
    assert [e["number_line"] for e in found["items"]] == ["Số: 02/KH-UBND"]
    assert client.get("/api/register?number=2&symbol=BC").json["total"] == 0


@pytest.mark.parametrize(
    "url", ["/api/register?q=", "/api/register?agency=", "/api/audit?subject=", "/api/audit?actor="]
)
def test_search_text_over_its_length_is_a_422(client, url: str) -> None:
    response = client.get(url + "a" * 50_000)
    # Was a 503 "database not answering": SQLite finds such a LIKE pattern too complex.
    assert response.status_code == 422
    field = url.split("?")[1].rstrip("=")
    assert response.json["errors"] == {f"query.{field}": ["Chữ tìm dài tối đa 200 ký tự."]}
    assert client.get(url + "a" * 200).status_code == 200


def test_list_and_search(client) -> None:
    issue(client, subject="Phòng, chống đuối nước")
    issue(client, subject="Tiêm chủng")
    listed = client.get("/api/register").json
    assert listed["total"] == 2 and [e["number"] for e in listed["items"]] == [2, 1]
    found = client.get("/api/register?q=duoi%20nuoc&type=ke_hoach&year=2023").json
    assert found["total"] == 0  # issued today, not in 2023
    found = client.get("/api/register?q=duoi%20nuoc&type=ke_hoach").json
    assert [e["subject"] for e in found["items"]] == ["Phòng, chống đuối nước"]
    paged = client.get("/api/register?per_page=1&page=2").json
    assert paged["total"] == 2 and [e["number"] for e in paged["items"]] == [1]


def test_bad_query_gives_vietnamese_messages_with_paths(client) -> None:
    response = client.get("/api/register?page=0&date_from=05/01/2026&number=x")
    assert response.status_code == 422
    errors = response.json["errors"]
    assert errors["query.page"] == ["Trang đánh số từ 1 đến 2.147.483.647."]
    assert errors["query.date_from"][0].startswith("Ngày phải viết dạng YYYY-MM-DD")
    assert errors["query.number"] == ["Phải là số nguyên."]
    assert response.json["message"] == "Tham số tra cứu chưa hợp lệ."


def test_bad_documents_and_options(client, app) -> None:
    response = issue(client, number=5)
    assert response.status_code == 422 and "number" in response.json["errors"]
    for date in ({"day": 31, "month": 2, "year": 2026}, "05/01/2026"):
        response = issue(client, date=date)
        assert response.status_code == 422
        assert any(k.startswith("date") for k in response.json["errors"])
    assert issue(client, "?unit=khong-co").json["errors"]["unit"][0].startswith("Không có đơn vị")
    response = issue(client, "?sign=1")
    assert response.status_code == 422 and "sign" in response.json["errors"]
    assert client.post("/api/register/issue/khong_co", json=plan()).status_code == 404
    assert client.post("/api/register/issue/ke_hoach", data="x").status_code == 415
    assert client.get("/api/register/999").status_code == 404
    # None of these took a number.
    assert issue(client).json["number"] == 1
    response = client.post(
        "/api/register/issue/ke_hoach", data="{", content_type="application/json"
    )
    assert response.status_code == 400


def test_characters_survive_issue(client) -> None:
    subject = 'Xử lý "nước" & <rác> thải 😀'
    entry = issue(client, subject=subject).json
    assert entry["subject"] == subject
    found = client.get("/api/register", query_string={"q": "<RÁC>"}).json
    assert [e["id"] for e in found["items"]] == [entry["id"]]


def test_sign_with_the_units_key_and_no_key_material_out(client, app) -> None:
    services = app.extensions[EXTENSION]
    services.units.save(unit_profile())
    services.keys.install("y-tich", make_key()[0], PASSPHRASE)
    response = client.post(
        "/api/register/issue/ke_hoach",
        json={**plan(), "unit": "y-tich", "sign": True},
    )
    assert response.status_code == 201, response.json
    entry = response.json
    assert entry["signed"] and entry["unit"] == "y-tich"
    pdf = client.get(entry["links"]["pdf"]).data
    verified = client.post("/api/verify", data=pdf, content_type="application/pdf").json
    assert verified["count"] == 1 and verified["signatures"][0]["intact"]
    listed = client.get("/api/register").get_data(as_text=True)
    assert "mat-khau" not in listed and "passphrase" not in listed
    assert "mat-khau" not in client.get(entry["links"]["self"]).get_data(as_text=True)
