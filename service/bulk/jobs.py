"""Bulk jobs as the web, the CLI and the tests use them: check, create, follow, cancel, collect."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from service.bulk import work
from service.bulk.check import Report, check_table
from service.bulk.inputs import InputStore
from service.bulk.outputs import MANIFEST_CSV, MANIFEST_JSON, MERGED, ZIP, ManifestRow
from service.bulk.overrides import DEFAULT_SEPARATOR, commune_of
from service.bulk.ports import JobState, JobView, RowState
from service.bulk.row_document import row_document
from service.bulk.table import Table, TooManyRows
from service.core import markup
from service.core.clock import iso
from service.core.preview import PreviewStore

OUTPUTS = {"zip": ZIP, "merged.pdf": MERGED, "manifest.csv": MANIFEST_CSV,
           "manifest.json": MANIFEST_JSON}


class Runner(Protocol):
    """Where rows run: the embedded thread pool or Celery workers."""

    backend: str

    def submit(self, job_id: str) -> None:
        """Start (or resume) the job's open rows."""

    def cancel(self, job_id: str) -> None:
        """Stop what can be stopped of a cancelled job."""

    def resume(self) -> list[str]:
        """Start again the unfinished jobs whose rows died with the service; their ids."""

    def stop(self) -> None:
        """Stop taking rows; open rows are left for the next start."""


class TableRejected(ValueError):
    """The table cannot run as it is; `report` says why, row by row."""

    def __init__(self, report: Report) -> None:
        super().__init__("the table has problems")
        self.report = report


class OutputNotReady(LookupError):
    """The job's combined outputs are not written yet."""


