"""Bulk jobs over HTTP and their progress page."""

from __future__ import annotations

import json
from typing import Any

from flask import (
    Blueprint,
    Flask,
    current_app,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_smorest import Api
from flask_smorest import Blueprint as ApiBlueprint

from service.bulk import communes
from service.bulk.inputs import InputNotFound, Kept
from service.bulk.jobs import OUTPUTS, BulkJobs, OutputNotReady, TableRejected
from service.bulk.outputs import ManifestRow
from service.bulk.overrides import DEFAULT_SEPARATOR
from service.bulk.table import (
    XLSX_MEDIA,
    Table,
    TableTooLarge,
    TableUnreadable,
    read_table,
    table_format,
    table_from_records,
    write_csv,
    write_xlsx,
)
from service.core import placeholders
from service.web import csrf, pages
from service.web.api import MEDIA, flag
from service.web.auth import current_actor, principal, scope
from service.web.context import services
from service.web.errors import error_response
from service.web.openapi import RETRY_AFTER, error, errors, files, json_body, ref

api_blp = ApiBlueprint(
    "jobs_api",
    __name__,
    url_prefix="/api",
    description="Tạo văn bản hàng loạt: một văn bản gốc và một bảng, mỗi dòng một xã/phường.",
)
bp = Blueprint("jobs", __name__, template_folder="templates")
bp.before_request(csrf.check)


def only_own_jobs() -> Any:
    """A job of a unit outside the caller's scope is answered as if it did not exist."""
    job_id = (request.view_args or {}).get("job_id")
    if job_id is not None and not bulk().visible(str(job_id), scope()):
        return job_not_found(str(job_id))
    return None


bp.before_request(only_own_jobs)
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


class RequestInvalid(ValueError):
    """The job request itself is malformed; `errors` maps fields to Vietnamese messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def bulk() -> BulkJobs:
    """The app's bulk jobs."""
    return services().bulk


# -- API ------------------------------------------------------------------------------------


def create_from_request() -> str:
    """Create the job the request (API or page) describes; its id."""
    base, table, allow_invalid, separator, duplex = job_request()
    return bulk().create(
        base, table, actor=current_actor(), unit=principal().unit, allow_invalid=allow_invalid,
        separator=separator, duplex=duplex,
    )


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
    requestBody={"required": True, "content": {
        "multipart/form-data": {"schema": ref("JobUpload")},
        "application/json": {"schema": ref("JobRequest")},
    }},
    responses={
        "202": json_body(ref("Job"), "Đã nhận; theo dõi ở Location", Location=LOCATION),
        **errors(413, 422),
    },
)
def create_job() -> Any:
    """Create a bulk job; 202 with Location, or 422 with the table's report."""
    try:
        job_id = create_from_request()
    except RequestInvalid as exc:
        return error_response(422, "Yêu cầu tạo hàng loạt chưa hợp lệ.", exc.errors)
    except TableRejected as exc:
        return rejected(exc)
    response = current_app.json.response(job_view(job_id))
    response.status_code = 202
    response.headers["Location"] = url_for("jobs_api.job_status", job_id=job_id)
    return response


@api_blp.route("/jobs/<job_id>", methods=["GET"])
@api_blp.doc(responses={"200": json_body(ref("Job"), "Tiến độ của việc"), **errors(404)})
def job_status(job_id: str) -> Any:
    """State, done/failed/total, ETA, failures and links to the outputs."""
    view = job_view(job_id)
    if view is None:
        return job_not_found(job_id)
    return current_app.json.response(view)


@api_blp.route("/jobs/<job_id>/cancel", methods=["POST"])
@api_blp.doc(responses={"200": json_body(ref("Job"), "Đã hủy"), **errors(404, 409)})
def cancel_job(job_id: str) -> Any:
    """Cancel a job: pending rows are skipped; 409 when it had already finished."""
    if bulk().progress(job_id) is None:
        return job_not_found(job_id)
    if not bulk().cancel(job_id):
        return error_response(409, "Việc này đã xong hoặc đã hủy, không hủy được nữa.")
    return current_app.json.response(job_view(job_id))


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


