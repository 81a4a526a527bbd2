"""Bulk jobs over HTTP: create, follow, cancel, download; the provinces and their communes."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, request, send_file, url_for
from flask_smorest import Api, Blueprint

from service.bulk import communes
from service.bulk.jobs import OUTPUTS, OutputNotReady, TableRejected
from service.bulk.table import XLSX_MEDIA, TableTooLarge, write_csv, write_xlsx
from service.web import schemas
from service.web.errors import error_response
from service.web.http import MEDIA, SQL_INT_MAX
from service.web.job_requests import (
    RequestInvalid,
    bulk,
    create_from_request,
    job_not_found,
    job_view,
    only_own_jobs,
)
from service.web.openapi import RETRY_AFTER, error, errors, files, ref

api_blp = Blueprint(
    "jobs_api",
    __name__,
    url_prefix="/api",
    description="Tạo văn bản hàng loạt: một văn bản gốc và một bảng, mỗi dòng một xã/phường.",
)
api_blp.before_request(only_own_jobs)
OUTPUT_MEDIA = {
    "zip": "application/zip",
    "merged.pdf": MEDIA["pdf"],
    "manifest.csv": "text/csv; charset=utf-8",
    "manifest.json": "application/json",
}
TABLE_MEDIA = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX_MEDIA, "json": "application/json"}
PROVINCE_KEYS = [key for p in communes.provinces() for key in (str(p["code"]), str(p["name"]))]
LOCATION = {"description": "Địa chỉ theo dõi việc", "schema": {"type": "string"}}


@api_blp.route("/jobs", methods=["POST"])
@api_blp.doc(
    summary="Tạo một việc hàng loạt",
    description=(
        "multipart/form-data: `base` (tệp JSON văn bản gốc), `table` (CSV, XLSX hoặc JSON), "
        "`allow_invalid` (1 để chạy cả khi có dòng lỗi: dòng lỗi được ghi là thất bại), "
        "`separator` (dấu tách danh sách, mặc định `;`), `duplex` (1 để in hai mặt: trong PDF "
        "gộp, văn bản của mỗi dòng bắt đầu ở trang lẻ, thêm trang trắng sau văn bản có số trang "
        'lẻ); hoặc application/json `{"base": {...}, "rows": [{cột: giá trị}], '
        '"allow_invalid": false, "duplex": false}`. '
        "Trả 202 và Location; 422 kèm báo cáo từng dòng, từng cột."
    ),
    # The schemas name the catalog's types: each app publishes its own (openapi.create_api).
    requestBody={"required": True, "content": {
        "multipart/form-data": {"schema": ref("JobUpload")},
        "application/json": {"schema": ref("JobRequest")},
    }},
    responses=errors(413, 422),
)
@api_blp.response(202, schemas.Job, description="Đã nhận; theo dõi ở Location",
                  headers={"Location": LOCATION})
def create_job() -> Any:
    """Create a bulk job; 202 with Location, or 422 with the table's report."""
    try:
        job_id = create_from_request()
    except RequestInvalid as exc:
        return error_response(422, "Yêu cầu tạo hàng loạt chưa hợp lệ.", exc.errors)
    except TableRejected as exc:
        return rejected(exc)
    return job_view(job_id), 202, {"Location": url_for("jobs_api.job_status", job_id=job_id)}


@api_blp.route("/jobs/<job_id>", methods=["GET"])
@api_blp.doc(responses=errors(404))
@api_blp.response(200, schemas.Job, description="Tiến độ của việc")
def job_status(job_id: str) -> Any:
    """State, done/failed/total, ETA, failures and links to the outputs."""
    view = job_view(job_id)
    return job_not_found(job_id) if view is None else view


@api_blp.route("/jobs/<job_id>/cancel", methods=["POST"])
@api_blp.doc(responses=errors(404, 409))
@api_blp.response(200, schemas.Job, description="Đã hủy")
def cancel_job(job_id: str) -> Any:
    """Cancel a job: pending rows are skipped; 409 when it had already finished."""
    if bulk().progress(job_id) is None:
        return job_not_found(job_id)
    if not bulk().cancel(job_id):
        return error_response(409, "Việc này đã xong hoặc đã hủy, không hủy được nữa.")
    return job_view(job_id)


@api_blp.route("/jobs/<job_id>/<any('zip', 'merged.pdf', 'manifest.csv', 'manifest.json'):kind>",
               methods=["GET"])
