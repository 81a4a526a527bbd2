"""Doing one row and assembling a job: the steps both runners (embedded, Celery) share."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from service.bulk.outputs import JobFiles
from service.bulk.ports import ClaimedRow, JobStore, RowOutcome, RowOutput
from service.bulk.row_document import row_document, unfilled_message
from service.core.converter import ConversionError, ConverterUnavailable
from service.core.documents import DocumentInvalid, DocumentService, Rendered
from service.core.files import drop_partials, sha256
from service.core.outages import Explain, disk_full, low_disk
from service.core.pdf_checks import validate_pdf

log = logging.getLogger("service.bulk")


@dataclass(frozen=True)
class BulkContext:
    """What running rows needs: the job store, a DocumentService with a converter, the folders."""

    jobs: JobStore
    documents: DocumentService
    jobs_root: Path
    flat: bool = False  # the CLI writes one job straight into its output folder
    # What a machine's outage looks like (a full disk; the store adds the database's).
    outage: Explain = disk_full

    def files(self, job_id: str) -> JobFiles:
        """The job's output folder."""
        return JobFiles(self.jobs_root if self.flat else self.jobs_root / job_id)


def worker_name() -> str:
    """host:pid/thread, recorded on the rows a worker claims."""
    return f"{socket.gethostname()}:{os.getpid()}/{threading.current_thread().name}"


def process_row(
    ctx: BulkContext, job_id: str, index: int, *, last_attempt: bool = True
) -> RowOutcome:
    """Claim, render, convert and record one row; DONE, FAILED, SKIPPED, RETRY or WAIT.

    RETRY (only when not `last_attempt`) leaves the row open after a conversion failure so
    the caller can try again later; a bad value or the last failed attempt fails the row.
    WAIT leaves it open when no converter was free: bulk rows wait for the pool, they are
    never failed because interactive requests or a restart held it.
    """
    row = ctx.jobs.claim_row(job_id, index, worker_name())
    if row is None:
        return RowOutcome.SKIPPED  # finished already (a redelivered task) or cancelled
    return convert_row(ctx, job_id, index, row, last_attempt=last_attempt)


def convert_row(
    ctx: BulkContext, job_id: str, index: int, row: ClaimedRow, rendered: Rendered | None = None,
    *, last_attempt: bool = True,
) -> RowOutcome:
    """process_row for a row claimed already, its render too when given (a batch left it)."""
    try:
        rendered = rendered or render_row(ctx, row)
        output = write_row(ctx, job_id, index, row, rendered, ctx.documents.to_pdf(rendered))
    except DocumentInvalid as exc:
        return fail_invalid(ctx, job_id, index, exc)
    except ConverterUnavailable as exc:
        log.info("bulk %s row %d: no converter free, will wait: %s", job_id, index, exc)
        return RowOutcome.WAIT
    except ConversionError as exc:
        if low_disk(ctx.jobs_root):
            # LibreOffice could not write its PDF: the disk's fault, as for a write refused.
            log.error("bulk %s row %d: conversion failed on a full disk, will wait: %s",
                      job_id, index, exc)
            return RowOutcome.WAIT
        if not last_attempt:
            log.warning("bulk %s row %d: conversion failed, will retry: %s", job_id, index, exc)
            return RowOutcome.RETRY
        return _fail(ctx, job_id, index, f"Không chuyển được sang PDF: {exc}")
    except Exception as exc:  # one bad row never stops the others
        if ctx.outage(exc) is not None:
            # The machine's fault, not the row's (a full disk, the database away): it waits.
            log.error("bulk %s row %d: %s, will wait: %s", job_id, index, ctx.outage(exc), exc)
            return RowOutcome.WAIT
        log.exception("bulk %s row %d failed", job_id, index)
        return _fail(ctx, job_id, index, f"Lỗi khi tạo văn bản: {type(exc).__name__}: {exc}")
    ctx.jobs.complete_row(job_id, index, output)
    return RowOutcome.DONE


def render_row(ctx: BulkContext, row: ClaimedRow) -> Rendered:
    """The row's document rendered; DocumentInvalid names its bad cells and empty placeholders."""
    service = ctx.documents
    result = row_document(service.catalog, row.doc_type, row.base, row.cells, row.separator)
    unfilled = {p: [unfilled_message(p, names)] for p, names in result.unfilled.items()}
    if result.cell_errors or unfilled:
        raise DocumentInvalid(result.cell_errors | unfilled)
    return service.render(row.doc_type, result.document, actor=row.actor, unit=row.unit)


def write_row(
    ctx: BulkContext, job_id: str, index: int, row: ClaimedRow, rendered: Rendered, pdf: bytes
) -> RowOutput:
    """Check the row's PDF and write its two files; what the job records of them."""
    pages = validate_pdf(pdf)
    docx_name, pdf_name = ctx.files(job_id).write_row(index, row.commune, rendered.docx, pdf)
    return RowOutput(docx_name, pdf_name, sha256(rendered.docx), sha256(pdf), pages)


def _fail(ctx: BulkContext, job_id: str, index: int, error: str) -> RowOutcome:
    """Record a row's failure."""
    ctx.jobs.fail_row(job_id, index, error)
    return RowOutcome.FAILED


def fail_invalid(ctx: BulkContext, job_id: str, index: int, exc: DocumentInvalid) -> RowOutcome:
    """Record that a row's values are bad, naming each field and why."""
    return _fail(ctx, job_id, index, "Dữ liệu chưa hợp lệ: " + _paths(exc.errors))


def _paths(errors: dict[str, list[str]]) -> str:
    """`date.day: Phải từ 1 đến 31.; …`."""
    return "; ".join(f"{path}: {' '.join(messages)}" for path, messages in errors.items())


def assemble(ctx: BulkContext, job_id: str, *, force: bool = False) -> bool:
    """Write the ZIP, merged PDF and manifest once every row is finished; mark the job done.

    Idempotent: a second call (a redelivered task, a resumed service) rewrites the same files.
    `force` assembles whatever is finished (a cancelled job's downloads).
    """
    rows = ctx.jobs.begin_assembly(job_id, force)
    if rows is None:
        return False
    job = ctx.jobs.get_job(job_id)
    files = ctx.files(job_id)
    if not force:  # every row is finished: no write is left but those a kill cut short
        dropped = drop_partials(files.folder)
        if dropped:
            log.info("bulk %s: removed %d files of writes cut short", job_id, dropped)
    files.assemble(rows, duplex=job is not None and job.duplex)
    if not force:
        ctx.jobs.finish_job(job_id)
    log.info("bulk %s assembled: %d rows", job_id, len(rows))
    return True


def run_row_with_retries(
    ctx: BulkContext,
    job_id: str,
    index: int,
    attempts: int,
    wait: Callable[[float], bool],
) -> RowOutcome:
    """Process a row in this process, retrying a failed conversion with a growing pause.

    Waiting for a free converter does not use up an attempt; only shutting down ends it.
    """
    failures = waits = 0
    while True:
        outcome = process_row(ctx, job_id, index, last_attempt=failures + 1 >= attempts)
        if outcome == RowOutcome.RETRY:
            failures += 1
            pause = 2.0 * failures
        elif outcome == RowOutcome.WAIT:
            waits += 1
            pause = 1.0 * waits
        else:
            return outcome
        if wait(min(30.0, pause)):
            return outcome  # shutting down: the row stays open and is redone on resume
