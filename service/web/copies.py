"""Copies of issued documents over HTTP: POST /api/register/<id>/copies (SY, SL, TS)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.views import MethodView
from flask_smorest import Api, Blueprint
from marshmallow import EXCLUDE, Schema, fields, validate

from service.usecases.copying import EntryNotFound
from service.usecases.issuing import NumberMovedOn
from service.web import schemas
from service.web.auth import current_actor, scope
from service.web.context import services
from service.web.errors import error_response
from service.web.http import (
    ENTRY_ID,
    SQL_INT_MAX,
    created,
    document_request,
    entry_not_found,
    flag,
)
from service.web.openapi import errors, ref

copies_blp = Blueprint(
    "copies",
    __name__,
    url_prefix="/api/register",
    description="Bản sao văn bản đã ban hành: sao y, sao lục, trích sao, số riêng trong sổ.",
)
# The signer part of forms/_shared.yaml, published with the document schemas.
SIGNER = {
    "allOf": [ref("Signer")],
    "description": "Người ký bản sao; để trống là người ký trong hồ sơ đơn vị.",
}


class CopyRequest(Schema):
    """A copy of an issued document (documented: the copier checks it as its own rules say)."""

    class Meta:
        unknown = EXCLUDE  # documents no rule on other keys: the copier's own

    kind = fields.String(required=True, validate=validate.OneOf(["SY", "SL", "TS"]), metadata={
        "description": "SY sao y, SL sao lục (chỉ từ bản sao y), TS trích sao"})
    parts = fields.List(fields.String(), metadata={
        "description": "Chỉ với TS: các phần cần trích, `1`, `2`… theo thứ tự các mục lớn "
        "của nội dung, `PL1`… các phụ lục"})
    signer = fields.Dict(metadata=SIGNER)
    recipients = fields.List(fields.String(), metadata={
        "description": "Nơi nhận bản sao; `Lưu: VT.` luôn ở cuối"})
    sign = fields.Boolean(metadata={
        "description": "Ký số bản sao bằng khóa của đơn vị (hình con dấu đúng kích thước)"})
    expected_number = fields.Integer(validate=validate.Range(min=1, max=SQL_INT_MAX), metadata={
        "description": "Số đã cho người dùng xem; 409 nếu sổ đã cấp số đó cho bản sao khác"})


@copies_blp.route(f"/{ENTRY_ID}/copies")
class Copies(MethodView):
    """Copies of one register entry."""

    @copies_blp.doc(
        requestBody={
            "required": True,
            "content": {"application/json": {"schema": ref("CopyRequest")}},
        },
        responses=errors(400, 404, 409, 413, 415, 422, 502, 503),
    )
    @copies_blp.response(
        201, schemas.RegisterEntry,
        description="Đã cấp số bản sao và lưu; Location trỏ tới mục mới trong sổ",
        headers={"Location": {"description": "Địa chỉ của mục", "schema": {"type": "string"}}},
    )
    def post(self, entry_id: int) -> Any:
        """Make a copy of the entry with the next number of the agency's copies; 201."""
        copier = services().copier
        try:
            source = copier.source(entry_id, scope())
        except EntryNotFound:
            return entry_not_found(entry_id)
        payload, controls = document_request(("expected_number", "sign"))
        expect = controls["expected_number"]
        if expect is not None and not (
            isinstance(expect, int) and not isinstance(expect, bool) and 1 <= expect <= SQL_INT_MAX
        ):
            message = "Số dự kiến phải là số nguyên dương."
            return error_response(422, "Yêu cầu sao chưa hợp lệ.", {"expected_number": [message]})
        services().admission.refuse_when_full()
        try:
            with services().admission.admit():
                made = copier.make(
                    source, payload, actor=current_actor(), expect=expect,
                    sign=flag(controls["sign"]),
                )
        except NumberMovedOn as exc:
            message = (
                f"Số {exc.shown:02d} đã được cấp cho bản sao khác; bản sao này sẽ nhận "
                f"số {exc.now:02d}."
            )
            return error_response(409, "Số bản sao đã thay đổi.", {"expected_number": [message]})
        return created(made)


def init_app(app: Flask, api: Api) -> None:
    """Register the route and its request's schema."""
    api.register_blueprint(copies_blp)
    api.spec.components.schema("CopyRequest", schema=CopyRequest)
