"""kill -9 while a batch of rows converts: after a restart every row is there once, as alone.

The service converts a job of 30 communes in batches of five rows (15 pages); it is killed,
with its LibreOffice, while a batch's rows are claimed and none of their PDFs is written yet.
Restarted on the same data folder, it finishes the job: each row appears exactly once in the
manifest, the ZIP and the job's folder, was completed once, and prints the same text, page for
page, as the same row converted alone by a service that does not batch.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from service.bulk.communes import commune_table
from service.bulk.outputs import ASSEMBLED, row_stem
from service.bulk.ports import RowState
from service.bulk.table import Table
from tests.conftest import pdf_page_texts
from tests.integration import calls
from tests.integration.conftest import require_soffice
from tests.integration.servers import Proc, free_port, start_service
from tests.integration.test_bulk import finished, post_job, redone, rows_in, wait_for

pytestmark = pytest.mark.integration
ROWS = 30
# One instance, one runner thread: batches of five 3-page rows, one after another.
BATCHED = {"pool_size": 1, "pool_base_port": 3460, "bulk_workers": 1, "bulk_batch_pages": 15}
ALONE = BATCHED | {"bulk_batch_pages": 0}
KILL_TIMEOUT = 600  # seconds to catch a batch in flight on a shared machine


def communes() -> Table:
    """30 communes of Lạng Sơn, each with its own signer."""
    table = commune_table("Lạng Sơn")
    table.rows = table.rows[:ROWS]
    for i, row in enumerate(table.rows, start=1):
        row["signer.name"] = f"Người Ký {i}"
    return table


@pytest.fixture
def services() -> Iterator[list[Proc]]:
    """The services a test starts, all stopped at its end."""
    require_soffice()
    started: list[Proc] = []
    yield started
    for proc in reversed(started):
        proc.stop()


def start_job(server: str, table: Table) -> tuple[str, str]:
    """Post the job; its location and id."""
    accepted = post_job(server, table, allow_invalid=False)
    assert accepted.status_code == 202, accepted.text
    return accepted.headers["Location"], accepted.json()["id"]


def kill_in_a_batch(service: Proc, database_url: str, job_id: str, folder: Path,
                    table: Table) -> list[int]:
    """kill -9 the service once a batch's rows are claimed and none of their PDFs written.

    Rows done already (a batch at least) and rows left to do prove the kill fell mid-job;
    the rows caught running are returned.
    """
    deadline = time.monotonic() + KILL_TIMEOUT
    while time.monotonic() < deadline:
        rows = rows_in(database_url, job_id)
        running = [r.index for r in rows if r.status == RowState.RUNNING]
        done = sum(r.status == RowState.DONE for r in rows)
        written = [i for i in running
                   if (folder / f"{row_stem(i, table.rows[i - 1]['commune'])}.pdf").exists()]
        if len(running) >= 2 and not written and 6 <= done <= ROWS - 5:
            service.kill_hard()
            return running
        time.sleep(0.02)
    pytest.fail(f"no batch caught in flight in {KILL_TIMEOUT} s:\n{service.log_tail()}")


def outputs(server: str, location: str) -> tuple[dict[str, Any], zipfile.ZipFile]:
    """The finished job's manifest and ZIP."""
    links = calls.get(server + location, timeout=10).json()["links"]
    manifest = calls.get(server + links["manifest.json"], timeout=30).json()
    archive = zipfile.ZipFile(io.BytesIO(calls.get(server + links["zip"], timeout=60).content))
    return manifest, archive


def test_a_service_killed_mid_batch_finishes_every_row_once_as_alone(
    tmp_path: Path, services: list[Proc]
) -> None:
    data_dir, port, table = tmp_path / "var", free_port(), communes()
    data_dir.mkdir()
    database_url = f"sqlite:///{data_dir / 'vanban.db'}"
    first = start_service(data_dir, port, **BATCHED)
    services.append(first)
    location, job_id = start_job(first.url, table)
    folder = data_dir / "jobs" / job_id
    running = kill_in_a_batch(first, database_url, job_id, folder, table)

    second = start_service(data_dir, port, **BATCHED)
    services.append(second)
    progress = wait_for(second.url, location, finished, what="done after the restart")
    assert (progress["total"], progress["done"], progress["failed"]) == (ROWS, ROWS, 0)
    redone(database_url, job_id, running)
    assert [r.completions for r in rows_in(database_url, job_id)] == [1] * ROWS

    manifest, archive = outputs(second.url, location)
    assert [r["row"] for r in manifest["rows"]] == list(range(1, ROWS + 1))
    assert {r["status"] for r in manifest["rows"]} == {"done"}
    docx_names = [r["docx"] for r in manifest["rows"]]
    pdf_names = [r["pdf"] for r in manifest["rows"]]
    expected = [row_stem(i, row["commune"]) for i, row in enumerate(table.rows, start=1)]
    assert docx_names == [f"{stem}.docx" for stem in expected]
    assert pdf_names == [f"{stem}.pdf" for stem in expected]
    entries = Counter(archive.namelist())
    assert [name for name, count in entries.items() if count > 1] == []
    assert sorted(entries) == sorted(
        [f"docx/{n}" for n in docx_names] + [f"pdf/{n}" for n in pdf_names]
        + ["manifest.csv", "manifest.json"]
    )
    on_disk = sorted(path.name for path in folder.iterdir())
    assert on_disk == sorted([*docx_names, *pdf_names, *ASSEMBLED])
    second.stop()

    # The same rows converted one by one, on the same data folder: the reference.
    alone = start_service(data_dir, port, **ALONE)
    services.append(alone)
    reference_location, _ = start_job(alone.url, table)
    wait_for(alone.url, reference_location, finished, what="the row-by-row job done")
    reference, reference_archive = outputs(alone.url, reference_location)
    assert [r["pdf"] for r in reference["rows"]] == pdf_names
    differing = [
        name for name in pdf_names
        if pdf_page_texts(archive.read(f"pdf/{name}"))
        != pdf_page_texts(reference_archive.read(f"pdf/{name}"))
    ]
    assert differing == [], json.dumps(differing)
