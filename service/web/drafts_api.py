"""Drafts over HTTP, for other systems and signing clients: save, submit, return, sign, issue.

Each step of Decree 30's order has its route: a draft is saved (versions), submitted to a
lãnh đạo of its unit with the PDF prepared for signing, returned or signed (the signed PDF
uploaded as `application/pdf`, or a paper signature recorded), then issued by the văn thư.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from flask import Flask, request, url_for
from flask.views import MethodView
from flask_smorest import Api, Blueprint
from marshmallow import Schema, fields, validate

from service.core.documents import DocumentInvalid
from service.core.signed_upload import SignedUploadRefused
from service.usecases.draft_ports import DraftStatus, FileKind
from service.usecases.drafting import DraftConflict, DraftNotFound, NotTheSigner, SignerInvalid
from service.usecases.issuing import YearChanged
from service.web import schemas
from service.web.auth import principal
from service.web.context import services
from service.web.errors import RequestBodyInvalid, error_response
from service.web.http import DRAFT_ID, MEDIA, SQL_INT_MAX, check_type, created, draft_pdf
from service.web.openapi import errors, files, upload

drafts_blp = Blueprint(
    "drafts",
    __name__,
    url_prefix="/api/drafts",
    description="Dự thảo: lưu, trình ký, trả lại, ký số (tải lên PDF đã ký), ký giấy, phát hành.",
)
STATUSES = [status.value for status in DraftStatus]
LOCATION = {"description": "Địa chỉ của dự thảo, hoặc của mục trong sổ", "schema": {
    "type": "string"}}


class DraftRequest(Schema):
    """A new draft: its type, its unit (default: the caller's) and the document."""

    doc_type = fields.String(required=True, metadata={"description": "Loại văn bản: ke_hoach, …"})
    unit = fields.String(load_default=None, allow_none=True, metadata={
        "description": "Mã đơn vị của dự thảo; để trống là đơn vị của tài khoản hoặc khóa"})
    document = fields.Dict(required=True, metadata={
        "description": "Dữ liệu văn bản như khi tạo văn bản; số và ngày ban hành để trống"})


class DraftVersionRequest(Schema):
    """A new version of a draft."""

    document = fields.Dict(required=True, metadata={"description": "Dữ liệu văn bản mới"})
    version = fields.Integer(
        validate=validate.Range(min=1, max=SQL_INT_MAX),
        metadata={"description": "Phiên bản đang sửa; 409 nếu người khác đã lưu phiên bản mới"},
    )


class SubmitRequest(Schema):
    """Who is asked to sign, and the note to them."""

    signer = fields.String(required=True, metadata={
        "description": "Tài khoản lãnh đạo của đơn vị được trình ký"})
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class ReturnRequest(Schema):
    """Why the signer sends the draft back."""

    comment = fields.String(required=True, validate=validate.Length(
        min=1, max=2000, error="Hãy ghi ý kiến (1 đến 2000 ký tự)."))


class IssueRequest(Schema):
    """The number the văn thư was shown (optional)."""

    expected_number = fields.Integer(validate=validate.Range(min=1, max=SQL_INT_MAX), metadata={
        "description": "Số đã cho người dùng xem; 409 nếu sổ đã cấp số đó cho văn bản khác"})


class DraftArgs(Schema):
    """Filters of the draft list."""

    status = fields.String(validate=validate.OneOf(STATUSES, error="Phải là một trong: "
                                                   + ", ".join(STATUSES) + "."))
    waiting_for_me = fields.Boolean(load_default=False, metadata={
        "description": "Chỉ những văn bản trình cho người gọi ký"})


@drafts_blp.route("")
class Drafts(MethodView):
    """The drafts of the caller's units."""

    @drafts_blp.arguments(DraftArgs, location="query", as_kwargs=True)
    @drafts_blp.response(200, schemas.DraftList, description="Dự thảo, mới sửa trước")
    def get(self, status: str | None = None, waiting_for_me: bool = False) -> Any:
        """List drafts, or those waiting for the caller's signature."""
        drafting = services().drafting
        if waiting_for_me:
            return {"items": drafting.waiting_for(principal())}
        statuses = (DraftStatus(status),) if status else ()
        return {"items": drafting.visible(principal(), statuses=statuses)}

    @drafts_blp.arguments(DraftRequest)
    @drafts_blp.response(201, schemas.Draft, description="Đã lưu dự thảo (phiên bản 1)",
                         headers={"Location": LOCATION})
    @drafts_blp.doc(responses=errors(400, 404, 413, 415, 422))
    def post(self, body: dict[str, Any]) -> Any:
        """Save a new draft in a unit."""
        services().documents.catalog.get(body["doc_type"])  # 404 for an unknown type
        check_type(body["doc_type"])
        with document_errors():
            draft = services().drafting.save(
                principal(), body["doc_type"], body["document"], unit=body["unit"]
            )
        return draft, 201, {"Location": url_for("drafts.Draft", draft_id=draft.id)}


@drafts_blp.route(f"/{DRAFT_ID}")
class Draft(MethodView):
    """One draft."""

    @drafts_blp.response(200, schemas.DraftDetail, description="Dự thảo với dữ liệu mới nhất")
    @drafts_blp.doc(responses=errors(404))
    def get(self, draft_id: int) -> Any:
        """The draft, its newest document and its versions."""
        drafting = services().drafting
        return replace(drafting.get(principal(), draft_id),
                       versions=tuple(drafting.versions(principal(), draft_id)))

    @drafts_blp.arguments(DraftVersionRequest)
    @drafts_blp.response(200, schemas.Draft, description="Đã lưu phiên bản mới")
    @drafts_blp.doc(responses=errors(400, 404, 409, 413, 415, 422))
    def put(self, body: dict[str, Any], draft_id: int) -> Any:
        """Save a new version of a draft being written or returned."""
        drafting = services().drafting
        doc_type = drafting.get(principal(), draft_id).doc_type  # 404 before the body is read
        with document_errors():
            return drafting.save(principal(), doc_type, body["document"], draft_id=draft_id,
                                 expect_version=body.get("version"))


@drafts_blp.route(f"/{DRAFT_ID}/submit")
class Submit(MethodView):
    """Trình ký."""

    @drafts_blp.arguments(SubmitRequest)
    @drafts_blp.response(200, schemas.Draft, description="Đã trình ký")
    @drafts_blp.doc(responses=errors(400, 404, 409, 413, 415, 422, 502, 503))
    def post(self, body: dict[str, Any], draft_id: int) -> Any:
        """Prepare the PDF for signing and hand the draft to a lãnh đạo of its unit."""
        services().admission.refuse_when_full()
        with services().admission.admit():
            return services().drafting.submit(
                principal(), draft_id, body["signer"], body["note"]
            )


@drafts_blp.route(f"/{DRAFT_ID}/return")
class Return(MethodView):
    """Trả lại."""

    @drafts_blp.arguments(ReturnRequest)
    @drafts_blp.response(200, schemas.Draft, description="Đã trả lại người soạn")
    @drafts_blp.doc(responses=errors(400, 403, 404, 409, 413, 415, 422))
    def post(self, body: dict[str, Any], draft_id: int) -> Any:
        """Send a draft submitted to the caller back with a comment."""
        return services().drafting.return_to_drafter(principal(), draft_id, body["comment"])


@drafts_blp.route(f"/{DRAFT_ID}/signed")
class Signed(MethodView):
    """Ký số: the signed PDF, uploaded."""

    @drafts_blp.doc(
        requestBody=upload(
            "PDF chuẩn bị để ký, đã ký bằng chứng thư số của người ký", MEDIA["pdf"]
        ),
        responses=errors(400, 403, 404, 409, 413, 415, 422),
    )
    @drafts_blp.response(200, schemas.Draft, description="Đã nhận chữ ký số")
    def post(self, draft_id: int) -> Any:
        """Take the signer's signed PDF once it checks; nothing is kept when it does not."""
        if request.mimetype != MEDIA["pdf"]:
            raise RequestBodyInvalid(415, "Hãy gửi tệp PDF đã ký (application/pdf).")
        return services().drafting.sign_digitally(principal(), draft_id, request.get_data())


@drafts_blp.route(f"/{DRAFT_ID}/paper")
class Paper(MethodView):
    """Ký giấy: the signer signed the printed document."""

    @drafts_blp.response(200, schemas.Draft, description="Đã ghi nhận ký bản giấy")
    @drafts_blp.doc(responses=errors(403, 404, 409))
    def post(self, draft_id: int) -> Any:
        """Record that the signer signed the printed document by hand."""
        return services().drafting.sign_on_paper(principal(), draft_id)


@drafts_blp.route(f"/{DRAFT_ID}/issue")
class Issue(MethodView):
    """Phát hành."""

    @drafts_blp.arguments(IssueRequest)
    @drafts_blp.response(201, schemas.RegisterEntry, description="Đã cấp số, đóng dấu, vào sổ",
                         headers={"Location": LOCATION})
    @drafts_blp.doc(responses=errors(400, 404, 409, 413, 415, 422, 502, 503))
    def post(self, body: dict[str, Any], draft_id: int) -> Any:
        """Number, date and seal a signed draft into its unit's register."""
        with services().admission.admit():
            entry = services().drafting.issue(
                principal(), draft_id, expect=body.get("expected_number")
            )
        return created(entry)


@drafts_blp.route(f"/{DRAFT_ID}/<any(prepared, signed):kind>.pdf")
class DraftFile(MethodView):
    """The PDF prepared for signing, or the signed upload."""

    @drafts_blp.doc(responses={
        "200": files("Tệp PDF", MEDIA["pdf"]),
        **errors(404),
    })
    def get(self, draft_id: int, kind: str) -> Any:
        """The prepared or the signed PDF, exactly as kept."""
        return draft_pdf(draft_id, FileKind(kind))


@contextmanager
def document_errors() -> Iterator[None]:
    """DocumentInvalid's paths under `document.`, as the request nests the document."""
    try:
        yield
    except DocumentInvalid as exc:
        raise DocumentInvalid({f"document.{k}": v for k, v in exc.errors.items()}) from None


def init_app(app: Flask, api: Api) -> None:
    """Register the routes and the answers to the drafting steps' refusals."""
    api.register_blueprint(drafts_blp)

    @app.errorhandler(DraftNotFound)
    def no_draft(exc: DraftNotFound) -> Any:
        return error_response(404, f"Không có dự thảo số {exc.args[0]}.")

    @app.errorhandler(DraftConflict)
    def conflict(exc: DraftConflict) -> Any:
        message = (
            "Dự thảo đã ở bước khác (đã được lưu, trình ký, ký hoặc phát hành bởi người khác); "
            "hãy tải lại để xem trạng thái mới."
        )
        return error_response(409, message)

    @app.errorhandler(NotTheSigner)
    def not_the_signer(exc: NotTheSigner) -> Any:
        return error_response(403, "Văn bản này được trình cho lãnh đạo khác ký.")

    @app.errorhandler(SignerInvalid)
    def signer_invalid(exc: SignerInvalid) -> Any:
        message = "Người được trình ký phải là lãnh đạo đang hoạt động của đơn vị."
        return error_response(422, "Người ký chưa hợp lệ.", {"signer": [message]})

    @app.errorhandler(SignedUploadRefused)
    def refused(exc: SignedUploadRefused) -> Any:
        return error_response(422, exc.message, {"file": [exc.message], "reason": [exc.reason]})

    @app.errorhandler(YearChanged)
    def year_changed(exc: YearChanged) -> Any:
        message = (
            f"Văn bản đã ký ghi năm {exc.printed}, nay đã sang năm {exc.now}: hãy trả lại để "
            "sửa ngày tháng và trình ký lại."
        )
        return error_response(409, message)