class BulkJobs:
    """The bulk feature's entry point: a context (job store, documents, folders) and a runner."""

    def __init__(
        self,
        ctx: work.BulkContext,
        runner: Runner,
        max_rows: int = 5000,
        previews: PreviewStore | None = None,
    ) -> None:
        self.ctx = ctx
        self.runner = runner
        self.max_rows = max_rows  # also passed to read_table, which stops at the next row
        # Beside the job folders (named by job id), so the CLI's output folder has none.
        # A preview's token also names its form's document: the base the bulk page offers.
        self.inputs = InputStore(ctx.jobs_root / ".inputs", previews=previews)

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
        unit: str | None = None,
        allow_invalid: bool = False,
        separator: str = DEFAULT_SEPARATOR,
        resume_same: bool = False,
        duplex: bool = False,
    ) -> str:
        """Check, store and start a job; TableRejected when the table is not fit to run.

        With `allow_invalid`, rows with bad values run anyway and fail alone (in the manifest);
        unknown columns and a bad base always stop the job. With `resume_same`, an unfinished
        job from the very same inputs is resumed instead of starting a new one (the CLI).
        With `duplex`, the merged PDF starts each row's document on an odd page.
        """
        type_id, report = self.check(base, table, separator)
        if report.blocking or (not report.ok and not allow_invalid):
            raise TableRejected(report)
        key = input_key(base, table, separator, duplex)
        job_id = self.ctx.jobs.find_same_job(key) if resume_same else None
        if job_id is None:
            job_id = self.ctx.jobs.create_job(
                doc_type=type_id,
                base=base,
                columns=list(table.columns),
                rows=[(commune_of(cells, i), _jsonable(cells))
                      for i, cells in enumerate(table.rows, start=1)],
                backend=self.runner.backend,
                actor=actor,
                separator=separator,
                title=self._title(type_id, base, table, separator),
                input_key=key,
                unit=unit,
                duplex=duplex,
            )
        # Bad rows, duplicates among them, are failed before any runs: never produced at all.
        for index, reasons in report.bad_rows().items():
            self.ctx.jobs.fail_row(job_id, index, "Dữ liệu chưa hợp lệ: " + "; ".join(reasons))
        self.runner.submit(job_id)
        return job_id

    def _title(self, type_id: str, base: dict[str, Any], table: Table, separator: str) -> str:
        """The subject as the first row fills it (the base's own, `{ten_xa}` and all, if none)."""
        catalog = self.ctx.documents.catalog
        filled = base
        if table.rows:
            filled = row_document(catalog, type_id, base, table.rows[0], separator).document
        return markup.plain(catalog.get(type_id).subject_of(filled))[:300]

    def rows(self, job_id: str) -> list[ManifestRow]:
        """Every row of the job in table order with its state and, once done, its files."""
        return self.ctx.jobs.manifest(job_id)

    def resume(self) -> list[str]:
        """Start again the unfinished jobs whose rows died with the service (at its start)."""
        return self.runner.resume()

    def progress(self, job_id: str) -> dict[str, Any] | None:
        """State, counts by status, ETA and the combined outputs' readiness; None if unknown."""
        job = self.ctx.jobs.get_job(job_id)
        if job is None:
            return None
        counts = self.ctx.jobs.status_counts(job_id)
        summary: dict[str, Any] = {
            "id": job.id,
            "state": job.state,
            "backend": job.backend,
            "doc_type": job.doc_type,
            "title": job.title,
            "total": job.total,
            "duplex": job.duplex,
            # pending, running, done, failed, skipped: a count for every row state
            **{state.value: counts.get(state, 0) for state in RowState},
            "created_at": iso(job.created_at),
            "started_at": iso(job.started_at),
            "finished_at": iso(job.finished_at),
        }
        finished = summary["done"] + summary["failed"]
        remaining = summary["pending"] + summary["running"]
        summary["eta_seconds"] = eta(job.started_at, finished, remaining)
        summary["outputs_ready"] = self.ctx.files(job_id).assembled()
        return summary

    def backlog(self) -> dict[str, int]:
        """Rows of the unfinished jobs by state, every state present (the metrics read it)."""
        counts = self.ctx.jobs.unfinished_row_counts()
        return {state.value: counts.get(state, 0) for state in RowState}

    def failures(self, job_id: str) -> list[dict[str, Any]]:
        """The failed rows with their errors."""
        return [{"row": r.index, "commune": r.commune, "error": r.error}
                for r in self.ctx.jobs.failed_rows(job_id)]

    def cancel(self, job_id: str) -> bool:
        """Cancel the job: pending rows are skipped; False when it had already finished."""
        cancelled = self.ctx.jobs.cancel_job(job_id)
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
            job = self.ctx.jobs.get_job(job_id)
            if job is None or job.state != JobState.CANCELLED:
                raise OutputNotReady(job_id)
            work.assemble(self.ctx, job_id, force=True)
        return path

    def row_file(self, job_id: str, index: int, kind: str) -> Path | None:
        """The path of a done row's "docx" or "pdf"; None before the row is done."""
        name = self.ctx.jobs.row_file(job_id, index, kind)
        return self.ctx.files(job_id).path(name) if name else None

    def recent(self, limit: int = 20, units: frozenset[str] | None = None) -> list[JobView]:
        """The newest jobs first (only those of `units`, the reader's scope, when given)."""
        return self.ctx.jobs.recent_jobs(limit, units)

    def visible(self, job_id: str, units: frozenset[str] | None) -> bool:
        """Whether the job exists and belongs to one of `units` (None: every unit)."""
        job = self.ctx.jobs.get_job(job_id)
        return job is not None and (units is None or job.unit in units)


def eta(started: datetime | None, finished: int, remaining: int) -> float | None:
    """Seconds left at the average pace so far; None before the first row is finished."""
    if remaining == 0:
        return 0.0
    if started is None or finished == 0:
        return None
    elapsed = (datetime.now(UTC) - started).total_seconds()
    return round(elapsed / finished * remaining, 1)


def input_key(base: dict[str, Any], table: Table, separator: str, duplex: bool = False) -> str:
    """A digest of the inputs, so a re-run of the same files resumes the same job."""
    inputs: list[Any] = [base, table.columns, [_jsonable(r) for r in table.rows], separator]
    if duplex:  # only then: the one-sided jobs made before the option keep their keys
        inputs.append({"duplex": True})
    blob = json.dumps(inputs, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _jsonable(cells: dict[str, Any]) -> dict[str, Any]:
    """Cells as JSON can store them (XLSX dates become dd/mm/yyyy)."""
    out: dict[str, Any] = {}
    for key, value in cells.items():
        if hasattr(value, "strftime"):
            value = {"day": value.day, "month": value.month, "year": value.year}
        out[key] = value
    return out
