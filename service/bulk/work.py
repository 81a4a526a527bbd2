"""Doing one row and assembling a job: the steps both runners (embedded, Celery) share."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from service.bulk.outputs import JobFiles, ManifestRow
from service.bulk.overrides import apply_overrides
from service.core.convert import ConversionError, validate_pdf
from service.core.documents import DocumentInvalid, DocumentService
from service.core.files import sha256
from service.store import jobs as store
from service.store.database import Database

log = logging.getLogger("service.bulk")

# Outcomes of process_row.
DONE, FAILED, SKIPPED, RETRY = "done", "failed", "skipped", "retry"


@dataclass(frozen=True)
class BulkContext:
    """What running rows needs: the database, a DocumentService with a converter, the folders."""

    database: Database
    documents: DocumentService
    jobs_root: Path
    flat: bool = False  # the CLI writes one job straight into its output folder

    def files(self, job_id: str) -> JobFiles:
        """The job's output folder."""
        return JobFiles(self.jobs_root if self.flat else self.jobs_root / job_id)


def worker_name() -> str:
    """host:pid/thread, recorded on the rows a worker claims."""
    return f"{socket.gethostname()}:{os.getpid()}/{threading.current_thread().name}"


def process_row(
    ctx: BulkContext, job_id: str, index: int, *, last_attempt: bool = True
) -> str:
    """Claim, render, convert and record one row; DONE, FAILED, SKIPPED or RETRY.

    RETRY (only when not `last_attempt`) leaves the row open after a conversion failure so
    the caller can try again later; a bad value or the last failed attempt fails the row.
    """
    # Read-then-write: take SQLite's write lock first, or a concurrent commit would make the
    # upgrade from reader to writer fail at once ("database is locked").
    with ctx.database.session(immediate=True) as session:
        job = store.get_job(session, job_id)
        if job is None or job.state not in store.UNFINISHED_JOBS:
            return SKIPPED
        if store.claim_row(session, job_id, index, worker_name()) is None:
            return SKIPPED  # finished already (a redelivered task) or cancelled
        store.mark_started(session, job_id)
        row = store.get_row(session, job_id, index)
        assert row is not None
        doc_type, base, separator, actor = job.doc_type, job.base, job.list_separator, job.actor
        cells, commune = dict(row.cells), row.commune
    try:
        service = ctx.documents
        payload, errors = apply_overrides(service.catalog, doc_type, base, cells, separator)
        if errors:
            raise DocumentInvalid(errors)
        rendered = service.render(doc_type, payload, actor=actor)
        pdf = service.to_pdf(rendered)
        pages = validate_pdf(pdf)
        docx_name, pdf_name = ctx.files(job_id).write_row(index, commune, rendered.docx, pdf)
        output = store.RowOutput(docx_name, pdf_name, sha256(rendered.docx), sha256(pdf), pages)
    except DocumentInvalid as exc:
        return _fail(ctx, job_id, index, "Dữ liệu chưa hợp lệ: " + _paths(exc.errors))
    except ConversionError as exc:
        if not last_attempt:
            log.warning("bulk %s row %d: conversion failed, will retry: %s", job_id, index, exc)
            return RETRY
        return _fail(ctx, job_id, index, f"Không chuyển được sang PDF: {exc}")
    except Exception as exc:  # one bad row never stops the others
        log.exception("bulk %s row %d failed", job_id, index)
        return _fail(ctx, job_id, index, f"Lỗi khi tạo văn bản: {type(exc).__name__}: {exc}")
    with ctx.database.session() as session:
        store.complete_row(session, job_id, index, output)
    return DONE


def _fail(ctx: BulkContext, job_id: str, index: int, error: str) -> str:
    """Record a row's failure."""
    with ctx.database.session() as session:
        store.fail_row(session, job_id, index, error)
    return FAILED


def _paths(errors: dict[str, list[str]]) -> str:
    """`date.day: Phải từ 1 đến 31.; …`."""
    return "; ".join(f"{path}: {' '.join(messages)}" for path, messages in errors.items())


def rows_left(ctx: BulkContext, job_id: str) -> int:
    """How many rows are still pending or running."""
    with ctx.database.session() as session:
        return store.count_open_rows(session, job_id)


def assemble(ctx: BulkContext, job_id: str, *, force: bool = False) -> bool:
    """Write the ZIP, merged PDF and manifest once every row is finished; mark the job done.

    Idempotent: a second call (a redelivered task, a resumed service) rewrites the same files.
    `force` assembles whatever is finished (a cancelled job's downloads).
    """
    with ctx.database.session(immediate=True) as session:
        if not force and not store.begin_assembly(session, job_id):
            return False
        rows = [manifest_row(r) for r in store.list_rows(session, job_id)]
    ctx.files(job_id).assemble(rows)
    if not force:
        with ctx.database.session() as session:
            store.finish_job(session, job_id)
    log.info("bulk %s assembled: %d rows", job_id, len(rows))
    return True


def manifest_row(row: store.BulkRow) -> ManifestRow:
    """A stored row as a manifest line."""
    return ManifestRow(
        row=row.index,
        commune=row.commune,
        status=row.status,
        error=row.error,
        docx=row.docx_name,
        pdf=row.pdf_name,
        docx_sha256=row.docx_sha256,
        pdf_sha256=row.pdf_sha256,
        pages=row.pages,
        attempts=row.attempts,
    )


def run_row_with_retries(
    ctx: BulkContext,
    job_id: str,
    index: int,
    attempts: int,
    wait: Callable[[float], bool],
) -> str:
    """Process a row in this process, retrying a failed conversion with a growing pause."""
    for attempt in range(1, max(1, attempts) + 1):
        outcome = process_row(ctx, job_id, index, last_attempt=attempt >= attempts)
        if outcome != RETRY:
            return outcome
        if wait(min(30.0, 2.0 * attempt)):
            break  # shutting down: the row stays open and is redone on resume
    return RETRY
