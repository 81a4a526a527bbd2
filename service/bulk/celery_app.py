"""The Celery backend: one task per row on Redis, acks-late, Celery's retries; the dispatcher.

Start a worker (each worker runs its own unoserver pool, VB_POOL_SIZE instances):

    VB_BROKER_URL=redis://host:6379/0 VB_DATABASE_URL=... VB_DATA_DIR=/shared/var \\
    .venv/bin/celery -A service.bulk.celery_app worker --pool threads --concurrency 2
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from celery import Celery, Task, signals

from service.bulk.work import (
    RETRY,
    BulkContext,
    assemble,
    process_row,
    rows_left,
)
from service.settings import Settings
from service.store import jobs as store

log = logging.getLogger("service.bulk")
BACKEND = "celery"
ROW_TASK, FINISH_TASK = "vanban.bulk.row", "vanban.bulk.finish"
QUEUE = "vanban-bulk"


def make_celery(settings: Settings) -> Celery:
    """A Celery app on the configured Redis (broker and result backend), acks-late throughout."""
    app = Celery("vanban_bulk", broker=settings.broker_url, backend=settings.broker_url)
    visibility = settings.bulk_visibility_timeout
    transport = {
        # A task taken by a worker that died is given to another after this many seconds.
        "visibility_timeout": visibility,
        "unacked_restore_interval": max(1, min(10, visibility // 4)),
        "unacked_restore_throttle": 1,
    }
    app.conf.update(
        task_acks_late=True,  # a row's message is acknowledged only after the row is recorded
        task_reject_on_worker_lost=True,  # a worker child that dies puts its task back
        worker_prefetch_multiplier=1,  # rows are long: no worker hoards messages
        task_default_queue=QUEUE,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_expires=7 * 24 * 3600,
        broker_transport_options=transport,
        result_backend_transport_options=transport,
        broker_connection_retry_on_startup=True,
    )
    return app


class CeleryRunner:
    """The service side of the Celery backend: sends one task per open row."""

    backend = BACKEND

    def __init__(self, settings: Settings, ctx: BulkContext) -> None:
        self.ctx = ctx
        self.celery = make_celery(settings)

    def submit(self, job_id: str) -> None:
        """Send a task for each open row (or the finishing task when none is left)."""
        with self.ctx.database.session() as session:
            indexes = store.open_row_indexes(session, job_id)
        with self.celery.connection_for_write() as connection:
            for index in indexes:
                self.celery.send_task(ROW_TASK, args=[job_id, index], connection=connection)
            if not indexes:
                self.celery.send_task(FINISH_TASK, args=[job_id], connection=connection)

    def cancel(self, job_id: str) -> None:
        """Nothing to revoke: each row task checks the job's state before it starts."""


# -- the worker side ------------------------------------------------------------------------

app = make_celery(Settings.from_env())
_context: BulkContext | None = None
_context_lock = threading.Lock()


def worker_context() -> BulkContext:
    """This worker's database, converter pool and DocumentService, built once."""
    global _context
    with _context_lock:
        if _context is None:
            _context = _build_context(Settings.from_env())
        return _context


def _build_context(settings: Settings) -> BulkContext:
    """Open the shared database and start this worker's own unoserver pool."""
    from service.core.convert import ConverterPool, PoolConfig
    from service.core.documents import DocumentService
    from service.store.audit import DatabaseAudit
    from service.store.database import Database

    database = Database(settings.resolved_database_url())
    database.upgrade()
    pool = ConverterPool(PoolConfig.from_settings(settings))
    pool.start(wait=True)
    documents = DocumentService(pool, audit=DatabaseAudit(database))
    return BulkContext(database, documents, settings.data_dir / "jobs")


@signals.worker_ready.connect
def _warm_up(**_: Any) -> None:
    """Start the pool when the worker starts, not on its first row."""
    worker_context()


@signals.worker_shutdown.connect
def _shut_down(**_: Any) -> None:
    """Stop this worker's LibreOffice instances."""
    if _context is not None and hasattr(_context.documents.converter, "stop"):
        _context.documents.converter.stop()  # type: ignore[union-attr]


@app.task(bind=True, name=ROW_TASK, max_retries=None)
def run_row(self: Task, job_id: str, index: int) -> dict[str, Any]:
    """Do one row; a failed conversion is retried by Celery with a growing countdown."""
    ctx = worker_context()
    attempts = max(1, Settings.from_env().bulk_retries)
    retries = int(self.request.retries or 0)
    outcome = process_row(ctx, job_id, index, last_attempt=retries + 1 >= attempts)
    if outcome == RETRY:
        raise self.retry(countdown=min(30, 2 * (retries + 1)), max_retries=attempts - 1)
    if rows_left(ctx, job_id) == 0:
        self.app.send_task(FINISH_TASK, args=[job_id])
    return {"job": job_id, "row": index, "outcome": outcome}


@app.task(bind=True, name=FINISH_TASK)
def finish_job(self: Task, job_id: str) -> dict[str, Any]:
    """Write the job's ZIP, merged PDF and manifest once all its rows are finished."""
    assembled = assemble(worker_context(), job_id)
    return {"job": job_id, "assembled": assembled}
