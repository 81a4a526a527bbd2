"""The outgoing register, the audit trail and server-side signing over HTTP."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from flask import Flask, request, url_for
from flask.views import MethodView
from flask_smorest import Api, Blueprint
from marshmallow import Schema, fields, validate

from service.core.clock import today_in_vietnam
from service.core.signing import SealImageInvalid, SigningKeyInvalid, TimestampUnavailable
from service.core.vn import format_number
from service.usecases.copying import EntryNotFound
from service.usecases.ports import AUDIT_ACTIONS as ACTIONS
from service.usecases.ports import AuditQuery, RegisterQuery
from service.usecases.register import BOOK_FORMATS
from service.usecases.register_book import Volume
from service.usecases.scans import ScanRefused
from service.usecases.sealing import SigningUnavailable
from service.usecases.units import UnitNotFound
from service.web import schemas
from service.web.auth import current_actor, principal, scope
from service.web.context import services
from service.web.errors import RequestBodyInvalid, error_response
from service.web.http import (
    BOOK_MEDIA,
    ENTRY_ID,
    MEDIA,
    SEARCH_MAX,
    SEARCH_TOO_LONG,
    SQL_INT_MAX,
    book_download,
    created,
    document_request,
    documents,
    entry_not_found,
    file_response,
    flag,
    issued_file,
)
from service.web.openapi import errors, files, upload

log = logging.getLogger("service.web.register")
ErrorMessages = dict[str, str | list[Any] | dict[Any, Any]]
INTEGER: ErrorMessages = {"invalid": "Phải là số nguyên."}
DATE: ErrorMessages = {"invalid": "Ngày phải viết dạng YYYY-MM-DD, ví dụ 2026-01-05."}
DATETIME: ErrorMessages = {
    "invalid": "Thời điểm phải viết dạng ISO 8601, ví dụ 2026-01-05T08:00:00+07:00.",
    "utc": "Thời điểm phải nằm trong khoảng năm 1 đến năm 9999 khi đổi sang giờ UTC.",
}


register_blp = Blueprint(
    "register",
    __name__,
    url_prefix="/api/register",
    description="Sổ văn bản đi: cấp số, ban hành, ký số bằng khóa của đơn vị, tra cứu.",
)
LOCATION = {"description": "Địa chỉ của mục", "schema": {"type": "string"}}
audit_blp = Blueprint(
    "audit",
    __name__,
    url_prefix="/api/audit",
    description="Nhật ký: ai soạn, ban hành, ký gì, khi nào.",
)


SEARCHED = validate.Length(max=SEARCH_MAX, error=SEARCH_TOO_LONG)
NUMBERED = validate.Range(min=1, max=SQL_INT_MAX,
                          error=f"Phải là số nguyên từ 1 đến {format_number(SQL_INT_MAX)}.")


class PageArgs(Schema):
    """Paging of a list."""

    page = fields.Integer(
        load_default=1,
        validate=validate.Range(
            min=1, max=SQL_INT_MAX, error=f"Trang đánh số từ 1 đến {format_number(SQL_INT_MAX)}."
        ),
        error_messages=INTEGER,
    )
    per_page = fields.Integer(
        load_default=50,
        validate=validate.Range(min=1, max=200, error="Mỗi trang từ 1 đến 200 mục."),
        error_messages=INTEGER,
    )


class RegisterArgs(PageArgs):
    """Filters of the register list."""

    number = fields.Integer(
        validate=validate.Range(
            min=1, max=SQL_INT_MAX, error=f"Số văn bản từ 1 đến {format_number(SQL_INT_MAX)}."
        ),
        error_messages=INTEGER,
        metadata={"description": "Số thứ tự trong sổ (5 tìm Số: 05/…)"},
    )
    symbol = fields.String(
        validate=validate.Length(max=60),
        metadata={"description": "Phần đầu ký hiệu, không phân biệt hoa thường: KH tìm KH-UBND"},
    )
    type = fields.String(metadata={"description": "Loại văn bản: ke_hoach, bao_cao, …"})
    q = fields.String(validate=SEARCHED, metadata={
        "description": "Chữ trong trích yếu, không phân biệt dấu"})
    agency = fields.String(validate=SEARCHED, metadata={
        "description": "Chữ trong tên cơ quan ban hành"})
    unit = fields.String(metadata={"description": "Mã đơn vị (slug)"})
    year = fields.Integer(
        validate=validate.Range(min=1, max=9999, error="Năm từ 1 đến 9999."),
        error_messages=INTEGER,
    )
    date_from = fields.Date(error_messages=DATE, metadata={"description": "Từ ngày (YYYY-MM-DD)"})
    date_to = fields.Date(error_messages=DATE, metadata={"description": "Đến ngày (YYYY-MM-DD)"})


class BookArgs(Schema):
    """Which register book: year, unit, volume and its numbers, and the layout."""

    year = fields.Integer(
        validate=validate.Range(min=1, max=9999, error="Năm từ 1 đến 9999."),
        error_messages=INTEGER,
        metadata={"description": "Năm của sổ; mặc định năm nay"},
    )
    unit = fields.String(metadata={"description": "Mã đơn vị (slug); mặc định mọi đơn vị được xem"})
    volume = fields.Integer(
        load_default=1, validate=NUMBERED, error_messages=INTEGER,
        metadata={"description": "Quyển số in trên bìa"},
    )
    from_number = fields.Integer(validate=NUMBERED, error_messages=INTEGER,
                                 metadata={"description": "Quyển bắt đầu từ số này"})
    to_number = fields.Integer(validate=NUMBERED, error_messages=INTEGER,
                               metadata={"description": "Quyển kết thúc ở số này"})
    format = fields.String(
        load_default="pdf",
        validate=validate.OneOf(BOOK_FORMATS, error="Phải là pdf hoặc xlsx."),
        metadata={"description": "pdf (mặc định: A3 ngang để in) hoặc xlsx"},
    )


class UtcMoment(fields.AwareDateTime):
    """An ISO 8601 moment (UTC when it gives no offset), in UTC as times are stored."""

    def __init__(self) -> None:
        super().__init__(default_timezone=dt.UTC, error_messages=DATETIME)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dt.datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(dt.UTC)
        except OverflowError:  # 9999-12-31T23:59-14:00 is in year 10000 in UTC
            raise self.make_error("utc") from None


class AuditArgs(PageArgs):
    """Filters of the audit trail."""

    action = fields.String(
        validate=validate.OneOf(ACTIONS, error="Phải là một trong: " + ", ".join(ACTIONS) + ".")
    )
    actor = fields.String(validate=SEARCHED)
    subject = fields.String(validate=SEARCHED, metadata={"description": "Chữ trong đối tượng"})
    since = UtcMoment()
    until = UtcMoment()


@register_blp.route("/issue/<type_id>")
class Issue(MethodView):
    """Issue a document into the register."""

    @register_blp.doc(
        parameters=[
            {
                "in": "query",
                "name": "unit",
                "schema": {"type": "string"},
                "description": "Mã đơn vị: điền sẵn cơ quan, người ký, nơi nhận; khóa ký số.",
            },
            {
                "in": "query",
                "name": "sign",
                "schema": {"type": "boolean"},
                "description": "Ký số PDF bằng khóa của đơn vị (hình con dấu đúng kích thước).",
            },
        ],
        requestBody={
            "required": True,
            "description": "Dữ liệu văn bản, để trống `number`; ngày để trống là hôm nay.",
            # One schema per type: service.web.openapi gives each type its own path.
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
        responses=errors(400, 404, 413, 415, 422, 502, 503),
    )
    @register_blp.response(
        201, schemas.RegisterEntry, description="Đã cấp số và lưu; Location trỏ tới mục trong sổ",
        headers={"Location": LOCATION},
    )
    def post(self, type_id: str) -> Any:
        """Take the next number, date, render DOCX and PDF, seal if asked, store; 201."""
        documents().catalog.get(type_id)
        services().admission.refuse_when_full()
        payload, controls = document_request(("unit", "sign"))
        unit, sign = controls["unit"] or principal().unit, flag(controls["sign"])
        if unit is not None and not isinstance(unit, str):
            return error_response(422, "Mã đơn vị chưa hợp lệ.", {"unit": ["Phải là chuỗi."]})
        if unit is None and not principal().sees(unit):
            raise UnitNotFound(unit)  # a caller bound to units must name one of them
        if not principal().sees(unit):
            # Another unit's records answer 404, as if they did not exist: so does the unit.
            message = f"Không có đơn vị có mã {unit!r}."
            return error_response(404, message, {"unit": [message]})
        issuer = services().issuer
        with services().admission.admit():
            entry = issuer.issue(type_id, payload, actor=current_actor(), unit=unit, sign=sign)
        return created(entry)


@register_blp.route("")
class Entries(MethodView):
    """The register, searched."""

    @register_blp.arguments(RegisterArgs, location="query", as_kwargs=True)
    @register_blp.response(200, schemas.RegisterPage, description="Một trang của sổ")
    def get(self, **args: Any) -> Any:
        """List issued documents, newest first: by number, type, subject, agency, date, year."""
        query = RegisterQuery(
            number=args.get("number"),
            symbol=args.get("symbol"),
            doc_type=args.get("type"),
            text=args.get("q"),
            agency=args.get("agency"),
            year=args.get("year"),
            unit=args.get("unit"),
            date_from=args.get("date_from"),
            date_to=args.get("date_to"),
            units=scope(),
        )
        return services().register.search(query, args["page"], args["per_page"])


@register_blp.route("/book")
class Book(MethodView):
    """The register book of Decree 30, Appendix IV."""

    @register_blp.arguments(BookArgs, location="query", as_kwargs=True)
    @register_blp.doc(responses={
        "200": files("Sổ đăng ký văn bản đi: bìa và mười cột, mỗi cơ quan ban hành một sổ",
                     *BOOK_MEDIA.values()),
        **errors(404, 422, 502, 503),
    })
    def get(self, **args: Any) -> Any:
        """A year's book in number order: a PDF to print (A3 landscape) or an XLSX."""
        unit = args.get("unit")
        if unit is not None and not principal().sees(unit):
            message = f"Không có đơn vị có mã {unit!r}."
            return error_response(404, message, {"unit": [message]})
        year = args.get("year") or today_in_vietnam().year
        volume = Volume(args["volume"], args.get("from_number"), args.get("to_number"))
        return book_download(args["format"], year, volume, unit)


