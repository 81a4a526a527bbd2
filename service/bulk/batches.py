"""Several rows of a job converted in one LibreOffice load, the PDF split back into each row's.

LibreOffice's cost is mostly per load, not per page: the district's hundred communes from one
base convert several times faster in batches of VB_BULK_BATCH_PAGES pages. A row whose
document cannot be batched faithfully (footnotes, appendices: service.core.batch_docx), whose
part spills its signature onto a page of its own (it needs the tighter second conversion),
or whose batch fails goes the single way, so a bad row fails alone and every row is exactly
what converting it alone gives.
"""

from __future__ import annotations

import logging

import pikepdf

from service.bulk.ports import ClaimedRow, RowOutcome
from service.bulk.work import (
    BulkContext,
    convert_row,
    fail_invalid,
    render_row,
    worker_name,
    write_row,
)
from service.core import batch_docx, batch_pdf, fitting
from service.core.converter import ConversionError
from service.core.document import Metadata
from service.core.documents import DocumentInvalid, Rendered
from service.core.pdf import set_metadata

log = logging.getLogger("service.bulk")

Claimed = tuple[int, ClaimedRow, Rendered]


def rows_per_batch(batch_pages: int, row_pages: int) -> int:
    """How many rows of `row_pages` pages a batch of `batch_pages` takes (at least one)."""
    return max(1, batch_pages // max(1, row_pages))


def learned_batch_rows(ctx: BulkContext, job_id: str, batch_pages: int) -> int | None:
    """Rows a batch of the job takes, from its longest row done so far; None before any."""
    pages = [row.pages for row in ctx.jobs.manifest(job_id) if row.pages]
    return rows_per_batch(batch_pages, max(pages)) if pages else None


def process_batch(
    ctx: BulkContext, job_id: str, indexes: list[int], *, last_attempt: bool = False
) -> dict[int, RowOutcome]:
    """Claim, render and convert the rows together where that is faithful; each one's outcome.

    Rows left over (not batchable, spilled, or the batch failed) are converted one by one as
    claimed and rendered here, with outcomes (RETRY, WAIT among them) the caller handles as
    for any row.
    """
    claimed = ctx.jobs.claim_rows(job_id, indexes, worker_name())
    # A row not claimed is done already, or its job was cancelled.
    outcomes = {index: RowOutcome.SKIPPED for index in indexes if index not in claimed}
    ready: list[Claimed] = []  # claimed and rendered
    for index in (index for index in indexes if index in claimed):
        try:
            ready.append((index, claimed[index], render_row(ctx, claimed[index])))
        except DocumentInvalid as exc:
            outcomes[index] = fail_invalid(ctx, job_id, index, exc)
    together = [item for item in ready if batch_docx.batchable(item[2].docx)]
    if len(together) > 1:
        outcomes |= _convert_together(ctx, job_id, together)
    for index, row, document in ready:
        if index not in outcomes:
            outcomes[index] = convert_row(ctx, job_id, index, row, document,
                                          last_attempt=last_attempt)
    return outcomes


def _convert_together(ctx: BulkContext, job_id: str, rows: list[Claimed]) -> dict[int, RowOutcome]:
    """One conversion for the rows, split and written; {} (all left to go singly) on failure."""
    converter = ctx.documents.converter
    assert converter is not None, "bulk rows run with a converter"
    metadata = [rendered.document.metadata for _, _, rendered in rows]
    try:
        merged = batch_docx.merge([rendered.docx for _, _, rendered in rows])
        parts = batch_pdf.split(converter.convert(merged, destinations=True), len(rows),
                                lambda index, part: describe(part, metadata[index]))
    except (ConversionError, ValueError) as exc:  # ValueError: the merge or the split refused
        log.warning("bulk %s rows %s: batch failed, one by one: %s", job_id,
                    [index for index, _, _ in rows], exc)
        return {}
    outputs = {index: write_row(ctx, job_id, index, row, rendered, part)
               for (index, row, rendered), part in zip(rows, parts, strict=True)
               # One that spilled is converted alone, where the line spacing may be tightened.
               if not fitting.spilled(part, rendered.docx)}
    ctx.jobs.complete_rows(job_id, outputs)  # one transaction for the batch's rows
    return dict.fromkeys(outputs, RowOutcome.DONE)


def describe(part: pikepdf.Pdf, meta: Metadata) -> None:
    """Give the part its own title, author, subject and keywords, as a lone conversion has."""
    set_metadata(part, meta.title, meta.author, meta.subject, list(meta.keywords))
