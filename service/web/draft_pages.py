"""The drafting steps in the browser: drafts, trình ký, văn bản chờ ký, chờ phát hành.

A chuyên viên saves a form as a draft (the form page's "Lưu dự thảo") and submits it to a
lãnh đạo; the lãnh đạo sees the pages, signs with their own certificate in their PDF tool and
uploads the file, records a paper signature, or returns it with a comment; the văn thư then
issues it, which takes the number. Every step here calls the same use case as its JSON route.
"""

from __future__ import annotations

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

from service.core.pdf_io import InvalidPdf
from service.core.preview import page_count, page_png
from service.core.signed_upload import SignedUploadRefused
from service.usecases.access import Permission
from service.usecases.draft_ports import (
    EDITABLE,
    STATUS_LABELS,
    DraftRecord,
    DraftStatus,
    FileKind,
)
from service.usecases.drafting import DraftConflict, SignerInvalid
from service.usecases.issuing import NumberMovedOn, YearChanged
from service.usecases.ports import AUDIT_LABELS, AuditQuery
from service.usecases.sealing import SigningUnavailable
from service.web import csrf, nav
from service.web.auth import principal, scope
from service.web.context import services
from service.web.http import DRAFT_ID, draft_pdf, uploaded

bp = Blueprint("draft_pages", __name__, template_folder="templates")
bp.before_request(csrf.check)
SIGNING_HELP = (
    "Tải “PDF chuẩn bị để ký”, mở bằng Adobe Acrobat Reader, Foxit PDF Reader hoặc phần mềm ký "
    "của nhà cung cấp chứng thư số, ký vào ô chữ ký có sẵn bằng USB token (hoặc ký từ xa), "
    "lưu tệp rồi tải tệp đã ký lên đây. Không sửa gì khác trong tệp: Số và ngày ban hành do "
    "văn thư cấp sau khi ký."
)


def init_app(app: Flask, api: Api) -> None:
    """Register the pages, and the counts the menu shows beside theirs."""
    app.register_blueprint(bp)
    nav.add_nav_link(app, "draft_pages.waiting", "Văn bản chờ ký",
                     count=lambda: len(services().drafting.waiting_for(principal())))
    nav.add_nav_link(app, "draft_pages.to_issue", "Chờ phát hành",
                     count=lambda: len(services().drafting.to_issue(principal())))