@register_blp.route(f"/{ENTRY_ID}")
class Entry(MethodView):
    """One register entry."""

    @register_blp.response(200, schemas.RegisterEntryDetail, description="Mục trong sổ")
    @register_blp.doc(responses=errors(404))
    def get(self, entry_id: int) -> Any:
        """The entry with its inputs, hashes and links."""
        entry = services().register.get(entry_id, scope())
        return entry_not_found(entry_id) if entry is None else entry


@register_blp.route(f"/{ENTRY_ID}/<any(pdf, docx):kind>")
class EntryFile(MethodView):
    """An issued document's stored file."""

    @register_blp.doc(responses={
        "200": files(
            "Tệp đúng như khi ban hành", MEDIA["pdf"], MEDIA["docx"],
            ETag={"description": "SHA-256 của tệp", "schema": {"type": "string"}},
        ),
        **errors(404),
    })
    def get(self, entry_id: int, kind: str) -> Any:
        """The PDF or DOCX exactly as issued (its SHA-256 is in the entry)."""
        response = issued_file(entry_id, kind)
        return entry_not_found(entry_id) if response is None else response


SCAN_MEDIA = ("application/pdf", "image/jpeg", "image/png")


@register_blp.route(f"/{ENTRY_ID}/scans")
class Scans(MethodView):
    """Scans of an entry's signed, stamped paper."""

    @register_blp.doc(
        requestBody=upload("Bản quét văn bản giấy đã ký, đóng dấu", *SCAN_MEDIA),
        responses=errors(404, 413, 415, 422),
    )
    @register_blp.response(201, schemas.EntryScan, description="Đã lưu bản quét",
                           headers={"Location": LOCATION})
    def post(self, entry_id: int) -> Any:
        """Keep a scan (PDF, JPEG or PNG, read by its first bytes) with the entry."""
        if request.mimetype not in SCAN_MEDIA:
            raise RequestBodyInvalid(415, "Bản quét gửi lên phải là PDF, JPEG hoặc PNG.")
        try:
            scan = services().scans.attach(principal(), entry_id, request.get_data())
        except EntryNotFound:
            return entry_not_found(entry_id)
        except ScanRefused as exc:
            return error_response(422, exc.message, {"body": [exc.message]})
        location = url_for("register.Scan", entry_id=entry_id, scan_id=scan.id)
        return scan, 201, {"Location": location}


