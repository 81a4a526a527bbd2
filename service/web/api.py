"""JSON API: list document types, render a document to PDF or DOCX, verify signatures, health."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from service.core.definitions import DocTypeDef
from service.core.fields import field_type
from service.core.pdf_io import InvalidPdf
from service.web import schemas
from service.web.auth import current_actor, principal
from service.web.context import services
from service.web.errors import error_response
from service.web.http import MEDIA, document_request, documents, file_response, flag
from service.web.openapi import FORMATS, errors, files, upload

blp = Blueprint(
    "documents",
    __name__,
    url_prefix="/api",
    description="Soạn văn bản theo Nghị định 30/2020/NĐ-CP: JSON → DOCX/PDF.",
)
health_blp = Blueprint("health", __name__, description="Tình trạng dịch vụ và tài liệu API.")
PDF_VERSIONS = {"pdf": None, "pdfa-1b": 1, "pdfa-2b": 2}


@blp.route("/types")
class Types(MethodView):
    """Document types the service renders."""

    @blp.response(200, schemas.DocumentTypeInfo(many=True), description="Các loại văn bản")
    def get(self) -> Any:
        """List the document types with their fields."""
        return [describe(t) for t in documents().catalog.types.values()]


@blp.route("/types/<type_id>")
class TypeDetail(MethodView):
    """One document type."""

    @blp.response(200, schemas.DocumentTypeInfo, description="Loại văn bản và các trường")
    @blp.doc(responses=errors(404))
    def get(self, type_id: str) -> Any:
        """Describe one document type: fields, labels, help, defaults."""
        return describe(documents().catalog.get(type_id))


@blp.route("/documents/<type_id>")
class Render(MethodView):
    """Render a document."""

    @blp.doc(
        parameters=[
            {
                "in": "query",
                "name": "format",
                "schema": {"type": "string", "enum": list(FORMATS)},
                "description": "pdf (mặc định), pdfa-1b, pdfa-2b hoặc docx; hoặc theo Accept.",
            },
            {
                "in": "query",
                "name": "signing",
                "schema": {"type": "boolean"},
                "description": "Thêm ô chữ ký trống (người ký, con dấu) và siêu dữ liệu vào PDF.",
            },
        ],
        requestBody={
            "required": True,
            "description": "Dữ liệu văn bản theo lược đồ của loại, có thể kèm format, signing.",
            # One schema per type: service.web.openapi gives each type its own path.
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
        responses={
            "200": files("Tệp PDF hoặc DOCX", MEDIA["pdf"], MEDIA["docx"]),
            **errors(400, 404, 413, 415, 422, 502, 503),
        },
    )
    def post(self, type_id: str) -> Any:
        """Render a document of this type to PDF (default) or DOCX."""
        service = documents()
        service.catalog.get(type_id)
        if request.args.get("format", accepted_format()) != "docx":
            services().admission.refuse_when_full()
        payload, controls = document_request(("format", "signing"))
        fmt = controls["format"] if isinstance(controls["format"], str) else accepted_format()
        if fmt not in MEDIA and fmt not in PDF_VERSIONS:
            choices = ", ".join([*PDF_VERSIONS, "docx"])
            return error_response(
                422, "Định dạng không hợp lệ.", {"format": [f"Phải là một trong: {choices}."]}
            )
        signing = flag(controls["signing"])
        document = service.load(type_id, payload)  # bad input is told before any queueing
        me = principal()
        if fmt == "docx":
            rendered = service.render_document(document, actor=current_actor(), unit=me.unit)
            content, extension = rendered.docx, "docx"
        else:
            # Admitted before rendering: a request refused under load costs no render either.
            with services().admission.admit():
                rendered = service.render_document(document, actor=current_actor(), unit=me.unit)
                content = service.to_pdf(
                    rendered, pdf_version=PDF_VERSIONS[fmt], signing=signing
                )
            extension = "pdf"
        return file_response(
            content,
            MEDIA[extension],
            rendered.filename(extension),
            rendered.filename(extension, ascii_only=False),
        )


@blp.route("/verify")
class Verify(MethodView):
    """Check a PDF's digital signatures."""

    @blp.doc(
        requestBody=upload("Tệp PDF cần kiểm tra chữ ký số.", MEDIA["pdf"]),
        responses=errors(400, 413, 415),
    )
    @blp.response(
        200, schemas.VerifyReport,
        description="Các chữ ký: ô ký, người ký, thời điểm ký, còn nguyên vẹn hay không",
    )
    def post(self) -> Any:
        """Report every signature of the posted PDF: signer, time, intact, whole document."""
        if request.mimetype != MEDIA["pdf"]:
            return error_response(415, "Nội dung gửi lên phải là application/pdf.")
        try:
            reports = services().verifier.check(request.get_data(cache=False))
        except InvalidPdf as exc:
            # Only here is a broken PDF the client's fault: elsewhere the service made it.
            return error_response(400, "Tệp gửi lên không phải PDF đọc được.", {"body": [str(exc)]})
        return {"signatures": reports, "count": len(reports)}


class Health(MethodView):
    """Service health."""

    @blp.response(200, schemas.Health, description="Sẵn sàng")
    @blp.alt_response(503, schema=schemas.Health, description="Không bộ chuyển đổi nào sẵn sàng")
    def get(self) -> Any:
        """Report the converter pool as it really is; 503 when no instance is ready."""
        converter = documents().converter
        pool = converter.health() if converter is not None else {"ok": False}
        ready = bool(pool.get("ok"))
        return {"status": "ok" if ready else "degraded", "pool": pool}, 200 if ready else 503


# The same check at /api/health (with the API) and /health (for load balancers).
blp.route("/health")(Health)
health_blp.route("/health")(Health)


def accepted_format() -> str:
    """The format the Accept header prefers, else PDF."""
    best = request.accept_mimetypes.best_match([MEDIA["pdf"], MEDIA["docx"]], default=MEDIA["pdf"])
    return "docx" if best == MEDIA["docx"] else "pdf"


def describe(doc_type: DocTypeDef) -> dict[str, Any]:
    """A type with its fields, as the API lists it."""
    return {**doc_type.describe(), "fields": [field_type(f).describe(f) for f in doc_type.fields]}
