"""Bulk jobs as the web, the CLI and the tests use them: check, create, follow, cancel, collect."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from service.bulk import work
from service.bulk.check import Report, check_table
from service.bulk.outputs import MANIFEST_CSV, MANIFEST_JSON, MERGED, ZIP
from service.bulk.overrides import DEFAULT_SEPARATOR, commune_of
from service.bulk.table import Table
from service.core import markup
from service.store import jobs as store
from service.store.base import iso

OUTPUTS = {"zip": ZIP, "merged.pdf": MERGED, "manifest.csv": MANIFEST_CSV,
           "manifest.json": MANIFEST_JSON}


class Runner(Protocol):
    """Where rows run: the embedded thread pool or Celery workers."""

    backend: str

    def submit(self, job_id: str) -> None:
        """Start (or resume) the job's open rows."""

    def cancel(self, job_id: str) -> None:
        """Stop what can be stopped of a cancelled job."""


class TableRejected(ValueError):
    """The table cannot run as it is; `report` says why, row by row."""

    def __init__(self, report: Report) -> None:
        super().__init__("the table has problems")
        self.report = report


class TooManyRows(ValueError):
    """The table has more rows than bulk_max_rows."""


class OutputNotReady(LookupError):
    """The job's combined outputs are not written yet."""


class BulkJobs:
    """The bulk feature's entry point over a context (database, documents, folders) and a runner."""

    def __init__(self, ctx: work.BulkContext, runner: Runner, max_rows: int = 5000) -> None:
        self.ctx = ctx
        self.runner = runner
        self.max_rows = max_rows

    def check(
        self, base: dict[str, Any], table: Table, separator: str = DEFAULT_SEPARATOR
    ) -> tuple[str, Report]:
        """The base's type and the table's report."""
        type_id = str(base.get("doc_type") or "")
        if type_id not in self.ctx.documents.catalog.types:
            known = ", ".join(self.ctx.documents.catalog.types)
            message = f"Không có loại văn bản {type_id!r}; chọn một trong: {known}."
            return type_id, Report(rows=len(table.rows), base_errors={"doc_type": [message]})
        if len(table.rows) > self.max_rows:
            raise TooManyRows(f"Bảng có {len(table.rows)} dòng; tối đa {self.max_rows} dòng.")
        return type_id, check_table(self.ctx.documents, type_id, base, table, separator)

    def create(
        self,
        base: dict[str, Any],
        table: Table,
        *,
        actor: str,
        allow_invalid: bool = False,
        separator: str = DEFAULT_SEPARATOR,
        resume_same: bool = False,
    ) -> str:
        """Check, store and start a job; TableRejected when the table is not fit to run.

        With `allow_invalid`, rows with bad values run anyway and fail alone (in the manifest);
        unknown columns and a bad base always stop the job. With `resume_same`, an unfinished
        job from the very same inputs is resumed instead of starting a new one (the CLI).
        """
        type_id, report = self.check(base, table, separator)
        if report.blocking or (not report.ok and not allow_invalid):
            raise TableRejected(report)
        key = input_key(base, table, separator)
        with self.ctx.database.session() as session:
            existing = _same_job(session, key) if resume_same else None
            if existing is None:
                rows = [(commune_of(cells, i), _jsonable(cells))
                        for i, cells in enumerate(table.rows, start=1)]
                job = store.create_job(
                    session,
                    doc_type=type_id,
                    base=base,
                    columns=list(table.columns),
                    rows=rows,
                    backend=self.runner.backend,
                    actor=actor,
                    separator=separator,
                    title=markup.plain(str(base.get("subject") or "")),
                    input_key=key,
                )
                job_id = job.id
            else:
                job_id = existing
        self.runner.submit(job_id)
        return job_id

    def progress(self, job_id: str) -> dict[str, Any] | None:
        """State, counts by status, ETA and the combined outputs' readiness; None if unknown."""
        with self.ctx.database.session() as session:
            job = store.get_job(session, job_id)
            if job is None:
                return None
            counts = store.status_counts(session, job_id)
            summary: dict[str, Any] = {
                "id": job.id,
                "state": job.state,
                "backend": job.backend,
                "doc_type": job.doc_type,
                "title": job.title,
                "total": job.total,
                "done": counts.get(store.ROW_DONE, 0),
                "failed": counts.get(store.FAILED, 0),
                "skipped": counts.get(store.SKIPPED, 0),
                "pending": counts.get(store.PENDING, 0),
                "running": counts.get(store.ROW_RUNNING, 0),
                "created_at": iso(job.created_at),
                "started_at": iso(job.started_at),
                "finished_at": iso(job.finished_at),
            }
            started = job.started_at
        finished = summary["done"] + summary["failed"]
        remaining = summary["pending"] + summary["running"]
        summary["eta_seconds"] = eta(started, finished, remaining)
        summary["outputs_ready"] = self.ctx.files(job_id).assembled()
        return summary

    def failures(self, job_id: str) -> list[dict[str, Any]]:
        """The failed rows with their errors."""
        with self.ctx.database.session() as session:
            return [
                {"row": r.index, "commune": r.commune, "error": r.error}
                for r in store.list_rows(session, job_id, store.FAILED)
            ]

    def cancel(self, job_id: str) -> bool:
        """Cancel the job: pending rows are skipped; False when it had already finished."""
        with self.ctx.database.session(immediate=True) as session:
            cancelled = store.cancel_job(session, job_id)
        if cancelled:
            self.runner.cancel(job_id)
        return cancelled

    def output(self, job_id: str, kind: str) -> Path:
        """The path of a combined output (zip, merged.pdf, manifest.csv/json).

        A cancelled job's outputs are assembled on first request from the rows it finished.
        """
        files = self.ctx.files(job_id)
        path = files.path(OUTPUTS[kind])
        if not path.is_file():
            with self.ctx.database.session() as session:
                job = store.get_job(session, job_id)
                state = job.state if job else None
            if state != store.CANCELLED:
                raise OutputNotReady(job_id)
            work.assemble(self.ctx, job_id, force=True)
        return path


def eta(started: datetime | None, finished: int, remaining: int) -> float | None:
    """Seconds left at the average pace so far; None before the first row is finished."""
    if remaining == 0:
        return 0.0
    if started is None or finished == 0:
        return None
    elapsed = (datetime.now(UTC) - started).total_seconds()
    return round(elapsed / finished * remaining, 1)


def input_key(base: dict[str, Any], table: Table, separator: str) -> str:
    """A digest of the inputs, so a re-run of the same files resumes the same job."""
    blob = json.dumps([base, table.columns, [_jsonable(r) for r in table.rows], separator],
                      sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _same_job(session: Any, key: str) -> str | None:
    """The newest job made from these inputs, if any."""
    from sqlalchemy import select

    statement = (
        select(store.BulkJob.id)
        .where(store.BulkJob.input_key == key)
        .order_by(store.BulkJob.created_at.desc())
    )
    return session.scalars(statement).first()


def _jsonable(cells: dict[str, Any]) -> dict[str, Any]:
    """Cells as JSON can store them (XLSX dates become dd/mm/yyyy)."""
    out: dict[str, Any] = {}
    for key, value in cells.items():
        if hasattr(value, "strftime"):
            value = {"day": value.day, "month": value.month, "year": value.year}
        out[key] = value
    return out
