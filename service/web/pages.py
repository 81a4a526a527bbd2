"""Web pages in Vietnamese: the forms generated from forms/, unit profiles, preview."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_smorest import Api

from service.core import placeholders
from service.core.clock import today_in_vietnam
from service.core.converter import ConversionError, ConverterUnavailable
from service.core.definitions import DocTypeDef
from service.core.documents import DocumentInvalid
from service.core.form_model import OUTLINE_HELP, Converted, Flat, FormModel, prefill
from service.core.preview import PreviewNotFound
from service.web import csrf, nav, unit_key_pages, unit_pages
from service.web.auth import current_actor, owner, principal, sees_owner
from service.web.context import services
from service.web.form_view import FormView
from service.web.http import MEDIA, documents, file_response

bp = Blueprint(
    "pages",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/pages",
)
bp.before_request(csrf.check)
unit_pages.register(bp)
unit_key_pages.register(bp)
def init_app(app: Flask, api: Api) -> None:
    """Register the pages and the menu every page shows."""
    nav.init_app(app)
    app.register_blueprint(bp)


Units = list[tuple[str, str]]


def unit_selection(
    slug: str | None, doc_type: DocTypeDef | None = None
) -> tuple[str | None, dict[str, Any] | None, Units]:
    """The selected unit's slug and prefill for the type (else the caller's own unit, else the
    only one), and the (slug, agency) choices for the selector: one query, as offices have a
    few units."""
    found = [u for u in services().units.list() if principal().sees(u.slug)]
    wanted = slug or principal().unit
    unit = next((u for u in found if u.slug == wanted), None) if wanted else None
    if unit is None and not slug and len(found) == 1:
        unit = found[0]
    choices = [(u.slug, u.issuer["agency"]) for u in found]
    by_council = doc_type is not None and doc_type.by_council
    return (unit.slug, unit.prefill(by_council), choices) if unit else (None, None, choices)


@bp.get("/")
def index() -> Any:
    """The start page: the document types and the unit in use."""
    slug, _, choices = unit_selection(request.args.get("unit"))
    return render_template(
        "index.html", types=list(documents().catalog.types.values()), unit=slug, units=choices
    )


@bp.get("/van-ban/<type_id>")
def form(type_id: str) -> Any:
    """A new document's form, prefilled from the unit profile and today's date in Vietnam;
    with `du_thao`, a saved draft's newest version to edit."""
    doc_type = documents().catalog.get(type_id)  # UnknownDocType is a 404 page
    model = FormModel(documents().catalog, doc_type)
    draft_id = request.args.get("du_thao", "")
    if draft_id.isdigit():
        draft = services().drafting.get(principal(), int(draft_id))  # DraftNotFound: 404
        if draft.doc_type != type_id or draft.data is None:
            abort(404, description=f"Dự thảo {draft_id} không phải {doc_type.name.lower()}.")
        slug, _, choices = unit_selection(draft.unit)
        return render_form(model, model.to_flat(draft.data), unit=slug, units=choices, draft=draft)
    slug, profile, choices = unit_selection(request.args.get("unit"), doc_type)
    flat = model.to_flat(prefill(model, profile, today_in_vietnam()))
    return render_form(model, flat, unit=slug, fresh=True, units=choices)


@bp.post("/van-ban/<type_id>")
def submit(type_id: str) -> Any:
    """Preview a filled form (or redraw a restored draft): errors by their inputs."""
    doc_type = documents().catalog.get(type_id)  # UnknownDocType is a 404 page
    model = FormModel(documents().catalog, doc_type)
    flat = form_values(request.form)
    slug = request.form.get("_unit") or None
    if slug and not principal().sees(slug):
        abort(404, description=f"Không có đơn vị “{slug}”.")
    if request.form.get("_action") == "restore":
        if slug and request.form.get("_draft_unit") != slug:
            # A unit chosen after the draft was saved replaces the draft's issuer and signer.
            flat = with_profile(model, flat, slug)
        return render_form(model, flat, unit=slug, restored=True)
    converted = model.to_payload(flat)
    if request.form.get("_action") == "save_draft":
        return save_draft(model, flat, slug, converted)
    service = documents()
    try:
        document = service.load(type_id, placeholders.fill_single(converted.payload, columns=True))
        with services().admission.admit():
            rendered = service.render_document(
                document, actor=current_actor(), unit=slug or principal().unit
            )
            pdf = service.to_pdf(rendered)
    except DocumentInvalid as exc:
        return render_form(model, flat, unit=slug, converted=converted, errors=exc.errors), 422
    except ConversionError as exc:
        return converter_trouble(model, flat, slug, exc)
    # The form as JSON under the same token: /tai-ve/<token>.json, the base of a bulk job and
    # what an issue from the preview takes.
    columns = placeholders.column_names(converted.payload)
    if columns:
        flash(placeholders.columns_notice(columns), "info")
    stored = services().previews.save(
        pdf,
        rendered.docx,
        {ext: rendered.filename(ext) for ext in MEDIA},
        converted.payload,
        owner=slug or owner(),
    )
    return render_form(model, flat, unit=slug, preview=stored)


