"""Checks that bytes a converter returned are a usable PDF (unoserver #109 sent error text)."""

from __future__ import annotations

import io

import pikepdf

EOF_WINDOW = 1024  # %%EOF must sit in the last KiB, where readers look for it


def validate_pdf(data: bytes) -> int:
    """Check that data is a readable PDF with at least one page; return the page count."""
    if not isinstance(data, bytes | bytearray):
        raise ValueError(f"expected bytes, got {type(data).__name__}")
    if not data.startswith(b"%PDF-"):
        raise ValueError(f"not a PDF: starts with {bytes(data[:40])!r}")
    if b"%%EOF" not in data[-EOF_WINDOW:]:
        raise ValueError("truncated PDF: no %%EOF at the end")
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            pages = len(pdf.pages)
    except Exception as exc:  # qpdf recovers what it can and raises on the rest
        raise ValueError(f"unreadable PDF: {type(exc).__name__}: {exc}") from exc
    if pages < 1:
        raise ValueError("PDF has no pages")
    return pages
