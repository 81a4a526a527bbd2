"""Benchmark bulk generation: pool scaling, soffice baseline, Celery overhead, memory over 500 rows.

One run measures, on real LibreOffice:

1. embedded path, 100 communes: documents per second with a pool of 1 and of N = cpu count
   instances (2 runner threads per instance), from job creation to the last row, rows
   converted in batches of --batch-pages pages (the service's default) and one by one, the
   two alternating on the same pool for --batch-rounds rounds (the ratio of medians);
2. `soffice --headless --convert-to pdf`, one fresh process per document, on a subset of the
   same DOCX files (per-document time extrapolated), against the embedded pool(N) rate;
3. the same 100 rows on the Celery path (a real Redis, a real worker process with its own pool
   of N and 2N threads) against the embedded path at the same pool size, both stacks live and
   the jobs alternating (ABBA) for --celery-rounds rounds; the overhead compares medians;
4. a 500-row embedded job in batches of --batch-pages: RSS of this process and of the whole
   tree (with unoserver and soffice.bin) sampled every 0.2 s, reported after 100, 300 and 500
   rows, and the peak while rows ran against the peak while the ZIP and merged PDF were
   written (with --only-batches: steps 1's comparison and this one only).

Run from the project root:  .venv/bin/python bench/bulk.py [--out bench/bulk-results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.bulk.communes import commune_table, provinces  # noqa: E402
from service.bulk.embedded import EmbeddedRunner  # noqa: E402
from service.bulk.jobs import BulkJobs  # noqa: E402
from service.bulk.table import Table  # noqa: E402
from service.bulk.work import BulkContext  # noqa: E402
from service.convert.pool import ConverterPool, PoolConfig  # noqa: E402
from service.core.documents import DocumentService  # noqa: E402
from service.settings import Settings  # noqa: E402
from service.store.audit import DatabaseAudit  # noqa: E402
from service.store.database import Database  # noqa: E402
from service.store.jobs import SqlJobStore  # noqa: E402
from service.worker.dispatch import CeleryRunner  # noqa: E402
from tests.conftest import bulk_base  # noqa: E402
from tests.integration.servers import redis_server, start_worker  # noqa: E402

BASE = bulk_base("seed_000_ke_hoach_y_tich")  # naming its commune by {ten_xa}, as a base must
CPUS = os.cpu_count() or 1
POOL_PORT = 2860  # the bench's unoservers: 2860-2899
MiB = 1024 * 1024


def communes(count: int) -> Table:
    """`count` real communes, province after province, each with its own signer."""
    rows: list[dict[str, Any]] = []
    for province in provinces():
        rows += commune_table(str(province["code"])).rows
        if len(rows) >= count:
            break
    table = commune_table("Lạng Sơn")
    table.rows = rows[:count]
    for i, row in enumerate(table.rows, start=1):
        row["signer.name"] = f"Người Ký {i}"
    return table


class Sampler:
    """RSS of this process and of its whole tree, sampled in a thread."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self.me = psutil.Process()
        self.samples: list[tuple[float, int, int]] = []  # (time, own rss, tree rss)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.samples.append((time.monotonic(), *self.now()))

    def now(self) -> tuple[int, int]:
        """(own RSS, tree RSS) in bytes."""
        own = self.me.memory_info().rss
        tree = own
        for child in self.me.children(recursive=True):
            try:
                tree += child.memory_info().rss
            except psutil.NoSuchProcess:
                pass
        return own, tree

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def peak(self, start: float, end: float) -> tuple[float, float]:
        """Peak (own, tree) RSS in MiB between two moments."""
        inside = [s for s in self.samples if start <= s[0] <= end] or self.samples[-1:]
        own, tree = max(s[1] for s in inside), max(s[2] for s in inside)
        return round(own / MiB, 1), round(tree / MiB, 1)


class Embedded:
    """A pool, a database and an embedded runner in this process."""

    def __init__(
        self, folder: Path, pool_size: int, batch_pages: int = 0, base_port: int = POOL_PORT
    ) -> None:
        self.database = Database(f"sqlite:///{folder / 'bulk.sqlite'}")
        self.database.upgrade()
        self.pool = ConverterPool(PoolConfig(size=pool_size, base_port=base_port,
                                             work_dir=folder / "pool", startup_timeout=120))
        self.pool.start(wait=True)
        # Each row's render goes on the audit trail, as in the service (composition).
        documents = DocumentService(self.pool, audit=DatabaseAudit(self.database))
        self.ctx = BulkContext(SqlJobStore(self.database), documents, folder / "jobs")
        self.runner = EmbeddedRunner(self.ctx, workers=2 * pool_size, batch_pages=batch_pages)
        self.jobs = BulkJobs(self.ctx, self.runner)

    def close(self) -> None:
        self.runner.stop()
        self.pool.close()
        self.database.dispose()


