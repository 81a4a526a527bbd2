"""Rendered documents kept a short while for the form's preview images and downloads."""

from __future__ import annotations

import json
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium

from service.core.files import atomic_target, private_folder, write_atomic
from service.core.pdf import PDFIUM_LOCK

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
PREVIEW_SCALE = 1.5  # 108 dpi: diacritics stay legible, a page stays near 70 kB


class PreviewNotFound(LookupError):
    """The preview has expired or never existed."""


@dataclass(frozen=True)
class Stored:
    """One stored render: its files' names and page count."""

    token: str
    pages: int
    names: dict[str, str]  # extension → download file name


class PreviewStore:
    """Files under `root/<token>/`: document.pdf, document.docx, page images, names."""

    def __init__(self, root: Path, ttl_seconds: float = 3600.0) -> None:
        self.root = root
        self.ttl = ttl_seconds

    def save(self, pdf: bytes, docx: bytes, names: dict[str, str]) -> Stored:
        """Keep a render; drop the expired ones."""
        self.expire()
        token = secrets.token_urlsafe(18)
        folder = self.root / token
        private_folder(self.root)
        folder.mkdir(mode=0o700)  # a fresh token: never there already
        write_atomic(folder / "document.pdf", pdf)
        write_atomic(folder / "document.docx", docx)
        with PDFIUM_LOCK:
            document = pdfium.PdfDocument(pdf)
            try:
                pages = len(document)
                # The page shows page 1 at once: draw it while the PDF is open anyway.
                first = _page_image(document, 0)
            finally:
                document.close()
        _save_png(first, folder / "page-1.png")
        meta = {"pages": pages, "names": names}
        write_atomic(folder / "meta.json", json.dumps(meta, ensure_ascii=False).encode("utf-8"))
        return Stored(token, pages, names)

    def get(self, token: str) -> Stored:
        """A stored render by token or PreviewNotFound."""
        meta_path = self._folder(token) / "meta.json"
        if not meta_path.exists():
            raise PreviewNotFound(token)
        meta = json.loads(meta_path.read_text("utf-8"))
        return Stored(token, meta["pages"], meta["names"])

    def file(self, token: str, extension: str) -> bytes:
        """The stored PDF or DOCX."""
        path = self._folder(token) / f"document.{extension}"
        if extension not in ("pdf", "docx") or not path.exists():
            raise PreviewNotFound(token)
        return path.read_bytes()

    def page_png(self, token: str, page: int) -> bytes:
        """Page `page` (1-based) as PNG, drawn once and kept."""
        stored = self.get(token)
        if not 1 <= page <= stored.pages:
            raise PreviewNotFound(f"{token} page {page}")
        path = self._folder(token) / f"page-{page}.png"
        if not path.exists():
            with PDFIUM_LOCK:
                document = pdfium.PdfDocument(self._folder(token) / "document.pdf")
                try:
                    image = _page_image(document, page - 1)
                finally:
                    document.close()
            _save_png(image, path)
        return path.read_bytes()

    def expire(self) -> None:
        """Remove renders older than the time to live."""
        if not self.root.exists():
            return
        limit = time.time() - self.ttl
        for folder in self.root.iterdir():
            if folder.is_dir() and folder.stat().st_mtime < limit:
                shutil.rmtree(folder, ignore_errors=True)

    def _folder(self, token: str) -> Path:
        if not _TOKEN.match(token):
            raise PreviewNotFound(token)
        return self.root / token


def _page_image(document: Any, index: int) -> Any:
    """One page drawn in grey at the preview scale (call under PDFIUM_LOCK)."""
    return document[index].render(scale=PREVIEW_SCALE, grayscale=True).to_pil()


def _save_png(image: Any, path: Path) -> None:
    """Save a page image atomically, outside the PDFium lock."""
    # Grey PNG at zlib's default level: ~70 kB a page in ~20 ms; optimize=True costs five
    # times the time for 3 % less.
    with atomic_target(path) as partial:
        image.save(partial, format="PNG")
