"""What the bulk jobs' API and pages share: reading a job request, a job's view, who sees it."""

from __future__ import annotations

import json
from typing import Any

from flask import request, url_for

from service.bulk.inputs import InputNotFound, Kept
from service.bulk.jobs import OUTPUTS, BulkJobs
from service.bulk.outputs import ROW_STATE_LABELS, ManifestRow
from service.bulk.overrides import DEFAULT_SEPARATOR
from service.bulk.table import Table, TableUnreadable, read_table, table_format, table_from_records
from service.web.auth import current_actor, principal, scope, sees_owner
from service.web.context import services
from service.web.errors import error_response
from service.web.http import check_type, flag

JOB_STATES = {"running": "đang chạy", "assembling": "đang gộp tệp", "done": "xong",
              "cancelled": "đã hủy"}


def only_own_jobs() -> Any:
    """A job of a unit outside the caller's scope is answered as if it did not exist."""
    job_id = (request.view_args or {}).get("job_id")
    if job_id is not None and not bulk().visible(str(job_id), scope()):
        return job_not_found(str(job_id))
    return None




class RequestInvalid(ValueError):
    """The job request itself is malformed; `errors` maps fields to Vietnamese messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def bulk() -> BulkJobs:
    """The app's bulk jobs."""
    return services().bulk



def create_from_request() -> str:
    """Create the job the request (API or page) describes; its id."""
    base, table, allow_invalid, separator, duplex = job_request()
    return bulk().create(
        base, table, actor=current_actor(), unit=job_unit(), allow_invalid=allow_invalid,
        separator=separator, duplex=duplex,
    )


def job_unit() -> str | None:
    """The unit the job belongs to: the one asked for, the caller's own, or its only one.

    A job is seen by the callers of its unit: a key for several units names the unit, or its
    job would belong to none it can see.
    """
    body = request.get_json(silent=True) if request.is_json else None
    asked = body.get("unit") if isinstance(body, dict) else request.form.get("unit")
    units = principal().units
    unit = asked or principal().unit
    if unit is None and units is not None and len(units) == 1:
        unit = next(iter(units))
    if unit is None and units is not None:
        raise RequestInvalid({"unit": ["Khóa này dùng cho nhiều đơn vị: hãy chọn đơn vị của "
                                       "việc (unit)."]})
    if not isinstance(unit, str | None) or not principal().sees(unit):
        raise RequestInvalid({"unit": [f"Không có đơn vị {unit!r}."]})
    return unit


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
    if isinstance(base.get("doc_type"), str):
        check_type(base["doc_type"])  # a key limited to other types runs no job of this one
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
        return bulk().inputs.get(token, visible=sees_owner)
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
        "status_label": ROW_STATE_LABELS.get(row.status, row.status),
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

