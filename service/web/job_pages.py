"""The bulk jobs' pages: the upload form, a job's progress page, a previewed form as JSON."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Flask, current_app, redirect, render_template, request, url_for
from flask_smorest import Api

from service.bulk import communes
from service.bulk.inputs import InputNotFound, Kept
from service.bulk.jobs import TableRejected
from service.bulk.table import TableTooLarge
from service.core import placeholders
from service.web import csrf
from service.web.auth import owner, scope, sees_owner
from service.web.context import services
from service.web.errors import error_response
from service.web.job_requests import (
    JOB_STATES,
    RequestInvalid,
    bulk,
    chosen_files,
    create_from_request,
    job_not_found,
    job_view,
    only_own_jobs,
)

bp = Blueprint("jobs", __name__, template_folder="templates")
bp.before_request(csrf.check)
bp.before_request(only_own_jobs)


@bp.get("/jobs")
def index() -> Any:
    """The upload form (with a form's document as its base: ?goc=<preview token>), recent jobs."""
    kept: dict[str, Kept] = {}
    token = request.args.get("goc")
    if token:
        try:
            kept["goc"] = bulk().inputs.get(token, visible=sees_owner)
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
            token = chosen.token or bulk().inputs.keep(chosen.content, chosen.name, owner=owner())
            kept[token_field] = Kept(b"", chosen.name, token)
    return kept


@bp.get("/tai-ve/<token>.json")
def form_json(token: str) -> Any:
    """A previewed form's document as JSON: the base of a bulk job, or for other systems."""
    try:
        kept = bulk().inputs.get(token, visible=sees_owner)
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
    people = services().accounts
    return render_template(
        "jobs_index.html",
        provinces=communes.provinces(),
        recent=[(job, people.person(job.actor)) for job in bulk().recent(units=scope())],
        report=report,
        problems=report_lines(report) if report else [],
        errors=errors,
        kept=kept,
        base_subject=base_subject,
        job_states=JOB_STATES,
        builtins=placeholders.BUILTINS,
        types=bulk().ctx.documents.catalog.types.values(),
    )



def init_app(app: Flask, api: Api) -> None:
    """Register the pages (their nav link is in nav.DEFAULT_NAV)."""
    app.register_blueprint(bp)
