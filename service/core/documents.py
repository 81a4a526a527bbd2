"""The core entry point: validate a document, render its DOCX, convert it to PDF."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from marshmallow import ValidationError

from service.core import fitting, form_parts, issue_fields, pdf, vn
from service.core.context import own_lines
from service.core.converter import Converter
from service.core.definitions import Catalog, load_catalog
from service.core.document import Document
from service.core.render import Renderer
from service.core.schemas import SchemaFactory, flatten_errors

NUMBERING_EXHAUSTED = (
    "Hết ký hiệu đánh số: mục La Mã tới 3.999, mục chữ a) tới y) (23 mục); "
    "hãy chia bớt mục hoặc chuyển sang cấp khác."
)


class DocumentInvalid(ValueError):
    """The data fails its type's schema; `errors` maps field paths to messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Rendered:
    """A document and its rendered DOCX."""

    document: Document
    docx: bytes

    def filename(self, extension: str, *, ascii_only: bool = True) -> str:
        """`KH-UBND-2023-xa-y-tich.pdf`, or the Vietnamese display name."""
        return self.document.filename(extension, ascii_only=ascii_only)


class AuditSink(Protocol):
    """Where the service records what it did (the audit trail); the core never reads it back."""

    def record(
        self, action: str, *, actor: str, subject: str, details: dict[str, Any],
        unit: str | None = None,
    ) -> None:
        """Record one action (render, issue, sign, …) by an actor of a unit on a subject."""


class NoAudit:
    """An audit sink that keeps nothing (the CLI and unit tests)."""

    def record(
        self, action: str, *, actor: str, subject: str, details: dict[str, Any],
        unit: str | None = None,
    ) -> None:
        """Keep nothing."""


class DocumentService:
    """Validates, renders and converts; every entry point (API, CLI, forms, bulk) calls this."""

    def __init__(
        self,
        converter: Converter | None = None,
        catalog: Catalog | None = None,
        renderer: Renderer | None = None,
        audit: AuditSink | None = None,
    ) -> None:
        self.catalog = catalog or load_catalog()
        self.schemas = SchemaFactory(self.catalog)
        self.renderer = renderer or Renderer()
        self.converter = converter
        self.audit: AuditSink = audit or NoAudit()

    def validate(self, type_id: str, payload: Any) -> dict[str, Any]:
        """Load the payload with its type's schema or raise DocumentInvalid."""
        return self.load(type_id, payload).data

    def load(self, type_id: str, payload: Any) -> Document:
        """Validate the payload and derive the document's facts once."""
        doc_type = self.catalog.get(type_id)
        if isinstance(payload, dict) and payload.get("doc_type") not in (None, doc_type.id):
            raise DocumentInvalid({"doc_type": [f"Phải là {doc_type.id} hoặc để trống."]})
        try:
            data: dict[str, Any] = self.schemas.document(type_id).load(payload)
        except ValidationError as exc:
            raise DocumentInvalid(flatten_errors(exc.messages)) from None
        document = Document.of(doc_type, data)
        repeated = form_parts.repeated_lines(document, own_lines(document))
        if repeated:
            raise DocumentInvalid(repeated)
        return document

    def render(
        self, type_id: str, payload: Any, *, actor: str = "system", unit: str | None = None
    ) -> Rendered:
        """Validate and render the DOCX; the render goes on the audit trail (under `unit`)."""
        return self.render_document(self.load(type_id, payload), actor=actor, unit=unit)

    def render_document(
        self,
        document: Document,
        *,
        actor: str = "system",
        unit: str | None = None,
        audit: AuditSink | None = None,
    ) -> Rendered:
        """Render a loaded document; recorded on `audit` (default: the service's)."""
        try:
            rendered = Rendered(document, self.renderer.render(document))
        except vn.LabelOutOfRange as exc:
            # Only the whole outline shows this: a level has more items than its labels.
            raise DocumentInvalid({"body": [NUMBERING_EXHAUSTED]}) from exc
        (audit or self.audit).record(
            "render",
            actor=actor,
            subject=rendered.filename("docx"),
            details={"type": document.doc_type.id, "subject": document.subject},
            unit=unit,
        )
        return rendered

    def to_pdf(
        self,
        rendered: Rendered,
        *,
        pdf_version: int | None = None,
        signing: bool = False,
        numbered_later: bool = False,
        seal_size: float | None = None,
    ) -> bytes:
        """Convert through the converter; with `signing`, add metadata and signature fields.

        `numbered_later` (with `signing`) adds the Số and date of issue as fields to fill after
        the signer has signed: the document must have been rendered without them. `seal_size`
        gives the seal's field its picture's size.
        """
        if self.converter is None:
            raise RuntimeError("this DocumentService has no converter")
        converted = self.converter.convert(rendered.docx, pdf_version=pdf_version)
        spill = fitting.spill_page(converted, rendered.docx)
        if spill is not None:
            # A careful clerk tightens the line spacing before leaving a few lines and the
            # signature on a page of their own; the editable DOCX keeps the usual spacing.
            tighter = self.converter.convert(fitting.tightened(rendered.docx),
                                             pdf_version=pdf_version)
            fitted = fitting.signature_page(tighter)
            moved = fitted is not None and fitted[0] < spill  # to an earlier page
            # Not at the price of a title left at a page's foot (seen when the spacing tightens).
            if moved and not fitting.heading_ends_a_page(tighter):
                converted = tighter
        if not signing:
            return converted
        return ready_for_signing(
            rendered.document, converted, numbered_later=numbered_later, seal_size=seal_size
        )


def ready_for_signing(
    document: Document, converted: bytes, *, numbered_later: bool = False,
    seal_size: float | None = None,
) -> bytes:
    """Metadata, vi-VN, and empty fields for the signer and the seal over the signature space.

    `numbered_later` also makes the header's blank number, day and month fields to fill at
    issue, and locks the signer's field against any other change.
    """
    space = pdf.locate_signature_space(
        converted,
        list(document.signer_lines),
        document.signer.get("name") or "",
        first=bool(document.data.get("attachments")),
    )
    meta = document.metadata
    return pdf.prepare_for_signing(
        converted,
        title=meta.title,
        author=meta.author,
        subject=meta.subject,
        keywords=meta.keywords,
        signer_field=document.signer_field,
        seal_field=document.seal_field,
        space=space,
        issue_blanks=issue_fields.locate_issue_blanks(converted) if numbered_later else (),
        seal_size=seal_size,
    )
