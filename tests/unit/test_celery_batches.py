"""With batches, the Celery backend sends a job's first row alone; the worker that does it
sends the other rows in batches its page count sizes, or the finish when none is left."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pytest

from service import celery_worker
from service.bulk.jobs import BulkJobs
from service.bulk.table import Table
from service.bulk.work import BulkContext, process_row
from service.core.documents import DocumentService
from service.settings import Settings
from service.store.database import Database
from service.store.jobs import SqlJobStore
from service.worker import dispatch
from tests.conftest import bulk_base, copy_of_migrated
from tests.fakes import FakeConverter

BASE = bulk_base("seed_000_ke_hoach_y_tich")


class Sent:
    """A Celery app that keeps what is sent instead of sending it."""

    def __init__(self) -> None:
        self.tasks: list[tuple[str, list[Any], dict[str, Any]]] = []

    def send_task(self, name: str, args: list[Any], kwargs: dict[str, Any] | None = None,
                  **_: Any) -> None:
        self.tasks.append((name, args, kwargs or {}))

    def connection_for_write(self) -> Any:
        return nullcontext()


def job(tmp_path: Path, rows: int) -> tuple[BulkContext, str]:
    database = Database(f"sqlite:///{copy_of_migrated(tmp_path / 'db.sqlite')}")
    ctx = BulkContext(SqlJobStore(database), DocumentService(FakeConverter()), tmp_path / "jobs")
    table = Table(["commune"], [{"commune": f"Xã Số {n}"} for n in range(1, rows + 1)])
    runner = dispatch.CeleryRunner(Settings(bulk_backend="celery"), ctx)
    runner._celery = Sent()
    job_id = BulkJobs(ctx, runner).create(BASE, table, actor="t")
    return ctx, job_id


def test_the_first_row_goes_alone_and_says_to_send_the_rest(tmp_path: Path) -> None:
    ctx, job_id = job(tmp_path, rows=5)
    runner = dispatch.CeleryRunner(Settings(bulk_backend="celery"), ctx)
    runner._celery = Sent()
    runner.submit(job_id)
    assert runner._celery.tasks == [(dispatch.ROW_TASK, [job_id, 1], {"then_batches": True})]
    runner = dispatch.CeleryRunner(Settings(bulk_backend="celery", bulk_batch_pages=0), ctx)
    runner._celery = Sent()
    runner.submit(job_id)
    assert [args for _, args, _ in runner._celery.tasks] == [[job_id, n] for n in range(1, 6)]


def test_after_the_first_row_the_rest_go_in_batches_of_its_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx, job_id = job(tmp_path, rows=9)
    process_row(ctx, job_id, 1)  # the fake's rows have a page each
    monkeypatch.setenv("VB_BULK_BATCH_PAGES", "3")
    task = type("Task", (), {"app": Sent()})()
    celery_worker._send_batches(task, ctx, job_id)
    assert task.app.tasks == [(dispatch.BATCH_TASK, [job_id, rows], {})
                              for rows in ([2, 3, 4], [5, 6, 7], [8, 9])]
