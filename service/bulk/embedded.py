"""The embedded runner: a thread pool inside the service; unfinished jobs resume on start."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from service.bulk.work import BulkContext, assemble, run_row_with_retries

log = logging.getLogger("service.bulk")
BACKEND = "embedded"


class EmbeddedRunner:
    """Runs rows on `workers` threads with the app's DocumentService and converter pool."""

    backend = BACKEND

    def __init__(self, ctx: BulkContext, workers: int, attempts: int = 3) -> None:
        self.ctx = ctx
        self.attempts = attempts
        self._stopping = threading.Event()
        self._executor = ThreadPoolExecutor(max(1, workers), thread_name_prefix="bulk")
        self._lock = threading.Lock()
        self._futures: set[Future[None]] = set()

    def submit(self, job_id: str) -> None:
        """Queue the job's open rows (pending, or running when a previous run died)."""
        indexes = self.ctx.jobs.open_row_indexes(job_id)
        for index in indexes:
            self._track(self._executor.submit(self._row, job_id, index))
        if not indexes:
            self._track(self._executor.submit(self._finish, job_id))

    def resume(self) -> list[str]:
        """Queue every unfinished job of this backend (after a restart); their ids."""
        job_ids = self.ctx.jobs.unfinished_jobs(self.backend)
        for job_id in job_ids:
            log.info("bulk %s: resuming", job_id)
            self.submit(job_id)
        return job_ids

    def cancel(self, job_id: str) -> None:
        """Nothing to revoke: queued rows see the cancelled state and skip themselves."""

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every queued row is processed (the CLI, the tests); whether they were."""
        with self._lock:
            pending = list(self._futures)
        for future in pending:
            try:
                future.result(timeout)
            except TimeoutError:
                return False
        with self._lock:
            return not self._futures

    def stop(self) -> None:
        """Stop taking rows; rows in flight finish, the rest are resumed next start."""
        self._stopping.set()
        self._executor.shutdown(wait=True, cancel_futures=True)

    def _track(self, future: Future[None]) -> None:
        with self._lock:
            self._futures.add(future)
        future.add_done_callback(self._untrack)

    def _untrack(self, future: Future[None]) -> None:
        with self._lock:
            self._futures.discard(future)

    def _row(self, job_id: str, index: int) -> None:
        if self._stopping.is_set():
            return
        for _ in range(5):
            try:
                run_row_with_retries(self.ctx, job_id, index, self.attempts, self._stopping.wait)
                if self.ctx.jobs.count_open_rows(job_id) == 0:
                    self._finish(job_id)
                return
            except Exception:  # the database failed us (locked, gone): try again shortly
                log.exception("bulk %s row %d: database error, trying again", job_id, index)
                if self._stopping.wait(2.0):
                    return  # the row stays open and is redone on resume

    def _finish(self, job_id: str) -> None:
        try:
            assemble(self.ctx, job_id)
        except Exception:
            log.exception("bulk %s: assembling the outputs failed", job_id)
