"""The embedded runner: worker threads inside the service; unfinished jobs resume on start.

Rows are taken from the jobs in turn, one batch of each job with work left, so a job of 5,000
rows started first cannot hold a later job of ten: both advance, batch by batch. A job's
first row goes alone; its page count then sizes the job's batches (service.bulk.batches). A
cancelled job's queued rows leave the queue at once instead of being skipped one claim at a
time.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict, deque
from collections.abc import Callable

from service.bulk.batches import learned_batch_rows, process_batch
from service.bulk.ports import RowOutcome
from service.bulk.work import BulkContext, assemble, run_row_with_retries

log = logging.getLogger("service.bulk")
BACKEND = "embedded"
ASSEMBLE = 0  # a queued "row" 0: write the job's outputs (rows are numbered from 1)


class EmbeddedRunner:
    """Runs rows on `workers` threads with the app's DocumentService and converter pool."""

    backend = BACKEND

    def __init__(
        self, ctx: BulkContext, workers: int, attempts: int = 3, *, batch_pages: int = 0
    ) -> None:
        self.ctx = ctx
        self.attempts = attempts
        self.batch_pages = batch_pages  # 0: every row converted alone
        self._batch_rows: dict[str, int] = {}  # job → rows a batch takes, once a row is done
        self._stopping = threading.Event()
        self._changed = threading.Condition()
        self._queues: OrderedDict[str, deque[int]] = OrderedDict()  # job → its rows, in turn
        self._busy = 0
        self._threads = [
            threading.Thread(target=self._work, name=f"bulk-{n}", daemon=True)
            for n in range(max(1, workers))
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, job_id: str) -> None:
        """Queue the job's open rows (pending, or running when a previous run died)."""
        indexes = self.ctx.jobs.open_row_indexes(job_id) or [ASSEMBLE]
        with self._changed:
            self._queues.setdefault(job_id, deque()).extend(indexes)
            self._changed.notify_all()

    def resume(self) -> list[str]:
        """Queue every unfinished job of this backend (after a restart); their ids."""
        job_ids = self.ctx.jobs.unfinished_jobs(self.backend)
        for job_id in job_ids:
            log.info("bulk %s: resuming", job_id)
            self.submit(job_id)
        return job_ids

    def cancel(self, job_id: str) -> None:
        """Drop the job's queued rows (rows in flight finish; the store skips the rest)."""
        with self._changed:
            self._queues.pop(job_id, None)
            self._changed.notify_all()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every queued row is processed (the CLI, the tests); whether they were."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._queues and not self._busy, timeout)

    def stop(self) -> None:
        """Stop taking rows; rows in flight finish, the rest are resumed next start."""
        self._stopping.set()
        with self._changed:
            self._changed.notify_all()
        for thread in self._threads:
            thread.join()

    def _next(self) -> tuple[str, list[int]] | None:
        """The next batch in turn: the first job's first rows, that job then goes last."""
        with self._changed:
            self._changed.wait_for(lambda: self._queues or self._stopping.is_set())
            if self._stopping.is_set():
                return None
            job_id, rows = next(iter(self._queues.items()))
            size = self._batch_rows.get(job_id, 1)
            indexes = [rows.popleft()]
            while rows and len(indexes) < size and rows[0] != ASSEMBLE:
                indexes.append(rows.popleft())
            if rows:
                self._queues.move_to_end(job_id)
            else:
                del self._queues[job_id]
            self._busy += 1
            return job_id, indexes

    def _work(self) -> None:
        """One worker thread: batches in turn until the runner stops."""
        while (task := self._next()) is not None:
            job_id, indexes = task
            try:
                self._task(job_id, indexes)
            finally:
                with self._changed:
                    self._busy -= 1
                    self._changed.notify_all()

    def _task(self, job_id: str, indexes: list[int]) -> None:
        """Do the rows (and assemble the job after its last), or only assemble it."""
        rows = [index for index in indexes if index != ASSEMBLE]

        def batch() -> None:
            again = rows
            if len(rows) > 1:
                outcomes = process_batch(self.ctx, job_id, rows)
                again = [i for i, o in outcomes.items() if o in (RowOutcome.RETRY, RowOutcome.WAIT)]
            for index in again:
                run_row_with_retries(self.ctx, job_id, index, self.attempts, self._stopping.wait)
            self._size_batches(job_id)
            if self.ctx.jobs.count_open_rows(job_id) == 0:
                assemble(self.ctx, job_id)

        self._until_done(batch, f"bulk {job_id} rows {rows or 'assembly'}")

    def _size_batches(self, job_id: str) -> None:
        """Once a row of the job is done, its pages size the job's batches."""
        if job_id in self._batch_rows or not self.batch_pages:
            return
        learned = learned_batch_rows(self.ctx, job_id, self.batch_pages)
        if learned is not None:
            with self._changed:
                self._batch_rows[job_id] = learned

    def _until_done(self, step: Callable[[], object], what: str) -> None:
        """Run the step until it succeeds: the database or the disk may be away for a while.

        Rows and jobs are idempotent in the store, so a step cut short is simply run again;
        on shutdown it stays open and is redone on resume.
        """
        pause = 1.0
        while not self._stopping.is_set():
            try:
                step()
                return
            except Exception:
                log.exception("%s failed; trying again in %g s", what, pause)
                if self._stopping.wait(pause):
                    return
                pause = min(30.0, pause * 2)
