"""Bulk jobs end to end on real LibreOffice: the embedded service, and Celery on a real Redis.

Every scenario posts one table of 60 communes of Lạng Sơn (from vietnam-provinces) plus one row
with a bad day, allowed to run: 60 DOCX + 60 PDF naming the right commune and signer, the bad
row failed alone with its reason in the manifest, the merged PDF as long as the rows together,
and, in the database, every row completed exactly once, whatever was killed on the way.
"""

from __future__ import annotations

import io
import itertools
import json
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from service.bulk.communes import commune_table
from service.bulk.ports import OPEN_ROWS, RowState
from service.bulk.table import Table, write_xlsx
from service.core import vn
from service.core.files import sha256
from service.store.database import Database
from service.store.jobs import BulkRow, SqlJobStore
from tests.conftest import bulk_base, docx_text, normalise, pdf_pages
from tests.integration import calls
from tests.integration.conftest import require_soffice
from tests.integration.servers import (
    Proc,
    free_port,
    redis_server,
    start_service,
    start_worker,
)
from tests.integration.test_documents_pdf import pdf_text

pytestmark = pytest.mark.integration
GOOD_ROWS = 60
BAD_ROW = GOOD_ROWS + 1
JOB_TIMEOUT = 900  # seconds; the machine is shared and LibreOffice slow under load
VISIBILITY = 15  # seconds before Redis gives a dead worker's rows to another worker
_redis_db = itertools.count(1)


# -- the scenario ----------------------------------------------------------------------------


def scenario_table() -> Table:
    """60 real communes with their own signer, day and number, then one row with day 45."""
    table = commune_table("Lạng Sơn")
    table.columns += ["signer.title", "date.day", "number", "recipients"]
    rows = table.rows[:GOOD_ROWS]
    for i, row in enumerate(rows, start=1):
        row["signer.name"] = f"Hoàng Văn {row['issuer.place']}"
        row["signer.title"] = "Phó Chủ tịch"
        row["date.day"] = str(i % 28 + 1)
        row["number"] = str(i)
        row["recipients"] = f"UBND tỉnh Lạng Sơn (b/c); TT Đảng ủy {row['issuer.place']}"
    bad = dict(rows[0], commune="Xã Ngày Sai", **{"date.day": "45"})
    bad["issuer.agency"] = "Ủy ban nhân dân xã Ngày Sai"
    table.rows = [*rows, bad]
    return table


def post_job(server: str, table: Table, allow_invalid: bool) -> requests.Response:
    """POST the seed plan (naming its commune by `{ten_xa}`) and the table (XLSX) as a form."""
    base = json.dumps(bulk_base("seed_000_ke_hoach_y_tich"), ensure_ascii=False)
    files = {
        "base": ("ke-hoach.json", base.encode(), "application/json"),
        "table": ("xa.xlsx", write_xlsx(table), "application/octet-stream"),
    }
    data = {"allow_invalid": "1"} if allow_invalid else {}
    return calls.post(f"{server}/api/jobs", files=files, data=data, timeout=60)


def start_job(server: str) -> tuple[str, Table]:
    """Refused first (the bad row, 422 with its path), then accepted with the bad row allowed."""
    table = scenario_table()
    refused = post_job(server, table, allow_invalid=False)
    assert refused.status_code == 422, refused.text
    # The report numbers rows as the spreadsheet does: the header is row 1.
    assert refused.json()["errors"] == {f"rows.{BAD_ROW + 1}.date.day": ["Phải từ 1 đến 31."]}
    accepted = post_job(server, table, allow_invalid=True)
    assert accepted.status_code == 202, accepted.text
    location = accepted.headers["Location"]
    assert location.endswith("/api/jobs/" + accepted.json()["id"])
    return location, table


def wait_for(
    server: str, location: str, until: Any, timeout: float = JOB_TIMEOUT, what: str = ""
) -> dict[str, Any]:
    """Poll the job until `until(progress)`; fail with the last progress on timeout."""
    deadline = time.monotonic() + timeout
    progress: dict[str, Any] = {}
    while time.monotonic() < deadline:
        try:
            progress = calls.get(server + location, timeout=10).json()
        except requests.ConnectionError:
            progress = {}
        if progress and until(progress):
            return progress
        time.sleep(0.5)
    pytest.fail(f"job did not reach {what or until} in {timeout} s: {progress}")


def finished(progress: dict[str, Any]) -> bool:
    """The job is done and its combined files are written."""
    return progress["state"] == "done" and progress["outputs_ready"]


