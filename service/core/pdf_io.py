"""What every PDF step shares: the PDFium lock, the box, the unreadable-PDF error, the writer."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pypdfium2 as pdfium
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError as HankoPdfError

__all__ = [
    "PDFIUM_LOCK", "UNREADABLE", "InvalidPdf", "Rect", "open_incremental", "pdfium_document",
]

# PDFium is not thread-safe and the server answers on several threads: every use holds this.
PDFIUM_LOCK = threading.Lock()

Rect = tuple[float, float, float, float]  # (x1, y1, x2, y2) in PDF user space
# What pyHanko's reader raises on a posted PDF that breaks the format's shapes: a /Root that
# is a number (AttributeError, AssertionError), a startxref past any integer (OverflowError).
UNREADABLE = (
    HankoPdfError, ValueError, OverflowError, AttributeError, AssertionError, TypeError, KeyError,
)


class InvalidPdf(ValueError):
    """The bytes are not a PDF that can be read or updated."""


def open_incremental(pdf: bytes) -> IncrementalPdfFileWriter:
    """A pyHanko writer appending to the PDF; InvalidPdf if it cannot be read."""
    try:
        return IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    except (HankoPdfError, ValueError) as exc:
        raise InvalidPdf(f"cannot read the PDF: {exc}") from exc


@contextmanager
def pdfium_document(pdf: bytes | Path) -> Iterator[pdfium.PdfDocument]:
    """The PDF opened in PDFium under its lock, closed after; InvalidPdf if it cannot be read."""
    with PDFIUM_LOCK:
        try:
            document = pdfium.PdfDocument(pdf)
        except pdfium.PdfiumError as exc:
            raise InvalidPdf(f"cannot read the PDF: {exc}") from exc
        try:
            yield document
        finally:
            document.close()
