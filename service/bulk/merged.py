"""The merged PDF of a job: every done row's PDF in table order, ready for the printer."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pypdf import PdfWriter

A4 = (595.28, 841.89)  # points


def merged_pdf(paths: Iterable[Path], *, duplex: bool = False) -> PdfWriter:
    """One PDF of the documents in order; with `duplex`, each starts on an odd page.

    Printed on both sides, a document of an odd page count would otherwise leave the next
    commune's first page on the back of its last sheet: a blank page goes in between,
    never after the last document. Each document keeps its own outline and page numbers.
    """
    writer = PdfWriter()
    for path in paths:
        if duplex and len(writer.pages) % 2:
            pad_after_last_page(writer)
        writer.append(str(path))
    if not writer.pages:
        writer.add_blank_page(width=A4[0], height=A4[1])
    return writer


def pad_after_last_page(writer: PdfWriter) -> None:
    """Add an empty page of the last page's size and turn (a landscape appendix stays so)."""
    last = writer.pages[-1]
    blank = writer.add_blank_page(width=last.mediabox.width, height=last.mediabox.height)
    if last.rotation:
        blank.rotate(last.rotation)
