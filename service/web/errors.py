"""One JSON error shape for every failure: {code, status, message, errors}."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from flask import Flask, has_request_context, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from service.core.converter import ConversionFailed, ConverterUnavailable
from service.core.definitions import UnknownDocType
from service.core.documents import DocumentInvalid
from service.core.outages import DISK_FULL, low_disk
from service.core.pdf import SignatureSpaceNotFound
from service.core.schemas import flatten_errors
from service.web.context import EXTENSION

log = logging.getLogger("service.web")
# Machine clients live here: they always get JSON, whatever their Accept header says.
JSON_PREFIXES = ("/api/", "/health", "/metrics", "/openapi.json", "/docs", "/swagger-ui/")
# Said instead of werkzeug's English defaults, so a clerk reads what happened and what to do.
HTTP_MESSAGES = {
    400: "Yêu cầu không hợp lệ hoặc trang đã hết hạn; hãy tải lại trang rồi thử lại.",
    404: "Không có trang hoặc tài nguyên này; hãy kiểm tra lại địa chỉ.",
    405: "Địa chỉ này không nhận thao tác vừa gửi.",
    413: "Dữ liệu gửi lên vượt quá giới hạn cho phép; hãy bớt nội dung hoặc tệp đính kèm.",
    415: "Kiểu dữ liệu gửi lên không được hỗ trợ.",
    # Raised by flask-smorest's @arguments, which every list endpoint uses for its query.
    422: "Tham số tra cứu chưa hợp lệ.",
}


class RequestBodyInvalid(ValueError):
    """The request body is not the JSON asked for: 415 (not JSON) or 400 (unreadable)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def wants_html() -> bool:
    """Whether the error goes to a person in a browser (a page outside the JSON API)."""
    if not has_request_context() or request.path.startswith(JSON_PREFIXES):
        return False
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html"


def error_response(
    code: int, message: str, errors: Any = None, headers: dict[str, str] | None = None
):
    """A JSON error response in the service's one shape (an HTML page for a browser)."""
    if wants_html():
        page = render_template(
            "error.html", code=code, message=message, errors=errors, status=HTTPStatus(code).phrase
        )
        return page, code, headers or {}
    body: dict[str, Any] = {"code": code, "status": HTTPStatus(code).phrase, "message": message}
    if errors is not None:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = code
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def init_app(app: Flask) -> None:
    """Register the handlers that turn each failure into its JSON answer."""
    retry_after = str(app.config["VB_SETTINGS"].retry_after)

    @app.errorhandler(DocumentInvalid)
    def invalid(exc: DocumentInvalid):
        return error_response(422, "Dữ liệu văn bản chưa hợp lệ.", exc.errors)

    @app.errorhandler(UnknownDocType)
    def unknown_type(exc: UnknownDocType):
        return error_response(404, f"Không có loại văn bản {exc.args[0]!r}.")

    @app.errorhandler(ConverterUnavailable)
    def busy(exc: ConverterUnavailable):
        log.warning("no converter free: %s", exc)
        message = "Bộ chuyển đổi PDF đang bận, vui lòng thử lại sau ít giây."
        return error_response(503, message, headers={"Retry-After": retry_after})

    @app.errorhandler(ConversionFailed)
    def failed(exc: ConversionFailed):
        log.error("conversion failed: %s", exc)
        if low_disk(app.config["VB_SETTINGS"].data_dir):
            return error_response(503, DISK_FULL, headers={"Retry-After": retry_after})
        message = "Không chuyển được văn bản sang PDF; tệp DOCX vẫn tải được."
        return error_response(502, message, headers={"Retry-After": retry_after})

    @app.errorhandler(SignatureSpaceNotFound)
    def no_signature_space(exc: SignatureSpaceNotFound):
        log.warning("signature space not found: %s", exc)
        message = "Không xác định được vị trí chữ ký trong PDF; hãy tải PDF không kèm ô chữ ký."
        return error_response(422, message, {"signing": [str(exc)]})

    @app.errorhandler(RequestBodyInvalid)
    def bad_body(exc: RequestBodyInvalid):
        return error_response(exc.status, str(exc))

    @app.errorhandler(RecursionError)
    def too_deep(exc: RecursionError):
        return error_response(400, "Dữ liệu lồng nhau quá sâu.")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = exc.code or 500
        messages = getattr(exc, "data", {}).get("messages") if hasattr(exc, "data") else None
        # webargs nests them by location ({"query": {"page": [...]}}): flat paths, like 422s of
        # documents ("query.page").
        errors = flatten_errors(messages) if isinstance(messages, dict) else messages
        message = exc.description
        if not message or message == type(exc).description:
            message = HTTP_MESSAGES.get(code, HTTPStatus(code).phrase)
        # Keep what the exception says about itself, such as Allow on a 405.
        headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
        return error_response(code, message, errors, headers)

    init_outages(app, retry_after)


def init_outages(app: Flask, retry_after: str) -> None:
    """Anything else: 503 when the machine is at fault (disk, database), else a logged 500."""

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        outage = app.extensions[EXTENSION].explain_outage(exc)
        if outage is not None:
            log.error("outage: %s: %s", type(exc).__name__, exc)
            return error_response(503, outage, headers={"Retry-After": retry_after})
        log.exception("unexpected error")
        return error_response(500, "Lỗi không mong muốn của dịch vụ; đã ghi nhật ký.")