def run_job(
    jobs: BulkJobs, table: Table, on_progress: Callable[[dict[str, Any]], None] | None = None
) -> dict[str, Any]:
    """Create a job and follow it; seconds until the last row and until the outputs."""
    started = time.monotonic()
    job_id = jobs.create(BASE, table, actor="bench")
    rows_done_at = None
    while True:
        progress = jobs.progress(job_id)
        assert progress is not None
        if on_progress:
            on_progress(progress)
        if rows_done_at is None and progress["done"] + progress["failed"] == progress["total"]:
            rows_done_at = time.monotonic()
        if progress["state"] == "done" and progress["outputs_ready"]:
            break
        time.sleep(0.05)
    ended = time.monotonic()
    assert rows_done_at is not None
    assert progress["done"] == len(table.rows), progress
    return {
        "job": job_id,
        "rows": len(table.rows),
        "rows_seconds": round(rows_done_at - started, 2),
        "total_seconds": round(ended - started, 2),
        "docs_per_second": round(len(table.rows) / (rows_done_at - started), 2),
        "rows_done_at": rows_done_at,
        "ended": ended,
    }


def embedded_rate(folder: Path, pool_size: int, table: Table) -> dict[str, Any]:
    """Docs/s of the embedded path with this pool size."""
    stack = Embedded(folder, pool_size)
    try:
        run_job(stack.jobs, communes(4))  # warm up LibreOffice and the templates
        result = run_job(stack.jobs, table)
        files = sorted((folder / "jobs" / result["job"]).glob("*.docx"))
    finally:
        stack.close()
    result["docx_files"] = [str(f) for f in files]
    return result


def batched_vs_rows(
    folder: Path, pool_size: int, table: Table, batch_pages: int, rounds: int
) -> dict[str, Any]:
    """Docs/s of the same job in batches and row by row on one pool, alternating (ABAB)."""
    stack = Embedded(folder, pool_size, batch_pages)
    rates: dict[str, list[float]] = {"batched": [], "row_by_row": []}
    try:
        run_job(stack.jobs, communes(4))  # warm up LibreOffice and the templates
        for _ in range(rounds):
            for name, pages in (("batched", batch_pages), ("row_by_row", 0)):
                stack.runner.batch_pages = pages
                rates[name].append(run_job(stack.jobs, table)["docs_per_second"])
    finally:
        stack.close()
    medians = {name: statistics.median(values) for name, values in rates.items()}
    return {"pool_size": pool_size, "batch_pages": batch_pages, "docs_per_second": rates,
            "median_docs_per_second": medians,
            "batched_over_row_by_row": round(medians["batched"] / medians["row_by_row"], 2)}


def soffice_rate(docx_files: list[str], count: int, folder: Path) -> dict[str, Any]:
    """Seconds per document of a fresh `soffice --convert-to pdf` per file (a subset)."""
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice is not installed"
    times = []
    for i, path in enumerate(docx_files[:count]):
        profile = folder / f"profile-{i}"
        started = time.monotonic()
        subprocess.run(
            [soffice, f"-env:UserInstallation=file://{profile}", "--headless",
             "--convert-to", "pdf", "--outdir", str(folder / "soffice"), path],
            check=True, capture_output=True, timeout=180,
        )
        times.append(time.monotonic() - started)
        shutil.rmtree(profile, ignore_errors=True)
    per_doc = sum(times) / len(times)
    return {"documents": len(times), "seconds_per_document": round(per_doc, 2),
            "docs_per_second": round(1 / per_doc, 3)}


def celery_vs_embedded(
    folder: Path, pool_size: int, table: Table, rounds: int
) -> dict[str, Any]:
    """Alternate the same job on a live embedded stack and a live Celery worker; medians.

    Both stacks stay up for the whole comparison, with pools of the same size on their own
    ports, and the order flips every round (ABBA), so drift on a shared machine falls on both.
    """
    embedded = Embedded(folder / "embedded", pool_size)
    celery_dir = folder / "celery"
    celery_dir.mkdir(parents=True)
    try:
        with redis_server() as url:
            settings = Settings.from_env({}, data_dir=celery_dir, broker_url=f"{url}/0",
                                         bulk_backend="celery")
            database = Database(settings.resolved_database_url())
            database.upgrade()
            ctx = BulkContext(SqlJobStore(database), DocumentService(None), celery_dir / "jobs")
            celery = BulkJobs(ctx, CeleryRunner(settings, ctx))
            # The same thread count as the embedded runner: 2 per instance.
            worker = start_worker(celery_dir, "bench", concurrency=2 * pool_size,
                                  pool_size=pool_size, pool_base_port=POOL_PORT + 20,
                                  broker_url=f"{url}/0")
            try:
                deadline = time.monotonic() + 180
                while " ready." not in worker.log.read_text(errors="replace"):
                    assert time.monotonic() < deadline, worker.log_tail()
                    time.sleep(0.5)
                paths = {"embedded": embedded.jobs, "celery": celery}
                for jobs in paths.values():
                    run_job(jobs, communes(4))  # warm up LibreOffice and the templates
                seconds: dict[str, list[float]] = {"embedded": [], "celery": []}
                for round_ in range(rounds):
                    order = ["embedded", "celery"] if round_ % 2 == 0 else ["celery", "embedded"]
                    for name in order:
                        seconds[name].append(run_job(paths[name], table)["rows_seconds"])
            finally:
                worker.stop()
                database.dispose()
    finally:
        embedded.close()
    medians = {name: statistics.median(values) for name, values in seconds.items()}
    return {
        "rounds": rounds,
        "rows": len(table.rows),
        "rows_seconds": seconds,
        "median_docs_per_second": {
            name: round(len(table.rows) / median, 2) for name, median in medians.items()
        },
        "celery_overhead_percent": round((medians["celery"] / medians["embedded"] - 1) * 100, 1),
    }