def upload_limit_mb() -> int:
    """The largest upload in MB, as VB_MAX_REQUEST_BYTES allows."""
    return max(1, int(current_app.config["MAX_CONTENT_LENGTH"]) // (1024 * 1024))


@bp.get("/du-thao")
def index() -> Any:
    """The drafts of the caller's units, by status."""
    wanted = request.args.get("trang_thai")
    statuses = (DraftStatus(wanted),) if wanted in STATUS_LABELS else ()
    drafts = services().drafting.visible(principal(), statuses=statuses)
    return listing(drafts, "Dự thảo", wanted=wanted, filters=True)


@bp.get("/cho-ky")
def waiting() -> Any:
    """Văn bản chờ ký: what was submitted to this lãnh đạo."""
    return listing(services().drafting.waiting_for(principal()), "Văn bản chờ ký")


@bp.get("/cho-phat-hanh")
def to_issue() -> Any:
    """Signed drafts waiting for the văn thư's number."""
    return listing(services().drafting.to_issue(principal()), "Văn bản chờ phát hành")


def listing(
    drafts: list[DraftRecord], heading: str, *, wanted: str | None = None, filters: bool = False
) -> str:
    """A list of drafts under a heading; the status tabs on the unit's whole list only."""
    return render_template("drafts.html", drafts=drafts, labels=STATUS_LABELS, heading=heading,
                           wanted=wanted, filters=filters)


@bp.get(f"/du-thao/{DRAFT_ID}")
def detail(draft_id: int) -> Any:
    """One draft: its state, pages, versions, trail and the steps the caller may take."""
    draft = services().drafting.get(principal(), draft_id)
    drafting = services().drafting
    kind = FileKind.SIGNED if draft.signature and not draft.signature.paper else FileKind.PREPARED
    kept = drafting.file(principal(), draft_id, kind) if draft.signer_account else None
    trail = services().audit.search(
        AuditQuery(subject=f"Dự thảo {draft_id}:", units=scope()), 1, 100
    ).items
    me = principal()
    entry = services().register.get(draft.entry_id, scope()) if draft.entry_id else None
    return render_template(
        "draft.html",
        draft=draft,
        entry=entry,
        labels=STATUS_LABELS,
        doc_type=services().documents.catalog.get(draft.doc_type),
        versions=drafting.versions(me, draft_id),
        pages=page_count(kept.content) if kept else 0,
        shown=kind.value,
        trail=trail,
        actions=AUDIT_LABELS,
        signers=drafting.signers(draft.unit),
        may_edit=draft.status in EDITABLE and me.can(Permission.RENDER),
        may_sign=draft.status == DraftStatus.SUBMITTED and draft.signer_account == me.name
        and me.can(Permission.SIGN),
        may_issue=draft.status == DraftStatus.SIGNED and me.can(Permission.ISSUE),
        signing_help=SIGNING_HELP,
        max_upload_mb=upload_limit_mb(),
    )


@bp.get(f"/du-thao/{DRAFT_ID}/<any(prepared, signed):kind>.pdf")
def download(draft_id: int, kind: str) -> Any:
    """The PDF prepared for signing, or the signed one, as kept."""
    return draft_pdf(draft_id, FileKind(kind))


@bp.get(f"/du-thao/{DRAFT_ID}/<any(prepared, signed):kind>/trang-<int:page>.png")
def page_image(draft_id: int, kind: str, page: int) -> Any:
    """One page of a kept PDF as an image, for the signer to read before signing."""
    kept = services().drafting.file(principal(), draft_id, FileKind(kind))  # 404 if not seen
    try:
        png = page_png(kept.content, page) if kept else None
    except IndexError:
        png = None
    if png is None:
        abort(404, description="Không có trang này.")
    response = current_app.response_class(png, mimetype="image/png")
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.post(f"/du-thao/{DRAFT_ID}/trinh-ky")
def submit(draft_id: int) -> Any:
    """Trình ký: hand the draft to the chosen lãnh đạo with a note."""
    signer = request.form.get("signer", "")
    try:
        with services().admission.admit():
            services().drafting.submit(
                principal(), draft_id, signer, request.form.get("note", "")[:2000]
            )
    except SignerInvalid:
        flash("Hãy chọn một lãnh đạo của đơn vị để trình ký.", "error")
        return redirect(url_for(".detail", draft_id=draft_id)), 303
    flash("Đã trình ký. Lãnh đạo sẽ thấy văn bản trong mục “Văn bản chờ ký”.", "info")
    return redirect(url_for(".detail", draft_id=draft_id)), 303


@bp.post(f"/du-thao/{DRAFT_ID}/tra-lai")
def send_back(draft_id: int) -> Any:
    """Trả lại: back to the drafter with the signer's comment."""
    comment = request.form.get("comment", "").strip()
    if not comment:
        flash("Hãy ghi ý kiến để người soạn biết cần sửa gì.", "error")
        return redirect(url_for(".detail", draft_id=draft_id)), 303
    services().drafting.return_to_drafter(principal(), draft_id, comment[:2000])
    flash("Đã trả lại người soạn kèm ý kiến.", "info")
    return redirect(url_for(".waiting")), 303


@bp.post(f"/du-thao/{DRAFT_ID}/ky-giay")
def on_paper(draft_id: int) -> Any:
    """Đã ký bản giấy: the signer signed the printed document by hand."""
    services().drafting.sign_on_paper(principal(), draft_id)
    flash("Đã ghi nhận: người ký đã ký bản giấy. Văn thư sẽ cấp số và đóng dấu.", "info")
    return redirect(url_for(".detail", draft_id=draft_id)), 303


@bp.post(f"/du-thao/{DRAFT_ID}/tai-len")
def upload(draft_id: int) -> Any:
    """The signed PDF from the signer's own tool; refused with the reason, nothing kept."""
    content, _ = uploaded("signed")
    if not content:
        flash("Hãy chọn tệp PDF đã ký.", "error")
    else:
        try:
            services().drafting.sign_digitally(principal(), draft_id, content)
        except SignedUploadRefused as exc:
            flash(f"Không nhận tệp đã ký: {exc.message}", "error")
        else:
            flash("Đã nhận chữ ký số. Văn thư sẽ cấp số, ngày và ký số của cơ quan.", "info")
    return redirect(url_for(".detail", draft_id=draft_id)), 303


@bp.route(f"/du-thao/{DRAFT_ID}/phat-hanh", methods=["GET", "POST"])
def issue(draft_id: int) -> Any:
    """Phát hành: the number it will take, then the number taken, the date and the seal."""
    draft = services().drafting.get(principal(), draft_id)
    drafting = services().drafting
    if request.method == "GET":
        return render_template(
            "draft_issue.html", draft=draft, number=drafting.upcoming(principal(), draft_id),
            seals=draft.signature is not None and not draft.signature.paper,
        )
    expect = request.form.get("expected_number", "")
    try:
        with services().admission.admit():
            entry = drafting.issue(
                principal(), draft_id, expect=int(expect) if expect.isdigit() else None
            )
    except NumberMovedOn as exc:
        flash(f"Sổ đã cấp số {exc.shown:02d} cho văn bản khác; số mới là {exc.now:02d}.", "error")
        return redirect(url_for(".issue", draft_id=draft_id)), 303
    except (YearChanged, SigningUnavailable) as exc:
        flash(issue_refusal(exc), "error")
        return redirect(url_for(".detail", draft_id=draft_id)), 303
    flash(f"Đã phát hành: {entry.number_line}.", "info")
    return redirect(url_for("register_pages.entry", entry_id=entry.id)), 303


def issue_refusal(exc: Exception) -> str:
    """Why a signed draft cannot be issued now, for the văn thư."""
    if isinstance(exc, YearChanged):
        return (
            f"Văn bản đã ký ghi năm {exc.printed}, nay đã sang năm {exc.now}: hãy trả lại để "
            "sửa ngày tháng và trình ký lại."
        )
    return (
        "Đơn vị chưa cài khóa ký số của cơ quan: văn bản ký số cần chữ ký số của cơ quan khi "
        "phát hành. Hãy nhờ quản trị cài khóa của đơn vị."
    )


@bp.errorhandler(DraftConflict)
def conflict(exc: DraftConflict) -> Any:
    """A step the draft has moved past (another person acted first): back to the draft."""
    flash("Dự thảo đã ở bước khác; trang đã được tải lại với trạng thái mới.", "error")
    draft_id = request.view_args.get("draft_id") if request.view_args else None
    return redirect(url_for(".detail", draft_id=draft_id) if draft_id else url_for(".index")), 303


@bp.route("/kiem-tra-chu-ky", methods=["GET", "POST"])
def verify() -> Any:
    """Kiểm tra chữ ký số: every signature of an uploaded PDF, in Vietnamese."""
    if request.method == "GET":
        return render_template("verify.html", reports=None, name=None,
                               max_upload_mb=upload_limit_mb())
    content, name = uploaded("pdf")
    if not content:
        flash(f"Hãy chọn một tệp PDF (tối đa {upload_limit_mb()} MB).", "error")
        return redirect(url_for(".verify")), 303
    try:
        reports = services().verifier.check(content)
    except InvalidPdf:
        flash("Tệp không phải PDF hoặc bị hỏng, không đọc được.", "error")
        return redirect(url_for(".verify")), 303
    return render_template("verify.html", reports=reports, name=name,
                           max_upload_mb=upload_limit_mb())
