"""The outgoing register in the browser: list and search, entries, the year's book, issuing."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_smorest import Api

from service.core import placeholders
from service.core.clock import VIETNAM, today_in_vietnam
from service.core.context import recipient_lines
from service.core.document import Document
from service.core.preview import PreviewNotFound
from service.usecases.access import Permission
from service.usecases.copying import EntryNotFound
from service.usecases.draft_ports import FileKind
from service.usecases.issuing import NumberMovedOn
from service.usecases.ports import AUDIT_LABELS, Page, RegisterQuery, RegisterRecord
from service.usecases.register import NumberUnreadable, number_query
from service.usecases.register_book import Volume
from service.usecases.scans import ScanRefused
from service.web import csrf
from service.web.auth import current_actor, principal, scope, sees_owner
from service.web.context import services
from service.web.http import (
    SEARCH_MAX,
    SEARCH_TOO_LONG,
    SQL_INT_MAX,
    book_download,
    check_type,
    documents,
    file_response,
    flag,
    issued_file,
    type_name,
    uploaded,
)
from service.web.nav import vn_time

bp = Blueprint("register_pages", __name__, template_folder="templates")
bp.before_request(csrf.check)
PER_PAGE = 20
EXPIRED = "Bản xem trước đã hết hạn; hãy bấm “Xem trước” lại rồi phát hành."


def init_app(app: Flask, api: Api) -> None:
    """Register the pages (their nav link is in nav.DEFAULT_NAV, shown to readers)."""
    app.register_blueprint(bp)


def search_form() -> tuple[RegisterQuery, dict[str, str], dict[str, str], int]:
    """The query of the search form, its values as typed, the Vietnamese errors, the page."""
    args = request.args
    typed = {k: args.get(k, "").strip() for k in ("so", "loai", "q", "tu", "den", "don_vi")}
    errors: dict[str, str] = {}

    def whole(name: str, label: str, low: int = 1, high: int = SQL_INT_MAX) -> int | None:
        text = (args.get(name) or "").strip()
        if not text:
            return None
        if text.isdigit() and low <= int(text) <= high:
            return int(text)
        errors[name] = f"{label} phải là số nguyên từ {low} đến {high}."
        return None

    def day(name: str, label: str) -> dt.date | None:
        text = typed[name]
        try:
            return dt.date.fromisoformat(text) if text else None
        except ValueError:
            errors[name] = f"{label} phải là ngày hợp lệ (năm-tháng-ngày, ví dụ 2026-01-05)."
            return None

    for name in ("q", "so"):
        if len(typed[name]) > SEARCH_MAX:
            typed[name], errors[name] = typed[name][:SEARCH_MAX], SEARCH_TOO_LONG
    number, symbol = None, None
    if typed["so"] and "so" not in errors:
        try:
            number, symbol = number_query(typed["so"])
        except NumberUnreadable:
            errors["so"] = "Số văn bản viết như trên văn bản: 02/KH-UBND, 02 hoặc 2/KH."
        if number is not None and number > SQL_INT_MAX:
            number, errors["so"] = None, f"Số văn bản từ 1 đến {SQL_INT_MAX}."
    query = RegisterQuery(
        number=number,
        symbol=symbol,
        doc_type=typed["loai"] or None,
        text=typed["q"] or None,
        unit=typed["don_vi"] or None,
        date_from=day("tu", "Từ ngày"),
        date_to=day("den", "Đến ngày"),
        units=scope(),
    )
    return query, typed, errors, whole("trang", "Trang") or 1


def unit_choices() -> list[tuple[str, str]]:
    """The units the caller sees, as (slug, agency) for the selectors."""
    return [(u.slug, u.issuer["agency"]) for u in services().units.list()
            if principal().sees(u.slug)]


@bp.get("/so-van-ban-di")
def index() -> Any:
    """The register: search by number, type, subject (accents optional), dates and unit."""
    query, typed, errors, page = search_form()
    # A search the clerk must correct finds nothing, rather than every entry without it.
    found = Page([], 0, page, PER_PAGE) if errors else services().register.search(
        query, page, PER_PAGE
    )
    pages = max(1, -(-found.total // PER_PAGE))
    kept = {k: v for k, v in typed.items() if v}
    html = render_template(
        "register_list.html",
        found=found,
        pages=pages,
        typed=typed,
        kept=kept,
        errors=errors,
        types=list(documents().catalog.types.values()),
        units=unit_choices(),
        type_name=type_name,
        this_year=today_in_vietnam().year,
    )
    return html, 422 if errors else 200


@bp.get("/so-van-ban-di/<int:entry_id>")
def entry(entry_id: int) -> Any:
    """One entry: its files under their numbered names, who issued it, hashes, events."""
    found = _entry(entry_id)
    events = services().audit.of_entry(found, scope())
    return render_template(
        "register_entry.html",
        entry=found,
        scans=services().scans.of_entry(principal(), entry_id),
        draft_files=_draft_files(found),
        type_name=type_name(found.doc_type),
        issued_at=found.issued_at.astimezone(VIETNAM) if found.issued_at else None,
        events=[(e, AUDIT_LABELS.get(e["action"], e["action"]), vn_time(e["at"]))
                for e in events],
        signer=(found.inputs or {}).get("signer") or {},
        issued_by=services().accounts.person(found.issued_by),
        recipients=recipient_lines((found.inputs or {}).get("recipients") or [],
                                   (found.inputs or {}).get("archive") or ""),
    )


@bp.get("/so-van-ban-di/<int:entry_id>/tai-ve.<any(pdf, docx):kind>")
def entry_file(entry_id: int, kind: str) -> Any:
    """The issued PDF or DOCX exactly as stored, under the name the entry page shows."""
    response = issued_file(entry_id, kind) if entry_id <= SQL_INT_MAX else None
    if response is None:
        abort(404, description=f"Sổ văn bản đi không có mục số {entry_id}.")
    return response


@bp.post("/so-van-ban-di/<int:entry_id>/ban-quet")
def attach_scan(entry_id: int) -> Any:
    """Keep the scan of the signed, stamped paper with the entry."""
    _entry(entry_id)
    content, _ = uploaded("scan")
    try:
        if not content:
            raise ScanRefused("Hãy chọn tệp bản quét (PDF, JPEG hoặc PNG).")
        scan = services().scans.attach(principal(), entry_id, content)
    except ScanRefused as exc:
        flash(f"Không lưu bản quét: {exc.message}", "error")
    else:
        flash(f"Đã lưu bản quét ({scan.file_name}).", "info")
    return redirect(url_for("register_pages.entry", entry_id=entry_id)), 303


@bp.get("/so-van-ban-di/<int:entry_id>/ban-quet/<int:scan_id>")
def scan_file(entry_id: int, scan_id: int) -> Any:
    """A kept scan, as it was uploaded."""
    if max(entry_id, scan_id) > SQL_INT_MAX:
        abort(404)
    try:
        scan = services().scans.get(principal(), entry_id, scan_id)
    except EntryNotFound:
        abort(404, description="Không có bản quét này.")
    assert scan.content is not None
    return file_response(scan.content, scan.media_type, scan.file_name, scan.file_name)


def _draft_files(entry: RegisterRecord) -> list[tuple[str, str, str]]:
    """(label, download address, SHA-256) of the files the signed draft of an entry kept."""
    if entry.draft_id is None or not principal().can(Permission.RENDER):
        return []
    found = []
    for kind, label in ((FileKind.PREPARED, "PDF chuẩn bị để ký"), (FileKind.SIGNED, "PDF đã ký")):
        kept = services().drafting.file(principal(), entry.draft_id, kind)
        if kept is not None:
            address = url_for("draft_pages.download", draft_id=entry.draft_id, kind=kind.value)
            found.append((label, address, kept.sha256))
    return found


@bp.get("/so-van-ban-di/xuat-<any(xlsx, pdf):kind>")
def export(kind: str) -> Any:
    """A year's register in the paper layout, one row per entry in number order: XLSX, or a PDF
    to print (A3 landscape, the head of the columns on every page)."""
    text = (request.args.get("nam") or str(today_in_vietnam().year)).strip()
    if not (text.isdigit() and 1 <= int(text) <= 9999):
        abort(400, description="Năm xuất sổ phải là số từ 1 đến 9999, ví dụ 2026.")
    year, unit = int(text), request.args.get("don_vi") or None
    if unit is not None and not principal().sees(unit):
        abort(404, description=f"Không có đơn vị “{unit}”.")
    return book_download(kind, year, _volume(), unit)


def _volume() -> Volume:
    """The volume asked for: `quyen` (its number), `tu_so` and `den_so` (its numbers)."""
    values: dict[str, int | None] = {}
    for name in ("quyen", "tu_so", "den_so"):
        text = (request.args.get(name) or "").strip()
        if text and not (text.isdigit() and 1 <= int(text) <= SQL_INT_MAX):
            abort(400, description=f"“{name}” phải là số nguyên dương, ví dụ 1.")
        values[name] = int(text) if text else None
    return Volume(values["quyen"] or 1, values["tu_so"], values["den_so"])


@bp.post("/so-van-ban-di/phat-hanh")
def confirm() -> Any:
    """The confirmation before issuing a preview: the number it will take (not yet taken)."""
    type_id, token, unit, payload = _previewed()
    document = services().issuer.upcoming(type_id, payload, unit)
    return _confirmation(type_id, token, unit, document)


@bp.post("/so-van-ban-di/phat-hanh/xac-nhan")
def issue() -> Any:
    """Issue the previewed document with the number shown, then open its entry."""
    type_id, token, unit, payload = _previewed()
    shown = request.form.get("expect", "")
    expect, seal = int(shown) if shown.isdigit() else None, flag(request.form.get("seal"))
    issuer = services().issuer
    if not flag(request.form.get("paper_signed")):
        # Decree 30, Article 15.2: a number only after the competent person has signed.
        notice = (
            "Chỉ phát hành trực tiếp văn bản mà người ký đã ký bản giấy: hãy đánh dấu xác nhận. "
            "Văn bản ký số đi qua “Lưu dự thảo” và “Trình ký”."
        )
        return _confirmation(type_id, token, unit, issuer.upcoming(type_id, payload, unit),
                             notice), 422
    services().admission.refuse_when_full()
    try:
        with services().admission.admit():
            issued = issuer.issue(
                type_id, payload, actor=current_actor(), unit=unit, sign=seal, expect=expect,
                paper_signed=True,
            )
    except NumberMovedOn as exc:
        notice = (
            f"Số {exc.shown:02d} vừa được cấp cho văn bản khác. Văn bản này sẽ nhận số "
            f"{exc.now:02d}; hãy xác nhận lại."
        )
        document = issuer.upcoming(type_id, payload, unit)
        return _confirmation(type_id, token, unit, document, notice), 409
    flash(f"Đã phát hành văn bản {issued.number_line}, ngày "
          f"{issued.document_date:%d/%m/%Y}.", "info")
    return redirect(url_for("register_pages.entry", entry_id=issued.id))


def _previewed() -> tuple[str, str, str | None, dict[str, Any]]:
    """The posted type, preview token and unit, and the document the preview showed."""
    type_id, token = request.form.get("type_id", ""), request.form.get("token", "")
    documents().catalog.get(type_id)  # UnknownDocType is a 404 page
    check_type(type_id)
    unit = request.form.get("unit") or principal().unit
    if not principal().sees(unit):
        abort(404, description=f"Không có đơn vị “{unit}”.")
    try:
        # The preview kept its form's document under its token (pages.submit): the issue
        # takes exactly what was previewed, not the form as it may have been edited since.
        payload = json.loads(services().previews.document(token, visible=sees_owner)[1])
    except (PreviewNotFound, ValueError):
        payload = None
    if not isinstance(payload, dict) or payload.get("doc_type", type_id) != type_id:
        abort(404, description=EXPIRED)
    # Placeholders are filled as the preview filled them; the register gives the number.
    return type_id, token, unit, {**placeholders.fill_single(payload), "number": None}


def _confirmation(
    type_id: str, token: str, unit: str | None, document: Document, notice: str | None = None
) -> str:
    """The confirmation page for the document with the number it would take now."""
    return render_template(
        "register_confirm.html",
        document=document,
        type_id=type_id,
        token=token,
        unit=unit,
        can_seal=services().issuer.sealer.can_seal(unit),
        notice=notice,
    )


def _entry(entry_id: int) -> RegisterRecord:
    """The entry the caller sees, or a 404 page (also for another unit's entry)."""
    found = services().register.get(entry_id, scope()) if entry_id <= SQL_INT_MAX else None
    if found is None:
        abort(404, description=f"Sổ văn bản đi không có mục số {entry_id}.")
    return found