def memory_run(folder: Path, pool_size: int, rows: int, batch_pages: int) -> dict[str, Any]:
    """RSS over a `rows`-row embedded job: after 100 rows, after all, peaks rows vs assembly."""
    stack = Embedded(folder, pool_size, batch_pages)
    marks: dict[int, tuple[int, int]] = {}
    try:
        run_job(stack.jobs, communes(4))
        with Sampler() as sampler:
            def mark(progress: dict[str, Any]) -> None:
                finished = progress["done"] + progress["failed"]
                for point in (100, 300, rows):
                    if finished >= point and point not in marks:
                        marks[point] = sampler.now()

            started = time.monotonic()
            result = run_job(stack.jobs, communes(rows), mark)
    finally:
        stack.close()
    rows_peak = sampler.peak(started, result["rows_done_at"])
    assembly_peak = sampler.peak(result["rows_done_at"], result["ended"])
    return {
        "rows": rows,
        "batch_pages": batch_pages,
        "seconds": result["total_seconds"],
        "rss_mib_at_rows": {
            str(k): {"own": round(v[0] / MiB, 1), "tree": round(v[1] / MiB, 1)}
            for k, v in sorted(marks.items())
        },
        "peak_mib_while_rows": {"own": rows_peak[0], "tree": rows_peak[1]},
        "peak_mib_while_assembling": {"own": assembly_peak[0], "tree": assembly_peak[1]},
    }


def other_steps(results: dict[str, Any], root: Path, table: Table, args: Any) -> None:
    """Step 1's rates at pool 1 and N, step 2 (a soffice loop) and step 3 (Celery), into results."""
    one = embedded_rate(root / "pool1", 1, table)
    many = embedded_rate(root / f"pool{CPUS}", CPUS, table)
    results["embedded_pool_1"] = {k: v for k, v in one.items() if k in KEEP}
    results[f"embedded_pool_{CPUS}"] = {k: v for k, v in many.items() if k in KEEP}
    results["pool_scaling"] = round(many["docs_per_second"] / one["docs_per_second"], 2)
    print(json.dumps(results, indent=1), flush=True)
    soffice = soffice_rate(many["docx_files"], args.soffice_docs, root / "soffice")
    results["soffice_loop"] = soffice
    results["speedup_vs_soffice"] = round(many["docs_per_second"] / soffice["docs_per_second"], 1)
    print(json.dumps(results, indent=1), flush=True)
    comparison = celery_vs_embedded(root / "celery", CPUS, table, args.celery_rounds)
    results[f"celery_vs_embedded_pool_{CPUS}"] = comparison
    results["celery_overhead_percent"] = comparison["celery_overhead_percent"]
    print(json.dumps(results, indent=1), flush=True)


def main() -> int:
    """Run every measurement once and write the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "bulk-results.json")
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument("--memory-rows", type=int, default=500)
    parser.add_argument("--soffice-docs", type=int, default=8)
    parser.add_argument("--celery-rounds", type=int, default=3)
    parser.add_argument("--batch-pages", type=int, default=Settings().bulk_batch_pages)
    parser.add_argument("--batch-rounds", type=int, default=3)
    parser.add_argument("--only-batches", action="store_true",
                        help="only step 1's comparison of batches and row by row, and step 4")
    args = parser.parse_args()
    table = communes(args.rows)
    results: dict[str, Any] = {
        "machine": {"cpus": CPUS, "python": platform.python_version(),
                    "load_average_at_start": os.getloadavg()},
        "rows": args.rows,
    }
    with tempfile.TemporaryDirectory(prefix="vb-bench-bulk-") as tmp:
        root = Path(tmp)
        for size in sorted({1, CPUS}):
            results[f"batches_pool_{size}"] = batched_vs_rows(
                root / f"batches{size}", size, table, args.batch_pages, args.batch_rounds)
            print(json.dumps(results, indent=1), flush=True)
        if not args.only_batches:
            other_steps(results, root, table, args)
        results["memory"] = memory_run(root / "memory", CPUS, args.memory_rows, args.batch_pages)
    results["machine"]["load_average_at_end"] = os.getloadavg()
    args.out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    print(json.dumps(results, indent=1, ensure_ascii=False))
    return 0


KEEP = ("rows", "rows_seconds", "total_seconds", "docs_per_second")

if __name__ == "__main__":
    sys.exit(main())
