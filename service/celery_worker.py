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

from service.bulk.ports import RowOutcome
from service.bulk.work import BulkContext, assemble, process_row
from service.composition import build_services
from service.settings import Settings
from service.usecases.services import Services
from service.worker.dispatch import FINISH_TASK, ROW_TASK, make_celery

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
def run_row(self: Task, job_id: str, index: int, failures: int = 0) -> dict[str, Any]:
    """Do one row; a failed conversion is retried by Celery with a growing countdown.

    `failures` counts failed conversions only: a row that waited for a free converter
    (WAIT) is sent again without using up an attempt.
    """
    ctx = worker_context()
    attempts = max(1, Settings.from_env().bulk_retries)
    outcome = process_row(ctx, job_id, index, last_attempt=failures + 1 >= attempts)
    if outcome == RowOutcome.RETRY:
        failures += 1
        raise self.retry(kwargs={"failures": failures}, countdown=min(30, 2 * failures))
    if outcome == RowOutcome.WAIT:
        waits = int(self.request.retries or 0) + 1
        raise self.retry(kwargs={"failures": failures}, countdown=min(30, waits))
    if ctx.jobs.count_open_rows(job_id) == 0:
        self.app.send_task(FINISH_TASK, args=[job_id])
    return {"job": job_id, "row": index, "outcome": outcome}


@app.task(bind=True, name=FINISH_TASK)
def finish_job(self: Task, job_id: str) -> dict[str, Any]:
    """Write the job's ZIP, merged PDF and manifest once all its rows are finished."""
    assembled = assemble(worker_context(), job_id)
    return {"job": job_id, "assembled": assembled}
