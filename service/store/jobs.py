"""Bulk jobs and their rows: the durable state every runner (embedded or Celery) shares."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ColumnElement,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    false,
    func,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from service.bulk.outputs import ManifestRow
from service.bulk.ports import (
    OPEN_ROWS,
    UNFINISHED_JOBS,
    ClaimedRow,
    FailedRow,
    JobState,
    JobView,
    RowOutput,
    RowState,
)
from service.core.clock import utcnow
from service.store.base import Base, UTCDateTime
from service.store.database import Database

# The columns hold plain strings: bind the values, not enum members the driver must adapt.
_UNFINISHED = [state.value for state in UNFINISHED_JOBS]
_OPEN = [state.value for state in OPEN_ROWS]


class BulkJob(Base):
    """One bulk job: a base document and a table of per-commune overrides."""

    __tablename__ = "bulk_jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    doc_type: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(20), index=True, default=JobState.RUNNING.value)
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
    unit_slug: Mapped[str | None] = mapped_column(String(80), index=True)
    duplex: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class BulkRow(Base):
    """One row of a job: its overrides, its status and, once done, its files."""

    __tablename__ = "bulk_rows"
    __table_args__ = (UniqueConstraint("job_id", "index"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("bulk_jobs.id", ondelete="CASCADE"))
    index: Mapped[int] = mapped_column(Integer)  # 1-based, the table's data row
    commune: Mapped[str] = mapped_column(String(200))
    cells: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), index=True, default=RowState.PENDING.value)
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




class SqlJobStore:
    """The JobStore on the service's database (SQLite or PostgreSQL)."""

    def __init__(self, database: Database) -> None:
        self.database = database

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
        job_id = uuid.uuid4().hex
        with self.database.session() as session:
            session.add(BulkJob(
                id=job_id,
                doc_type=doc_type,
                state=JobState.RUNNING.value,
                backend=backend,
                actor=actor,
                title=title[:300],
                base=base,
                columns=columns,
                list_separator=separator,
                total=len(rows),
                input_key=input_key,
                created_at=utcnow(),
                unit_slug=unit,
                duplex=duplex,
            ))
            session.flush()  # the rows' foreign key needs the job first
            session.add_all(
                BulkRow(job_id=job_id, index=i, commune=commune[:200], cells=cells,
                        status=RowState.PENDING.value)
                for i, (commune, cells) in enumerate(rows, start=1)
            )
        return job_id

    def find_same_job(self, input_key: str) -> str | None:
        """The newest job made from the same inputs, if any."""
        statement = (
            select(BulkJob.id)
            .where(BulkJob.input_key == input_key)
            .order_by(BulkJob.created_at.desc())
        )
        with self.database.session() as session:
            return session.scalars(statement).first()

    def get_job(self, job_id: str) -> JobView | None:
        """The job, or None."""
        with self.database.session() as session:
            job = session.get(BulkJob, job_id)
            return _job_view(job) if job is not None else None

    def recent_jobs(self, limit: int = 20, units: frozenset[str] | None = None) -> list[JobView]:
        """The newest jobs first (only those of `units` when given)."""
        statement = select(BulkJob).order_by(BulkJob.created_at.desc()).limit(limit)
        if units is not None:
            statement = statement.where(BulkJob.unit_slug.in_(sorted(units)))
        with self.database.session() as session:
            return [_job_view(job) for job in session.scalars(statement)]

    def status_counts(self, job_id: str) -> dict[RowState, int]:
        """How many rows are in each state (states without rows are left out)."""
        statement = (
            select(BulkRow.status, func.count())
            .where(BulkRow.job_id == job_id)
            .group_by(BulkRow.status)
        )
        with self.database.session() as session:
            return {RowState(status): int(count) for status, count in session.execute(statement)}

    def unfinished_row_counts(self) -> dict[RowState, int]:
        """How many rows of unfinished jobs are in each state (states without rows left out)."""
        statement = (
            select(BulkRow.status, func.count())
            .join(BulkJob, BulkJob.id == BulkRow.job_id)
            .where(BulkJob.state.in_(_UNFINISHED))
            .group_by(BulkRow.status)
        )
        with self.database.session() as session:
            return {RowState(status): int(count) for status, count in session.execute(statement)}

    def failed_rows(self, job_id: str) -> list[FailedRow]:
        """The failed rows in table order."""
        with self.database.session() as session:
            return [FailedRow(r.index, r.commune, r.error)
                    for r in _rows(session, job_id, RowState.FAILED)]

    def manifest(self, job_id: str) -> list[ManifestRow]:
        """Every row in table order as a manifest line (state, error, files)."""
        with self.database.session() as session:
            return [_manifest_row(row) for row in _rows(session, job_id)]

    def rows(self, job_id: str) -> list[BulkRow]:
        """The job's rows as stored, attempts and completions included (checks, audits)."""
        with self.database.session() as session:
            return _rows(session, job_id)

    def open_row_indexes(self, job_id: str) -> list[int]:
        """Rows still to do in table order: pending, or running when their runner died."""
        statement = select(BulkRow.index).where(_open_rows(job_id)).order_by(BulkRow.index)
        with self.database.session() as session:
            return list(session.scalars(statement))

    def count_open_rows(self, job_id: str) -> int:
        """How many rows are still pending or running (counted by the database)."""
        with self.database.session() as session:
            return _count_open_rows(session, job_id)

    def unfinished_jobs(self, backend: str) -> list[str]:
        """Ids of the backend's jobs that are neither done nor cancelled, oldest first."""
        statement = (
            select(BulkJob.id)
            .where(BulkJob.state.in_(_UNFINISHED), BulkJob.backend == backend)
            .order_by(BulkJob.created_at)
        )
        with self.database.session() as session:
            return list(session.scalars(statement))

    def claim_row(self, job_id: str, index: int, worker: str) -> ClaimedRow | None:
        """Mark an open row of an unfinished job running; None when it must not run."""
        return self.claim_rows(job_id, [index], worker).get(index)

    def claim_rows(self, job_id: str, indexes: list[int], worker: str) -> dict[int, ClaimedRow]:
        """Mark the open ones of the rows running, in one transaction; those claimed, by index.

        A row finished already (a redelivered task) or of a job no longer running is left out.
        """
        # Read-then-write: take SQLite's write lock first, or a concurrent commit would make
        # the upgrade from reader to writer fail at once ("database is locked").
        with self.database.session(immediate=True) as session:
            job = session.get(BulkJob, job_id)
            if job is None or job.state not in _UNFINISHED:
                return {}  # cancelled, or a task for a job that is gone
            claim = uuid.uuid4().hex
            session.execute(
                update(BulkRow)
                .where(_open_rows(job_id), BulkRow.index.in_(indexes))
                .values(status=RowState.RUNNING.value, claim=claim, worker=worker[:120],
                        attempts=BulkRow.attempts + 1)
            )
            claimed = list(session.scalars(select(BulkRow).where(
                BulkRow.job_id == job_id, BulkRow.index.in_(indexes), BulkRow.claim == claim)))
            if not claimed:
                return {}  # finished already: a redelivered task
            # The first row's start is the job's, for the ETA.
            session.execute(
                update(BulkJob)
                .where(BulkJob.id == job_id, BulkJob.started_at.is_(None))
                .values(started_at=utcnow())
            )
            return {row.index: ClaimedRow(job.doc_type, job.base, job.list_separator, job.actor,
                                          dict(row.cells), row.commune, job.unit_slug)
                    for row in claimed}

    def complete_row(self, job_id: str, index: int, output: RowOutput) -> bool:
        """Mark an open row done with its files; whether it changed (done only once)."""
        return index in self.complete_rows(job_id, {index: output})

    def complete_rows(self, job_id: str, outputs: dict[int, RowOutput]) -> set[int]:
        """Mark open rows done with their files, in one transaction; the rows that changed."""
        changed: set[int] = set()
        with self.database.session() as session:
            for index, output in outputs.items():
                if self._finish(session, job_id, index, status=RowState.DONE.value,
                                completions=BulkRow.completions + 1,
                                docx_name=output.docx_name, pdf_name=output.pdf_name,
                                docx_sha256=output.docx_sha256, pdf_sha256=output.pdf_sha256,
                                pages=output.pages, error=None):
                    changed.add(index)
        return changed

    def fail_row(self, job_id: str, index: int, error: str) -> bool:
        """Mark an open row failed with its error; whether it changed."""
        with self.database.session() as session:
            return self._finish(session, job_id, index, status=RowState.FAILED.value,
                                error=error[:4000])

    @staticmethod
    def _finish(session: Session, job_id: str, index: int, **values: Any) -> bool:
        """Set a still open row's final values in the session; whether it was open."""
        statement = (
            update(BulkRow)
            .where(_open_rows(job_id), BulkRow.index == index)
            .values(finished_at=utcnow(), **values)
        )
        return bool(session.execute(statement).rowcount)  # type: ignore[attr-defined]

    def row_file(self, job_id: str, index: int, kind: str) -> str | None:
        """The stored name of a done row's "docx" or "pdf"; None before the row is done."""
        column = {"docx": BulkRow.docx_name, "pdf": BulkRow.pdf_name}[kind]
        statement = select(column).where(
            BulkRow.job_id == job_id, BulkRow.index == index,
            BulkRow.status == RowState.DONE.value,
        )
        with self.database.session() as session:
            return session.scalar(statement)

    def cancel_job(self, job_id: str) -> bool:
        """Cancel an unfinished job and skip its pending rows; False when it had finished."""
        with self.database.session(immediate=True) as session:
            job = session.get(BulkJob, job_id)
            if job is None or job.state not in _UNFINISHED:
                return False
            job.state = JobState.CANCELLED.value
            job.finished_at = utcnow()
            session.execute(
                update(BulkRow)
                .where(BulkRow.job_id == job_id, BulkRow.status == RowState.PENDING.value)
                .values(status=RowState.SKIPPED.value, error="Đã hủy trước khi xử lý.")
            )
            return True

    def begin_assembly(self, job_id: str, force: bool = False) -> list[ManifestRow] | None:
        """Move a job whose rows are all finished to assembling; its manifest, or None if not.

        `force` takes the manifest as it is and leaves the state alone (a cancelled job).
        """
        with self.database.session(immediate=True) as session:
            if not force:
                job = session.get(BulkJob, job_id)
                if job is None or job.state not in _UNFINISHED:
                    return None
                if _count_open_rows(session, job_id):
                    return None
                job.state = JobState.ASSEMBLING.value
            return [_manifest_row(row) for row in _rows(session, job_id)]

    def finish_job(self, job_id: str) -> None:
        """Mark an assembling job done."""
        with self.database.session() as session:
            session.execute(
                update(BulkJob)
                .where(BulkJob.id == job_id, BulkJob.state == JobState.ASSEMBLING.value)
                .values(state=JobState.DONE.value, finished_at=utcnow())
            )


def _open_rows(job_id: str) -> ColumnElement[bool]:
    """The job's rows still to do: pending, or running when their runner died."""
    return and_(BulkRow.job_id == job_id, BulkRow.status.in_(_OPEN))


def _count_open_rows(session: Session, job_id: str) -> int:
    """How many of the job's rows are still to do."""
    return int(session.scalar(select(func.count()).where(_open_rows(job_id))) or 0)


def _rows(session: Session, job_id: str, status: RowState | None = None) -> list[BulkRow]:
    """The rows of a job in table order: all, or only those in one state."""
    statement = select(BulkRow).where(BulkRow.job_id == job_id)
    if status is not None:
        # The progress page polls the failures every second: the database filters them.
        statement = statement.where(BulkRow.status == status.value)
    return list(session.scalars(statement.order_by(BulkRow.index)))


def _job_view(job: BulkJob) -> JobView:
    """A stored job as the use case reads it."""
    return JobView(
        id=job.id,
        state=JobState(job.state),
        backend=job.backend,
        doc_type=job.doc_type,
        title=job.title,
        total=job.total,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        unit=job.unit_slug,
        duplex=job.duplex,
        actor=job.actor,
    )


def _manifest_row(row: BulkRow) -> ManifestRow:
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
