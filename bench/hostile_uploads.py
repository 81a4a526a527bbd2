"""Memory of hostile uploads: four expanding XLSX and four deflate-bomb PDFs at once.

Starts `python -m service serve` (one LibreOffice instance, rate limits off) and makes an API
key, then posts, from eight client threads at once, four workbooks to `POST /api/jobs` and four
PDFs to `POST /api/verify`: first ordinary ones (a 100-commune table, a one-page PDF: the
baseline of the same run), then hostile ones (workbooks under every archive bound that unpack
to 7 MB of shared strings and a 48 MB sheet; PDFs whose cross-reference stream inflates to
1 GiB). The service process and the children reading uploads are weighed every 0.05 s; it
prints, per round, the statuses, the seconds until the last answer, the service's RSS idle,
at its peak and 5 s after, and the readers' peak. It also times the shape first reported
(shared strings of 49 MB at 75:1), which the archive check refuses before any parsing.

Run from the project root:  .venv/bin/python bench/hostile_uploads.py [--out results.json]
With `--before DIR` (a worktree of an earlier commit) the hostile round is also run against
that commit's service, in the same run.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import (  # noqa: E402  (bench/bench.py)
    MiB,
    ServiceProcess,
    allocate_ports,
    free_tcp_port,
    grant_key,
    sweep,
)
from service.bulk.table import Table, write_xlsx  # noqa: E402
from tests.conftest import bulk_base  # noqa: E402
from tests.helpers import BODY, block, make_pdf  # noqa: E402
from tests.hostile import deflate_bomb_pdf, shared_strings_workbook  # noqa: E402

BASE = bulk_base("seed_000_ke_hoach_y_tich")  # naming its commune by {ten_xa}, as a base must
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def ordinary_table() -> bytes:
    """A 100-commune table as a district clerk uploads it."""
    columns = ["issuer.agency", "issuer.agency_short", "issuer.place", "signer.name"]
    rows = [{"issuer.agency": f"Ủy ban nhân dân xã Số {n}", "issuer.agency_short":
             f"UBND xã Số {n}", "issuer.place": f"Số {n}", "signer.name": f"Nguyễn Văn {n}"}
            for n in range(1, 101)]
    return write_xlsx(Table(columns, rows))


def post_table(svc: ServiceProcess, content: bytes) -> tuple[int, float]:
    """POST /api/jobs with the seed base and the workbook; status and seconds.

    A job it starts is followed to its end, so that its rows' work is not weighed with the
    next round's uploads.
    """
    started = time.perf_counter()
    answer = requests.post(svc.url + "/api/jobs", headers=svc.headers, timeout=120, files={
        "base": ("base.json", json.dumps(BASE).encode(), "application/json"),
        "table": ("xa.xlsx", content, XLSX)})
    seconds = time.perf_counter() - started
    if answer.status_code == 202:
        location = svc.url + answer.headers["Location"]
        while requests.get(location, headers=svc.headers, timeout=30).json()["state"] not in (
                "done", "cancelled"):
            time.sleep(0.2)
    return answer.status_code, seconds


def post_pdf(svc: ServiceProcess, content: bytes) -> tuple[int, float]:
    """POST /api/verify with the PDF; status and seconds."""
    started = time.perf_counter()
    answer = requests.post(svc.url + "/api/verify", data=content, timeout=120,
                           headers={**svc.headers, "Content-Type": "application/pdf"})
    return answer.status_code, time.perf_counter() - started


def readers(pid: int) -> list[psutil.Process]:
    """The children the service's fork server forked to read uploads (not the server itself)."""
    found = []
    for child in psutil.Process(pid).children():
        try:
            if "forkserver" in " ".join(child.cmdline()):
                found += child.children(recursive=True)
        except psutil.Error:
            pass
    return found


def uss(procs: list[psutil.Process]) -> int:
    """The memory only these processes hold (pages shared with the fork server left out)."""
    total = 0
    for proc in procs:
        try:
            total += proc.memory_full_info().uss
        except psutil.Error:
            pass
    return total


