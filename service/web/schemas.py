"""What the API answers and takes, as marshmallow schemas: they dump the answers and document them.

A route's `@blp.response(status, Schema)` dumps what the view returns (the use cases' records
or dicts) through the schema, and the same schema is its `/openapi.json` component.
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from marshmallow import EXCLUDE, INCLUDE, Schema, fields, post_dump, validate

from service.core.clock import iso
from service.core.definitions import Catalog
from service.usecases.draft_ports import STATUS_LABELS, DraftStatus
from service.usecases.ports import AUDIT_ACTIONS, RegisterRecord

DUPLEX = (
    "In hai mặt: trong PDF gộp, văn bản của mỗi dòng bắt đầu ở trang lẻ "
    "(thêm trang trắng sau văn bản có số trang lẻ, trừ văn bản cuối)."
)
LINKS_DOC = {"type": "object", "additionalProperties": {"type": "string"}}
JOB_UNIT = (
    "Mã đơn vị của việc; để trống là đơn vị của tài khoản hoặc khóa (khóa nhiều đơn vị phải chọn)"
)


class Moment(fields.DateTime):
    """An instant in ISO 8601 with its UTC offset: a datetime, or a text the store wrote so."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return value if value is None or isinstance(value, str) else iso(value)


def text(**options: Any) -> fields.String:
    """A text every answer has (None allowed when `allow_none`)."""
    return fields.String(required=True, **options)


def whole(low: int | None = None) -> fields.Integer:
    """A whole number every answer has (at least `low`, when given)."""
    return fields.Integer(required=True, validate=None if low is None else validate.Range(min=low))


def moment(**options: Any) -> Moment:
    """An instant every answer has (None allowed when `allow_none`)."""
    return Moment(required=True, **options)


def yes_no(**options: Any) -> fields.Boolean:
    """A boolean every answer has."""
    return fields.Boolean(required=True, **options)


def links() -> fields.Dict:
    """Names → addresses of a record's own routes."""
    return fields.Dict(keys=fields.String(), values=fields.String(), required=True)


class Open(Schema):
    """A record that may carry more keys than it lists; they pass through as they are."""

    class Meta:
        unknown = INCLUDE  # documented as additionalProperties: true

    @post_dump(pass_original=True)
    def keep_the_rest(self, data: dict[str, Any], original: Any, **kwargs: Any) -> dict[str, Any]:
        """The listed keys dumped, the others as given."""
        return {**original, **data} if isinstance(original, dict) else data


# -- document types, health, signatures ----------------------------------------------------


class FieldInfo(Open):
    """A field of a type; kinds of field add their limits, default, choices or item."""

    name, label, type, help = text(), text(), text(), text()
    required, nullable = yes_no(), yes_no()


class DocumentTypeInfo(Schema):
    """A document type with its fields."""

    id, name, description, template = text(), text(), text(), text()
    code = text(allow_none=True)
    blocks = fields.List(fields.String(), required=True)
    # `fields` names the schema's own fields: the key is renamed, not the attribute.
    field_list = fields.List(
        fields.Nested(FieldInfo), required=True, attribute="fields", data_key="fields"
    )


class PoolHealth(Open):
    """The converter pool: ok, and what the pool tells of its instances."""

    ok = yes_no()
    serif_font = fields.String(metadata={
        "description": "What the PDFs set Times New Roman in: itself (VB_FONT_DIR) or its "
                       "metric-compatible stand-in"})


class Health(Schema):
    """The service's health."""

    status = text(validate=validate.OneOf(["ok", "degraded"]))
    pool = fields.Nested(PoolHealth, required=True)


class SignatureInfo(Schema):
    """One signature of a PDF."""

    field, signer = text(), text()
    signed_at, reason = text(allow_none=True), text(allow_none=True)
    intact, valid, trusted, covers_whole_document = yes_no(), yes_no(), yes_no(), yes_no()


class VerifyReport(Schema):
    """Every signature of a posted PDF."""

    signatures = fields.List(fields.Nested(SignatureInfo), required=True)
    count = whole(0)


# -- the register and the audit trail ------------------------------------------------------


