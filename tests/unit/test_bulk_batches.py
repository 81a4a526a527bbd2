"""A job's rows after its first go to the converter in batches sized by their pages, and each
row still gets its own PDF; a batch that fails leaves its rows to go one by one."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pikepdf
import pytest

from service.bulk.batches import rows_per_batch
from service.bulk.embedded import EmbeddedRunner
from service.bulk.jobs import BulkJobs
from service.bulk.table import Table
from service.bulk.work import BulkContext
from service.core.batch_docx import BOOKMARK_PREFIX
from service.core.converter import ConversionFailed
from service.core.documents import DocumentService
from service.store.database import Database
from service.store.jobs import SqlJobStore
from tests.conftest import bulk_base, copy_of_migrated
from tests.fakes import FakeConverter

BASE = bulk_base("seed_000_ke_hoach_y_tich")


class BatchFailing(FakeConverter):
    """Converts rows alone; refuses every batch, as LibreOffice failing on one would."""

    def convert(self, docx: bytes, *, pdf_version: int | None = None,
                destinations: bool = False) -> bytes:
        if destinations:
            with self._lock:
                self.calls.append((docx, pdf_version))
            raise ConversionFailed("the batch's conversion failed")
        return super().convert(docx, pdf_version=pdf_version)


class Renders:
    """An audit sink keeping the subject of every render recorded."""

    def __init__(self) -> None:
        self.subjects: list[str] = []

    def record(self, action: str, *, actor: str, subject: str, details: dict[str, Any],
               unit: str | None = None) -> None:
        if action == "render":
            self.subjects.append(subject)


def run_job(tmp_path: Path, converter: FakeConverter, rows: int, batch_pages: int,
            audit: Renders | None = None) -> BulkJobs:
    """A job of `rows` communes run to its end on one worker; the jobs service."""
    database = Database(f"sqlite:///{copy_of_migrated(tmp_path / 'db.sqlite')}")
    ctx = BulkContext(SqlJobStore(database), DocumentService(converter, audit=audit),
                      tmp_path / "jobs")
    runner = EmbeddedRunner(ctx, workers=1, batch_pages=batch_pages)
    jobs = BulkJobs(ctx, runner)
    table = Table(["commune", "issuer.agency"], [
        {"commune": f"Xã Số {n}", "issuer.agency": f"Ủy ban nhân dân xã Số {n}"}
        for n in range(1, rows + 1)])
    jobs.job_id = jobs.create(BASE, table, actor="t")  # type: ignore[attr-defined]
    assert runner.wait(60)
    runner.stop()
    return jobs


def batched(converter: FakeConverter) -> list[int]:
    """How many documents each conversion held (1 for a row converted alone)."""
    return [max(1, zipfile.ZipFile(io.BytesIO(docx)).read("word/document.xml").count(
        f'w:name="{BOOKMARK_PREFIX}'.encode())) for docx, _ in converter.calls]


def test_rows_after_the_first_go_in_batches_of_the_pages_asked(tmp_path: Path) -> None:
    converter = FakeConverter()
    jobs = run_job(tmp_path, converter, rows=9, batch_pages=4)  # the fake's rows: a page each
    assert batched(converter) == [1, 4, 4]
    progress = jobs.progress(jobs.job_id)  # type: ignore[attr-defined]
    assert progress is not None and (progress["state"], progress["done"]) == ("done", 9)
    for row in range(2, 10):  # each batched row its own one-page PDF with the document's title
        path = jobs.row_file(jobs.job_id, row, "pdf")  # type: ignore[attr-defined]
        assert path is not None
        with pikepdf.open(io.BytesIO(path.read_bytes())) as part:
            assert len(part.pages) == 1
            assert str(part.open_metadata()["dc:title"]).startswith("Kế hoạch")


def test_a_failed_batch_leaves_its_rows_to_go_one_by_one(tmp_path: Path) -> None:
    converter, renders = BatchFailing(), Renders()
    jobs = run_job(tmp_path, converter, rows=5, batch_pages=60, audit=renders)
    assert batched(converter) == [1, 4, 1, 1, 1, 1]
    assert len(renders.subjects) == 5  # each row rendered once, its batch's render kept
    progress = jobs.progress(jobs.job_id)  # type: ignore[attr-defined]
    assert progress is not None and (progress["done"], progress["failed"]) == (5, 0)


def test_without_batches_every_row_is_converted_alone(tmp_path: Path) -> None:
    converter = FakeConverter()
    run_job(tmp_path, converter, rows=5, batch_pages=0)
    assert batched(converter) == [1, 1, 1, 1, 1]


@pytest.mark.parametrize(("pages", "rows"), [(3, 20), (4, 15), (7, 8), (61, 1), (0, 60)])
def test_a_batch_holds_as_many_rows_as_its_pages_allow(pages: int, rows: int) -> None:
    assert rows_per_batch(60, pages) == rows
