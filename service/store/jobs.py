"""Bulk jobs and their rows: the durable state every runner (embedded or Celery) shares."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from service.store.base import Base, UTCDateTime, utcnow

# Job states. A job is "running" from creation until its last row is finished, then
# "assembling" while the ZIP, merged PDF and manifest are written, then "done".
RUNNING, ASSEMBLING, DONE, CANCELLED = "running", "assembling", "done", "cancelled"
UNFINISHED_JOBS = (RUNNING, ASSEMBLING)
# Row states; "running" rows found after a crash are redone (outputs are keyed by row).
PENDING, ROW_RUNNING, ROW_DONE, FAILED, SKIPPED = "pending", "running", "done", "failed", "skipped"
OPEN_ROWS = (PENDING, ROW_RUNNING)


class BulkJob(Base):
    """One bulk job: a base document and a table of per-commune overrides."""

    __tablename__ = "bulk_jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    doc_type: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(20), index=True, default=RUNNING)
    backend: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(300), default="")
    base: Mapped[dict[str, Any]] = mapped_column(JSON)
    columns: Mapped[list[str]] = mapped_column(JSON)
    list_separator: Mapped[str] = mapped_column(String(10), default=";")
    total: Mapped[int] = mapped_column(Integer)
    input_key: Mapped[str] = mapped_column(String(64), index=True, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class BulkRow(Base):
    """One row of a job: its overrides, its status and, once done, its files."""

    __tablename__ = "bulk_rows"
    __table_args__ = (UniqueConstraint("job_id", "index"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("bulk_jobs.id", ondelete="CASCADE"))
    index: Mapped[int] = mapped_column(Integer)  # 1-based, the table's data row
    commune: Mapped[str] = mapped_column(String(200))
    cells: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), index=True, default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # How many times the row was marked done: the proof of "every row exactly once".
    completions: Mapped[int] = mapped_column(Integer, default=0)
    claim: Mapped[str | None] = mapped_column(String(32))
    worker: Mapped[str | None] = mapped_column(String(120))
    docx_name: Mapped[str | None] = mapped_column(String(200))
    pdf_name: Mapped[str | None] = mapped_column(String(200))
    docx_sha256: Mapped[str | None] = mapped_column(String(64))
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    pages: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


@dataclass(frozen=True)
class RowOutput:
    """What a finished row produced."""

    docx_name: str
    pdf_name: str
    docx_sha256: str
    pdf_sha256: str
    pages: int


def new_job_id() -> str:
    """A random job id (32 hex digits)."""
    return uuid.uuid4().hex


def create_job(
    session: Session,
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
    job_id: str | None = None,
) -> BulkJob:
    """Store a job and its rows (commune, cell values), all pending."""
    job = BulkJob(
        id=job_id or new_job_id(),
        doc_type=doc_type,
        state=RUNNING,
        backend=backend,
        actor=actor,
        title=title[:300],
        base=base,
        columns=columns,
        list_separator=separator,
        total=len(rows),
        input_key=input_key,
        created_at=utcnow(),
    )
    session.add(job)
    session.flush()
    session.add_all(
        BulkRow(job_id=job.id, index=i, commune=commune[:200], cells=cells, status=PENDING)
        for i, (commune, cells) in enumerate(rows, start=1)
    )
    return job


def get_job(session: Session, job_id: str) -> BulkJob | None:
    """The job with this id, or None."""
    return session.get(BulkJob, job_id)


def get_row(session: Session, job_id: str, index: int) -> BulkRow | None:
    """One row of a job, or None."""
    return session.scalar(select(BulkRow).where(BulkRow.job_id == job_id, BulkRow.index == index))


def list_rows(session: Session, job_id: str, status: str | None = None) -> list[BulkRow]:
    """The rows of a job in table order: all, or only those in one status."""
    statement = select(BulkRow).where(BulkRow.job_id == job_id)
    if status is not None:
        # The progress page polls the failures every second: the database filters them.
        statement = statement.where(BulkRow.status == status)
    return list(session.scalars(statement.order_by(BulkRow.index)))


def open_row_indexes(session: Session, job_id: str) -> list[int]:
    """Rows still to do: pending, or running when their runner died (they are redone)."""
    statement = select(BulkRow.index).where(
        BulkRow.job_id == job_id, BulkRow.status.in_(OPEN_ROWS)
    )
    return list(session.scalars(statement.order_by(BulkRow.index)))


def count_open_rows(session: Session, job_id: str) -> int:
    """How many rows are still pending or running (counted by the database)."""
    statement = select(func.count()).where(
        BulkRow.job_id == job_id, BulkRow.status.in_(OPEN_ROWS)
    )
    return int(session.scalar(statement) or 0)


def unfinished_jobs(session: Session, backend: str) -> list[str]:
    """Ids of the backend's jobs that are not done or cancelled, oldest first."""
    statement = select(BulkJob.id).where(
        BulkJob.state.in_(UNFINISHED_JOBS), BulkJob.backend == backend
    )
    return list(session.scalars(statement.order_by(BulkJob.created_at)))


