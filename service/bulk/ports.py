"""What bulk work exchanges with its storage: the states, the records, and the JobStore port."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from service.bulk.outputs import ManifestRow


class JobState(StrEnum):
    """A job runs until its last row is finished, assembles its ZIP and merged PDF, then is done."""

    RUNNING = "running"
    ASSEMBLING = "assembling"
    DONE = "done"
    CANCELLED = "cancelled"


class RowState(StrEnum):
    """Where a row is; one left "running" by a dead runner is redone (outputs are keyed by row)."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"


class RowOutcome(StrEnum):
    """What processing a row came to; RETRY and WAIT leave it open for another attempt."""

    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"
    RETRY = "retry"  # the conversion failed: counts against the row's attempts
    WAIT = "wait"  # no converter free, or no room on disk: the machine's fault, does not count


# A resumed service picks these jobs up again, and runs these rows.
UNFINISHED_JOBS = (JobState.RUNNING, JobState.ASSEMBLING)
OPEN_ROWS = (RowState.PENDING, RowState.RUNNING)


@dataclass(frozen=True)
class RowOutput:
    """What a finished row produced."""

    docx_name: str
    pdf_name: str
    docx_sha256: str
    pdf_sha256: str
    pages: int


@dataclass(frozen=True)
class ClaimedRow:
    """A row claimed for rendering, with what it needs from its job."""

    doc_type: str
    base: dict[str, Any]
    separator: str
    actor: str
    cells: dict[str, Any]
    commune: str
    unit: str | None = None


@dataclass(frozen=True)
class JobView:
    """A job as its progress and the list of recent jobs show it."""

    id: str
    state: JobState
    backend: str
    doc_type: str
    title: str
    total: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    unit: str | None = None
    duplex: bool = False  # the merged PDF starts each row's document on an odd page
    actor: str = ""  # who started it


@dataclass(frozen=True)
class FailedRow:
    """A failed row and why."""

    index: int
    commune: str
    error: str | None


class JobStore(Protocol):
    """Durable job and row state; each method is one transaction, safe across processes."""

    def create_job(
        self,
        *,
        doc_type: str,
        base: dict[str, Any],
        columns: list[str],
        rows: list[tuple[str, dict[str, Any]]],
        backend: str,
        actor: str,
        separator: str,
        title: str = "",
        input_key: str = "",
        unit: str | None = None,
        duplex: bool = False,
    ) -> str:
        """Store a running job and its rows (commune, cells), all pending; its id."""

    def find_same_job(self, input_key: str) -> str | None:
        """The newest job made from the same inputs, if any."""

    def get_job(self, job_id: str) -> JobView | None:
        """The job, or None."""

    def recent_jobs(self, limit: int = 20, units: frozenset[str] | None = None) -> list[JobView]:
        """The newest jobs first (only those of `units` when given)."""

    def status_counts(self, job_id: str) -> dict[RowState, int]:
        """How many rows are in each state (states without rows are left out)."""

    def failed_rows(self, job_id: str) -> list[FailedRow]:
        """The failed rows in table order."""

    def manifest(self, job_id: str) -> list[ManifestRow]:
        """Every row in table order as a manifest line (state, error, files)."""

    def unfinished_row_counts(self) -> dict[RowState, int]:
        """How many rows of unfinished jobs are in each state (states without rows left out)."""

    def open_row_indexes(self, job_id: str) -> list[int]:
        """Rows still to do in table order: pending, or running when their runner died."""

    def count_open_rows(self, job_id: str) -> int:
        """How many rows are still pending or running."""

    def unfinished_jobs(self, backend: str) -> list[str]:
        """Ids of the backend's jobs that are neither done nor cancelled, oldest first."""

    def claim_row(self, job_id: str, index: int, worker: str) -> ClaimedRow | None:
        """Mark an open row of an unfinished job running; None when it must not run."""

    def claim_rows(self, job_id: str, indexes: list[int], worker: str) -> dict[int, ClaimedRow]:
        """Mark the open ones of the rows running, in one transaction; those claimed, by index."""

    def complete_row(self, job_id: str, index: int, output: RowOutput) -> bool:
        """Mark an open row done with its files; whether it changed (done only once)."""

    def complete_rows(self, job_id: str, outputs: dict[int, RowOutput]) -> set[int]:
        """Mark open rows done with their files, in one transaction; the rows that changed."""

    def fail_row(self, job_id: str, index: int, error: str) -> bool:
        """Mark an open row failed with its error; whether it changed."""

    def row_file(self, job_id: str, index: int, kind: str) -> str | None:
        """The stored name of a done row's "docx" or "pdf"; None before the row is done."""

    def cancel_job(self, job_id: str) -> bool:
        """Cancel an unfinished job and skip its pending rows; False when it had finished."""

    def begin_assembly(self, job_id: str, force: bool = False) -> list[ManifestRow] | None:
        """Move a job whose rows are all finished to assembling; its manifest, or None if not.

        `force` takes the manifest as it is and leaves the state alone (a cancelled job).
        """

    def finish_job(self, job_id: str) -> None:
        """Mark an assembling job done."""