def entry_links(entry: RegisterRecord) -> dict[str, str]:
    """An entry's own address and its files'."""
    return {
        "self": url_for("register.Entry", entry_id=entry.id),
        "pdf": url_for("register.EntryFile", entry_id=entry.id, kind="pdf"),
        "docx": url_for("register.EntryFile", entry_id=entry.id, kind="docx"),
    }


class RegisterEntry(Schema):
    """An issued document in the register (no inputs, no files), with its links."""

    id, number, year = whole(), whole(), whole()
    number_text, symbol, number_line, doc_type = text(), text(), text(), text()
    subject, agency, issued_by = text(), text(), text()
    docx_sha256, pdf_sha256 = text(), text()
    unit, signed_by = text(allow_none=True), text(allow_none=True)
    date = fields.Date(required=True, attribute="document_date")
    issued_at = moment()
    signed = yes_no()
    source_id = fields.Integer(required=True, allow_none=True)
    links = fields.Function(entry_links, required=True, metadata=LINKS_DOC)


class RegisterEntryDetail(RegisterEntry):
    """An entry with the JSON it was issued from."""

    inputs = fields.Dict(required=True)


class RegisterPage(Schema):
    """One page of the searched register."""

    items = fields.List(fields.Nested(RegisterEntry), required=True)
    total, page, per_page = whole(0), whole(1), whole(1)


class AuditEvent(Schema):
    """A recorded render, issue or signature."""

    id = whole()
    at = moment()
    action = text(validate=validate.OneOf(AUDIT_ACTIONS))
    actor, subject = text(), text()
    unit = text(allow_none=True)
    details = fields.Dict(required=True)


class AuditPage(RegisterPage):
    """One page of the searched audit trail."""

    items = fields.List(fields.Nested(AuditEvent), required=True)


class EntryScan(Schema):
    """A scan kept with a register entry."""

    id, entry_id, size = whole(), whole(), whole()
    media_type, sha256, added_by = text(), text(), text()
    added_at = moment()
    links = fields.Function(lambda scan: {"self": url_for(
        "register.Scan", entry_id=scan.entry_id, scan_id=scan.id)}, required=True,
        metadata=LINKS_DOC)


# -- drafts --------------------------------------------------------------------------------


def draft_links(draft: Any) -> dict[str, str]:
    """A draft's own address, its kept PDFs and its register entry once issued."""
    found = {"self": url_for("drafts.Draft", draft_id=draft.id)}
    if draft.status != DraftStatus.DRAFT or draft.signer_account:
        found["prepared"] = url_for("drafts.DraftFile", draft_id=draft.id, kind="prepared")
    if draft.signature is not None and not draft.signature.paper:
        found["signed"] = url_for("drafts.DraftFile", draft_id=draft.id, kind="signed")
    if draft.entry_id is not None:
        found["entry"] = url_for("register.Entry", entry_id=draft.entry_id)
    return found


class DraftSignature(Schema):
    """How a draft was signed: paper as recorded, or a digital signature's certificate."""

    paper = yes_no()
    recorded_by, subject, serial, issuer = text(), text(), text(), text()
    signed_at = text(allow_none=True)
    trusted = yes_no()


class Draft(Schema):
    """A draft on its way from the drafter to the register."""

    id, version = whole(), whole(1)
    unit, doc_type, title, created_by, updated_by, note, comment = (
        text(), text(), text(), text(), text(), text(), text()
    )
    status = fields.Function(lambda d: d.status.value, required=True,
                             metadata={"enum": [s.value for s in DraftStatus]})
    status_label = fields.Function(lambda d: STATUS_LABELS[d.status], required=True)
    created_at, updated_at = moment(), moment()
    signer_account = text(allow_none=True)
    signature = fields.Nested(DraftSignature, required=True, allow_none=True)
    entry_id = fields.Integer(required=True, allow_none=True)
    links = fields.Function(draft_links, required=True, metadata=LINKS_DOC)


class DraftVersion(Schema):
    """Who saved a version, and when."""

    version = whole(1)
    saved_by = text()
    saved_at = moment()


class DraftDetail(Draft):
    """A draft with its newest document and every version."""

    document = fields.Function(lambda d: d.data, required=True)
    versions = fields.List(fields.Nested(DraftVersion), required=True)


class DraftList(Schema):
    """The drafts a caller sees."""

    items = fields.List(fields.Nested(Draft), required=True)