@api_blp.doc(responses={
    "200": files("Tệp tổng hợp", *OUTPUT_MEDIA.values()),
    **errors(404),
    "409": error(409, "Việc chưa xong: tệp tổng hợp chưa có", **{"Retry-After": RETRY_AFTER}),
})
def job_output(job_id: str, kind: str) -> Any:
    """The ZIP of all files, the merged PDF, or the manifest (CSV or JSON)."""
    if bulk().progress(job_id) is None:
        return job_not_found(job_id)
    try:
        path = bulk().output(job_id, kind)
    except OutputNotReady:
        return error_response(409, "Việc chưa xong: tệp tổng hợp chưa có.",
                              headers={"Retry-After": "5"})
    name = f"hang-loat-{job_id[:8]}-{OUTPUTS[kind]}"
    return send_file(path, mimetype=OUTPUT_MEDIA[kind], as_attachment=True, download_name=name)


@api_blp.route(
    f"/jobs/<job_id>/rows/<int(max={SQL_INT_MAX}):index>.<any('docx', 'pdf'):ext>", methods=["GET"]
)
@api_blp.doc(responses={"200": files("Tệp của một dòng", MEDIA["docx"], MEDIA["pdf"]),
                        **errors(404)})
def row_file(job_id: str, index: int, ext: str) -> Any:
    """One row's DOCX or PDF, once the row is done."""
    path = bulk().row_file(job_id, index, ext)
    if path is None:
        return error_response(404, f"Dòng {index} chưa có tệp {ext.upper()}.")
    return send_file(path, mimetype=MEDIA[ext], as_attachment=True, download_name=path.name)


@api_blp.route("/provinces", methods=["GET"])
@api_blp.response(200, schemas.Province(many=True), description="Các tỉnh, thành phố")
def province_list() -> Any:
    """The 34 provinces and centrally-run cities (2025), code and name."""
    return communes.provinces()


@api_blp.route("/communes", methods=["GET"])
@api_blp.doc(parameters=[
    {"in": "query", "name": "province", "required": True,
     "schema": {"type": "string", "enum": PROVINCE_KEYS},
     "description": "Mã (20) hoặc tên tỉnh/thành phố (Lạng Sơn)."},
    {"in": "query", "name": "format", "schema": {"type": "string", "enum": list(TABLE_MEDIA)}},
], responses={
    "200": files("Bảng xã/phường (CSV, XLSX) hoặc JSON", *TABLE_MEDIA.values()),
    **errors(422),
})
def commune_list() -> Any:
    """A starting table: every commune/ward of the province with its agency and place."""
    key = request.args.get("province", "")
    fmt = request.args.get("format", "csv")
    if fmt not in TABLE_MEDIA:
        errors = {"format": ["Phải là csv, xlsx hoặc json."]}
        return error_response(422, "Định dạng không hợp lệ.", errors)
    try:
        table = communes.commune_table(key)
    except communes.UnknownProvince:
        return error_response(422, "Không có tỉnh/thành phố này.",
                              {"province": [f"Không tìm thấy tỉnh/thành phố {key!r}."]})
    if fmt == "json":
        return current_app.json.response(table.rows)
    content = write_csv(table) if fmt == "csv" else write_xlsx(table)
    province = communes.find_province(key)
    response = current_app.response_class(content, mimetype=TABLE_MEDIA[fmt])
    response.headers["Content-Disposition"] = (
        f'attachment; filename="xa-phuong-{province.codename}.{fmt}"'
    )
    return response


def rejected(exc: TableRejected) -> Any:
    """422 with the report as field paths (rows.3.date.day)."""
    report = exc.report
    message = (
        f"Bảng có lỗi: {len(report.bad_rows())} dòng có giá trị sai hoặc trùng, "
        f"{len(report.unknown_columns)} cột không nhận ra. Sửa bảng, hoặc gửi kèm "
        "allow_invalid=1 để chạy các dòng đúng (dòng sai được ghi là thất bại)."
    )
    return error_response(422, message, report.flat())



def init_app(app: Flask, api: Api) -> None:
    """Register the routes (the runner is built, resumed and stopped with the services)."""
    api.register_blueprint(api_blp)

    @app.errorhandler(TableTooLarge)  # TooManyRows among them
    def too_large(exc: TableTooLarge) -> Any:
        return error_response(413, str(exc))
