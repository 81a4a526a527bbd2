"""The bulk report and per-commune text: every problem at once by spreadsheet row, duplicates
never produced, placeholders per row, files kept after a refusal, a form's preview as a base."""

from __future__ import annotations

import html
import io
import json
import re
import time
import zipfile
from typing import Any

import openpyxl
import pytest

from service.bulk.check import check_table
from service.bulk.embedded import EmbeddedRunner
from service.bulk.jobs import BulkJobs, TableRejected
from service.bulk.table import read_table
from service.core import placeholders
from service.core.documents import DocumentInvalid, DocumentService
from tests.conftest import bulk_base, csrf_of, docx_text, normalise, signed_in
from tests.unit.test_bulk_api import wait_done

BASE = bulk_base("seed_000_ke_hoach_y_tich")
HTML = {"Accept": "text/html"}
# A header, a blank line Excel keeps, then rows: row 4 has two bad values, row 6 repeats row 3.
FOUR_PROBLEMS = (
    "commune,issuer.agency,date.day,number,ghi_chu_sai\n"
    "\n"
    "Xã An Lạc,Ủy ban nhân dân xã An Lạc,3,4,x\n"
    "Xã Bình Minh,Ủy ban nhân dân xã Bình Minh,45,ba,x\n"
    "Xã Cao Sơn,Ủy ban nhân dân xã Cao Sơn,5,6,x\n"
    "xã  an lạc,Ủy ban nhân dân xã An Lạc,7,8,x\n"
).encode()


def test_report_shows_all_four_problems_with_spreadsheet_rows(documents: DocumentService) -> None:
    table = read_table(FOUR_PROBLEMS, "csv")
    assert table.lines == [3, 4, 5, 6]
    report = check_table(documents, "ke_hoach", BASE, table).as_dict()
    assert [c["column"] for c in report["unknown_columns"]] == ["ghi_chu_sai"]
    assert [(e["row"], e["column"], e["value"], e["message"]) for e in report["errors"]] == [
        (4, "date.day", "45", "Phải từ 1 đến 31."),
        (4, "number", "ba", "Phải là số nguyên."),
    ]
    assert report["duplicates"] == [{
        "rows": [3, 6], "commune": "xã  an lạc",
        "message": "Xã/phường 'xã  an lạc' trùng với dòng 3; dòng này không được tạo.",
    }]
    assert (report["rows"], report["valid_rows"], report["ok"]) == (4, 2, False)


def test_placeholders_a_row_cannot_fill_and_unknown_names_are_reported(
    documents: DocumentService,
) -> None:
    base = dict(BASE, intro=["UBND {ten_xa}, thôn {ten_thon}, {chu_tich}, {khong_co}."],
                signer=dict(BASE["signer"], name=""))
    table = read_table(
        "commune,ten_thon,signer.name\nXã A,Bản Một,Lò Văn A\nXã B,,Lò Văn B\nXã C,Bản Ba,\n"
        .encode(), "csv")
    report = check_table(documents, "ke_hoach", base, table)
    assert report.unknown_columns == []  # ten_thon is a placeholder value, not a field
    assert [p["name"] for p in report.unknown_placeholders] == ["khong_co"]
    assert report.blocking
    assert [(p.row, p.column, p.message) for p in report.problems] == [
        (3, "ten_thon", "Không có giá trị cho {ten_thon} (dùng ở intro.0): ô của dòng này trống."),
        (4, "signer.name",
         "Không có giá trị cho {chu_tich} (dùng ở intro.0): ô của dòng này trống."),
    ]


