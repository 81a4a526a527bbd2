"""The Celery backend's service side: the Celery app's settings and the runner sending tasks."""

from __future__ import annotations

try:
    from celery import Celery
except ModuleNotFoundError as missing:  # an optional extra: the defaults need no Celery
    raise ModuleNotFoundError(
        "VB_BULK_BACKEND=celery needs Celery, which the service installs as an extra: "
        "pip install -e '.[celery]' (or bash .ci/setup celery)",
        name=missing.name,
    ) from missing

from service.bulk.work import BulkContext
from service.settings import Settings

BACKEND = "celery"
ROW_TASK, BATCH_TASK, FINISH_TASK = "vanban.bulk.row", "vanban.bulk.batch", "vanban.bulk.finish"
QUEUE = "vanban-bulk"


def make_celery(settings: Settings, *, current: bool = True) -> Celery:
    """A Celery app on the configured Redis (broker and result backend), acks-late throughout."""
    app = Celery(
        "vanban_bulk",
        broker=settings.broker_url,
        backend=settings.broker_url,
        set_as_current=current,
    )
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
        self.settings = settings
        self._celery: Celery | None = None

    @property
    def celery(self) -> Celery:
        """The dispatcher's Celery app, made on first use: a worker builds this runner too and
        must keep its own app as Celery's current one."""
        if self._celery is None:
            self._celery = make_celery(self.settings, current=False)
        return self._celery

    def submit(self, job_id: str) -> None:
        """Send a task for each open row (or the finishing task when none is left).

        With batches, the first row goes alone and the worker that does it sends the rest in
        batches its page count sizes (service.celery_worker.run_row).
        """
        indexes = self.ctx.jobs.open_row_indexes(job_id)
        with self.celery.connection_for_write() as connection:
            if self.settings.bulk_batch_pages and len(indexes) > 1:
                self.celery.send_task(ROW_TASK, args=[job_id, indexes[0]],
                                      kwargs={"then_batches": True}, connection=connection)
                return
            for index in indexes:
                self.celery.send_task(ROW_TASK, args=[job_id, index], connection=connection)
            if not indexes:
                self.celery.send_task(FINISH_TASK, args=[job_id], connection=connection)

    def cancel(self, job_id: str) -> None:
        """Nothing to revoke: each row task checks the job's state before it starts."""

    def resume(self) -> list[str]:
        """Nothing to resume: Redis gives a dead worker's unacknowledged rows to another."""
        return []

    def stop(self) -> None:
        """Close the broker connections; queued rows stay in Redis for the workers."""
        if self._celery is not None:
            self._celery.close()
