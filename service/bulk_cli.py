"""`python -m service bulk base.json communes.xlsx -o out/`: a local job with a progress bar."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from service.bulk.jobs import BulkJobs, TableRejected
from service.bulk.outputs import ASSEMBLED
from service.bulk.table import TableUnreadable, read_table, table_format
from service.composition import build_services
from service.settings import Settings

STATE_FILE = ".bulk.sqlite"  # in the output folder: a re-run of the same inputs resumes


def run_bulk(
    base_path: Path,
    table_path: Path,
    output: Path,
    settings: Settings,
    *,
    allow_invalid: bool = False,
    separator: str = ";",
    duplex: bool = False,
    out: TextIO = sys.stdout,
) -> int:
    """Run (or resume) the job in the output folder; 0 all done, 1 some rows failed, 2 refused."""
    try:
        base = json.loads(base_path.read_text(encoding="utf-8-sig"))
        table = read_table(
            table_path.read_bytes(), table_format(table_path.name), settings.bulk_max_rows
        )
    except (OSError, ValueError, TableUnreadable) as exc:
        print(f"Không đọc được đầu vào: {exc}", file=sys.stderr)
        return 2
    output.mkdir(parents=True, exist_ok=True)
    # The job's state lives beside its outputs, so running the same command again resumes it.
    local = replace(
        settings,
        database_url=f"sqlite:///{(output / STATE_FILE).resolve()}",
        bulk_backend="embedded",
    )
    services = build_services(local, wait=True, jobs_root=output)
    jobs = services.bulk
    try:
        job_id = jobs.create(base, table, actor="cli", allow_invalid=allow_invalid,
                             separator=separator, resume_same=True, duplex=duplex)
        progress = follow(jobs, job_id, out)
    except TableRejected as exc:
        print_report(exc.report.as_dict(), sys.stderr)
        return 2
    finally:
        services.close()
    for failure in jobs.failures(job_id):
        print(f"Dòng {failure['row']} ({failure['commune']}): {failure['error']}", file=sys.stderr)
    print(", ".join(str(output / name) for name in ASSEMBLED), file=out)
    return 1 if progress["failed"] else 0


def follow(jobs: BulkJobs, job_id: str, out: TextIO) -> dict[str, Any]:
    """Redraw a one-line progress bar until the job is done or cancelled."""
    while True:
        progress = jobs.progress(job_id)
        assert progress is not None
        out.write("\r" + progress_line(progress))
        out.flush()
        if progress["state"] in ("done", "cancelled"):
            out.write("\n")
            return progress
        time.sleep(0.5)


def progress_line(progress: dict[str, Any], width: int = 30) -> str:
    """`[#########.........]  30/100 xong, 1 lỗi, còn ~42 s`."""
    total = max(progress["total"], 1)
    finished = progress["done"] + progress["failed"]
    filled = int(width * finished / total)
    eta = progress["eta_seconds"]
    left = f", còn ~{eta:.0f} s" if eta else ""
    return (
        f"[{'#' * filled}{'.' * (width - filled)}] {finished:>4}/{progress['total']} "
        f"xong, {progress['failed']} lỗi{left}   "
    )


def print_report(report: dict[str, Any], out: TextIO) -> None:
    """The table's problems, one per line, rows numbered as the spreadsheet shows them."""
    print(f"Bảng chưa hợp lệ ({report['valid_rows']}/{report['rows']} dòng hợp lệ):", file=out)
    for path, messages in report["base_errors"].items():
        print(f"  văn bản gốc, {path}: {' '.join(messages)}", file=out)
    for unknown in report["unknown_columns"]:
        print(f"  cột {unknown['column']}: {unknown['message']}", file=out)
    for name in report["unknown_placeholders"]:
        print(f"  {{{name['name']}}}: {name['message']}", file=out)
    for error in report["errors"]:
        print(f"  dòng {error['row']}, cột {error['column']}: {error['message']}", file=out)
    for dup in report["duplicates"]:
        print(f"  dòng {dup['rows'][1]}: {dup['message']}", file=out)
    print("Sửa bảng, hoặc chạy lại với --allow-invalid để bỏ qua các dòng sai.", file=out)