def status_counts(session: Session, job_id: str) -> dict[str, int]:
    """How many rows are in each status."""
    statement = (
        select(BulkRow.status, func.count())
        .where(BulkRow.job_id == job_id)
        .group_by(BulkRow.status)
    )
    return {status: int(count) for status, count in session.execute(statement)}


def claim_row(session: Session, job_id: str, index: int, worker: str) -> str | None:
    """Mark an open row running under a new claim; None when it is finished or cancelled."""
    token = uuid.uuid4().hex
    result = session.execute(
        update(BulkRow)
        .where(BulkRow.job_id == job_id, BulkRow.index == index, BulkRow.status.in_(OPEN_ROWS))
        .values(status=ROW_RUNNING, claim=token, worker=worker[:120],
                attempts=BulkRow.attempts + 1)
    )
    return token if result.rowcount else None  # type: ignore[attr-defined]


def complete_row(session: Session, job_id: str, index: int, output: RowOutput) -> bool:
    """Mark a row done with its files, unless it is done already; say whether it changed."""
    result = session.execute(
        update(BulkRow)
        .where(BulkRow.job_id == job_id, BulkRow.index == index, BulkRow.status.in_(OPEN_ROWS))
        .values(
            status=ROW_DONE,
            completions=BulkRow.completions + 1,
            docx_name=output.docx_name,
            pdf_name=output.pdf_name,
            docx_sha256=output.docx_sha256,
            pdf_sha256=output.pdf_sha256,
            pages=output.pages,
            error=None,
            finished_at=utcnow(),
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def fail_row(session: Session, job_id: str, index: int, error: str) -> bool:
    """Mark an open row failed with its error; say whether it changed."""
    result = session.execute(
        update(BulkRow)
        .where(BulkRow.job_id == job_id, BulkRow.index == index, BulkRow.status.in_(OPEN_ROWS))
        .values(status=FAILED, error=error[:4000], finished_at=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def cancel_job(session: Session, job_id: str) -> bool:
    """Cancel a running job: its open rows are skipped; False when it had already finished."""
    job = session.get(BulkJob, job_id)
    if job is None or job.state not in UNFINISHED_JOBS:
        return False
    job.state = CANCELLED
    job.finished_at = utcnow()
    session.execute(
        update(BulkRow)
        .where(BulkRow.job_id == job_id, BulkRow.status == PENDING)
        .values(status=SKIPPED, error="Đã hủy trước khi xử lý.")
    )
    return True


def mark_started(session: Session, job_id: str) -> None:
    """Record when the first row started (for the ETA)."""
    session.execute(
        update(BulkJob)
        .where(BulkJob.id == job_id, BulkJob.started_at.is_(None))
        .values(started_at=utcnow())
    )


def begin_assembly(session: Session, job_id: str) -> bool:
    """Move a job whose rows are all finished to "assembling"; False if it is not ready."""
    job = session.get(BulkJob, job_id)
    if job is None or job.state not in UNFINISHED_JOBS:
        return False
    if open_row_indexes(session, job_id):
        return False
    job.state = ASSEMBLING
    return True


def finish_job(session: Session, job_id: str) -> None:
    """Mark an assembled job done."""
    session.execute(
        update(BulkJob)
        .where(BulkJob.id == job_id, BulkJob.state == ASSEMBLING)
        .values(state=DONE, finished_at=utcnow())
    )


def recent_jobs(session: Session, limit: int = 20) -> list[BulkJob]:
    """The newest jobs first."""
    return list(session.scalars(select(BulkJob).order_by(BulkJob.created_at.desc()).limit(limit)))