def test_a_duplicate_is_produced_once_even_when_valid_rows_run_anyway(bulk_jobs: BulkJobs) -> None:
    jobs = bulk_jobs
    base = dict(BASE, intro=["UBND {ten_xa} xây dựng kế hoạch, thôn {ten_thon}."])
    table = read_table(
        "commune,issuer.agency,ten_thon\n"
        "Xã An Lạc,Ủy ban nhân dân xã An Lạc,Bản Một\n"
        "Xã Bình Minh,Ủy ban nhân dân xã Bình Minh,Bản Hai\n"
        "Xã An Lạc,Ủy ban nhân dân xã An Lạc,Bản Ba\n".encode(), "csv")
    with pytest.raises(TableRejected):
        jobs.create(base, table, actor="t")
    job_id = jobs.create(base, table, actor="t", allow_invalid=True)
    runner = jobs.runner
    assert isinstance(runner, EmbeddedRunner) and runner.wait(60)
    runner.stop()
    assert [(r.row, r.status) for r in jobs.rows(job_id)] == [
        (1, "done"), (2, "done"), (3, "failed")]
    assert jobs.failures(job_id)[0]["error"] == (
        "Dữ liệu chưa hợp lệ: dòng 4 của bảng: Xã/phường 'Xã An Lạc' trùng với dòng 2; "
        "dòng này không được tạo.")
    archive = zipfile.ZipFile(jobs.output(job_id, "zip"))
    assert sorted(n for n in archive.namelist() if n.startswith("docx/")) == [
        "docx/0001-xa-an-lac.docx", "docx/0002-xa-binh-minh.docx"]
    text = normalise(docx_text(archive.read("docx/0002-xa-binh-minh.docx")))
    assert "UBND xã Bình Minh xây dựng kế hoạch, thôn Bản Hai." in text


def clerk(app: Any) -> Any:
    """A văn thư of commune Y Tịch, logged in (issuing and bulk jobs are a văn thư's)."""
    app.extensions["vb_services"].units.save({
        "slug": "y-tich", "issuer": BASE["issuer"], "signer": BASE["signer"],
        "recipients": ["UBND huyện"], "archive": "VT"})
    return signed_in(app, "lan", "van_thu", "y-tich")


def preview_page(client: Any, intro: str) -> str:
    """Post a plan form with the given intro and return the preview page."""
    page = client.get("/van-ban/ke_hoach", headers=HTML).get_data(as_text=True)
    flat = dict(re.findall(r'<input type="text" id="f-[^"]+" name="([^"]+)" value="([^"]*)"', page))
    flat.update(re.findall(r'<textarea id="f-[^"]+" name="([^"]+)"[^>]*>([^<]*)</textarea>', page))
    flat.update({
        "csrf_token": csrf_of(page), "_action": "preview",
        "issuer.agency": "Ủy ban nhân dân xã Y Tịch", "issuer.agency_short": "UBND xã Y Tịch",
        "issuer.place": "Y Tịch", "issuer.agency_code": "UBND", "signer.title": "Chủ tịch",
        "signer.name": "Vương Văn Sơn", "subject": "Kế hoạch thử", "intro": intro,
        "body.0.kind": "section", "body.0.title": "Mục đích", "body.0.body_text": "Đoạn.",
    })
    response = client.post("/van-ban/ke_hoach", data=flat, headers=HTML)
    assert response.status_code == 200, response.get_data(as_text=True)[:3000]
    return response.get_data(as_text=True)


def test_a_previewed_form_becomes_the_base_of_a_job_and_a_json_file(make_app: Any) -> None:
    client = clerk(make_app())
    page = preview_page(client, "UBND {ten_xa} xây dựng kế hoạch.")
    bulk_link = re.search(r'href="(/jobs\?goc=[^"]+)">Tạo hàng loạt từ văn bản này<', page)
    assert bulk_link, "no bulk button on the preview"
    token = bulk_link.group(1).split("=")[1]
    download = client.get(f"/tai-ve/{token}.json")
    assert download.status_code == 200 and download.mimetype == "application/json"
    assert json.loads(download.data)["intro"] == ["UBND {ten_xa} xây dựng kế hoạch."]
    jobs_page = client.get(bulk_link.group(1), headers=HTML).get_data(as_text=True)
    assert "Đang dùng: <strong>Kế hoạch thử</strong> (văn bản vừa soạn)" in jobs_page
    table = "commune,issuer.agency\nXã Thất Khê,Ủy ban nhân dân xã Thất Khê\n".encode()
    answer = client.post("/jobs", data={
        "csrf_token": csrf_of(jobs_page), "goc": token,
        "table": (io.BytesIO(table), "xa.csv")}, headers=HTML)
    assert answer.status_code == 303
    assert client.get("/tai-ve/khong-co-ma-nay-dau-nhe.json").status_code == 404


