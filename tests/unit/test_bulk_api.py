"""Bulk jobs over HTTP (Flask test client, embedded runner, fake converter)."""

from __future__ import annotations

import io
import json
import re
import time
import zipfile
from typing import Any

from openpyxl import load_workbook

from tests.conftest import load_sample
from tests.fakes import GatedConverter

BASE = load_sample("seed_000_ke_hoach_y_tich")


def rows(count: int) -> list[dict[str, Any]]:
    return [{"commune": f"Xã {i}", "signer.name": f"Đinh Thị {i}"} for i in range(1, count + 1)]


def wait_done(client: Any, location: str) -> dict[str, Any]:
    for _ in range(200):
        body = client.get(location).get_json()
        if body["state"] in ("done", "cancelled") and (
            body["outputs_ready"] or body["state"] == "cancelled"
        ):
            return body
        time.sleep(0.05)
    raise AssertionError(f"job not finished: {body}")


def test_json_job_runs_to_its_outputs(make_app: Any) -> None:
    client = make_app().test_client()
    answer = client.post("/api/jobs", json={"base": BASE, "rows": rows(3)})
    assert answer.status_code == 202
    location = answer.headers["Location"]
    assert location == f"/api/jobs/{answer.get_json()['id']}"
    body = wait_done(client, location)
    assert (body["done"], body["failed"], body["total"], body["failures"]) == (3, 0, 3, [])
    archive = zipfile.ZipFile(io.BytesIO(client.get(body["links"]["zip"]).data))
    assert "docx/0002-xa-2.docx" in archive.namelist()
    manifest = client.get(body["links"]["manifest.json"]).get_json()
    assert [r["commune"] for r in manifest["rows"]] == ["Xã 1", "Xã 2", "Xã 3"]
    pdf = client.get(f"{location}/rows/2.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    assert client.get(f"{location}/rows/9.docx").status_code == 404
    # Past SQLite's integers: a 404 as for any row that is not there (was a 500, an overflow).
    assert client.get(f"{location}/rows/9223372036854775808.pdf").status_code == 404
    assert client.post(body["links"]["cancel"]).status_code == 409  # already done


def test_csv_upload_with_an_unknown_column_is_refused_with_a_report(make_app: Any) -> None:
    client = make_app().test_client()
    csv = "commune,signer.nam,date.day\nXã A,An,40\n".encode()
    answer = client.post(
        "/api/jobs",
        data={"base": (io.BytesIO(json.dumps(BASE).encode()), "base.json"),
              "table": (io.BytesIO(csv), "xa.csv")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 422
    errors = answer.get_json()["errors"]
    # The unknown column and the row's bad value at once; the row as the spreadsheet numbers it.
    assert list(errors) == ["columns.signer.nam", "rows.2.date.day"]
    assert "không có trường 'nam'" in errors["columns.signer.nam"][0]
    assert errors["rows.2.date.day"] == ["Phải từ 1 đến 31."]


def test_bad_requests_get_422_with_the_field(make_app: Any) -> None:
    client = make_app().test_client()
    no_table = client.post("/api/jobs", data={"base": "{}"}, content_type="multipart/form-data")
    assert no_table.status_code == 422 and "table" in no_table.get_json()["errors"]
    wrong_type = client.post("/api/jobs", json={"base": dict(BASE, doc_type="x"), "rows": rows(1)})
    assert wrong_type.status_code == 422
    assert "Không có loại văn bản 'x'" in wrong_type.get_json()["errors"]["base.doc_type"][0]
    no_rows = client.post("/api/jobs", json={"base": BASE, "rows": []})
    assert no_rows.status_code == 422 and no_rows.get_json()["errors"] == {
        "rows": ["Bảng không có dòng nào."]
    }
    assert client.get("/api/jobs/nope").status_code == 404


def test_cancel_skips_pending_rows_and_keeps_finished_ones(make_app: Any) -> None:
    converter = GatedConverter()
    app = make_app(converter=converter, bulk_workers=1)
    client = app.test_client()
    location = client.post("/api/jobs", json={"base": BASE, "rows": rows(5)}).headers["Location"]
    assert client.get(f"{location}/zip").status_code == 409  # nothing to download yet
    cancelled = client.post(f"{location}/cancel")
    assert cancelled.status_code == 200 and cancelled.get_json()["state"] == "cancelled"
    converter.open()
    wait_done(client, location)
    assert app.extensions["vb_services"].bulk.runner.wait(10)  # the row in flight finishes
    body = client.get(location).get_json()
    assert body["skipped"] >= 4 and body["done"] <= 1 and body["pending"] == 0
    manifest = client.get(f"{location}/manifest.json").get_json()
    assert {r["status"] for r in manifest["rows"][1:]} == {"skipped"}


def test_commune_lists_to_start_from(make_app: Any) -> None:
    client = make_app().test_client()
    csv = client.get("/api/communes?province=Lạng Sơn&format=csv")
    assert csv.status_code == 200 and "xa-phuong-lang_son.csv" in csv.headers["Content-Disposition"]
    text = csv.data.decode("utf-8-sig")
    assert "Xã Thất Khê,UBND tỉnh Lạng Sơn,Ủy ban nhân dân xã Thất Khê" in text
    xlsx = client.get("/api/communes?province=20&format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet is not None and sheet.max_row == 66  # header + 65 communes
    assert client.get("/api/communes?province=Atlantis").status_code == 422
    # "²" and "٣" are digits to Python but no province code: 422, not a 500 from int().
    for odd in ("²", "٣"):
        assert client.get(f"/api/communes?province={odd}").status_code == 422
    assert len(client.get("/api/provinces").get_json()) == 34


def test_pages_upload_form_report_and_live_progress(make_app: Any) -> None:
    client = make_app().test_client()
    page = client.get("/jobs")
    assert page.status_code == 200
    html = page.data.decode()
    assert "Tạo hàng loạt" in html and 'name="table"' in html and "Lạng Sơn" in html
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    table = "commune,date.day\nXã A,45\n".encode()

    def form(**extra: Any) -> dict[str, Any]:
        return {"base": (io.BytesIO(json.dumps(BASE).encode()), "base.json"),
                "table": (io.BytesIO(table), "xa.csv"), **extra}

    assert client.post("/jobs", data=form(), content_type="multipart/form-data").status_code == 400
    refused = client.post("/jobs", data=form(csrf_token=token), content_type="multipart/form-data")
    assert refused.status_code == 422
    assert "date.day" in refused.data.decode() and "Phải từ 1 đến 31." in refused.data.decode()
    created = client.post("/jobs", data=form(csrf_token=token, allow_invalid="1"),
                          content_type="multipart/form-data")
    assert created.status_code == 303
    detail = client.get(created.headers["Location"]).data.decode()
    assert "<progress" in detail and 'data-status-url="/api/jobs/' in detail