@register_blp.route(f"/{ENTRY_ID}/scans/<int(min=1, max={SQL_INT_MAX}):scan_id>")
class Scan(MethodView):
    """One kept scan."""

    @register_blp.doc(responses={"200": files("Bản quét đúng như khi tải lên", *SCAN_MEDIA),
                                 **errors(404)})
    def get(self, entry_id: int, scan_id: int) -> Any:
        """The scan as it was uploaded (ETag = SHA-256)."""
        try:
            scan = services().scans.get(principal(), entry_id, scan_id)
        except EntryNotFound:
            return entry_not_found(entry_id)
        assert scan.content is not None
        response = file_response(scan.content, scan.media_type, scan.file_name, scan.file_name)
        response.headers["ETag"] = f'"{scan.sha256}"'
        return response


@audit_blp.route("")
class Audit(MethodView):
    """The audit trail; read-only (the database refuses changes too)."""

    @audit_blp.arguments(AuditArgs, location="query", as_kwargs=True)
    @audit_blp.response(200, schemas.AuditPage, description="Một trang của nhật ký")
    def get(self, **args: Any) -> Any:
        """List recorded renders, issues and signatures, newest first."""
        query = AuditQuery(
            action=args.get("action"),
            actor=args.get("actor"),
            subject=args.get("subject"),
            since=args.get("since"),  # in UTC already: UtcMoment
            until=args.get("until"),
            units=scope(),
        )
        return services().audit.search(query, args["page"], args["per_page"])