def weigh(pid: int, stop: threading.Event, peaks: dict[str, int]) -> None:
    """Keep the peaks of the service's own RSS, of its readers' together, and their count."""
    service = psutil.Process(pid)
    while not stop.wait(0.05):
        peaks["service"] = max(peaks["service"], service.memory_info().rss)
        children = readers(pid)
        peaks["readers"] = max(peaks["readers"], uss(children))
        peaks["readers_at_once"] = max(peaks["readers_at_once"], len(children))


def round_of(svc: ServiceProcess, tables: list[bytes], pdfs: list[bytes]) -> dict[str, Any]:
    """Post all at once; statuses, the last answer's seconds, RSS idle, peak and 5 s after."""
    pid = svc.pids()[0]
    service = psutil.Process(pid)
    idle = service.memory_info().rss
    peaks = {"service": idle, "readers": 0, "readers_at_once": 0}
    stop = threading.Event()
    weigher = threading.Thread(target=weigh, args=(pid, stop, peaks), daemon=True)
    weigher.start()
    started = time.perf_counter()
    with ThreadPoolExecutor(len(tables) + len(pdfs)) as pool:
        table_answers = list(pool.map(lambda c: post_table(svc, c), tables))
        pdf_answers = list(pool.map(lambda c: post_pdf(svc, c), pdfs))
    seconds = time.perf_counter() - started
    time.sleep(5)
    stop.set()
    weigher.join()
    return {
        "xlsx_statuses": [s for s, _ in table_answers],
        "pdf_statuses": [s for s, _ in pdf_answers],
        "seconds_to_last_answer": round(seconds, 2),
        "xlsx_seconds_max": round(max(t for _, t in table_answers), 2),
        "pdf_seconds_max": round(max(t for _, t in pdf_answers), 2),
        "service_rss_idle_mib": round(idle / MiB, 1),
        "service_rss_peak_mib": round(peaks["service"] / MiB, 1),
        "service_rss_after_mib": round(service.memory_info().rss / MiB, 1),
        "readers_uss_peak_mib": round(peaks["readers"] / MiB, 1),
        "readers_at_once_max": peaks["readers_at_once"],
        "readers_left_after": len(readers(pid)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, help="also write the results as JSON")
    parser.add_argument("--before", type=Path, help="also run the hostile round against the "
                        "service of this checkout (an earlier commit's worktree)")
    args = parser.parse_args()
    ordinary_pdf = make_pdf(BODY + block())
    hostile_table = shared_strings_workbook(7, 48)
    hostile_pdf = deflate_bomb_pdf(1024)
    first_shape = shared_strings_workbook(49)
    results: dict[str, Any] = {"sizes_kib": {
        "hostile_xlsx": len(hostile_table) // 1024, "hostile_pdf": len(hostile_pdf) // 1024,
        "first_shape_xlsx": len(first_shape) // 1024}}
    with service(ROOT) as svc:
        results["ordinary"] = round_of(svc, [ordinary_table()] * 4, [ordinary_pdf] * 4)
        results["hostile"] = round_of(svc, [hostile_table] * 4, [hostile_pdf] * 4)
        results["first_shape"] = dict(zip(("status", "seconds"), post_table(svc, first_shape),
                                          strict=True))
    if args.before:
        with service(args.before) as svc:
            results["hostile_before"] = round_of(svc, [hostile_table] * 4, [hostile_pdf] * 4)
    print(json.dumps(results, indent=2, ensure_ascii=False))
    if args.out:
        args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    return 0


@contextmanager
def service(root: Path) -> Iterator[ServiceProcess]:
    """The service of the checkout at `root`, started, keyed and warmed; stopped after."""
    with tempfile.TemporaryDirectory(prefix="vb-hostile-") as tmp:
        (base_port, _), = allocate_ports(3400, 1)
        svc = ServiceProcess(free_tcp_port(), base_port, Path(tmp) / "data", root=root,
                             pool_size=1, rate_limit=0)
        try:
            svc.start()
            key = grant_key({"VB_DATA_DIR": str(svc.data_dir)}, ("render", "bulk"))
            svc.headers = {"Authorization": f"Bearer {key}"}
            post_table(svc, ordinary_table())  # warm: the fork server and its imports
            post_pdf(svc, make_pdf(BODY + block()))
            yield svc
        finally:
            svc.stop()
            sweep(Path(tmp))


if __name__ == "__main__":
    sys.exit(main())