def test_a_form_base_may_name_a_column_of_the_table(make_app: Any) -> None:
    client = clerk(make_app())
    page = preview_page(client, "Xã có {so_tre_em} trẻ em dưới 16 tuổi.")
    assert html.unescape(placeholders.columns_notice(["so_tre_em"])) in html.unescape(page)
    token = re.search(r'href="/jobs\?goc=([^"]+)"', page).group(1)  # type: ignore[union-attr]
    jobs_page = client.get(f"/jobs?goc={token}", headers=HTML).get_data(as_text=True)
    table = ("commune,issuer.agency,so_tre_em\n"
             "Xã Thất Khê,Ủy ban nhân dân xã Thất Khê,1.204\n").encode()
    answer = client.post("/jobs", data={
        "csrf_token": csrf_of(jobs_page), "goc": token,
        "table": (io.BytesIO(table), "xa.csv")}, headers=HTML)
    assert answer.status_code == 303
    job = answer.headers["Location"].rsplit("/", 1)[1]
    assert wait_done(client, f"/api/jobs/{job}")["state"] == "done"
    row = client.get(f"/api/jobs/{job}/rows/1.docx")
    assert row.status_code == 200
    assert "Xã có 1.204 trẻ em dưới 16 tuổi." in docx_text(row.data)


def test_a_base_naming_a_column_cannot_be_issued_unfilled() -> None:
    with pytest.raises(DocumentInvalid) as refused:
        placeholders.fill_single({**BASE, "intro": ["Xã có {so_tre_em} trẻ em."]})
    assert refused.value.errors["intro.0"][0].startswith("{so_tre_em} không phải tên có sẵn (")


def test_a_refused_table_keeps_both_files_and_lists_every_problem(make_app: Any) -> None:
    client = clerk(make_app())
    page = client.get("/jobs", headers=HTML).get_data(as_text=True)
    answer = client.post("/jobs", data={
        "csrf_token": csrf_of(page),
        "base": (io.BytesIO(json.dumps(BASE).encode()), "goc.json"),
        "table": (io.BytesIO(FOUR_PROBLEMS), "xa.csv")}, headers=HTML)
    refused = answer.get_data(as_text=True)
    assert answer.status_code == 422
    rows = re.findall(r'<tr><td data-label="Dòng">(\d+)</td>'
                      r'<td data-label="Cột"><code>([^<]*)</code></td>', refused)
    assert rows == [("1", "ghi_chu_sai"), ("4", "date.day"), ("4", "number"), ("6", "commune")]
    assert "4 dòng, 2 dòng hợp lệ, 1 cột không nhận ra; 4 lỗi." in refused
    kept = dict(re.findall(r'name="(goc|bang)" value="([^"]+)"', refused))
    assert set(kept) == {"goc", "bang"} and "Đang dùng: <strong>xa.csv</strong>" in refused
    fixed = FOUR_PROBLEMS.decode().replace(",ghi_chu_sai", "").replace(",x\n", "\n")
    fixed = fixed.replace(",45,ba", ",15,9").replace("xã  an lạc", "Xã Đông Tiến")
    again = client.post("/jobs", data={  # the base is not picked again: its token is sent
        "csrf_token": csrf_of(refused), "goc": kept["goc"],
        "table": (io.BytesIO(fixed.encode()), "xa.csv")}, headers=HTML)
    assert again.status_code == 303, again.get_data(as_text=True)[:3000]
    job_page = client.get(again.headers["Location"], headers=HTML).get_data(as_text=True)
    assert re.search(r"<strong data-k=\"state_label\">(đang chạy|đang gộp tệp|xong)</strong>",
                     job_page)
    assert 'aria-disabled="true">Tải ZIP tất cả</a>' in job_page or (
        "xong</strong>" in job_page)


