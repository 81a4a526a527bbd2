"""The merged PDF of a job: every done row's PDF in table order, ready for the printer."""

from __future__ import annotations

import io
from collections.abc import Iterable
from contextlib import ExitStack
from pathlib import Path
from typing import BinaryIO

import pikepdf

A4 = (595.28, 841.89)  # points


def write_merged_pdf(
    paths: Iterable[Path], target: BinaryIO, *, duplex: bool = False
) -> None:
    """Write one PDF of the documents in order; with `duplex`, each starts on an odd page.

    Printed on both sides, a document of an odd page count would otherwise leave the next
    commune's first page on the back of its last sheet: a blank page goes in between,
    never after the last document. Each document keeps its own outline and page numbers.
    """
    with pikepdf.new() as merged, ExitStack() as sources:
        for path in paths:
            if duplex and len(merged.pages) % 2:
                pad_after_last_page(merged)
            # Copied pages read their streams from the source until the merged PDF is saved;
            # kept in memory, thousands of rows do not hold thousands of open files.
            source = sources.enter_context(pikepdf.open(io.BytesIO(path.read_bytes())))
            merged.add_pages_from(source)
        if not merged.pages:
            _add_blank(merged, pikepdf.Array([0, 0, *A4]))
        merged.save(target)


def pad_after_last_page(pdf: pikepdf.Pdf) -> None:
    """Add an empty page of the last page's size and turn (a landscape appendix stays so)."""
    last = pdf.pages[-1]
    blank = _add_blank(pdf, pikepdf.Array(list(last.mediabox)))
    if last.obj.get("/Rotate"):
        blank.obj.Rotate = last.obj.Rotate


def _add_blank(pdf: pikepdf.Pdf, box: pikepdf.Array) -> pikepdf.Page:
    """A page with nothing on it: no content stream, empty resources."""
    page = pikepdf.Dictionary(Type=pikepdf.Name.Page, MediaBox=box, Resources=pikepdf.Dictionary())
    pdf.pages.append(pikepdf.Page(page))
    return pdf.pages[-1]