@api_blp.route("/jobs/<job_id>/rows/<int:index>.<any('docx', 'pdf'):ext>", methods=["GET"])
@api_blp.doc(responses={"200": files("Tệp của một dòng", MEDIA["docx"], MEDIA["pdf"]),
                        **errors(404)})
def row_file(job_id: str, index: int, ext: str) -> Any:
    """One row's DOCX or PDF, once the row is done."""
    path = bulk().row_file(job_id, index, ext)
    if path is None:
        return error_response(404, f"Dòng {index} chưa có tệp {ext.upper()}.")
    return send_file(path, mimetype=MEDIA[ext], as_attachment=True, download_name=path.name)


@api_blp.route("/provinces", methods=["GET"])
@api_blp.doc(responses={"200": json_body(
    {"type": "array", "items": ref("Province")}, "Các tỉnh, thành phố"
)})
def province_list() -> Any:
    """The 34 provinces and centrally-run cities (2025), code and name."""
    return current_app.json.response(communes.provinces())


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


def job_request() -> tuple[dict[str, Any], Table, bool, str, bool]:
    """The base document, the table, allow_invalid, the list separator and duplex."""
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise RequestInvalid({"body": ["Phải là một đối tượng JSON {base, rows}."]})
        base, rows = body.get("base"), body.get("rows")
        try:
            table = table_from_records(rows)
        except TableUnreadable as exc:
            raise RequestInvalid({"rows": [str(exc)]}) from None
        allow, separator = body.get("allow_invalid") is True, body.get("separator")
        duplex = duplex_option(body.get("duplex", False), form=False)
    else:
        base_file, table_file = chosen_files()
        base = base_json(base_file)
        table = uploaded_table(table_file)
        allow = flag(request.form.get("allow_invalid"))
        separator = request.form.get("separator")
        duplex = duplex_option(request.form.get("duplex", ""), form=True)
    if not isinstance(base, dict):
        raise RequestInvalid({"base": ["Cần văn bản gốc: một đối tượng JSON có doc_type."]})
    return base, table, allow, list_separator(separator), duplex


FORM_BOOLEANS = {"1": True, "true": True, "on": True, "0": False, "false": False, "": False}


def duplex_option(value: Any, *, form: bool) -> bool:
    """Duplex printing asked for: a JSON boolean, or a form's 1/0 (an unticked box sends none)."""
    if not form and isinstance(value, bool):
        return value
    if form and isinstance(value, str) and value.strip().lower() in FORM_BOOLEANS:
        return FORM_BOOLEANS[value.strip().lower()]
    expected = "1 hoặc 0" if form else "true hoặc false"
    raise RequestInvalid({"duplex": [f"In hai mặt phải là {expected}."]})


def list_separator(value: Any) -> str:
    """The list separator asked for (a JSON body may send anything), else the default."""
    if value is not None and not isinstance(value, str):
        raise RequestInvalid({"separator": ["Dấu tách danh sách phải là chuỗi."]})
    separator = (value or DEFAULT_SEPARATOR).strip() or DEFAULT_SEPARATOR
    if len(separator) > 3:
        raise RequestInvalid({"separator": ["Dấu tách danh sách tối đa 3 ký tự."]})
    return separator


def chosen_files() -> tuple[Kept | None, Kept | None]:
    """The base and the table sent: a file chosen now, else the one kept under its token.

    The page sends the tokens (`goc`, `bang`) of files kept from a form's preview or from a
    refused attempt, so the clerk never picks them again; a text field `base` holding JSON
    also serves (the API).
    """
    base = _chosen("base", "goc")
    if base is None and (request.form.get("base") or "").strip():
        base = Kept(str(request.form["base"]).encode("utf-8"), "base.json")
    return base, _chosen("table", "bang")


def _chosen(field: str, token_field: str) -> Kept | None:
    """A file field's upload, else the kept file its token names (None when neither)."""
    upload = request.files.get(field)
    if upload is not None and upload.filename:
        upload.stream.seek(0)  # read again when a refused attempt keeps it
        return Kept(upload.read(), upload.filename, "", upload.mimetype)
    token = request.form.get(token_field) or ""
    if not token:
        return None
    try:
        return bulk().inputs.get(token)
    except InputNotFound:
        raise RequestInvalid({field: ["Tệp đã chọn trước đã hết hạn; hãy chọn lại."]}) from None