def init_app(app: Flask, api: Api) -> None:
    """Register the routes and the answers to this feature's failures."""
    settings = app.config["VB_SETTINGS"]
    api.register_blueprint(register_blp)
    api.register_blueprint(audit_blp)

    @app.errorhandler(UnitNotFound)
    def unknown_unit(exc: UnitNotFound) -> Any:
        slug = exc.args[0]
        message = f"Không có đơn vị có mã {slug!r}." if slug else "Hãy chọn đơn vị ban hành."
        return error_response(422, "Đơn vị chưa hợp lệ.", {"unit": [message]})

    @app.errorhandler(SigningUnavailable)
    def no_key(exc: SigningUnavailable) -> Any:
        message = (
            "Muốn ký số phải chọn đơn vị (unit) đã được cài khóa ký số "
            "(python -m service signing-key)."
        )
        log.info("signing refused: %s", exc)
        return error_response(422, "Không ký số được.", {"sign": [message]})

    @app.errorhandler(SigningKeyInvalid)
    @app.errorhandler(SealImageInvalid)
    def broken_key(exc: Exception) -> Any:
        log.error("installed signing key or seal unusable: %s", exc)
        message = "Khóa ký số hoặc hình con dấu của đơn vị không dùng được; cần cài lại."
        return error_response(500, message)

    @app.errorhandler(TimestampUnavailable)
    def no_timestamp(exc: TimestampUnavailable) -> Any:
        log.error("timestamp server failed: %s", exc)
        message = "Không lấy được dấu thời gian từ máy chủ TSA; văn bản chưa được cấp số."
        return error_response(502, message, headers={"Retry-After": str(settings.retry_after)})