def test_the_api_fills_columns_and_refuses_a_name_no_column_has(make_app: Any) -> None:
    client = make_app().test_client()
    base = dict(BASE, intro=["{co_quan} giao thôn {ten_thon} thực hiện; {{mẫu}}."])
    rows = [{"commune": "Xã A", "issuer.agency": "Ủy ban nhân dân xã A", "ten_thon": "Bản Một"}]
    answer = client.post("/api/jobs", json={"base": base, "rows": rows})
    assert answer.status_code == 202, answer.get_json()
    for _ in range(200):
        body = client.get(answer.headers["Location"]).get_json()
        if body["outputs_ready"] and body["state"] == "done":
            break
        time.sleep(0.05)
    assert body["state_label"] == "xong" and body["rows"][0]["status_label"] == "xong"
    docx = client.get(body["rows"][0]["docx"]).data
    assert "Ủy ban nhân dân xã A giao thôn Bản Một thực hiện; {mẫu}." in normalise(docx_text(docx))
    refused = client.post("/api/jobs", json={"base": dict(base, subject="{ten_huyen}"),
                                             "rows": rows})
    assert refused.status_code == 422
    assert list(refused.get_json()["errors"]) == ["placeholders.ten_huyen"]


def test_the_command_line_prints_every_problem_by_spreadsheet_row(
    documents: DocumentService,
) -> None:
    from service.bulk_cli import print_report

    report = check_table(documents, "ke_hoach", BASE, read_table(FOUR_PROBLEMS, "csv"))
    out = io.StringIO()
    print_report(report.as_dict(), out)
    assert out.getvalue().splitlines()[:5] == [
        "Bảng chưa hợp lệ (2/4 dòng hợp lệ):",
        "  cột ghi_chu_sai: ghi_chu_sai: không có trường 'ghi_chu_sai' trong văn bản loại "
        "ke_hoach.",
        "  dòng 4, cột date.day: Phải từ 1 đến 31.",
        "  dòng 4, cột number: Phải là số nguyên.",
        "  dòng 6: Xã/phường 'xã  an lạc' trùng với dòng 3; dòng này không được tạo.",
    ]


def post_job_form(client: Any, base: dict[str, Any], table: bytes, name: str) -> Any:
    """Post the bulk form with a base document and a table file, as a browser does."""
    page = client.get("/jobs", headers=HTML).get_data(as_text=True)
    return client.post("/jobs", data={
        "csrf_token": csrf_of(page), "base": (io.BytesIO(json.dumps(base).encode()), "goc.json"),
        "table": (io.BytesIO(table), name)}, headers=HTML)


def test_the_form_fills_a_placeholder_from_any_column_and_names_one_no_column_fills(
    make_app: Any,
) -> None:
    client = clerk(make_app())
    base = dict(BASE, intro=["UBND {ten_xa} có {so_tre_em} trẻ em dưới 16 tuổi."])
    sheet = openpyxl.Workbook()
    sheet.active.append(["commune", "issuer.agency", "so_tre_em"])
    sheet.active.append(["Xã Thất Khê", "Ủy ban nhân dân xã Thất Khê", 1250])
    xlsx = io.BytesIO()
    sheet.save(xlsx)
    tables = {"xa.xlsx": xlsx.getvalue(),
              "xa.csv": "commune,issuer.agency,so_tre_em\nXã Na Sầm,Ủy ban nhân dân xã Na Sầm,"
                        "980\n".encode()}
    for name, table in tables.items():
        answer = post_job_form(client, base, table, name)
        assert answer.status_code == 303, answer.get_data(as_text=True)[:3000]
        job = wait_done(client, "/api/jobs/" + answer.headers["Location"].rsplit("/", 1)[1])
        [row] = job["rows"]
        text = normalise(docx_text(client.get(row["docx"]).data))
        commune, count = ("Thất Khê", "1250") if name.endswith("xlsx") else ("Na Sầm", "980")
        assert f"UBND xã {commune} có {count} trẻ em dưới 16 tuổi." in text
    refused = post_job_form(client, base, "commune,issuer.agency\nXã Na Sầm,Ủy ban nhân dân xã "
                            "Na Sầm\n".encode(), "xa.csv")
    assert refused.status_code == 422
    rows = re.findall(r'<tr><td data-label="Dòng">([^<]*)</td><td data-label="Cột"><code>([^<]*)'
                      r'</code></td><td data-label="Giá trị"></td><td data-label="Lý do">([^<]*)<',
                      refused.get_data(as_text=True))
    assert rows == [("—", "{so_tre_em}",
                     "Văn bản gốc dùng {so_tre_em} (ở intro.0) nhưng bảng không có cột so_tre_em "
                     "và đó không phải tên có sẵn. Thêm cột so_tre_em, hoặc viết {{so_tre_em}} để "
                     "in nguyên dấu ngoặc.")]