def save_draft(model: FormModel, flat: Flat, slug: str | None, converted: Converted) -> Any:
    """Lưu dự thảo: the form kept on the server in its unit, as a new draft or version."""
    draft_id, version = request.form.get("_draft_id", ""), request.form.get("_draft_version", "")
    try:
        draft = services().drafting.save(
            principal(), model.doc_type.id, placeholders.fill_single(converted.payload),
            unit=slug or principal().unit,
            draft_id=int(draft_id) if draft_id.isdigit() else None,
            expect_version=int(version) if version.isdigit() else None,
        )
    except DocumentInvalid as exc:
        page = render_form(model, flat, unit=slug, converted=converted, errors=exc.errors)
        return page, 422
    flash(f"Đã lưu dự thảo #{draft.id}, phiên bản {draft.version}.", "info")
    return redirect(url_for("draft_pages.detail", draft_id=draft.id)), 303


def converter_trouble(model: FormModel, flat: Flat, slug: str | None, exc: ConversionError):
    """The form again with a notice: busy (503, Retry-After) or failed (502)."""
    settings = current_app.config["VB_SETTINGS"]
    if isinstance(exc, ConverterUnavailable):
        current_app.logger.warning("no converter free for a form: %s", exc)
        notice = (
            "Bộ chuyển đổi PDF đang bận hoặc chưa sẵn sàng. Nội dung đã nhập vẫn còn nguyên; "
            f"vui lòng bấm “Xem trước” lại sau khoảng {settings.retry_after} giây."
        )
        status = 503
    else:
        current_app.logger.error("conversion failed for a form: %s", exc)
        notice = (
            "Không chuyển được văn bản sang PDF do lỗi của bộ chuyển đổi. Nội dung đã nhập vẫn "
            "còn nguyên; hãy thử lại, nếu vẫn lỗi xin báo quản trị viên."
        )
        status = 502
    page = render_form(model, flat, unit=slug, notice=notice)
    return page, status, {"Retry-After": str(settings.retry_after)}


def with_profile(model: FormModel, flat: Flat, slug: str) -> Flat:
    """The form values with a unit's issuer, signer, recipients and archive."""
    _, profile, _ = unit_selection(slug, model.doc_type)
    if profile is None:
        return flat
    kept = {k: v for k, v in flat.items() if k.split(".")[0] not in profile}
    return kept | model.to_flat(profile)


def form_values(posted: Mapping[str, str]) -> Flat:
    """The posted inputs without the page's own controls (token, action, unit)."""
    return {k: v for k, v in posted.items() if not k.startswith("_") and k != "csrf_token"}


def render_form(
    model: FormModel,
    flat: Flat,
    *,
    unit: str | None,
    converted: Converted | None = None,
    errors: dict[str, list[str]] | None = None,
    fresh: bool = False,
    restored: bool = False,
    preview: Any = None,
    notice: str | None = None,
    units: Units | None = None,
    draft: Any = None,
) -> str:
    """Draw a type's form with its values, errors by their inputs and the preview."""
    form_errors = converted.form_errors(errors) if converted and errors else {}
    view = FormView(
        model, flat, form_errors, has_unit=unit is not None, schemas=documents().schemas
    )
    return render_template(
        "form.html",
        doc_type=model.doc_type,
        view=view,
        unit=unit,
        units=units if units is not None else unit_selection(None)[2],
        fresh=fresh,
        restored=restored,
        preview=preview,
        notice=notice,
        outline_help=OUTLINE_HELP,
        draft=draft,
    )


@bp.get("/xem-truoc/<token>/trang-<int:page>.png")
def preview_page(token: str, page: int) -> Any:
    """One page of a preview as PNG."""
    try:
        png = services().previews.page_png(token, page, visible=sees_owner)
    except PreviewNotFound:
        abort(404, description="Bản xem trước đã hết hạn; hãy bấm “Xem trước” lại.")
    response = current_app.response_class(png, mimetype="image/png")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.get("/tai-ve/<token>.<extension>")
def download(token: str, extension: str) -> Any:
    """The previewed document's PDF or DOCX with its meaningful file name."""
    if extension not in MEDIA:
        abort(404)
    try:
        stored = services().previews.get(token, visible=sees_owner)
        content = services().previews.file(token, extension, visible=sees_owner)
    except PreviewNotFound:
        abort(404, description="Bản xem trước đã hết hạn; hãy bấm “Xem trước” lại.")
    # The short ASCII name in both forms: the issue's `KH-UBND-2023-xa-y-tich.pdf`, which
    # sorts well in a folder and survives old mail clients and USB sticks.
    name = stored.names[extension]
    return file_response(content, MEDIA[extension], name, name)