def rows_in(database_url: str, job_id: str) -> list[BulkRow]:
    """The job's rows as stored."""
    database = Database(database_url)
    try:
        return SqlJobStore(database).rows(job_id)
    finally:
        database.dispose()


def redone(database_url: str, job_id: str, running: list[int]) -> None:
    """The rows caught running by a kill were claimed again, and completed once."""
    assert running, "no row was in flight at the kill"
    stored = {r.index: r for r in rows_in(database_url, job_id)}
    for index in running:
        assert stored[index].attempts >= 2 and stored[index].completions == 1, index


def running_rows(database_url: str, job_id: str) -> list[int]:
    """Rows marked running right now."""
    return [r.index for r in rows_in(database_url, job_id) if r.status == RowState.RUNNING]


def check_outputs(server: str, location: str, table: Table, database_url: str) -> None:
    """What must be shown, from the outputs and the database."""
    progress = calls.get(server + location, timeout=10).json()
    links = progress["links"]
    manifest = calls.get(server + links["manifest.json"], timeout=30).json()
    rows = {r["row"]: r for r in manifest["rows"]}
    failures = {i: r["error"] for i, r in rows.items() if r["status"] != "done"}
    counts = (progress["total"], progress["done"], progress["failed"])
    assert counts == (BAD_ROW, GOOD_ROWS, 1), failures
    assert progress["eta_seconds"] == 0
    # The bad row failed alone, and the manifest (JSON and CSV) says why.
    bad = rows[BAD_ROW]
    assert bad["status"] == "failed" and "date.day" in bad["error"]
    assert "Phải từ 1 đến 31" in bad["error"] and bad["pdf"] is None
    manifest_csv = calls.get(server + links["manifest.csv"], timeout=30).content
    assert "Phải từ 1 đến 31" in manifest_csv.decode("utf-8-sig")
    archive = zipfile.ZipFile(io.BytesIO(calls.get(server + links["zip"], timeout=60).content))
    names = archive.namelist()
    assert len([n for n in names if n.endswith(".docx")]) == GOOD_ROWS
    assert len([n for n in names if n.endswith(".pdf")]) == GOOD_ROWS
    total_pages = 0
    for index, cells in enumerate(table.rows[:GOOD_ROWS], start=1):
        row = rows[index]
        assert row["status"] == "done", row
        place, signer = cells["issuer.place"], cells["signer.name"]
        assert row["pdf"].startswith(f"{index:04d}-{vn.ascii_slug(cells['commune'])}")
        docx = archive.read(f"docx/{row['docx']}")
        pdf = archive.read(f"pdf/{row['pdf']}")
        assert sha256(docx) == row["docx_sha256"] and sha256(pdf) == row["pdf_sha256"]
        words = normalise(docx_text(docx))
        assert vn.upper_vn(cells["issuer.agency"].removeprefix("Ủy ban nhân dân ")) in words
        assert signer in words and "TT Đảng ủy " + place in words
        printed = normalise(pdf_text(pdf))
        day = index % 28 + 1
        assert vn.date_line(place, day, 2, 2023) in printed, (index, printed[:300])
        assert signer in printed
        assert row["pages"] == pdf_pages(pdf)
        total_pages += row["pages"]
    merged = calls.get(server + links["merged.pdf"], timeout=60).content
    assert pdf_pages(merged) == total_pages == manifest["pages"]
    # Every row completed exactly once, whatever was killed on the way.
    stored = rows_in(database_url, progress["id"])
    assert [r.completions for r in stored if r.status == "done"] == [1] * GOOD_ROWS
    assert all(r.attempts >= 1 for r in stored if r.status == "done")
    # The bad row is recorded failed when the job starts: never attempted, never produced.
    assert [(r.status, r.attempts, r.completions) for r in stored if r.status != "done"] == [
        ("failed", 0, 0)
    ]


# -- the embedded service ---------------------------------------------------------------------


@dataclass
class Stack:
    """The processes of one test, stopped at its end."""

    data_dir: Path
    port: int
    procs: list[Proc] = field(default_factory=list)

    @property
    def server(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.data_dir / 'vanban.db'}"

    def add(self, proc: Proc) -> Proc:
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        for proc in reversed(self.procs):
            proc.stop()


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[Stack]:
    """A stack for the service with the embedded backend (started by the test)."""
    require_soffice()
    stack = Stack(tmp_path / "var", free_port())
    stack.data_dir.mkdir()
    yield stack
    stack.stop()


