"""Rendered documents kept a short while for the form's preview images and downloads."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.core.files import atomic_target
from service.core.pdf_io import pdfium_document
from service.core.token_store import TokenNotFound, TokenStore, Visible

PREVIEW_SCALE = 1.5  # 108 dpi: diacritics stay legible, a page stays near 70 kB


class PreviewNotFound(TokenNotFound):
    """The preview has expired or never existed."""


@dataclass(frozen=True)
class Stored:
    """One stored render: its files' names and page count."""

    token: str
    pages: int
    names: dict[str, str]  # extension → download file name


class PreviewStore:
    """Renders an hour under `root/<token>/`, their form's documents a day (`root/.documents/`)."""

    # A render's folder: document.pdf, document.docx, page-<n>.png, meta.json (pages, names).
    # Its form's document, under the same token, is a bulk job's base and what an issue
    # takes: it outlives the images a clerk has long stopped looking at.

    def __init__(
        self, root: Path, ttl_seconds: float = 3600.0, document_ttl_seconds: float = 24 * 3600.0
    ) -> None:
        self.root = root
        self.renders = TokenStore(root, ttl_seconds, PreviewNotFound)
        self.documents = TokenStore(root / ".documents", document_ttl_seconds, PreviewNotFound)

    def save(
        self, pdf: bytes, docx: bytes, names: dict[str, str],
        document: dict[str, Any] | None = None, *, owner: str = "",
    ) -> Stored:
        """Keep a render (and the form's document it shows) for `owner`, the unit it was made
        for; drop the expired ones."""
        token = self.renders.new(owner=owner)
        self.renders.write(token, "document.pdf", pdf)
        self.renders.write(token, "document.docx", docx)
        with pdfium_document(pdf) as opened:
            pages = len(opened)
            # The page shows page 1 at once: draw it while the PDF is open anyway.
            first = _page_image(opened, 0)
        _save_png(first, self.renders.path(token, "page-1.png"))
        meta = {"pages": pages, "names": names}
        self.renders.write(token, "meta.json", json.dumps(meta, ensure_ascii=False).encode())
        if document is not None:
            self.documents.new(token, owner=owner)
            content = json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
            self.documents.write(token, f"{document.get('doc_type') or 'van-ban'}.json", content)
        return Stored(token, pages, names)

    def get(self, token: str, *, visible: Visible) -> Stored:
        """A stored render the reader may see by token, or PreviewNotFound."""
        self.renders.check(token, visible)
        meta = json.loads(self.renders.read(token, "meta.json").decode("utf-8"))
        return Stored(token, meta["pages"], meta["names"])

    def file(self, token: str, extension: str, *, visible: Visible) -> bytes:
        """The stored PDF or DOCX, when the reader may see it."""
        if extension not in ("pdf", "docx"):
            raise PreviewNotFound(token)
        self.renders.check(token, visible)
        return self.renders.read(token, f"document.{extension}")

    def document(self, token: str, *, visible: Visible) -> tuple[str, bytes]:
        """The form's document the preview showed: its JSON file's name and bytes."""
        self.documents.check(token, visible)
        found = [p for p in self.documents.files(token) if p.suffix == ".json"]
        if not found:
            raise PreviewNotFound(token)
        return found[0].name, found[0].read_bytes()

    def page_png(self, token: str, page: int, *, visible: Visible) -> bytes:
        """Page `page` (1-based) as PNG, drawn once and kept."""
        stored = self.get(token, visible=visible)
        if not 1 <= page <= stored.pages:
            raise PreviewNotFound(f"{token} page {page}")
        path = self.renders.path(token, f"page-{page}.png")
        if not path.exists():
            with pdfium_document(self.renders.path(token, "document.pdf")) as opened:
                image = _page_image(opened, page - 1)
            _save_png(image, path)
        return path.read_bytes()


def _page_image(document: Any, index: int, grayscale: bool = True) -> Any:
    """One page drawn at the preview scale, in grey unless asked (call under PDFIUM_LOCK)."""
    return document[index].render(scale=PREVIEW_SCALE, grayscale=grayscale).to_pil()


def _save_png(image: Any, path: Path) -> None:
    """Save a page image atomically, outside the PDFium lock."""
    # Grey PNG at zlib's default level: ~70 kB a page in ~20 ms; optimize=True costs five
    # times the time for 3 % less.
    with atomic_target(path) as partial:
        image.save(partial, format="PNG")


def page_count(pdf: bytes) -> int:
    """How many pages a PDF has."""
    with pdfium_document(pdf) as document:
        return len(document)


def page_png(pdf: bytes, page: int) -> bytes:
    """Page `page` (1-based) of a PDF in colour at the preview scale; IndexError outside it."""
    with pdfium_document(pdf) as document:
        if not 1 <= page <= len(document):
            raise IndexError(page)
        image = _page_image(document, page - 1, grayscale=False)  # a signature's colours show
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
