"""The Celery worker: one task per bulk row on Redis, acks-late, Celery's retries.

Start a worker (each worker runs its own converter, e.g. VB_POOL_SIZE unoserver instances;
Celery comes with the `celery` extra: pip install -e '.[celery]'):

    VB_BROKER_URL=redis://host:6379/0 VB_DATABASE_URL=... VB_DATA_DIR=/shared/var \\
    .venv/bin/celery -A service.celery_worker worker --pool threads --concurrency 2
"""

from __future__ import annotations

import threading
from typing import Any

from celery import Task, signals

from service.bulk.batches import learned_batch_rows, process_batch
from service.bulk.ports import RowOutcome
from service.bulk.work import BulkContext, assemble, process_row
from service.composition import build_services
from service.settings import Settings
from service.usecases.services import Services
from service.worker.dispatch import BATCH_TASK, FINISH_TASK, ROW_TASK, make_celery

app = make_celery(Settings.from_env())
_services: Services | None = None
_services_lock = threading.Lock()


def worker_services() -> Services:
    """This worker's database, converter and DocumentService, built once."""
    global _services
    with _services_lock:
        if _services is None:
            _services = build_services(Settings.from_env(), wait=True)
        return _services


def worker_context() -> BulkContext:
    """What running a row needs, from this worker's services."""
    return worker_services().bulk.ctx


@signals.worker_ready.connect
def _warm_up(**_: Any) -> None:
    """Start the converter when the worker starts, not on its first row."""
    worker_services()


@signals.worker_shutdown.connect
def _shut_down(**_: Any) -> None:
    """Stop this worker's converter (its LibreOffice instances) and close the database."""
    if _services is not None:
        _services.close()


@app.task(bind=True, name=ROW_TASK, max_retries=None)
def run_row(
    self: Task, job_id: str, index: int, failures: int = 0, then_batches: bool = False
) -> dict[str, Any]:
    """Do one row; a failed conversion is retried by Celery with a growing countdown.

    `failures` counts failed conversions only: a row that waited for a free converter
    (WAIT) is sent again without using up an attempt. `then_batches`: the job's first row,
    after which the worker sends the job's other rows in batches its pages size.
    """
    ctx = worker_context()
    attempts = max(1, Settings.from_env().bulk_retries)
    outcome = process_row(ctx, job_id, index, last_attempt=failures + 1 >= attempts)
    kept = {"failures": failures, "then_batches": then_batches}
    if outcome == RowOutcome.RETRY:
        kept["failures"] = failures + 1
        raise self.retry(kwargs=kept, countdown=min(30, 2 * (failures + 1)))
    if outcome == RowOutcome.WAIT:
        waits = int(self.request.retries or 0) + 1
        raise self.retry(kwargs=kept, countdown=min(30, waits))
    if then_batches:
        _send_batches(self, ctx, job_id)
    elif ctx.jobs.count_open_rows(job_id) == 0:
        self.app.send_task(FINISH_TASK, args=[job_id])
    return {"job": job_id, "row": index, "outcome": outcome}


def _send_batches(task: Task, ctx: BulkContext, job_id: str) -> None:
    """The job's open rows in batches sized by its first row's pages (or the finish)."""
    rows = ctx.jobs.open_row_indexes(job_id)
    if not rows:
        task.app.send_task(FINISH_TASK, args=[job_id])
        return
    pages = Settings.from_env().bulk_batch_pages
    size = learned_batch_rows(ctx, job_id, pages) or 1
    for start in range(0, len(rows), size):
        task.app.send_task(BATCH_TASK, args=[job_id, rows[start:start + size]])


@app.task(bind=True, name=BATCH_TASK)
def run_batch(self: Task, job_id: str, indexes: list[int]) -> dict[str, Any]:
    """Do rows in one conversion; a row that needs retrying or waiting goes on as a row task.

    Redelivered after a lost worker, the rows done are skipped and the rest done again.
    """
    ctx = worker_context()
    outcomes = process_batch(ctx, job_id, indexes)
    for index, outcome in outcomes.items():
        if outcome in (RowOutcome.RETRY, RowOutcome.WAIT):
            self.app.send_task(ROW_TASK, args=[job_id, index])
    if ctx.jobs.count_open_rows(job_id) == 0:
        self.app.send_task(FINISH_TASK, args=[job_id])
    return {"job": job_id, "rows": indexes, "outcomes": [str(o) for o in outcomes.values()]}


@app.task(bind=True, name=FINISH_TASK)
def finish_job(self: Task, job_id: str) -> dict[str, Any]:
    """Write the job's ZIP, merged PDF and manifest once all its rows are finished."""
    assembled = assemble(worker_context(), job_id)
    return {"job": job_id, "assembled": assembled}