EMBEDDED = {"pool_size": 2, "pool_base_port": 2850, "bulk_workers": 2}


def test_embedded_sixty_communes(embedded: Stack) -> None:
    embedded.add(start_service(embedded.data_dir, embedded.port, **EMBEDDED))
    location, table = start_job(embedded.server)
    wait_for(embedded.server, location, finished, what="done")
    check_outputs(embedded.server, location, table, embedded.database_url)


# Two rows a batch: batches of the default 60 pages can claim every row left between the poll
# that sees 15 done and the kill, and the kill would then find nothing still waiting.
KILLED = {**EMBEDDED, "bulk_batch_pages": 6}


def test_embedded_service_killed_mid_job_resumes(embedded: Stack) -> None:
    first = embedded.add(start_service(embedded.data_dir, embedded.port, **KILLED))
    location, table = start_job(embedded.server)
    wait_for(embedded.server, location, lambda p: p["done"] >= 15, what="15 rows done")
    first.kill_hard()  # the service and its LibreOffices, with rows in flight
    job_id = location.rsplit("/", 1)[1]
    running = running_rows(embedded.database_url, job_id)
    left = [r for r in rows_in(embedded.database_url, job_id) if r.status in OPEN_ROWS]
    assert len(left) > len(running), "the job (nearly) finished before the kill"
    embedded.add(start_service(embedded.data_dir, embedded.port, **KILLED))
    progress = wait_for(embedded.server, location, finished, what="done after restart")
    assert progress["done"] == GOOD_ROWS
    check_outputs(embedded.server, location, table, embedded.database_url)
    redone(embedded.database_url, job_id, running)


# -- Celery on Redis -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """A real Redis for the module's Celery tests."""
    with redis_server() as url:
        yield url


@pytest.fixture
def celery_stack(tmp_path: Path, redis_url: str) -> Iterator[tuple[Stack, dict[str, Any]]]:
    """The service in celery mode (no worker yet) and the settings workers share with it."""
    require_soffice()
    stack = Stack(tmp_path / "var", free_port())
    stack.data_dir.mkdir()
    shared = {
        "broker_url": f"{redis_url}/{next(_redis_db)}",
        "bulk_visibility_timeout": VISIBILITY,
        "bulk_backend": "celery",
    }
    stack.add(start_service(stack.data_dir, stack.port, pool_size=1, pool_base_port=2800,
                            **shared))
    yield stack, shared
    stack.stop()


def worker(stack: Stack, shared: dict[str, Any], name: str, base_port: int) -> Proc:
    """A Celery worker with a two-instance pool of its own."""
    return stack.add(
        start_worker(stack.data_dir, name, pool_size=2, pool_base_port=base_port, **shared)
    )


def test_celery_sixty_communes(celery_stack: tuple[Stack, dict[str, Any]]) -> None:
    stack, shared = celery_stack
    worker(stack, shared, "a", 2810)
    location, table = start_job(stack.server)
    wait_for(stack.server, location, finished, what="done")
    check_outputs(stack.server, location, table, stack.database_url)


def test_celery_worker_killed_mid_job(celery_stack: tuple[Stack, dict[str, Any]]) -> None:
    stack, shared = celery_stack
    first = worker(stack, shared, "a", 2810)
    location, table = start_job(stack.server)
    wait_for(stack.server, location, lambda p: p["done"] >= 10, what="10 rows done")
    first.kill_hard()  # kill -9 the worker and its LibreOffices: its rows are unacknowledged
    stalled = calls.get(stack.server + location, timeout=10).json()
    assert stalled["done"] < GOOD_ROWS
    running = running_rows(stack.database_url, stalled["id"])
    worker(stack, shared, "b", 2830)
    wait_for(stack.server, location, finished, what="done on the second worker")
    check_outputs(stack.server, location, table, stack.database_url)
    redone(stack.database_url, stalled["id"], running)  # redelivered by Redis, acks-late


def test_celery_unoserver_killed_mid_job(celery_stack: tuple[Stack, dict[str, Any]]) -> None:
    stack, shared = celery_stack
    only = worker(stack, shared, "a", 2810)
    location, table = start_job(stack.server)
    wait_for(stack.server, location, lambda p: p["done"] >= 10, what="10 rows done")
    victims = only.soffices()
    assert victims, f"no LibreOffice under the worker:\n{only.log_tail()}"
    victims[0].kill()
    wait_for(stack.server, location, finished, what="done after a LibreOffice died")
    check_outputs(stack.server, location, table, stack.database_url)