def base_json(chosen: Kept | None) -> Any:
    """The base document from its JSON file."""
    if chosen is None or not chosen.content.strip():
        raise RequestInvalid({"base": ["Chưa chọn tệp JSON văn bản gốc."]})
    try:
        return json.loads(chosen.content.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RequestInvalid({"base": [f"Tệp JSON không đọc được: {exc}"]}) from None


def uploaded_table(chosen: Kept | None) -> Table:
    """The table from its file: CSV, XLSX or JSON by its name."""
    if chosen is None:
        raise RequestInvalid({"table": ["Chưa chọn tệp bảng (CSV, XLSX hoặc JSON)."]})
    try:
        fmt = table_format(chosen.name, chosen.media)
        return read_table(chosen.content, fmt, max_rows=bulk().max_rows)
    except TableUnreadable as exc:
        raise RequestInvalid({"table": [str(exc)]}) from None


def rejected(exc: TableRejected) -> Any:
    """422 with the report as field paths (rows.3.date.day)."""
    report = exc.report
    message = (
        f"Bảng có lỗi: {len(report.bad_rows())} dòng có giá trị sai hoặc trùng, "
        f"{len(report.unknown_columns)} cột không nhận ra. Sửa bảng, hoặc gửi kèm "
        "allow_invalid=1 để chạy các dòng đúng (dòng sai được ghi là thất bại)."
    )
    return error_response(422, message, report.flat())


def job_view(job_id: str) -> dict[str, Any] | None:
    """The job's progress with its state in Vietnamese, failures, every row's files, links."""
    progress = bulk().progress(job_id)
    if progress is None:
        return None
    progress["state_label"] = JOB_STATES.get(progress["state"], progress["state"])
    progress["failures"] = bulk().failures(job_id)
    progress["rows"] = [row_view(job_id, row) for row in bulk().rows(job_id)]
    links = {"self": url_for("jobs_api.job_status", job_id=job_id),
             "cancel": url_for("jobs_api.cancel_job", job_id=job_id),
             "page": url_for("jobs.detail", job_id=job_id)}
    for kind in OUTPUTS:
        links[kind] = url_for("jobs_api.job_output", job_id=job_id, kind=kind)
    progress["links"] = links
    return progress


def row_view(job_id: str, row: ManifestRow) -> dict[str, Any]:
    """One row as the job page lists it: state in Vietnamese, error, its two files once done."""
    done = row.status == "done"
    return {
        "row": row.row,
        "commune": row.commune,
        "status": row.status,
        "status_label": ROW_STATES.get(row.status, row.status),
        "error": row.error,
        "pdf": url_for("jobs_api.row_file", job_id=job_id, index=row.row, ext="pdf")
        if done else None,
        "docx": url_for("jobs_api.row_file", job_id=job_id, index=row.row, ext="docx")
        if done else None,
        "pdf_name": row.pdf,
        "docx_name": row.docx,
    }


def job_not_found(job_id: str) -> Any:
    """404 for an unknown job."""
    return error_response(404, f"Không có việc hàng loạt {job_id!r}.")


# -- pages ----------------------------------------------------------------------------------

JOB_STATES = {"running": "đang chạy", "assembling": "đang gộp tệp", "done": "xong",
              "cancelled": "đã hủy"}
ROW_STATES = {"pending": "đang chờ", "running": "đang chạy", "done": "xong", "failed": "lỗi",
              "skipped": "bỏ qua"}


@bp.get("/jobs")
def index() -> Any:
    """The upload form (with a form's document as its base: ?goc=<preview token>), recent jobs."""
    kept: dict[str, Kept] = {}
    token = request.args.get("goc")
    if token:
        try:
            kept["goc"] = bulk().inputs.get(token)
        except InputNotFound:
            return render_form(errors={"base": [
                "Văn bản gốc từ trang soạn đã hết hạn; hãy bấm “Xem trước” rồi chọn lại "
                "“Tạo hàng loạt từ văn bản này”."]}), 404
    return render_form(kept=kept)


@bp.post("/jobs")
def submit() -> Any:
    """Create a job from the form; its page, or the form again with the report and the files."""
    try:
        job_id = create_from_request()
    except RequestInvalid as exc:
        return render_form(errors=exc.errors, kept=keep_chosen()), 422
    except TableRejected as exc:
        return render_form(report=exc.report.as_dict(), kept=keep_chosen()), 422
    except TableTooLarge as exc:  # TooManyRows among them
        return render_form(errors={"table": [str(exc)]}, kept=keep_chosen()), 422
    return redirect(url_for("jobs.detail", job_id=job_id), code=303)


def report_lines(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Every problem of a report as one table, by spreadsheet row (the header is row 1)."""
    lines: list[dict[str, Any]] = [
        {"row": "—", "column": "", "value": "", "message": f"Văn bản gốc, {path}: {' '.join(m)}"}
        for path, m in report["base_errors"].items()
    ]
    lines += [{"row": 1, "column": c["column"], "value": "",
               "message": c["message"].removeprefix(c["column"] + ": ")}
              for c in report["unknown_columns"]]
    lines += [{"row": "—", "column": "{" + n["name"] + "}", "value": "", "message": n["message"]}
              for n in report["unknown_placeholders"]]
    lines += [dict(e, value="" if e["value"] is None else e["value"]) for e in report["errors"]]
    lines += [{"row": d["rows"][1], "column": "commune", "value": d["commune"],
               "message": d["message"]} for d in report["duplicates"]]
    return sorted(lines, key=lambda line: line["row"] if isinstance(line["row"], int) else 0)


def keep_chosen() -> dict[str, Kept]:
    """The files of a refused attempt, kept under tokens so the page need not ask again."""
    kept: dict[str, Kept] = {}
    try:
        base, table = chosen_files()
    except RequestInvalid:
        return kept  # a token expired: that file must be chosen again anyway
    for token_field, chosen in (("goc", base), ("bang", table)):
        if chosen is not None:
            token = chosen.token or bulk().inputs.keep(chosen.content, chosen.name)
            kept[token_field] = Kept(b"", chosen.name, token)
    return kept


@bp.get("/tai-ve/<token>.json")
def form_json(token: str) -> Any:
    """A previewed form's document as JSON: the base of a bulk job, or for other systems."""
    try:
        kept = bulk().inputs.get(token)
    except InputNotFound:
        kept = None
    if kept is None or not kept.name.endswith(".json"):  # a kept table is not a document
        return error_response(404, "Bản xem trước đã hết hạn; hãy bấm “Xem trước” lại.")
    response = current_app.response_class(kept.content, mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{kept.name}"'
    return response


@bp.get("/jobs/<job_id>")
def detail(job_id: str) -> Any:
    """The job's page with a live progress bar and every row's files."""
    view = job_view(job_id)
    if view is None:
        return job_not_found(job_id)
    return render_template("jobs_detail.html", job=view)


@bp.post("/jobs/<job_id>/cancel")
def cancel_page(job_id: str) -> Any:
    """Cancel from the page, then back to it."""
    bulk().cancel(job_id)
    return redirect(url_for("jobs.detail", job_id=job_id), code=303)


def render_form(
    report: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
    kept: dict[str, Kept] | None = None,
) -> str:
    """The form page, with a report or errors when a submission was refused, and kept files."""
    kept = kept or {}
    base_subject = ""
    if "goc" in kept and kept["goc"].content:
        try:
            base_subject = str(json.loads(kept["goc"].content).get("subject") or "")
        except (ValueError, AttributeError):
            base_subject = ""
    return render_template(
        "jobs_index.html",
        provinces=communes.provinces(),
        recent=bulk().recent(units=scope()),
        report=report,
        problems=report_lines(report) if report else [],
        errors=errors,
        kept=kept,
        base_subject=base_subject,
        job_states=JOB_STATES,
        builtins=placeholders.BUILTINS,
        types=bulk().ctx.documents.catalog.types.values(),
    )


# -- wiring ---------------------------------------------------------------------------------


def init_app(app: Flask, api: Api) -> None:
    """Register the routes (the runner is built, resumed and stopped with the services)."""
    app.register_blueprint(bp)
    api.register_blueprint(api_blp)
    pages.add_nav_link(app, "jobs.index", "Tạo hàng loạt")

    @app.errorhandler(TableTooLarge)  # TooManyRows among them
    def too_large(exc: TableTooLarge) -> Any:
        return error_response(413, str(exc))
