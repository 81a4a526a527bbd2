"""Where a batched bulk row's time goes: each step's wall time, and CPU of Python and LibreOffice.

One embedded stack per pool size (1 and N = cpu count, 2 runner threads per instance, as
bench/bulk.py) runs a job of --rows communes from seed 000's base in batches of the service's
default size, --rounds times. Each step of a row (claim, render, merge, convert, split with
metadata, spill check, the PDF's check, writing the files, hashing, recording it done) and the job's
assembly (manifests, merged.pdf, ZIP) is timed by wrapping the function that does it, summed
over the runner's threads; this process's CPU time and LibreOffice's are read around the rows.

Run from the project root:  .venv/bin/python bench/bulk_profile.py [--rows 100] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bulk import Embedded, communes, run_job  # noqa: E402  (bench/bulk.py)

from service.bulk import batches, embedded, outputs, work  # noqa: E402
from service.core import batch_docx, batch_pdf, fitting  # noqa: E402
from service.settings import Settings  # noqa: E402

CPUS = os.cpu_count() or 1


class Steps:
    """Wall seconds and calls per step, summed over threads."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._lock = threading.Lock()

    def timed(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                with self._lock:
                    self.seconds[name] += time.perf_counter() - started
                    self.calls[name] += 1
        return wrapper


@contextmanager
def wrapped(steps: Steps, stack: Embedded) -> Iterator[None]:
    """Time each step by replacing, for the block, the function where its caller finds it."""
    targets: list[tuple[Any, str, str]] = [
        (batches, "render_row", "render"),
        (batch_docx, "merge", "merge"),
        (batch_pdf, "split", "split"),
        (fitting, "spilled", "spill check"),
        (batches, "write_row", "write row (check, files, hashes)"),
        (work, "validate_pdf", "  check PDF"),
        (work, "sha256", "  hashes"),
        (outputs.JobFiles, "write_row", "  files"),
        (outputs.JobFiles, "_merge", "merged.pdf"),
        (outputs.JobFiles, "_zip", "all.zip"),
        (embedded, "assemble", "assembly (manifests, merged.pdf, ZIP)"),
        (stack.pool, "convert", "convert (LibreOffice)"),
    ]
    # A batch claims and completes its rows together, and the one-row calls go through the
    # same methods; a tree from before them has the one-row calls alone.
    for single, name in (("claim_row", "claim (DB)"), ("complete_row", "complete (DB)")):
        together = f"{single}s"
        targets.append((stack.ctx.jobs, together if hasattr(stack.ctx.jobs, together) else single,
                        name))
    saved = [(owner, attribute, getattr(owner, attribute)) for owner, attribute, _ in targets]
    for owner, attribute, name in targets:
        setattr(owner, attribute, steps.timed(name, getattr(owner, attribute)))
    try:
        yield
    finally:
        for owner, attribute, original in saved:
            setattr(owner, attribute, original)


def office_cpu(me: psutil.Process) -> float:
    """CPU seconds of this process's children (unoserver, soffice.bin) so far."""
    total = 0.0
    for child in me.children(recursive=True):
        try:
            times = child.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def profile(folder: Path, pool_size: int, rows: int, rounds: int) -> dict[str, Any]:
    """Steps of `rounds` batched jobs of `rows` communes on a pool of `pool_size`."""
    stack = Embedded(folder, pool_size, Settings().bulk_batch_pages)
    me = psutil.Process()
    table = communes(rows)
    steps = Steps()
    try:
        run_job(stack.jobs, communes(4))  # warm up LibreOffice and the templates
        own, office, rows_seconds, job_seconds = me.cpu_times(), office_cpu(me), 0.0, 0.0
        with wrapped(steps, stack):
            for _ in range(rounds):
                job = run_job(stack.jobs, table)
                rows_seconds += job["rows_seconds"]
                job_seconds += job["total_seconds"]
        own_after, office_after = me.cpu_times(), office_cpu(me)
    finally:
        stack.close()
    done = rows * rounds
    per_row = {name: round(seconds / done * 1000, 2) for name, seconds in steps.seconds.items()}
    python_cpu = (own_after.user + own_after.system) - (own.user + own.system)
    return {
        "pool_size": pool_size,
        "rows": done,
        "docs_per_second": round(done / rows_seconds, 2),
        "wall_ms_per_row": round(rows_seconds / done * 1000, 2),
        "python_cpu_ms_per_row": round(python_cpu / done * 1000, 2),
        "office_cpu_ms_per_row": round((office_after - office) / done * 1000, 2),
        "job_seconds": round(job_seconds / rounds, 2),
        "merged_pdf_seconds_per_job": round(steps.seconds["merged.pdf"] / rounds, 2),
        "merged_pdf_share_of_job": round(steps.seconds["merged.pdf"] / job_seconds, 3),
        "step_ms_per_row": dict(sorted(per_row.items(), key=lambda item: -item[1])),
        "calls": dict(steps.calls),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", type=Path, help="also write the results as JSON")
    args = parser.parse_args()
    results: dict[str, Any] = {"cpus": CPUS, "load_average_at_start": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="vb-bench-profile-") as tmp:
        for size in sorted({1, CPUS}):
            results[f"pool_{size}"] = profile(Path(tmp) / f"pool{size}", size, args.rows,
                                              args.rounds)
            print(json.dumps(results[f"pool_{size}"], indent=1), flush=True)
    results["load_average_at_end"] = os.getloadavg()
    if args.out:
        args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