# -- bulk jobs -----------------------------------------------------------------------------


class JobFailure(Schema):
    """A failed row."""

    row = whole()
    commune, error = text(allow_none=True), text(allow_none=True)


class JobRow(Schema):
    """A row of a job with its state and its files once done."""

    row = whole()
    status, status_label = text(), text()
    commune, error = text(allow_none=True), text(allow_none=True)
    pdf, docx = text(allow_none=True), text(allow_none=True)
    pdf_name, docx_name = text(allow_none=True), text(allow_none=True)


class Job(Schema):
    """A bulk job's progress, failures, rows and links."""

    id, backend, doc_type, title, state_label = text(), text(), text(), text(), text()
    state = text(validate=validate.OneOf(["running", "assembling", "done", "cancelled"]))
    total, pending, running = whole(0), whole(0), whole(0)
    done, failed, skipped = whole(0), whole(0), whole(0)
    created_at = moment()
    started_at, finished_at = moment(allow_none=True), moment(allow_none=True)
    eta_seconds = fields.Float(required=True, allow_none=True)
    outputs_ready = yes_no()
    duplex = yes_no(metadata={"description": DUPLEX})
    failures = fields.List(fields.Nested(JobFailure), required=True)
    rows = fields.List(fields.Nested(JobRow), required=True)
    links = links()


class Province(Schema):
    """A province or centrally-run city."""

    code, name = whole(), text()


SEPARATOR = "Dấu tách danh sách, mặc định ;"


def job_request_schemas(catalog: Catalog) -> dict[str, type[Schema]]:
    """The two ways to post a bulk job, JSON or a form with two files; the base names a type."""

    class JobBase(Schema):
        """The base document: the table's columns fill or replace its fields."""

        class Meta:
            unknown = INCLUDE  # the document's own fields

        doc_type = text(validate=validate.OneOf(list(catalog.types)))

    class JobRequest(Schema):
        """A bulk job posted as JSON."""

        class Meta:
            unknown = EXCLUDE  # other keys are not read

        base = fields.Nested(JobBase, required=True, metadata={
            "description": "Văn bản gốc: các cột của bảng điền hoặc thay các trường của nó."})
        rows = fields.List(fields.Dict(keys=fields.String(), values=fields.Raw(
            allow_none=True, metadata={"description": "Giá trị ô: chữ, số, đúng/sai"},
        )), required=True, metadata={"description": "Mỗi dòng một văn bản: cột → giá trị"})
        allow_invalid = fields.Boolean(load_default=False)
        separator = fields.String(allow_none=True, validate=validate.Length(max=3),
                                  metadata={"description": SEPARATOR})
        duplex = fields.Boolean(load_default=False, metadata={"description": DUPLEX})
        unit = fields.String(metadata={"description": JOB_UNIT})

    class JobUpload(Schema):
        """A bulk job posted as a form with the two files."""

        class Meta:
            unknown = EXCLUDE  # other fields are not read

        base = fields.Raw(required=True, metadata={
            "type": "string", "format": "binary", "description": "Tệp JSON"})
        table = fields.Raw(required=True, metadata={
            "type": "string", "format": "binary", "description": "CSV, XLSX, JSON"})
        allow_invalid = fields.String(validate=validate.OneOf(["0", "1"]))
        separator = fields.String(validate=validate.Length(max=3),
                                  metadata={"description": SEPARATOR})
        unit = fields.String(metadata={"description": JOB_UNIT})
        duplex = fields.String(validate=validate.OneOf(["0", "1"]), load_default="0",
                               metadata={"description": DUPLEX})

    return {"JobRequest": JobRequest, "JobUpload": JobUpload}


# -- errors --------------------------------------------------------------------------------


class Error(Schema):
    """Every failure's answer: {code, status, message, errors}; nothing else."""

    code = fields.Integer(required=True, metadata={"description": "Mã trạng thái HTTP"})
    status = fields.String(required=True, metadata={
        "description": "Tên trạng thái, vd. Unprocessable Entity"})
    message = fields.String(required=True, metadata={
        "description": "Thông báo cho người dùng (tiếng Việt)"})
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), metadata={
        "description": "Đường dẫn trường (vd. body.0.title) → các thông báo lỗi"})
