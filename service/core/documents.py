"""The core entry point: validate a document, render its DOCX, convert it to PDF."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from marshmallow import ValidationError

from service.core import markup, pdf, vn
from service.core.context import document_metadata, document_symbol, signer_lines
from service.core.convert import Converter
from service.core.definitions import Catalog, DocTypeDef, load_catalog
from service.core.render import Renderer
from service.core.schemas import flatten_errors


class DocumentInvalid(ValueError):
    """The data fails its type's schema; `errors` maps field paths to messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Rendered:
    """A rendered document with the names to give its files."""

    doc_type: DocTypeDef
    data: dict[str, Any]
    docx: bytes
    ascii_name: str
    display_name: str

    def filename(self, extension: str, *, ascii_only: bool = True) -> str:
        """`KH-UBND-2023-xa-y-tich.pdf`, or the Vietnamese display name."""
        return f"{self.ascii_name if ascii_only else self.display_name}.{extension}"


class AuditSink(Protocol):
    """Where the service records what it did (the audit trail); the core never reads it back."""

    def record(self, action: str, *, actor: str, subject: str, details: dict[str, Any]) -> None:
        """Record one action (render, issue, sign, …) by an actor on a subject."""


class NoAudit:
    """An audit sink that keeps nothing (the CLI and unit tests)."""

    def record(self, action: str, *, actor: str, subject: str, details: dict[str, Any]) -> None:
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
        self.renderer = renderer or Renderer()
        self.converter = converter
        self.audit: AuditSink = audit or NoAudit()

    def validate(self, type_id: str, payload: Any) -> dict[str, Any]:
        """Load the payload with its type's schema or raise DocumentInvalid."""
        doc_type = self.catalog.get(type_id)
        if isinstance(payload, dict) and payload.get("doc_type") not in (None, doc_type.id):
            raise DocumentInvalid({"doc_type": [f"Phải là {doc_type.id} hoặc để trống."]})
        try:
            return self.catalog.schemas.document(type_id).load(payload)
        except ValidationError as exc:
            raise DocumentInvalid(flatten_errors(exc.messages)) from None

    def render(self, type_id: str, payload: Any, *, actor: str = "system") -> Rendered:
        """Validate and render the DOCX; the render goes on the audit trail."""
        return self.render_valid(self.catalog.get(type_id), self.validate(type_id, payload),
                                 actor=actor)

    def render_valid(
        self,
        doc_type: DocTypeDef,
        data: dict[str, Any],
        *,
        actor: str = "system",
        audit: AuditSink | None = None,
    ) -> Rendered:
        """Render data that `validate` returned; recorded on `audit` (default: the service's)."""
        docx = self.renderer.render(doc_type, data)
        ascii_name, display_name = file_names(doc_type, data)
        rendered = Rendered(doc_type, data, docx, ascii_name, display_name)
        (audit or self.audit).record(
            "render",
            actor=actor,
            subject=rendered.filename("docx"),
            details={"type": doc_type.id, "subject": markup.plain(data["subject"])},
        )
        return rendered

    def to_pdf(
        self, rendered: Rendered, *, pdf_version: int | None = None, signing: bool = False
    ) -> bytes:
        """Convert through the pool; with `signing`, add metadata and empty signature fields."""
        if self.converter is None:
            raise RuntimeError("this DocumentService has no converter")
        converted = self.converter.convert(rendered.docx, pdf_version=pdf_version)
        return ready_for_signing(rendered, converted) if signing else converted


def ready_for_signing(rendered: Rendered, converted: bytes) -> bytes:
    """Metadata, vi-VN, and empty fields for the signer and the seal over the signature space."""
    data = rendered.data
    signer = data["signer"]
    space = pdf.locate_signature_space(converted, signer_lines(signer), signer.get("name") or "")
    meta = document_metadata(rendered.doc_type, data)
    return pdf.prepare_for_signing(
        converted,
        title=meta.title,
        author=meta.author,
        subject=meta.subject,
        keywords=meta.keywords,
        signer_field=pdf.field_name("Chu ky", signer.get("name") or signer["title"]),
        seal_field=seal_field_name(data),
        space=space,
    )


def seal_field_name(data: dict[str, Any]) -> str:
    """The name of the seal's signature field in a document's signing-ready PDF."""
    return pdf.field_name("Dau", data["issuer"]["agency"])


def file_names(doc_type: DocTypeDef, data: dict[str, Any]) -> tuple[str, str]:
    """An ASCII file stem (`05-KH-UBND-2023-xa-y-tich`) and a Vietnamese one."""
    issuer = data["issuer"]
    symbol = data.get("symbol") or document_symbol(doc_type, data)
    short = issuer.get("agency_short") or vn.short_agency(issuer["agency"])
    place = vn.ascii_slug(short).removeprefix(vn.ascii_slug(issuer["agency_code"]) + "-")
    number = f"{data['number']:02d}-" if data.get("number") else ""
    year = data["date"]["year"]
    code = vn.ascii_slug(symbol).upper()
    ascii_name = "-".join(filter(None, [number + code, str(year), place]))[:120]
    subject = markup.plain(data["subject"])[:80].strip()
    display = f"{doc_type.name} {symbol} {year} - {subject}".replace("/", "-")
    return ascii_name or "van-ban", display
